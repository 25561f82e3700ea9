"""`storesync reconcile [--shop ID] [--dry-run]`: read back every listing and the last day's orders
from the platforms, show the drift, and (unless --dry-run) heal it.

Runs here and now, recorded as a "reconcile" sync job like the scheduled pass. Healing marks the
drifted listings dirty; with `--push` (the default) they are pushed right away through the normal
push path, otherwise a running server's sweep pushes them within seconds.
"""

from __future__ import annotations

import typer
from rich.table import Table

from storesync.audit import service as audit
from storesync.auth.identity import cli_identity
from storesync.bootstrap import build_container
from storesync.cli.common import console, settings_or_exit
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.listing.push import push_shop
from storesync.listing.requests import push_on_commit
from storesync.order.service import order_services
from storesync.reconcile.run import Reconciliation, reconcile_all


def reconcile(
    shop: int | None = typer.Option(None, "--shop", help="One shop id; default: every shop."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report drift, change nothing."),
    push: bool = typer.Option(True, help="Push healed listings now (else the server's sweep)."),
) -> None:
    """Compare what every platform shows with what it should show; heal drift."""
    container = build_container(settings_or_exit())
    try:
        with unit_of_work(container.session_factory) as session:
            audit.record(session, cli_identity(), "reconcile.start", shop or "all")
        with console.status("Reading stock and orders back from the platforms…"):
            result = reconcile_all(
                container.session_factory,
                container.clients,
                order_services(push_on_commit(container.jobs)),
                shop_id=shop,
                dry_run=dry_run,
                on_dirty=push_on_commit(container.jobs),
            )
            if push and not dry_run:
                for one in result.shops:
                    if one.stock is not None and one.stock.healed:
                        with unit_of_work(container.session_factory) as session:
                            row = session.get(Shop, one.shop_id)
                            assert row is not None
                            client = container.clients.for_shop(row)
                        push_shop(container.session_factory, client, one.shop_id)
    finally:
        container.close()
    console.print(_table(result))
    counts = result.counts()
    verb = "would heal" if dry_run else "healed"
    console.print(
        f"job {result.job_id}: {counts.get('checked', 0)} listings checked, "
        f"{counts.get('drifted', 0)} drifted, {counts.get('missing', 0)} missing, "
        f"{verb} {counts.get('healed', 0) if not dry_run else counts.get('drifted', 0)}; "
        f"orders: {counts.get('orders_platform', 0)} on the platforms, "
        f"{counts.get('orders_missing', 0)} missing here, "
        f"{counts.get('orders_imported', 0)} imported"
    )
    if counts.get("shops_failed"):
        for one in result.shops:
            if one.error_code:
                console.print(f"[red]shop {one.shop_id}: {one.error_code}[/] {one.error}")
        raise typer.Exit(1)


def _table(result: Reconciliation) -> Table:
    table = Table(title="Drift" + (" (dry run)" if result.dry_run else ""))
    for column in ("shop", "platform", "SKU", "desired", "platform shows", "state", "healed"):
        numeric = column in {"desired", "platform shows"}
        table.add_column(column, justify="right" if numeric else "left")
    for one in result.shops:
        if one.stock is None:
            continue
        for check in one.stock.drifted:
            table.add_row(
                f"{one.shop_id} {one.name}",
                one.platform,
                check.listing.sku,
                str(check.listing.desired),
                "—" if check.observed is None else str(check.observed),
                check.state.value,
                "yes" if check.healed else "no",
            )
    if not table.row_count:
        table.add_row("—", "—", "no drift", "", "", "", "")
    return table
