"""What both clients do the same way: pool ownership, the shop's tokens, batched writes.

Platform clients subclass `ClientCore` and supply `_refresh`; they keep only their vendor logic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import httpx

from storesync.errors import PlatformRejectedError, ValidationError
from storesync.marketplaces.base import ListingRef, ShopCredentials, TokenSet, VariantResult
from storesync.marketplaces.http import CallOutcome, M, Method, Timeouts, build_http_client
from storesync.marketplaces.tokens import TokenKeeper, TokensCallback
from storesync.marketplaces.util import chunked, group_by_key

T = TypeVar("T")


class Transport(Protocol):
    """A platform's signed call: what `ClientCore._shop` needs of Shopee's and TikTok's."""

    def call(
        self,
        method: Method,
        path: str,
        model: type[M],
        *,
        query: Sequence[tuple[str, str]] = ...,
        body: Mapping[str, Any] | None = ...,
        tokens: TokenSet | None = ...,
    ) -> CallOutcome[M]: ...


class ClientCore:
    _transport: Transport  # set by the platform client once it has its app config

    def __init__(
        self,
        timeouts: Timeouts,
        credentials: ShopCredentials | None,
        *,
        on_tokens: TokensCallback | None,
        http_client: httpx.Client | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._owns_http = http_client is None
        self._http = http_client or build_http_client(timeouts)
        self._clock = clock
        self._keeper = (
            TokenKeeper(credentials.tokens, self._refresh, on_tokens) if credentials else None
        )

    def _refresh(self, current: TokenSet) -> TokenSet:
        """Exchange `current.refresh_token` for a new pair (one platform call, no retry)."""
        raise NotImplementedError

    def _shop(
        self,
        method: Method,
        path: str,
        model: type[M],
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
    ) -> tuple[M, str | None]:
        """A shop call with the refresh-once rule; returns the answer and the vendor request id."""
        outcome = self._with_tokens(
            lambda tokens: self._transport.call(
                method, path, model, query=query, body=body, tokens=tokens
            )
        )
        return outcome.value, outcome.vendor_request_id

    def _with_tokens(self, fn: Callable[[TokenSet], T]) -> T:
        """Run a shop call under the refresh-once rule."""
        return self._require_keeper().call(fn)

    def _require_keeper(self) -> TokenKeeper:
        if self._keeper is None:
            raise ValueError(f"this {type(self).__name__} was built without shop credentials")
        return self._keeper

    @property
    def tokens(self) -> TokenSet | None:
        return self._keeper.current if self._keeper else None

    def refresh_tokens(self) -> TokenSet:
        return self._require_keeper().refresh()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Write(Protocol):
    @property
    def ref(self) -> ListingRef: ...


W = TypeVar("W", bound=_Write)


def write_per_item(
    updates: Sequence[W],
    per_call: int,
    send: Callable[[str, Sequence[W]], Mapping[ListingRef, VariantResult]],
) -> list[VariantResult]:
    """Send `updates` one item (product) per call, at most `per_call` variants each.

    A repeated ref keeps its last value (stock and prices are absolute: latest wins). A call
    refused for its item alone (deleted, bad id) fails that batch's variants and the other items
    still go out; anything shop-wide (auth, rate limit, network, 5xx) raises for the caller to
    retry the whole write, which absolute values make safe. Results come in request order.
    """
    latest = {u.ref: u for u in updates}
    results: dict[ListingRef, VariantResult] = {}
    by_item = group_by_key((u.ref.external_item_id, u) for u in latest.values())
    for item_id, entries in by_item.items():
        for batch in chunked(entries, per_call):
            try:
                results.update(send(item_id, batch))
            except (ValidationError, PlatformRejectedError) as exc:
                results.update({u.ref: VariantResult(u.ref, ok=False, error=exc) for u in batch})
    return [results[u.ref] for u in updates]
