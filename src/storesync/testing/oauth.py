"""Connecting a simulated shop through StoreSync's real OAuth flow, as a seller's browser does:
`POST /api/v1/shops/connect` gives the platform's consent URL; the simulators approve the shop
named by `&shop_id=` at once and redirect to StoreSync's callback, which exchanges the code."""

from __future__ import annotations

from typing import Any

import httpx


class ConnectError(RuntimeError):
    """The connect flow failed; the message says at which step and what StoreSync answered."""


def connect_shop(
    api: httpx.Client, platform: str, sim_shop_id: str, timeout_s: float = 30.0
) -> dict[str, Any]:
    """Connect (or reconnect) the simulator's shop `sim_shop_id`; StoreSync's row for it, as
    `GET /api/v1/shops` lists it. `api` is a client whose base URL is StoreSync's."""
    started = api.post("/api/v1/shops/connect", json={"platform": platform})
    if started.status_code >= 300:
        raise ConnectError(f"connect {platform}: {started.status_code} {started.text[:300]}")
    url = started.json()["authorization_url"]
    # Appended by hand: httpx `params=` would replace the URL's own query, state included.
    separator = "&" if "?" in url else "?"
    with httpx.Client(timeout=timeout_s, follow_redirects=True) as browser:
        consent = browser.get(f"{url}{separator}shop_id={sim_shop_id}")
    if consent.status_code != 200:
        raise ConnectError(
            f"connecting {platform} shop {sim_shop_id} failed: "
            f"{consent.status_code} {consent.text[:300]}"
        )
    listed = api.get("/api/v1/shops")
    listed.raise_for_status()
    for shop in listed.json():
        if shop["platform"] == platform and shop["external_id"] == str(sim_shop_id):
            return dict(shop)
    raise ConnectError(f"{platform} shop {sim_shop_id} connected but not listed")
