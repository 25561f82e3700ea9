"""`storesync serve` as a user runs it: a real process, a real port, a healthy answer (the status
to anyone, the components to a viewer's key)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from storesync.auth.identity import Role
from storesync.db.engine import make_engine, make_session_factory
from storesync.testing.auth import bearer, issue_key
from storesync.testing.ports import free_port


def test_serve_migrates_the_embedded_database_and_reports_healthy(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "STORESYNC_DATA_DIR": str(tmp_path), "STORESYNC_PORT": str(port)}
    # The real platforms' URLs, so the app's own credentials (serve refuses the demo app's).
    env |= {
        "STORESYNC_SHOPEE_PARTNER_ID": "2999001",
        "STORESYNC_SHOPEE_PARTNER_KEY": "e2e-serve-partner-key",
        "STORESYNC_TIKTOK_APP_KEY": "e2e-serve-app",
        "STORESYNC_TIKTOK_APP_SECRET": "e2e-serve-app-secret",
    }
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
        assert body == {"status": "ok"}
        assert (tmp_path / "storesync.db").exists()
        # The server migrated the database before it answered: a key made in it is accepted.
        engine = make_engine(f"sqlite:///{tmp_path / 'storesync.db'}")
        try:
            key = issue_key(make_session_factory(engine), Role.VIEWER)
        finally:
            engine.dispose()
        response = httpx.get(f"http://127.0.0.1:{port}/api/health", headers=bearer(key), timeout=5)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["components"]["database"]["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
