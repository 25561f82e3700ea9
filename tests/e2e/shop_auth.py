"""Helpers for the token-lifecycle tests: read a shop's stored pair, revoke it on the simulator,
and reconnect the same simulated shop through StoreSync's real OAuth flow."""

from __future__ import annotations

from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.marketplaces.base import TokenSet
from storesync.testing.oauth import connect_shop
from tests.e2e.harness import Sim, Stack


def stored_tokens(stack: Stack, shop_id: int) -> TokenSet:
    with unit_of_work(stack.container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return stack.container.clients.credentials(shop).tokens


def revoke_grant(stack: Stack, sim: Sim, shop_id: int, **faults: object) -> None:
    """The seller withdrew the authorization: the access AND refresh token are refused."""
    tokens = stored_tokens(stack, shop_id)
    body = {"revoked_tokens": [tokens.access_token, tokens.refresh_token], **faults}
    sim.http.put("/_sim/faults", json=body).raise_for_status()


def reconnect(stack: Stack, sim: Sim, sim_shop_id: str) -> None:
    connect_shop(stack.api, sim.name, sim_shop_id)


def shop_row(stack: Stack, shop_id: int) -> dict[str, object]:
    return next(s for s in stack.api.get("/api/v1/shops").json() if s["id"] == shop_id)
