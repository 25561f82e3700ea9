"""Pushes parsed into neutral events: kinds, ids, statuses, malformed bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from storesync.domain.order_status import OrderStatus
from storesync.domain.platform import Platform
from storesync.errors import ValidationError
from storesync.marketplaces.base import EventKind
from storesync.marketplaces.shopee import webhooks as shopee
from storesync.marketplaces.tiktok import webhooks as tiktok

V_T4 = (
    b'{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507",'
    b'"timestamp":1718305585,"data":{"is_on_hold_order":true,"order_id":"576653688135258178",'
    b'"order_status":"UNPAID","update_time":1718305585}}'
)
V_S6 = (
    b'{"shop_id": 123, "code": 1, "success": 1, "extra": "shop_id 123 is authorized '
    b'successfully", "data": {"more_info": "more info"}, "timestamp": 1470198856}'
)


def test_tiktok_order_push_official_sample() -> None:
    event = tiktok.parse(V_T4)
    assert event.platform is Platform.TIKTOK
    assert event.event_id == "7380066284010030890"
    assert event.kind is EventKind.ORDER_STATUS
    assert event.external_shop_id == "7495540735365777507"
    assert event.order_external_id == "576653688135258178"
    assert event.status is OrderStatus.PENDING
    assert event.raw_status == "UNPAID"
    assert event.occurred_at == datetime.fromtimestamp(1718305585, UTC)
    assert event.raw["data"]["is_on_hold_order"] is True


def test_tiktok_push_without_notification_id_gets_a_stable_content_id() -> None:
    body = {"type": 1, "shop_id": "7", "timestamp": 1, "data": {"order_id": "9"}}
    spaced = json.dumps(body, indent=2).encode()
    compact = json.dumps(body, separators=(",", ":")).encode()
    assert tiktok.parse(spaced).event_id == tiktok.parse(compact).event_id
    assert tiktok.parse(compact).event_id.startswith("sha256:")


@pytest.mark.parametrize(
    ("kind_code", "kind"),
    [
        (6, EventKind.DEAUTHORIZATION),
        (7, EventKind.AUTH_EXPIRING),
        (5, EventKind.PRODUCT),
        (11, EventKind.ORDER_CANCELLATION),
        (12, EventKind.ORDER_RETURN),
        (27, EventKind.STOCK),
        (999, EventKind.OTHER),
    ],
)
def test_tiktok_push_kinds(kind_code: int, kind: EventKind) -> None:
    body = json.dumps({"type": kind_code, "tts_notification_id": "n", "shop_id": "1", "data": {}})
    event = tiktok.parse(body.encode())
    assert event.kind is kind
    assert event.status is None


def test_shopee_authorization_push_guide_sample() -> None:
    event = shopee.parse(V_S6)
    assert event.platform is Platform.SHOPEE
    assert event.kind is EventKind.AUTHORIZATION
    assert event.external_shop_id == "123"
    assert event.order_external_id is None
    assert event.occurred_at == datetime.fromtimestamp(1470198856, UTC)


def test_shopee_order_push_and_its_lost_copy_share_one_event_id() -> None:
    data = {"ordersn": "201218V2Y6E59M", "status": "READY_TO_SHIP", "update_time": 1700000001}
    live = {"shop_id": 10000001, "code": 3, "timestamp": 1700000002, "msg_id": "abc", "data": data}
    lost = {"shop_id": 10000001, "code": 3, "timestamp": 1700000002, "data": json.dumps(data)}
    live_event = shopee.parse(json.dumps(live).encode())
    lost_event = shopee.event_from_payload(lost)
    assert live_event.event_id == lost_event.event_id
    assert live_event.kind is EventKind.ORDER_STATUS
    assert live_event.order_external_id == "201218V2Y6E59M"
    assert live_event.status is OrderStatus.READY_TO_SHIP
    assert lost_event.raw["data"] == data
    assert live_event.occurred_at == datetime.fromtimestamp(1700000001, UTC)


def test_shopee_push_with_an_unknown_order_status_is_kept_for_a_fetch() -> None:
    body = {"shop_id": 1, "code": 3, "timestamp": 1, "data": {"ordersn": "X", "status": "NEW?"}}
    event = shopee.parse(json.dumps(body).encode())
    assert event.status is None
    assert event.raw_status == "NEW?"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1,2]",
        b'{"data":{}}',
        b'{"code":"x"}',
        b'{"code":3,"data":[1]}',
        b"\xff",
    ],
)
def test_malformed_shopee_bodies_are_validation_errors(body: bytes) -> None:
    with pytest.raises(ValidationError):
        shopee.parse(body)


@pytest.mark.parametrize(
    "body", [b"", b"{", b'"s"', b'{"shop_id":"1"}', b'{"type":true}', b'{"type":1,"data":"x"}']
)
def test_malformed_tiktok_bodies_are_validation_errors(body: bytes) -> None:
    with pytest.raises(ValidationError):
        tiktok.parse(body)
