"""All simulated Shopee state, in memory, behind one lock.

Ids: shop ids count from 10000001; item ids from 3000000001 and model ids from 5000000001 —
both above 2**31 on purpose, so a client storing them in 32-bit integers fails here and not in
production. Tokens, codes, order_sns and push msg_ids come from a random stream seeded by the
app's seed, so the same seed and the same calls give the same ids (also after /_sim/reset).

Product layout (control API): a product with one variant becomes an item WITHOUT models
(has_model false, model_id 0, stock and price in get_item_base_info), as a simple listing is on
Shopee; two or more variants become an item with one tier of models. `"has_model": true` on a
product forces models even for a single variant.

Stock: `seller_stock` includes the units reserved by open orders; buyers can order
`seller_stock - reserved`; see statuses.py for what each order status does to them.
"""

from __future__ import annotations

import json
import random
import string
import threading
import time
from collections.abc import Callable
from typing import Any

from marketsim.common.clock import SimClock
from marketsim.common.errors import BadRequest, Conflict, NotFound, OutOfStock
from marketsim.shopee import errors, statuses
from marketsim.shopee.models import (
    AccessToken,
    AuthCode,
    Item,
    LostPush,
    Model,
    Order,
    OrderLine,
    RefreshToken,
    Shop,
)

ACCESS_TTL_S = 4 * 3600
REFRESH_TTL_S = 30 * 86400
OLD_ACCESS_GRACE_S = 300  # the old access token lives 5 more minutes after a refresh
CODE_TTL_S = 600
CONSENT_TTL_S = 600
LOST_PUSH_WINDOW_S = 3 * 86400
AUTHORIZATION_S = 365 * 86400

CURRENCY = {
    "SG": "SGD", "MY": "MYR", "TH": "THB", "ID": "IDR", "VN": "VND", "PH": "PHP",
    "TW": "TWD", "BR": "BRL", "MX": "MXN", "CO": "COP", "CL": "CLP", "PL": "PLN",
    "ES": "EUR", "AR": "ARS",
}  # fmt: skip
# docs/platforms/shopee.md#endpoints-and-batch-limits (one source): only these regions take prices
# with decimals.
DECIMAL_PRICE_REGIONS = frozenset({"SG", "MY", "BR", "MX", "PL", "ES", "AR"})
_SN_CHARS = string.digits + string.ascii_uppercase

PushFn = Callable[[dict[str, Any]], None]


class ShopeeStore:
    def __init__(
        self,
        clock: SimClock,
        *,
        seed: int = 0,
        push: PushFn | None = None,
        access_ttl_s: float = ACCESS_TTL_S,
        refresh_ttl_s: float = REFRESH_TTL_S,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.push = push
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s
        # Re-entrant: the webhook sender's lost-push callback may run while a caller holds it.
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self._rng = random.Random(f"{self.seed}:shopee-store")
            self._next_shop_id = 10_000_001
            self._next_item_id = 3_000_000_001
            self._next_model_id = 5_000_000_001
            self._next_message_id = 1
            self.shops: dict[int, Shop] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.codes: dict[str, AuthCode] = {}
            self.consents: dict[str, tuple[str, float]] = {}  # consent id -> (redirect, expiry)
            self.items: dict[int, Item] = {}
            self.sku_index: dict[int, dict[str, tuple[int, int]]] = {}  # shop -> sku -> ids
            self.orders: dict[str, Order] = {}
            self.lost: list[LostPush] = []
            self.push_config_on: set[int] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15}
            self.blocked_shops: set[int] = set()

    # -- helpers -----------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock.now())

    def _hex(self, bits: int = 128) -> str:
        return f"{self._rng.getrandbits(bits):0{bits // 4}x}"

    def _shop(self, shop_id: int | str) -> Shop:
        try:
            return self.shops[int(shop_id)]
        except (KeyError, ValueError):
            raise NotFound(f"unknown shop_id {shop_id}") from None

    # -- shops and tokens --------------------------------------------------------------------

    def create_shop(self, name: str | None, region: str | None) -> dict[str, Any]:
        """A shop that has already authorised the partner, with a fresh token pair."""
        with self.lock:
            region = (region or "SG").upper()
            if region not in CURRENCY:
                raise BadRequest(f"unknown region {region}; one of {sorted(CURRENCY)}")
            shop_id = self._next_shop_id
            self._next_shop_id += 1
            now = self.now()
            self.shops[shop_id] = Shop(
                shop_id, name or f"Sim Shop {shop_id}", region, now, now + AUTHORIZATION_S
            )
            self.sku_index[shop_id] = {}
            pair = self._issue_tokens(shop_id)
            # Exactly the control API's shape; name and region are in get_shop_info.
            return {
                "shop_id": shop_id,
                "access_token": pair["access_token"],
                "refresh_token": pair["refresh_token"],
            }

    def _issue_tokens(self, shop_id: int) -> dict[str, Any]:
        now = self.clock.now()
        access, refresh = self._hex(), self._hex()
        self.access_tokens[access] = AccessToken(access, shop_id, now + self.access_ttl_s)
        self.refresh_tokens[refresh] = RefreshToken(
            refresh, shop_id, now + self.refresh_ttl_s, access_token=access
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expire_in": int(self.access_ttl_s),
        }

    def check_access(self, access_token: str, shop_id: int) -> None:
        with self.lock:
            token = self.access_tokens.get(access_token)
            if token is None or token.expires_at <= self.clock.now() or token.shop_id != shop_id:
                raise errors.ShopeeError(errors.AUTH, errors.MSG_INVALID_TOKEN)
            if shop_id not in self.shops:
                raise errors.ShopeeError(errors.AUTH, errors.MSG_INVALID_SHOP)

    def new_consent(self, redirect: str) -> str:
        with self.lock:
            consent_id = self._hex(64)
            self.consents[consent_id] = (redirect, self.clock.now() + CONSENT_TTL_S)
            return consent_id

    def take_consent(self, consent_id: str) -> str:
        with self.lock:
            redirect, expires_at = self.consents.pop(consent_id, ("", 0.0))
            if expires_at <= self.clock.now():
                raise errors.param("The authorization link has expired, please start again.")
            return redirect

    def issue_code(self, shop_id: int) -> str:
        with self.lock:
            self._shop(shop_id)
            code = self._hex()
            self.codes[code] = AuthCode(code, shop_id, self.clock.now() + CODE_TTL_S)
            return code

    def exchange_code(self, code: str, shop_id: int) -> dict[str, Any]:
        with self.lock:
            auth = self.codes.get(code)
            if auth is None or auth.used or auth.expires_at <= self.clock.now():
                raise errors.param("Invalid code.")
            if auth.shop_id != shop_id:
                raise errors.param("Invalid code.")
            auth.used = True
            return self._issue_tokens(shop_id)

    def refresh(self, refresh_token: str, shop_id: int) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            token = self.refresh_tokens.get(refresh_token)
            if token is None or token.used or token.shop_id != shop_id:
                raise errors.param("Invalid refresh_token.")
            if token.expires_at <= now:
                raise errors.param("refresh_token expired.")
            token.used = True
            old = self.access_tokens.get(token.access_token)
            if old is not None:
                old.expires_at = min(old.expires_at, now + OLD_ACCESS_GRACE_S)
            return self._issue_tokens(shop_id)

    # -- catalog -----------------------------------------------------------------------------

    def create_products(self, shop_id: str, products: list[dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            shop = self._shop(shop_id)
            index = self.sku_index[shop.shop_id]
            skus = [v["sku"] for p in products for v in p["variants"]]
            clash = {s for s in skus if s in index or skus.count(s) > 1}
            if clash:
                # Shopee itself allows duplicate SKUs, but /_sim/orders and /_sim/stock name
                # variants by SKU, so the control API keeps them unique per shop.
                raise Conflict(f"duplicate sku in shop {shop.shop_id}: {sorted(clash)}")
            created: dict[str, dict[str, int]] = {}
            now = self.now()
            for product in products:
                item = self._new_item(shop.shop_id, product, now)
                for model in item.models.values():
                    created[model.sku] = {"item_id": item.item_id, "model_id": model.model_id}
                    index[model.sku] = (item.item_id, model.model_id)
            return {"skus": created}

    def _new_item(self, shop_id: int, product: dict[str, Any], now: int) -> Item:
        variants: list[dict[str, Any]] = product["variants"]
        has_model = bool(product.get("has_model")) or len(variants) > 1
        item_id = self._next_item_id
        self._next_item_id += 1
        item = Item(
            item_id=item_id,
            shop_id=shop_id,
            name=product["name"],
            item_sku=product.get("item_sku") or ("" if has_model else variants[0]["sku"]),
            has_model=has_model,
            create_time=now,
            update_time=now,
            status=product.get("status") or "NORMAL",
        )
        for variant in variants:
            model_id = 0
            if has_model:
                model_id = self._next_model_id
                self._next_model_id += 1
            price = float(variant["price"])
            item.models[model_id] = Model(
                model_id=model_id,
                sku=variant["sku"],
                name=variant.get("name") or variant["sku"],
                price=price,
                original_price=float(variant.get("original_price") or price),
                seller_stock=int(variant["stock"]),
            )
        self.items[item_id] = item
        return item

    def shop_items(self, shop_id: int) -> list[Item]:
        with self.lock:
            return sorted(
                (i for i in self.items.values() if i.shop_id == shop_id), key=lambda i: i.item_id
            )

    def item(self, shop_id: int, item_id: int) -> Item:
        with self.lock:
            item = self.items.get(item_id)
            if item is None or item.shop_id != shop_id:
                raise errors.ShopeeError(errors.ITEM_NOT_FOUND, f"Item {item_id} not found.")
            return item

    def region(self, shop_id: int) -> str:
        with self.lock:
            shop = self.shops.get(shop_id)
            return shop.region if shop else "SG"

    def stock(self, shop_id: str) -> dict[str, dict[str, int]]:
        with self.lock:
            shop = self._shop(shop_id)
            out: dict[str, dict[str, int]] = {}
            for sku, (item_id, model_id) in sorted(self.sku_index[shop.shop_id].items()):
                model = self.items[item_id].models[model_id]
                out[sku] = {
                    "seller_stock": model.seller_stock,
                    "reserved": model.reserved,
                    "available": model.available,
                }
            return out

    # -- orders ------------------------------------------------------------------------------

    def create_order(self, shop_id: str, lines: list[dict[str, Any]], status: str | None) -> str:
        with self.lock:
            shop = self._shop(shop_id)
            status = (status or statuses.DEFAULT_NEW).upper()
            if status not in statuses.STATUSES:
                raise BadRequest(f"unknown status {status}; one of {list(statuses.STATUSES)}")
            wanted: dict[tuple[int, int], int] = {}
            for line in lines:
                ref = self.sku_index[shop.shop_id].get(line["sku"])
                if ref is None:
                    raise NotFound(f"unknown sku {line['sku']} in shop {shop.shop_id}")
                wanted[ref] = wanted.get(ref, 0) + int(line["quantity"])
            if status not in statuses.RELEASED:
                for (item_id, model_id), qty in wanted.items():
                    model = self.items[item_id].models[model_id]
                    if qty > model.available:
                        raise OutOfStock(
                            f"sku {model.sku}: {qty} ordered, {model.available} available"
                        )
            now = self.now()
            order = Order(
                order_sn=self._order_sn(now),
                shop_id=shop.shop_id,
                status=status,
                create_time=now,
                update_time=now,
                currency=CURRENCY[shop.region],
                region=shop.region,
                lines=[
                    self._line(item_id, model_id, q) for (item_id, model_id), q in wanted.items()
                ],
                buyer_user_id=self._rng.randrange(10_000_000, 99_999_999),
                pay_time=None if status in ("UNPAID", "CANCELLED") else now,
            )
            for ordered in order.lines:
                model = self.items[ordered.item_id].models[ordered.model_id]
                if status in statuses.HOLDING:
                    model.reserved += ordered.quantity
                elif status in statuses.SHIPPED:
                    model.seller_stock -= ordered.quantity
            self.orders[order.order_sn] = order
            self._push_order(order)
            return order.order_sn

    def _order_sn(self, now: int) -> str:
        # Shopee's look: yymmdd + 8 characters, e.g. 201218V2Y6E59M.
        prefix = time.strftime("%y%m%d", time.gmtime(now))
        while True:
            sn = prefix + "".join(self._rng.choice(_SN_CHARS) for _ in range(8))
            if sn not in self.orders:
                return sn

    def _line(self, item_id: int, model_id: int, quantity: int) -> OrderLine:
        item = self.items[item_id]
        model = item.models[model_id]
        return OrderLine(
            item_id=item_id,
            model_id=model_id,
            item_name=item.name,
            item_sku=item.item_sku,
            model_name=model.name if item.has_model else "",
            model_sku=model.sku if item.has_model else "",
            quantity=quantity,
            price=model.price,
        )

    def set_order_status(self, order_id: str, status: str) -> None:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise NotFound(f"unknown order {order_id}")
            status = status.upper()
            if status not in statuses.STATUSES:
                raise BadRequest(f"unknown status {status}; one of {list(statuses.STATUSES)}")
            if status == order.status:
                return
            if not statuses.move_allowed(order.status, status):
                raise Conflict(f"order {order_id} cannot move from {order.status} to {status}")
            for line in order.lines:
                model = self.items[line.item_id].models[line.model_id]
                if order.status in statuses.HOLDING and status in statuses.SHIPPED:
                    model.reserved -= line.quantity
                    model.seller_stock -= line.quantity
                elif order.status in statuses.HOLDING and status in statuses.RELEASED:
                    model.reserved -= line.quantity
            if status == "CANCELLED":
                order.cancel_by = "buyer" if order.status in ("UNPAID", "IN_CANCEL") else "seller"
                order.cancel_reason = "Simulated cancellation"
            if order.pay_time is None and status not in ("UNPAID", "CANCELLED"):
                order.pay_time = self.now()
            order.status = status
            # Strictly increasing, so a client applying updates "forward in update_time" never
            # drops a second move made within the same second.
            order.update_time = max(self.now(), order.update_time + 1)
            self._push_order(order)

    def shop_orders(self, shop_id: int) -> list[Order]:
        with self.lock:
            return [o for o in self.orders.values() if o.shop_id == shop_id]

    # -- push --------------------------------------------------------------------------------

    def _push_order(self, order: Order) -> None:
        """Push code 3 (order status), docs/platforms/shopee.md#webhooks."""
        if self.push is None or 3 not in self.push_config_on:
            return
        if order.shop_id in self.blocked_shops:
            return
        self.push(
            {
                "shop_id": order.shop_id,
                "code": 3,
                "timestamp": self.now(),
                "msg_id": self._hex(),
                "data": {
                    "ordersn": order.order_sn,
                    "status": order.status,
                    "update_time": order.update_time,
                    "completed_scenario": "",
                    "items": [],
                },
            }
        )

    def add_lost(self, payload: dict[str, Any]) -> None:
        with self.lock:
            self.lost.append(
                LostPush(
                    message_id=self._next_message_id,
                    shop_id=int(payload.get("shop_id") or 0),
                    code=int(payload.get("code") or 0),
                    timestamp=int(payload.get("timestamp") or self.now()),
                    data=json.dumps(payload.get("data", {}), separators=(",", ":")),
                )
            )
            self._next_message_id += 1

    def lost_page(self, limit: int = 100) -> tuple[list[LostPush], bool]:
        """The earliest `limit` unconfirmed pushes of the last 3 days, and whether more exist."""
        with self.lock:
            since = self.now() - LOST_PUSH_WINDOW_S
            pending = [m for m in self.lost if not m.confirmed and m.timestamp >= since]
            return pending[:limit], len(pending) > limit

    def confirm_lost(self, last_message_id: int) -> None:
        with self.lock:
            for message in self.lost:
                if message.message_id <= last_message_id:
                    message.confirmed = True
