"""`storesync verify [--json] [--url URL]`: the database's invariants, exit 0 clean, 1 with every
violation named, 2 when the check could not run (no database, no schema)."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from storesync.cli.common import console, settings_or_exit
from storesync.db.engine import make_engine, make_read_session_factory
from storesync.maintenance.verify import Report, verify


def verify_cmd(
    url: str | None = typer.Option(
        None, "--url", help="The database to check (default: the configured one), e.g. a restore."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable report on stdout."),
) -> None:
    """Check the ledger sums to on hand, reserved and oversold match the order lines, no orphaned
    rows, no checkpoint in the future, every listing on a live variant; count rows per table."""
    settings = settings_or_exit()
    # Never migrated here: a check must not change what it checks.
    engine = make_engine(
        url or settings.effective_database_url,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    try:
        with console.status("Verifying…"), make_read_session_factory(engine)() as session:
            report = verify(session)
    except SQLAlchemyError as exc:
        console.print(f"[bold red]could not verify:[/] {type(exc).__name__}: {exc.args[0]}")
        raise typer.Exit(code=2) from None
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        _print(report)
    if not report.ok:
        raise typer.Exit(code=1)


def _print(report: Report) -> None:
    counts = Table(title="Rows")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for table, count in report.counts.items():
        counts.add_row(table, str(count))
    console.print(counts)
    for v in report.violations:
        detail = ", ".join(f"{k}={value}" for k, value in v.detail.items())
        console.print(f"[red]{v.check}[/] {v.subject}: {detail}")
    verdict = "[green]ok[/]" if report.ok else f"[red]{len(report.violations)} violation(s)[/]"
    console.print(f"{verdict}: {', '.join(report.checks)}")
