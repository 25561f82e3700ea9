"""The shared transport: transport failures, correlation ids, one log line per call."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from structlog.testing import capture_logs

from storesync.errors import (
    InternalError,
    NetworkError,
    NetworkTimeoutError,
    PlatformAPIError,
    StoreSyncError,
)
from storesync.marketplaces.base import ListingRef
from storesync.marketplaces.http import correlation_id_var, parse_retry_after

from .fakes import shopee_client, shopee_ok, tiktok_client, tiktok_ok

REF = ListingRef("1", "2")


def raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


TRANSPORT_CASES = [
    (httpx.ConnectTimeout("connect timed out"), NetworkTimeoutError),
    (httpx.ReadTimeout("read timed out"), NetworkTimeoutError),
    (httpx.PoolTimeout("pool"), NetworkTimeoutError),
    (httpx.ConnectError("[Errno -2] Name or service not known"), NetworkError),
    (httpx.ConnectError("connection refused"), NetworkError),
    (httpx.ReadError("connection reset by peer"), NetworkError),
    (httpx.WriteError("broken pipe"), NetworkError),
    (httpx.RemoteProtocolError("server disconnected"), NetworkError),
    (httpx.UnsupportedProtocol("ftp://"), InternalError),
]


@pytest.mark.parametrize(("exc", "cls"), TRANSPORT_CASES, ids=lambda x: type(x).__name__)
@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_transport_failures_map_to_the_same_class_on_both_platforms(
    platform: str, exc: Exception, cls: type[StoreSyncError]
) -> None:
    make = shopee_client if platform == "shopee" else tiktok_client
    with make(raising(exc)) as client, pytest.raises(StoreSyncError) as info:
        client.read_stock([REF])
    assert type(info.value) is cls
    assert info.value.__cause__ is exc
    assert info.value.details["platform"] == platform


@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_unreadable_answers_are_platform_errors_that_never_quote_the_body(platform: str) -> None:
    # Right envelope, wrong shape inside it.
    bad = (
        shopee_ok({"item_list": [{"item_id": "not a number"}]})
        if platform == "shopee"
        else tiktok_ok({"inventory": [{"skus": "nope"}]})
    )
    make = shopee_client if platform == "shopee" else tiktok_client
    with make(lambda request: bad) as client, pytest.raises(PlatformAPIError) as info:
        client.read_stock([REF])
    # The body may hold tokens (a malformed token answer once leaked both into a 502): only a
    # summary of it leaves the process.
    assert info.value.details["body"].startswith("HTTP 200, application/json")
    shown = info.value.message + str(info.value.details)
    assert "not a number" not in shown
    assert "nope" not in shown


@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_each_call_carries_the_correlation_id_and_logs_one_line(platform: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return shopee_ok({"item_list": []}) if platform == "shopee" else tiktok_ok({})

    make = shopee_client if platform == "shopee" else tiktok_client
    token = correlation_id_var.set("corr-12345678")
    try:
        with make(handler) as client, capture_logs() as logs:
            client.read_stock([REF])
    finally:
        correlation_id_var.reset(token)
    assert [r.headers["X-Request-ID"] for r in seen] == ["corr-12345678"]
    [line] = [entry for entry in logs if entry["event"] == "marketplace_call"]
    assert line["platform"] == platform
    assert line["status"] == 200
    assert line["outcome"] == "ok"
    assert line["vendor_request_id"] in ("sr", "tr")
    assert line["latency_ms"] >= 0
    assert line["method"] in ("GET", "POST")
    assert "access-0" not in str(line)  # tokens never reach the logs


def test_without_a_bound_correlation_id_each_call_gets_a_fresh_one() -> None:
    ids: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids.append(request.headers["X-Request-ID"])
        return tiktok_ok({})

    with tiktok_client(handler) as client:
        client.read_stock([REF])
        client.read_stock([REF])
    assert len(set(ids)) == 2
    assert correlation_id_var.get() is None  # the client never binds one for its caller


def test_failed_calls_log_their_outcome_class() -> None:
    with (
        shopee_client(raising(httpx.ReadTimeout("slow"))) as client,
        capture_logs() as logs,
        pytest.raises(NetworkTimeoutError),
    ):
        client.read_stock([REF])
    [line] = [entry for entry in logs if entry["event"] == "marketplace_call"]
    assert line["outcome"] == "NetworkTimeoutError"
    assert line["status"] is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("", None), ("12", 12.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None)],
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 01 Jan 2024 00:00:30 GMT", now=now) == 30.0
