"""Tokens at rest: Fernet (AES-128-CBC + HMAC) with the key from STORESYNC_SECRET_KEY."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from storesync.errors import DataIntegrityError


class TokenCipher:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise ValueError(
                "STORESYNC_SECRET_KEY must be a Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            # The key changed or the row was tampered with: nothing automatic can fix this.
            raise DataIntegrityError(
                "A stored shop token cannot be decrypted; was STORESYNC_SECRET_KEY changed?"
            ) from exc
