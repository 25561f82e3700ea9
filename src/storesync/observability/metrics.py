"""Every Prometheus metric StoreSync exports, named in this one file.

Names follow the playbook where it names them (`http_requests_total`, `sync_jobs_failed_total`,
`sync_jobs_total`) and `storesync_*` otherwise, units in the name (`_seconds`), counters named
without `_total` (the client appends it). Labels never carry order or SKU ids (unbounded
cardinality); the one shop id is on the authorization gauge, one series per connected shop.

Every process exports this registry: `storesync serve` at `/metrics`, `storesync worker` and
`storesync scheduler` on `STORESYNC_METRICS_PORT` (worker/exposition.py). A few values are read
when scraped rather than kept here (database pool and `storesync_db_up`:
observability/database.py; queue depth: worker/exposition.py); their names are below too.

Deployment-wide state that lives in the database (open dead letters, shops polling fast, grants
ending) is published by the scheduler alone, one per deployment (worker/gauges.py): a gauge kept
by every process would disagree between them and start from zero after each restart.
"""

from __future__ import annotations

from importlib import metadata

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)

# process_resident_memory_bytes, process_cpu_seconds_total, process_start_time_seconds, … of this
# process: the worker-memory-growth alert reads them.
ProcessCollector(registry=REGISTRY)


def _version() -> str:
    try:
        return metadata.version("storesync")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


build_info = Gauge(
    "storesync_build_info",
    "Always 1; the running version in its label (join on it to tell a rollout's processes).",
    ["version"],
    registry=REGISTRY,
)
build_info.labels(_version()).set(1)

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

# --- sync runs (job/records.py): the playbook's success rate is 1 - failed / all ---------------

sync_jobs_total = Counter(
    "sync_jobs",  # the playbook-style name beside `sync_jobs_failed_total`
    "Recorded sync runs that ended, by kind and outcome (succeeded, partial: some items failed, "
    "failed).",
    ["kind", "outcome"],
    registry=REGISTRY,
)

# --- platform calls (marketplaces/http.py: every request to Shopee or TikTok goes through it) --

platform_requests_total = Counter(
    "storesync_platform_requests",
    "Requests sent to a platform, by platform, endpoint family, outcome (ok, error) and the "
    "taxonomy code of the error (empty when ok).",
    ["platform", "family", "outcome", "code"],
    registry=REGISTRY,
)
platform_request_duration_seconds = Histogram(
    "storesync_platform_request_duration_seconds",
    "Platform request latency, send to answer read, by platform and endpoint family.",
    ["platform", "family"],
    # The read timeout is 15 s (marketplaces/http.py Timeouts): the last bucket catches it.
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15),
    registry=REGISTRY,
)

# --- errors, whatever raised them: every job attempt that failed, classified (worker/middleware)

errors_total = Counter(
    "storesync_errors",
    "Failed job attempts by taxonomy code and severity (an exception outside the taxonomy is "
    "INTERNAL_ERROR, critical: a bug).",
    ["code", "severity"],
    registry=REGISTRY,
)

# --- the database (observability/database.py: SQLAlchemy events, pool read when scraped) -------

db_query_duration_seconds = Histogram(
    "storesync_db_query_duration_seconds",
    "Database statement latency, cursor execute to result (the playbook's alert: average > 0.5 s).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
DB_UP = "storesync_db_up"
DB_POOL_IN_USE = "storesync_db_pool_in_use"
DB_POOL_OVERFLOW = "storesync_db_pool_overflow"
DB_POOL_WAITS = "storesync_db_pool_waits"  # a counter: exported as storesync_db_pool_waits_total

# --- queues (worker/): what waits, and how long a job waited before it started -----------------

QUEUE_DEPTH = "storesync_queue_depth"  # read from the broker when scraped (worker/exposition.py)
job_age_seconds = Histogram(
    "storesync_job_age_seconds",
    "Time a job waited in its queue: enqueued (or due, when delayed) to started, by queue.",
    ["queue"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900),
    registry=REGISTRY,
)

# --- webhooks and sync lag (webhook/service.py, listing/push.py) -------------------------------

webhook_lag_seconds = Histogram(
    "storesync_webhook_lag_seconds",
    "A verified webhook's first delivery: the platform's event time to our receipt, by platform "
    "(platform clock skew included; an event stamped ahead of us counts as 0).",
    ["platform"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600),
    registry=REGISTRY,
)
sync_lag_seconds = Histogram(
    "storesync_sync_lag_seconds",
    "A stock change (an order seen, an adjustment) to one shop's confirmation of the new value, "
    "per listing; the slowest shop of a change is the sync's end, so read the upper quantiles.",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900, 3600),
    registry=REGISTRY,
)

# --- deployment-wide state, published by the scheduler alone (worker/gauges.py) ----------------
# Absent from the other processes' scrapes rather than 0: a worker knows nothing of them.

DEAD_LETTERS_OPEN = "storesync_dead_letters_open"
SHOPS_FAST_POLLING = "storesync_shops_fast_polling"
AUTHORIZATION_EXPIRES_IN = "storesync_authorization_expires_in_seconds"  # {platform, shop_id}

# --- database: pool exhaustion and slow statements (issue 13; observability/database.py) -------
# Read from the pool when scraped, like the waits: checkouts that waited out the pool timeout.
DB_POOL_EXHAUSTED = "storesync_db_pool_exhausted"  # a counter: storesync_db_pool_exhausted_total
db_slow_queries_total = Counter(
    "storesync_db_slow_queries",
    "Statements slower than STORESYNC_SLOW_QUERY_MS (each also logged as slow_query).",
    registry=REGISTRY,
)
