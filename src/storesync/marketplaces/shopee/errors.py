"""THE table from Shopee's error signals to the StoreSync taxonomy
(docs/platforms/shopee.md#errors-we-translate).

Shopee answers errors in the envelope `{request_id, error, message}` and documents no HTTP
statuses, so the `error` string decides, refined by the message where Shopee overloads one string
(`error_auth` carries bad tokens, bad partner ids AND business rejections). HTTP 429 and 5xx
without a readable envelope are classified by status. Everything unknown becomes a retryable
PlatformAPIError carrying the raw answer: never swallowed, never guessed as final.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
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


@dataclass(frozen=True, slots=True)
class Rule:
    error: str
    cls: type[StoreSyncError]
    # Lower-case fragment the message must contain; None matches any message. First match wins.
    message_contains: str | None = None


RULES: tuple[Rule, ...] = (
    # Signature and app credentials.
    Rule("error_sign", AuthenticationError),
    Rule("error_param", AuthenticationError, "sign"),  # "There is no sign in query."
    # Clock skew beyond the 5-minute window: our signature is stale, not our payload wrong.
    Rule("error_param", AuthenticationError, "timestamp"),
    # Token endpoints answer a dead refresh token or auth code as a parameter error.
    Rule("error_param", AuthenticationError, "refresh_token"),
    Rule("error_param", AuthenticationError, "invalid code"),
    Rule("invalid_partner_id", AuthenticationError),
    Rule("error_partner_key_expired", AuthenticationError),
    # Access tokens. Shopee does not tell expired from invalid ("Invalid access_token." for both);
    # the client refreshes once on TokenExpiredError, and a second rejection becomes final.
    Rule("invalid_acceess_token", TokenExpiredError),  # (sic) Shopee's spelling
    Rule("invalid_access_token", TokenExpiredError),
    Rule("error_auth", AuthenticationError, "refresh_token"),  # checked before "access_token"
    Rule("error_auth", TokenExpiredError, "access_token"),
    Rule("error_auth", AuthenticationError, "partner_id"),
    Rule("error_auth", AuthenticationError, "shopid"),
    Rule("error_auth", AuthenticationError, "shop_id"),
    Rule("error_auth", PlatformRejectedError),  # also carries business rejections
    # Authorization ended or never existed: reconnect the shop.
    Rule("shop_no_linked", AuthenticationError),
    Rule("partner_shop_no_link", AuthenticationError),
    Rule("invalid_code", AuthenticationError),
    Rule("refresh_token_expired", AuthenticationError),
    Rule("error_shop_refresh_token", AuthenticationError),
    Rule("invalid_refresh_token", AuthenticationError),
    # Permission and scope.
    Rule("error_permission", AuthorizationError),
    Rule("error_api_permission", AuthorizationError),
    Rule("shop_banned", AuthorizationError),
    Rule("source_ip_undeclared", AuthorizationError),
    # Traffic.
    Rule("error_rate_limit", RateLimitError),
    Rule("error_limit", RateLimitError),  # the daily quota; resets at 00:00 UTC+8
    # Our input.
    Rule("error_not_found", NotFoundError),
    Rule("error_item_not_found", NotFoundError),
    Rule("error_param", ValidationError),
    Rule("order.order_list_invalid_time", ValidationError),
    # Their side.
    Rule("error_server", PlatformAPIError),
    Rule("error_inner", PlatformAPIError),
    Rule("error_system_busy", PlatformAPIError),
    Rule("error_busi", PlatformRejectedError),
)

_SHOPEE_TZ = timezone(timedelta(hours=8))


def classify(error: str, message: str) -> type[StoreSyncError]:
    text = message.lower()
    for rule in RULES:
        if rule.error == error and (rule.message_contains is None or rule.message_contains in text):
            return rule.cls
    if error.endswith(("not_found", "not_exist")):
        return NotFoundError
    return PlatformAPIError


def seconds_until_quota_reset(now: datetime) -> float:
    """The daily quota (`error_limit`) resets at midnight in Shopee's home time zone (UTC+8)."""
    local = now.astimezone(_SHOPEE_TZ)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()


def _details(
    error: str | None, message: str | None, request_id: str | None, **more: Any
) -> dict[str, Any]:
    return vendor_details(Platform.SHOPEE.value, error, message, request_id, **more)


def error_from_response(
    http_status: int,
    payload: Mapping[str, Any] | None,
    headers: Mapping[str, str],
    *,
    path: str,
    raw_text: str = "",
) -> StoreSyncError | None:
    """The taxonomy error for one answer, or None when it is a success."""
    error = str(payload.get("error") or "") if payload is not None else ""
    message = str(payload.get("message") or "") if payload is not None else ""
    request_id = payload.get("request_id") if payload is not None else None
    request_id = request_id if isinstance(request_id, str) else None
    if 200 <= http_status < 300 and payload is not None and not error:
        return None
    retry_after = parse_retry_after(headers.get("retry-after"))
    details = _details(error or None, message or None, request_id, http_status=http_status)
    details["path"] = path
    cls: type[StoreSyncError]
    if http_status == 429:
        cls = RateLimitError
    elif error:
        cls = classify(error, message)
    elif http_status in (401, 403):
        cls = AuthenticationError if http_status == 401 else AuthorizationError
    else:
        # 5xx, an HTML error page, an empty body, or a 2xx that is not an envelope.
        cls = PlatformAPIError
        details["raw"] = raw_text[:2000]
    if cls is RateLimitError and retry_after is None and error == "error_limit":
        retry_after = seconds_until_quota_reset(datetime.now(UTC))
    text = f"Shopee {path}: {error or f'HTTP {http_status}'}" + (f": {message}" if message else "")
    return cls(text, details=details, retry_after=retry_after if cls is RateLimitError else None)


def item_failure(reason: str, *, request_id: str | None, variant_id: str) -> StoreSyncError:
    """A `failure_list` entry: the call succeeded, this one model was refused."""
    text = reason.lower()
    cls: type[StoreSyncError] = PlatformRejectedError
    if "not found" in text or "not exist" in text or "invalid model" in text:
        cls = NotFoundError
    details = _details("failure_list", reason, request_id, variant_id=variant_id)
    return cls(f"Shopee refused model {variant_id}: {reason}", details=details)
