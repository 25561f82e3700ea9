"""`/api/health` reports each component; a dead database is a 503, a dead cache only degrades."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from storesync import __version__
from storesync.api.app import create_app
from storesync.bootstrap import Container, build_container
from storesync.config import Settings
from storesync.db.engine import make_engine, make_session_factory


def _client(
    engine: Engine, settings: Settings | None = None, redis_url: str | None = None
) -> TestClient:
    container = Container(
        settings=settings or Settings(),
        engine=engine,
        session_factory=make_session_factory(engine),
    )
    if redis_url:
        import redis

        container.redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return TestClient(create_app(container))


def test_health_is_ok_on_a_live_database(engine: Engine) -> None:
    response = _client(engine).get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    database = body["components"]["database"]
    assert database["status"] == "ok"
    assert isinstance(database["latency_ms"], float)


def test_health_is_503_when_postgres_is_unreachable() -> None:
    # Port 9 (discard) is closed on loopback: a refused connection, as when PostgreSQL is stopped.
    dead = make_engine(
        "postgresql+psycopg://postgres@127.0.0.1:9/test", connect_args={"connect_timeout": 2}
    )
    response = _client(dead).get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["components"]["database"]["status"] == "down"
    dead.dispose()


def test_a_down_cache_degrades_but_stays_200(engine: Engine) -> None:
    response = _client(engine, redis_url="redis://127.0.0.1:9/0").get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"]["cache"]["status"] == "down"


def test_a_live_cache_is_reported_ok(engine: Engine, redis_url: str) -> None:
    body = _client(engine, redis_url=redis_url).get("/api/health").json()
    assert body["components"]["cache"]["status"] == "ok"
    assert body["status"] == "ok"


def test_container_from_settings_points_at_sqlite_by_default(tmp_path: object) -> None:
    container = build_container(Settings(data_dir=tmp_path))  # type: ignore[arg-type]
    assert container.engine.dialect.name == "sqlite"
    container.close()
