"""Request and response bodies of `/api/v1/users`, `/api/v1/apikeys` and `/api/v1/auth`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from storesync.auth.identity import Identity, Role
from storesync.deps import NoNul


class UserIn(BaseModel):
    email: Annotated[str, NoNul] = Field(min_length=3, max_length=254)
    role: Role
    password: Annotated[str, NoNul] | None = Field(default=None, min_length=12, max_length=1000)


class UserOut(BaseModel):
    id: int
    email: str
    role: Role
    disabled: bool
    can_log_in: bool
    created_at: datetime
    last_login_at: datetime | None


class ApiKeyIn(BaseModel):
    name: Annotated[str, NoNul] = Field(min_length=1, max_length=100)
    role: Role


class ApiKeyOut(BaseModel):
    id: int
    name: str
    role: Role
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedKeyOut(BaseModel):
    """The only answer that ever contains the key itself."""

    id: int
    name: str
    role: Role
    key: str


class LoginIn(BaseModel):
    email: Annotated[str, NoNul] = Field(min_length=3, max_length=254)
    password: Annotated[str, NoNul] = Field(min_length=1, max_length=1000)


class WhoAmI(BaseModel):
    actor: str
    kind: str
    name: str
    role: Role
    csrf_token: str | None = Field(
        default=None, description="send as X-CSRF-Token on unsafe requests made with the cookie"
    )

    @classmethod
    def of(cls, who: Identity, csrf_token: str | None = None) -> WhoAmI:
        return cls(
            actor=who.actor, kind=who.kind, name=who.name, role=who.role, csrf_token=csrf_token
        )
