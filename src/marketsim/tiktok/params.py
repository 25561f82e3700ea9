"""Reading request parameters strictly: a wrong type is the endpoint's "invalid params" error.

JSON bodies are parsed by hand rather than by pydantic models so that the platform's own error
codes come back, not FastAPI's 422.
"""

from __future__ import annotations

from typing import Any

from marketsim.tiktok import errors


def optional_int(body: dict[str, Any], name: str, error: errors.ErrorSpec) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    # bool is an int in Python, not in JSON schemas.
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.TikTokError(error, f"`{name}` must be an integer.")
    return value


def optional_str(body: dict[str, Any], name: str, error: errors.ErrorSpec) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.TikTokError(error, f"`{name}` must be a string.")
    return value


def str_list(body: dict[str, Any], name: str, error: errors.ErrorSpec) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.TikTokError(error, f"`{name}` must be a list of strings.")
    return value


def page_size(query: dict[str, str], error: errors.ErrorSpec, maximum: int = 100) -> int:
    """`page_size` is required on the search endpoints, 1..maximum."""
    raw = query.get("page_size")
    try:
        size = int(raw or "")
    except ValueError as exc:
        raise errors.TikTokError(error) from exc
    if not 1 <= size <= maximum:
        raise errors.TikTokError(error)
    return size


def in_range(value: int, low: int | None, high: int | None, *, high_inclusive: bool) -> bool:
    if low is not None and value < low:
        return False
    if high is None:
        return True
    return value <= high if high_inclusive else value < high
