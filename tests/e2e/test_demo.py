"""`storesync demo` as a newcomer runs it: real processes, real ports, and a summary that proves
every order was imported once and every shop ends in step with the master stock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from storesync.testing.ports import free_port


def test_the_demo_keeps_four_shops_in_step_and_reports_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORESYNC_")}
    argv = [sys.executable, "-m", "storesync.cli", "demo", "--json", "--duration", "15"]
    argv += ["--rate", "2", "--products", "10", "--port", str(free_port())]
    argv += ["--data-dir", str(tmp_path / "demo")]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=90, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)  # stdout holds the one JSON object and nothing else
    assert summary["orders_created"] >= 20
    assert summary["orders_imported"] == summary["orders_created"]
    assert summary["duplicates"] == 0
    assert summary["drift"] == 0
    assert summary["oversold_units"] == 0
    assert summary["shops"] == 4
    assert summary["propagation_ms"]["samples"] > 0
    assert summary["propagation_ms"]["p95"] < 2000
    assert summary["status_moves"] > 0
    assert summary["api_calls"] >= summary["stock_update_calls"] > 0
