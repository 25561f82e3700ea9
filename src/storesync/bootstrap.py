"""The one composition root: the only place that picks concrete adapters.

Entry points (API, CLI, worker) call `build_container()`; tests build their own `Container` or
override fields. Nothing here runs at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings, get_settings
from storesync.db.engine import make_engine, make_session_factory

if TYPE_CHECKING:
    import dramatiq
    from redis import Redis

    from storesync.marketplaces.base import MarketplaceClient, ShopCredentials, TokenSet
    from storesync.resilience.service import Resilience
    from storesync.shop.clients import ShopClients
    from storesync.worker.jobs import Jobs


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: Redis[bytes] | None = None
    broker: dramatiq.Broker | None = None
    _clients: ShopClients | None = None
    _jobs: Jobs | None = None
    # Breakers, rate budgets and retries around every platform call (resilience/).
    resilience: Resilience | None = None
    extras: dict[str, object] = field(default_factory=dict)
    closers: list[Callable[[], Any]] = field(default_factory=list)

    @property
    def clients(self) -> ShopClients:
        if self._clients is None:
            raise RuntimeError("this container was built without marketplace clients")
        return self._clients

    @property
    def jobs(self) -> Jobs:
        if self._jobs is None:
            raise RuntimeError("this container was built without a job broker")
        return self._jobs

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        if self._clients is not None:
            self._clients.close()
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def build_client(
    settings: Settings,
    platform: str,
    credentials: ShopCredentials | None,
    on_tokens: Callable[[TokenSet], None] | None,
) -> MarketplaceClient:
    """The plain mapping from platform to client class (no plugin discovery for two platforms)."""
    from storesync.domain.platform import Platform

    if Platform(platform) is Platform.SHOPEE:
        from storesync.marketplaces.shopee.client import ShopeeClient
        from storesync.marketplaces.shopee.config import ShopeeAppConfig

        app = ShopeeAppConfig(
            partner_id=settings.shopee_partner_id,
            partner_key=settings.shopee_partner_key,
            base_url=settings.shopee_base_url,
        )
        return ShopeeClient(app, credentials, on_tokens=on_tokens)
    from storesync.marketplaces.tiktok.client import TikTokClient
    from storesync.marketplaces.tiktok.config import TikTokAppConfig

    tiktok = TikTokAppConfig(
        app_key=settings.tiktok_app_key,
        app_secret=settings.tiktok_app_secret,
        base_url=settings.tiktok_base_url,
        auth_url=settings.tiktok_auth_url,
    )
    return TikTokClient(tiktok, credentials, on_tokens=on_tokens)


def build_container(settings: Settings | None = None, *, with_jobs: bool = True) -> Container:
    settings = settings or get_settings()
    engine = make_engine(
        settings.effective_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    session_factory = make_session_factory(engine)
    redis_client = None
    if settings.redis_url:
        from redis import Redis

        # Short timeouts: Redis is a cache and a coordination aid; a slow Redis must degrade us,
        # not hang requests.
        redis_client = Redis.from_url(
            settings.redis_url, socket_connect_timeout=1, socket_timeout=1
        )
    container = Container(
        settings=settings, engine=engine, session_factory=session_factory, redis=redis_client
    )
    container.resilience = _resilience(container)
    container._clients = _clients(settings, session_factory, container.resilience)
    if with_jobs:
        _wire_jobs(container)
    return container


def _resilience(container: Container) -> Resilience:
    """In memory on the embedded default; in Redis when configured, shared by every process."""
    from storesync.resilience.events import history_recorder
    from storesync.resilience.service import build_resilience

    resilience = build_resilience(
        container.settings, container.redis, [history_recorder(container.session_factory)]
    )
    checks = container.extras.setdefault("health_checks", {})
    assert isinstance(checks, dict)
    checks.update(resilience.health_checks())
    return resilience


def _clients(
    settings: Settings, session_factory: sessionmaker[Session], resilience: Resilience | None
) -> ShopClients:
    from storesync.shop.clients import ShopClients
    from storesync.shop.crypto import TokenCipher

    clients = ShopClients(
        build=lambda platform, creds, on_tokens: build_client(settings, platform, creds, on_tokens),
        cipher=TokenCipher(settings.ensure_secret_key()),
        session_factory=session_factory,
    )
    if resilience is not None:
        clients.wrap = resilience.wrap
    return clients


def _wire_jobs(container: Container) -> None:
    from storesync.deadletter.middleware import DeadLetterMiddleware
    from storesync.worker import runtime
    from storesync.worker.broker import make_broker
    from storesync.worker.jobs import Jobs, MemoryPendingKeys, RedisPendingKeys

    container.broker = make_broker(container.settings.broker_url)
    container.broker.add_middleware(DeadLetterMiddleware(container.session_factory))
    pending = (
        RedisPendingKeys(container.redis) if container.redis is not None else MemoryPendingKeys()
    )
    container._jobs = Jobs(container.broker, pending)
    runtime.install(container)
