"""Every error leaves the API in one envelope with its taxonomy status; bad input changes nothing"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select

from storesync.api.app import create_app
from storesync.bootstrap import Container
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.errors import (
    AuthenticationError,
    AuthorizationError,
    DatabaseError,
    InternalError,
    NetworkError,
    PlatformAPIError,
    RateLimitError,
    StoreSyncError,
    SyncError,
    ValidationError,
)
from storesync.testing.auth import bearer, issue_key

NINE = [
    (ValidationError, 422, "low"),
    (AuthenticationError, 401, "high"),
    (AuthorizationError, 403, "high"),
    (PlatformAPIError, 502, "medium"),
    (SyncError, 409, "medium"),
    (RateLimitError, 429, "medium"),
    (NetworkError, 503, "medium"),
    (DatabaseError, 503, "high"),
    (InternalError, 500, "critical"),
]


class NewShop(BaseModel):
    platform: str = Field(pattern="^(shopee|tiktok)$")
    external_id: str = Field(min_length=1)
    name: str


def _app(make_container: Callable[..., Container]) -> FastAPI:
    container = make_container()
    app = create_app(container)
    app.state.test_key = bearer(issue_key(container.session_factory))

    @app.get("/_test/raise/{code}")
    def raise_code(code: str) -> None:
        cls = {c.code.value: c for c, _, _ in NINE}[code]
        raise cls("it went wrong", details={"where": "test"})

    @app.get("/_test/crash")
    def crash() -> None:
        raise RuntimeError("secret internal detail: password=hunter2")

    @app.post("/_test/shops", status_code=201)
    def add_shop(body: NewShop) -> dict[str, int]:
        # A real write path: validation happens before anything touches the database.
        with unit_of_work(container.session_factory) as session:
            shop = Shop(platform=body.platform, external_id=body.external_id, name=body.name)
            session.add(shop)
            session.flush()
            return {"id": shop.id}

    return app


@pytest.fixture
def client(make_container: Callable[..., Container]) -> Iterator[TestClient]:
    app = _app(make_container)
    with TestClient(app, base_url="http://127.0.0.1", headers=app.state.test_key) as test_client:
        yield test_client


def _shop_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Shop)).scalar_one())


def _assert_envelope(body: dict[str, object]) -> dict[str, object]:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"code", "message", "severity", "action", "details", "correlation_id"}
    return error


@pytest.mark.parametrize(("cls", "status", "severity"), NINE, ids=lambda v: getattr(v, "code", v))
def test_each_code_renders_with_its_status_and_severity(
    client: TestClient, cls: type[StoreSyncError], status: int, severity: str
) -> None:
    response = client.get(f"/_test/raise/{cls.code.value}")
    assert response.status_code == status
    error = _assert_envelope(response.json())
    assert error["code"] == cls.code.value
    assert error["severity"] == severity
    assert error["details"] == {"where": "test"}
    assert error["correlation_id"] == response.headers["x-request-id"]


def test_malformed_body_gives_422_with_field_details_and_changes_nothing(
    client: TestClient, engine: Engine
) -> None:
    response = client.post("/_test/shops", json={"platform": "amazon", "name": 5})
    assert response.status_code == 422
    error = _assert_envelope(response.json())
    assert error["code"] == "VALIDATION_ERROR"
    details = error["details"]
    assert isinstance(details, dict)
    fields = {f["field"] for f in details["fields"]}
    assert fields == {"platform", "external_id", "name"}
    assert _shop_count(engine) == 0

    not_json = client.post(
        "/_test/shops", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert _shop_count(engine) == 0

    ok = client.post("/_test/shops", json={"platform": "shopee", "external_id": "1", "name": "A"})
    assert ok.status_code == 201
    assert _shop_count(engine) == 1


def test_unexpected_exception_gives_500_envelope_without_internals(client: TestClient) -> None:
    response = client.get("/_test/crash")
    assert response.status_code == 500
    error = _assert_envelope(response.json())
    assert error["code"] == "INTERNAL_ERROR"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert response.headers["x-request-id"] == error["correlation_id"]


def test_unknown_route_is_404_in_the_envelope(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert _assert_envelope(response.json())["code"] == "VALIDATION_ERROR"


def test_correlation_id_round_trips_when_valid_and_is_generated_otherwise(
    client: TestClient,
) -> None:
    given = "req-2026-11-29-abcdef"
    response = client.get("/_test/raise/SYNC_ERROR", headers={"X-Request-ID": given})
    assert response.headers["x-request-id"] == given
    assert response.json()["error"]["correlation_id"] == given

    hostile = "bad id\r\nSet-Cookie: x"
    response = client.get("/api/health", headers={"X-Request-ID": hostile.replace("\r\n", " ")})
    generated = response.headers["x-request-id"]
    assert generated != hostile
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


def test_rate_limit_envelope_carries_retry_after(make_container: Callable[..., Container]) -> None:
    app = _app(make_container)

    @app.get("/_test/slow-down")
    def slow_down() -> None:
        raise RateLimitError("slow down", retry_after=7.2)

    with TestClient(app, base_url="http://127.0.0.1", headers=app.state.test_key) as test_client:
        response = test_client.get("/_test/slow-down")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
