"""Every metric the alert rules and the dashboard name exists, with its type and labels, and every
metric we export follows Prometheus's naming conventions (counters end in `_total`, units in the
name, one prefix). The contract below is the one deploy/ is written against: renaming a metric
here breaks an alert silently, so this test fails first."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import create_engine

from storesync.db.engine import WaitCountingQueuePool
from storesync.errors import NetworkError, PlatformAPIError
from storesync.marketplaces.http import family_of
from storesync.observability import database, metrics
from storesync.worker.broker import make_broker
from storesync.worker.gauges import GAUGES, Reading
from storesync.worker.middleware import error_labels

# name as scraped -> (type, label names)
CONTRACT: dict[str, tuple[str, tuple[str, ...]]] = {
    "http_requests_total": ("counter", ("method", "route", "status")),
    "storesync_http_request_duration_seconds": ("histogram", ("method", "route")),
    "sync_jobs_failed_total": ("counter", ("kind",)),
    "storesync_dead_letters_total": ("counter", ("task", "code")),
    "storesync_breaker_state": ("gauge", ("platform",)),
    "storesync_breaker_transitions_total": ("counter", ("platform", "to_state")),
    "storesync_webhook_rejected_total": ("counter", ("platform", "reason")),
    "storesync_poll_mode_changes_total": ("counter", ("mode",)),
    "storesync_token_refreshes_total": ("counter", ("platform", "outcome")),
    "storesync_retries_total": ("counter", ("layer", "code")),
    "storesync_rate_limit_wait_seconds": ("histogram", ("platform", "family")),
    "sync_jobs_total": ("counter", ("kind", "outcome")),
    "storesync_platform_requests_total": ("counter", ("platform", "family", "outcome", "code")),
    "storesync_platform_request_duration_seconds": ("histogram", ("platform", "family")),
    "storesync_db_query_duration_seconds": ("histogram", ()),
    "storesync_db_up": ("gauge", ()),
    "storesync_db_pool_in_use": ("gauge", ()),
    "storesync_db_pool_overflow": ("gauge", ()),
    "storesync_db_pool_waits_total": ("counter", ()),
    "storesync_db_pool_exhausted_total": ("counter", ()),
    "storesync_db_slow_queries_total": ("counter", ()),
    "storesync_errors_total": ("counter", ("code", "severity")),
    "storesync_dead_letters_open": ("gauge", ()),
    "storesync_webhook_lag_seconds": ("histogram", ("platform",)),
    "storesync_shops_fast_polling": ("gauge", ()),
    "storesync_sync_lag_seconds": ("histogram", ()),
    "storesync_queue_depth": ("gauge", ("queue",)),
    "storesync_job_age_seconds": ("histogram", ("queue",)),
    "storesync_authorization_expires_in_seconds": ("gauge", ("platform", "shop_id")),
    "process_resident_memory_bytes": ("gauge", ()),
    "storesync_build_info": ("gauge", ("version",)),
}
PLAYBOOK_NAMES = {"http_requests", "sync_jobs", "sync_jobs_failed"}  # its own, unprefixed
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
SUFFIXES = ("_bucket", "_count", "_sum", "_created", "_total")


@dataclass
class Scrape:
    types: dict[str, str]  # family name (a counter's without _total) -> type
    samples: dict[str, list[Sample]]


@pytest.fixture(scope="module")
def scrape(tmp_path_factory: pytest.TempPathFactory) -> Scrape:
    """This process's registry as Prometheus reads it, with every collector installed and fed:
    a database used, a broker built, a scheduler reading published."""
    broker = make_broker(None)  # installs the database and queue collectors, as in every process
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'm.db'}")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    before = GAUGES.latest
    GAUGES.publish(Reading(2, 1, {("shopee", "7"): 3600.0}))
    try:
        text = generate_latest(metrics.REGISTRY).decode()
    finally:
        GAUGES.publish(before)
        engine.dispose()
    del broker  # held until scraped: the collector keeps brokers weakly, as a container does
    families = list(text_string_to_metric_families(text))
    return Scrape({f.name: f.type for f in families}, {f.name: f.samples for f in families})


def _family_name(name: str, kind: str) -> str:
    # The parser names a counter's family without `_total`.
    return name.removesuffix("_total") if kind == "counter" else name


@pytest.mark.parametrize(("name", "spec"), CONTRACT.items(), ids=list(CONTRACT))
def test_every_metric_of_the_contract_is_exported_with_its_type(
    scrape: Scrape, name: str, spec: tuple[str, tuple[str, ...]]
) -> None:
    kind, _ = spec
    assert scrape.types.get(_family_name(name, kind)) == kind


def _wrappers() -> dict[str, MetricWrapperBase]:
    """metrics.py's own objects by scraped family name."""
    found = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            found[value.describe()[0].name] = value
    return found


@pytest.mark.parametrize(("name", "spec"), CONTRACT.items(), ids=list(CONTRACT))
def test_every_metric_of_the_contract_has_its_labels(
    scrape: Scrape, name: str, spec: tuple[str, tuple[str, ...]]
) -> None:
    kind, labels = spec
    family = _family_name(name, kind)
    wrapper = _wrappers().get(family)
    if wrapper is not None and labels:
        # labels() refuses any other set of names; the probe series is removed again.
        probe = ["probe"] * len(labels)
        wrapper.labels(**dict(zip(labels, probe, strict=True)))
        wrapper.remove(*probe)
        return
    seen = {
        frozenset(s.labels) - {"le"}
        for s in scrape.samples[family]
        if not s.name.endswith("_created")
    }
    assert seen == {frozenset(labels)}


def test_names_follow_prometheus_conventions(scrape: Scrape) -> None:
    problems = []
    for family, kind in scrape.types.items():
        if family.endswith("_created") and kind == "gauge":
            continue  # the client's own creation stamp of a counter or histogram
        own = family.startswith("storesync_") or family in PLAYBOOK_NAMES
        if not SNAKE.match(family) or not (own or family.startswith(("process_", "python_"))):
            problems.append(f"{family}: storesync_ and snake_case")
        if kind == "counter":
            values = {s.name for s in scrape.samples[family]} - {family + "_created"}
            if values - {family + "_total"}:
                problems.append(f"{family}: a counter's samples end in _total")
        elif family.endswith(SUFFIXES):
            problems.append(f"{family}: only counters end in _total; _count/_sum are histograms'")
        if kind == "histogram" and not family.endswith(("_seconds", "_bytes")):
            problems.append(f"{family}: a histogram names its unit (_seconds, _bytes)")
        if re.search(r"_(ms|milliseconds|minutes|hours|kb|mb)(_|$)", family):
            problems.append(f"{family}: base units only (seconds, bytes)")
    assert problems == []


def test_collectors_report_what_they_read(scrape: Scrape) -> None:
    assert [s.value for s in scrape.samples["storesync_db_up"]] == [1.0]
    assert [s.value for s in scrape.samples["storesync_dead_letters_open"]] == [2.0]
    [expiry] = scrape.samples["storesync_authorization_expires_in_seconds"]
    assert (expiry.labels, expiry.value) == ({"platform": "shopee", "shop_id": "7"}, 3600.0)
    assert {s.labels["queue"] for s in scrape.samples["storesync_queue_depth"]} >= {
        "default",
        "push",
    }
    [build] = scrape.samples["storesync_build_info"]
    assert build.value == 1.0
    assert build.labels["version"] == metadata.version("storesync")


def test_the_scheduler_gauges_are_absent_until_published() -> None:
    before = GAUGES.latest
    GAUGES.publish(None)
    try:
        text = generate_latest(metrics.REGISTRY).decode()
    finally:
        GAUGES.publish(before)
    # A worker knows nothing of open dead letters: it must not report a 0 that max() reads.
    assert "storesync_dead_letters_open " not in text
    assert "# TYPE storesync_dead_letters_open gauge" not in text


def test_a_checkout_that_finds_the_pool_full_is_counted_as_a_wait(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite:///{tmp_path / 'p.db'}",
        poolclass=WaitCountingQueuePool,
        pool_size=1,
        max_overflow=0,
    )
    try:
        pool = engine.pool
        assert isinstance(pool, WaitCountingQueuePool)
        held = engine.raw_connection()
        threading.Timer(0.05, held.close).start()
        engine.raw_connection().close()  # waits for the one connection
        assert pool.waits == 1
        engine.raw_connection().close()  # free again: no wait
        assert pool.waits == 1
        engine.dispose()  # a fresh pool keeps the count (it is a counter)
        assert isinstance(engine.pool, WaitCountingQueuePool)
        assert engine.pool.waits == 1
    finally:
        engine.dispose()


def test_a_statement_is_timed() -> None:
    database.install()
    engine = create_engine("sqlite://")
    before = _count("storesync_db_query_duration_seconds_count")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            with pytest.raises(Exception, match="no such table"):
                conn.exec_driver_sql("SELECT * FROM missing")  # failed statements count too
    finally:
        engine.dispose()
    assert _count("storesync_db_query_duration_seconds_count") == before + 2


def _count(sample: str) -> float:
    value = metrics.REGISTRY.get_sample_value(sample)
    return value or 0.0


def test_a_ping_that_hangs_answers_down_within_its_timeout() -> None:
    release = threading.Event()

    class Hanging:
        def raw_connection(self) -> None:
            release.wait(5)
            raise RuntimeError("gave up")

    started = time.monotonic()
    try:
        assert database.ping(Hanging(), timeout_s=0.1) is False  # type: ignore[arg-type]
        assert database.ping(Hanging(), timeout_s=0.1) is False  # type: ignore[arg-type]
    finally:
        release.set()
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/api/v2/auth/access_token/get", "auth"),
        ("/authorization/202309/shops", "auth"),
        ("/api/v2/product/update_stock", "stock"),
        ("/product/202309/products/123/inventory/update", "stock"),
        ("/api/v2/order/get_order_detail", "orders"),
        ("/api/v2/push/get_lost_push_message", "push"),
        ("/product/202309/products/search", "catalog"),
    ],
)
def test_a_platform_path_is_counted_under_its_endpoint_family(path: str, family: str) -> None:
    assert family_of(path) == family


def test_a_failure_is_labelled_with_its_code_and_severity() -> None:
    assert error_labels(PlatformAPIError("down")) == ("PLATFORM_API_ERROR", "medium")
    assert error_labels(NetworkError("reset")) == ("NETWORK_ERROR", "medium")
    assert error_labels(KeyError("bug")) == ("INTERNAL_ERROR", "critical")
