"""The probes beside `/api/health`: live answers whenever the process does, without touching the
database; ready answers 200 only while the database, broker and cache all answer, else 503
naming the failing ones and nothing more. Neither is rate limited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from storesync.api.app import create_app
from storesync.bootstrap import Container

MakeContainer = Callable[..., Container]
# Port 9 (discard) is closed on loopback: refused at once, as when the server is stopped.
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2"
DEAD_REDIS = "redis://127.0.0.1:9/0"


def _client(container: Container) -> TestClient:
    return TestClient(create_app(container), base_url="http://127.0.0.1")


def _checkouts(container: Container) -> list[object]:
    """Every connection taken from the engine's pool from now on."""
    taken: list[object] = []
    event.listen(container.engine, "checkout", lambda *args: taken.append(args))
    return taken


def test_live_answers_without_touching_the_database(make_container: MakeContainer) -> None:
    container = make_container()
    client = _client(container)
    taken = _checkouts(container)
    response = client.get("/api/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert taken == []


def test_live_stays_200_while_the_database_is_down(make_container: MakeContainer) -> None:
    client = _client(make_container(database_url=DEAD_DATABASE))
    assert client.get("/api/health").status_code == 503  # the database is really gone
    response = client.get("/api/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_200_when_everything_answers(make_container: MakeContainer) -> None:
    container = make_container()
    taken = _checkouts(container)
    response = _client(container).get("/api/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert taken  # it did ask the database


def test_ready_is_200_with_a_live_redis_as_cache_and_broker(
    make_container: MakeContainer, redis_url: str
) -> None:
    client = _client(make_container(redis_url=redis_url, broker_url=redis_url))
    assert client.get("/api/health/ready").json() == {"status": "ready"}


@pytest.mark.parametrize(
    ("settings", "failing"),
    [
        ({"database_url": DEAD_DATABASE}, ["database"]),
        ({"redis_url": DEAD_REDIS}, ["cache"]),
        ({"broker_url": DEAD_REDIS}, ["broker"]),
        ({"database_url": DEAD_DATABASE, "redis_url": DEAD_REDIS}, ["database", "cache"]),
    ],
    ids=["database", "cache", "broker", "database-and-cache"],
)
def test_ready_is_503_naming_only_the_failing_components(
    make_container: MakeContainer, settings: dict[str, Any], failing: list[str]
) -> None:
    response = _client(make_container(**settings)).get("/api/health/ready")
    assert response.status_code == 503
    # Names only: no host, port, driver message or exception type for an anonymous caller.
    assert response.json() == {"status": "not_ready", "failing": failing}


def test_the_probes_are_never_rate_limited(make_container: MakeContainer) -> None:
    client = _client(make_container(api_rate_limit_rps=0.001, api_rate_limit_burst=1))
    for _ in range(5):
        assert client.get("/api/health/live").status_code == 200
        assert client.get("/api/health/ready").status_code == 200
    assert client.get("/api/v1/jobs").status_code == 401  # the one request the bucket allows
    assert client.get("/api/v1/jobs").status_code == 429  # the limit is on: the probes are exempt
