"""Random tokens and their digests: API keys, session tokens, CSRF tokens, OAuth nonces.

API keys look like `ssk_<8 hex prefix>_<43 url-safe chars>`: the prefix is shown in lists (and
in logs) so people can tell keys apart; only the SHA-256 digest of the whole key is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_SCHEME = "ssk_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_key() -> tuple[str, str]:
    """(the key, its public prefix)."""
    prefix = secrets.token_hex(4)
    return f"{KEY_SCHEME}{prefix}_{secrets.token_urlsafe(32)}", prefix


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
