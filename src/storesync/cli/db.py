"""`storesync db …`: schema migrations, and pruning what is kept only for a while."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from storesync.cli.common import console, settings_or_exit
from storesync.db.base import utcnow
from storesync.db.engine import make_engine, make_session_factory
from storesync.db.migrate import upgrade
from storesync.retention.prune import prune

app = typer.Typer(
    help="Database schema: migrate to the current version; prune expired records.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)  # data to stdout; messages go to stderr


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


@app.command("prune")
def prune_cmd(
    days: float | None = typer.Option(
        None, min=0.0, help="Keep this many days (default: STORESYNC_RETENTION_DAYS)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Delete finished webhook events, rejected-delivery samples and finished job records older
    than the retention period, as the daily `retention.prune` job does; never orders or the
    ledger. Prints the rows deleted per table."""
    settings = settings_or_exit()
    keep = timedelta(days=settings.retention_days if days is None else days)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line of output, not a narrative
    upgrade(settings.effective_database_url)
    engine = make_engine(
        settings.effective_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    cutoff = utcnow() - keep
    totals: dict[str, int] = {}
    try:
        factory = make_session_factory(engine)
        more = True
        while more:  # the whole backlog, still in short transactions
            pruned = prune(factory, cutoff)
            for table, count in pruned.counts.items():
                totals[table] = totals.get(table, 0) + count
            more = pruned.more
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({"cutoff": cutoff.isoformat(), "deleted": totals}))
        return
    for table, count in totals.items():
        out.print(f"{table:<22}{count:>10}")
    console.print(f"[green]pruned[/] records finished before {cutoff:%Y-%m-%d %H:%M} UTC")


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
