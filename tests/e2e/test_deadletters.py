"""Dead letters end to end: a job that fails for good is kept with its code, attempts, payload
and correlation id; the operator's `storesync deadletters` commands (real processes) list, show,
replay it through the normal path once the cause is gone, and discard what needs no replay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storesync.auth.identity import cli_identity
from storesync.db.engine import unit_of_work
from storesync.db.models import DeadLetter, Order
from storesync.observability.context import correlation_id
from tests.e2e.harness import Stack, connect_two_shops, settings_env, wait_for
from tests.e2e.shop_auth import reconnect, revoke_grant, shop_row


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    # Slow polling: after the first poll of each shop, only the jobs this test sends run.
    running = Stack(tmp_path, overrides={"poll_interval_s": 3600.0}).start()
    yield running
    running.stop()


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storesync.cli", "deadletters", *args],
        env={**os.environ, **settings_env(stack.settings), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _send(stack: Stack, task: str, cid: str, **kwargs: Any) -> None:
    token = correlation_id.set(cid)
    try:
        stack.container.jobs.send(task, **kwargs)
    finally:
        correlation_id.reset(token)


def _letter(stack: Stack, cid: str) -> DeadLetter | None:
    with unit_of_work(stack.container.session_factory) as session:
        return session.scalar(select(DeadLetter).where(DeadLetter.correlation_id == cid))


def _orders(stack: Stack) -> int:
    with unit_of_work(stack.container.session_factory) as session:
        return int(session.scalar(select(func.count()).select_from(Order)) or 0)


def test_a_job_that_failed_for_good_is_kept_replayed_after_the_fix_and_discarded(
    stack: Stack,
) -> None:
    shops = connect_two_shops(stack)
    stack.wait_jobs_done("orders", 2)  # the scheduler's first poll of each shop, then none
    shop_id = shops.shopee["id"]
    # The seller revokes the grant while an order arrives whose push is lost.
    revoke_grant(stack, stack.shopee, shop_id, webhooks={"drop": 1.0})
    stack.shopee.post(
        "/_sim/orders",
        {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "SHIRT-M", "quantity": 1}]},
    )

    _send(stack, "order.poll", "cid-deadletter-poll", shop_id=shop_id)
    poll = wait_for(lambda: _letter(stack, "cid-deadletter-poll"), what="the poll's dead letter")
    assert (poll.task, poll.error_code, poll.attempts) == ("order.poll", "AUTHENTICATION_ERROR", 1)
    assert json.loads(poll.kwargs_json) == {"shop_id": shop_id}
    assert poll.shop_id == shop_id
    assert shop_row(stack, shop_id)["status"] == "paused"
    _send(stack, "catalog.import", "cid-deadletter-import", shop_id=shop_id)
    catalog = wait_for(lambda: _letter(stack, "cid-deadletter-import"), what="a second letter")

    listed = _cli(stack, "list")
    assert listed.returncode == 0, listed.stderr
    assert "order.poll" in listed.stdout
    assert "AUTHENTICATION_ERROR" in listed.stdout
    as_json = [json.loads(line) for line in _cli(stack, "list", "--json").stdout.splitlines()]
    assert {row["id"] for row in as_json} == {poll.id, catalog.id}
    shown = _cli(stack, "show", str(poll.id))
    assert shown.returncode == 0, shown.stderr
    assert "cid-deadletter-poll" in shown.stdout
    assert f'{{"shop_id": {shop_id}}}' in shown.stdout

    early = _cli(stack, "replay", str(poll.id))  # the cause is still there: refused, unchanged
    assert early.returncode == 1
    assert "reconnect it, then replay" in early.stderr

    reconnect(stack, stack.shopee, shops.shopee_sim_id)
    assert shop_row(stack, shop_id)["status"] == "active"
    assert _orders(stack) == 0  # webhooks are still dropped; only the replayed poll imports

    replayed = _cli(stack, "replay", str(poll.id))
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed, succeeded" in replayed.stderr
    assert _orders(stack) == 1
    with unit_of_work(stack.container.session_factory) as session:
        row = session.get(DeadLetter, poll.id)
        assert row is not None
        # Who replayed it is who ran the command, cli:<OS user>.
        assert (row.status, row.resolved_by) == ("replayed", cli_identity().actor)

    twice = _cli(stack, "replay", str(poll.id))
    assert twice.returncode == 1
    assert "already replayed" in twice.stderr

    dropped = _cli(stack, "discard", str(catalog.id), "--reason", "reconnecting re-imported it")
    assert dropped.returncode == 0, dropped.stderr
    letters = stack.api.get("/api/v1/deadletters").json()
    by_id = {row["id"]: row for row in letters}
    assert by_id[catalog.id]["status"] == "discarded"
    assert by_id[catalog.id]["note"] == "reconnecting re-imported it"
    assert _cli(stack, "list").stdout.count("order.poll") == 0  # none left dead

    missing = _cli(stack, "show", "999999")
    assert missing.returncode == 2
    assert "No dead letter 999999" in missing.stderr

    metrics = stack.api.get("/metrics").text
    assert 'storesync_dead_letters_total{code="AUTHENTICATION_ERROR",task="order.poll"}' in metrics
    assert 'sync_jobs_failed_total{kind="orders"}' in metrics
