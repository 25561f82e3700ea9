"""The pure rules behind transport hardening: Host names, the inbound token buckets."""

from __future__ import annotations

import pytest

from storesync.api import inbound_limit
from storesync.api.hardening import LOOPBACK, host_allowed, host_name
from storesync.api.inbound_limit import TokenBuckets, bucket_key


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Shop.Example.com", "shop.example.com"),
        ("shop.example.com:8443", "shop.example.com"),
        ("shop.example.com.", "shop.example.com"),
        ("[::1]:3000", "::1"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("[broken", ""),
    ],
)
def test_host_names_lose_their_port_and_case(header: str, name: str) -> None:
    assert host_name(header) == name


def test_only_our_names_and_bare_addresses_are_answered() -> None:
    ours = LOOPBACK | {"shop.example.com", "*.shops.example"}
    for name in ("shop.example.com", "localhost", "eu.shops.example", "10.0.0.7", "2001:db8::1"):
        assert host_allowed(name, ours), name
    for name in ("evil.example", "shops.example", "shop.example.com.evil.example", ""):
        assert not host_allowed(name, ours), name
    assert host_allowed("anything.example", {"*"})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_one_request_per_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate_per_s=2, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0  # every key has its own
    clock.now += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 60
    assert [buckets.take("a") for _ in range(4)][:3] == [0, 0, 0]  # refilled to the burst only


def test_a_refused_request_costs_nothing() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate_per_s=1, burst=1, clock=clock)
    assert buckets.take("a") == 0
    for _ in range(5):
        assert buckets.take("a") == pytest.approx(1.0)
    clock.now += 1
    assert buckets.take("a") == 0


def test_the_buckets_forget_the_least_recently_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound_limit, "MAX_BUCKETS", 2)
    buckets = TokenBuckets(rate_per_s=1, burst=1, clock=Clock())
    buckets.take("a")
    buckets.take("b")
    buckets.take("c")  # "a" is forgotten: it would have been the first to be full again
    assert buckets.take("a") == 0
    assert buckets.take("c") > 0


def test_a_key_is_counted_by_its_digest_and_anything_else_by_its_address() -> None:
    key = "ssk_0123abcd_" + "A" * 43

    def scope(authorization: str | None) -> dict[str, object]:
        headers = [(b"authorization", authorization.encode())] if authorization else []
        return {"headers": headers, "client": ("192.0.2.1", 5000)}

    by_key = bucket_key(scope(f"Bearer {key}"))
    assert by_key.startswith("key:")
    assert key not in by_key
    assert bucket_key(scope("Bearer made-up")) == "addr:192.0.2.1"
    assert bucket_key(scope(None)) == "addr:192.0.2.1"
