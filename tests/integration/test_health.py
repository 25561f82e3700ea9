"""`/api/health` reports each component; a dead database is a 503, a dead cache only degrades."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from storesync import __version__
from storesync.api.app import create_app
from storesync.bootstrap import Container, build_container
from storesync.config import Settings

MakeContainer = Callable[..., Container]


def _client(make_container: MakeContainer, **settings: Any) -> TestClient:
    return TestClient(create_app(make_container(**settings)))


def test_health_is_ok_on_a_live_database(make_container: MakeContainer) -> None:
    response = _client(make_container).get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    database = body["components"]["database"]
    assert database["status"] == "ok"
    assert isinstance(database["latency_ms"], float)


def test_health_is_503_when_postgres_is_unreachable(make_container: MakeContainer) -> None:
    # Port 9 (discard) is closed on loopback: a refused connection, as when PostgreSQL is stopped.
    dead = "postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2"
    response = _client(make_container, database_url=dead).get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["components"]["database"]["status"] == "down"


def test_a_down_cache_degrades_but_stays_200(make_container: MakeContainer) -> None:
    response = _client(make_container, redis_url="redis://127.0.0.1:9/0").get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"]["cache"]["status"] == "down"


def test_a_live_cache_is_reported_ok(make_container: MakeContainer, redis_url: str) -> None:
    body = _client(make_container, redis_url=redis_url).get("/api/health").json()
    assert body["components"]["cache"]["status"] == "ok"
    assert body["status"] == "ok"


def test_container_from_settings_points_at_sqlite_by_default(tmp_path: Path) -> None:
    container = build_container(Settings(data_dir=tmp_path))
    assert container.engine.dialect.name == "sqlite"
    container.close()
