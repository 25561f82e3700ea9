"""What every command needs: settings that fail clearly, logging, a console, a database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from storesync.config import ConfigurationError, Settings, load_settings
from storesync.db.engine import make_engine, make_session_factory, unit_of_work
from storesync.db.migrate import upgrade
from storesync.errors import StoreSyncError
from storesync.observability.logging import configure_logging

console = Console(stderr=True)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    configure_logging(settings.log_level, settings.log_format)
    return settings


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    """One unit of work on the configured database, migrated first (so `users create` works on
    a fresh data dir). Taxonomy errors become one red line and exit code 1."""
    # Alembic narrates every step at INFO; for a one-line command that is noise.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    upgrade(settings.effective_database_url)
    engine = make_engine(
        settings.effective_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    except StoreSyncError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
