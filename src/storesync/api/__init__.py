"""The HTTP entry point (FastAPI). Nothing imports it but the CLI and tests."""
