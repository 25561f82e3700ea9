"""Webhook intake on fakes: a forged delivery is never parsed and moves no shop; only a new
verified event touches health; a parked delivery is read again by `webhook.receive`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import DeadLetter, RejectedDelivery, Shop, WebhookEvent
from storesync.deadletter.service import kwargs_of
from storesync.domain.order_status import OrderStatus
from storesync.domain.platform import Platform
from storesync.errors import ValidationError
from storesync.testing.fakes import FakeClient, FakeClients
from storesync.testing.jobs import RecordingJobs
from storesync.webhook import rejected, service
from storesync.webhook.batching import BATCH_TASK
from storesync.webhook.tasks import receive
from storesync.webhook.unparseable import BODY_CHARS, RECEIVE_TASK

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def _receive(factory: sessionmaker[Session], fake: FakeClient, body: bytes) -> service.Received:
    with unit_of_work(factory) as session:
        return service.receive(session, fake, Platform.SHOPEE, body, {}, "https://hook", "10.0.0.9")


def _ailing(factory: sessionmaker[Session], shop_id: int) -> None:
    with unit_of_work(factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        shop.webhook_failures, shop.poll_mode, shop.last_webhook_at = 4, "fast", LONG_AGO


def _health(factory: sessionmaker[Session], shop_id: int) -> tuple[int, str, datetime | None]:
    with unit_of_work(factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        return shop.webhook_failures, shop.poll_mode, shop.last_webhook_at


def _count(factory: sessionmaker[Session], model: Any) -> int:
    with unit_of_work(factory) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_forged_delivery_is_never_parsed_and_moves_no_shop(
    factory: sessionmaker[Session], fake: FakeClient, shop_id: int
) -> None:
    _ailing(factory, shop_id)
    fake.verifies = False
    body = fake.webhook_body(fake.order_event("O-1", OrderStatus.READY_TO_SHIP))

    received = _receive(factory, fake, body)

    assert received.rejected
    assert received.event_row_id is None
    assert fake.calls_to("parse_webhook") == []
    assert _health(factory, shop_id) == (4, "fast", LONG_AGO)
    assert _count(factory, WebhookEvent) == 0
    with unit_of_work(factory) as session:
        sample = session.scalars(select(RejectedDelivery)).one()
        assert (sample.platform, sample.reason, sample.remote) == (
            "shopee",
            "signature",
            "10.0.0.9",
        )
        assert sample.sample == body.decode()


def test_a_full_sample_takes_no_more_rows(
    factory: sessionmaker[Session], fake: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rejected, "SAMPLE_ROWS", 3)
    fake.verifies = False
    kept = [_receive(factory, fake, b"forged %d" % n) for n in range(10)]
    assert all(r.rejected for r in kept)
    assert _count(factory, RejectedDelivery) == 3


def test_a_sample_is_cut_masked_and_storable() -> None:
    body = b'{"access_token": "tok-123", "x": "\x00' + b"y" * 5000 + b'"}'
    sample = rejected.sample_of(body)
    assert len(sample) == rejected.SAMPLE_CHARS
    assert "tok-123" not in sample
    assert "\x00" not in sample
    assert rejected.sample_of(b"\xff\xfe broken") == "\ufffd\ufffd broken"


def test_only_a_new_verified_event_touches_health(
    factory: sessionmaker[Session], fake: FakeClient, shop_id: int
) -> None:
    body = fake.webhook_body(fake.order_event("O-1", OrderStatus.READY_TO_SHIP))
    first = _receive(factory, fake, body)
    assert not first.duplicate
    assert _health(factory, shop_id)[:2] == (0, "normal")

    _ailing(factory, shop_id)
    again = _receive(factory, fake, body)

    assert again.duplicate
    assert _health(factory, shop_id) == (4, "fast", LONG_AGO)


def test_a_verified_body_that_does_not_parse_is_parked_not_stored(
    factory: sessionmaker[Session], fake: FakeClient, shop_id: int
) -> None:
    _ailing(factory, shop_id)
    received = _receive(factory, fake, b'{"kind": "nonsense", "secret": "s3cr3t"}')

    assert received.parked
    assert not received.rejected
    assert _health(factory, shop_id) == (4, "fast", LONG_AGO)
    assert _count(factory, WebhookEvent) == 0
    with unit_of_work(factory) as session:
        letter = session.scalars(select(DeadLetter)).one()
        assert (letter.task, letter.error_code) == (RECEIVE_TASK, "VALIDATION_ERROR")
        assert kwargs_of(letter) == {
            "platform": "shopee",
            "body": '{"kind": "nonsense", "secret": "[redacted]"}',
        }


def test_a_parked_body_the_parser_now_reads_becomes_an_event_and_asks_for_its_batch(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    body = fake.webhook_body(fake.order_event("O-1", OrderStatus.READY_TO_SHIP)).decode()

    receive("shopee", body, db=factory, clients=FakeClients(fake), jobs=jobs)

    with unit_of_work(factory) as session:
        row = session.scalars(select(WebhookEvent)).one()
        assert (row.shop_id, row.status) == (shop_id, "received")
    assert jobs.names == [BATCH_TASK]
    assert _health(factory, shop_id)[:2] == (0, "normal")


def test_a_parked_body_still_unreadable_is_parked_again(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs
) -> None:
    receive("shopee", "not json", db=factory, clients=FakeClients(fake), jobs=jobs)
    assert _count(factory, DeadLetter) == 1
    assert _count(factory, WebhookEvent) == 0


def test_a_parked_body_that_was_cut_is_refused_on_replay(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs
) -> None:
    with pytest.raises(ValidationError, match="discard it"):
        receive(
            "shopee",
            "x",
            cut_at_chars=BODY_CHARS,
            db=factory,
            clients=FakeClients(fake),
            jobs=jobs,
        )
    assert fake.calls_to("parse_webhook") == []
