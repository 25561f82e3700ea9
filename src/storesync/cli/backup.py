"""`storesync backup [--out FILE]` and `storesync restore FILE --to URL`: the playbook's database
recovery as two commands (docs/operations.md#backup-restore-verify)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from storesync.cli.common import console, settings_or_exit
from storesync.db.base import utcnow
from storesync.errors import StoreSyncError, ValidationError
from storesync.maintenance import backup as flows


def backup(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write it (default: DATA_DIR/backups/storesync-<time>.*)."
        ),
    ] = None,
) -> None:
    """Back up the configured database: pg_dump -Fc on PostgreSQL, SQLite's online backup (safe
    while StoreSync serves). Prints the file written on stdout."""
    settings = settings_or_exit()
    url = settings.effective_database_url
    target = flows.Target.parse(url)
    if out is None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        out = settings.data_dir / "backups" / flows.default_name(target, stamp)
    with exit_codes(), progress("Backing up", pages=target.is_sqlite) as step:
        written = flows.backup(url, out, progress=step)
    console.print(f"[green]backup written[/] ({written.stat().st_size} bytes)")
    typer.echo(str(written))


def restore(
    file: Annotated[Path, typer.Argument(help="A file `storesync backup` wrote.")],
    to: str = typer.Option(..., "--to", help="The database to restore into (SQLAlchemy URL)."),
    force: bool = typer.Option(
        False, "--force", help="Allow replacing the configured (live) database; stop it first."
    ),
) -> None:
    """Restore a backup into the database at --to, replacing what it holds (PostgreSQL:
    pg_restore --clean --no-owner --no-privileges; SQLite: copied into the file)."""
    settings = settings_or_exit()
    with exit_codes(), progress("Restoring", pages=flows.Target.parse(to).is_sqlite) as step:
        flows.restore(file, to, settings.effective_database_url, force=force, progress=step)
    console.print(f"[green]restored[/] {file}; check it with `storesync verify --url URL`")


@contextmanager
def exit_codes() -> Iterator[None]:
    """Refused or bad input exits 1; a tool or database that failed exits 2 (could not run)."""
    try:
        yield
    except StoreSyncError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=1 if isinstance(exc, ValidationError) else 2) from None


@contextmanager
def progress(what: str, *, pages: bool) -> Iterator[flows.Progress]:
    """A bar on stderr where the work counts itself (SQLite pages); a spinner for the PostgreSQL
    tools, which report nothing until they finish."""
    columns = (
        [TextColumn(what), BarColumn(), TextColumn("{task.completed}/{task.total} pages")]
        if pages
        else [SpinnerColumn(), TextColumn(what + " (pg tools)")]
    )
    bar = Progress(*columns, TimeElapsedColumn(), console=console, transient=True)
    task = bar.add_task(what, total=None)

    def step(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield step
