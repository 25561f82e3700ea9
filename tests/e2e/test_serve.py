"""`storesync serve` as a user runs it: a real process, a real port, a healthy answer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from storesync.testing.ports import free_port


def test_serve_migrates_the_embedded_database_and_reports_healthy(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "STORESYNC_DATA_DIR": str(tmp_path), "STORESYNC_PORT": str(port)}
    env.pop("STORESYNC_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "storesync.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            body = response.json()
            break
        assert body is not None, "server did not answer within 30 s"
        assert response.status_code == 200
        assert body["status"] == "ok"
        assert body["components"]["database"]["status"] == "ok"
        assert (tmp_path / "storesync.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
