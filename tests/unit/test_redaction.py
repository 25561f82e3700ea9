"""Secrets are masked wherever text leaves the process: the masking helper itself, and every log
line (ours and the standard library's, tracebacks included) in both output formats."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Literal, NamedTuple

import pytest
import structlog
from pydantic import BaseModel

from storesync.observability.logging import configure_logging
from storesync.observability.redact import MASK, is_secret_name, redact, redact_text, redact_url

TOKEN = "tok-7f3a9c1e5b"  # made up: no output may contain it
REFRESH = "ref-2d8e4a6c0f"
Format = Literal["json", "console"]


@pytest.mark.parametrize(
    "name",
    [
        "access_token",
        "refresh_token",
        "sign",
        "Authorization",
        "X-CSRF-Token",
        "app_secret",
        "partner_key",
        "secret_key",
        "api_key",
        "password",
        "metrics_token",
        "revoked_tokens",
        "webhook_signature",
        "cookie",
    ],
)
def test_token_like_names_are_secret(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["code", "shop_id", "app_key", "authorization_url", "authorization_expires_at", "key", "sku"],
)
def test_ordinary_names_are_not(name: str) -> None:
    assert not is_secret_name(name)


class Pair(NamedTuple):
    name: str
    access_token: str


def test_nested_secret_fields_are_masked_and_the_rest_kept() -> None:
    value = {
        "shop_id": 7,
        "access_token": TOKEN,
        "nested": [{"refresh_token": REFRESH, "note": f"sign={TOKEN}"}],
        "tupled": ("x", f"access_token={TOKEN}"),
        "empty_token": "",
        "code": "AUTHENTICATION_ERROR",
    }
    masked = redact(value)
    assert masked == {
        "shop_id": 7,
        "access_token": MASK,
        "nested": [{"refresh_token": MASK, "note": f"sign={MASK}"}],
        "tupled": ("x", f"access_token={MASK}"),
        "empty_token": "",  # an absent token is worth seeing
        "code": "AUTHENTICATION_ERROR",
    }
    assert value["access_token"] == TOKEN  # a copy: the caller's value is untouched
    assert redact(Pair("a", f"refresh_token={REFRESH}")) == Pair("a", f"refresh_token={MASK}")


@pytest.mark.parametrize(
    "text",
    [
        f"GET /api/v2/x?partner_id=1&timestamp=2&access_token={TOKEN}&sign={REFRESH}&shop_id=5",
        f'{{"access_token": "{TOKEN}", "refresh_token": "{REFRESH}", "expire_in": 14400}}',
        f"input_value={{'access_token': '{TOKEN}', 'refresh_token': '{REFRESH}'}}",
        # pydantic cuts long inputs in the middle; the quotes no longer pair up
        f"input_value={{'access_token': 'tok-7f...oken': '{REFRESH}', 'x': '{TOKEN}'}}, "
        "input_type=dict",
        f"Authorization: Bearer ssk_0a1b2c3d_{TOKEN}",
        f"authorization: {TOKEN}",
        f"redis://:{TOKEN}@cache:6379/0 and postgresql://app:{REFRESH}@db/storesync",
        f"STORESYNC_SECRET_KEY={TOKEN}, STORESYNC_SHOPEE_PARTNER_KEY={REFRESH}",
    ],
)
def test_secrets_inside_free_text_are_masked(text: str) -> None:
    masked = redact_text(text)
    assert TOKEN not in masked
    assert REFRESH not in masked
    assert MASK in masked


def test_free_text_without_secrets_is_unchanged() -> None:
    text = "Shopee /api/v2/product/get_item_list: error_param: assign=1 code=E shop_id=5 key=x"
    assert redact_text(text) == text


def test_urls_keep_everything_but_the_password() -> None:
    url = f"postgresql+psycopg://app:{TOKEN}@db:5432/storesync?sslmode=require"
    assert redact_url(url) == f"postgresql+psycopg://app:{MASK}@db:5432/storesync?sslmode=require"


# -- log lines -----------------------------------------------------------------------------


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[Format], str]]:
    """Configure logging as the processes do, onto pytest's stderr; give back what was written."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)

    def configured(fmt: Format) -> str:
        configure_logging("INFO", fmt)
        _emit()
        return capsys.readouterr().err

    try:
        yield configured
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        structlog.reset_defaults()


class TokenAnswer(BaseModel):
    access_token: str
    expire_in: int


def _emit() -> None:
    log = structlog.get_logger("tests.redaction")  # fresh proxy: no cached configuration
    log.info("token_refreshed", access_token=TOKEN, detail={"refresh_token": REFRESH}, shop_id=3)
    log.warning(f"called https://shopee.test/x?access_token={TOKEN}&sign={REFRESH}")
    logging.getLogger("tests.foreign").warning("dramatiq says refresh_token=%s", REFRESH)
    try:
        # pydantic quotes the input in its message: the whole token answer.
        TokenAnswer.model_validate({"access_token": TOKEN, "refresh_token": REFRESH})
    except ValueError:
        log.exception("unreadable_answer")
    try:
        tokens = {"access_token": TOKEN}  # a local a rich traceback would print
        raise RuntimeError(f"failed with Authorization: Bearer {tokens['access_token']}")
    except RuntimeError:
        logging.getLogger("tests.foreign").exception("unhandled in a worker thread")


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_no_log_line_shows_a_token(logs: Callable[[Format], str], fmt: Format) -> None:
    out = logs(fmt)
    assert "token_refreshed" in out
    assert "unreadable_answer" in out
    assert "unhandled in a worker thread" in out
    assert "RuntimeError" in out  # the traceback is still there, masked
    assert "shop_id" in out
    assert TOKEN not in out
    assert REFRESH not in out
