"""`/api/v1/users`, `/api/v1/apikeys` (admin), `/api/v1/auth/session` (who am I, sign in and
out as JSON) and the `/login` form the dashboard sends people to."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from storesync.audit import service as audit
from storesync.auth import service
from storesync.auth.identity import Identity, Role
from storesync.auth.policy import ADMIN, PUBLIC, SESSION_COOKIE, VIEWER, Actor
from storesync.auth.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    CreatedKeyOut,
    LoginIn,
    UserIn,
    UserOut,
    WhoAmI,
)
from storesync.db.models import ApiKey, User
from storesync.deps import DEFAULT_PAGE_SIZE, Db, Id, Limit, NoNul, Offset, SettingsDep
from storesync.errors import AuthenticationError

router = APIRouter(tags=["access"])


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=Role(user.role),
        disabled=user.disabled,
        can_log_in=user.password_hash is not None and not user.disabled,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def key_out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(row, from_attributes=True)


# -- users and keys ---------------------------------------------------------------------------


@router.get("/api/v1/users", response_model=list[UserOut], dependencies=[ADMIN])
def list_users(db: Db, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0) -> list[UserOut]:
    return [user_out(u) for u in service.list_users(db, limit, offset)]


@router.post("/api/v1/users", response_model=UserOut, status_code=201, dependencies=[ADMIN])
def create_user(body: UserIn, db: Db, who: Actor) -> UserOut:
    user = service.create_user(db, body.email, body.role, body.password)
    audit.record(db, who, "user.create", user.email, after={"role": user.role})
    return user_out(user)


@router.post("/api/v1/users/{email}/disable", response_model=UserOut, dependencies=[ADMIN])
def disable_user(email: Annotated[str, Path(max_length=254)], db: Db, who: Actor) -> UserOut:
    user = service.disable_user(db, email)
    audit.record(db, who, "user.disable", user.email, before={"disabled": False})
    return user_out(user)


@router.get("/api/v1/apikeys", response_model=list[ApiKeyOut], dependencies=[ADMIN])
def list_keys(db: Db, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0) -> list[ApiKeyOut]:
    return [key_out(k) for k in service.list_api_keys(db, limit, offset)]


@router.post("/api/v1/apikeys", response_model=CreatedKeyOut, status_code=201, dependencies=[ADMIN])
def create_key(body: ApiKeyIn, db: Db, who: Actor) -> CreatedKeyOut:
    created = service.create_api_key(db, body.name, body.role, created_by=who.actor)
    audit.record(
        db, who, "apikey.create", created.id, after={"name": created.name, "role": created.role}
    )
    return CreatedKeyOut(id=created.id, name=created.name, role=created.role, key=created.key)


@router.post("/api/v1/apikeys/{key_id}/revoke", response_model=ApiKeyOut, dependencies=[ADMIN])
def revoke_key(key_id: Id, db: Db, who: Actor) -> ApiKeyOut:
    row = service.revoke_api_key(db, key_id)
    audit.record(db, who, "apikey.revoke", key_id, after={"name": row.name})
    return key_out(row)


# -- sessions ---------------------------------------------------------------------------------


@router.get("/api/v1/auth/session", response_model=WhoAmI, dependencies=[VIEWER])
def whoami(request: Request, who: Actor) -> WhoAmI:
    return WhoAmI.of(who, getattr(request.state, "csrf_token", None))


@router.post("/api/v1/auth/session", response_model=WhoAmI, dependencies=[PUBLIC])
def sign_in(body: LoginIn, db: Db, response: Response, settings: SettingsDep) -> WhoAmI:
    who = _login(db, body.email, body.password)
    opened = service.open_session(db, who)
    _set_cookie(response, opened.token, settings.effective_public_url)
    return WhoAmI.of(who, opened.csrf_token)


@router.delete("/api/v1/auth/session", status_code=204, dependencies=[VIEWER])
def sign_out(request: Request, db: Db, who: Actor) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.close_session(db, token)
        audit.record(db, who, "session.close", who.name)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False, dependencies=[PUBLIC])
def login_page(next: str = "/") -> HTMLResponse:
    return HTMLResponse(_login_html(_local(next), error=None))


@router.post("/login", include_in_schema=False, dependencies=[PUBLIC])
def login_form(
    db: Db,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254), NoNul],
    password: Annotated[str, Form(max_length=1000), NoNul],
    next: Annotated[str, Form(max_length=500), NoNul] = "/",
) -> Response:
    try:
        who = _login(db, email, password)
    except AuthenticationError:
        return HTMLResponse(_login_html(_local(next), error="Wrong email or password."), 401)
    opened = service.open_session(db, who)
    response = RedirectResponse(_local(next), status_code=303)
    _set_cookie(response, opened.token, settings.effective_public_url)
    return response


def _login(db: Db, email: str, password: str) -> Identity:
    who = service.login(db, email, password)
    if who is None:
        # One message for unknown, disabled and wrong password: no account enumeration.
        raise AuthenticationError("Wrong email or password.")
    audit.record(db, who, "session.open", who.name)
    return who


def _set_cookie(response: Response, token: str, public_url: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        # Browsers drop Secure cookies over plain http, which is how the embedded default on
        # 127.0.0.1 is reached; behind https they are always Secure.
        secure=public_url.startswith("https://"),
        path="/",
    )


def _local(target: str) -> str:
    # Only same-site paths: `next=https://evil.example` must not turn login into a redirector.
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


def _login_html(next_path: str, error: str | None) -> str:
    message = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Sign in · StoreSync</title>"
        "<main><h1>Sign in to StoreSync</h1>"
        f"{message}"
        '<form method="post" action="/login">'
        f'<input type="hidden" name="next" value="{html.escape(next_path)}">'
        '<label>Email <input name="email" type="email" autocomplete="username" required></label>'
        '<label>Password <input name="password" type="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit">Sign in</button></form></main></html>'
    )
