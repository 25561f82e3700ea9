"""The correlation id of the work in progress: an HTTP request, a job, a platform call.

A plain ContextVar so the HTTP middleware, the job middleware and the marketplace clients all read
and write the same value without importing each other.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("storesync_correlation_id", default=None)

# Accept ids from clients and upstream proxies when they are safe to echo into logs and headers.
_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def is_valid_correlation_id(value: str) -> bool:
    return bool(_VALID.match(value))


def current_correlation_id() -> str:
    """The bound id, or a fresh one bound now (background work that started without one)."""
    value = correlation_id.get()
    if value is None:
        value = new_correlation_id()
        correlation_id.set(value)
    return value
