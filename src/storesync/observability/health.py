"""A named health check: one component of `GET /api/health` beyond the database, cache and
broker (breakers per platform, webhook health), added by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# {"status": "ok" | "degraded" | "down", ...whatever else the component reports}
Report = dict[str, Any]


@dataclass(frozen=True)
class HealthCheck:
    name: str
    check: Callable[[], Report]
