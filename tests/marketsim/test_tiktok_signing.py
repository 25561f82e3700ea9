"""The simulator's signing code against the published vectors and an independent signer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketsim.tiktok.signing import (
    api_sign,
    verify_api_sign,
    verify_webhook_signature,
    webhook_signature,
)
from tests.marketsim.tiktok_helpers import doc_sign, doc_webhook_auth, tiktok_vectors

VECTORS = tiktok_vectors()
API_VECTORS = [v for v in VECTORS if v["kind"] == "api"]
WEBHOOK_VECTORS = [v for v in VECTORS if v["kind"] == "webhook"]


def test_every_tiktok_vector_is_covered() -> None:
    assert sorted(v["id"] for v in VECTORS) == ["V-T1", "V-T2", "V-T3", "V-T4", "V-T5"]


@pytest.mark.parametrize("vector", API_VECTORS, ids=lambda v: v["id"])
def test_api_vector_signs_and_verifies(vector: dict[str, Any]) -> None:
    body = vector["body"].encode()
    sign = api_sign(vector["app_secret"], vector["path"], vector["query"], body)
    assert sign == vector["sign"]
    assert verify_api_sign(vector["app_secret"], vector["path"], vector["query"], body, sign)
    assert not verify_api_sign(
        vector["app_secret"], vector["path"], vector["query"], body + b" ", sign
    )


@pytest.mark.parametrize("vector", WEBHOOK_VECTORS, ids=lambda v: v["id"])
def test_webhook_vector_signs_and_verifies(vector: dict[str, Any]) -> None:
    body = vector["body"].encode()
    signature = webhook_signature(vector["app_key"], vector["app_secret"], body)
    assert signature == vector["authorization"]
    assert verify_webhook_signature(vector["app_key"], vector["app_secret"], body, signature)


def test_sign_and_access_token_params_are_not_signed() -> None:
    query = {"app_key": "29a39d", "timestamp": "1623812664"}
    noisy = {**query, "sign": "whatever", "access_token": "legacy"}
    path = "/authorization/202309/shops"
    assert api_sign("e59af819cc", path, noisy) == api_sign("e59af819cc", path, query)


def test_multipart_body_is_left_out() -> None:
    query = {"app_key": "k", "timestamp": "1"}
    path = "/product/202309/images/upload"
    with_body = api_sign("s", path, query, b"--boundary...", multipart=True)
    assert with_body == api_sign("s", path, query, b"")


_text = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(
    secret=_text,
    path=_text.map(lambda s: "/" + s),
    query=st.dictionaries(_text, _text, max_size=5),
    body=st.binary(max_size=64),
)
def test_simulator_agrees_with_the_documented_algorithm(
    secret: str, path: str, query: dict[str, str], body: bytes
) -> None:
    assert api_sign(secret, path, query, body) == doc_sign(secret, path, query, body)


@settings(max_examples=30, deadline=None)
@given(app_key=_text, secret=_text, body=st.binary(max_size=64))
def test_webhook_signature_agrees_with_the_documented_formula(
    app_key: str, secret: str, body: bytes
) -> None:
    assert webhook_signature(app_key, secret, body) == doc_webhook_auth(app_key, secret, body)
