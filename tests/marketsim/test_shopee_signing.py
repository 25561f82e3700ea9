"""The simulator's signing code against every published Shopee vector and an independent signer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketsim.shopee import signing
from tests.marketsim.shopee_helpers import doc_push_auth, doc_sign, shopee_vectors

VECTORS = shopee_vectors()


def by_kind(*kinds: str) -> list[dict[str, Any]]:
    return [v for v in VECTORS if v["kind"] in kinds]


def test_every_shopee_vector_is_covered() -> None:
    assert sorted(v["id"] for v in VECTORS) == ["V-S1", "V-S2", "V-S3", "V-S4", "V-S5", "V-S6"]
    assert len(by_kind("api_shop", "api_merchant", "api_public", "push")) == len(VECTORS)


@pytest.mark.parametrize("v", by_kind("api_shop"), ids=lambda v: v["id"])
def test_shop_vector(v: dict[str, Any]) -> None:
    args = (v["partner_key"], v["partner_id"], v["path"], v["timestamp"])
    assert signing.shop_sign(*args, v["access_token"], v["shop_id"]) == v["sign"]
    assert signing.verify(v["sign"], v["sign"])


@pytest.mark.parametrize("v", by_kind("api_merchant"), ids=lambda v: v["id"])
def test_merchant_vector(v: dict[str, Any]) -> None:
    args = (v["partner_key"], v["partner_id"], v["path"], v["timestamp"])
    assert signing.merchant_sign(*args, v["access_token"], v["merchant_id"]) == v["sign"]


@pytest.mark.parametrize("v", by_kind("api_public"), ids=lambda v: v["id"])
def test_public_vector(v: dict[str, Any]) -> None:
    args = (v["partner_key"], v["partner_id"], v["path"], v["timestamp"])
    assert signing.public_sign(*args) == v["sign"]


@pytest.mark.parametrize("v", by_kind("push"), ids=lambda v: v["id"])
def test_push_vector(v: dict[str, Any]) -> None:
    body = v["body"].encode()
    assert (
        signing.push_authorization(v["partner_key"], v["callback_url"], body) == v["authorization"]
    )


def test_base_strings_match_the_documented_examples() -> None:
    v1 = next(v for v in VECTORS if v["id"] == "V-S1")
    assert (
        signing.base_string(
            v1["partner_id"], v1["path"], v1["timestamp"], v1["access_token"], v1["shop_id"]
        )
        == "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    )
    v3 = next(v for v in VECTORS if v["id"] == "V-S3")
    assert (
        signing.base_string(v3["partner_id"], v3["path"], v3["timestamp"])
        == "2001887/api/v2/public/get_shops_by_partner1655714431"
    )


def test_key_is_used_as_string_bytes_not_hex_decoded() -> None:
    import hashlib
    import hmac

    v1 = next(v for v in VECTORS if v["id"] == "V-S1")
    base = signing.base_string(
        v1["partner_id"], v1["path"], v1["timestamp"], v1["access_token"], v1["shop_id"]
    )
    hex_decoded = hmac.new(bytes.fromhex(v1["partner_key"]), base.encode(), hashlib.sha256)
    assert hex_decoded.hexdigest() != v1["sign"]


def test_uppercase_sign_is_rejected() -> None:
    v1 = next(v for v in VECTORS if v["id"] == "V-S1")
    assert not signing.verify(v1["sign"], v1["sign"].upper())


text = st.text(min_size=1, max_size=40)


@settings(max_examples=50, deadline=None, database=None)
@given(key=text, pid=st.integers(1, 10**9), path=text, ts=st.integers(0, 2**32), token=text,
       shop=st.integers(1, 10**12))  # fmt: skip
def test_shop_sign_matches_an_independent_implementation(
    key: str, pid: int, path: str, ts: int, token: str, shop: int
) -> None:
    assert signing.shop_sign(key, pid, path, ts, token, shop) == doc_sign(
        key, pid, path, ts, token, shop
    )
    assert signing.public_sign(key, pid, path, ts) == doc_sign(key, pid, path, ts)


@settings(max_examples=50, deadline=None, database=None)
@given(key=text, url=text, body=st.binary(max_size=200))
def test_push_auth_matches_an_independent_implementation(key: str, url: str, body: bytes) -> None:
    assert signing.push_authorization(key, url, body) == doc_push_auth(key, url, body)
