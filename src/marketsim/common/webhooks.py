"""Webhook delivery as the platforms do it: signed, asynchronous, retried, sometimes faulty.

`send()` never blocks the request that caused the event: it hands the payload to a background
task started with the app's lifespan. One dispatcher makes every FIRST attempt in the order
events happened (so with no faults a receiver sees them in order); retries run in their own tasks
so one failing event does not hold back the next.

Retry: after a failed attempt (non-2xx, connection error or `timeout_s` without an answer) the
sender waits `retry_schedule_s[i] * time_factor` and tries again, once per entry. When the
schedule is exhausted, or the payload was dropped by a fault, or no URL is configured, the
payload is "lost": `on_lost(payload)` is called so a platform can offer it again through its
own recovery API (Shopee's get_lost_push_message).

Faults (`FaultInjector.webhook()`, one decision per payload): drop (never sent, lost), duplicate
(the same bytes sent twice, second copy right after the first), delay (sent after
`delay_seconds * time_factor`, off the ordered path), reorder (held back and sent after the next
payload, or after `reorder_hold_s * time_factor` if none comes).

Every attempt is also kept in `deliveries` (numbered, newest last, up to `MAX_DELIVERIES`): the
sha256 of the exact bytes sent, the platform's event id when the payload carries one, the attempt
number and the HTTP status (None when no answer came). `GET /_sim/webhook/deliveries` pages
through it, so a test can prove every delivery the receiver acknowledged (2xx) was kept.

Outside a running lifespan (e.g. httpx ASGITransport without lifespan handling) payloads wait
in a backlog and go out when `start()` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from marketsim.common.faults import FaultInjector, WebhookDecision

SignFn = Callable[[str, bytes], dict[str, str]]
LostFn = Callable[[dict[str, Any]], None]
MAX_DELIVERIES = 200_000
# Where a platform puts its own id of an event, if it has one (TikTok); Shopee pushes have none.
EVENT_ID_FIELDS = ("tts_notification_id", "event_id")


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookSender:
    def __init__(
        self,
        sign: SignFn,
        faults: FaultInjector,
        retry_schedule_s: Sequence[float],
        time_factor: float = 1.0,
        *,
        on_lost: LostFn | None = None,
        timeout_s: float = 5.0,
        reorder_hold_s: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url: str | None = None
        self._sign = sign
        self._faults = faults
        self.retry_schedule_s = tuple(retry_schedule_s)
        self.time_factor = time_factor
        self.on_lost = on_lost
        self._timeout_s = timeout_s
        self._reorder_hold_s = reorder_hold_s
        self._transport = transport
        self.stats: Counter[str] = Counter()
        # The last attempts, newest last, for GET /_sim/webhook and for debugging a receiver.
        self.log: deque[dict[str, Any]] = deque(maxlen=200)
        # Every attempt, numbered from 1 (see `deliveries_after`).
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=MAX_DELIVERIES)
        self._delivery_seq = 0
        self._lock = threading.Lock()
        self._outstanding = 0
        self._backlog: list[dict[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._client: httpx.AsyncClient | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: dict[str, Any] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._client = httpx.AsyncClient(timeout=self._timeout_s, transport=self._transport)
        self._dispatcher = asyncio.create_task(self._run(), name="marketsim-webhooks")
        with self._lock:
            backlog, self._backlog = self._backlog, []
        for payload in backlog:
            self._queue.put_nowait(payload)

    async def stop(self) -> None:
        tasks = [t for t in (self._dispatcher, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._dispatcher = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._loop = None
        self._queue = None

    # -- public API --------------------------------------------------------------------------

    def send(self, payload: dict[str, Any]) -> None:
        """Queue one event; safe from the event loop and from worker threads."""
        with self._lock:
            self._outstanding += 1
            loop, queue = self._loop, self._queue
            self.stats["queued"] += 1
            if loop is None or queue is None:
                self._backlog.append(payload)
                return
        loop.call_soon_threadsafe(queue.put_nowait, payload)

    @property
    def idle(self) -> bool:
        """True when every sent payload reached its final outcome (delivered or lost)."""
        with self._lock:
            return self._outstanding == 0

    def reset(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        with self._lock:
            self._backlog.clear()
            self._held = None
            self._outstanding = 0
        self.stats.clear()
        self.log.clear()
        self.deliveries.clear()
        self._delivery_seq = 0

    def deliveries_after(self, after: int, limit: int) -> dict[str, Any]:
        """Attempts numbered above `after`, oldest first, at most `limit`; `next` is the number
        to ask after next time; `first_kept` tells whether older ones were dropped."""
        items = [d for d in list(self.deliveries) if d["seq"] > after][:limit]
        first_kept = self.deliveries[0]["seq"] if self.deliveries else self._delivery_seq + 1
        return {
            "deliveries": items,
            "next": items[-1]["seq"] if items else max(after, 0),
            "last": self._delivery_seq,
            "first_kept": first_kept,
        }

    # -- delivery ----------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            if self._held is None:
                payload = await self._queue.get()
            else:
                try:
                    payload = await asyncio.wait_for(
                        self._queue.get(), self._reorder_hold_s * self.time_factor
                    )
                except TimeoutError:
                    held, self._held = self._held, None
                    await self._dispatch(held, WebhookDecision())
                    continue
            decision = self._faults.webhook()
            if decision.drop:
                self.stats["dropped"] += 1
                self._lose(payload)
                continue
            if decision.reorder and self._held is None:
                self.stats["reordered"] += 1
                self._held = payload
                continue
            await self._dispatch(payload, decision)
            if self._held is not None:
                held, self._held = self._held, None
                await self._dispatch(held, WebhookDecision())

    async def _dispatch(self, payload: dict[str, Any], decision: WebhookDecision) -> None:
        body = encode_body(payload)
        if decision.delay_s > 0:
            self.stats["delayed"] += 1
            self._spawn(self._delayed(payload, body, decision))
            return
        await self._first_attempt(payload, body, primary=True)
        if decision.duplicate:
            self.stats["duplicated"] += 1
            await self._first_attempt(payload, body, primary=False)

    async def _delayed(
        self, payload: dict[str, Any], body: bytes, decision: WebhookDecision
    ) -> None:
        await asyncio.sleep(decision.delay_s * self.time_factor)
        await self._first_attempt(payload, body, primary=True)
        if decision.duplicate:
            self.stats["duplicated"] += 1
            await self._first_attempt(payload, body, primary=False)

    async def _first_attempt(self, payload: dict[str, Any], body: bytes, *, primary: bool) -> None:
        if self.url is None:
            if primary:
                self.stats["no_url"] += 1
                self._lose(payload)
            return
        if await self._attempt(body, attempt=1, payload=payload):
            if primary:
                self._finish()
            return
        if self.retry_schedule_s:
            self._spawn(self._retry(payload, body, primary=primary))
        else:
            self._give_up(payload, primary=primary)

    async def _retry(self, payload: dict[str, Any], body: bytes, *, primary: bool) -> None:
        for i, delay in enumerate(self.retry_schedule_s, start=2):
            await asyncio.sleep(delay * self.time_factor)
            self.stats["retried"] += 1
            if self.url is not None and await self._attempt(body, attempt=i, payload=payload):
                if primary:
                    self._finish()
                return
        self._give_up(payload, primary=primary)

    async def _attempt(self, body: bytes, *, attempt: int, payload: dict[str, Any]) -> bool:
        url = self.url
        assert url is not None
        assert self._client is not None
        headers = {"Content-Type": "application/json", **self._sign(url, body)}
        entry: dict[str, Any] = {"url": url, "attempt": attempt, "bytes": len(body)}
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            entry.update(ok=False, error=type(exc).__name__)
            ok = False
        else:
            ok = 200 <= response.status_code < 300
            entry.update(ok=ok, status=response.status_code)
        self.log.append(entry)
        self._record(body, attempt, payload, entry)
        self.stats["delivered" if ok else "attempt_failed"] += 1
        return ok

    def _record(
        self, body: bytes, attempt: int, payload: dict[str, Any], entry: dict[str, Any]
    ) -> None:
        event_id = next((payload[f] for f in EVENT_ID_FIELDS if payload.get(f)), None)
        self._delivery_seq += 1
        self.deliveries.append(
            {
                "seq": self._delivery_seq,
                "sha256": hashlib.sha256(body).hexdigest(),
                "event_id": str(event_id) if event_id is not None else None,
                "attempt": attempt,
                "status": entry.get("status"),
                "ok": entry["ok"],
                "at": time.time(),
            }
        )

    def _give_up(self, payload: dict[str, Any], *, primary: bool) -> None:
        self.stats["failed"] += 1
        if primary:
            self._lose(payload)

    def _lose(self, payload: dict[str, Any]) -> None:
        self.stats["lost"] += 1
        if self.on_lost is not None:
            self.on_lost(payload)
        self._finish()

    def _finish(self) -> None:
        with self._lock:
            self._outstanding = max(0, self._outstanding - 1)

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
