"""Shop tokens never leave the process: after a working day in miniature (two shops connected
through OAuth, catalogs imported, an order imported and pushed, pushes to a platform answering
every call with errors, a forged OAuth callback), no API answer and no log line (DEBUG, JSON)
carries an access or refresh token, an app secret or the API key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from tests.e2e.harness import PARTNER_KEY, Stack, connect_two_shops, wait_for

LISTS = (
    "/api/v1/shops",
    "/api/v1/jobs?limit=1000",
    "/api/v1/orders?limit=1000",
    "/api/v1/deadletters?limit=1000",
    "/api/v1/breakers",
    "/api/v1/catalog/review",
    "/api/v1/audit?limit=1000",
    "/api/v1/apikeys",
    "/api/health",
    "/openapi.json",
)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path, overrides={"log_level": "DEBUG", "log_format": "json"}).start()
    yield running
    running.stop()


def test_no_response_or_log_line_carries_a_token_or_secret(
    stack: Stack, capfd: pytest.CaptureFixture[str]
) -> None:
    shops = connect_two_shops(stack)
    sim_shop = shops.shopee_sim_id
    stack.shopee.post(
        "/_sim/orders", {"shop_id": sim_shop, "lines": [{"sku": "SHIRT-S", "quantity": 1}]}
    )
    wait_for(lambda: stack.api.get("/api/v1/orders").json(), what="the order imported")
    # A platform that refuses (the error path quotes what it is told, if anything does).
    stack.tiktok.http.put(
        "/_sim/faults", json={"families": {"*": {"error_rate": 1.0}}}
    ).raise_for_status()
    stack.api.post(
        "/api/v1/inventory/SHIRT-S/adjustments", json={"delta": 5, "reason": "adjustment"}
    )
    answers = [stack.api.get(path).text for path in LISTS]
    answers += [stack.api.get("/api/v1/shops/callback/shopee?code=x&state=forged").text]
    stack.tiktok.http.put("/_sim/faults", json={}).raise_for_status()

    secrets = {stack.key, PARTNER_KEY, stack.settings.tiktok_app_secret}
    with unit_of_work(stack.container.session_factory) as session:
        for shop in session.scalars(select(Shop)):
            tokens = stack.container.clients.credentials(shop).tokens
            secrets |= {tokens.access_token, tokens.refresh_token}
    assert len(secrets) == 7
    logged = capfd.readouterr()
    seen = "\n".join([*answers, logged.out, logged.err])
    assert "http_request" in seen  # the logs were captured, so their silence means something
    for secret in secrets:
        assert secret not in seen
