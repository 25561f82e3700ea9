"""One id to follow: the X-Request-ID a client sends with a request that starts work comes back
on the response, is kept on the job record, rides the job's message to the worker, leaves with
every platform call the job makes (the simulator records what it received), and is kept on the
dead letter when the job fails for good. (Incidents, not built yet, will read it from there.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.e2e.harness import CATALOG, Sim, Stack, wait_for

ITEM_LIST = "/api/v2/product/get_item_list"
CONSENT = "/api/v2/shop/auth_partner"


class RequestIds:
    """Wraps a simulator's app: (path, X-Request-ID) of every platform call it receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_sim/"):
            sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
            self.seen.append((scope["path"], sent))
        await self.app(scope, receive, send)

    def paths_with(self, cid: str) -> set[str]:
        return {path for path, sent in list(self.seen) if sent == cid}


@dataclass
class TracedStack(Stack):
    """The e2e stack with each simulator's incoming request ids recorded."""

    request_ids: dict[str, RequestIds] = field(default_factory=dict)

    def _sim(self, name: str, app: Any) -> Sim:
        self.request_ids[name] = traced = RequestIds(app)
        return super()._sim(name, traced)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[TracedStack]:
    # Slow polling: after the first poll, only the jobs this test starts call the platform.
    running = TracedStack(tmp_path, overrides={"poll_interval_s": 3600.0}).start()
    yield running
    running.stop()


def _import(stack: Stack, shop_id: int, cid: str) -> dict[str, Any]:
    """POST .../import with our id; the finished job record."""
    response = stack.api.post(f"/api/v1/shops/{shop_id}/import", headers={"X-Request-ID": cid})
    assert response.status_code == 202, response.text
    assert response.headers["X-Request-ID"] == cid
    job_id = response.json()["job_id"]

    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = stack.api.get(f"/api/v1/jobs/{job_id}").json()
        return job if job["status"] in {"succeeded", "partial", "failed"} else None

    return wait_for(finished, what=f"import job {job_id}")


def _letter(stack: Stack, cid: str) -> dict[str, Any] | None:
    letters = stack.api.get("/api/v1/deadletters").json()
    return next((letter for letter in letters if letter["correlation_id"] == cid), None)


def test_one_request_id_follows_the_work_from_request_to_job_platform_and_dead_letter(
    stack: TracedStack,
) -> None:
    shop = stack.connect(stack.shopee, "Traced One")
    stack.shopee.post("/_sim/products", {"shop_id": shop["sim"]["shop_id"], "products": CATALOG})
    stack.wait_jobs_done("import", 1)  # the one connecting sent
    seen = stack.request_ids["shopee"]

    ok = f"trace-{uuid.uuid4().hex}"
    job = _import(stack, shop["id"], ok)
    assert (job["status"], job["correlation_id"]) == ("succeeded", ok)
    assert ITEM_LIST in seen.paths_with(ok)  # the platform call carried it

    # The platform now refuses the catalog calls (missing rights): not retried, a dead letter.
    faults = {"families": {"product": {"error_rate": 1.0, "error_kind": "permission"}}}
    stack.shopee.http.put("/_sim/faults", json=faults).raise_for_status()
    failed = f"trace-{uuid.uuid4().hex}"
    job = _import(stack, shop["id"], failed)
    assert (job["status"], job["correlation_id"]) == ("failed", failed)
    assert [error["code"] for error in job["errors"]] == ["AUTHORIZATION_ERROR"]
    assert ITEM_LIST in seen.paths_with(failed)

    letter = wait_for(lambda: _letter(stack, failed), what="the import's dead letter")
    assert (letter["task"], letter["error_code"]) == ("catalog.import", "AUTHORIZATION_ERROR")
    assert letter["shop_id"] == shop["id"]
    assert _letter(stack, ok) is None  # the run that succeeded left none under its id
    # Every call StoreSync made carried an id; only the seller's browser (consent) sent none.
    assert {path for path, sent in seen.seen if not sent} == {CONSENT}
