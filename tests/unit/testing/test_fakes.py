"""The fakes behave like what they stand in for, where a test relies on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from storesync.domain.order_status import OrderStatus
from storesync.errors import NetworkError, PlatformAPIError
from storesync.marketplaces.base import EventKind, MarketplaceClient
from storesync.testing.fakes import FakeClient
from storesync.testing.jobs import RecordingJobs, SentJob


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    with Session(engine) as open_session:
        yield open_session
    engine.dispose()


def test_a_coalesced_job_is_sent_once_until_it_starts() -> None:
    jobs = RecordingJobs()
    assert jobs.send_coalesced("push:7", "listing.push_stock", delay_ms=150, shop_id=7)
    assert not jobs.send_coalesced("push:7", "listing.push_stock", delay_ms=150, shop_id=7)
    jobs.started("push:7")
    assert jobs.send_coalesced("push:7", "listing.push_stock", delay_ms=0, shop_id=7)
    assert [j.delay_ms for j in jobs.sent] == [150, 0]
    assert len(jobs.joined) == 1


def test_a_job_sent_after_commit_is_recorded_once_and_only_if_it_commits(
    session: Session,
) -> None:
    jobs = RecordingJobs()
    jobs.send_after_commit(session, "catalog.import", shop_id=1)
    jobs.send_after_commit(session, "catalog.import", shop_id=1)
    assert jobs.sent == []
    session.commit()
    jobs.send_after_commit(session, "catalog.import", shop_id=2)
    session.rollback()
    assert jobs.sent == [SentJob("catalog.import", {"shop_id": 1}, via="after_commit")]


def test_platform_calls_fail_in_turn_then_always_until_recovered() -> None:
    fake = FakeClient().fail(NetworkError("reset"), method="get_orders")
    with pytest.raises(NetworkError):
        fake.get_orders(["A"])
    assert fake.get_orders(["A"]) == []
    fake.fail_always(PlatformAPIError("503"))
    with pytest.raises(PlatformAPIError):
        fake.fetch_lost_events()
    assert fake.authorization_url("https://cb", "s")  # local methods never fail
    fake.recover()
    fake.fetch_lost_events()
    assert isinstance(fake, MarketplaceClient)
    assert fake.methods == [
        "get_orders",
        "get_orders",
        "fetch_lost_events",
        "authorization_url",
        "fetch_lost_events",
    ]


def test_a_fake_webhook_body_parses_back_into_its_event() -> None:
    fake = FakeClient(external_shop_id="42")
    event = fake.order_event("O-1", OrderStatus.SHIPPED)
    parsed = fake.parse_webhook(fake.webhook_body(event))
    assert parsed == event
    assert (parsed.kind, parsed.external_shop_id, parsed.status) == (
        EventKind.ORDER_STATUS,
        "42",
        OrderStatus.SHIPPED,
    )
