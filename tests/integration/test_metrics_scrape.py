"""Every process exports its metrics, and `promtool check metrics` (Prometheus's own linter) is
clean on a live scrape of each: `storesync serve` at /metrics on its HTTP port, and a separate
`storesync worker` and `storesync scheduler` on STORESYNC_METRICS_PORT (a port per process:
worker/exposition.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from storesync.api.app import create_app
from storesync.bootstrap import build_container
from storesync.config import Settings
from storesync.db.migrate import upgrade
from storesync.testing.ports import free_port
from storesync.testing.server import serving
from storesync.testing.waiting import wait_until
from tests.conftest import REDIS_URL, missing_service

# A Redis database of this test's own (the chaos run claims 9-12, test_scaled_out 14): the
# worker consumes whatever is queued there.
BROKER_URL = REDIS_URL.rsplit("/", 1)[0] + "/13"
# Not the demo app's credentials, which the background processes refuse to start with.
CREDENTIALS = {
    "STORESYNC_SHOPEE_PARTNER_ID": "2999002",
    "STORESYNC_SHOPEE_PARTNER_KEY": "metrics-scrape-partner-key",
    "STORESYNC_TIKTOK_APP_KEY": "metrics-scrape-app",
    "STORESYNC_TIKTOK_APP_SECRET": "metrics-scrape-app-secret",
}


@pytest.fixture
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        missing_service("promtool (Debian's prometheus package, installed by scripts/bootstrap)")
    assert found is not None
    return found


def promtool_check(promtool: str, scrape: str) -> None:
    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=scrape,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_scrape_of_serve_passes_promtool(tmp_path: Path, promtool: str) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=Fernet.generate_key().decode())
    upgrade(settings.effective_database_url)
    container = build_container(settings)
    try:
        with serving(create_app(container)) as url:
            assert httpx.get(f"{url}/api/health", timeout=10).status_code == 200
            scrape = httpx.get(f"{url}/metrics", timeout=10).text
    finally:
        container.close()
    promtool_check(promtool, scrape)
    assert 'http_requests_total{method="GET",route="/api/health",status="200"}' in scrape
    assert "storesync_db_up 1.0" in scrape
    assert "process_resident_memory_bytes" in scrape


@pytest.fixture
def background_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    client.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORESYNC_")}
    return (
        env
        | CREDENTIALS
        | {
            "STORESYNC_DATA_DIR": str(tmp_path),
            "STORESYNC_BROKER_URL": BROKER_URL,
            "STORESYNC_SECRET_KEY": Fernet.generate_key().decode(),
        }
    )


class Background:
    """`storesync <command>` as a process of its own, stopped with SIGTERM as an operator would."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, metrics_port: int) -> str:
        with (self.logs / f"{args[0]}.log").open("wb") as log:
            self.running.append(
                subprocess.Popen(
                    [sys.executable, "-m", "storesync.cli", *args],
                    env=self.env | {"STORESYNC_METRICS_PORT": str(metrics_port)},
                    stdout=log,
                    stderr=log,
                )
            )
        return f"http://127.0.0.1:{metrics_port}/metrics"

    def stop(self) -> None:
        for proc in self.running:
            proc.terminate()
        for proc in self.running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def background(background_env: dict[str, str], tmp_path: Path) -> Iterator[Background]:
    processes = Background(background_env, tmp_path)
    yield processes
    processes.stop()


def scraped(url: str, until: str) -> str:
    """The process's scrape once it shows `until` (a process still starting refuses)."""

    def once() -> str | None:
        text = httpx.get(url, timeout=5).text
        return text if until in text else None

    return wait_until(once, timeout_s=30, what=url, ignore=(httpx.TransportError,))


def test_scrapes_of_a_separate_worker_and_scheduler_pass_promtool(
    tmp_path: Path, promtool: str, background: Background
) -> None:
    upgrade(f"sqlite:///{tmp_path / 'storesync.db'}")
    worker = background.start("worker", "--threads", "1", metrics_port=free_port())
    scheduler = background.start("scheduler", metrics_port=free_port())

    # The scheduler's first sweep publishes the deployment's gauges; its jobs reach the worker.
    scheduler_scrape = scraped(scheduler, until="storesync_dead_letters_open 0.0")
    worker_scrape = scraped(worker, until="storesync_job_age_seconds_count{queue=")

    for scrape in (worker_scrape, scheduler_scrape):
        promtool_check(promtool, scrape)
        assert "process_resident_memory_bytes" in scrape
        assert 'storesync_build_info{version="' in scrape
        assert "storesync_db_up 1.0" in scrape
        assert 'storesync_queue_depth{queue="default"}' in scrape
    # Deployment-wide gauges come from the scheduler alone; a worker does not know them.
    assert "storesync_shops_fast_polling 0.0" in scheduler_scrape
    assert "storesync_dead_letters_open" not in worker_scrape
