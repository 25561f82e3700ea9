"""What every invariant check shares: its result, the database helper, the order statuses that
decide what a line should hold, and the JSON log lines of StoreSync's processes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

SHIPPED = {"SHIPPED", "COMPLETED", "IN_TRANSIT", "DELIVERED", "TO_CONFIRM_RECEIVE"}
CANCELLED = {"CANCELLED"}
MAX_LISTED = 20  # examples kept in the report per problem


@dataclass
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def log_events(logs: Path, names: set[str]) -> list[dict[str, Any]]:
    """JSON log lines of every StoreSync process whose event is one of `names`."""
    out: list[dict[str, Any]] = []
    for path in sorted(logs.glob("*.log")):
        if path.name.startswith(("shopee", "tiktok")):
            continue
        for line in path.read_text(errors="replace").splitlines():
            if not any(f'"{name}"' in line for name in names):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") in names:
                out.append(event)
    return out
