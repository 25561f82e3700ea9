"""Every knob StoreSync has, in one place, read from `STORESYNC_*` environment variables.

Units are in the names (`_s`, `_ms`) so nobody guesses. Invalid values fail at start-up with one
message naming the setting (see `load_settings`), never later in the middle of a sync.
"""

from __future__ import annotations

import base64
import functools
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(Exception):
    """Raised at start-up for a bad setting; its message names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORESYNC_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".storesync"), description="where the embedded default keeps its files"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in data_dir"
    )
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    redis_url: str | None = None
    broker_url: str | None = Field(
        default=None, description="redis:// or amqp://; unset = in-process worker"
    )
    secret_key: str | None = Field(
        default=None, description="Fernet key for tokens at rest; default: kept in data_dir"
    )

    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=1, le=65535)
    public_url: str | None = Field(default=None, description="base URL platforms reach us at")

    poll_interval_s: float = Field(default=60.0, gt=0, description="order polling per shop")
    sweep_interval_s: float = Field(default=5.0, gt=0, description="re-enqueue dirty work")
    reconcile_interval_s: float = Field(
        default=3600.0, ge=0, description="read back every listing and order window; 0 = off"
    )
    worker_threads: int = Field(default=4, ge=1, le=64)
    fast_poll_interval_s: float = Field(
        default=10.0, gt=0, description="order polling of a shop whose webhooks went quiet"
    )
    webhook_quiet_s: float = Field(
        default=120.0, gt=0, description="no webhook for this long while orders change = quiet"
    )
    token_refresh_margin_s: float = Field(
        default=1800.0, gt=0, description="refresh access tokens expiring within this"
    )
    token_check_interval_s: float = Field(
        default=300.0, gt=0, description="how often to look for tokens due for refresh"
    )
    authorization_warning_days: float = Field(
        default=7.0, ge=0, description="warn this long before a shop's authorization ends"
    )

    # In-call retries (docs/reliability.md#in-call-retries): transient classes only, full-jitter
    # backoff.
    retry_attempts: int = Field(default=3, ge=1, le=3, description="per call, the first included")
    retry_budget_s: float = Field(default=9.0, gt=0, lt=10, description="no retry starts after")
    retry_base_s: float = Field(default=0.25, gt=0, description="backoff = rand(0, base*2^n)")
    retry_cap_s: float = Field(default=2.0, gt=0, description="backoff ceiling")
    # Outbound rate budgets per shop and endpoint family (resilience/ratelimit.py has the why).
    ratelimit_rps: float = Field(default=10.0, gt=0, description="calls/s per shop and family")
    ratelimit_burst: int = Field(default=10, ge=1)
    ratelimit_family_rps: dict[str, float] = Field(
        default_factory=dict, description='JSON overrides, e.g. {"tiktok:stock": 20, "auth": 2}'
    )
    ratelimit_max_wait_s: float = Field(
        default=2.0, ge=0, description="a call blocks this long at most; then the queue waits"
    )
    ratelimit_recovery_window_s: float = Field(
        default=10.0, gt=0, description="after a 429, +10 % of the budget per quiet window"
    )
    # Circuit breakers per platform and shop (Resilience4j's defaults, shorter cool-down).
    breaker_failure_rate: float = Field(default=0.5, gt=0, le=1)
    breaker_min_calls: int = Field(default=10, ge=1, description="in the window, to judge")
    breaker_window_s: float = Field(default=60.0, gt=0)
    breaker_open_s: float = Field(default=30.0, gt=0, description="cool-down before probes")
    breaker_probes: int = Field(default=3, ge=1, description="successes needed to close")
    breaker_ramp_step_s: float = Field(
        default=10.0, gt=0, description="after closing: 10/25/50/100 % of budget per step"
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    shopee_partner_id: int = 2001887
    shopee_partner_key: str = "storesync-demo-partner-key"
    shopee_base_url: str = "https://partner.shopeemobile.com"
    tiktok_app_key: str = "storesync-demo-app"
    tiktok_app_secret: str = "storesync-demo-secret"  # noqa: S105 (matches marketsim's demo app)
    tiktok_base_url: str = "https://open-api.tiktokglobalshop.com"
    tiktok_auth_url: str = "https://auth.tiktok-shops.com"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return _with_psycopg3(self.database_url)
        return f"sqlite:///{(self.data_dir / 'storesync.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def ensure_secret_key(self) -> str:
        """The Fernet key: from the environment, or created once and kept in data_dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            # Fernet keys are 32 url-safe base64 bytes; made by hand so config needs no
            # cryptography import.
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.urlsafe_b64encode(secrets.token_bytes(32)))
            path.chmod(0o600)
        return path.read_text().strip()


def _with_psycopg3(url: str) -> str:
    # Users write postgresql://…; SQLAlchemy would pick psycopg2, which we don't ship.
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def load_settings() -> Settings:
    """Read and validate settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "STORESYNC_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigurationError("Invalid configuration: " + "; ".join(problems)) from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()
