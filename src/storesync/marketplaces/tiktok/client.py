"""`TikTokClient`: the MarketplaceClient protocol over TikTok Shop Open API 202309.

Stock semantics (docs/platforms/tiktok.md#what-stock-means): TikTok reports available and committed
units apart, and the `quantity` we write is what buyers can order, so we write `available` as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from storesync.domain.platform import Platform
from storesync.errors import StoreSyncError
from storesync.marketplaces.base import (
    AuthorizedShop,
    ListingRef,
    LostEventBatch,
    MarketplaceClient,
    OrderRef,
    PriceUpdate,
    RemoteOrder,
    RemoteProduct,
    RemoteStock,
    ShopCredentials,
    StockUpdate,
    TokenSet,
    VariantResult,
    WebhookEvent,
)
from storesync.marketplaces.core import ClientCore, write_per_item
from storesync.marketplaces.tiktok import auth, mapping, webhooks
from storesync.marketplaces.tiktok import schemas as s
from storesync.marketplaces.tiktok.config import TikTokAppConfig
from storesync.marketplaces.tiktok.errors import sku_failure
from storesync.marketplaces.tiktok.transport import TikTokTransport
from storesync.marketplaces.tokens import TokensCallback
from storesync.marketplaces.util import chunked, unix_floor, utc_from_unix

PAGE_SIZE = 100
ORDER_BATCH = 50
INVENTORY_SKUS = 600  # inventory/search by sku_ids
INVENTORY_PRODUCTS = 100  # inventory/search by product_ids
# TikTok publishes no SKU cap per update; 100 bounds the request and the blast radius of a
# rejected call (a product rarely has more SKUs).
SKUS_PER_CALL = 100

P_PRODUCTS = "/product/202309/products/search"
P_INVENTORY = "/product/202309/inventory/search"
P_ORDERS_SEARCH = "/order/202309/orders/search"
P_ORDERS = "/order/202309/orders"


def _inventory_update_path(product_id: str) -> str:
    return f"/product/202309/products/{product_id}/inventory/update"


def _price_update_path(product_id: str) -> str:
    return f"/product/202309/products/{product_id}/prices/update"


class TikTokClient(ClientCore):
    platform = Platform.TIKTOK
    _transport: TikTokTransport

    def __init__(
        self,
        app: TikTokAppConfig,
        credentials: ShopCredentials | None = None,
        *,
        on_tokens: TokensCallback | None = None,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Without credentials the client acts for the app: consent, code exchange, webhooks."""
        if credentials is not None and not credentials.extra.get(auth.CIPHER):
            raise ValueError("TikTok shop credentials need extra['cipher'] (from exchange_code)")
        self._app = app
        super().__init__(
            app.timeouts, credentials, on_tokens=on_tokens, http_client=http_client, clock=clock
        )
        cipher = credentials.extra[auth.CIPHER] if credentials else None
        self._transport = TikTokTransport(app, self._http, cipher=cipher, clock=clock)

    # --- plumbing ---------------------------------------------------------------------------

    def _refresh(self, current: TokenSet) -> TokenSet:
        query = auth.token_refresh_query(self._app, current.refresh_token)
        outcome = self._transport.call(
            "GET", auth.TOKEN_REFRESH_PATH, s.TokenData, query=query, auth_host=True
        )
        return auth.token_set(outcome.value)

    # --- consent and tokens -----------------------------------------------------------------

    def authorization_url(self, redirect_url: str, state: str) -> str:
        return auth.authorization_url(self._app, redirect_url, state)

    def exchange_code(self, code: str, shop_hint: str | None = None) -> list[AuthorizedShop]:
        query = auth.token_get_query(self._app, code)
        data = self._transport.call(
            "GET", auth.TOKEN_GET_PATH, s.TokenData, query=query, auth_host=True
        ).value
        tokens = auth.token_set(data)
        shops = self._transport.call(
            "GET", auth.SHOPS_PATH, s.ShopsData, tokens=tokens, shop_scoped=False
        ).value
        return auth.authorized_shops(shops, tokens, shop_hint)

    # --- catalog and stock ------------------------------------------------------------------

    def list_products(self, updated_since: datetime | None = None) -> Iterator[RemoteProduct]:
        body: dict[str, Any] = {"status": "ALL"}
        if updated_since is not None:
            body["update_time_ge"] = unix_floor(updated_since)
        token = ""
        while True:
            query = [("page_size", str(PAGE_SIZE))] + ([("page_token", token)] if token else [])
            page, _ = self._shop("POST", P_PRODUCTS, s.ProductPage, query=query, body=body)
            inventory = self._inventory(product_ids=[p.id for p in page.products])
            for item in page.products:
                yield mapping.product(item, inventory)
            if not page.next_page_token:
                return
            token = page.next_page_token

    def _inventory(
        self, *, product_ids: Sequence[str] = (), sku_ids: Sequence[str] = ()
    ) -> dict[str, s.InventorySku]:
        """Available and committed units per SKU id."""
        out: dict[str, s.InventorySku] = {}
        batches = [
            *({"product_ids": list(c)} for c in chunked(product_ids, INVENTORY_PRODUCTS)),
            *({"sku_ids": list(c)} for c in chunked(sku_ids, INVENTORY_SKUS)),
        ]
        for body in batches:
            data, _ = self._shop("POST", P_INVENTORY, s.InventoryData, body=body)
            for product in data.inventory:
                for sku in product.skus:
                    out[sku.id] = sku
        return out

    def read_stock(self, refs: Sequence[ListingRef]) -> list[RemoteStock]:
        """Stock of `refs`, in their order; refs TikTok no longer has are left out."""
        unique = list(dict.fromkeys(refs))
        inventory = self._inventory(sku_ids=[ref.external_variant_id for ref in unique])
        return [
            RemoteStock(
                ref,
                sku.seller_sku or None,
                sku.total_available_quantity,
                sku.total_committed_quantity,
            )
            for ref in unique
            if (sku := inventory.get(ref.external_variant_id)) is not None
        ]

    def update_stock(self, updates: Sequence[StockUpdate]) -> list[VariantResult]:
        return write_per_item(updates, SKUS_PER_CALL, self._stock_batch)

    def _stock_batch(
        self, product_id: str, batch: Sequence[StockUpdate]
    ) -> dict[ListingRef, VariantResult]:
        # `quantity` is what buyers can order (committed units are counted apart), capped at
        # the API's maximum: nobody orders 99,999+ units before the next push.
        quantities = {u.ref: min(u.available, s.MAX_QUANTITY) for u in batch}
        body = s.inventory_body([(r.external_variant_id, q) for r, q in quantities.items()])
        answer, request_id = self._shop(
            "POST", _inventory_update_path(product_id), s.SkuErrorsData, body=body
        )
        failed: dict[str, StoreSyncError] = {}
        for entry in answer.errors:
            detail = entry.get("detail")
            sku_id = detail.get("sku_id") if isinstance(detail, dict) else None
            failed[str(sku_id or "")] = sku_failure(entry, request_id=request_id)
        sent = {u.ref.external_variant_id for u in batch}
        # An error naming no SKU of ours might be about any of them: claim no success then.
        stray = next((err for sku, err in failed.items() if sku not in sent), None)
        results = {}
        for u in batch:
            error = failed.get(u.ref.external_variant_id) or stray
            results[u.ref] = (
                VariantResult(u.ref, ok=False, error=error)
                if error is not None
                else VariantResult(u.ref, ok=True, confirmed_available=quantities[u.ref])
            )
        return results

    def update_prices(self, updates: Sequence[PriceUpdate]) -> list[VariantResult]:
        # The price call is all or nothing: one refusal fails every variant of its product.
        return write_per_item(updates, SKUS_PER_CALL, self._price_batch)

    def _price_batch(
        self, product_id: str, batch: Sequence[PriceUpdate]
    ) -> dict[ListingRef, VariantResult]:
        body = s.price_body([(u.ref.external_variant_id, u.price, u.currency) for u in batch])
        self._shop("POST", _price_update_path(product_id), s.Empty, body=body)
        return {u.ref: VariantResult(u.ref, ok=True) for u in batch}

    # --- orders -----------------------------------------------------------------------------

    def list_orders(self, updated_from: datetime, updated_to: datetime) -> Iterator[OrderRef]:
        """Orders updated in [from, to] (whole seconds), oldest update first, every page."""
        body = {
            "update_time_ge": unix_floor(updated_from),
            "update_time_lt": unix_floor(updated_to) + 1,  # `_lt` is exclusive
        }
        seen: set[str] = set()  # an order updated while we page moves behind us: once is enough
        token = ""
        while True:
            query = [
                ("page_size", str(PAGE_SIZE)),
                ("sort_field", "update_time"),
                ("sort_order", "ASC"),
                *([("page_token", token)] if token else []),
            ]
            page, _ = self._shop("POST", P_ORDERS_SEARCH, s.OrderPage, query=query, body=body)
            for order in page.orders:
                if order.id not in seen:
                    seen.add(order.id)
                    yield OrderRef(order.id, utc_from_unix(order.update_time))
            if not page.next_page_token:
                return
            token = page.next_page_token

    def get_orders(self, external_ids: Sequence[str]) -> list[RemoteOrder]:
        """Orders by id (any number; 50 per call); ids TikTok does not know are left out."""
        orders: list[RemoteOrder] = []
        for chunk in chunked(list(dict.fromkeys(external_ids)), ORDER_BATCH):
            data, _ = self._shop("GET", P_ORDERS, s.OrdersData, query=[("ids", ",".join(chunk))])
            orders += [mapping.order(order) for order in data.orders]
        return orders

    # --- pushes -----------------------------------------------------------------------------

    def fetch_lost_events(self) -> LostEventBatch:
        # TikTok has no lost-push API: its retries stop after 12 h; order polling covers gaps.
        return LostEventBatch(events=(), cursor=None, has_more=False)

    def confirm_lost_events(self, cursor: str) -> None:
        return None

    def verify_webhook(self, *, raw_body: bytes, headers: Mapping[str, str], url: str) -> bool:
        """`url` is not part of TikTok's signature; accepted so both platforms look the same."""
        return webhooks.verify(
            self._app.app_key, self._app.app_secret, raw_body=raw_body, headers=headers
        )

    @staticmethod
    def parse_webhook(raw_body: bytes) -> WebhookEvent:
        return webhooks.parse(raw_body)


if TYPE_CHECKING:
    # The protocol is structural: this line makes mypy prove the client satisfies it.
    _conforms: type[MarketplaceClient] = TikTokClient
