"""A SQLite backup taken by a separate `storesync backup` process while a real server writes
stock adjustments through its API restores into a database that verifies clean."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storesync.db.engine import unit_of_work
from tests.e2e.harness import Stack, settings_env
from tests.seeds import make_shop, make_variant

SKUS = ("SHIRT-S", "TOTE")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path / "live").start()
    yield running
    running.stop()


class Writer(threading.Thread):
    """Adjusts stock through the API in a loop until stopped; counts what the server accepted."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack, self.done, self.stopping = stack, 0, threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            sku = SKUS[self.done % len(SKUS)]
            body = {"delta": 1, "note": "backup while serving"}
            response = self.stack.api.post(f"/api/v1/inventory/{sku}/adjustments", json=body)
            response.raise_for_status()
            self.done += 1


def storesync(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storesync.cli", *args],
        env=settings_env(stack.settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sqlite_backup_while_serving_restores_and_verifies(stack: Stack, tmp_path: Path) -> None:
    with unit_of_work(stack.container.session_factory) as session:
        make_shop(session)
        for sku in SKUS:
            make_variant(session, sku, 5)
    writer = Writer(stack)
    writer.start()
    try:
        while writer.done < 20:  # the server is writing before the backup starts
            threading.Event().wait(0.01)
        before = writer.done
        made = storesync(stack, "backup", "--out", str(tmp_path / "backups" / "live.sqlite"))
        during = writer.done - before
    finally:
        writer.stopping.set()
        writer.join(timeout=10)
    assert made.returncode == 0, made.stderr
    assert during > 0, "no adjustment landed while the backup process ran"

    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = storesync(stack, "restore", made.stdout.strip(), "--to", target)
    assert restored.returncode == 0, restored.stderr
    checked = storesync(stack, "verify", "--json", "--url", target)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    # A consistent snapshot: some of the adjustments, each with its ledger row and audit entry.
    ledger = report["counts"]["stock_ledger"]
    assert len(SKUS) + 20 <= ledger <= len(SKUS) + writer.done
    assert report["counts"]["audit_log"] >= ledger - len(SKUS)
