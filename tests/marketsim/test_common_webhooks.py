"""WebhookSender on its own, against an in-memory httpx transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from marketsim.common.faults import FaultInjector, FaultProfile
from marketsim.common.webhooks import WebhookSender, encode_body

URL = "https://receiver.example/hook"


class Recorder:
    def __init__(self, statuses: Callable[[int], int] = lambda n: 200) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[httpx.Headers] = []
        self.times: list[float] = []
        self._statuses = statuses

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        self.headers.append(request.headers)
        self.times.append(time.monotonic())
        return httpx.Response(self._statuses(len(self.bodies)))

    @property
    def seqs(self) -> list[int]:
        import json

        return [json.loads(b)["seq"] for b in self.bodies]


def sender(
    recorder: Recorder,
    *,
    webhooks: dict[str, Any] | None = None,
    schedule: tuple[float, ...] = (1, 2),
    lost: list[dict[str, Any]] | None = None,
) -> WebhookSender:
    faults = FaultInjector(FaultProfile.model_validate({"webhooks": webhooks or {}}))
    s = WebhookSender(
        lambda url, body: {"X-Sig": f"{url}|{len(body)}"},
        faults,
        schedule,
        time_factor=0.01,
        on_lost=None if lost is None else lost.append,
        reorder_hold_s=5,
        transport=httpx.MockTransport(recorder),
    )
    s.url = URL
    return s


async def settle(s: WebhookSender, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not s.idle:
        assert time.monotonic() < deadline, dict(s.stats)
        await asyncio.sleep(0.005)


def run(s: WebhookSender, payloads: list[dict[str, Any]], before_start: bool = False) -> None:
    async def main() -> None:
        if before_start:
            for p in payloads:
                s.send(p)
        await s.start()
        if not before_start:
            for p in payloads:
                s.send(p)
        await settle(s)
        await s.stop()

    asyncio.run(main())


def test_delivers_in_order_with_signature_headers() -> None:
    rec = Recorder()
    run(sender(rec), [{"seq": i} for i in range(5)])
    assert rec.seqs == [0, 1, 2, 3, 4]
    assert rec.bodies[0] == encode_body({"seq": 0}) == b'{"seq":0}'
    assert rec.headers[0]["X-Sig"] == f"{URL}|9"
    assert rec.headers[0]["Content-Type"] == "application/json"


def test_retries_on_the_schedule_times_the_time_factor() -> None:
    rec = Recorder(lambda n: 500 if n < 3 else 200)
    s = sender(rec, schedule=(1, 2))
    run(s, [{"seq": 1}])
    assert len(rec.bodies) == 3
    gaps = [b - a for a, b in zip(rec.times, rec.times[1:], strict=False)]
    assert gaps[0] >= 0.01
    assert gaps[1] >= 0.02
    assert s.stats["retried"] == 2
    assert s.stats["delivered"] == 1


def test_gives_up_after_the_schedule_and_reports_lost() -> None:
    rec = Recorder(lambda n: 500)
    lost: list[dict[str, Any]] = []
    s = sender(rec, lost=lost)
    run(s, [{"seq": 1}])
    assert len(rec.bodies) == 3
    assert lost == [{"seq": 1}]
    assert s.stats["failed"] == 1


def test_connection_errors_count_as_failures() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    lost: list[dict[str, Any]] = []
    s = WebhookSender(
        lambda u, b: {}, FaultInjector(), (1,), 0.01, on_lost=lost.append,
        transport=httpx.MockTransport(refuse),
    )  # fmt: skip
    s.url = URL
    run(s, [{"seq": 1}])
    assert lost == [{"seq": 1}]
    assert s.log[-1]["error"] == "ConnectError"


def test_without_url_payloads_are_lost_at_once() -> None:
    rec = Recorder()
    lost: list[dict[str, Any]] = []
    s = sender(rec, lost=lost)
    s.url = None
    run(s, [{"seq": 1}])
    assert rec.bodies == []
    assert lost == [{"seq": 1}]


def test_payloads_sent_before_start_wait_in_a_backlog() -> None:
    rec = Recorder()
    run(sender(rec), [{"seq": 1}, {"seq": 2}], before_start=True)
    assert rec.seqs == [1, 2]


def test_drop_fault() -> None:
    rec = Recorder()
    lost: list[dict[str, Any]] = []
    s = sender(rec, webhooks={"drop": 1.0}, lost=lost)
    run(s, [{"seq": 1}])
    assert rec.bodies == []
    assert lost == [{"seq": 1}]
    assert s.stats["dropped"] == 1


def test_duplicate_fault() -> None:
    rec = Recorder()
    run(sender(rec, webhooks={"duplicate": 1.0}), [{"seq": 1}])
    assert rec.seqs == [1, 1]


def test_reorder_fault_swaps_with_the_next_payload() -> None:
    rec = Recorder()
    # Every payload is picked for reordering; one can be held at a time, so 1 waits for 2,
    # and 3 waits for the hold timeout (5 s x 0.01).
    run(sender(rec, webhooks={"reorder": 1.0}), [{"seq": 1}, {"seq": 2}, {"seq": 3}])
    assert rec.seqs == [2, 1, 3]


def test_delay_fault_lets_later_payloads_overtake() -> None:
    rec = Recorder()
    faults = FaultInjector(FaultProfile.model_validate({"webhooks": {}}))
    s = WebhookSender(lambda u, b: {}, faults, (), 0.01, transport=httpx.MockTransport(rec))
    s.url = URL

    async def main() -> None:
        await s.start()
        faults.set_profile(
            FaultProfile.model_validate({"webhooks": {"delay": 1.0, "delay_seconds": 10}})
        )
        s.send({"seq": 1})
        await asyncio.sleep(0.02)
        faults.set_profile(FaultProfile())
        s.send({"seq": 2})
        await settle(s)
        await s.stop()

    asyncio.run(main())
    assert rec.seqs == [2, 1]
    assert s.stats["delayed"] == 1


def test_every_attempt_is_recorded_with_its_hash_event_id_and_status() -> None:
    import hashlib

    rec = Recorder(lambda n: 500 if n == 1 else 200)
    s = sender(rec, schedule=(1,))
    run(s, [{"seq": 1, "tts_notification_id": "n-1"}, {"seq": 2}])
    page = s.deliveries_after(0, 10)
    attempts = page["deliveries"]
    assert [(d["attempt"], d["status"], d["ok"]) for d in attempts] == [
        (1, 500, False),
        (1, 200, True),
        (2, 200, True),
    ]
    assert [d["seq"] for d in attempts] == [1, 2, 3]
    first = encode_body({"seq": 1, "tts_notification_id": "n-1"})
    assert attempts[0]["sha256"] == hashlib.sha256(first).hexdigest()
    assert attempts[2]["sha256"] == attempts[0]["sha256"]  # the retry sends the same bytes
    assert (attempts[0]["event_id"], attempts[1]["event_id"]) == ("n-1", None)
    assert s.deliveries_after(2, 10)["deliveries"] == attempts[2:]
    assert s.deliveries_after(0, 1)["next"] == 1
    assert page["last"] == 3
    assert page["first_kept"] == 1
    s.reset()
    assert s.deliveries_after(0, 10)["deliveries"] == []
