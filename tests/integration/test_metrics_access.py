"""`/metrics` is public by default, wants its own bearer token in `token` mode, and is gone when
`off` — never an API key's business (a scraper holds no key)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from storesync.api.app import create_app
from storesync.bootstrap import Container
from storesync.config import ConfigurationError

TOKEN = "scrape-me-0123456789"


def client(make_container: Callable[..., Container], **settings: object) -> TestClient:
    return TestClient(create_app(make_container(**settings)), base_url="http://127.0.0.1")


def test_public_metrics_need_no_credentials(make_container: Callable[..., Container]) -> None:
    response = client(make_container).get("/metrics")
    assert response.status_code == 200
    assert "http_requests_total" in response.text


def test_token_mode_wants_the_metrics_token(make_container: Callable[..., Container]) -> None:
    api = client(make_container, metrics_access="token", metrics_token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = api.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "AUTHENTICATION_ERROR"
        assert TOKEN not in refused.text
    assert api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_off_hides_metrics(make_container: Callable[..., Container]) -> None:
    response = client(make_container, metrics_access="off").get("/metrics")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_token_mode_without_a_token_refuses_to_start(
    make_container: Callable[..., Container],
) -> None:
    with pytest.raises(ConfigurationError, match="STORESYNC_METRICS_TOKEN"):
        create_app(make_container(metrics_access="token"))
