"""Every knob StoreSync has, in one place, read from `STORESYNC_*` environment variables.

Units are in the names (`_s`, `_ms`) so nobody guesses. Invalid values fail at start-up with one
message naming the setting (see `load_settings`), never later in the middle of a sync, and never
quoting a secret: secret-named settings are not echoed, URLs are shown without their password.

The public demo app's credentials (the platform defaults below) are right only for the simulators
on this machine; `Settings.credential_problems()` names each one that would be sent elsewhere, and
the processes that call platforms (`storesync serve`, `storesync worker`) refuse to start on them.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import os
import re
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret
# Another process that won the race to create the key file may not have written it yet.
_KEY_FILE_WAIT_S = 5.0
# Never echoed in an error, whatever was wrong with them (names ending like these are hidden too).
SECRET_SETTINGS = frozenset(
    {"secret_key", "metrics_token", "shopee_partner_key", "tiktok_app_secret", "sentry_dsn"}
)
_SECRET_SUFFIXES = ("_secret", "_token", "_password", "_key")
_URL_PASSWORD = re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]*):[^@/\s]*@")
_SENTRY_DSN = re.compile(r"https?://[^@/\s]+@[^/\s]+/(?:[^\s]*/)?[0-9]+/?")


class ConfigurationError(Exception):
    """Raised at start-up for a bad setting; its message names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORESYNC_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".storesync"), description="where the embedded default keeps its files"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in data_dir", repr=False
    )
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # PostgreSQL's pool, per process (serve, each worker): 10 + 10 is SQLAlchemy's 5 + 10 raised
    # for the 4 worker threads plus the API's thread pool sharing one engine.
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connections kept open")
    db_max_overflow: int = Field(default=10, ge=0, description="opened beyond the pool at peaks")
    # Not SQLAlchemy's 30 s: a healthy checkout waits milliseconds (a request holds a connection
    # for tens of ms), so 5 s without one means the pool is exhausted, and a request waiting 30 s
    # is past any client's patience while holding a server thread. Fail it as a retryable 503
    # DATABASE_ERROR with Retry-After instead, and let the queue retry a job.
    db_pool_timeout_s: float = Field(
        default=5.0, gt=0, description="a checkout waits this long for a free connection"
    )
    # 500 ms: the playbook's slow-query alert threshold (observability/database.py logs them).
    slow_query_ms: int = Field(
        default=500, ge=0, description="log and count statements slower than this; 0 = off"
    )
    redis_url: str | None = Field(default=None, repr=False)
    broker_url: str | None = Field(
        default=None, description="redis:// or amqp://; unset = in-process worker", repr=False
    )
    secret_key: str | None = Field(
        default=None,
        description="Fernet keys for tokens at rest, comma-separated, newest first; "
        "default: kept in data_dir/secret.key",
        repr=False,
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

    # Access control and transport hardening (docs/security.md).
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host headers we answer; default: public_url's host plus loopback",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="request bodies above this are refused (413)"
    )
    metrics_access: Literal["public", "token", "off"] = Field(
        default="public", description="/metrics: open, bearer STORESYNC_METRICS_TOKEN, or off"
    )
    metrics_token: str | None = Field(
        default=None, description="bearer token for /metrics", repr=False
    )
    # A port per process, not multiprocess mode (worker/exposition.py says why).
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="/metrics of `storesync worker` and `scheduler`; unset or 0 = none",
    )
    session_idle_minutes: float = Field(
        default=60.0, gt=0, description="a dashboard session ends after this long unused"
    )
    # Generous for a person or a script that honours Retry-After (a bulk update of 200 SKUs goes
    # through in one burst); a flood or a password-guessing loop still meets 429s within seconds.
    api_rate_limit_rps: float = Field(
        default=50.0, gt=0, description="inbound requests/s per API key or client address"
    )
    api_rate_limit_burst: int = Field(default=200, ge=1)
    retention_days: float = Field(
        default=30.0, gt=0, description="webhook events, job records, notifications kept this long"
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    # Error reporting (observability/sentry.py). The DSN holds the project's key: never echoed.
    sentry_dsn: str | None = Field(
        default=None, description="Sentry DSN; unset = no error reporting", repr=False
    )
    sentry_environment: str = Field(default="production", description="Sentry's environment")

    shopee_partner_id: int = 2001887
    shopee_partner_key: str = Field(default="storesync-demo-partner-key", repr=False)
    shopee_base_url: str = "https://partner.shopeemobile.com"
    tiktok_app_key: str = "storesync-demo-app"
    tiktok_app_secret: str = Field(
        default="storesync-demo-secret",  # matches marketsim's demo app
        repr=False,
    )
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

    @field_validator("sentry_dsn")
    @classmethod
    def _sentry_dsn(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not _SENTRY_DSN.fullmatch(value.strip()):
            raise ValueError("must be a Sentry DSN: https://<public key>@<host>/<project id>")
        return value.strip()

    @field_validator("secret_key")
    @classmethod
    def _fernet_keys(cls, value: str | None) -> str | None:
        if value is not None and value.strip() and not all(map(is_fernet_key, split_keys(value))):
            raise ValueError(
                "must be Fernet keys (32 url-safe base64-encoded bytes each), comma-separated, "
                "newest first"
            )
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return _with_psycopg3(self.database_url)
        return f"sqlite:///{(self.data_dir / 'storesync.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    # -- tokens at rest ----------------------------------------------------------------------

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / SECRET_KEY_FILE

    @property
    def secret_keys_from_environment(self) -> bool:
        return bool(self.secret_key and self.secret_key.strip())

    def secret_keys(self) -> list[str]:
        """The Fernet keys, newest first: STORESYNC_SECRET_KEY, or data_dir/secret.key (one a
        line), which the first process to need it creates. Read afresh on every call, so a
        running process sees `storesync keys rotate|retire`."""
        if self.secret_key and self.secret_keys_from_environment:
            return split_keys(self.secret_key)
        return _read_or_create_key_file(self.secret_key_file)

    def ensure_secret_key(self) -> str:
        """`secret_keys()` spelled as STORESYNC_SECRET_KEY takes them (e.g. for a child process)."""
        return ",".join(self.secret_keys())

    def store_secret_keys(self, keys: Sequence[str]) -> None:
        """Replace the key file at once (never half-written): `storesync keys rotate|retire`."""
        if self.secret_keys_from_environment:
            raise ConfigurationError("The keys come from STORESYNC_SECRET_KEY; change it there.")
        if not keys or not all(map(is_fernet_key, keys)):
            raise ValueError("need at least one key, each a Fernet key")
        path = self.secret_key_file
        _private_dir(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        _write_new_file(temporary, "".join(f"{key}\n" for key in keys))
        os.replace(temporary, path)

    # -- platform credentials ----------------------------------------------------------------

    def credential_problems(self) -> list[str]:
        """One line per platform credential that is the public demo app's (or empty) while its
        platform's URL points beyond this machine. Empty: fine to call the platforms."""
        problems = []
        for urls, names in _CREDENTIALS:
            remote = next((u for u in (getattr(self, n) for n in urls) if not is_loopback(u)), None)
            if remote is None:
                continue  # the simulators: the demo app's credentials are the right ones
            for name in names:
                problem = self._credential_problem(name)
                if problem:
                    problems.append(f"{env_name(name)} {problem}; set the real one for {remote}")
        return problems

    def _credential_problem(self, name: str) -> str | None:
        value = getattr(self, name)
        if (isinstance(value, str) and not value.strip()) or (isinstance(value, int) and value < 1):
            return "is not set"
        if value == type(self).model_fields[name].default:
            return f"is the public demo {_CREDENTIAL_KIND[name]}"
        return None


# (URL settings, credential settings) per platform: demo credentials are refused when any of the
# URLs leaves this machine.
_CREDENTIALS = (
    (("shopee_base_url",), ("shopee_partner_id", "shopee_partner_key")),
    (("tiktok_base_url", "tiktok_auth_url"), ("tiktok_app_key", "tiktok_app_secret")),
)
_CREDENTIAL_KIND = {
    "shopee_partner_id": "partner id",
    "shopee_partner_key": "key",
    "tiktok_app_key": "app key",
    "tiktok_app_secret": "secret",
}


def env_name(field: str) -> str:
    return "STORESYNC_" + field.upper()


def is_loopback(url: str) -> bool:
    """Whether `url` names this machine (127.0.0.0/8, ::1, localhost): where the simulators run."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_keys(value: str) -> list[str]:
    return [key.strip() for key in value.replace("\n", ",").split(",") if key.strip()]


def is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def new_secret_key() -> str:
    # Fernet keys are 32 url-safe base64 bytes; made by hand so config needs no cryptography import.
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _read_or_create_key_file(path: Path) -> list[str]:
    if not path.exists():
        _private_dir(path.parent)
        key = new_secret_key()
        try:
            # Exclusive: of two processes starting on a fresh data_dir, one creates the key and
            # the other reads it; a check-then-write would let both write and one key be lost
            # along with every token it encrypted.
            _write_new_file(path, f"{key}\n")
        except FileExistsError:
            pass  # another process won the race: use theirs
        else:
            return [key]
    return _read_key_file(path)


def _read_key_file(path: Path) -> list[str]:
    deadline = time.monotonic() + _KEY_FILE_WAIT_S
    while True:
        keys = split_keys(path.read_text())
        if keys or time.monotonic() > deadline:
            break
        time.sleep(0.02)  # created a moment ago by another process, not yet written
    if not keys:
        raise ConfigurationError(
            f"{path} holds no key. If no shop is connected yet, delete it and a new one is made; "
            "otherwise restore it from your backup."
        )
    if not all(map(is_fernet_key, keys)):
        raise ConfigurationError(f"{path} holds something that is not a Fernet key (one a line).")
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        path.chmod(0o600)  # written by hand or by an older version: only we may read it
    return keys


def _write_new_file(path: Path, text: str) -> None:
    """Create `path` (failing if it exists), readable by this user only, and fsync it."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())


def _private_dir(path: Path) -> None:
    """The data directory holds the key and the database: this user only (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        path.chmod(0o700)


def _with_psycopg3(url: str) -> str:
    # Users write postgresql://…; SQLAlchemy would pick psycopg2, which we don't ship.
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def load_settings() -> Settings:
    """Read and validate settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings()
    except SettingsError as exc:  # a JSON setting that is not JSON; the message names it
        raise ConfigurationError(f"Invalid configuration: {exc}") from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = [str(p) for p in err["loc"]]
            name = "STORESYNC_" + "_".join(loc).upper()
            problems.append(f"{name}: {err['msg']} ({_shown(loc[0] if loc else '', err)})")
        raise ConfigurationError("Invalid configuration: " + "; ".join(problems)) from None


def _shown(field: str, err: Any) -> str:
    """What the error may say about the value: nothing for a secret, a URL without password."""
    if field in SECRET_SETTINGS or field.endswith(_SECRET_SUFFIXES):
        return "value not shown: it is a secret"
    value = repr(err.get("input"))
    value = _URL_PASSWORD.sub(r"\1:***@", value)
    return f"got {value[:120]}"


@functools.cache
def get_settings() -> Settings:
    return load_settings()
