"""Password hashing with argon2id (argon2-cffi's defaults: 64 MiB, 3 passes, ~50 ms here)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps "no such user" and "wrong password"
# equally slow, so timing does not reveal which emails have accounts.
_DUMMY = _hasher.hash("storesync-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
