"""`/api/health` reports each component to a viewer; a dead database is a 503, a dead cache only
degrades; anyone else learns the status alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from storesync import __version__
from storesync.api.app import create_app
from storesync.api.health import health_report
from storesync.auth.identity import Role
from storesync.bootstrap import Container, build_container
from storesync.config import Settings
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.resilience.service import breaker_key
from storesync.testing.auth import bearer, issue_key

MakeContainer = Callable[..., Container]


def _client(make_container: MakeContainer, **settings: Any) -> TestClient:
    """A client with a viewer's key: the role that sees the components."""
    container = make_container(**settings)
    viewer = bearer(issue_key(container.session_factory, Role.VIEWER, name="monitor"))
    return TestClient(create_app(container), base_url="http://127.0.0.1", headers=viewer)


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
    container = make_container(database_url=dead)
    # No key can be checked without the database, so the answer is the public one.
    response = TestClient(create_app(container), base_url="http://127.0.0.1").get("/api/health")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}
    status, body = health_report(container)  # what a viewer would see
    assert (status, body["status"]) == (503, "down")
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


def test_without_a_key_health_tells_only_the_status(make_container: MakeContainer) -> None:
    container = make_container()
    with unit_of_work(container.session_factory) as session:
        shop = Shop(platform="shopee", external_id="1001", name="Shopee One")
        session.add(shop)
        session.flush()
        key = breaker_key(shop.platform, shop.id)
    container.resilience.force_open(key, actor="ops", reason="drill")
    app = create_app(container)

    response = TestClient(app, base_url="http://127.0.0.1").get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded"}  # no version, components, shop ids, counts
    assert key not in response.text

    viewer = bearer(issue_key(container.session_factory, Role.VIEWER, name="monitor"))
    full = TestClient(app, base_url="http://127.0.0.1", headers=viewer).get("/api/health").json()
    assert full["status"] == "degraded"
    assert full["components"]["breakers_shopee"]["open_breakers"] == [key]


def test_container_from_settings_points_at_sqlite_by_default(tmp_path: Path) -> None:
    container = build_container(Settings(data_dir=tmp_path))
    assert container.engine.dialect.name == "sqlite"
    container.close()
