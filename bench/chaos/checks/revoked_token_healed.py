"""The faults themselves: the shop whose access token the run revoked is active again, with a
new access token (obtained through its refresh token)."""

from __future__ import annotations

from sqlalchemy import Engine

from bench.chaos.checks.base import Check, rows
from bench.chaos.stack import Shop


def check(engine: Engine, shop: Shop | None, revoked: str | None, cipher_key: str) -> Check:
    if shop is None or revoked is None:
        return Check("revoked_token_healed", False, {"problem": "no token was revoked"})
    from cryptography.fernet import Fernet

    status, token_enc, paused = rows(
        engine,
        "SELECT status, access_token_enc, paused_reason FROM shops WHERE id = :id",
        id=shop.id,
    )[0]
    current = (
        Fernet(cipher_key.encode()).decrypt(token_enc.encode()).decode() if token_enc else None
    )
    ok = status == "active" and current is not None and current != revoked
    return Check(
        "revoked_token_healed",
        ok,
        {
            "shop_id": shop.id,
            "platform": shop.platform,
            "status": status,
            "paused_reason": paused,
            "token_replaced": current != revoked,
        },
    )
