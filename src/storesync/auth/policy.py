"""The per-route access policy: every route declares one, and a test walks the app to prove it.

    @router.post("/{key}/reset", dependencies=[OPERATOR])
    def reset(key: str, who: Actor) -> ...: ...

A request proves who it is with `Authorization: Bearer <api key>` or the dashboard's session
cookie; a cookie-authenticated unsafe request must also carry the session's CSRF token in
`X-CSRF-Token` (SameSite alone leaves sibling subdomains and old browsers). No identity → 401,
too small a role → 403, both in the envelope. `PUBLIC` routes (health, webhooks, the OAuth
callback, login) still learn who is asking when someone is, so they may show a signed-in viewer
more, but never refuse.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from sqlalchemy.exc import SQLAlchemyError

from storesync.auth import service
from storesync.auth.identity import Identity, Role
from storesync.auth.tokens import same
from storesync.db.engine import unit_of_work
from storesync.deps import request_deps
from storesync.errors import AuthenticationError, AuthorizationError

SESSION_COOKIE = "storesync_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Policy:
    """A FastAPI dependency that authenticates the request and checks its role."""

    def __init__(self, role: Role | None) -> None:
        self.role = role  # None: public

    def __repr__(self) -> str:
        return f"Policy({self.role.value if self.role else 'public'})"

    def __call__(self, request: Request) -> Identity | None:
        if self.role is None:
            return self._public(request)
        identity = authenticate(request)
        request.state.identity = identity
        if identity is None:
            raise AuthenticationError(
                "Sign in, or send an API key as `Authorization: Bearer <key>`."
            )
        if not identity.role.allows(self.role):
            raise AuthorizationError(
                f"This needs the {self.role.value} role; {identity.actor} is {identity.role.value}."
            )
        if identity.via_session and request.method not in SAFE_METHODS:
            _check_csrf(request)
        return identity

    @staticmethod
    def _public(request: Request) -> Identity | None:
        # A public route answers even when the database is down (health must say "down", not
        # fail): whoever is asking is then simply nobody.
        try:
            identity = authenticate(request)
        except SQLAlchemyError:
            identity = None
        request.state.identity = identity
        return identity


def authenticate(request: Request) -> Identity | None:
    key = _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not key and not cookie:
        return None
    deps = request_deps(request)
    with unit_of_work(deps.db) as db:
        if key:
            return service.authenticate_key(db, key)
        assert cookie is not None
        idle = timedelta(minutes=deps.settings.session_idle_minutes)
        found = service.session_identity(db, cookie, idle)
    if found is None:
        return None
    identity, csrf = found
    request.state.csrf_token = csrf
    return identity


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _check_csrf(request: Request) -> None:
    expected: str = request.state.csrf_token
    if not same(request.headers.get(CSRF_HEADER, ""), expected):
        raise AuthorizationError("The CSRF token is missing or wrong; reload the page.")


def policy_of(dependency: object) -> Policy | None:
    return dependency if isinstance(dependency, Policy) else None


def current_identity(request: Request) -> Identity:
    identity: Identity | None = getattr(request.state, "identity", None)
    if identity is None:  # a route asked for an actor without declaring a role: a bug
        raise AuthenticationError("Sign in first.")
    return identity


def optional_identity(request: Request) -> Identity | None:
    return getattr(request.state, "identity", None)


PUBLIC: DependsParam = Depends(Policy(None))
VIEWER: DependsParam = Depends(Policy(Role.VIEWER))
OPERATOR: DependsParam = Depends(Policy(Role.OPERATOR))
ADMIN: DependsParam = Depends(Policy(Role.ADMIN))

Actor = Annotated[Identity, Depends(current_identity)]
MaybeActor = Annotated[Identity | None, Depends(optional_identity)]
