"""The audit log records every state-changing action with who (the authenticated identity),
what, target, before → after and the correlation id; only admins read it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from storesync.api.app import create_app
from storesync.auth.identity import Role
from storesync.bootstrap import Container
from storesync.db.engine import unit_of_work
from storesync.testing.auth import bearer, issue_key
from tests.seeds import make_listing, make_shop, make_variant


@pytest.fixture
def container(make_container: Callable[..., Container]) -> Container:
    built = make_container()
    with unit_of_work(built.session_factory) as session:
        shop = make_shop(session)
        make_listing(session, shop, make_variant(session, "SKU-1", 10))
    return built


@pytest.fixture
def api(container: Container) -> Iterator[Callable[[Role], TestClient]]:
    clients: list[TestClient] = []

    def as_role(role: Role) -> TestClient:
        key = issue_key(container.session_factory, role, name=f"{role.value}-bot")
        client = TestClient(create_app(container), base_url="http://127.0.0.1", headers=bearer(key))
        clients.append(client)
        return client

    yield as_role
    for client in clients:
        client.close()


def test_an_adjustment_is_audited_with_its_identity_and_before_after(
    api: Callable[[Role], TestClient],
) -> None:
    operator, admin = api(Role.OPERATOR), api(Role.ADMIN)
    adjusted = operator.post(
        "/api/v1/inventory/SKU-1/adjustments",
        json={"delta": -3, "reason": "adjustment", "note": "damaged in storage"},
        headers={"X-Request-ID": "audit-test-1"},
    )
    assert adjusted.status_code == 200, adjusted.text
    ledger = operator.get("/api/v1/inventory/SKU-1/ledger").json()
    assert ledger[0]["actor"].startswith("key:")
    assert ledger[0]["actor"].endswith(":operator-bot")

    [entry] = admin.get("/api/v1/audit", params={"action": "inventory.adjust"}).json()
    assert entry["actor"] == ledger[0]["actor"]
    assert entry["target"] == "SKU-1"
    assert entry["before"] == {"on_hand": 10}
    assert entry["after"] == {"on_hand": 7, "delta": -3, "reason": "adjustment"}
    assert entry["correlation_id"] == "audit-test-1"


def test_breaker_steering_names_the_key_not_a_free_text_actor(
    api: Callable[[Role], TestClient],
) -> None:
    operator, admin = api(Role.OPERATOR), api(Role.ADMIN)
    opened = operator.post(
        "/api/v1/breakers/shopee:1/open", json={"reason": "maintenance", "actor": "somebody-else"}
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["actor"].endswith(":operator-bot")
    operator.post("/api/v1/breakers/shopee:1/reset", json={"reason": "over"})
    log = admin.get("/api/v1/audit", params={"action": "breaker."}).json()
    actions = [e["action"] for e in log]
    assert actions == ["breaker.reset", "breaker.open"]


def test_key_management_is_audited_and_the_log_is_filterable(
    api: Callable[[Role], TestClient],
) -> None:
    admin = api(Role.ADMIN)
    created = admin.post("/api/v1/apikeys", json={"name": "grafana", "role": "viewer"}).json()
    admin.post(f"/api/v1/apikeys/{created['id']}/revoke")
    log = admin.get("/api/v1/audit", params={"action": "apikey."}).json()
    assert [(e["action"], e["target"]) for e in log] == [
        ("apikey.revoke", str(created["id"])),
        ("apikey.create", str(created["id"])),
    ]
    assert created["key"] not in str(log)  # the key itself is never written down
    mine = admin.get("/api/v1/audit", params={"actor": log[0]["actor"], "limit": 1}).json()
    assert len(mine) == 1
    assert admin.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00"}).json() == []


def test_only_admins_read_the_audit_log(api: Callable[[Role], TestClient]) -> None:
    for role in (Role.VIEWER, Role.OPERATOR):
        response = api(role).get("/api/v1/audit")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "AUTHORIZATION_ERROR"


def test_a_refused_adjustment_leaves_no_audit_row(api: Callable[[Role], TestClient]) -> None:
    operator, admin = api(Role.OPERATOR), api(Role.ADMIN)
    refused = operator.post("/api/v1/inventory/NO-SUCH/adjustments", json={"delta": 1})
    assert refused.status_code == 404
    assert admin.get("/api/v1/audit", params={"action": "inventory.adjust"}).json() == []
