"""The taxonomy carries the playbook's data: severity, retryability, status, action."""

from __future__ import annotations

import pytest

from storesync.errors import (
    CODE_INFO,
    AuthenticationError,
    AuthorizationError,
    Channel,
    DatabaseError,
    DataIntegrityError,
    ErrorCode,
    InternalError,
    NetworkError,
    NetworkTimeoutError,
    NotFoundError,
    PlatformAPIError,
    PlatformRejectedError,
    RateLimitError,
    Severity,
    StoreSyncError,
    SyncConflictError,
    SyncError,
    TokenExpiredError,
    ValidationError,
    error_class_for,
)

# (class, code, severity as the playbook rates it, retried?, HTTP status)
PLAYBOOK = [
    (ValidationError, "VALIDATION_ERROR", "low", False, 422),
    (AuthenticationError, "AUTHENTICATION_ERROR", "high", False, 401),
    (AuthorizationError, "AUTHORIZATION_ERROR", "high", False, 403),
    (PlatformAPIError, "PLATFORM_API_ERROR", "medium", True, 502),
    (SyncError, "SYNC_ERROR", "medium", False, 409),
    (RateLimitError, "RATE_LIMIT_ERROR", "medium", True, 429),
    (NetworkError, "NETWORK_ERROR", "medium", True, 503),
    (DatabaseError, "DATABASE_ERROR", "high", True, 503),
    (InternalError, "INTERNAL_ERROR", "critical", False, 500),
]


def test_the_nine_codes_are_exactly_the_playbooks() -> None:
    assert {c.value for c in ErrorCode} == {row[1] for row in PLAYBOOK}
    assert set(CODE_INFO) == set(ErrorCode)


@pytest.mark.parametrize(("cls", "code", "severity", "retryable", "status"), PLAYBOOK)
def test_each_class_carries_its_playbook_data(
    cls: type[StoreSyncError], code: str, severity: str, retryable: bool, status: int
) -> None:
    error = cls("boom")
    assert error.code == code
    assert error.severity == severity
    assert error.retryable is retryable
    assert error.http_status == status
    assert error.action  # every code recommends something to do
    assert error_class_for(code) is cls


def test_subclasses_refine_without_changing_the_code() -> None:
    assert NotFoundError().code == ErrorCode.VALIDATION_ERROR
    assert NotFoundError().http_status == 404
    assert TokenExpiredError().code == ErrorCode.AUTHENTICATION_ERROR
    assert PlatformRejectedError().retryable is False
    assert PlatformAPIError().retryable is True
    assert SyncConflictError().http_status == 409
    assert NetworkTimeoutError().http_status == 504


def test_data_integrity_failure_is_critical_and_not_retried() -> None:
    error = DataIntegrityError("ledger does not sum to on hand")
    assert error.code == ErrorCode.DATABASE_ERROR
    assert error.severity == Severity.CRITICAL
    assert error.retryable is False


def test_a_concrete_error_may_raise_its_severity_but_never_lower_it() -> None:
    assert PlatformAPIError("outage", severity=Severity.HIGH).severity == Severity.HIGH
    assert DatabaseError("down", severity=Severity.LOW).severity == Severity.HIGH


def test_severity_levels_carry_response_targets_and_channels() -> None:
    low, critical = Severity.LOW.policy, Severity.CRITICAL.policy
    assert low.channels == (Channel.IN_APP,)
    assert low.response_max.total_seconds() == 48 * 3600
    assert Severity.MEDIUM.policy.channels == (Channel.EMAIL, Channel.IN_APP)
    assert set(Severity.HIGH.policy.channels) == {Channel.EMAIL, Channel.SLACK, Channel.IN_APP}
    assert Channel.SMS in critical.channels
    assert critical.response_min.total_seconds() == 15 * 60
    assert critical.response_max.total_seconds() == 30 * 60
    assert [s.policy.escalation_level for s in Severity] == [1, 2, 3, 4]


def test_envelope_body_has_every_field_but_the_correlation_id() -> None:
    body = RateLimitError("slow down", details={"vendor_code": "x"}, retry_after=3).to_dict()
    assert body == {
        "code": "RATE_LIMIT_ERROR",
        "message": "slow down",
        "severity": "medium",
        "action": CODE_INFO[ErrorCode.RATE_LIMIT_ERROR].action,
        "details": {"vendor_code": "x"},
    }
