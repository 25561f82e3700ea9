"""What every request passes before a handler sees it, over real HTTP (uvicorn on a loopback
port) where the transport matters and through the TestClient elsewhere: foreign Host names,
oversized bodies (declared and chunked), security headers, 405's Allow, the inbound rate limit."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from storesync.api.app import create_app
from storesync.api.hardening import SWAGGER_CDN, SWAGGER_FAVICON, allowed_hosts
from storesync.auth.identity import Role
from storesync.bootstrap import Container
from storesync.config import Settings
from storesync.db.models import RejectedDelivery, WebhookEvent
from storesync.observability.metrics import REGISTRY
from storesync.testing.auth import bearer, issue_key
from storesync.testing.server import serving

LOCAL = "http://127.0.0.1"
CAP = 1024 * 1024  # the default STORESYNC_MAX_BODY_BYTES
STRICT_PAGE = "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; "


@pytest.fixture
def app(make_container: Callable[..., Container]) -> FastAPI:
    app = create_app(make_container())

    @app.get("/_test/crash")
    def crash() -> None:
        raise RuntimeError("boom")

    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def served(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


def _envelope(response: Any, status: int, code: str = "VALIDATION_ERROR") -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["correlation_id"] == response.headers["x-request-id"]
    return error


def _refused(reason: str) -> float:
    return REGISTRY.get_sample_value("storesync_http_refused_total", {"reason": reason}) or 0.0


def _webhook_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        events = conn.scalar(select(func.count()).select_from(WebhookEvent)) or 0
        rejected = conn.scalar(select(func.count()).select_from(RejectedDelivery)) or 0
    return int(events) + int(rejected)


# --- allowed hosts -----------------------------------------------------------------------------


def test_a_foreign_host_is_refused_with_400_over_http(served: str) -> None:
    before = _refused("host")
    with httpx.Client(base_url=served, timeout=10) as http:
        refused = http.get("/api/health", headers={"Host": "evil.example"})
        _envelope(refused, 400)
        assert refused.headers["x-content-type-options"] == "nosniff"
        for host in ("localhost:3000", "LOCALHOST", "[::1]:8080", "10.1.2.3:3000", "[2001:db8::1]"):
            assert http.get("/api/health", headers={"Host": host}).status_code == 200, host
    assert _refused("host") == before + 1


def test_the_public_urls_host_is_ours_and_the_configured_list_replaces_it(
    make_container: Callable[..., Container], monkeypatch: pytest.MonkeyPatch
) -> None:
    public = create_app(make_container(public_url="https://shop.example.com"))
    with TestClient(public, base_url="https://shop.example.com") as http:
        assert http.get("/api/health").status_code == 200
        _envelope(http.get("/api/health", headers={"Host": "testserver"}), 400)

    monkeypatch.setenv("STORESYNC_ALLOWED_HOSTS", '["api.example.com", "*.shops.example"]')
    settings = Settings()
    assert allowed_hosts(settings) == {
        "api.example.com",
        "*.shops.example",
        "127.0.0.1",
        "localhost",
        "::1",
    }
    listed = create_app(make_container(allowed_hosts=settings.allowed_hosts))
    with TestClient(listed, base_url=LOCAL) as http:
        for host in ("api.example.com", "eu.shops.example:443", "127.0.0.1"):
            assert http.get("/api/health", headers={"Host": host}).status_code == 200, host
        for host in ("shop.example.com", "shops.example", "api.example.com.evil.example"):
            _envelope(http.get("/api/health", headers={"Host": host}), 400)


# --- request bodies ----------------------------------------------------------------------------


def _post_raw(url: str, path: str, headers: dict[str, str], chunks: list[bytes]) -> Any:
    """Send headers, then exactly `chunks`, then read the answer (http.client, so nothing is
    buffered or retried for us)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=15)
    try:
        conn.putrequest("POST", path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        for chunk in chunks:
            conn.send(chunk)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


def _chunked(total: int, size: int = 64 * 1024) -> list[bytes]:
    chunks, sent = [], 0
    while sent < total:
        n = min(size, total - sent)
        chunks.append(f"{n:x}\r\n".encode() + b"{" * n + b"\r\n")
        sent += n
    return chunks


def test_a_20_mb_webhook_is_refused_before_a_byte_of_it_is_read(
    served: str, engine: Engine
) -> None:
    # A small forged delivery is read, fails its signature and is kept as a rejection sample:
    forged = httpx.post(f"{served}/webhooks/shopee", content=b'{"code": 3}', timeout=10)
    assert forged.status_code == 401
    assert _webhook_rows(engine) == 1

    # The headers alone are answered: the 20 MB are never sent, let alone read or HMAC'd.
    status, headers, body = _post_raw(
        served, "/webhooks/shopee", {"Content-Length": str(20 * CAP)}, chunks=[]
    )
    assert status == 413
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"] == {"max_bytes": CAP}
    assert headers["x-request-id"] == body["error"]["correlation_id"]
    assert _webhook_rows(engine) == 1


def test_a_chunked_body_is_cut_off_at_the_cap(served: str, engine: Engine) -> None:
    before = _refused("body_too_large")
    status, _, body = _post_raw(
        served,
        "/webhooks/tiktok",
        {"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        chunks=_chunked(CAP + 1),
    )
    assert status == 413
    assert body["error"]["details"] == {"max_bytes": CAP}
    assert _webhook_rows(engine) == 0
    assert _refused("body_too_large") == before + 1


def test_oversized_bodies_are_413_through_the_app_too(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    key = issue_key(app.state.container.session_factory, Role.OPERATOR)
    two_mb = b"x" * (2 * CAP)
    _envelope(client.post("/webhooks/shopee", content=two_mb), 413)
    _envelope(client.post("/webhooks/tiktok", content=iter([two_mb[:CAP], two_mb[CAP:]])), 413)
    # A JSON endpoint reads its body in FastAPI's own parser: still a 413, not its 400.
    big_note = iter([b'{"delta": 1, "note": "', b"n" * CAP, b'"}'])
    adjusted = client.post(
        "/api/v1/inventory/SKU-1/adjustments",
        content=big_note,
        headers={**bearer(key), "Content-Type": "application/json"},
    )
    _envelope(adjusted, 413)
    _envelope(client.post("/webhooks/shopee", headers={"Content-Length": "12x"}), 400)
    assert _webhook_rows(engine) == 0


# --- response headers --------------------------------------------------------------------------


def _assert_base_headers(response: Any) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    health = client.get("/api/health")
    _assert_base_headers(health)
    assert health.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "strict-transport-security" not in health.headers  # plain http on loopback

    login = client.get("/login")
    _assert_base_headers(login)
    assert login.headers["content-security-policy"].startswith(STRICT_PAGE)
    assert "<script" not in login.text
    assert "style" not in login.text

    for response in (client.get("/api/v1/jobs"), client.get("/_test/crash")):
        _assert_base_headers(response)
        assert response.status_code in {401, 500}


def test_the_api_docs_may_load_exactly_swagger_ui(app: FastAPI, client: TestClient) -> None:
    key = issue_key(app.state.container.session_factory, Role.VIEWER)
    docs = client.get("/docs", headers=bearer(key))
    assert docs.status_code == 200
    _assert_base_headers(docs)
    policy = dict(
        [*part.split(" ", 1), ""][:2]
        for part in docs.headers["content-security-policy"].split("; ")
    )
    page = docs.content
    for src in re.findall(rb'<script src="([^"]+)"', page):
        assert src.decode().startswith(SWAGGER_CDN), src
    for href in re.findall(rb'<link[^>]+href="([^"]+)"', page):
        assert href.decode().startswith(SWAGGER_CDN) or href.decode() == SWAGGER_FAVICON, href
    inline = re.findall(rb"<script>(.*?)</script>", page, re.DOTALL)
    assert inline, "Swagger UI boots from one inline script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'self'"

    anonymous = client.get("/docs", follow_redirects=False)
    assert anonymous.status_code == 303  # to the login page, with the API's own policy
    assert anonymous.headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )


def test_https_deployments_send_hsts(make_container: Callable[..., Container]) -> None:
    app = create_app(make_container(public_url="https://shop.example.com"))
    with TestClient(app, base_url="https://shop.example.com") as http:
        assert http.get("/api/health").headers["strict-transport-security"] == "max-age=31536000"


def test_405_names_the_allowed_methods_in_the_envelope(client: TestClient) -> None:
    response = client.delete("/api/health")
    _envelope(response, 405)
    assert response.headers["allow"] == "GET"


# --- inbound rate limit ------------------------------------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after_per_key_and_address(
    make_container: Callable[..., Container],
) -> None:
    container = make_container(api_rate_limit_rps=0.5, api_rate_limit_burst=2)
    one, two = (issue_key(container.session_factory, Role.VIEWER, name=n) for n in ("a", "b"))
    before = _refused("rate_limited")
    with TestClient(create_app(container), base_url=LOCAL) as http:
        assert [http.get("/api/v1/jobs", headers=bearer(one)).status_code for _ in "ab"] == [
            200
        ] * 2
        limited = http.get("/api/v1/jobs", headers=bearer(one))
        error = _envelope(limited, 429, "RATE_LIMIT_ERROR")
        assert 1 <= int(limited.headers["retry-after"]) <= 2
        assert error["details"] == {"rate_per_s": 0.5, "burst": 2}
        _assert_base_headers(limited)

        # Another key has its own bucket; made-up tokens share their address's bucket.
        assert http.get("/api/v1/jobs", headers=bearer(two)).status_code == 200
        statuses = [
            http.get("/api/v1/jobs", headers=bearer(f"fake-{n}")).status_code for n in "abc"
        ]
        assert statuses == [401, 401, 429]

        # Probes, scrapers and the platforms' webhook bursts are never limited.
        for _ in range(10):
            assert http.get("/api/health").status_code == 200
            assert http.get("/metrics").status_code == 200
            assert http.post("/webhooks/tiktok", content=b"{}").status_code == 401
    assert _refused("rate_limited") == before + 2
