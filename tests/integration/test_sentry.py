"""Sentry hears of what nobody expected, from a request or a job, tagged with the correlation id
the logs and the API show, and never sees a token; expected errors (validation, 4xx) send
nothing. The SDK posts its real envelopes to a loopback HTTP server standing in for Sentry."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dramatiq
import pytest
import sentry_sdk
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from storesync.api.app import create_app
from storesync.bootstrap import Container
from storesync.config import ConfigurationError, Settings, load_settings
from storesync.errors import (
    CODE_INFO,
    AuthenticationError,
    AuthorizationError,
    ErrorCode,
    InternalError,
    NotFoundError,
    PlatformAPIError,
    RateLimitError,
    ValidationError,
)
from storesync.observability.context import correlation_id
from storesync.observability.logging import configure_logging
from storesync.observability.sentry import BUG, EXPECTED_CODES
from storesync.testing.auth import bearer, issue_key
from storesync.testing.drain import drain
from storesync.testing.waiting import wait_until
from storesync.worker.broker import start_worker

MakeContainer = Callable[..., Container]
# Made at run time, so no source line the SDK quotes around a frame holds it.
FAKE_TOKEN = "tok" + uuid.uuid4().hex
log = structlog.get_logger("tests.sentry")


@dataclass
class Receiver:
    """What the loopback "Sentry" was sent: one body per envelope, decompressed."""

    port: int
    bodies: list[bytes] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.port}/1"

    def raw(self) -> bytes:
        sentry_sdk.flush()
        return b"\n".join(self.bodies)

    def events(self) -> list[dict[str, Any]]:
        sentry_sdk.flush()
        return [
            json.loads(payload)
            for body in list(self.bodies)
            for item, payload in envelope_items(body)
            if item.get("type") == "event"
        ]


def envelope_items(body: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
    """An envelope: a header line, then per item a header line and its payload (`length` bytes,
    or up to the next newline)."""
    _, _, rest = body.partition(b"\n")
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        if not line.strip():
            continue
        item = json.loads(line)
        length = item.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1 :]
        yield item, payload


@pytest.fixture
def sentry() -> Iterator[Receiver]:
    """The stand-in server, and logging set up as the processes do (their log lines are what
    reports a crashed request); afterwards the SDK is closed and unset, so no other test sends."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # not the test's output

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    saved_structlog = structlog.get_config()
    configure_logging("INFO", "json")
    # Not cached: module loggers first used here must not keep this set-up for later tests.
    structlog.configure(cache_logger_on_first_use=False)
    try:
        yield Receiver(server.server_address[1], received)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        root.handlers[:], root.level = saved
        structlog.configure(**saved_structlog)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _app(container: Container) -> FastAPI:
    app = create_app(container)

    @app.get("/_test/crash")
    def crash() -> None:
        credentials = {"access_token": FAKE_TOKEN}  # a local the SDK must not send
        log.info("refreshing", access_token=credentials["access_token"])  # a breadcrumb
        raise RuntimeError(f"refresh failed with access_token={FAKE_TOKEN}")

    @app.get("/_test/platform")
    def platform() -> None:
        raise PlatformAPIError("shopee is down", details={"platform": "shopee", "shop_id": 7})

    expected = {
        "validation": ValidationError("bad input", details={"access_token": FAKE_TOKEN}),
        "not_found": NotFoundError(),
        "authentication": AuthenticationError(),
        "authorization": AuthorizationError(),
        "rate_limit": RateLimitError(retry_after=1),
    }

    @app.get("/_test/expected/{kind}")
    def expected_error(kind: str) -> None:
        raise expected[kind]

    return app


def _client(app: FastAPI, key: str, cid: str) -> TestClient:
    headers = {**bearer(key), "X-Request-ID": cid}
    return TestClient(app, base_url="http://127.0.0.1", headers=headers)


def _declare(container: Container, name: str, error: Callable[[int], Exception]) -> Any:
    """A test-only job that fails with `error(shop_id)`, given up at once (no queue retries)."""

    def fail(shop_id: int) -> None:
        tokens = {"access_token": FAKE_TOKEN}  # a local the SDK must not send
        assert tokens
        raise error(shop_id)

    return dramatiq.actor(
        fail, broker=container.broker, actor_name=name, queue_name="default", max_retries=0
    )


def _send(actor: Any, cid: str, shop_id: int) -> None:
    token = correlation_id.set(cid)  # what a request or the scheduler bound when it sent
    try:
        actor.send(shop_id)
    finally:
        correlation_id.reset(token)


def _assert_no_secret(sentry: Receiver, *secrets: str) -> None:
    raw = sentry.raw()
    assert raw, "nothing reached the stand-in Sentry"
    for secret in secrets:
        assert secret.encode() not in raw


# -- requests ----------------------------------------------------------------------------------


def test_a_crashed_request_is_sent_with_its_correlation_id_and_no_token(
    sentry: Receiver, make_container: MakeContainer
) -> None:
    container = make_container(sentry_dsn=sentry.dsn)
    key = issue_key(container.session_factory)
    cid = "trace-" + uuid.uuid4().hex
    with _client(_app(container), key, cid) as client:
        response = client.get("/_test/crash", params={"access_token": FAKE_TOKEN})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == cid

    [event] = sentry.events()
    assert event["tags"]["correlation_id"] == cid
    assert (event["tags"]["code"], event["tags"]["severity"]) == BUG
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["request"]["url"].endswith("/_test/crash")
    assert "refreshing" in [crumb.get("message") for crumb in event["breadcrumbs"]["values"]]
    _assert_no_secret(sentry, FAKE_TOKEN, key)


def test_a_platform_failure_in_a_request_is_sent_with_its_code_platform_and_shop(
    sentry: Receiver, make_container: MakeContainer
) -> None:
    container = make_container(sentry_dsn=sentry.dsn)
    key = issue_key(container.session_factory)
    cid = "trace-" + uuid.uuid4().hex
    with _client(_app(container), key, cid) as client:
        assert client.get("/_test/platform").status_code == 502

    [event] = sentry.events()
    assert event["tags"]["correlation_id"] == cid
    assert event["tags"]["code"] == "PLATFORM_API_ERROR"
    _assert_no_secret(sentry, key)


def test_expected_errors_send_nothing(sentry: Receiver, make_container: MakeContainer) -> None:
    container = make_container(sentry_dsn=sentry.dsn)
    key = issue_key(container.session_factory)
    app = _app(container)
    with _client(app, key, "trace-" + uuid.uuid4().hex) as client:
        for kind, status in [
            ("validation", 422),
            ("not_found", 404),
            ("authentication", 401),
            ("authorization", 403),
            ("rate_limit", 429),
        ]:
            assert client.get(f"/_test/expected/{kind}").status_code == status
        assert client.get(
            "/api/v1/shops", headers={"Authorization": "Bearer nope"}
        ).status_code == (401)
        assert client.post("/api/v1/shops/connect", json={}).status_code == 422
    # Jobs too: the Dramatiq integration reports every failure; the expected ones stop here.
    for name, error in [
        ("test.expired", lambda shop: AuthenticationError(details={"shop_id": shop})),
        ("test.refused", lambda shop: AuthorizationError(details={"shop_id": shop})),
        ("test.invalid", lambda shop: ValidationError(details={"access_token": FAKE_TOKEN})),
        ("test.throttled", lambda shop: RateLimitError(retry_after=0)),
    ]:
        _send(_declare(container, name, error), "job-" + uuid.uuid4().hex, 7)
    ran = drain(container.broker)
    assert len(ran.gave_up) == 4
    assert sentry.events() == []

    # The receiver does listen: the one unexpected error afterwards arrives.
    _send(_declare(container, "test.bug", lambda _: InternalError()), "job-control-1", 7)
    drain(container.broker)
    failures = [e for e in sentry.events() if "exception" in e]
    assert [e["tags"]["correlation_id"] for e in failures] == ["job-control-1"]


# -- jobs --------------------------------------------------------------------------------------


def _run_by_drain(container: Container, _: Receiver) -> None:
    drain(container.broker)


def _run_by_worker(container: Container, sentry: Receiver) -> None:
    worker = start_worker(container.broker, threads=1)
    try:
        wait_until(lambda: len(sentry.events()) >= 2, what="the job's events")
    finally:
        worker.stop(timeout=5_000)


@pytest.mark.parametrize("run", [_run_by_drain, _run_by_worker], ids=["drain", "worker"])
def test_a_failing_job_is_sent_with_the_jobs_correlation_id_and_no_token(
    sentry: Receiver, make_container: MakeContainer, run: Callable[[Container, Receiver], None]
) -> None:
    container = make_container(sentry_dsn=sentry.dsn)
    actor = _declare(
        container,
        "test.push",
        lambda shop: PlatformAPIError(
            f"shopee refused access_token={FAKE_TOKEN}",
            details={"platform": "shopee", "shop_id": shop, "access_token": FAKE_TOKEN},
        ),
    )
    cid = "job-" + uuid.uuid4().hex
    _send(actor, cid, 7)
    run(container, sentry)

    events = sentry.events()
    # The job's exception (Dramatiq integration) and its dead letter (`log.error`), one id.
    assert {e["tags"]["correlation_id"] for e in events} == {cid}
    [failure] = [e for e in events if "exception" in e]
    assert failure["exception"]["values"][-1]["type"] == "PlatformAPIError"
    assert {k: failure["tags"][k] for k in ("code", "severity", "platform", "shop")} == {
        "code": "PLATFORM_API_ERROR",
        "severity": "medium",
        "platform": "shopee",
        "shop": "7",
    }
    assert "dead_letter" in [e.get("logentry", {}).get("message") for e in events]
    _assert_no_secret(sentry, FAKE_TOKEN)


# -- configuration -----------------------------------------------------------------------------


def test_without_a_dsn_nothing_is_turned_on(make_container: MakeContainer) -> None:
    make_container()
    assert not sentry_sdk.get_client().is_active()


def test_a_bad_dsn_stops_start_up_without_being_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "k" + uuid.uuid4().hex
    monkeypatch.setenv("STORESYNC_SENTRY_DSN", f"https://{secret}@sentry.example/not-a-project")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "STORESYNC_SENTRY_DSN" in str(caught.value)
    assert secret not in str(caught.value)
    good = Settings(sentry_dsn=f"https://{secret}@o1.ingest.sentry.io/42")
    assert secret not in repr(good)


def test_the_expected_codes_are_the_taxonomys_4xx_but_sync_conflicts() -> None:
    # A sync conflict (409) needs a person to look: it is reported; the other 4xx are not.
    client_errors = {c.value for c in ErrorCode if CODE_INFO[c].http_status < 500}
    assert client_errors - {ErrorCode.SYNC_ERROR.value} == EXPECTED_CODES
    assert (InternalError.code.value, InternalError.default_severity.value) == BUG
