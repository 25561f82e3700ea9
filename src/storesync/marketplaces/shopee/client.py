"""`ShopeeClient`: the MarketplaceClient protocol over Shopee Open Platform v2.

Stock semantics (docs/platforms/shopee.md#what-stock-means): Shopee's writable `seller_stock`
includes the units its own open orders reserve and must stay >= them, so we write `available +
reserved_here`, and a buyer can order `seller_stock - reserved` (`total_available_stock`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import structlog
from pydantic import BaseModel

from storesync.domain.platform import Platform
from storesync.errors import PlatformAPIError, StoreSyncError
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
    RemoteVariant,
    ShopCredentials,
    StockUpdate,
    TokenSet,
    VariantResult,
    WebhookEvent,
)
from storesync.marketplaces.core import ClientCore, write_per_item
from storesync.marketplaces.shopee import auth, mapping, statuses, webhooks
from storesync.marketplaces.shopee import schemas as s
from storesync.marketplaces.shopee.config import ShopeeAppConfig
from storesync.marketplaces.shopee.errors import item_failure
from storesync.marketplaces.shopee.transport import ShopeeTransport
from storesync.marketplaces.tokens import TokensCallback
from storesync.marketplaces.util import chunked, unix_ceil, unix_floor

log = structlog.get_logger("storesync.marketplaces")

PAGE_SIZE = 100
BATCH = 50  # item_id_list, order_sn_list, stock_list and price_list all cap at 50
ORDER_WINDOW = timedelta(days=15)
ORDER_FIELDS = "item_list,total_amount,pay_time,cancel_by,cancel_reason"

P_SHOP_INFO = "/api/v2/shop/get_shop_info"
P_ITEM_LIST = "/api/v2/product/get_item_list"
P_BASE_INFO = "/api/v2/product/get_item_base_info"
P_MODELS = "/api/v2/product/get_model_list"
P_STOCK = "/api/v2/product/update_stock"
P_PRICE = "/api/v2/product/update_price"
P_ORDER_LIST = "/api/v2/order/get_order_list"
P_ORDER_DETAIL = "/api/v2/order/get_order_detail"
P_LOST = "/api/v2/push/get_lost_push_message"
P_LOST_CONFIRM = "/api/v2/push/confirm_consumed_lost_push_message"


class ShopeeClient(ClientCore):
    platform = Platform.SHOPEE
    _transport: ShopeeTransport

    def __init__(
        self,
        app: ShopeeAppConfig,
        credentials: ShopCredentials | None = None,
        *,
        on_tokens: TokensCallback | None = None,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Without credentials the client acts for the app: consent, code exchange, pushes."""
        self._app = app
        super().__init__(
            app.timeouts, credentials, on_tokens=on_tokens, http_client=http_client, clock=clock
        )
        shop_id = credentials.external_shop_id if credentials else None
        self._transport = ShopeeTransport(app, self._http, shop_id=shop_id, clock=clock)

    # --- plumbing ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=UTC)

    def _refresh(self, current: TokenSet) -> TokenSet:
        assert self._credentials is not None
        body = auth.refresh_body(
            self._app, current.refresh_token, self._credentials.external_shop_id
        )
        outcome = self._transport.call(
            "POST", auth.TOKEN_REFRESH_PATH, s.TokenAnswer, body=body, top_level=True
        )
        return auth.token_set(outcome.value.model_dump(), self._now())

    # --- consent and tokens -----------------------------------------------------------------

    def authorization_url(self, redirect_url: str, state: str) -> str:
        return auth.authorization_url(self._app, redirect_url, state, int(self._clock()))

    def exchange_code(self, code: str, shop_hint: str | None = None) -> list[AuthorizedShop]:
        body = auth.token_get_body(self._app, code, shop_hint)
        assert shop_hint is not None  # token_get_body refuses None
        answer = self._transport.call(
            "POST", auth.TOKEN_GET_PATH, s.TokenAnswer, body=body, top_level=True
        ).value
        payload = answer.model_dump()
        tokens = auth.token_set(payload, self._now())
        return [
            self._authorized(shop_id, tokens)
            for shop_id in auth.granted_shop_ids(payload, shop_hint)
        ]

    def _authorized(self, shop_id: str, tokens: TokenSet) -> AuthorizedShop:
        info = ShopeeTransport(self._app, self._http, shop_id=shop_id, clock=self._clock)
        try:
            shop = info.call("GET", P_SHOP_INFO, s.ShopInfoAnswer, tokens=tokens, top_level=True)
        except StoreSyncError as exc:
            # The code is spent and these tokens exist nowhere else: a cosmetic name is not
            # worth losing the connection over. The failure is logged, the shop still connects.
            log.warning(
                "shop_info_unavailable", platform="shopee", shop_id=shop_id, error=repr(exc)
            )
            return AuthorizedShop(shop_id, f"Shopee shop {shop_id}", None, tokens)
        return AuthorizedShop(shop_id, shop.value.shop_name, shop.value.region, tokens)

    # --- catalog and stock ------------------------------------------------------------------

    def list_products(self, updated_since: datetime | None = None) -> Iterator[RemoteProduct]:
        offset = 0
        while True:
            query = [
                ("offset", str(offset)),
                ("page_size", str(PAGE_SIZE)),
                *(("item_status", status) for status in statuses.LISTED_ITEM_STATUSES),
            ]
            if updated_since is not None:
                query += [
                    ("update_time_from", str(unix_floor(updated_since))),
                    ("update_time_to", str(int(self._clock()) + 60)),
                ]
            page, _ = self._shop("GET", P_ITEM_LIST, s.ItemListPage, query=query)
            for chunk in chunked([item.item_id for item in page.item], BATCH):
                for info in self._base_info(chunk):
                    yield mapping.product(info, self._variants(info))
            if not page.has_next_page or not page.item:
                return
            offset = page.next_offset

    def _base_info(self, item_ids: Sequence[int]) -> list[s.ItemBaseInfo]:
        query = [("item_id_list", ",".join(str(i) for i in item_ids))]
        answer, _ = self._shop("GET", P_BASE_INFO, s.ItemBaseInfoList, query=query)
        return answer.item_list

    def _variants(self, info: s.ItemBaseInfo) -> list[RemoteVariant]:
        if not info.has_model:
            return [mapping.single_variant(info)]
        models, _ = self._shop("GET", P_MODELS, s.ModelList, query=[("item_id", str(info.item_id))])
        return [mapping.model_variant(info.item_id, model) for model in models.model]

    def read_stock(self, refs: Sequence[ListingRef]) -> list[RemoteStock]:
        """Stock of `refs`, in their order; refs Shopee no longer has are left out."""
        wanted = set(refs)
        found: dict[ListingRef, RemoteStock] = {}
        item_ids = list(dict.fromkeys(int(ref.external_item_id) for ref in refs))
        for chunk in chunked(item_ids, BATCH):
            for info in self._base_info(chunk):
                for variant in self._variants(info):
                    if variant.ref in wanted:
                        found[variant.ref] = RemoteStock(
                            variant.ref, variant.sku, variant.available, variant.reserved
                        )
        return [found[ref] for ref in dict.fromkeys(refs) if ref in found]

    def update_stock(self, updates: Sequence[StockUpdate]) -> list[VariantResult]:
        return write_per_item(updates, BATCH, self._stock_batch)

    def _stock_batch(
        self, item_id: str, batch: Sequence[StockUpdate]
    ) -> dict[ListingRef, VariantResult]:
        stocks = [(int(u.ref.external_variant_id), u.available + u.reserved_here) for u in batch]
        body = s.stock_body(int(item_id), stocks)
        answer, request_id = self._shop("POST", P_STOCK, s.UpdateStockAnswer, body=body)
        reserved = {int(u.ref.external_variant_id): u.reserved_here for u in batch}
        # Shopee confirms seller_stock; buyers see it minus the reservations we assumed.
        done = {
            ok.model_id: max(0, ok.stock - reserved.get(ok.model_id, 0))
            for ok in answer.success_list
        }
        return _per_model(batch, done, answer.failure_list, request_id)

    def update_prices(self, updates: Sequence[PriceUpdate]) -> list[VariantResult]:
        return write_per_item(updates, BATCH, self._price_batch)

    def _price_batch(
        self, item_id: str, batch: Sequence[PriceUpdate]
    ) -> dict[ListingRef, VariantResult]:
        prices = [(int(u.ref.external_variant_id), u.price) for u in batch]
        body = s.price_body(int(item_id), prices)
        answer, request_id = self._shop("POST", P_PRICE, s.UpdatePriceAnswer, body=body)
        done = {ok.model_id: None for ok in answer.success_list}
        return _per_model(batch, done, answer.failure_list, request_id)

    # --- orders -----------------------------------------------------------------------------

    def list_orders(self, updated_from: datetime, updated_to: datetime) -> Iterator[OrderRef]:
        """Orders updated in [from, to], split into Shopee's 15-day windows, every page."""
        start, end = unix_floor(updated_from), unix_ceil(updated_to)
        window = int(ORDER_WINDOW.total_seconds())
        seen: set[str] = set()  # windows share their boundary second
        while start <= end:
            stop = min(start + window, end)
            yield from self._order_window(start, stop, seen)
            if stop >= end:
                return
            start = stop

    def _order_window(self, start: int, stop: int, seen: set[str]) -> Iterator[OrderRef]:
        cursor = ""
        while True:
            query = [
                ("time_range_field", "update_time"),
                ("time_from", str(start)),
                ("time_to", str(stop)),
                ("page_size", str(PAGE_SIZE)),
                ("cursor", cursor),
                ("response_optional_fields", "order_status"),
            ]
            page, _ = self._shop("GET", P_ORDER_LIST, s.OrderListPage, query=query)
            for entry in page.order_list:
                if entry.order_sn not in seen:
                    seen.add(entry.order_sn)
                    yield OrderRef(entry.order_sn)
            if not page.more or not page.next_cursor:
                return
            cursor = page.next_cursor

    def get_orders(self, external_ids: Sequence[str]) -> list[RemoteOrder]:
        """Orders by id (any number; 50 per call); ids Shopee does not know are left out."""
        orders: list[RemoteOrder] = []
        for chunk in chunked(list(dict.fromkeys(external_ids)), BATCH):
            query = [
                ("order_sn_list", ",".join(chunk)),
                ("response_optional_fields", ORDER_FIELDS),
            ]
            answer, _ = self._shop("GET", P_ORDER_DETAIL, s.OrderDetailList, query=query)
            orders += [mapping.order(detail) for detail in answer.order_list]
        return orders

    # --- pushes -----------------------------------------------------------------------------

    def fetch_lost_events(self) -> LostEventBatch:
        """The earliest 100 unconfirmed pushes of the last 3 days, for the whole app."""
        answer = self._transport.call("GET", P_LOST, s.LostPushPage).value
        events = tuple(
            webhooks.event_from_payload(push.model_dump()) for push in answer.push_message_list
        )
        cursor = str(answer.last_message_id) if events and answer.last_message_id else None
        return LostEventBatch(events, cursor, answer.has_next_page)

    def confirm_lost_events(self, cursor: str) -> None:
        body = {"last_message_id": int(cursor)}
        self._transport.call("POST", P_LOST_CONFIRM, _Empty, body=body)

    def verify_webhook(self, *, raw_body: bytes, headers: Mapping[str, str], url: str) -> bool:
        return webhooks.verify(self._app.partner_key, raw_body=raw_body, headers=headers, url=url)

    @staticmethod
    def parse_webhook(raw_body: bytes) -> WebhookEvent:
        return webhooks.parse(raw_body)


class _Empty(BaseModel):
    pass


def _per_model(
    batch: Sequence[StockUpdate] | Sequence[PriceUpdate],
    done: Mapping[int, int | None],
    failures: Sequence[s.ModelFailure],
    request_id: str | None,
) -> dict[ListingRef, VariantResult]:
    """success_list / failure_list -> one result per variant (`done`: confirmed available)."""
    failed = {f.model_id: f.failed_reason for f in failures}
    results = {}
    for update in batch:
        model_id = int(update.ref.external_variant_id)
        if model_id in failed:
            error = item_failure(failed[model_id], request_id=request_id, variant_id=str(model_id))
            results[update.ref] = VariantResult(update.ref, ok=False, error=error)
        elif model_id in done:
            results[update.ref] = VariantResult(update.ref, True, done[model_id])
        else:
            results[update.ref] = _unconfirmed(update.ref, request_id)
    return results


def _unconfirmed(ref: ListingRef, request_id: str | None) -> VariantResult:
    # Neither in success_list nor failure_list: we cannot claim it worked; retrying is safe.
    error = PlatformAPIError(
        f"Shopee did not confirm model {ref.external_variant_id}",
        details={"platform": "shopee", "request_id": request_id, "ref": str(ref)},
    )
    return VariantResult(ref, ok=False, error=error)


if TYPE_CHECKING:
    # The protocol is structural: this line makes mypy prove the client satisfies it.
    _conforms: type[MarketplaceClient] = ShopeeClient
