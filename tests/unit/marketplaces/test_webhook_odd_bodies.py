"""A signed body can still be odd; the parsers answer every odd one with ValidationError (intake
then acknowledges and parks it), never ValueError, OverflowError, RecursionError or TypeError."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storesync.errors import ValidationError
from storesync.marketplaces.base import WebhookEvent
from storesync.marketplaces.shopee import webhooks as shopee
from storesync.marketplaces.tiktok import webhooks as tiktok

Parse = Callable[[bytes], WebhookEvent]
DEEP = "[" * 2000 + "]" * 2000


def _shopee(**over: Any) -> dict[str, Any]:
    data = {"ordersn": "S1", "status": "READY_TO_SHIP", "update_time": 1700000001}
    return _with({"shop_id": 1001, "code": 3, "timestamp": 1700000000, "data": data}, over)


def _tiktok(**over: Any) -> dict[str, Any]:
    data = {"order_id": "T1", "order_status": "UNPAID", "update_time": 1700000001}
    return _with({"type": 1, "tts_notification_id": "n1", "shop_id": "7001", "data": data}, over)


def _with(body: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`data_<name>` overrides go into `data`, the rest at the top."""
    for key, value in over.items():
        if key.startswith("data_"):
            body["data"][key.removeprefix("data_")] = value
        else:
            body[key] = value
    return body


ODD_VALUES = [
    "²",  # str.isdigit() says yes, int() says no
    "١٢",  # Arabic-Indic digits: int() reads them, no platform sends them
    1e20,
    10**20,
    -1,
    2**70,
    True,
    1.5,
    [1],
    {"a": 1},
    "a\x00b",
    "\ud800",
    "x" * 300,
]


# Ids are text: these two are odd but printable, so they are ids (that match no shop).
PRINTABLE = {"²", "١٢"}
ID_FIELDS = {"shop_id", "tts_notification_id"}


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
@pytest.mark.parametrize("field", ["code", "shop_id", "timestamp", "data_update_time"])
def test_an_odd_shopee_field_is_a_validation_error(field: str, value: Any) -> None:
    _refused_unless_printable_id(shopee.parse, _shopee(**{field: value}), field, value)


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
@pytest.mark.parametrize(
    "field", ["type", "shop_id", "tts_notification_id", "timestamp", "data_update_time"]
)
def test_an_odd_tiktok_field_is_a_validation_error(field: str, value: Any) -> None:
    _refused_unless_printable_id(tiktok.parse, _tiktok(**{field: value}), field, value)


def _refused_unless_printable_id(
    parse: Parse, body: dict[str, Any], field: str, value: Any
) -> None:
    raw = json.dumps(body).encode()
    if field in ID_FIELDS and isinstance(value, str) and value in PRINTABLE:
        assert parse(raw).event_id
        return
    with pytest.raises(ValidationError) as info:
        parse(raw)
    assert info.value.details["field"] == field.replace("data_", "data.")


@pytest.mark.parametrize("parse", [shopee.parse, tiktok.parse], ids=["shopee", "tiktok"])
@pytest.mark.parametrize(
    "body",
    [
        DEEP.encode(),
        ('{"code":3,"type":1,"data":{"x":' + DEEP + "}}").encode(),
        ('{"code":3,"type":1,"data":' + '{"a":' * 40 + "1" + "}" * 40 + "}").encode(),
        b'{"code":' + b"9" * 5000 + b"}",
        b'{"code":3,"type":1,"timestamp":NaN}',
        b'{"code":3,"type":1,"timestamp":Infinity}',
        '{"code":3,"type":1}'.encode("utf-16"),
        b"\xff\xfe\x00",
        b'{"code":3,"type":1,"data":{"x":"\\ud800"},"shop_id":"\\ud800"}',
        b"",
        b"null",
        b"[]",
    ],
)
def test_odd_bodies_are_validation_errors(parse: Parse, body: bytes) -> None:
    with pytest.raises(ValidationError):
        parse(body)


def test_a_lost_shopee_push_with_odd_data_is_a_validation_error() -> None:
    lost = {"shop_id": 1001, "code": 3, "timestamp": 1, "data": json.dumps({"update_time": 1e20})}
    with pytest.raises(ValidationError):
        shopee.event_from_payload(lost)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(["code", "type", "shop_id", "timestamp", "data", "tts_notification_id"]),
    inner=st.sampled_from(["update_time", "ordersn", "order_id", "status", "order_status"]),
    value=JSON,
)
def test_any_value_in_any_field_parses_or_is_a_validation_error(
    field: str, inner: str, value: Any
) -> None:
    for parse, body in ((shopee.parse, _shopee()), (tiktok.parse, _tiktok())):
        if field == "data":
            body[field] = value
        else:
            body[field] = body["data"][inner] = value
        with contextlib.suppress(ValidationError):
            parse(json.dumps(body).encode())
