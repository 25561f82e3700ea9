"""What a dead letter says about a failure, decided without a database or a broker."""

from __future__ import annotations

from dramatiq import Message

import storesync.bootstrap  # noqa: F401  (its task modules register the real tasks)
from storesync.deadletter.middleware import failure_of, keeps_dead_letters
from storesync.deadletter.service import MESSAGE_LIMIT, describe_exception
from storesync.errors import NetworkTimeoutError, RateLimitError, TokenExpiredError
from storesync.worker.registry import RENAMED, TASKS, current_name


def test_a_taxonomy_error_keeps_its_own_code_and_message() -> None:
    assert describe_exception(RateLimitError("slow down")) == ("RATE_LIMIT_ERROR", "slow down")
    assert describe_exception(NetworkTimeoutError()) == ("NETWORK_ERROR", "The call timed out.")
    assert describe_exception(TokenExpiredError())[0] == "AUTHENTICATION_ERROR"


def test_anything_else_is_a_bug_and_becomes_internal_error() -> None:
    assert describe_exception(ZeroDivisionError("division by zero")) == (
        "INTERNAL_ERROR",
        "ZeroDivisionError: division by zero",
    )
    assert describe_exception(KeyError()) == ("INTERNAL_ERROR", "KeyError")
    assert describe_exception(None)[0] == "INTERNAL_ERROR"


def test_a_huge_message_is_cut_to_the_column() -> None:
    _, message = describe_exception(ValueError("x" * 5000))
    assert len(message) == MESSAGE_LIMIT


def test_a_failed_message_becomes_a_failure_with_attempts_payload_and_correlation_id() -> None:
    message: Message[None] = Message(
        queue_name="orders.DQ",
        actor_name="order.poll",
        args=(),
        kwargs={"shop_id": 3},
        options={"retries": 6, "correlation_id": "abc123def456"},
    )
    failure = failure_of(message, RateLimitError("429"))
    assert failure.task == "order.poll"
    assert failure.queue == "orders"  # the delay queue's name is not where it is replayed
    assert dict(failure.kwargs) == {"shop_id": 3}
    assert (failure.error_code, failure.attempts) == ("RATE_LIMIT_ERROR", 6)
    assert failure.correlation_id == "abc123def456"


def test_periodic_tasks_opt_out_and_unknown_tasks_are_kept() -> None:
    assert keeps_dead_letters("order.poll")
    assert not keeps_dead_letters("listing.sweep_dirty")
    assert keeps_dead_letters("a_task_from_an_older_version")


def test_letters_naming_a_task_by_its_old_name_reach_the_renamed_task() -> None:
    for old, new in RENAMED.items():
        assert current_name(old) == new
        assert new in TASKS, f"{old} was renamed to {new}, which no module registers"
    assert current_name("order.poll") == "order.poll"
