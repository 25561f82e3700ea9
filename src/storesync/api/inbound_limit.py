"""The inbound rate limit: a token bucket per API key, else per client address → 429.

Abuse protection, not a quota: the buckets live in this process, so a scaled-out stack of N API
processes behind a proxy allows N times the rate, which is fine for stopping a runaway script or
a password-guessing loop. Behind a proxy the client address is the proxy's unless uvicorn is told
to trust its X-Forwarded-For (`--forwarded-allow-ips`); API keys are counted per key either way.

Not limited: `/api/health` and `/metrics` (probes and scrapers poll on their own schedule) and
the webhook receivers. A platform delivers from a few addresses in bursts (a flash sale), and a
429 counts as a failed delivery: Shopee disables a subscription whose success rate falls under
30 % and its missed pushes are gone (docs/reliability.md#webhook-intake). Forged floods are
bounded there by the body cap, a cheap HMAC check and the bounded rejection sample instead.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from storesync.api.envelope import error_response
from storesync.auth.tokens import digest
from storesync.errors import RateLimitError
from storesync.observability import metrics

EXEMPT_PATHS = frozenset({"/api/health", "/metrics"})
EXEMPT_PREFIXES = ("/webhooks/", "/api/health/")  # /api/health/live and /ready: probes too
# Only what looks like one of our keys gets a bucket of its own; anything else is counted
# against its address, so made-up tokens cannot each buy a fresh burst.
API_KEY = re.compile(r"ssk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")
# Buckets idle long enough are full again and can be forgotten; beyond this many the least
# recently used go first, so a scan of many addresses cannot grow memory without bound.
MAX_BUCKETS = 10_000


class TokenBuckets:
    """`take(key)`: 0 when a request may pass, else the seconds until one token is back."""

    def __init__(
        self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate_per_s
        self.burst = float(burst)
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key: (tokens, at)

    def take(self, key: str) -> float:
        now = self.clock()
        tokens, at = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)
        return wait


def bucket_key(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and API_KEY.fullmatch(token):
                return "key:" + digest(token)  # never looked up: the policy does that later
            break
    client = scope.get("client")
    return "addr:" + (client[0] if client else "unknown")


class InboundRateLimitMiddleware:
    def __init__(self, app: ASGIApp, rate_per_s: float, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate_per_s, burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(bucket_key(scope))
        if wait == 0:
            await self.app(scope, receive, send)
            return
        metrics.http_refused_total.labels("rate_limited").inc()
        error = RateLimitError(
            "Too many requests: slow down and retry after the time in Retry-After.",
            retry_after=math.ceil(wait),
            details={"rate_per_s": self.buckets.rate, "burst": int(self.buckets.burst)},
        )
        await error_response(error)(scope, receive, send)


def _exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)
