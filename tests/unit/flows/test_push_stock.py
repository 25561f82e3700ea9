"""`listing.push_stock`: a shop's dirty listings pushed as absolute quantities, one push per shop
at a time, and our own breaker's "not now" made one deferred push instead of queue retries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import unit_of_work
from storesync.db.models import Listing, SyncJob
from storesync.errors import ValidationError
from storesync.listing.requests import PUSH_DEBOUNCE_MS, push_key, pushing_key, request_push
from storesync.listing.tasks import FAILED_RETRY_MS, push_stock
from storesync.marketplaces.base import StockUpdate
from storesync.resilience.errors import CircuitOpenError
from storesync.testing.fakes import FakeClient, FakeClients
from storesync.testing.jobs import RecordingJobs, SentJob
from tests.seeds import listing_ref

REF = listing_ref("SKU-1")


def _listing(factory: sessionmaker[Session]) -> Listing:
    with unit_of_work(factory) as session:
        listing = session.scalars(select(Listing)).one()
        session.expunge(listing)
        return listing


def _push(
    shop_id: int, factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs
) -> None:
    push_stock(shop_id, db=factory, clients=FakeClients(fake), jobs=jobs)


def test_a_push_writes_the_dirty_listings_and_records_what_the_platform_confirmed(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    _push(shop_id, factory, fake, jobs)

    assert fake.stock_updates == [StockUpdate(REF, available=10, reserved_here=0)]
    listing = _listing(factory)
    assert (listing.desired_qty, listing.confirmed_qty, listing.dirty) == (10, 10, False)
    assert jobs.sent == []  # nothing left to do: no follow-up push
    with unit_of_work(factory) as session:
        job = session.scalars(select(SyncJob).where(SyncJob.kind == "stock")).one()
        assert (job.status, job.shop_id) == ("succeeded", shop_id)
        assert '"pushed": 1' in job.counts_json


def test_a_push_with_nothing_dirty_makes_no_platform_call(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    _push(shop_id, factory, fake, jobs)
    _push(shop_id, factory, FakeClient(), jobs)

    assert fake.methods == ["update_stock"]


def test_a_push_while_another_push_of_the_shop_runs_asks_again_instead_of_pushing(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    assert jobs.pending.claim(pushing_key(shop_id))  # the other push holds the shop's lock

    _push(shop_id, factory, fake, jobs)

    assert fake.calls == []
    assert jobs.sent == [
        SentJob(
            "listing.push_stock",
            {"shop_id": shop_id},
            PUSH_DEBOUNCE_MS,
            "coalesced",
            push_key(shop_id),
        )
    ]
    assert _listing(factory).dirty


def test_a_push_refused_by_an_open_breaker_waits_as_one_coalesced_push_not_a_queue_retry(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    fake.fail_always(CircuitOpenError(retry_after=12.0), method="update_stock")

    _push(shop_id, factory, fake, jobs)  # returns: the queue sees a job that succeeded

    [deferred] = jobs.sent
    assert (deferred.name, deferred.kwargs, deferred.key) == (
        "listing.push_stock",
        {"shop_id": shop_id},
        push_key(shop_id),
    )
    assert deferred.delay_ms is not None
    assert 12_000 <= deferred.delay_ms <= 14_400  # the cool-down left, plus at most 20 % jitter
    # The sweep's next request joins the waiting push instead of adding a second one.
    assert not request_push(jobs, shop_id)
    assert len(jobs.sent) == 1
    # The shop's push lock is free again for the deferred push.
    assert jobs.pending.claim(pushing_key(shop_id))
    assert _listing(factory).dirty


def test_a_variant_the_platform_refuses_stays_dirty_and_is_pushed_again_later(
    factory: sessionmaker[Session], fake: FakeClient, jobs: RecordingJobs, shop_id: int
) -> None:
    fake.refuse(REF, ValidationError("SKU locked by the platform"))

    _push(shop_id, factory, fake, jobs)

    listing = _listing(factory)
    assert (listing.dirty, listing.last_error_code) == (True, "VALIDATION_ERROR")
    assert [(j.name, j.delay_ms) for j in jobs.sent] == [("listing.push_stock", FAILED_RETRY_MS)]
