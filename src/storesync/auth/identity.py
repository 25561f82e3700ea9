"""Roles and the identity a request (or a CLI command) acts as."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Ordered: each role can do everything the ones before it can."""

    VIEWER = "viewer"  # read
    OPERATOR = "operator"  # + adjustments, replays, breaker steering, resync, reconcile, import
    ADMIN = "admin"  # + users, keys, shops, settings

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True)
class Identity:
    kind: str  # user | key | cli | system
    name: str  # email, key name, OS user
    role: Role
    id: int | None = None
    via_session: bool = False  # a dashboard cookie: unsafe requests need the CSRF token

    @property
    def actor(self) -> str:
        """How audit rows, breaker events and dead letters name who did it."""
        if self.kind == "key":
            return f"key:{self.id}:{self.name}"
        return f"{self.kind}:{self.name}"


def cli_identity() -> Identity:
    """Whoever can run the CLI on this machine can read the database anyway: admin, named."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = "unknown"
    return Identity(kind="cli", name=user, role=Role.ADMIN)
