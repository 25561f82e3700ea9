"""`storesync deadletters list|show ID|replay ID|discard ID [--reason]`.

The same service as `/api/v1/deadletters`. Replay sends the task through the shared broker when
one is configured (the workers run it); on the embedded default the server's queue lives in its
own memory, out of reach, so the job runs here, through the same actor, retries and dead-letter
middleware, and the command reports how it ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from dramatiq.brokers.stub import StubBroker
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from storesync.audit import service as audit
from storesync.auth.identity import cli_identity
from storesync.bootstrap import Container, build_container
from storesync.cli.common import console, settings_or_exit
from storesync.db.engine import unit_of_work
from storesync.db.models import DeadLetter
from storesync.deadletter import service
from storesync.deadletter.schemas import DeadLetterOut
from storesync.errors import NotFoundError, StoreSyncError
from storesync.observability.context import correlation_id, new_correlation_id
from storesync.worker.broker import start_worker

app = typer.Typer(
    help="Jobs the queue gave up on: list, show, replay, discard.", no_args_is_help=True
)
out = Console(soft_wrap=True)  # data to stdout; messages and errors go to stderr

# Who did it is who runs the command (cli:<OS user>), recorded with the letter and in the audit
# log; it is not a flag, so nobody can sign someone else's name.
WHO = cli_identity()


@contextmanager
def _container() -> Iterator[Container]:
    container = build_container(settings_or_exit())
    try:
        yield container
    except NotFoundError as exc:
        console.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(2) from None
    except StoreSyncError as exc:
        console.print(f"[red]{exc.code.value}:[/] {exc.message}\n[dim]{exc.action}[/]")
        raise typer.Exit(1) from None
    finally:
        container.close()


@app.command("list")
def list_cmd(
    status: str = typer.Option("dead", help="dead, replayed, discarded or all."),
    code: str | None = typer.Option(None, help="Only this error code, e.g. PLATFORM_API_ERROR."),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Dead letters, newest first."""
    if status not in (*service.STATUSES, "all"):
        console.print(f"[red]error:[/] --status must be one of {', '.join(service.STATUSES)}, all")
        raise typer.Exit(2)
    with _container() as container, unit_of_work(container.session_factory) as session:
        rows = service.DeadLetterService(session).list(
            status=None if status == "all" else status, code=code, limit=limit
        )
        letters = [DeadLetterOut.of(row) for row in rows]
    if as_json:
        for letter in letters:
            out.print_json(letter.model_dump_json(), indent=None)
        return
    title = f"Dead letters ({status}), times in UTC"
    out.print(_table(letters, title=title, with_status=status == "all"))
    if not letters:
        console.print("no dead letters")


def _table(letters: list[DeadLetterOut], title: str, with_status: bool) -> Table:
    """Fits 80 columns; the error column comes with a wider terminal (`show ID` has it all)."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    names = ["ID", "Task", "Shop", "Code", "Tries", "Created"]
    names += ["Status"] if with_status else []
    for name in names:
        table.add_column(name, no_wrap=True)
    with_error = out.width >= 110
    if with_error:
        table.add_column("Error", overflow="fold", ratio=1)
    for letter in letters:
        cells = [
            str(letter.id),
            letter.task,
            str(letter.shop_id or "-"),
            letter.error_code,
            str(letter.attempts),
            letter.created_at.strftime("%m-%d %H:%M"),
        ]
        cells += [letter.status] if with_status else []
        cells += [letter.error_message[:200]] if with_error else []
        table.add_row(*cells)
    return table


@app.command()
def show(letter_id: int = typer.Argument(..., help="Dead letter id.")) -> None:
    """Everything kept about one dead letter: error, attempts, payload, correlation id."""
    with _container() as container, unit_of_work(container.session_factory) as session:
        letter = DeadLetterOut.of(service.DeadLetterService(session).get(letter_id))
    table = Table(show_header=False, title=f"Dead letter {letter.id}")
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for name, value in letter.model_dump(mode="json").items():
        shown = json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)
        table.add_row(name, "-" if value is None else shown)
    out.print(table)


@app.command()
def replay(
    letter_id: int = typer.Argument(..., help="Dead letter id."),
    timeout_s: float = typer.Option(
        300.0, "--timeout", help="Embedded default only: how long to wait for the job here."
    ),
) -> None:
    """Send the task again with the same arguments (the normal path, with its retries)."""
    with _container() as container:
        if container.settings.broker_url:
            with unit_of_work(container.session_factory) as session:
                row = service.replay(session, container.jobs, letter_id, WHO.actor)
                audit.record(session, WHO, "deadletter.replay", letter_id, after={"task": row.task})
            console.print(f"dead letter {letter_id}: {row.task} sent to the workers")
            return
        _replay_here(container, letter_id, WHO.actor, timeout_s)


def _replay_here(container: Container, letter_id: int, actor: str, timeout_s: float) -> None:
    assert isinstance(container.broker, StubBroker)  # no broker URL: the in-memory one
    worker = start_worker(container.broker, threads=1)
    run_id = new_correlation_id()
    correlation_id.set(run_id)  # carried into the job, and into a new letter if it fails again
    try:
        with unit_of_work(container.session_factory) as session:
            row = service.replay(session, container.jobs, letter_id, actor)
            audit.record(session, WHO, "deadletter.replay", letter_id, after={"task": row.task})
            queue = row.queue
        console.print(f"dead letter {letter_id}: running {row.task} here…")
        container.broker.join(queue, timeout=int(timeout_s * 1000), fail_fast=False)
    finally:
        worker.stop(timeout=10_000)
    with unit_of_work(container.session_factory) as session:
        again = session.scalar(
            select(DeadLetter.id).where(
                DeadLetter.correlation_id == run_id, DeadLetter.id != letter_id
            )
        )
    if again is not None:
        console.print(f"[red]failed again:[/] see dead letter {again}")
        raise typer.Exit(1)
    console.print(f"dead letter {letter_id}: replayed, succeeded")


@app.command()
def discard(
    letter_id: int = typer.Argument(..., help="Dead letter id."),
    reason: str = typer.Option("", "--reason", help="Why it is dropped (kept with it)."),
) -> None:
    """Mark it handled without running it."""
    with _container() as container, unit_of_work(container.session_factory) as session:
        service.DeadLetterService(session).discard(letter_id, WHO.actor, reason)
        audit.record(session, WHO, "deadletter.discard", letter_id, after={"reason": reason})
    console.print(f"dead letter {letter_id}: discarded")
