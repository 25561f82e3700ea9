"""Each platform's one error table: vendor signal in, taxonomy class (and details) out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

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
from storesync.marketplaces.shopee import errors as shopee
from storesync.marketplaces.tiktok import errors as tiktok


def shopee_error(
    error: str, message: str = "", status: int = 200, headers: dict[str, str] | None = None
) -> StoreSyncError:
    payload = {"request_id": "rid-1", "error": error, "message": message}
    result = shopee.error_from_response(status, payload, headers or {}, path="/api/v2/x")
    assert result is not None
    return result


def tiktok_error(
    code: int, message: str = "", status: int = 200, headers: dict[str, str] | None = None
) -> StoreSyncError:
    payload = {"code": code, "message": message, "request_id": "rid-2", "data": {}}
    result = tiktok.error_from_response(status, payload, headers or {}, path="/x/202309/y")
    assert result is not None
    return result


SHOPEE_CASES: list[tuple[str, str, type[StoreSyncError]]] = [
    ("error_sign", "Wrong sign.", AuthenticationError),
    ("error_param", "There is no sign in query.", AuthenticationError),
    ("error_param", "Timestamp is expired.", AuthenticationError),
    ("error_param", "Invalid refresh_token.", AuthenticationError),
    ("error_param", "Invalid code.", AuthenticationError),
    ("error_param", "page_size should be between 1 and 100.", ValidationError),
    ("error_auth", "Invalid access_token.", TokenExpiredError),
    ("invalid_acceess_token", "Invalid access_token.", TokenExpiredError),
    ("error_auth", "Invalid refresh_token.", AuthenticationError),
    ("error_auth", "partner_id is invalid", AuthenticationError),
    ("error_auth", "Invalid partner_id or shopid.", AuthenticationError),
    ("error_auth", "This item is under review and cannot be edited.", PlatformRejectedError),
    ("invalid_partner_id", "", AuthenticationError),
    ("shop_no_linked", "", AuthenticationError),
    ("refresh_token_expired", "", AuthenticationError),
    ("error_permission", "No permission.", AuthorizationError),
    ("error_api_permission", "", AuthorizationError),
    ("shop_banned", "", AuthorizationError),
    ("source_ip_undeclared", "", AuthorizationError),
    ("error_rate_limit", "Too many requests", RateLimitError),
    ("error_limit", "daily quota", RateLimitError),
    ("error_not_found", "", NotFoundError),
    ("error_item_not_found", "Item 1 not found.", NotFoundError),
    ("order.order_list_invalid_time", "", ValidationError),
    ("error_server", "System error", PlatformAPIError),
    ("error_inner", "", PlatformAPIError),
    ("error_system_busy", "", PlatformAPIError),
    ("error_something_new", "", PlatformAPIError),
]


@pytest.mark.parametrize(("error", "message", "cls"), SHOPEE_CASES)
def test_shopee_error_strings_map_to_the_taxonomy(
    error: str, message: str, cls: type[StoreSyncError]
) -> None:
    err = shopee_error(error, message)
    assert type(err) is cls
    assert err.details["platform"] == "shopee"
    assert err.details["vendor_code"] == error
    assert err.details["request_id"] == "rid-1"


TIKTOK_CASES: list[tuple[int, str, type[StoreSyncError]]] = [
    (105002, "Expired credentials.", TokenExpiredError),
    (36009004, "The `x-tts-access-token` header is invalid.", TokenExpiredError),
    (106001, "Invalid credentials. The `sign` query parameter is invalid.", AuthenticationError),
    (36009004, "Missing credentials. No required signature", AuthenticationError),
    (36009004, "Invalid timestamp. Too early.", AuthenticationError),
    (36009004, "Invalid credentials. Invalid `app_key` query parameter.", AuthenticationError),
    (36009004, "Unexpected identifier. `shop_cipher` not required", ValidationError),
    (36009004, "something nobody documented", AuthenticationError),
    (101000, "Invalid query or header.", AuthenticationError),
    (36004001, "rt has expired", AuthenticationError),
    (36004004, "Invalid auth code.", AuthenticationError),
    (36004005, "can not find related auth record", AuthenticationError),
    (105005, "Access denied. … access scope", AuthorizationError),
    (36009033, "IP not allowed", AuthorizationError),
    (36009002, "Too many requests.", RateLimitError),
    (36009003, "Internal error.", PlatformAPIError),
    (36009007, "Request timeout.", PlatformAPIError),
    (106013, "Missing identifier.", ValidationError),
    (36009009, "Invalid path.", ValidationError),
    (12052180, "The total number of search results can not exceed 10000.", ValidationError),
    (12019150, "The product ID does not exist.", NotFoundError),
    (12052038, "promotion", PlatformRejectedError),
    (99999999, "brand new code", PlatformAPIError),
]  # fmt: skip


@pytest.mark.parametrize(("code", "message", "cls"), TIKTOK_CASES)
def test_tiktok_codes_map_to_the_taxonomy(
    code: int, message: str, cls: type[StoreSyncError]
) -> None:
    err = tiktok_error(code, message)
    assert type(err) is cls
    assert err.details == {
        "platform": "tiktok",
        "vendor_code": code,
        "vendor_message": message,
        "request_id": "rid-2",
        "http_status": 200,
        "path": "/x/202309/y",
    }


def test_success_envelopes_are_not_errors() -> None:
    ok_shopee = {"request_id": "r", "error": "", "message": "", "response": {}}
    assert shopee.error_from_response(200, ok_shopee, {}, path="/p") is None
    ok_tiktok = {"code": 0, "message": "Success", "request_id": "r", "data": {}}
    assert tiktok.error_from_response(200, ok_tiktok, {}, path="/p") is None


@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_http_429_is_a_rate_limit_with_retry_after_whatever_the_body(platform: str) -> None:
    headers = {"retry-after": "7"}
    err = (
        shopee.error_from_response(429, None, headers, path="/p", raw_text="slow down")
        if platform == "shopee"
        else tiktok.error_from_response(429, None, headers, path="/p", raw_text="slow down")
    )
    assert isinstance(err, RateLimitError)
    assert err.retry_after == 7.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_5xx_without_an_envelope_is_a_retryable_platform_error_with_the_raw_body(
    platform: str, status: int
) -> None:
    module: Any = shopee if platform == "shopee" else tiktok
    err = module.error_from_response(status, None, {}, path="/p", raw_text="<html>bad gateway")
    assert type(err) is PlatformAPIError
    assert err.retryable
    assert err.details["raw"] == "<html>bad gateway"


def test_a_2xx_that_is_not_an_envelope_is_not_taken_for_success() -> None:
    assert isinstance(
        shopee.error_from_response(200, None, {}, path="/p", raw_text="<html>"), PlatformAPIError
    )
    assert isinstance(
        tiktok.error_from_response(200, {"data": {}}, {}, path="/p"), PlatformAPIError
    )


def test_shopee_daily_quota_waits_until_midnight_utc8() -> None:
    # 15:30 UTC is 23:30 in UTC+8: half an hour to the reset.
    now = datetime(2024, 5, 1, 15, 30, tzinfo=UTC)
    assert shopee.seconds_until_quota_reset(now) == 1800


def test_shopee_failure_list_entries_become_item_errors() -> None:
    err = shopee.item_failure(
        "Stock 1 is less than the reserved stock 2.", request_id="r", variant_id="5"
    )
    assert type(err) is PlatformRejectedError
    assert err.details["vendor_message"].startswith("Stock 1")
    assert (
        type(shopee.item_failure("model_id 9 not found.", request_id=None, variant_id="9"))
        is NotFoundError
    )


def test_tiktok_sku_errors_become_item_errors_never_retryable_guesses() -> None:
    entry = {
        "code": 12052990,
        "message": "Check failed",
        "detail": {"sku_id": "7", "extra_errors": [{"code": 12052055}]},
    }
    err = tiktok.sku_failure(entry, request_id="r")
    assert type(err) is PlatformRejectedError
    assert err.details["sku_id"] == "7"
    unknown = tiktok.sku_failure(
        {"code": 1, "message": "?", "detail": {"sku_id": "8"}}, request_id=None
    )
    assert type(unknown) is PlatformRejectedError
