"""Thin HTTP clients for what the demo drives: a simulator's `/_sim/` control API, and StoreSync's
own REST API (including the OAuth connect flow a seller's browser would follow)."""

from __future__ import annotations

from typing import Any

import httpx

from storesync.testing.oauth import connect_shop


class Refused(Exception):
    """The simulator refused an order or a move (409: out of stock, illegal status change)."""


class SimApi:
    """One simulator's control API. Its calls are never faulted, rate limited or counted in
    `/_sim/calls`: they are the buyer's and the test's hand, not a client's."""

    def __init__(self, platform: str, url: str) -> None:
        self.platform = platform
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        if response.status_code == 409:
            raise Refused(response.json().get("detail", response.text))
        response.raise_for_status()
        return response.json()

    def create_shop(self, name: str) -> str:
        return str(self._post("/_sim/shops", {"name": name})["shop_id"])

    def add_products(self, shop_id: str, products: list[dict[str, Any]]) -> None:
        self._post("/_sim/products", {"shop_id": shop_id, "products": products})

    def create_order(self, shop_id: str, lines: dict[str, int], status: str | None) -> str:
        body: dict[str, Any] = {
            "shop_id": shop_id,
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()],
        }
        if status:
            body["status"] = status
        return str(self._post("/_sim/orders", body)["order_id"])

    def set_status(self, order_id: str, status: str) -> None:
        self._post(f"/_sim/orders/{order_id}/status", {"status": status})

    def stock(self, shop_id: str) -> dict[str, int]:
        """What buyers can order now, per seller SKU."""
        response = self.http.get("/_sim/stock", params={"shop_id": shop_id})
        response.raise_for_status()
        return {sku: int(row["available"]) for sku, row in response.json().items()}

    def calls(self) -> dict[str, dict[str, int]]:
        response = self.http.get("/_sim/calls")
        response.raise_for_status()
        result: dict[str, dict[str, int]] = response.json()
        return result

    def set_faults(self, profile: dict[str, Any]) -> None:
        self.http.put("/_sim/faults", json=profile).raise_for_status()


class StoreSyncApi:
    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.http = httpx.Client(
            base_url=url, timeout=30, headers={"Authorization": f"Bearer {key}"}
        )

    def close(self) -> None:
        self.http.close()

    def connect(self, platform: str, sim_shop_id: str) -> int:
        """Connect a shop the way a seller does: ask for the authorization URL, open it, approve;
        the platform redirects to our callback, which exchanges the code. Returns our shop id."""
        return int(connect_shop(self.http, platform, sim_shop_id)["id"])

    def shops(self) -> list[dict[str, Any]]:
        response = self.http.get("/api/v1/shops")
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def jobs(self, kind: str, limit: int = 100) -> list[dict[str, Any]]:
        response = self.http.get("/api/v1/jobs", params={"kind": kind, "limit": limit})
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result
