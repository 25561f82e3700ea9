"""`storesync sync import|stock|orders --shop ID` and `storesync resync --shop ID [--since T]`.

These run the work right here, with progress bars, and record a sync job like the background
worker does; a running server picks up whatever they leave dirty on its next sweep.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from sqlalchemy import func, select

from storesync.audit import service as audit
from storesync.auth.identity import cli_identity
from storesync.bootstrap import Container, build_container
from storesync.catalog.importing import import_catalog
from storesync.cli.common import console, settings_or_exit
from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Listing, Shop
from storesync.errors import StoreSyncError
from storesync.job.records import run_job
from storesync.listing.push import push_shop
from storesync.listing.requests import push_on_commit
from storesync.order import intake as order_sync
from storesync.order.service import order_services

app = typer.Typer(help="Run a sync for one shop now, with progress.", no_args_is_help=True)

ShopOpt = typer.Option(..., "--shop", help="Shop id (see GET /api/v1/shops).")


@contextmanager
def _shop(shop_id: int, action: str) -> Iterator[tuple[Container, Shop]]:
    """The shop, with the command recorded in the audit log as `action` by cli:<OS user>."""
    container = build_container(settings_or_exit())
    try:
        with unit_of_work(container.session_factory) as session:
            shop = session.get(Shop, shop_id)
            if shop is not None:
                audit.record(session, cli_identity(), action, shop_id)
        if shop is None:
            console.print(f"[red]error:[/] no shop {shop_id}")
            raise typer.Exit(2)
        yield container, shop
    except StoreSyncError as exc:
        console.print(f"[red]{exc.code.value}:[/] {exc.message}\n[dim]{exc.action}[/]")
        raise typer.Exit(1) from None
    finally:
        container.close()


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=False,
    )


@app.command("import")
def import_cmd(shop: int = ShopOpt) -> None:
    """Import the shop's products and link them to the master catalog by SKU."""
    with _shop(shop, "sync.import") as (container, row), _progress() as progress:
        client = container.clients.for_shop(row)
        reading = progress.add_task("Reading products", total=None)
        with run_job(container.session_factory, "import", row.id, source="cli") as run:
            counts = import_catalog(
                container.session_factory,
                client,
                row.id,
                run,
                on_dirty_shop=push_on_commit(container.jobs),
                actor=cli_identity().actor,
                on_product=lambda _: progress.advance(reading),
                on_read=lambda total: progress.update(reading, total=total, completed=total),
            )
    console.print(f"imported: {counts.as_dict()}")


@app.command("stock")
def stock_cmd(shop: int = ShopOpt) -> None:
    """Push every dirty listing of the shop now."""
    with _shop(shop, "sync.stock") as (container, row), _progress() as progress:
        with unit_of_work(container.session_factory) as session:
            dirty = session.scalar(
                select(func.count()).where(Listing.shop_id == row.id, Listing.dirty.is_(True))
            )
        task = progress.add_task("Pushing stock", total=dirty or 0)
        client = container.clients.for_shop(row)
        with run_job(container.session_factory, "stock", row.id, source="cli") as run:
            while True:
                report = push_shop(container.session_factory, client, row.id)
                run.count("pushed", report.confirmed)
                run.count("failed", report.failed)
                progress.advance(task, report.confirmed + report.failed)
                if not report.attempted or report.confirmed == 0:
                    break
    console.print(f"pushed {run.counts.get('pushed', 0)}, failed {run.counts.get('failed', 0)}")


@app.command("orders")
def orders_cmd(shop: int = ShopOpt) -> None:
    """Import orders updated since the shop's checkpoint (an overlapping window)."""
    _orders(shop, since=None, kind="orders")


def _orders(shop_id: int, since: datetime | None, kind: str) -> None:
    with _shop(shop_id, f"sync.{kind}") as (container, row), _progress() as progress:
        client = container.clients.for_shop(row)
        orders_for = order_services(push_on_commit(container.jobs))
        now = utcnow()
        with unit_of_work(container.session_factory) as session:
            last = order_sync.checkpoint(session, row.id)
        start = since or (
            (last - order_sync.OVERLAP) if last else now - order_sync.FIRST_POLL_LOOKBACK
        )
        console.print(f"orders updated since {start.isoformat(timespec='seconds')}")
        listing = progress.add_task("Listing orders", total=None)
        ids = []
        with run_job(container.session_factory, kind, row.id, since=start.isoformat()) as run:
            for ref in client.list_orders(start, now + order_sync.FUTURE_SLACK):
                ids.append(ref.external_id)
                progress.advance(listing)
            progress.update(listing, total=len(ids))
            run.count("listed", len(ids))
            importing = progress.add_task("Importing", total=len(ids))
            for offset in range(0, len(ids), order_sync.DETAIL_BATCH):
                batch = ids[offset : offset + order_sync.DETAIL_BATCH]
                order_sync.import_orders(
                    container.session_factory, client, orders_for, row.id, batch, run
                )
                progress.advance(importing, len(batch))
            with unit_of_work(container.session_factory) as session:
                order_sync.advance_checkpoint(session, row.id, now)
    console.print(f"orders: {run.counts}")


SinceOpt = typer.Option(
    None, help="Replay from this time (ISO 8601, UTC if no zone). Default: the last checkpoint."
)


def resync(shop: int = ShopOpt, since: datetime | None = SinceOpt) -> None:
    """Replay a shop's orders from a timestamp; duplicates are harmless (imports are idempotent)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    _orders(shop, since=since, kind="resync")
