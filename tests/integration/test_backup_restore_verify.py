"""`storesync backup`, `restore` and `verify` on real PostgreSQL and SQLite: a backup restored into
a new database verifies clean with the same row counts; a tampered ledger is named by SKU; the
live database is never overwritten without --force."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from storesync.cli.main import app
from storesync.db.engine import (
    make_engine,
    make_read_session_factory,
    make_session_factory,
    unit_of_work,
)
from storesync.db.migrate import upgrade
from storesync.domain.order_status import OrderStatus
from storesync.errors import ValidationError
from storesync.inventory.service import InventoryService
from storesync.maintenance.backup import backup, restore
from storesync.maintenance.verify import Report, verify
from storesync.order.intake import advance_checkpoint
from storesync.order.service import OrderService
from tests.seeds import make_listing, make_shop, make_variant, remote_order


@dataclass
class Databases:
    live: str  # what StoreSync is configured with
    empty: str  # a new database to restore into
    tmp: Path


@pytest.fixture(params=["sqlite", "postgres"])
def dbs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    if request.param == "sqlite":
        live = f"sqlite:///{tmp_path / 'live.db'}"
        upgrade(live)
        yield Databases(live, f"sqlite:///{tmp_path / 'restored' / 'new.db'}", tmp_path)
        return
    # Whole databases, not the per-test schemas of `database_url`: pg_dump and pg_restore work on
    # a database, and the restore target must be a second one.
    server = request.getfixturevalue("pg_server")
    names = [f"storesync_t_{uuid.uuid4().hex[:10]}_{role}" for role in ("live", "new")]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = server.rsplit("/", 1)[0]
    live, empty = (f"{base}/{name}" for name in names)
    upgrade(live)
    try:
        yield Databases(live, empty, tmp_path)
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str) -> None:
    """Two shops, three listed variants, an adjustment, open, shipped, cancelled and oversold
    orders, a checkpoint: every table verify reasons about has rows."""
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        shopee, tiktok = make_shop(session), make_shop(session, "tiktok", "7001")
        for sku, on_hand in (("SHIRT-S", 10), ("SHIRT-M", 5), ("TOTE", 2)):
            variant = make_variant(session, sku, on_hand)
            make_listing(session, shopee, variant)
            make_listing(session, tiktok, variant)
        inventory = InventoryService(session, actor="test")
        inventory.adjust("SHIRT-M", 3, "adjustment", note="received")
        orders = OrderService(session, inventory)
        for ext, status, lines in (
            ("o-open", OrderStatus.READY_TO_SHIP, [("SHIRT-S", 2), ("TOTE", 1)]),
            ("o-ship", OrderStatus.SHIPPED, [("SHIRT-M", 1)]),
            ("o-cancel", OrderStatus.CANCELLED, [("SHIRT-S", 1)]),
            ("o-over", OrderStatus.PENDING, [("TOTE", 3)]),  # 1 left: 2 oversold
        ):
            orders.upsert(shopee, remote_order(ext, status, 5, lines))
        advance_checkpoint(session, shopee.id, datetime(2026, 11, 29, 12, 5, tzinfo=UTC))
    engine.dispose()


def report(url: str) -> Report:
    engine = make_engine(url)
    try:
        with make_read_session_factory(engine)() as session:
            return verify(session)
    finally:
        engine.dispose()


def cli(dbs: Databases, *args: str) -> Result:
    """The command in this process (a process costs 3 s of imports; tests/e2e runs real ones)."""
    env = {"STORESYNC_DATABASE_URL": dbs.live, "STORESYNC_DATA_DIR": str(dbs.tmp / "data")}
    return CliRunner().invoke(app, list(args), env=env)


def test_a_restored_backup_verifies_clean_with_identical_counts(dbs: Databases) -> None:
    seed(dbs.live)
    before = report(dbs.live)
    assert before.ok, before.violations
    assert before.counts["orders"] == 4
    assert before.counts["stock_ledger"] == 5

    made = cli(dbs, "backup", "--out", str(dbs.tmp / "b" / "backup.file"))
    assert made.exit_code == 0, made.stderr
    written = Path(made.stdout.strip())
    assert written.stat().st_size > 0
    assert written.stat().st_mode & 0o077 == 0

    restored = cli(dbs, "restore", str(written), "--to", dbs.empty)
    assert restored.exit_code == 0, restored.stderr
    checked = cli(dbs, "verify", "--json", "--url", dbs.empty)
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    after = json.loads(checked.stdout)
    assert after["ok"]
    assert after["counts"] == before.counts


def test_a_tampered_ledger_row_fails_verify_naming_the_sku(dbs: Databases) -> None:
    seed(dbs.live)
    engine = make_engine(dbs.live)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE stock_ledger SET delta = delta + 1 WHERE id = (SELECT MIN(e.id) FROM "
                "stock_ledger e JOIN variants v ON v.id = e.variant_id WHERE v.sku = 'TOTE')"
            )
        )
    engine.dispose()

    checked = cli(dbs, "verify", "--json")
    assert checked.exit_code == 1, checked.stderr
    found = json.loads(checked.stdout)["violations"]
    assert found == [
        {
            "check": "ledger_sum",
            "subject": "TOTE",
            "detail": {"warehouse": "main", "ledger": 3, "on_hand": 2},
        }
    ]
    plain = cli(dbs, "verify")
    assert plain.exit_code == 1
    assert "ledger_sum" in plain.stderr
    assert "TOTE" in plain.stderr


def test_restore_onto_the_live_database_is_refused_without_force(dbs: Databases) -> None:
    seed(dbs.live)
    made = backup(dbs.live, dbs.tmp / "before.backup")
    engine = make_engine(dbs.live)
    with unit_of_work(make_session_factory(engine)) as session:
        InventoryService(session, actor="test").adjust("SHIRT-S", 4, "adjustment")
    engine.dispose()
    counts = report(dbs.live).counts

    refused = cli(dbs, "restore", str(made), "--to", dbs.live)
    assert refused.exit_code == 1
    assert "refusing to restore over the live database" in refused.stderr
    with pytest.raises(ValidationError):
        restore(made, dbs.live, dbs.live)
    assert report(dbs.live).counts == counts  # the adjustment after the backup is still there


def test_restore_with_force_replaces_the_live_database(dbs: Databases) -> None:
    seed(dbs.live)
    made = backup(dbs.live, dbs.tmp / "before.backup")
    backed_up = report(dbs.live).counts
    engine = make_engine(dbs.live)
    with unit_of_work(make_session_factory(engine)) as session:
        InventoryService(session, actor="test").adjust("SHIRT-S", 4, "adjustment")
    engine.dispose()

    forced = cli(dbs, "restore", str(made), "--to", dbs.live, "--force")

    assert forced.exit_code == 0, forced.stderr
    after = report(dbs.live)
    assert after.ok
    assert after.counts == backed_up  # the adjustment made after the backup is gone


def test_verify_exits_2_when_it_cannot_run(dbs: Databases) -> None:
    checked = cli(dbs, "verify", "--url", dbs.empty)  # never migrated: no tables
    assert checked.exit_code == 2, checked.stdout + checked.stderr
    assert "could not verify" in checked.stderr


def test_verify_names_every_kind_of_violation(dbs: Databases) -> None:
    seed(dbs.live)
    engine = make_engine(dbs.live)
    with engine.begin() as conn:
        for sql, sku in (
            (
                "UPDATE inventory_levels SET reserved = 0 "
                "WHERE variant_id = (SELECT id FROM variants WHERE sku = :sku)",
                "TOTE",
            ),
            (
                "UPDATE inventory_levels SET oversold = 7 "
                "WHERE variant_id = (SELECT id FROM variants WHERE sku = :sku)",
                "SHIRT-S",
            ),
            ("UPDATE variants SET status = 'retired' WHERE sku = :sku", "SHIRT-S"),
        ):
            conn.execute(text(sql), {"sku": sku})
        future = datetime(2999, 1, 1, tzinfo=UTC)
        conn.execute(text("UPDATE sync_checkpoints SET position = :at"), {"at": future})
        shop_id = conn.execute(text("SELECT shop_id FROM sync_checkpoints")).scalar_one()
    engine.dispose()

    found = {(v.check, v.subject) for v in report(dbs.live).violations}

    assert found == {
        ("reserved", "TOTE"),
        ("oversold", "SHIRT-S"),
        ("listing_variant", "SHIRT-S"),
        ("checkpoints", f"shop {shop_id} orders"),
    }


def test_verify_finds_rows_whose_parent_is_gone(tmp_path: Path) -> None:
    """SQLite enforces foreign keys only where a connection turned them on (ours do)."""
    url = f"sqlite:///{tmp_path / 'fk.db'}"
    upgrade(url)
    seed(url)
    raw = create_engine(url)  # a plain connection: foreign keys off, as in the sqlite3 shell
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM orders WHERE external_id = 'o-open'"))
    raw.dispose()

    orphans = [v for v in report(url).violations if v.check == "orphans"]

    assert {(v.subject.split()[0], v.detail["missing"]) for v in orphans} == {
        ("order_lines", "orders")
    }
    assert len(orphans) == 2  # both lines of the deleted order
