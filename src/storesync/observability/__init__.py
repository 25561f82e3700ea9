"""Logging with correlation ids, and (later) every metric name in one file."""
