"""The recorded history: StoreSync's listings and checkpoints sampled every half second straight
from the database (a separate connection, so it keeps working while StoreSync struggles), next to
what each platform shows (the simulators' control API, which faults never touch)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, text

SAMPLE_EVERY_S = 0.5
# () -> {shop id: {seller SKU: what buyers can order there now}}
StockReader = Callable[[], dict[int, dict[str, int]]]


@dataclass(frozen=True)
class Confirmation:
    """A push StoreSync recorded as confirmed: the platform took `qty` at `at`."""

    at: datetime
    qty: int | None
    seen_at: float  # unix time of the first sample that showed it


@dataclass
class History:
    # listing id -> confirmations in the order they were seen
    confirmations: dict[int, list[Confirmation]] = field(default_factory=lambda: defaultdict(list))
    # (shop id, resource) -> positions in the order they were seen
    checkpoints: dict[tuple[int, str], list[datetime]] = field(
        default_factory=lambda: defaultdict(list)
    )
    backwards: list[dict[str, object]] = field(default_factory=list)
    # listing id -> [(unix time, desired, confirmed, dirty, platform shows)] whenever one changed
    timeline: dict[int, list[tuple[float, int, int | None, bool, int | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    samples: int = 0
    failed_samples: int = 0  # the database was restarting, or busy

    def last_confirmation_before(
        self, listing_id: int, when: float
    ) -> tuple[Confirmation | None, Confirmation | None]:
        """The last confirmation seen before unix time `when`, and the first one after it."""
        before = after = None
        for item in self.confirmations.get(listing_id, []):
            if item.seen_at <= when:
                before = item
            elif after is None:
                after = item
        return before, after


class Sampler:
    def __init__(self, engine: Engine, platform_stock: StockReader) -> None:
        self.engine = engine
        self.platform_stock = platform_stock
        self.history = History()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> History:
        self._stop.set()
        self._thread.join(timeout=30)
        return self.history

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            try:
                self.sample()
            except Exception:  # e.g. PostgreSQL restarting; the next one works
                self.history.failed_samples += 1

    def sample(self) -> None:
        now = time.time()
        with self.engine.connect() as conn:
            listings = conn.execute(
                text(
                    "SELECT id, confirmed_at, confirmed_qty, shop_id, seller_sku, desired_qty, "
                    "dirty FROM listings"
                )
            ).all()
            checkpoints = conn.execute(
                text("SELECT shop_id, resource, position FROM sync_checkpoints")
            ).all()
        shows = self.platform_stock()
        h = self.history
        h.samples += 1
        for listing_id, confirmed_at, qty, shop_id, sku, desired, dirty in listings:
            point = (now, desired, qty, bool(dirty), shows.get(shop_id, {}).get(sku))
            line = h.timeline[listing_id]
            if not line or line[-1][1:] != point[1:]:
                line.append(point)
            if confirmed_at is None:
                continue
            seen = h.confirmations[listing_id]
            if not seen or seen[-1].at != confirmed_at or seen[-1].qty != qty:
                seen.append(Confirmation(confirmed_at, qty, now))
        for shop_id, resource, position in checkpoints:
            positions = h.checkpoints[(shop_id, resource)]
            if positions and position < positions[-1]:
                h.backwards.append(
                    {
                        "shop_id": shop_id,
                        "resource": resource,
                        "from": positions[-1].isoformat(),
                        "to": position.isoformat(),
                    }
                )
            if not positions or position != positions[-1]:
                positions.append(position)
