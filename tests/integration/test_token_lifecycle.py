"""Single-use refresh tokens are never lost: refreshes are single flight per shop, within a
process and across processes, and the new pair is stored before anything else happens.

The Shopee simulator runs over real HTTP (refresh tokens single use, old access token alive 5 min
after a refresh); StoreSync's client cache and token lifecycle run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from marketsim.common.server import BackgroundServer
from marketsim.shopee.app import create_app as create_shopee
from storesync.auth.identity import cli_identity
from storesync.bootstrap import Container, build_container
from storesync.config import Settings
from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.domain.platform import Platform
from storesync.errors import AuthenticationError
from storesync.marketplaces.base import TokenSet
from storesync.shop import pausing
from storesync.shop import tokens as token_refresh
from storesync.shop.pausing import TokensRotatedError
from storesync.shop.service import ShopService

PARTNER_ID, PARTNER_KEY = 2001887, "lifecycle-partner-key"
REFRESH_PATH = "/api/v2/auth/access_token/get"
FOUR_HOURS_S = 4 * 3600


@dataclass
class ShopeeSim:
    server: BackgroundServer
    app: Any
    control: httpx.Client

    def refresh_calls(self) -> int:
        return sum(self.control.get("/_sim/calls").json().get(REFRESH_PATH, {}).values())

    def revoke(self, *tokens: str) -> None:
        self.control.put("/_sim/faults", json={"revoked_tokens": list(tokens)}).raise_for_status()

    def issue_access_tokens_for(self, seconds: float) -> None:
        self.app.state.sim.store.access_ttl_s = seconds


@pytest.fixture
def sim() -> Iterator[ShopeeSim]:
    # 10 minutes: inside the 30-minute refresh margin from the start.
    app = create_shopee(partner_id=PARTNER_ID, partner_key=PARTNER_KEY, access_ttl_s=600)
    server = BackgroundServer(app)
    server.start()
    control = httpx.Client(base_url=server.url, timeout=10)
    yield ShopeeSim(server, app, control)
    control.close()
    server.stop()


@pytest.fixture
def make_container(
    database_url: str, tmp_path: Path, sim: ShopeeSim
) -> Iterator[Callable[..., Container]]:
    built: list[Container] = []

    def make(redis_url: str | None = None) -> Container:
        settings = Settings(
            data_dir=tmp_path,
            database_url=database_url,
            redis_url=redis_url,
            shopee_partner_id=PARTNER_ID,
            shopee_partner_key=PARTNER_KEY,
            shopee_base_url=sim.server.url,
            public_url="http://127.0.0.1:9",
        )
        built.append(build_container(settings))
        return built[-1]

    yield make
    for container in built:
        container.close()


def margin(container: Container) -> timedelta:
    return timedelta(seconds=container.settings.token_refresh_margin_s)


def due_shop_ids(container: Container) -> list[int]:
    return token_refresh.due_shop_ids(container.session_factory, margin(container))


def refresh_if_due(container: Container, shop_id: int) -> bool:
    return token_refresh.refresh_if_due(
        container.session_factory, container.clients, container.redis, shop_id, margin(container)
    )


def pause_on_auth_failure(container: Container, shop_id: int) -> AbstractContextManager[None]:
    return pausing.pause_on_auth_failure(container.session_factory, container.clients, shop_id)


def connect(container: Container, sim: ShopeeSim, sim_shop: int | None = None) -> int:
    """The real OAuth round trip: consent link, redirect with a code, code for tokens."""
    if sim_shop is None:
        sim_shop = sim.control.post("/_sim/shops", json={"name": "Lifecycle"}).json()["shop_id"]
    with unit_of_work(container.session_factory) as session:
        service = ShopService(session, container.clients, "http://127.0.0.1:9")
        consent = service.start_connect(Platform.SHOPEE, cli_identity()) + f"&shop_id={sim_shop}"
        redirect = httpx.get(consent, follow_redirects=False).headers["location"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
        actor = service.redeem_state(Platform.SHOPEE, query["state"], None)
        shops = service.complete_connect(Platform.SHOPEE, query["code"], str(sim_shop), actor)
        return shops[0].id


def stored_tokens(container: Container, shop_id: int) -> TokenSet:
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return container.clients.credentials(shop).tokens


def list_orders(container: Container, shop_id: int) -> list[Any]:
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        client = container.clients.for_shop(shop)
    now = utcnow()
    return list(client.list_orders(now - timedelta(hours=1), now))


def ten_at_once(fn: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(10)

    def run() -> Any:
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(10) as pool:
        return [f.result() for f in [pool.submit(run) for _ in range(10)]]


def test_ten_threads_meeting_a_dead_access_token_refresh_once_and_keep_the_new_pair(
    make_container: Callable[..., Container], sim: ShopeeSim
) -> None:
    container = make_container()
    shop_id = connect(container, sim)
    old = stored_tokens(container, shop_id)
    list_orders(container, shop_id)  # the shop's client is cached and in use
    sim.revoke(old.access_token)  # the platform rejects it: each thread must refresh first

    assert ten_at_once(lambda: list_orders(container, shop_id)) == [[]] * 10
    assert sim.refresh_calls() == 1
    new = stored_tokens(container, shop_id)
    assert new.refresh_token != old.refresh_token
    assert new.access_token != old.access_token

    # A restarted process knows only the database: the stored pair works, and the stored
    # refresh token is the live one (the old one is spent; losing the new one would strand us).
    restarted = make_container()
    assert list_orders(restarted, shop_id) == []
    with unit_of_work(restarted.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        client = restarted.clients.for_shop(shop)
    client.refresh_tokens()  # outside the transaction: the new pair is saved in its own
    assert sim.refresh_calls() == 2


def test_a_token_near_expiry_is_refreshed_ahead_once_for_ten_callers(
    make_container: Callable[..., Container], sim: ShopeeSim
) -> None:
    container = make_container()
    shop_id = connect(container, sim)
    assert due_shop_ids(container) == [shop_id]  # 10 min left, margin 30 min
    sim.issue_access_tokens_for(FOUR_HOURS_S)

    outcomes = ten_at_once(lambda: refresh_if_due(container, shop_id))
    assert outcomes.count(True) == 1
    assert sim.refresh_calls() == 1
    expires = stored_tokens(container, shop_id).access_expires_at
    assert expires - utcnow() > timedelta(hours=3, minutes=50)
    assert due_shop_ids(container) == []
    assert list_orders(container, shop_id) == []


def test_two_processes_share_one_refresh_and_the_other_picks_up_the_new_pair(
    make_container: Callable[..., Container], sim: ShopeeSim, redis_url: str
) -> None:
    first, second = make_container(redis_url), make_container(redis_url)
    shop_id = connect(first, sim)
    for process in (first, second):
        list_orders(process, shop_id)  # both hold a client with the original pair
    old = stored_tokens(first, shop_id)
    sim.issue_access_tokens_for(FOUR_HOURS_S)

    processes = [first, second] * 5
    turn = iter(range(10))
    outcomes = ten_at_once(lambda: refresh_if_due(processes[next(turn)], shop_id))
    assert outcomes.count(True) == 1
    assert sim.refresh_calls() == 1

    # The old access token dies; the process that did not refresh must use the stored pair,
    # not refresh with the spent refresh token (which would be refused and pause the shop).
    sim.revoke(old.access_token)
    for process in (first, second):
        assert list_orders(process, shop_id) == []
    assert sim.refresh_calls() == 1


def test_a_refusal_caused_by_another_process_rotating_first_is_retried_not_paused(
    make_container: Callable[..., Container], sim: ShopeeSim
) -> None:
    first, second = make_container(), make_container()
    shop_id = connect(first, sim)
    with unit_of_work(second.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        held = second.clients.for_shop(shop)  # a job in flight holds the original pair
    old = stored_tokens(first, shop_id)
    sim.issue_access_tokens_for(FOUR_HOURS_S)
    assert refresh_if_due(first, shop_id)
    sim.revoke(old.access_token)

    now = utcnow()
    with (
        pytest.raises(TokensRotatedError) as caught,
        pause_on_auth_failure(second, shop_id),
    ):
        list(held.list_orders(now - timedelta(hours=1), now))
    assert caught.value.retryable
    with unit_of_work(second.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        assert shop.status == "active"
        # The job's retry gets a client built from the stored pair.
        assert second.clients.for_shop(shop) is not held
    assert list_orders(second, shop_id) == []


def test_a_revoked_grant_pauses_the_shop_with_its_reason(
    make_container: Callable[..., Container], sim: ShopeeSim
) -> None:
    container = make_container()
    shop_id = connect(container, sim)
    tokens = stored_tokens(container, shop_id)
    sim.revoke(tokens.access_token, tokens.refresh_token)  # the seller withdrew the grant

    with (
        pytest.raises(AuthenticationError) as caught,
        pause_on_auth_failure(container, shop_id),
    ):
        list_orders(container, shop_id)
    assert not caught.value.retryable
    assert sim.refresh_calls() == 1  # one refresh, refused; never a second
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        assert shop.status == "paused"
        assert (shop.paused_reason or "").startswith("AUTHENTICATION_ERROR")
    assert refresh_if_due(container, shop_id) is False  # paused shops are left alone


def test_a_refusal_after_the_shop_was_reconnected_mid_job_is_retried_not_paused(
    make_container: Callable[..., Container], sim: ShopeeSim
) -> None:
    container = make_container()
    shop_id = connect(container, sim)
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        sim_shop = int(shop.external_id)
    old = stored_tokens(container, shop_id)
    now = utcnow()
    job = pause_on_auth_failure(container, shop_id)
    job.__enter__()  # a job starts with the original pair...
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        held = container.clients.for_shop(shop)
    # ...meanwhile the seller reconnects (a new pair), and the old grant dies.
    sim.issue_access_tokens_for(FOUR_HOURS_S)
    assert connect(container, sim, sim_shop) == shop_id
    sim.revoke(old.access_token, old.refresh_token)
    with pytest.raises(AuthenticationError) as refused:
        list(held.list_orders(now - timedelta(hours=1), now))
    with pytest.raises(TokensRotatedError):
        job.__exit__(type(refused.value), refused.value, refused.value.__traceback__)
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        assert shop.status == "active"
    assert list_orders(container, shop_id) == []
