"""Platform response bodies never leave the process: an answer StoreSync cannot use becomes an
error that describes it (status, content type, size, the field that was wrong) without quoting
it, so a malformed token answer cannot put a shop's tokens into an envelope, a job record or a
dead letter."""

from __future__ import annotations

import json

import httpx
import pytest
from structlog.testing import capture_logs

from storesync.errors import PlatformAPIError, StoreSyncError
from storesync.marketplaces.base import ListingRef

from .fakes import shopee_client, tiktok_client

ACCESS = "leaked-access-9b1c7e"
REFRESH = "leaked-refresh-4f2a0d"


def everything_said(err: StoreSyncError) -> str:
    """Every way the error reaches the outside: message, envelope body, repr, str."""
    return " ".join([err.message, json.dumps(err.to_dict(), default=str), repr(err), str(err)])


def malformed_token_answer(platform: str) -> httpx.Response:
    # The tokens are there; one lifetime is not a number: unreadable, and full of secrets.
    if platform == "shopee":
        body = {"request_id": "r", "error": "", "message": "", "access_token": ACCESS}
        return httpx.Response(200, json=body | {"refresh_token": REFRESH, "expire_in": "soon"})
    data = {
        "access_token": ACCESS,
        "access_token_expire_in": "soon",
        "refresh_token": REFRESH,
        "refresh_token_expire_in": 1,
    }
    return httpx.Response(
        200, json={"code": 0, "message": "Success", "request_id": "r", "data": data}
    )


@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_a_malformed_token_answer_is_described_not_quoted(platform: str) -> None:
    make = shopee_client if platform == "shopee" else tiktok_client
    answer = malformed_token_answer(platform)
    with make(lambda request: answer) as client, pytest.raises(PlatformAPIError) as info:
        client.exchange_code("the-code", "10000001")
    err = info.value
    said = everything_said(err)
    assert ACCESS not in said
    assert REFRESH not in said
    assert "expire_in" in err.message  # which field was wrong is still told
    assert err.details["body"].startswith("HTTP 200, application/json, ")
    assert "raw" not in err.details


@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_an_error_page_echoing_our_request_is_not_passed_on(platform: str) -> None:
    page = f"<html>502 Bad Gateway: GET /x?access_token={ACCESS}&refresh_token={REFRESH}</html>"
    answer = httpx.Response(502, text=page, headers={"content-type": "text/html"})
    make = shopee_client if platform == "shopee" else tiktok_client
    with (
        capture_logs() as logs,
        make(lambda request: answer) as client,
        pytest.raises(PlatformAPIError) as info,
    ):
        client.read_stock([ListingRef("1", "2")])
    said = everything_said(info.value) + json.dumps(logs, default=str)
    assert ACCESS not in said
    assert REFRESH not in said
    assert info.value.retryable  # still the retryable class a 502 deserves
    assert f"HTTP 502, text/html, {len(page)} bytes" in json.dumps(info.value.details)
