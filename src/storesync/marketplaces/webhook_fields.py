"""Strict reading of signed webhook bodies, shared by the Shopee and TikTok parsers.

A verified push can still be odd: non-ASCII digits (`"²".isdigit()` is true, `int("²")`
raises), stamps no datetime can hold (`1e20`), nesting past the decoder's recursion limit, a
field of the wrong type. Each escaped as ValueError, OverflowError or RecursionError — a 500,
which platforms retry for hours. Every reader here raises ValidationError instead, so intake
acknowledges the push and parks it for a person (webhook/unparseable.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

from storesync.domain.platform import Platform
from storesync.errors import ValidationError
from storesync.marketplaces.util import utc_from_unix

# Real pushes nest three or four levels; 32 stays far under the decoder's (~1000) and the
# hasher's recursion limits, which the threadpool's stack depth makes uneven.
MAX_DEPTH = 32
MAX_UNIX_S = 4_102_444_800  # 2100-01-01: later than any real event stamp
MAX_INT = 2**63 - 1  # a BIGINT; no platform code, id or stamp is larger
ID_LENGTH = 64  # Shop.external_id and Order.external_id are 64 wide
EVENT_ID_LENGTH = 128  # WebhookEvent.event_id

LABEL = {Platform.SHOPEE: "Shopee push", Platform.TIKTOK: "TikTok webhook"}


def invalid(platform: Platform, problem: str, field: str | None = None) -> ValidationError:
    details: dict[str, Any] = {"platform": platform.value}
    if field is not None:
        details["field"] = field
    return ValidationError(f"{LABEL[platform]} {problem}", details=details)


@contextmanager
def odd_values_refused(platform: Platform) -> Iterator[None]:
    """The second line behind the readers: any value error while mapping is a bad body, not a
    bug of ours (e.g. a lone surrogate from a `\\ud800` escape fails the content hash)."""
    try:
        yield
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise invalid(platform, f"cannot be read ({type(exc).__name__})") from exc


def load_object(raw_body: bytes | str, platform: Platform, field: str = "body") -> dict[str, Any]:
    """A JSON object of bounded depth from UTF-8 text (a BOM is tolerated)."""
    try:
        text = raw_body.decode("utf-8-sig") if isinstance(raw_body, bytes) else raw_body
        payload = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise invalid(platform, f"{field} is not JSON", field) from exc
    if not isinstance(payload, dict):
        raise invalid(platform, f"{field} is not an object", field)
    if not _depth_within(payload, MAX_DEPTH):
        raise invalid(platform, f"{field} nests deeper than {MAX_DEPTH} levels", field)
    return payload


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON not


def _depth_within(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > limit:
            return False
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return True


def optional_int(value: Any, platform: Platform, field: str) -> int | None:
    """A non-negative whole number, or a string of ASCII digits; None/"" when absent."""
    if value is None or value == "":
        return None
    number = _whole(value)
    if number is None or not 0 <= number <= MAX_INT:
        raise invalid(platform, f"field `{field}` is not a whole number", field)
    return number


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    # ASCII only: "²" and "١٢" are digits to str.isdigit, and int() fails on the first.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return None


def optional_time(value: Any, platform: Platform, field: str) -> datetime | None:
    """Unix seconds; 0 counts as absent (some pushes send it for 'no stamp')."""
    seconds = optional_int(value, platform, field)
    if not seconds:
        return None
    if seconds > MAX_UNIX_S:
        raise invalid(platform, f"field `{field}` is not a unix time", field)
    return utc_from_unix(seconds)


def optional_id(
    value: Any, platform: Platform, field: str, max_length: int = ID_LENGTH
) -> str | None:
    """An id sent as a string or a number; printable and short enough for its column (NUL and
    lone surrogates fail PostgreSQL's parameters, an over-long id its VARCHAR)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(optional_int(value, platform, field))
    return optional_text(value, platform, field, max_length)


def optional_text(
    value: Any, platform: Platform, field: str, max_length: int = ID_LENGTH
) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_length or not value.isprintable():
        raise invalid(platform, f"field `{field}` is not a short printable string", field)
    return value
