"""Fixtures every tier shares: real PostgreSQL and Redis (skipped locally when absent, a failure
with CI=true), a fresh database per backend, and the app wired to it."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine, create_engine, text

from storesync.bootstrap import Container, build_container
from storesync.config import Settings
from storesync.db.engine import make_engine
from storesync.db.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "STORESYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("STORESYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing_service(what: str) -> None:
    """Locally a missing server skips its tests; in CI it fails them (never a silent green)."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but not reachable", pytrace=False)
    pytest.skip(f"{what} not reachable")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session; dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"storesync_t_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        admin.dispose()
        missing_service("PostgreSQL at " + PG_ADMIN_URL)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on each backend (tests using it run twice)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'storesync.db'}"
        upgrade(url)
        yield url
        return
    base = request.getfixturevalue("pg_server")
    # One schema per test keeps tests independent without creating a database each time.
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}?options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        missing_service("Redis at " + REDIS_URL)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(autouse=True)
def _logging_configuration_restored() -> Iterator[None]:
    """A command run in-process (`settings_or_exit` → `configure_logging`) reconfigures structlog
    and the root logger's level for the whole process; put both back so later tests' captured
    logs are not filtered by it."""
    saved = structlog.get_config()
    level = logging.getLogger().level
    yield
    structlog.configure(**saved)
    logging.getLogger().setLevel(level)


@pytest.fixture(autouse=True)
def _no_correlation_id_leaks() -> Iterator[None]:
    """Background work binds a correlation id when it starts without one; tests run on one
    thread, so reset it around each test instead of letting one test's id reach the next."""
    from storesync.observability.context import correlation_id

    token = correlation_id.set(None)
    yield
    correlation_id.reset(token)


@pytest.fixture
def make_container(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Container]]:
    """Build the real container on this test's database; `make_container(redis_url=...)` and
    any other setting override the defaults. Every container built is closed after the test."""
    from cryptography.fernet import Fernet

    built: list[Container] = []
    key = Fernet.generate_key().decode()

    def make(**overrides: Any) -> Container:
        fields: dict[str, Any] = {
            "database_url": database_url,
            "data_dir": tmp_path / "data",
            "secret_key": key,
        }
        container = build_container(Settings(**(fields | overrides)))
        built.append(container)
        return container

    yield make
    for container in built:
        container.close()
