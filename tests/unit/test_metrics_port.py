"""`storesync worker` and `storesync scheduler` serve their metrics on STORESYNC_METRICS_PORT
when it is set, and follow STORESYNC_METRICS_ACCESS like serve's /metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from storesync.config import ConfigurationError, Settings
from storesync.testing.ports import free_port
from storesync.worker.exposition import serve_metrics


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=tmp_path, **overrides)


def test_no_port_no_server(tmp_path: Path) -> None:
    engine = create_engine("sqlite://")
    assert serve_metrics(settings(tmp_path), engine) is None
    assert serve_metrics(settings(tmp_path, metrics_port=0), engine) is None


def test_the_port_serves_this_processs_registry(tmp_path: Path) -> None:
    port = free_port()
    engine = create_engine("sqlite://")  # held, as the container holds its engine
    server = serve_metrics(settings(tmp_path, metrics_port=port), engine)
    assert server is not None
    try:
        scrape = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()
        engine.dispose()
    assert "process_resident_memory_bytes" in scrape
    assert "storesync_db_up 1.0" in scrape  # the engine is reported before its first query


def test_metrics_off_serves_nothing(tmp_path: Path) -> None:
    off = settings(tmp_path, metrics_port=free_port(), metrics_access="off")
    assert serve_metrics(off, create_engine("sqlite://")) is None


def test_token_mode_refuses_an_open_port(tmp_path: Path) -> None:
    # prometheus_client's server checks no bearer: asked for one, the process must not start.
    token = settings(
        tmp_path, metrics_port=free_port(), metrics_access="token", metrics_token="t" * 32
    )
    with pytest.raises(ConfigurationError, match="bearer"):
        serve_metrics(token, create_engine("sqlite://"))
