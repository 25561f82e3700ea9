"""What every command needs: settings that fail clearly, logging, a console."""

from __future__ import annotations

import typer
from rich.console import Console

from storesync.config import ConfigurationError, Settings, load_settings
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
