"""`order.poll`: a shop's orders read by update time from its checkpoint, which only moves forward,
and the pushes the platform kept for us stored like live ones."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings
from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import Order, WebhookEvent
from storesync.domain.order_status import OrderStatus
from storesync.marketplaces.base import RemoteOrder
from storesync.order.intake import FIRST_POLL_LOOKBACK, OVERLAP, advance_checkpoint, checkpoint
from storesync.order.tasks import poll
from storesync.testing.fakes import FakeClient, FakeClients
from storesync.testing.jobs import RecordingJobs
from storesync.webhook.batching import BATCH_TASK
from tests.seeds import remote_order


def _updated(order_id: str, minutes_ago: float) -> RemoteOrder:
    at = utcnow() - timedelta(minutes=minutes_ago)
    order = remote_order(order_id, OrderStatus.READY_TO_SHIP, 1, [("SKU-1", 1)])
    return dataclasses.replace(order, created_at=at, updated_at=at)


def _poll(
    shop_id: int, factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs
) -> None:
    poll(shop_id, db=factory, clients=FakeClients(fake), jobs=jobs, settings=Settings())


def _checkpoint(factory: sessionmaker[Session], shop_id: int) -> datetime | None:
    with unit_of_work(factory) as session:
        return checkpoint(session, shop_id)


def _count(factory: sessionmaker[Session], model: type[Order] | type[WebhookEvent]) -> int:
    with unit_of_work(factory) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_first_poll_reads_the_last_day_and_moves_the_checkpoint_to_when_it_started(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    fake.add_orders(_updated("P-1", minutes_ago=30), _updated("P-2", minutes_ago=2))
    started = utcnow()

    _poll(shop_id, factory, fake, jobs)

    [listed] = fake.calls_to("list_orders")
    assert abs(listed.args[0] - (started - FIRST_POLL_LOOKBACK)) < timedelta(seconds=5)
    assert _count(factory, Order) == 2
    position = _checkpoint(factory, shop_id)
    assert position is not None
    assert started <= position <= utcnow()


def test_a_poll_reads_from_the_checkpoint_with_overlap_and_never_moves_it_back(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    # A poll that started after this one finished first and moved the checkpoint past our start.
    later = utcnow() + timedelta(minutes=2)
    with unit_of_work(factory) as session:
        advance_checkpoint(session, shop_id, later)
    fake.add_orders(_updated("P-3", minutes_ago=1))

    _poll(shop_id, factory, fake, jobs)

    [listed] = fake.calls_to("list_orders")
    assert listed.args[0] == later - OVERLAP
    assert _count(factory, Order) == 1
    assert _checkpoint(factory, shop_id) == later


def test_a_poll_stores_the_pushes_the_platform_kept_and_asks_for_the_shops_batch(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    fake.lost_events.append(fake.order_event("L-1", OrderStatus.READY_TO_SHIP))

    _poll(shop_id, factory, fake, jobs)

    assert _count(factory, WebhookEvent) == 1
    assert fake.confirmed_cursors == ["cursor-1"]
    assert [(j.name, j.kwargs) for j in jobs.of(BATCH_TASK)] == [(BATCH_TASK, {"shop_id": shop_id})]
