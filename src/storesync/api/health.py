"""`GET /api/health`: is each component up, and how fast does it answer.

The database is essential (down → 503, status "down"); Redis and the broker are optional (down →
"degraded", still 200, because the product keeps working on the database alone); so does an open
circuit breaker or a shop that fell back to fast polling.

Anyone may ask whether StoreSync is up (load balancers, uptime checks); only a viewer sees the
components, shop ids and counters behind the answer.

Two probes beside it, public and never rate limited, for orchestrators and external checks:

  /api/health/live   the process answers: 200 always, nothing else touched (restart if not)
  /api/health/ready  the database, the broker and the cache this process was configured with
                     all answer: 200, else 503 naming the failing ones (send no traffic)

Ready is stricter than /api/health (a down cache only degrades that): a process whose Redis or
broker is away cannot enqueue or coordinate what a request starts.
"""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from storesync import __version__
from storesync.auth.identity import Role
from storesync.auth.policy import PUBLIC, MaybeActor
from storesync.bootstrap import Container

router = APIRouter()


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        return {
            "status": "down",
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "error": type(exc).__name__,
        }
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _check_database(container: Container) -> dict[str, Any]:
    def ping() -> None:
        with container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return _timed(ping)


def _check_cache(container: Container) -> dict[str, Any]:
    if container.redis is None:
        return {"status": "disabled"}
    redis = container.redis
    return _timed(lambda: redis.ping())


def _check_broker(container: Container) -> dict[str, Any]:
    url = container.settings.broker_url
    if not url:
        return {"status": "ok", "kind": "in-process"}
    parts = urlsplit(url)

    def connect() -> None:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            pass

    return {**_timed(connect), "kind": parts.scheme}


def health_report(container: Container) -> tuple[int, dict[str, Any]]:
    components = {
        "database": _check_database(container),
        "cache": _check_cache(container),
        "broker": _check_broker(container),
    }
    for check in container.health_checks:
        components[check.name] = check.check()
    if components["database"]["status"] != "ok":
        overall = "down"
    elif any(c.get("status") in {"down", "degraded"} for c in components.values()):
        # An optional part down, a breaker open or a shop polling because its webhooks went
        # quiet: the product still works, but not as designed — say so.
        overall = "degraded"
    else:
        overall = "ok"
    return (503 if overall == "down" else 200), {
        "status": overall,
        "version": __version__,
        "components": components,
    }


def readiness_failures(container: Container) -> list[str]:
    """The components readiness needs that do not answer, by name (none: ready). Breakers and
    webhook health are left out: they degrade the product, they do not stop it."""
    results = {
        "database": _check_database(container),
        "broker": _check_broker(container),
        "cache": _check_cache(container),
    }
    return [name for name, result in results.items() if result["status"] == "down"]


@router.get(
    "/api/health/live",
    tags=["operations"],
    summary="Liveness: the process answers",
    dependencies=[PUBLIC],
)
async def live() -> dict[str, str]:
    # Nothing but the process: restarting a healthy process during a database outage brings
    # the database no closer. (PUBLIC looks a key up only when one is sent; probes send none.)
    return {"status": "ok"}


@router.get(
    "/api/health/ready",
    tags=["operations"],
    summary="Readiness: database, broker and cache answer",
    dependencies=[PUBLIC],
)
def ready(request: Request) -> JSONResponse:
    failing = readiness_failures(request.app.state.container)
    if failing:  # names only: hosts and driver messages are for /api/health's viewers and logs
        return JSONResponse({"status": "not_ready", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/api/health", tags=["operations"], summary="Component health", dependencies=[PUBLIC])
def health(request: Request, who: MaybeActor) -> JSONResponse:
    status_code, body = health_report(request.app.state.container)
    if who is None or not who.role.allows(Role.VIEWER):
        body = {"status": body["status"]}
    return JSONResponse(body, status_code=status_code)
