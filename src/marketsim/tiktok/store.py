"""Shops, catalog, stock and orders of the simulated platform, and the rules that move stock.

Stock follows TikTok's split (docs/platforms/tiktok.md#what-stock-means): the `quantity` a seller
pushes is what buyers can order (`available`); an order moves units to `committed`; shipping
(IN_TRANSIT and later) removes them; a cancel before shipping returns them to `available`. Nothing
here knows about HTTP.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from marketsim.tiktok.ids import IdFactory
from marketsim.tiktok.models import (
    CANCELLED,
    ORDER_FLOW,
    ORDER_STATUSES,
    SHIPPED_STATUSES,
    LineItem,
    Order,
    Product,
    Shop,
    Sku,
)


class StoreError(ValueError):
    """Bad input to a control operation (unknown shop, sku or status, illegal transition)."""


class UnknownRecord(StoreError):
    """The shop, sku or order named does not exist."""


class Refused(StoreError):
    """Well formed, but the state refuses it: an illegal status move, a seller SKU already used."""


class NotEnoughStock(StoreError):
    """An order asks for more units than buyers can order right now."""


@dataclass(frozen=True)
class Variant:
    seller_sku: str
    price: Decimal
    stock: int


class TikTokStore:
    def __init__(self, ids: IdFactory, now: Callable[[], float], default_region: str) -> None:
        self._ids = ids
        self._now = now
        self._default_region = default_region
        # Re-entrant: the control API runs in a worker thread, API handlers on the event loop.
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self._ids.reset()
            self.shops: dict[str, Shop] = {}
            self.products: dict[str, Product] = {}
            self.skus: dict[str, Sku] = {}
            self.orders: dict[str, Order] = {}

    def now(self) -> int:
        return int(self._now())

    # --- shops ------------------------------------------------------------------------------
    def add_shop(self, name: str | None, region: str | None) -> Shop:
        with self.lock:
            region = (region or self._default_region).upper()
            number = len(self.shops) + 1
            shop = Shop(
                id=self._ids.next("shop"),
                name=name or f"Sim TikTok Shop {number}",
                region=region,
                cipher=self._ids.token("ROW_", 28),
                code=self._ids.token(f"{region}LC", 8).upper(),
                open_id=self._ids.next("open_id"),
                warehouse_id=self._ids.next("warehouse"),
            )
            self.shops[shop.id] = shop
            return shop

    def shop(self, shop_id: str) -> Shop:
        shop = self.shops.get(shop_id)
        if shop is None:
            raise UnknownRecord(f"unknown shop_id {shop_id!r}")
        return shop

    def shop_by_cipher(self, cipher: str) -> Shop | None:
        return next((s for s in self.shops.values() if s.cipher == cipher), None)

    # --- catalog ----------------------------------------------------------------------------
    def add_products(
        self, shop_id: str, products: Iterable[tuple[str, list[Variant]]]
    ) -> list[Product]:
        """All or nothing: the whole batch is checked before anything is created."""
        with self.lock:
            self.shop(shop_id)
            products = list(products)
            names = [v.seller_sku for _, variants in products for v in variants]
            taken = {s.seller_sku for p in self.products_of(shop_id) for s in p.skus}
            repeated = [n for n, c in Counter(names).items() if c > 1]
            clash = sorted(set(names) & taken) or sorted(repeated)
            if clash:
                # The platform allows duplicates, but the control API addresses SKUs by seller SKU.
                raise Refused(f"seller sku already used in this shop: {', '.join(clash)}")
            for title, variants in products:
                if not variants:
                    raise StoreError(f"product {title!r} has no variants")
                for v in variants:
                    if not 0 <= v.stock <= 99_999:
                        raise StoreError(f"stock of {v.seller_sku!r} must be 0..99999")
            return [self._add_product(shop_id, title, variants) for title, variants in products]

    def _add_product(self, shop_id: str, title: str, variants: list[Variant]) -> Product:
        now = self.now()
        product = Product(
            id=self._ids.next("product"),
            shop_id=shop_id,
            title=title,
            status="ACTIVATE",
            create_time=now,
            update_time=now,
            skus=[],
        )
        for v in variants:
            sku = Sku(self._ids.next("sku"), product.id, v.seller_sku, v.price, v.stock)
            product.skus.append(sku)
            self.skus[sku.id] = sku
        self.products[product.id] = product
        return product

    def products_of(self, shop_id: str) -> list[Product]:
        return [p for p in self.products.values() if p.shop_id == shop_id]

    def sku_by_seller_sku(self, shop_id: str, seller_sku: str) -> Sku:
        for product in self.products_of(shop_id):
            for sku in product.skus:
                if sku.seller_sku == seller_sku:
                    return sku
        raise UnknownRecord(f"unknown sku {seller_sku!r} in shop {shop_id}")

    def touch(self, product: Product) -> None:
        # Stock and price edits move update_time, so a catalog poll by update_time sees them.
        product.update_time = self.now()

    # --- orders -----------------------------------------------------------------------------
    def create_order(self, shop_id: str, lines: Iterable[tuple[str, int]], status: str) -> Order:
        with self.lock:
            shop = self.shop(shop_id)
            if status not in ORDER_STATUSES:
                raise StoreError(f"unknown order status {status!r}")
            wanted: Counter[str] = Counter()
            for seller_sku, quantity in lines:
                if quantity < 1:
                    raise StoreError("quantity must be at least 1")
                wanted[self.sku_by_seller_sku(shop_id, seller_sku).id] += quantity
            if not wanted:
                raise StoreError("an order needs at least one line")
            short = [
                f"{self.skus[sid].seller_sku} (wanted {q}, available {self.skus[sid].available})"
                for sid, q in wanted.items()
                if q > self.skus[sid].available
            ]
            if short and status != CANCELLED:
                raise NotEnoughStock("not enough stock: " + ", ".join(short))
            now = self.now()
            items: list[LineItem] = []
            for sku_id, quantity in wanted.items():
                sku = self.skus[sku_id]
                title = self.products[sku.product_id].title
                # No quantity field on the platform: one line item per unit
                # (docs/platforms/tiktok.md#endpoints-and-batch-limits).
                items.extend(
                    LineItem(
                        self._ids.next("line_item"),
                        sku.id,
                        sku.product_id,
                        sku.seller_sku,
                        title,
                        sku.price,
                    )
                    for _ in range(quantity)
                )
            order = Order(
                id=self._ids.next("order"),
                shop_id=shop_id,
                status=status,
                create_time=now,
                update_time=now,
                currency=shop.currency,
                line_items=items,
                paid_time=None if status in ("UNPAID", CANCELLED) else now,
                stock_state="released",
            )
            if status != CANCELLED:
                self._move_stock(order, "committed")
                if status in SHIPPED_STATUSES:
                    self._move_stock(order, "shipped")
            self.orders[order.id] = order
            return order

    def set_order_status(self, order_id: str, status: str) -> Order:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise UnknownRecord(f"unknown order_id {order_id!r}")
            if status not in ORDER_STATUSES:
                raise StoreError(f"unknown order status {status!r}")
            current = order.status
            if status == CANCELLED:
                if current == CANCELLED or current in SHIPPED_STATUSES:
                    raise Refused(f"cannot cancel an order in {current}")
                order.cancel_reason = "Cancelled by the simulator control API"
                self._move_stock(order, "released")
            else:
                if current == CANCELLED or ORDER_FLOW.index(status) <= ORDER_FLOW.index(current):
                    raise Refused(f"cannot move an order from {current} to {status}")
                if status in SHIPPED_STATUSES:
                    self._move_stock(order, "shipped")
                if order.paid_time is None:
                    order.paid_time = self.now()
            order.status = status
            # Second resolution like the platform: two changes in one second share update_time.
            order.update_time = self.now()
            return order

    def _move_stock(self, order: Order, target: str) -> None:
        units = Counter(item.sku_id for item in order.line_items)
        for sku_id, quantity in units.items():
            sku = self.skus[sku_id]
            if order.stock_state == "released" and target == "committed":
                sku.available -= quantity
                sku.committed += quantity
            elif order.stock_state == "committed" and target == "shipped":
                sku.committed -= quantity
            elif order.stock_state == "committed" and target == "released":
                sku.committed -= quantity
                sku.available += quantity
        order.stock_state = target

    def orders_of(self, shop_id: str) -> list[Order]:
        return [o for o in self.orders.values() if o.shop_id == shop_id]

    def stock(self, shop_id: str) -> dict[str, dict[str, int]]:
        """For `/_sim/stock`: TikTok's `quantity` is already net of what orders committed."""
        with self.lock:
            self.shop(shop_id)
            return {
                sku.seller_sku: {
                    "seller_stock": sku.available,
                    "reserved": sku.committed,
                    "available": sku.available,
                }
                for product in self.products_of(shop_id)
                for sku in product.skus
            }
