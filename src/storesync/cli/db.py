"""`storesync db …`: schema migrations."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from storesync.cli.common import console, settings_or_exit
from storesync.db.migrate import upgrade

app = typer.Typer(help="Database schema: migrate to the current version.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(
    revision: str = typer.Argument("head", help="Target revision (default: the newest)."),
) -> None:
    """Apply every pending migration (safe to run again: it does nothing when up to date)."""
    settings = settings_or_exit()
    upgrade(settings.effective_database_url, revision)
    console.print(
        f"[green]database at {revision}[/] ({_redacted(settings.effective_database_url)})"
    )


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
