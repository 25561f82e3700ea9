"""Every Prometheus metric StoreSync exports, named in this one file.

Names follow the playbook where it names them (`http_requests_total`, `sync_jobs_failed_total`)
and `storesync_*` otherwise; labels never carry shop, order or SKU ids (unbounded cardinality).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

http_requests_total = Counter(
    "http_requests_total",
    "HTTP requests served, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
http_request_duration_seconds = Histogram(
    "storesync_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
    registry=REGISTRY,
)


def observe_http(method: str, route: str, status: int, seconds: float) -> None:
    http_requests_total.labels(method, route, str(status)).inc()
    http_request_duration_seconds.labels(method, route).observe(seconds)


# --- dead letters, token lifecycle, webhook health (docs/reliability.md#queue-retries,
# docs/reliability.md#tokens, docs/reliability.md#webhook-health)
# ------------------------------------

sync_jobs_failed_total = Counter(
    "sync_jobs_failed",  # the client appends _total: the playbook's `sync_jobs_failed_total`
    "Recorded sync runs that ended failed, by kind (stock, orders, import, …).",
    ["kind"],
    registry=REGISTRY,
)
push_landed_late_total = Counter(
    "storesync_push_landed_late",
    "Listings whose push was confirmed after a newer push of theirs: pushed again at once.",
    registry=REGISTRY,
)
dead_letters_total = Counter(
    "storesync_dead_letters",
    "Jobs that exhausted their retries or failed for good, by task and error code.",
    ["task", "code"],
    registry=REGISTRY,
)
token_refreshes_total = Counter(
    "storesync_token_refreshes",
    "Proactive access-token refreshes, by platform and outcome (ok, refused, error).",
    ["platform", "outcome"],
    registry=REGISTRY,
)
shops_paused_total = Counter(
    "storesync_shops_paused",
    "Shops whose sync was paused by an unrecoverable authentication failure.",
    ["platform"],
    registry=REGISTRY,
)
poll_mode_changes_total = Counter(
    "storesync_poll_mode_changes",
    "Switches of a shop's order polling between normal and fast (webhooks quiet), by new mode.",
    ["mode"],
    registry=REGISTRY,
)

# --- retries, rate limits, circuit breakers (docs/reliability.md#retry-layers,
# docs/reliability.md#rate-limits, docs/reliability.md#circuit-breakers)
# -------------------------------------------

retries_total = Counter(
    "storesync_retries",
    "Retries by layer (call: inside one platform call; queue: the job again) and error code.",
    ["layer", "code"],
    registry=REGISTRY,
)
rate_limit_wait_seconds = Histogram(
    "storesync_rate_limit_wait_seconds",
    "Time a platform call waited for its shop's rate budget, by platform and endpoint family.",
    ["platform", "family"],
    buckets=(0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2),
    registry=REGISTRY,
)
rate_limit_deferred_total = Counter(
    "storesync_rate_limit_deferred",
    "Calls sent back to the queue because the rate budget was spent for longer than a call waits.",
    ["platform", "family"],
    registry=REGISTRY,
)
rate_limit_throttles_total = Counter(
    "storesync_rate_limit_throttles",
    "Adaptive rate drops after a platform 429, by platform and endpoint family.",
    ["platform", "family"],
    registry=REGISTRY,
)
breaker_state = Gauge(
    "storesync_breaker_state",
    "Circuit breakers currently open (automatically or forced), by platform.",
    ["platform"],
    registry=REGISTRY,
)
breaker_transitions_total = Counter(
    "storesync_breaker_transitions",
    "Circuit-breaker transitions, by platform and the state entered.",
    ["platform", "to_state"],
    registry=REGISTRY,
)

# --- webhook intake: deliveries that never became events (webhook/rejected.py) ----------------

webhook_rejected_total = Counter(
    "storesync_webhook_rejected",
    "Webhook deliveries not taken as events, by platform and reason (signature: forged or "
    "unsigned, answered 401; unparseable: signed but unreadable, acknowledged and dead-lettered).",
    ["platform", "reason"],
    registry=REGISTRY,
)

# --- transport hardening: requests refused before any handler ran (api/hardening.py) ----------

http_refused_total = Counter(
    "storesync_http_refused",
    "Requests refused at the door, by reason (host, nul_byte, body_too_large, bad_length, "
    "rate_limited).",
    ["reason"],
    registry=REGISTRY,
)
