"""Bad input never reaches the database as a 500: every id, offset, shop id and quantity is
bounded (422 in the envelope, nothing written), a hand-made adjustment names a manual reason, and
every list has a maximum page size. On SQLite (which raised OverflowError past int64) and
PostgreSQL."""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from storesync.api.app import create_app
from storesync.bootstrap import Container
from storesync.db.models import (
    AuditEntry,
    BreakerEvent,
    DeadLetter,
    InventoryLevel,
    LedgerEntry,
    SyncJob,
)
from storesync.deps import MAX_ID, MAX_OFFSET, MAX_PAGE_SIZE
from storesync.domain.inventory import MANUAL_REASONS, MAX_UNITS
from storesync.inventory.schemas import ManualReason
from storesync.testing.auth import bearer, issue_key
from tests.integration.conftest import Seed

WRITTEN = (AuditEntry, BreakerEvent, DeadLetter, LedgerEntry, SyncJob)
# The first id past PostgreSQL's INTEGER columns, and the first integer past int64 (SQLite).
TOO_BIG = (MAX_ID + 1, 2**63)
Request = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]  # method, path, query, body


def out_of_range(big: int) -> list[Request]:
    return [
        ("GET", f"/api/v1/jobs/{big}", None, None),
        ("GET", "/api/v1/jobs/0", None, None),
        ("GET", "/api/v1/jobs", {"shop_id": big}, None),
        ("GET", "/api/v1/jobs", {"offset": big}, None),
        ("GET", "/api/v1/jobs", {"offset": -1}, None),
        ("GET", f"/api/v1/orders/{big}", None, None),
        ("GET", "/api/v1/orders", {"shop_id": big}, None),
        ("GET", "/api/v1/orders", {"offset": big}, None),
        ("GET", "/api/v1/catalog/review", {"offset": big}, None),
        ("GET", "/api/v1/inventory/SKU-1/ledger", {"offset": big}, None),
        ("GET", "/api/v1/inventory/" + "S" * 101, None, None),
        ("POST", "/api/v1/inventory/SKU-1/adjustments", None, {"delta": big}),
        ("POST", "/api/v1/inventory/SKU-1/adjustments", None, {"delta": -big}),
        ("POST", "/api/v1/inventory/SKU-1/adjustments", None, {"delta": MAX_UNITS + 1}),
        ("GET", f"/api/v1/deadletters/{big}", None, None),
        ("GET", "/api/v1/deadletters", {"shop_id": big}, None),
        ("GET", "/api/v1/deadletters", {"offset": big}, None),
        ("POST", f"/api/v1/deadletters/{big}/replay", None, None),
        ("POST", f"/api/v1/deadletters/{big}/discard", None, {"reason": "x"}),
        ("GET", "/api/v1/breakers", {"offset": big}, None),
        ("GET", f"/api/v1/breakers/shopee:{big}", None, None),
        ("GET", f"/api/v1/breakers/shopee:-{big}", None, None),
        ("GET", "/api/v1/breakers/shopee:" + "1" * 70, None, None),
        ("POST", f"/api/v1/breakers/shopee:{big}/reset", None, {"reason": "x"}),
        ("POST", f"/api/v1/breakers/tiktok:{big}/open", None, {"reason": "x"}),
        ("GET", f"/api/v1/breakers/shopee:{big}/events", None, None),
        ("GET", f"/api/v1/breakers/shopee:{big}/events", {"offset": big}, None),
        ("POST", "/api/v1/reconcile", None, {"shop_id": big}),
        ("POST", "/api/v1/reconcile", None, {"shop_id": 0}),
        ("GET", "/api/v1/audit", {"offset": big}, None),
    ]


LISTS = [
    "/api/v1/jobs",
    "/api/v1/orders",
    "/api/v1/catalog/review",
    "/api/v1/inventory/SKU-1/ledger",
    "/api/v1/deadletters",
    "/api/v1/breakers",
    "/api/v1/breakers/shopee:app/events",
    "/api/v1/audit",
]
# Lists other features still have to page (shops, users, API keys), and their unbounded ids.
NOT_YET_PAGED: set[str] = set()
NOT_YET_BOUNDED: set[str] = set()


@pytest.fixture
def app(make_container: Callable[..., Container], seed: Seed) -> FastAPI:
    seed("SKU-1", on_hand=10)
    # A page of requests in a row: the inbound limit is not what these tests are about.
    return create_app(make_container(api_rate_limit_burst=1000))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    key = issue_key(app.state.container.session_factory)
    with TestClient(app, base_url="http://127.0.0.1", headers=bearer(key)) as test_client:
        yield test_client


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        counts = {
            model.__tablename__: int(conn.scalar(select(func.count()).select_from(model)) or 0)
            for model in WRITTEN
        }
        counts["on_hand"] = int(conn.scalar(select(func.sum(InventoryLevel.on_hand))) or 0)
    return counts


def _assert_422(response: Any) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["correlation_id"] == response.headers["x-request-id"]


def test_out_of_range_ids_offsets_and_quantities_are_422_and_write_nothing(
    client: TestClient, engine: Engine
) -> None:
    before = _counts(engine)
    for big in TOO_BIG:
        for method, path, query, body in out_of_range(big):
            response = client.request(method, path, params=query, json=body)
            assert response.status_code == 422, (method, path, query, body, response.text)
            _assert_422(response)
    assert _counts(engine) == before


def test_the_largest_valid_values_are_answered_not_overflowed(client: TestClient) -> None:
    for path in ("/api/v1/jobs", "/api/v1/orders", "/api/v1/deadletters"):
        response = client.get(path, params={"shop_id": MAX_ID, "offset": MAX_OFFSET})
        assert response.status_code == 200, (path, response.text)
        assert response.json() == []
    for path in ("jobs", "orders", "deadletters"):
        missing = client.get(f"/api/v1/{path}/{MAX_ID}")
        assert missing.status_code == 404, (path, missing.text)
    assert client.get(f"/api/v1/breakers/shopee:{MAX_ID}").status_code == 404
    assert client.post("/api/v1/reconcile", json={"shop_id": MAX_ID}).status_code == 404


def test_an_adjustment_may_name_only_a_manual_reason(client: TestClient, engine: Engine) -> None:
    before = _counts(engine)
    for reason in ("order_shipped", "initial", "restock", ""):
        response = client.post(
            "/api/v1/inventory/SKU-1/adjustments", json={"delta": 1, "reason": reason}
        )
        _assert_422(response)
    assert _counts(engine) == before

    returned = client.post(
        "/api/v1/inventory/SKU-1/adjustments", json={"delta": 2, "reason": "return_restocked"}
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["on_hand"] == 12
    [entry] = client.get("/api/v1/inventory/SKU-1/ledger", params={"limit": 1}).json()
    assert entry["reason"] == "return_restocked"


def test_a_nul_byte_never_reaches_postgresql(client: TestClient, engine: Engine) -> None:
    before = _counts(engine)
    for path, query in [
        ("/api/v1/jobs", {"status": "\x00"}),
        ("/api/v1/deadletters", {"task": "a\x00"}),
        ("/api/v1/audit", {"actor": "\x00"}),
        ("/api/v1/inventory/SKU%00-1", None),
        ("/api/v1/inventory/SKU%00-1/ledger", None),
    ]:
        response = client.get(path, params=query)
        assert response.status_code == 400, (path, query, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    for path, body in [
        ("/api/v1/inventory/SKU-1/adjustments", {"delta": 1, "note": "a\x00b"}),
        ("/api/v1/deadletters/1/discard", {"reason": "\x00"}),
        ("/api/v1/breakers/shopee:app/reset", {"reason": "a\x00"}),
        ("/api/v1/breakers/shopee:app/open", {"reason": "a\x00"}),
    ]:
        _assert_422(client.post(path, json=body))
    assert _counts(engine) == before


def test_the_api_offers_exactly_the_domains_manual_reasons() -> None:
    assert set(typing.get_args(ManualReason)) == {reason.value for reason in MANUAL_REASONS}


def test_every_list_has_a_maximum_page_size_and_pages_by_offset(
    client: TestClient, engine: Engine
) -> None:
    before = _counts(engine)
    for path in LISTS:
        _assert_422(client.get(path, params={"limit": MAX_PAGE_SIZE + 1}))
        _assert_422(client.get(path, params={"limit": 0}))
        _assert_422(client.get(path, params={"offset": MAX_OFFSET + 1}))
        full = client.get(path, params={"limit": MAX_PAGE_SIZE, "offset": 0})
        assert full.status_code == 200, (path, full.text)
    assert _counts(engine) == before


def test_pages_follow_each_other(client: TestClient) -> None:
    for delta in (1, 2, 3):
        assert client.post("/api/v1/inventory/SKU-1/adjustments", json={"delta": delta}).is_success
    ledger = "/api/v1/inventory/SKU-1/ledger"
    first = client.get(ledger, params={"limit": 2}).json()
    second = client.get(ledger, params={"limit": 2, "offset": 2}).json()
    assert [e["delta"] for e in first] == [3, 2]
    assert [e["delta"] for e in second] == [1, 10]  # then the initial count


def test_every_list_route_is_paged_and_every_integer_in_a_path_is_bounded(app: FastAPI) -> None:
    for route in routing.iter_route_contexts(app.routes):
        path = str(route.path)
        model = getattr(route.original_route, "response_model", None)
        if typing.get_origin(model) is list and path not in NOT_YET_PAGED:
            query = {p.name: p.field_info for p in route.dependant.query_params}
            assert {"limit", "offset"} <= set(query), path
            assert _bound(query["limit"], "le") == MAX_PAGE_SIZE, path
            assert _bound(query["offset"], "le") == MAX_OFFSET, path
        for param in route.dependant.path_params:
            if param.field_info.annotation is int and path not in NOT_YET_BOUNDED:
                assert _bound(param.field_info, "le") == MAX_ID, (path, param.name)
                assert _bound(param.field_info, "ge") == 1, (path, param.name)


def _bound(field: Any, name: str) -> Any:
    for constraint in field.metadata:
        if hasattr(constraint, name):
            return getattr(constraint, name)
    return None
