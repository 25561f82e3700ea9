"""Every route of the app declares who may call it, and the server enforces it over real HTTP.

The walk covers `app.routes` itself, so a route added without a policy fails here (not in
production). The matrix sends each route's method with no credentials and with a viewer, an
operator and an admin key, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI, routing
from fastapi.routing import APIRoute, RouteContext

from storesync.api.app import create_app
from storesync.auth.identity import Role
from storesync.auth.policy import Policy, policy_of
from storesync.bootstrap import Container
from storesync.testing.auth import bearer, issue_key
from storesync.testing.server import serving

# Values that pass path validation but name nothing: a permitted request gets as far as a 404
# (or a 422 for its body) and changes nothing, so the matrix can run every unsafe route.
PATH_VALUES = {
    "shop_id": "999999",
    "job_id": "999999",
    "order_id": "999999",
    "letter_id": "999999",
    "key_id": "999999",
    "sku": "NO-SUCH-SKU",
    "key": "shopee:999999",
    "platform": "shopee",
    "email": "nobody@example.com",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    policy: Policy

    @property
    def url(self) -> str:
        return re.sub(r"{(\w+)(:\w+)?}", lambda m: PATH_VALUES[m.group(1)], self.path)


def routes(app: FastAPI) -> list[RouteContext]:
    """Every route as served, included routers flattened (FastAPI includes them lazily)."""
    found = list(routing.iter_route_contexts(app.routes))
    for route in found:
        assert isinstance(route.original_route, APIRoute), f"{route.path} cannot carry a policy"
    return found


def policies(route: RouteContext) -> list[Policy]:
    found = []
    for dependency in route.dependant.dependencies:
        policy = policy_of(dependency.call)
        if policy is not None:
            found.append(policy)
    return found


def endpoints(app: FastAPI) -> list[Endpoint]:
    result = []
    for route in routes(app):
        [policy] = policies(route)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            result.append(Endpoint(method, str(route.path), policy))
    return result


@pytest.fixture
def app(make_container: Callable[..., Container]) -> FastAPI:
    # Four calls per route in a row: the inbound limit is not under test here.
    return create_app(make_container(api_rate_limit_burst=100_000))


def test_every_route_declares_exactly_one_policy(app: FastAPI) -> None:
    for route in routes(app):
        assert len(policies(route)) == 1, f"{route.methods} {route.path}: {policies(route)}"


def test_only_the_intended_routes_are_public(app: FastAPI) -> None:
    public = {(e.method, e.path) for e in endpoints(app) if e.policy.role is None}
    assert public == {
        ("GET", "/"),
        ("GET", "/api/health"),
        ("GET", "/api/health/live"),
        ("GET", "/api/health/ready"),
        ("GET", "/docs"),
        ("GET", "/login"),
        ("GET", "/metrics"),
        ("GET", "/api/v1/shops/callback/{platform}"),
        ("POST", "/api/v1/auth/session"),
        ("POST", "/login"),
        ("POST", "/webhooks/shopee"),
        ("POST", "/webhooks/tiktok"),
    }


def test_every_unsafe_api_route_needs_more_than_viewer(app: FastAPI) -> None:
    for e in endpoints(app):
        # Signing out is the one unsafe thing a viewer does (to its own session).
        unsafe = e.method != "GET" and e.path != "/api/v1/auth/session"
        if unsafe and e.path.startswith("/api/v1") and e.policy.role is not None:
            assert e.policy.role is not Role.VIEWER, f"{e.method} {e.path}"


@pytest.fixture
def served(app: FastAPI) -> Iterator[tuple[str, dict[Role, str]]]:
    container: Container = app.state.container
    keys = {role: issue_key(container.session_factory, role, name=role.value) for role in Role}
    with serving(app) as url:
        yield url, keys


def _call(http: httpx.Client, e: Endpoint, headers: dict[str, str]) -> httpx.Response:
    body = {} if e.method in {"POST", "PUT", "PATCH"} else None
    return http.request(e.method, e.url, json=body, headers=headers)


def test_permission_matrix_over_every_route_and_role(
    app: FastAPI, served: tuple[str, dict[Role, str]]
) -> None:
    url, keys = served
    with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as http:
        for e in endpoints(app):
            anonymous = _call(http, e, {})
            assert anonymous.status_code < 500, (e, anonymous.text)
            if e.policy.role is None:
                admin = _call(http, e, bearer(keys[Role.ADMIN]))
                assert admin.status_code != 403, (e, admin.text)
                continue
            assert anonymous.status_code == 401, (e, anonymous.text)
            assert anonymous.json()["error"]["code"] == "AUTHENTICATION_ERROR"
            for role, key in keys.items():
                response = _call(http, e, bearer(key))
                assert response.status_code < 500, (e, role, response.text)
                if role.allows(e.policy.role):
                    assert response.status_code not in {401, 403}, (e, role, response.text)
                else:
                    assert response.status_code == 403, (e, role, response.text)
                    assert response.json()["error"]["code"] == "AUTHORIZATION_ERROR"


def test_a_revoked_or_made_up_key_is_refused(served: tuple[str, dict[Role, str]]) -> None:
    url, keys = served
    with httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/api/v1/jobs", headers=bearer(keys[Role.VIEWER])).status_code == 200
        listed = http.get("/api/v1/apikeys", headers=bearer(keys[Role.ADMIN])).json()
        viewer_id = next(k["id"] for k in listed if k["name"] == "viewer")
        revoked = http.post(f"/api/v1/apikeys/{viewer_id}/revoke", headers=bearer(keys[Role.ADMIN]))
        assert revoked.status_code == 200
        assert http.get("/api/v1/jobs", headers=bearer(keys[Role.VIEWER])).status_code == 401
        made_up = "ssk_00000000_" + "x" * 43
        assert http.get("/api/v1/jobs", headers=bearer(made_up)).status_code == 401
        assert all(key not in str(listed) for key in keys.values())  # lists never show keys
