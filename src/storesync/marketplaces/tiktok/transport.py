"""One TikTok Shop call, start to finish: sign, send, read the envelope, raise the taxonomy.

`TikTokTransport.call` is the single function a retry layer wraps. It signs with the TokenSet it
is given; token calls to the auth host are unsigned (`signed=False`).
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
from storesync.marketplaces.tiktok import signing
from storesync.marketplaces.tiktok.config import TikTokAppConfig
from storesync.marketplaces.tiktok.errors import error_from_response

TOKEN_HEADER = "x-tts-access-token"  # noqa: S105 - a header name, not a secret


class TikTokTransport:
    def __init__(
        self,
        app: TikTokAppConfig,
        http: httpx.Client,
        *,
        cipher: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._http = http
        self._cipher = cipher
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
        shop_scoped: bool = True,
        auth_host: bool = False,
    ) -> CallOutcome[M]:
        """A signed API call, or with `auth_host` an unsigned call to the token host.

        `shop_scoped=False` leaves out shop_cipher, which `/authorization/*` refuses.
        """
        if auth_host:
            request = self._http.build_request(
                method, self._app.auth_url + path, params=tuple(query)
            )
        else:
            request = self._signed(method, path, query, body, tokens, shop_scoped)

        # `read` runs inside send_call, so a shape mismatch is logged and translated like any
        # other bad answer; the value keeps the vendor request id for per-item errors.
        def read(response: httpx.Response) -> CallOutcome[CallOutcome[M]]:
            outcome = read_envelope(response, path=path, errors=error_from_response)
            data = outcome.value.get("data") or {}
            parsed = CallOutcome(model.model_validate(data), outcome.vendor_request_id)
            return CallOutcome(parsed, outcome.vendor_request_id)

        return send_call(self._http, request, platform=Platform.TIKTOK, path=path, read=read)

    def _signed(
        self,
        method: Method,
        path: str,
        query: Sequence[tuple[str, str]],
        body: Mapping[str, Any] | None,
        tokens: TokenSet | None,
        shop_scoped: bool,
    ) -> httpx.Request:
        params = {"app_key": self._app.app_key, "timestamp": str(int(self._clock()))}
        if shop_scoped:
            if not self._cipher:
                raise ValueError("a shop call needs credentials with the shop's cipher")
            params["shop_cipher"] = self._cipher
        params.update(query)
        # Serialize once: the signature covers these exact bytes.
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        params["sign"] = signing.api_sign(self._app.app_secret, path, params, content)
        headers = {"Content-Type": "application/json"}
        if tokens is not None:
            headers[TOKEN_HEADER] = tokens.access_token
        return self._http.build_request(
            method,
            self._app.base_url + path,
            params=params,
            content=content or None,
            headers=headers,
        )
