"""The one composition root: the only place that picks concrete adapters and wires them.

Entry points (API, CLI, worker start-up) call `build_container()` and hand its members on by
name; nothing below this module imports it. Nothing here runs at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import dramatiq
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

# The task modules: importing them registers their `@task`s, which the worker then binds.
from storesync.catalog import tasks as _catalog_tasks
from storesync.config import Settings, get_settings
from storesync.db.engine import make_engine, make_read_session_factory, make_session_factory
from storesync.deadletter.middleware import DeadLetterMiddleware
from storesync.deps import RequestDeps
from storesync.domain.platform import Platform
from storesync.listing import tasks as _listing_tasks
from storesync.marketplaces.base import MarketplaceClient, ShopCredentials, TokenSet
from storesync.marketplaces.shopee.client import ShopeeClient
from storesync.marketplaces.shopee.config import ShopeeAppConfig
from storesync.marketplaces.tiktok.client import TikTokClient
from storesync.marketplaces.tiktok.config import TikTokAppConfig
from storesync.observability.database import slow_queries
from storesync.observability.health import HealthCheck
from storesync.observability.sentry import init_sentry
from storesync.order import tasks as _order_tasks
from storesync.reconcile import tasks as _reconcile_tasks
from storesync.resilience.service import Resilience, build_resilience
from storesync.retention import tasks as _retention_tasks
from storesync.shop import tasks as _shop_tasks
from storesync.shop.clients import ShopClients
from storesync.shop.crypto import TokenCipher
from storesync.webhook import tasks as _webhook_tasks
from storesync.webhook.health import health_component as webhook_health
from storesync.worker.broker import make_broker
from storesync.worker.jobs import Jobs, MemoryPendingKeys, RedisPendingKeys
from storesync.worker.registry import declare_actors
from storesync.worker.scheduler import Schedule, Scheduler

TASK_MODULES = (
    _catalog_tasks,
    _listing_tasks,
    _order_tasks,
    _reconcile_tasks,
    _retention_tasks,
    _shop_tasks,
    _webhook_tasks,
)


@dataclass
class Container:
    """What one process runs with. Every member is built; `close()` closes what was opened."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: Redis[bytes] | None
    resilience: Resilience
    clients: ShopClients
    broker: dramatiq.Broker
    jobs: Jobs
    health_checks: list[HealthCheck] = field(default_factory=list)

    def task_dependencies(self) -> dict[str, object]:
        """What a task may name as a keyword-only parameter (worker/registry.py binds them)."""
        return {
            "db": self.session_factory,
            "clients": self.clients,
            "jobs": self.jobs,
            "settings": self.settings,
            "redis": self.redis,
        }

    def request_deps(self) -> RequestDeps:
        return RequestDeps(
            settings=self.settings,
            db=self.session_factory,
            jobs=self.jobs,
            clients=self.clients,
            resilience=self.resilience,
        )

    def scheduler(self, poll_interval_s: float | None = None) -> Scheduler:
        settings = self.settings
        schedule = Schedule(
            sweep_interval_s=settings.sweep_interval_s,
            poll_interval_s=poll_interval_s or settings.poll_interval_s,
            fast_poll_interval_s=settings.fast_poll_interval_s,
            reconcile_interval_s=settings.reconcile_interval_s,
            token_check_interval_s=settings.token_check_interval_s,
        )
        return Scheduler(self.session_factory, self.jobs, schedule)

    def close(self) -> None:
        self.clients.close()
        self.broker.close()
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()


def build_client(
    settings: Settings,
    platform: Platform,
    credentials: ShopCredentials | None,
    on_tokens: Callable[[TokenSet], None] | None,
) -> MarketplaceClient:
    """The plain mapping from platform to client class (no plugin discovery for two platforms)."""
    if platform is Platform.SHOPEE:
        shopee = ShopeeAppConfig(
            partner_id=settings.shopee_partner_id,
            partner_key=settings.shopee_partner_key,
            base_url=settings.shopee_base_url,
        )
        return ShopeeClient(shopee, credentials, on_tokens=on_tokens)
    tiktok = TikTokAppConfig(
        app_key=settings.tiktok_app_key,
        app_secret=settings.tiktok_app_secret,
        base_url=settings.tiktok_base_url,
        auth_url=settings.tiktok_auth_url,
    )
    return TikTokClient(tiktok, credentials, on_tokens=on_tokens)


def build_container(settings: Settings | None = None) -> Container:
    settings = settings or get_settings()
    # Here, not in each command: every process that serves or runs jobs builds this container,
    # and before the broker: Sentry's Dramatiq integration joins brokers as they are built.
    init_sentry(settings)
    engine = make_engine(
        settings.effective_database_url,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout_s=settings.db_pool_timeout_s,
        # Read per statement by the timing listeners that make_broker installs.
        execution_options=slow_queries(settings.slow_query_ms),
    )
    session_factory = make_session_factory(engine)
    redis = _redis(settings)
    # In memory on the embedded default; in Redis when configured, shared by every process.
    resilience = build_resilience(
        settings, redis, records=session_factory, reads=make_read_session_factory(engine)
    )
    clients = ShopClients(
        build=lambda platform, creds, on_tokens: build_client(settings, platform, creds, on_tokens),
        # The method, not its value: a running process picks up `storesync keys rotate|retire`.
        cipher=TokenCipher(settings.secret_keys),
        session_factory=session_factory,
        wrap=resilience.wrap,
    )
    # Building a broker opens no connection, so commands that never send a job pay nothing.
    broker = make_broker(settings.broker_url)
    broker.add_middleware(DeadLetterMiddleware(session_factory))
    pending = RedisPendingKeys(redis) if redis is not None else MemoryPendingKeys()
    container = Container(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        redis=redis,
        resilience=resilience,
        clients=clients,
        broker=broker,
        jobs=Jobs(broker, pending),
        health_checks=[
            *resilience.health_checks(),
            HealthCheck("webhooks", lambda: webhook_health(session_factory)),
        ],
    )
    declare_actors(broker, container.task_dependencies())
    return container


def _redis(settings: Settings) -> Redis[bytes] | None:
    if not settings.redis_url:
        return None
    # Short timeouts: Redis is a cache and a coordination aid; a slow Redis must degrade us,
    # not hang requests.
    return Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=1)
