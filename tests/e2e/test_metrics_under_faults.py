"""The counters move as they should when a platform fails, read from /metrics as Prometheus
would: a 5xx burst on the Shopee shop shows as platform errors by code, takes the sync success
rate below the playbook's 95 %, and opens the breaker gauge; when Shopee recovers the gauge
closes, calls succeed again, and an order's sale is timed from webhook to every shop's stock.

The registry belongs to the process (other tests ran in it too), so every assertion is about
how much a counter moved, never about its value."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import Stack, connect_two_shops, wait_for

ALL_5XX = {"seed": 1, "families": {"*": {"error_rate": 1.0, "error_kind": "5xx"}}}
FAST_BREAKER = {
    "breaker_min_calls": 4,
    "breaker_window_s": 30.0,
    "breaker_open_s": 3.0,
    "breaker_ramp_step_s": 0.5,
}


class Scrape:
    """One /metrics read: `total(name, **labels)` sums the samples whose labels include those."""

    def __init__(self, text: str) -> None:
        self.samples = [
            (sample.name, sample.labels, sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]

    def total(self, name: str, **labels: str) -> float:
        return sum(
            value
            for sample, have, value in self.samples
            if sample == name and labels.items() <= have.items()
        )


def scrape(stack: Stack) -> Scrape:
    # Public by default, as Prometheus scrapes it: no key.
    response = httpx.get(f"{stack.url}/metrics", timeout=10)
    response.raise_for_status()
    return Scrape(response.text)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path, overrides=FAST_BREAKER).start()
    yield running
    running.stop()


def breaker_state(stack: Stack, key: str) -> Any:
    response = stack.api.get(f"/api/v1/breakers/{key}")
    response.raise_for_status()
    return response.json()["state"]


def sync_runs(s: Scrape) -> tuple[float, float]:
    return s.total("sync_jobs_total"), s.total("sync_jobs_total", outcome="failed")


def test_a_5xx_burst_moves_the_error_success_rate_and_breaker_metrics(stack: Stack) -> None:
    shops = connect_two_shops(stack)
    key = f"shopee:{shops.shopee['id']}"
    before = scrape(stack)

    stack.shopee.http.put("/_sim/faults", json=ALL_5XX).raise_for_status()
    for _ in range(3):  # 10 -> 7 SHIRT-S; each change is pushed to both shops
        response = stack.api.post("/api/v1/inventory/SHIRT-S/adjustments", json={"delta": -1})
        response.raise_for_status()
    wait_for(lambda: breaker_state(stack, key) == "open", timeout_s=20, what="Shopee's breaker")
    wait_for(lambda: stack.tiktok.stock(shops.tiktok_sim_id)["SHIRT-S"]["available"] == 7)

    def failed_job_counted() -> Scrape | None:
        # A job fails after its platform call did (the next order poll meets the open breaker).
        now = scrape(stack)
        return (
            now
            if now.total("storesync_errors_total") > before.total("storesync_errors_total")
            else None
        )

    during = wait_for(failed_job_counted, what="a failed job in storesync_errors_total")

    def moved(name: str, **labels: str) -> float:
        return during.total(name, **labels) - before.total(name, **labels)

    # Platform errors by code: the 5xx answers are PLATFORM_API_ERROR; TikTok kept answering.
    shopee_errors = moved(
        "storesync_platform_requests_total",
        platform="shopee",
        outcome="error",
        code="PLATFORM_API_ERROR",
    )
    assert shopee_errors > 0
    assert moved("storesync_platform_requests_total", platform="shopee", outcome="ok") == 0
    assert moved("storesync_platform_requests_total", platform="tiktok", outcome="ok") > 0
    assert moved("storesync_platform_requests_total", platform="tiktok", outcome="error") == 0
    assert moved("storesync_platform_request_duration_seconds_count", platform="shopee") > 0
    # The failed jobs, classified.
    assert moved("storesync_errors_total", code="PLATFORM_API_ERROR", severity="medium") > 0

    # The playbook's sync success rate, as the alert computes it: 1 - failed / all.
    (total_before, failed_before), (total_now, failed_now) = sync_runs(before), sync_runs(during)
    runs, failed = total_now - total_before, failed_now - failed_before
    assert runs > 0
    assert 1 - failed / runs < 0.95
    assert moved("sync_jobs_failed_total") == failed  # the playbook's own counter agrees

    assert during.total("storesync_breaker_state", platform="shopee") >= 1
    assert during.total("storesync_breaker_state", platform="tiktok") == 0
    assert moved("storesync_breaker_transitions_total", platform="shopee", to_state="open") >= 1

    # Shopee recovers: the probes close the breaker and the waiting push lands.
    stack.shopee.http.put("/_sim/faults", json={"seed": 1}).raise_for_status()
    wait_for(lambda: breaker_state(stack, key) == "closed", timeout_s=20, what="closing")
    wait_for(lambda: stack.shopee.stock(shops.shopee_sim_id)["SHIRT-S"]["available"] == 7)
    # A sale on Shopee: its webhook's lag is timed, and so is the stock reaching every shop.
    stack.shopee.post(
        "/_sim/orders",
        {"shop_id": shops.shopee_sim_id, "lines": [{"sku": "SHIRT-S", "quantity": 1}]},
    )
    wait_for(lambda: stack.tiktok.stock(shops.tiktok_sim_id)["SHIRT-S"]["available"] == 6)
    after = scrape(stack)

    def since(name: str, **labels: str) -> float:
        return after.total(name, **labels) - during.total(name, **labels)

    assert after.total("storesync_breaker_state", platform="shopee") == 0
    assert since("storesync_platform_requests_total", platform="shopee", outcome="ok") > 0
    assert since("storesync_webhook_lag_seconds_count", platform="shopee") >= 1
    assert since("storesync_sync_lag_seconds_count") >= 1
    assert after.total("storesync_job_age_seconds_count", queue="push") > 0
