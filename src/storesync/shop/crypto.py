"""Tokens at rest: Fernet (AES-128-CBC + HMAC) under a key ring, newest key first (MultiFernet).

The newest key encrypts; every key decrypts, so `storesync keys rotate` can put a new key in front
and re-encrypt every token (`reencrypt_all`) while older ciphertexts keep working, and
`storesync keys retire` drops the old keys once nothing needs them (`needing_old_keys`).

Given a key source (a callable, e.g. `Settings.secret_keys`) rather than fixed keys, the cipher
asks it again before each encryption and after a failed decryption: a running server then picks
up a rotation made by another process (the key file) without a restart, and never encrypts under
a key that was retired beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from storesync.db.models import Shop
from storesync.errors import DataIntegrityError

KeySource = str | Sequence[str] | Callable[[], Sequence[str]]


@dataclass(frozen=True)
class _Ring:
    keys: tuple[str, ...]
    newest: Fernet
    all: MultiFernet


class TokenCipher:
    def __init__(self, keys: KeySource) -> None:
        self._source = keys if callable(keys) else None
        self._lock = threading.Lock()
        self._ring = _ring(_as_list(keys() if callable(keys) else keys))

    def encrypt(self, plaintext: str) -> str:
        return self._current().all.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._ring.all.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            pass
        try:
            # Maybe encrypted under a key added since (a rotation by another process).
            return self._current().all.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            # The key changed or the row was tampered with: nothing automatic can fix this.
            raise DataIntegrityError(
                "A stored shop token cannot be decrypted; was STORESYNC_SECRET_KEY changed?"
            ) from exc

    def rotate(self, ciphertext: str) -> str:
        """The same token under the newest key (InvalidToken when no key opens it)."""
        return self._ring.all.rotate(ciphertext.encode()).decode()

    def needs_old_key(self, ciphertext: str) -> bool:
        """Whether only an older key opens it (InvalidToken when no key does)."""
        ring = self._ring
        try:
            ring.newest.decrypt(ciphertext.encode())
        except InvalidToken:
            ring.all.decrypt(ciphertext.encode())
            return True
        return False

    @property
    def key_count(self) -> int:
        return len(self._ring.keys)

    def _current(self) -> _Ring:
        if self._source is not None:
            keys = tuple(_as_list(self._source()))
            with self._lock:
                if keys != self._ring.keys:
                    self._ring = _ring(list(keys))
        return self._ring


def _ring(keys: list[str]) -> _Ring:
    if not keys:
        raise ValueError("STORESYNC_SECRET_KEY needs at least one Fernet key")
    try:
        fernets = [Fernet(key.encode()) for key in keys]
    except ValueError as exc:
        raise ValueError(
            "STORESYNC_SECRET_KEY must be Fernet keys (32 url-safe base64-encoded bytes), "
            "comma-separated, newest first"
        ) from exc
    return _Ring(tuple(keys), fernets[0], MultiFernet(fernets))


def _as_list(keys: str | Sequence[str]) -> list[str]:
    parts = keys.split(",") if isinstance(keys, str) else list(keys)
    return [key.strip() for key in parts if key.strip()]


# -- re-encryption (`storesync keys`) ----------------------------------------------------------


@dataclass(frozen=True)
class KeyUsage:
    tokens: int = 0  # stored token ciphertexts looked at
    changed: int = 0  # re-encrypted under the newest key / still needing an older key
    unreadable: int = 0  # opened by no key of the ring
    shops: tuple[int, ...] = ()  # shops with an unreadable token


def reencrypt_all(session: Session, cipher: TokenCipher) -> KeyUsage:
    """Every shop's tokens under the newest key. Rows are locked (PostgreSQL; SQLite's write
    lock is taken at BEGIN): a token refresh committing meanwhile must not be overwritten by
    its old pair re-encrypted, since Shopee refresh tokens are single use."""
    return _walk(session, cipher, write=True)


def needing_old_keys(session: Session, cipher: TokenCipher) -> KeyUsage:
    """How many stored tokens only an older key opens: retiring old keys must wait for 0."""
    return _walk(session, cipher, write=False)


def _walk(session: Session, cipher: TokenCipher, *, write: bool) -> KeyUsage:
    query = select(Shop).order_by(Shop.id)
    tokens = changed = unreadable = 0
    broken: list[int] = []
    for shop in session.scalars(query.with_for_update() if write else query):
        for column in ("access_token_enc", "refresh_token_enc"):
            value: str | None = getattr(shop, column)
            if not value:
                continue
            tokens += 1
            try:
                if write:
                    setattr(shop, column, cipher.rotate(value))
                    changed += 1
                elif cipher.needs_old_key(value):
                    changed += 1
            except InvalidToken:
                unreadable += 1
                if shop.id not in broken:
                    broken.append(shop.id)
    session.flush()
    return KeyUsage(tokens, changed, unreadable, tuple(broken))
