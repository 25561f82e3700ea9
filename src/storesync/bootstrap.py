"""The one composition root: the only place that picks concrete adapters.

Entry points (API, CLI, worker) call `build_container()`; tests build their own `Container` or
override fields. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings, get_settings
from storesync.db.engine import make_engine, make_session_factory

if TYPE_CHECKING:
    from redis import Redis


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: Redis[bytes] | None = None
    extras: dict[str, object] = field(default_factory=dict)

    def close(self) -> None:
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def build_container(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    engine = make_engine(
        settings.effective_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    redis_client = None
    if settings.redis_url:
        from redis import Redis

        # Short timeouts: Redis is a cache and a coordination aid; a slow Redis must degrade us,
        # not hang requests.
        redis_client = Redis.from_url(
            settings.redis_url, socket_connect_timeout=1, socket_timeout=1
        )
    return Container(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        redis=redis_client,
    )
