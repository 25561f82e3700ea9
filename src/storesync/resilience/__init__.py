"""The playbook's level-1 automated responses around every platform call.

Each call a shop's client makes passes, per attempt, through (docs/reliability.md#retry-layers):

  circuit breaker (per platform and shop)  → refuses at once while the platform is failing
  rate limiter (per shop and endpoint family, adaptive on 429, ramped after recovery)
  the platform call itself
  in-call retry (≤ 3 attempts, < 10 s, transient classes only, Retry-After honoured)

What the call layer gives up on goes to the job queue (`worker/registry.py`: exponential backoff,
or exactly the error's `retry_after` via `resilience.queue`), and what the queue gives up on is
healed by polling and reconciliation. State is in-process on the embedded default and in Redis
when `STORESYNC_REDIS_URL` is set, so every process shares one budget and one breaker.

  client.py     ResilientClient: the MarketplaceClient decorator applying all of the above
  families.py   protocol method → endpoint family, estimated platform calls, in-call retry or not
  retry.py      full-jitter backoff and the bounded in-call retry loop
  ratelimit.py  GCRA budgets (pyrate-limiter) scaled by an adaptive factor and the breaker's ramp
  breaker.py    the breaker's states and transitions (pure) and the shared `Breakers`
  state.py      where breaker and limiter state lives: memory or Redis
  service.py    `Resilience`: built once per process by bootstrap, wraps clients, operator actions
  events.py     transitions → `breaker_events` rows, metrics and logs
  queue.py      queue-layer delays (Retry-After, breaker cool-down) and retry counting
"""
