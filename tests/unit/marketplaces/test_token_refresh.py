"""Refresh once, single flight, new tokens reported before anything else can fail."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from storesync.errors import AuthenticationError, NetworkError, TokenExpiredError
from storesync.marketplaces.base import TokenSet
from storesync.marketplaces.tokens import TokenKeeper

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def tokens(n: int) -> TokenSet:
    return TokenSet(
        f"access-{n}", f"refresh-{n}", NOW + timedelta(hours=4), NOW + timedelta(days=30)
    )


class FakePlatform:
    """Accepts only the newest access token; every refresh rotates the pair (single use)."""

    def __init__(self) -> None:
        self.generation = 0
        self.refreshes = 0
        self.lock = threading.Lock()

    def refresh(self, current: TokenSet) -> TokenSet:
        with self.lock:
            if current.refresh_token != f"refresh-{self.generation}":
                raise AuthenticationError("refresh token already used")
            self.refreshes += 1
            self.generation += 1
            return tokens(self.generation)

    def call(self, used: TokenSet) -> str:
        if used.access_token != f"access-{self.generation}":
            raise TokenExpiredError("expired")
        return "ok"


def test_expired_token_is_refreshed_once_reported_then_the_call_retried() -> None:
    platform = FakePlatform()
    events: list[str] = []
    keeper = TokenKeeper(
        tokens(0), platform.refresh, lambda new: events.append("saved " + new.refresh_token)
    )

    def call(used: TokenSet) -> str:
        events.append("call " + used.access_token)
        if used.access_token == "access-0":
            raise TokenExpiredError("expired")
        return "ok"

    assert keeper.call(call) == "ok"
    # The new single-use refresh token is handed over before the retried call can fail.
    assert events == ["call access-0", "saved refresh-1", "call access-1"]
    assert platform.refreshes == 1
    assert keeper.current == tokens(1)


def _expired() -> str:
    raise TokenExpiredError("expired")


def test_ten_threads_hitting_an_expired_token_refresh_exactly_once() -> None:
    platform = FakePlatform()
    keeper = TokenKeeper(tokens(0), platform.refresh)
    expired_once = threading.Barrier(10)

    def call(used: TokenSet) -> str:
        if used.access_token == "access-0":
            expired_once.wait(timeout=5)  # all ten see the expiry before anyone refreshes
            raise TokenExpiredError("expired")
        return platform.call(used)

    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(keeper.call(call))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == []
    assert results == ["ok"] * 10
    assert platform.refreshes == 1
    assert keeper.refresh_count == 1


def test_a_token_still_rejected_after_refresh_is_final() -> None:
    keeper = TokenKeeper(tokens(0), lambda current: tokens(1))
    with pytest.raises(AuthenticationError) as info:
        keeper.call(lambda used: _expired())
    assert type(info.value) is AuthenticationError  # not TokenExpiredError: no second refresh
    assert isinstance(info.value.__cause__, TokenExpiredError)
    assert keeper.refresh_count == 1


def test_a_refresh_refused_as_expired_is_final() -> None:
    def refresh(current: TokenSet) -> TokenSet:
        raise TokenExpiredError("refresh token expired")

    keeper = TokenKeeper(tokens(0), refresh)
    with pytest.raises(AuthenticationError) as info:
        keeper.call(lambda used: _expired())
    assert type(info.value) is AuthenticationError


def test_other_errors_do_not_trigger_a_refresh() -> None:
    calls: list[TokenSet] = []
    keeper = TokenKeeper(tokens(0), lambda current: calls.append(current) or tokens(1))  # type: ignore[func-returns-value]

    def fail(used: TokenSet) -> str:
        raise NetworkError("reset")

    with pytest.raises(NetworkError):
        keeper.call(fail)
    assert calls == []


def test_new_tokens_survive_a_failing_persistence_callback() -> None:
    def broken_store(new: TokenSet) -> None:
        raise RuntimeError("database down")

    keeper = TokenKeeper(tokens(0), lambda current: tokens(1), broken_store)
    with pytest.raises(RuntimeError):
        keeper.refresh()
    # The single-use refresh token is not lost: later calls (and a retried save) have it.
    assert keeper.current == tokens(1)


def test_token_reprs_hide_the_secrets() -> None:
    assert "access-0" not in repr(tokens(0))
    assert "refresh-0" not in repr(tokens(0))
