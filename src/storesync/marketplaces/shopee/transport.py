"""One signed Shopee call, start to finish: sign, send, read the envelope, raise the taxonomy.

`ShopeeTransport.call` is the single function a retry layer wraps. It knows nothing of tokens'
lifecycle: it signs with the TokenSet it is given (or as a public call when given none).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from storesync.domain.platform import Platform
from storesync.marketplaces.base import TokenSet
from storesync.marketplaces.http import CallOutcome, M, Method, read_envelope, send_call
from storesync.marketplaces.shopee import signing
from storesync.marketplaces.shopee.config import ShopeeAppConfig
from storesync.marketplaces.shopee.errors import error_from_response


class ShopeeTransport:
    def __init__(
        self,
        app: ShopeeAppConfig,
        http: httpx.Client,
        *,
        shop_id: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._http = http
        self._shop_id = shop_id
        self._clock = clock

    def call(
        self,
        method: Method,
        path: str,
        model: type[M],
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        tokens: TokenSet | None = None,
        top_level: bool = False,
    ) -> CallOutcome[M]:
        """Shop-signed when `tokens` is given, public-signed otherwise.

        `top_level`: token endpoints put their fields beside `request_id`, not under `response`.
        """
        request = self._build(method, path, query, body, tokens)

        # `read` runs inside send_call, so a shape mismatch is logged and translated like any
        # other bad answer; the value it returns keeps the vendor request id for per-item errors.
        def read(response: httpx.Response) -> CallOutcome[CallOutcome[M]]:
            outcome = read_envelope(response, path=path, errors=error_from_response)
            data = outcome.value if top_level else (outcome.value.get("response") or {})
            parsed = CallOutcome(model.model_validate(data), outcome.vendor_request_id)
            return CallOutcome(parsed, outcome.vendor_request_id)

        return send_call(self._http, request, platform=Platform.SHOPEE, path=path, read=read)

    def _build(
        self,
        method: Method,
        path: str,
        query: Sequence[tuple[str, str]],
        body: Mapping[str, Any] | None,
        tokens: TokenSet | None,
    ) -> httpx.Request:
        app = self._app
        timestamp = int(self._clock())
        params: list[tuple[str, str]] = [
            ("partner_id", str(app.partner_id)),
            ("timestamp", str(timestamp)),
        ]
        if tokens is None:
            sign = signing.sign_public(app.partner_key, app.partner_id, path, timestamp)
        else:
            if self._shop_id is None:
                raise ValueError("a shop call needs a client built with shop credentials")
            shop_id = int(self._shop_id)
            sign = signing.sign_shop(
                app.partner_key, app.partner_id, path, timestamp, tokens.access_token, shop_id
            )
            params += [("access_token", tokens.access_token), ("shop_id", str(shop_id))]
        params += [("sign", sign), *query]
        content = None
        headers: dict[str, str] = {}
        if body is not None:
            content = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        return self._http.build_request(
            method,
            app.base_url + path,
            params=tuple(params),
            content=content,
            headers=headers,
        )
