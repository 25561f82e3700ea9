"""The OAuth `state` is a one-time nonce kept server-side, bound to whoever started the
connection and alive 15 minutes: a replayed, expired, never-issued or other-platform state, or a
callback from someone signed in as another identity, is a 401 and stores nothing.

Real parts throughout: StoreSync served over HTTP (SQLite and PostgreSQL), the Shopee simulator
approving the consent page and exchanging the code, API keys as the harness issues them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import func, select, update

from marketsim.common.server import BackgroundServer
from marketsim.shopee.app import create_app as create_shopee
from storesync.api.app import create_app
from storesync.auth.identity import Role
from storesync.auth.tokens import new_token
from storesync.bootstrap import Container
from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import AuditEntry, OAuthState, Shop
from storesync.testing.auth import bearer, issue_key
from storesync.testing.ports import free_port
from storesync.testing.server import serving

PARTNER_ID, PARTNER_KEY = 2001887, "oauth-state-partner-key"


@dataclass
class World:
    api: httpx.Client
    sim: httpx.Client
    container: Container
    admin: str  # an admin API key (name "admin-a")

    def key(self, role: Role, name: str) -> str:
        return issue_key(self.container.session_factory, role, name=name)

    def callback_url(self, key: str | None = None) -> str:
        """Start a connection (as `key`, default the admin) and let the simulator approve it:
        the URL the seller's browser is sent back to, with code, shop_id and state."""
        started = self.api.post(
            "/api/v1/shops/connect", json={"platform": "shopee"}, headers=bearer(key or self.admin)
        )
        assert started.status_code == 200, started.text
        shop = self.sim.post("/_sim/shops", json={"name": "OAuth"}).json()["shop_id"]
        consent = started.json()["authorization_url"] + f"&shop_id={shop}"
        redirect = httpx.get(consent, follow_redirects=False, timeout=10)
        assert redirect.status_code in (302, 303, 307), redirect.text
        return redirect.headers["location"]

    def shops(self) -> list[tuple[str, str | None]]:
        with unit_of_work(self.container.session_factory) as session:
            return [(s.external_id, s.access_token_enc) for s in session.scalars(select(Shop))]

    def audit(self, action: str) -> list[AuditEntry]:
        with unit_of_work(self.container.session_factory) as session:
            return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))

    def states(self) -> int:
        with unit_of_work(self.container.session_factory) as session:
            return int(session.scalar(select(func.count()).select_from(OAuthState)) or 0)


@pytest.fixture
def world(make_container: Callable[..., Container]) -> Iterator[World]:
    sim_app = create_shopee(partner_id=PARTNER_ID, partner_key=PARTNER_KEY)
    sim = BackgroundServer(sim_app)
    sim.start()
    port = free_port()
    container = make_container(
        shopee_partner_id=PARTNER_ID,
        shopee_partner_key=PARTNER_KEY,
        shopee_base_url=sim.url,
        public_url=f"http://127.0.0.1:{port}",
    )
    admin = issue_key(container.session_factory, Role.ADMIN, name="admin-a")
    try:
        with (
            serving(create_app(container), port) as url,
            httpx.Client(base_url=url, timeout=30) as api,
            httpx.Client(base_url=sim.url, timeout=10) as control,
        ):
            yield World(api, control, container, admin)
    finally:
        sim.stop()


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def refused(response: httpx.Response) -> bool:
    return (
        response.status_code == 401 and response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    )


def test_a_connection_completes_once_for_the_admin_who_started_it_and_is_audited(
    world: World,
) -> None:
    callback = world.callback_url()
    assert world.states() == 1
    done = httpx.get(callback, timeout=30)  # the seller's browser: no credentials
    assert done.status_code == 200, done.text
    [(external_id, token)] = world.shops()
    [entry] = world.audit("shop.connect")
    assert entry.actor.startswith("key:")
    assert entry.actor.endswith(":admin-a")
    assert entry.after_json is not None
    assert external_id in entry.after_json
    [started] = world.audit("shop.connect_start")
    assert started.actor == entry.actor
    assert world.states() == 0  # spent

    replay = httpx.get(callback, timeout=30)
    assert refused(replay), replay.text
    assert world.shops() == [(external_id, token)]  # no second row, the same tokens


def test_a_state_we_never_issued_is_refused_before_the_code_is_spent(world: World) -> None:
    callback = world.callback_url()
    forged = httpx.get(with_query(callback, state=new_token()), timeout=30)
    assert refused(forged), forged.text
    missing = httpx.get(with_query(callback, state=""), timeout=30)
    assert refused(missing), missing.text
    assert world.shops() == []
    # The code was never exchanged: the real callback still connects the shop.
    assert httpx.get(callback, timeout=30).status_code == 200
    assert len(world.shops()) == 1


def test_an_expired_state_is_refused(world: World) -> None:
    callback = world.callback_url()
    with unit_of_work(world.container.session_factory) as session:
        # 15 minutes and a second later, as far as the row is concerned.
        session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
    late = httpx.get(callback, timeout=30)
    assert refused(late), late.text
    assert "expired" in late.json()["error"]["message"]
    assert world.shops() == []


def test_a_state_issued_for_the_other_platform_is_refused(world: World) -> None:
    callback = world.callback_url()
    query = urlsplit(callback).query
    elsewhere = world.api.get(f"/api/v1/shops/callback/tiktok?{query}")
    assert refused(elsewhere), elsewhere.text
    assert world.shops() == []
    assert httpx.get(callback, timeout=30).status_code == 200  # still good where it belongs


def test_someone_else_signed_in_cannot_complete_an_admins_connection(world: World) -> None:
    callback = world.callback_url()
    other = world.key(Role.ADMIN, "admin-b")
    hijack = httpx.get(callback, headers=bearer(other), timeout=30)
    assert refused(hijack), hijack.text
    assert world.shops() == []
    mine = httpx.get(callback, headers=bearer(world.admin), timeout=30)
    assert mine.status_code == 200, mine.text
    assert len(world.shops()) == 1


def test_two_callbacks_racing_with_one_state_connect_the_shop_once(world: World) -> None:
    callback = world.callback_url()
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def browser() -> None:
        barrier.wait()
        answers.append(httpx.get(callback, timeout=30))

    threads = [threading.Thread(target=browser) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 401], [a.text for a in answers]
    assert len(world.shops()) == 1
    assert len(world.audit("shop.connect")) == 1


def test_only_an_admin_may_start_a_connection(world: World) -> None:
    body: dict[str, Any] = {"json": {"platform": "shopee"}}
    assert refused(world.api.post("/api/v1/shops/connect", **body))
    operator = world.key(Role.OPERATOR, "operator")
    forbidden = world.api.post("/api/v1/shops/connect", headers=bearer(operator), **body)
    assert forbidden.status_code == 403
    assert world.states() == 0


# Shop ids are INTEGER columns, 32-bit on PostgreSQL (deps.MAX_ID): a larger one is a 422,
# not a database error.
@pytest.mark.parametrize("shop_id", ["0", "-1", str(2**31), str(2**63), str(10**30)])
def test_shop_ids_outside_the_column_range_are_refused_with_422(world: World, shop_id: str) -> None:
    operator = world.key(Role.OPERATOR, "operator")
    response = world.api.post(f"/api/v1/shops/{shop_id}/import", headers=bearer(operator))
    assert response.status_code == 422, response.text


def test_an_operator_imports_a_catalog_and_it_is_audited(world: World) -> None:
    assert httpx.get(world.callback_url(), timeout=30).status_code == 200
    with unit_of_work(world.container.session_factory) as session:
        shop_id = session.scalars(select(Shop.id)).one()
    operator = world.key(Role.OPERATOR, "operator")
    viewer = world.key(Role.VIEWER, "viewer")
    path = f"/api/v1/shops/{shop_id}/import"
    assert world.api.post(path, headers=bearer(viewer)).status_code == 403
    accepted = world.api.post(path, headers=bearer(operator))
    assert accepted.status_code == 202, accepted.text
    [entry] = world.audit("catalog.import")
    assert entry.actor.endswith(":operator")
    assert entry.target == str(shop_id)
    listed = world.api.get("/api/v1/shops", headers=bearer(viewer))
    assert [s["id"] for s in listed.json()] == [shop_id]
