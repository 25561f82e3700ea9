"""`/api/v1/breakers` on both databases: every shop's breaker is listed, manual actions need a
reason and are recorded with who and why, unknown keys are clear errors, health shows them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from storesync.api.app import create_app
from storesync.bootstrap import Container
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.testing.auth import bearer, issue_key


@pytest.fixture
def client(make_container: Callable[..., Container]) -> Iterator[TestClient]:
    container = make_container()
    with unit_of_work(container.session_factory) as session:
        session.add_all(
            [
                Shop(platform="shopee", external_id="1001", name="Shopee One"),
                Shop(platform="tiktok", external_id="T-9", name="TikTok One"),
            ]
        )
    key = bearer(issue_key(container.session_factory, name="ana"))
    with TestClient(create_app(container), base_url="http://127.0.0.1", headers=key) as test_client:
        yield test_client


def test_every_connected_shop_has_a_closed_breaker_listed(client: TestClient) -> None:
    rows = client.get("/api/v1/breakers").json()
    assert [(r["key"], r["shop_name"], r["state"], r["ramp_percent"]) for r in rows] == [
        ("shopee:1", "Shopee One", "closed", 100),
        ("tiktok:2", "TikTok One", "closed", 100),
    ]


def test_force_open_then_reset_are_recorded_with_actor_and_reason(client: TestClient) -> None:
    # Who did it is the authenticated key (`key:<id>:<name>`), never a name the body claims.
    opened = client.post("/api/v1/breakers/shopee:1/open", json={"reason": "planned maintenance"})
    assert opened.status_code == 200, opened.text
    assert (opened.json()["from_state"], opened.json()["to_state"]) == ("closed", "forced_open")
    one = client.get("/api/v1/breakers/shopee:1").json()
    actor = one["actor"]
    assert re.fullmatch(r"key:\d+:ana", actor)
    assert (one["state"], one["reason"]) == ("forced_open", "planned maintenance")
    assert one["opened_at"] is not None
    assert {r["family"] for r in one["rates"]} == {"auth", "catalog", "stock", "orders", "push"}
    health = client.get("/api/health").json()["components"]
    assert health["breakers_shopee"]["status"] == "degraded"
    assert health["breakers_tiktok"]["status"] == "ok"

    reset = client.post("/api/v1/breakers/shopee:1/reset", json={"reason": "maintenance over"})
    assert reset.status_code == 200
    assert reset.json()["actor"] == actor
    after = client.get("/api/v1/breakers/shopee:1").json()
    assert (after["state"], after["ramp_percent"]) == ("closed", 10)  # traffic ramps back
    events = client.get("/api/v1/breakers/shopee:1/events").json()
    assert [(e["from_state"], e["to_state"], e["actor"], e["reason"]) for e in events] == [
        ("forced_open", "closed", actor, "maintenance over"),
        ("closed", "forced_open", actor, "planned maintenance"),
    ]


def test_a_manual_action_without_a_reason_changes_nothing(client: TestClient) -> None:
    response = client.post("/api/v1/breakers/shopee:1/open", json={"reason": ""})
    assert response.status_code == 422
    assert client.get("/api/v1/breakers/shopee:1").json()["state"] == "closed"
    assert client.get("/api/v1/breakers/shopee:1/events").json() == []


@pytest.mark.parametrize(
    ("key", "status"), [("shopee:99", 404), ("ebay:1", 422), ("shopee:x", 422)]
)
def test_unknown_or_malformed_keys_are_clear_errors(
    client: TestClient, key: str, status: int
) -> None:
    response = client.post(f"/api/v1/breakers/{key}/reset", json={"reason": "why"})
    assert response.status_code == status
    assert response.json()["error"]["details"]["key"] == key


def test_app_level_breakers_can_be_steered_too(client: TestClient) -> None:
    response = client.post("/api/v1/breakers/tiktok:app/open", json={"reason": "consent down"})
    assert response.status_code == 200
    keys = [r["key"] for r in client.get("/api/v1/breakers").json()]
    assert "tiktok:app" in keys
