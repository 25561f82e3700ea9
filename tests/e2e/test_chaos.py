"""The proving ground, short: `python -m bench.chaos --minutes 0.5` (from the repository root)
must hold every invariant with every fault kind injected. It runs StoreSync scaled out as
separate processes (the embedded mode's short run takes ~70 s more, so it is left to `--mode
embedded` and `--runs`) and, unless STORESYNC_CHAOS_RESTART_SERVICES=0, restarts this machine's
PostgreSQL and Redis once each (which disturbs anything else using them at that moment).
Deselect with `-m "not chaos"`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, missing_service

ROOT = Path(__file__).resolve().parents[2]


def _services_up() -> bool:
    import redis
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False
    finally:
        engine.dispose()


@pytest.mark.chaos
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(420)
def test_a_short_chaos_run_holds_every_invariant(tmp_path: Path) -> None:
    if not _services_up():
        missing_service("PostgreSQL and Redis")
    report_path = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.chaos",
            "--minutes",
            "0.5",
            "--converge-timeout",
            "90",
            "--json-out",
            str(report_path),
        ],
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
        cwd=ROOT,
    )
    assert report_path.exists(), result.stderr[-3000:]
    report = json.loads(report_path.read_text())
    violated = {name: detail for name, detail in report["invariants"].items() if not detail["ok"]}
    assert report["ok"], (violated, result.stderr[-3000:])
    assert result.returncode == 0, result.stderr[-3000:]
    injected = report["faults_injected"]
    for kind in ("5xx", "429", "timeout", "reset", "webhook_drop", "webhook_duplicate"):
        assert injected.get(kind, 0) >= 1, injected
    for kind in ("webhook_delay", "webhook_reorder", "revoked_token", "worker_sigkill"):
        assert injected.get(kind, 0) >= 1, injected
    # PostgreSQL slowed, cut off from the workers and full; jobs delivered twice; a storm of
    # orders; both simulators' clocks 4 min off ours.
    for kind in ("pg_slow", "worker_db_cut", "pg_pool_exhausted", "job_duplicate"):
        assert injected.get(kind, 0) >= 1, injected
    assert injected.get("webhook_storm") == 1, injected
    assert injected.get("clock_skew") == 2, injected
    assert report["mode"] == "scaled"
    assert report["invariants"]["webhooks_acknowledged_stored"]["ok"]
    if os.environ.get("STORESYNC_CHAOS_RESTART_SERVICES", "1") != "0":
        assert injected.get("postgres_restart") == 1
        assert injected.get("redis_restart") == 1
    assert report["orders"]["created"] > 0
    assert report["orders"]["imported"] == report["orders"]["created"]
    assert report["time_to_converge_s"] is not None
