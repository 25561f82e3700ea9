"""THE table from TikTok Shop's error signals to the StoreSync taxonomy
(docs/platforms/tiktok.md#errors-we-translate).

TikTok answers `{code, message, request_id, data}`; `code` 0 is success, and business errors
come back with HTTP 200 and a non-zero code, so the code decides, not the HTTP status. Code
36009004 is overloaded (bad token, timestamp, app key, unexpected shop_cipher…): only its message
tells them apart. HTTP 429 is a rate limit whatever the body says. Unknown codes become a
retryable PlatformAPIError carrying the raw answer: never swallowed, never guessed as final.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storesync.domain.platform import Platform
from storesync.errors import (
    AuthenticationError,
    AuthorizationError,
    NotFoundError,
    PlatformAPIError,
    PlatformRejectedError,
    RateLimitError,
    StoreSyncError,
    TokenExpiredError,
    ValidationError,
)
from storesync.marketplaces.http import parse_retry_after
from storesync.marketplaces.util import vendor_details

CODES: Mapping[int, type[StoreSyncError]] = {
    # Tokens and credentials.
    105002: TokenExpiredError,
    106001: AuthenticationError,  # bad sign
    101000: AuthenticationError,  # token not valid for this shop (authorization gone)
    36004001: AuthenticationError,  # refresh token expired
    36004004: AuthenticationError,  # invalid auth code
    36004005: AuthenticationError,  # no auth record: refresh token dead or grant revoked
    # Permission.
    105005: AuthorizationError,  # scope not granted
    36009033: AuthorizationError,  # IP not allow-listed
    # Traffic.
    36009002: RateLimitError,
    # Their side.
    36009003: PlatformAPIError,  # internal error
    36009007: PlatformAPIError,  # gateway timeout
    # Our request: routing, format, limits.
    106013: ValidationError,  # missing shop_cipher
    36009009: ValidationError,  # bad path
    36009010: ValidationError,  # bad method
    36009014: ValidationError,  # bad version
    36009022: ValidationError,  # body format
    12019109: ValidationError,  # page size
    12019027: ValidationError,  # too many seller_skus
    12019015: ValidationError,  # too many SKUs
    12019120: ValidationError,  # too many product ids
    12052180: ValidationError,  # > 10000 search results
    12052910: ValidationError,  # invalid product params
    12052036: ValidationError,  # SKU id required
    12052553: ValidationError,  # duplicate SKU id
    12052012: ValidationError,  # price format
    12052055: ValidationError,  # quantity out of range
    12019028: ValidationError,  # multi-warehouse SKU needs every warehouse listed
    21011001: ValidationError,  # order params
    22001001: ValidationError,  # event params
    # Records that are not there (deleted since we last looked).
    12019150: NotFoundError,  # product does not exist
    12052034: NotFoundError,  # product not in this shop
    12052557: NotFoundError,  # SKU not in this product
    12052097: NotFoundError,  # warehouse does not exist
    # Business rules: understood and refused.
    12052038: PlatformRejectedError,  # price locked by an active promotion
    12052084: PlatformRejectedError,  # currency not available for the shop
    12052990: PlatformRejectedError,  # SKU check failed (details in extra_errors)
}

OVERLOADED = 36009004
# (fragment of the lower-cased message, class); first match wins.
OVERLOADED_RULES: tuple[tuple[str, type[StoreSyncError]], ...] = (
    # A dead access token. TikTok does not say why (revoked, replaced, garbage); one refresh
    # decides: it heals a lost token and fails cleanly when the grant itself is gone.
    ("x-tts-access-token", TokenExpiredError),
    ("timestamp", AuthenticationError),  # clock skew: our signature is stale
    ("sign", AuthenticationError),
    ("app_key", AuthenticationError),
    ("app_secret", AuthenticationError),
    ("identifier", ValidationError),  # unexpected/missing shop_cipher
    ("version", ValidationError),
    ("param", ValidationError),
)


def classify(code: int, message: str) -> type[StoreSyncError]:
    if code == OVERLOADED:
        text = message.lower()
        for fragment, cls in OVERLOADED_RULES:
            if fragment in text:
                return cls
        return AuthenticationError  # its remaining uses are all credential problems
    return CODES.get(code, PlatformAPIError)


def details(
    code: int | None, message: str | None, request_id: str | None, **more: Any
) -> dict[str, Any]:
    return vendor_details(Platform.TIKTOK.value, code, message, request_id, **more)


def error_from_response(
    http_status: int,
    payload: Mapping[str, Any] | None,
    headers: Mapping[str, str],
    *,
    path: str,
    raw_text: str = "",
) -> StoreSyncError | None:
    """The taxonomy error for one answer, or None when it is a success."""
    raw_code = payload.get("code") if payload is not None else None
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    message = str(payload.get("message") or "") if payload is not None else ""
    request_id = payload.get("request_id") if payload is not None else None
    request_id = request_id if isinstance(request_id, str) else None
    if 200 <= http_status < 300 and code == 0:
        return None
    extra: dict[str, Any] = {"http_status": http_status, "path": path}
    cls: type[StoreSyncError]
    if http_status == 429:
        cls = RateLimitError
    elif code is not None and code != 0:
        cls = classify(code, message)
    elif http_status in (401, 403):
        cls = AuthenticationError if http_status == 401 else AuthorizationError
    else:
        # 5xx, an HTML page, an empty body, or a "success" that is not an envelope.
        cls = PlatformAPIError
        extra["raw"] = raw_text[:2000]
    retry_after = parse_retry_after(headers.get("retry-after")) if cls is RateLimitError else None
    text = f"TikTok Shop {path}: " + (f"{code} {message}" if code else f"HTTP {http_status}")
    return cls(
        text, details=details(code, message or None, request_id, **extra), retry_after=retry_after
    )


def sku_failure(entry: Mapping[str, Any], *, request_id: str | None) -> StoreSyncError:
    """One `data.errors[]` entry of a call answered with code 0."""
    raw_code = entry.get("code")
    code = raw_code if isinstance(raw_code, int) else -1
    message = str(entry.get("message") or "")
    detail = entry.get("detail") if isinstance(entry.get("detail"), dict) else {}
    assert isinstance(detail, dict)
    cls = classify(code, message)
    if cls is PlatformAPIError:
        # An item-level refusal we have no row for: the call itself worked, so it is about
        # this SKU's data, not a transient failure.
        cls = PlatformRejectedError
    sku_id = detail.get("sku_id")
    extra_errors = detail.get("extra_errors") or None
    return cls(
        f"TikTok Shop refused SKU {sku_id}: {code} {message}",
        details=details(code, message, request_id, sku_id=sku_id, extra_errors=extra_errors),
    )
