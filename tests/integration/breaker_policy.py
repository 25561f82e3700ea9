"""The breaker policy the cross-process tests and their worker processes share."""

from storesync.resilience.breaker import BreakerPolicy

POLICY = BreakerPolicy(min_calls=10, open_s=30, probes=3)
