"""Users, API keys and dashboard sessions: create, list, disable/revoke, authenticate.

Takes a Session and never commits (the request or command does). Authentication answers None
for anything unknown, disabled, revoked or expired; the policy turns that into 401.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storesync.auth import tokens
from storesync.auth.identity import Identity, Role
from storesync.auth.passwords import MIN_LENGTH, hash_password, verify_password
from storesync.db.base import utcnow
from storesync.db.models import ApiKey, User, WebSession
from storesync.errors import NotFoundError, SyncConflictError, ValidationError

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}$")
# Writing last_used_at on every request would turn reads into writes (and lock SQLite): once a
# minute is precise enough to tell a live key from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedKey:
    id: int
    name: str
    role: Role
    prefix: str
    key: str  # shown once, never stored


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError(
            f"Unknown role {value!r}: one of viewer, operator, admin.", details={"role": value}
        ) from None


# -- users ------------------------------------------------------------------------------------


def create_user(session: Session, email: str, role: Role, password: str | None) -> User:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise ValidationError("That is not an email address.", details={"email": email[:254]})
    if password is not None and len(password) < MIN_LENGTH:
        raise ValidationError(f"Passwords need at least {MIN_LENGTH} characters.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise SyncConflictError(f"A user {email} already exists.", details={"email": email})
    user = User(
        email=email, role=role.value, password_hash=hash_password(password) if password else None
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, limit: int | None = None, offset: int = 0) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email).limit(limit).offset(offset)))


def get_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFoundError(f"No user {email}.")
    return user


def disable_user(session: Session, email: str) -> User:
    user = get_user(session, email)
    user.disabled = True
    for web in session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
        session.delete(web)  # a disabled user's open dashboards stop working now
    return user


def login(session: Session, email: str, password: str) -> Identity | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password):
        return None
    assert user is not None
    if user.disabled:
        return None
    user.last_login_at = utcnow()
    return _user_identity(user)


def _user_identity(user: User, via_session: bool = False) -> Identity:
    return Identity(
        kind="user", name=user.email, role=Role(user.role), id=user.id, via_session=via_session
    )


# -- API keys ---------------------------------------------------------------------------------


def create_api_key(session: Session, name: str, role: Role, created_by: str) -> CreatedKey:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationError("A key needs a name of 1 to 100 characters.")
    key, prefix = tokens.new_api_key()
    digest = tokens.digest(key)
    row = ApiKey(name=name, role=role.value, prefix=prefix, key_hash=digest, created_by=created_by)
    session.add(row)
    session.flush()
    return CreatedKey(id=row.id, name=name, role=role, prefix=prefix, key=key)


def list_api_keys(session: Session, limit: int | None = None, offset: int = 0) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id).limit(limit).offset(offset)))


def revoke_api_key(session: Session, key_id: int) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFoundError(f"No API key {key_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def authenticate_key(session: Session, key: str) -> Identity | None:
    if not key.startswith(tokens.KEY_SCHEME) or len(key) > 100:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == tokens.digest(key)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
    return Identity(kind="key", name=row.name, role=Role(row.role), id=row.id)


# -- dashboard sessions -----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSession:
    token: str  # the cookie's value
    csrf_token: str


def open_session(session: Session, identity: Identity) -> OpenSession:
    assert identity.id is not None, "only users open dashboard sessions"
    token, csrf = tokens.new_token(), tokens.new_token()
    session.add(WebSession(token_hash=tokens.digest(token), user_id=identity.id, csrf_token=csrf))
    return OpenSession(token=token, csrf_token=csrf)


def session_identity(
    session: Session, token: str, idle: timedelta, now: datetime | None = None
) -> tuple[Identity, str] | None:
    """(who, their CSRF token) for a live session; an idle one is deleted."""
    if not token or len(token) > 100:
        return None
    web = session.scalar(select(WebSession).where(WebSession.token_hash == tokens.digest(token)))
    if web is None:
        return None
    now = now or utcnow()
    user = session.get(User, web.user_id)
    if user is None or user.disabled or now - web.last_seen_at > idle:
        session.delete(web)
        return None
    if now - web.last_seen_at > LAST_USED_RESOLUTION:
        web.last_seen_at = now
    return _user_identity(user, via_session=True), web.csrf_token


def close_session(session: Session, token: str) -> None:
    web = session.scalar(select(WebSession).where(WebSession.token_hash == tokens.digest(token)))
    if web is not None:
        session.delete(web)
