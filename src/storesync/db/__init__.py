"""Persistence: the declarative base, engines and sessions, and one model file per table."""
