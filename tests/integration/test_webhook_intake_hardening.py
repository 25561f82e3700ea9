"""Webhook intake under attack, over real HTTP on SQLite and PostgreSQL: forged deliveries cost a
counter and a bounded sample and never touch a shop; a replayed genuine push changes nothing; a
signed body we cannot read is acknowledged and parked as one VALIDATION_ERROR dead letter."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marketsim.shopee.signing import push_authorization
from marketsim.tiktok.signing import webhook_signature
from storesync.api.app import create_app
from storesync.bootstrap import Container
from storesync.db.engine import unit_of_work
from storesync.db.models import DeadLetter, RejectedDelivery, Shop, WebhookEvent
from storesync.deadletter.service import kwargs_of, replay
from storesync.observability.metrics import REGISTRY
from storesync.testing.drain import drain
from storesync.testing.ports import free_port
from storesync.testing.server import serving
from storesync.webhook.rejected import SAMPLE_CHARS, SAMPLE_ROWS
from storesync.webhook.unparseable import RECEIVE_TASK
from tests.seeds import make_shop

PARTNER_KEY, APP_KEY, APP_SECRET = "hardening-partner-key", "hardening-app", "hardening-secret"
SHOPEE_SHOP, TIKTOK_SHOP = "1001", "7001"
# A shop whose webhooks already look unwell: "unchanged" then means neither reset nor worse.
AILING_FAILURES, AILING_MODE = 2, "fast"
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Intake:
    url: str
    http: httpx.Client
    db: sessionmaker[Session]
    container: Container

    def post(self, platform: str, body: bytes, signature: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Authorization"] = signature
        return self.http.post(f"/webhooks/{platform}", content=body, headers=headers)

    def signed(self, platform: str, body: bytes) -> httpx.Response:
        if platform == "shopee":
            sign = push_authorization(PARTNER_KEY, f"{self.url}/webhooks/shopee", body)
        else:
            sign = webhook_signature(APP_KEY, APP_SECRET, body)
        return self.post(platform, body, sign)


@pytest.fixture
def intake(make_container: Callable[..., Container]) -> Iterator[Intake]:
    port = free_port()
    container = make_container(
        public_url=f"http://127.0.0.1:{port}",
        port=port,
        shopee_partner_id=2001,
        shopee_partner_key=PARTNER_KEY,
        tiktok_app_key=APP_KEY,
        tiktok_app_secret=APP_SECRET,
        # Hundreds of deliveries from one address in a few seconds is the point of these tests.
        api_rate_limit_rps=100_000.0,
        api_rate_limit_burst=100_000,
    )
    db = container.session_factory
    with unit_of_work(db) as session:
        for platform, external in (("shopee", SHOPEE_SHOP), ("tiktok", TIKTOK_SHOP)):
            shop = make_shop(session, platform, external)
            shop.webhook_failures, shop.poll_mode = AILING_FAILURES, AILING_MODE
            shop.last_webhook_at = LONG_AGO
    with serving(create_app(container), port) as url, httpx.Client(base_url=url) as http:
        yield Intake(url, http, db, container)


def _health(db: sessionmaker[Session]) -> dict[str, tuple[Any, ...]]:
    with unit_of_work(db) as session:
        return {
            shop.platform: (
                shop.webhook_failures,
                shop.poll_mode,
                shop.last_webhook_at,
                shop.clock_offset_ms,
                shop.authorization_expires_at,
                shop.status,
            )
            for shop in session.scalars(select(Shop))
        }


def _count(db: sessionmaker[Session], model: Any, *where: Any) -> int:
    with unit_of_work(db) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _rejected_metric(platform: str, reason: str) -> float:
    labels = {"platform": platform, "reason": reason}
    return REGISTRY.get_sample_value("storesync_webhook_rejected_total", labels) or 0.0


def _shopee_order(order_sn: str, **data: Any) -> dict[str, Any]:
    now = int(time.time())
    fields = {"ordersn": order_sn, "status": "READY_TO_SHIP", "update_time": now} | data
    return {"shop_id": int(SHOPEE_SHOP), "code": 3, "timestamp": now, "data": fields}


def _tiktok_order(order_id: str, **data: Any) -> dict[str, Any]:
    now = int(time.time())
    fields = {"order_id": order_id, "order_status": "AWAITING_SHIPMENT", "update_time": now}
    return {
        "type": 1,
        "tts_notification_id": f"n-{order_id}",
        "shop_id": TIKTOK_SHOP,
        "timestamp": now,
        "data": fields | data,
    }


def _forged(n: int) -> tuple[str, bytes, str | None]:
    """The n-th of a mix: wrong key, no signature, someone's bearer, a big body, a token."""
    shopee = _shopee_order(f"F{n}", padding="x" * (9_000 if n % 10 == 0 else 10))
    if n % 7 == 0:
        shopee["data"]["access_token"] = "leaked-token-value"
    body = json.dumps(shopee).encode()
    wrong_key = push_authorization("not-the-partner-key", "http://x/webhooks/shopee", body)
    signatures = [wrong_key, None, "Bearer ssk_not_a_key", "", "0" * 64]
    return "shopee", body, signatures[n % len(signatures)]


def test_forged_deliveries_leave_every_shop_alone_and_keep_a_bounded_masked_sample(
    intake: Intake,
) -> None:
    before = _health(intake.db)
    shopee_metric = _rejected_metric("shopee", "signature")
    tiktok_metric = _rejected_metric("tiktok", "signature")
    forged = [_forged(n) for n in range(SAMPLE_ROWS + 50)]
    tiktok = json.dumps(_tiktok_order("F")).encode()
    forged += [("tiktok", tiktok, webhook_signature(APP_KEY, "wrong-secret", tiktok))] * 25
    forged += [("tiktok", tiktok, None)] * 25

    answers = [intake.post(platform, body, sign) for platform, body, sign in forged]

    assert {a.status_code for a in answers} == {401}
    assert {a.json()["error"]["code"] for a in answers} == {"AUTHENTICATION_ERROR"}
    assert _health(intake.db) == before
    assert _count(intake.db, WebhookEvent) == 0
    assert _count(intake.db, DeadLetter) == 0
    # Sequential requests: the bound is exact (concurrent ones may overshoot by those in flight).
    assert _count(intake.db, RejectedDelivery, RejectedDelivery.platform == "shopee") == SAMPLE_ROWS
    assert _count(intake.db, RejectedDelivery, RejectedDelivery.platform == "tiktok") == 50
    assert _rejected_metric("shopee", "signature") - shopee_metric == SAMPLE_ROWS + 50
    assert _rejected_metric("tiktok", "signature") - tiktok_metric == 50
    with unit_of_work(intake.db) as session:
        samples = list(session.scalars(select(RejectedDelivery.sample)))
        remotes = set(session.scalars(select(RejectedDelivery.remote)))
    assert max(len(s) for s in samples) <= SAMPLE_CHARS
    assert not any("leaked-token-value" in s for s in samples)
    assert any('"access_token": "[redacted]"' in s for s in samples)
    assert remotes == {"127.0.0.1"}


@pytest.mark.parametrize("platform", ["shopee", "tiktok"])
def test_a_replayed_genuine_push_does_not_reset_a_shops_webhook_health(
    intake: Intake, platform: str
) -> None:
    push = _shopee_order("R1") if platform == "shopee" else _tiktok_order("R1")
    body = json.dumps(push).encode()
    assert intake.signed(platform, body).status_code == 200
    first = _health(intake.db)[platform]
    assert first[:2] == (0, "normal")  # news: webhooks work again
    assert first[2] is not None
    assert first[2] > LONG_AGO

    # Then the webhooks stop and the shop turns unwell; someone replays the captured push.
    with unit_of_work(intake.db) as session:
        shop = session.scalars(select(Shop).where(Shop.platform == platform)).one()
        shop.webhook_failures, shop.poll_mode, shop.last_webhook_at = 3, "fast", LONG_AGO
    before = _health(intake.db)
    for _ in range(3):
        replayed = intake.signed(platform, body)
        assert replayed.status_code == 200  # acknowledged: it is genuine, only not news
        assert replayed.content == b""

    assert _health(intake.db) == before
    assert _count(intake.db, WebhookEvent) == 1


SHOPEE_ODD = {
    "code ²": b'{"shop_id":1001,"code":"\xc2\xb2","timestamp":1,"data":{}}',
    "update_time 1e20": (
        b'{"shop_id":1001,"code":3,"timestamp":1,'
        b'"data":{"ordersn":"O1","status":"READY_TO_SHIP","update_time":1e20}}'
    ),
    "2000 deep": (
        b'{"shop_id":1001,"code":3,"timestamp":1,"data":{"x":' + b"[" * 2000 + b"]" * 2000 + b"}}"
    ),
}
TIKTOK_ODD = {
    "type ²": b'{"type":"\xc2\xb2","shop_id":"7001","tts_notification_id":"n1","data":{}}',
    "update_time 1e20": (
        b'{"type":1,"shop_id":"7001","tts_notification_id":"n2",'
        b'"data":{"order_id":"O1","order_status":"UNPAID","update_time":1e20}}'
    ),
    "2000 deep": (
        b'{"type":1,"shop_id":"7001","tts_notification_id":"n3","data":{"x":'
        + b'{"a":' * 2000
        + b"1"
        + b"}" * 2000
        + b"}}"
    ),
}
ODD = [("shopee", name, body) for name, body in SHOPEE_ODD.items()] + [
    ("tiktok", name, body) for name, body in TIKTOK_ODD.items()
]


@pytest.mark.parametrize(
    ("platform", "body"), [(p, b) for p, _, b in ODD], ids=[n for _, n, _ in ODD]
)
def test_a_signed_body_we_cannot_read_is_acknowledged_and_parked_as_one_dead_letter(
    intake: Intake, platform: str, body: bytes
) -> None:
    before = _health(intake.db)
    metric = _rejected_metric(platform, "unparseable")

    answer = intake.signed(platform, body)

    assert answer.status_code == 200
    assert answer.content == b""
    with unit_of_work(intake.db) as session:
        letters = list(session.scalars(select(DeadLetter)))
        assert len(letters) == 1
        letter = letters[0]
        assert (letter.task, letter.error_code, letter.status) == (
            RECEIVE_TASK,
            "VALIDATION_ERROR",
            "dead",
        )
        assert kwargs_of(letter) == {"platform": platform, "body": body.decode()}
        assert letter.shop_id is None  # the body named a shop, but nothing in it is read
    assert _rejected_metric(platform, "unparseable") - metric == 1
    assert _health(intake.db) == before
    assert _count(intake.db, WebhookEvent) == 0
    assert _count(intake.db, RejectedDelivery) == 0


def test_replaying_a_parked_delivery_reads_it_again_and_parks_it_anew_if_still_unreadable(
    intake: Intake,
) -> None:
    assert intake.signed("shopee", SHOPEE_ODD["code ²"]).status_code == 200
    with unit_of_work(intake.db) as session:
        letter_id = session.scalars(select(DeadLetter.id)).one()
        replay(session, intake.container.jobs, letter_id, actor="test")

    drained = drain(intake.container.broker)

    assert drained.tasks == [RECEIVE_TASK]
    assert not drained.errors
    with unit_of_work(intake.db) as session:
        letters = {row.id: row.status for row in session.scalars(select(DeadLetter))}
    assert letters[letter_id] == "replayed"
    assert sorted(letters.values()) == ["dead", "replayed"]
    assert _count(intake.db, WebhookEvent) == 0


def test_a_long_past_or_future_stamp_is_no_clock_sample(intake: Intake) -> None:
    """A signed push stamped in 1970 is news for health, but no clock offset (it would overflow
    the 32-bit offset column on PostgreSQL and skew every stock decision)."""
    push = _shopee_order("C1", update_time=1)
    assert intake.signed("shopee", json.dumps(push).encode()).status_code == 200
    failures, mode, _, offset, *_ = _health(intake.db)["shopee"]
    assert (failures, mode, offset) == (0, "normal", None)


def test_an_expiry_notice_with_an_impossible_date_falls_back_to_the_notice_period(
    intake: Intake,
) -> None:
    data = {"expire_time": 1e20, "shop_expire_soon": [int(SHOPEE_SHOP), {"x": 1}, "\x00"]}
    body = {"shop_id": int(SHOPEE_SHOP), "code": 12, "timestamp": int(time.time()), "data": data}
    assert intake.signed("shopee", json.dumps(body).encode()).status_code == 200
    expires_at = _health(intake.db)["shopee"][4]
    assert expires_at is not None
    expected = datetime.now(UTC) + timedelta(days=7)
    assert abs(expires_at - expected) < timedelta(minutes=5)
