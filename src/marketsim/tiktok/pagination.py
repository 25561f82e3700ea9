"""Opaque page tokens bound to the query that produced them.

The platform's tokens are opaque and an empty `next_page_token` ends the walk. Ours encode an
offset plus a fingerprint of the filters, so a client that changes filters mid-walk gets an error
instead of silently skipping records.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from marketsim.tiktok import errors


def fingerprint(filters: dict[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode(offset: int, filters: dict[str, Any]) -> str:
    raw = f"{offset}:{fingerprint(filters)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, filters: dict[str, Any], error: errors.ErrorSpec) -> int:
    """Offset for a token; an empty token is the first page."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        offset_text, fp = base64.urlsafe_b64decode(padded).decode().split(":", 1)
        offset = int(offset_text)
    except ValueError as exc:
        raise errors.TikTokError(error) from exc
    if offset < 0 or fp != fingerprint(filters):
        raise errors.TikTokError(error)
    return offset


def page(
    items: list[Any], offset: int, size: int, filters: dict[str, Any]
) -> tuple[list[Any], str]:
    chunk = items[offset : offset + size]
    end = offset + len(chunk)
    return chunk, (encode(end, filters) if end < len(items) else "")
