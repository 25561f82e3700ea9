"""Dashboard sessions over real HTTP: sign in, the cookie's flags, CSRF on unsafe requests,
sign out, idle expiry, disabled users, and no open redirect."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

from storesync.api.app import create_app
from storesync.auth import service
from storesync.auth.identity import Role
from storesync.bootstrap import Container
from storesync.db.engine import unit_of_work
from storesync.testing.server import serving

PASSWORD = "correct horse battery"


@pytest.fixture
def app(make_container: Callable[..., Container]) -> FastAPI:
    container = make_container(session_idle_minutes=0.01)  # 0.6 s: the expiry test waits 1 s
    with unit_of_work(container.session_factory) as session:
        service.create_user(session, "ops@example.com", Role.OPERATOR, PASSWORD)
        service.create_user(session, "eve@example.com", Role.VIEWER, PASSWORD)
    return create_app(container)


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx.Client]:
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def sign_in(http: httpx.Client, email: str = "ops@example.com") -> httpx.Response:
    return http.post("/login", data={"email": email, "password": PASSWORD, "next": "/docs"})


def test_signing_in_sets_an_http_only_same_site_cookie_and_redirects(http: httpx.Client) -> None:
    response = sign_in(http)
    assert response.status_code == 303
    assert response.headers["location"] == "/docs"
    cookie = response.headers["set-cookie"].lower()
    assert "storesync_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/" in cookie
    assert http.get("/api/v1/jobs").status_code == 200
    assert http.get("/docs").status_code == 200


def test_a_wrong_password_is_refused_with_the_form_again(http: httpx.Client) -> None:
    response = http.post("/login", data={"email": "ops@example.com", "password": "nope"})
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert "storesync_session" not in response.headers.get("set-cookie", "")
    unknown = http.post("/login", data={"email": "who@example.com", "password": PASSWORD})
    assert unknown.status_code == 401  # same answer: no account enumeration


def test_unsafe_requests_from_a_session_need_the_csrf_token(http: httpx.Client) -> None:
    sign_in(http)
    refused = http.post("/api/v1/reconcile", json={"dry_run": True})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "AUTHORIZATION_ERROR"
    csrf = http.get("/api/v1/auth/session").json()["csrf_token"]
    wrong = http.post("/api/v1/reconcile", json={"dry_run": True}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    accepted = http.post(
        "/api/v1/reconcile", json={"dry_run": True}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 202


def test_a_viewer_session_cannot_do_operator_work(http: httpx.Client) -> None:
    sign_in(http, "eve@example.com")
    me = http.get("/api/v1/auth/session").json()
    assert (me["actor"], me["role"]) == ("user:eve@example.com", "viewer")
    response = http.post("/api/v1/reconcile", json={}, headers={"X-CSRF-Token": me["csrf_token"]})
    assert response.status_code == 403


def test_signing_out_ends_the_session(http: httpx.Client) -> None:
    sign_in(http)
    cookie = http.cookies["storesync_session"]
    csrf = http.get("/api/v1/auth/session").json()["csrf_token"]
    assert http.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    http.cookies.clear()
    replayed = http.get("/api/v1/jobs", headers={"Cookie": f"storesync_session={cookie}"})
    assert replayed.status_code == 401


def test_an_idle_session_expires(http: httpx.Client) -> None:
    sign_in(http)
    assert http.get("/api/v1/jobs").status_code == 200
    time.sleep(1.0)  # idle limit 0.6 s; waiting longer can only make it more expired
    assert http.get("/api/v1/jobs").status_code == 401


def test_disabling_a_user_ends_their_sessions(http: httpx.Client, app: FastAPI) -> None:
    sign_in(http)
    assert http.get("/api/v1/jobs").status_code == 200
    container: Container = app.state.container
    with unit_of_work(container.session_factory) as session:
        service.disable_user(session, "ops@example.com")
    assert http.get("/api/v1/jobs").status_code == 401
    assert sign_in(http).status_code == 401


def test_login_never_redirects_off_site(http: httpx.Client) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = http.post(
            "/login", data={"email": "ops@example.com", "password": PASSWORD, "next": target}
        )
        assert response.headers["location"] == "/", target


def test_the_api_docs_send_a_stranger_to_sign_in(http: httpx.Client) -> None:
    response = http.get("/docs")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/docs"
    assert http.get("/openapi.json").status_code == 401
