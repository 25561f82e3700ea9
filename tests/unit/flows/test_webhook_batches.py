"""`webhook.process_batch`: a shop's stored order webhooks imported together, one order-detail
call per 50 distinct orders; a failed call hands each of its events to `webhook.process`."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import Order, WebhookEvent
from storesync.domain.order_status import OrderStatus
from storesync.domain.platform import Platform
from storesync.errors import PlatformAPIError
from storesync.inventory.service import InventoryService
from storesync.testing.drain import drain, inline_jobs
from storesync.testing.fakes import FakeClient, FakeClients
from storesync.testing.jobs import RecordingJobs
from storesync.webhook import service
from storesync.webhook.batch import RETRY_DELAY_MS, SINGLE_TASK
from storesync.webhook.batching import request_batch
from storesync.webhook.tasks import process, process_batch
from tests.seeds import remote_order


def _receive(factory: sessionmaker[Session], fake: FakeClient, *order_ids: str) -> list[int]:
    """One pushed webhook per order id, verified and stored as the endpoint does; row ids."""
    rows = []
    with unit_of_work(factory) as session:
        for order_id in order_ids:
            body = fake.webhook_body(fake.order_event(order_id, OrderStatus.READY_TO_SHIP))
            received = service.receive(session, fake, Platform.SHOPEE, body, {}, "https://hook")
            assert received.event_row_id is not None
            rows.append(received.event_row_id)
    return rows


def _restock(factory: sessionmaker[Session], units: int) -> None:
    with unit_of_work(factory) as session:
        InventoryService(session, actor="test").adjust("SKU-1", units, "restock")


def _on_platform(fake: FakeClient, *order_ids: str) -> None:
    fake.add_orders(
        *(remote_order(i, OrderStatus.READY_TO_SHIP, 1, [("SKU-1", 1)]) for i in order_ids)
    )


def _statuses(factory: sessionmaker[Session]) -> dict[int, str]:
    with unit_of_work(factory) as session:
        return {
            row_id: status
            for row_id, status in session.execute(select(WebhookEvent.id, WebhookEvent.status))
        }


def _orders(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as session:
        return int(session.scalar(select(func.count()).select_from(Order)) or 0)


def test_a_batch_imports_each_distinct_order_with_one_detail_call_per_fifty(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    order_ids = [f"O-{n:03d}" for n in range(60)]
    _on_platform(fake, *order_ids)
    # 60 orders, the first 10 of them pushed twice (a status change, a redelivery with a new id).
    _receive(factory, fake, *order_ids, *order_ids[:10])
    _restock(factory, 90)  # 100 on hand: every order reserves its unit

    process_batch(shop_id, db=factory, clients=FakeClients(fake), jobs=jobs)

    details = [call.args[0] for call in fake.calls_to("get_orders")]
    assert [len(ids) for ids in details] == [50, 10]
    assert sorted(i for ids in details for i in ids) == order_ids
    assert _orders(factory) == 60
    assert set(_statuses(factory).values()) == {"processed"}
    # Sixty stock changes of one shop ask for one push.
    assert [j.name for j in jobs.sent] == ["listing.push_stock"]


def test_a_failed_detail_call_hands_each_of_its_events_to_webhook_process(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    _on_platform(fake, "A", "B")
    rows = _receive(factory, fake, "A", "B", "A")
    fake.fail(PlatformAPIError("502 from the platform"), method="get_orders")

    process_batch(shop_id, db=factory, clients=FakeClients(fake), jobs=jobs)

    handed = jobs.of(SINGLE_TASK)
    assert sorted((j.kwargs["event_row_id"], j.delay_ms) for j in handed) == [
        (row, RETRY_DELAY_MS) for row in rows
    ]
    assert set(_statuses(factory).values()) == {"failed"}
    assert _orders(factory) == 0
    # Each event alone, once the platform answers again: both orders imported, once each.
    for job in handed:
        process(job.kwargs["event_row_id"], db=factory, clients=FakeClients(fake), jobs=jobs)
    assert _orders(factory) == 2
    assert set(_statuses(factory).values()) == {"processed"}


def test_a_failed_batch_is_retried_event_by_event_through_the_queue_until_imported(
    factory: sessionmaker[Session], fake: FakeClient, shop_id: int
) -> None:
    """The same hand-over through the real queue machinery, drained inline."""
    _on_platform(fake, "A", "B")
    _receive(factory, fake, "A", "B")
    fake.fail(PlatformAPIError("502"), PlatformAPIError("502"), method="get_orders")
    jobs = inline_jobs(factory, FakeClients(fake))
    request_batch(jobs, shop_id)

    ran = drain(jobs.broker)

    # The batch failed; event A's first run failed too and its queue retry imported it.
    assert ran.counts["webhook.process_batch"] == 1
    assert ran.counts[SINGLE_TASK] == 3
    assert [run.retries for run in ran.of(SINGLE_TASK) if run.exception] == [0]
    assert ran.gave_up == []
    assert _orders(factory) == 2
    assert set(_statuses(factory).values()) == {"processed"}
    assert ran.counts["listing.push_stock"] >= 1
    assert len(fake.stock_updates) >= 1
