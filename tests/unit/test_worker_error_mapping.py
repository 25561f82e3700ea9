"""The worker maps failures to queue behaviour in one place."""

from __future__ import annotations

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from storesync.errors import DatabaseError, NetworkError, ValidationError
from storesync.observability.logging import configure_logging
from storesync.resilience.errors import BudgetExhaustedError, CircuitOpenError
from storesync.worker.registry import should_retry, translating_infrastructure_errors


def test_a_lost_database_connection_is_a_retryable_database_error() -> None:
    def job() -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    with pytest.raises(DatabaseError) as info:
        translating_infrastructure_errors(job)()
    assert info.value.retryable
    assert isinstance(info.value.__cause__, OperationalError)


def test_redis_going_away_is_a_retryable_network_error_not_a_bug() -> None:
    def job() -> None:
        raise RedisConnectionError("Connection refused")

    with pytest.raises(NetworkError) as info:
        translating_infrastructure_errors(job)()
    assert info.value.retryable
    assert should_retry(max_retries=5)(0, info.value)


def test_non_retryable_errors_are_not_retried_and_retries_are_bounded() -> None:
    retry_when = should_retry(max_retries=5)
    assert not retry_when(0, ValidationError("bad"))
    assert not retry_when(0, RuntimeError("a bug"))
    assert retry_when(4, DatabaseError())
    assert not retry_when(5, DatabaseError())


def test_waiting_on_our_own_breaker_or_budget_gets_more_rounds_but_still_ends() -> None:
    retry_when = should_retry(max_retries=5)
    for wait in (CircuitOpenError(retry_after=10), BudgetExhaustedError(retry_after=2)):
        assert retry_when(5, wait)
        assert not retry_when(20, wait)


def test_request_urls_with_tokens_never_reach_the_logs() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("DEBUG", "json")
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
        assert logging.getLogger("httpcore").getEffectiveLevel() >= logging.WARNING
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
