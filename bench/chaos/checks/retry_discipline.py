"""Invariant 7, retry discipline: non-retryable classes are never retried, in the call or by
the queue; attempts are bounded (<= 3 in the call); waits are jittered.

The metric counts retries by code, and a code can hold retryable and non-retryable classes
(AUTHENTICATION_ERROR: a refreshed or rotated token is retried once, a refused one never), so
the logs tell which class each retry was for."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.chaos.checks.base import MAX_LISTED, Check, log_events

SUBCLASS_MODULES = (
    "storesync.shop.lifecycle",
    "storesync.shop.pausing",
    "storesync.resilience.errors",
)
Samples = list[tuple[dict[str, str], float]]
Metrics = dict[str, Samples]


def read_metrics(metrics_dir: Path) -> Metrics:
    """Every counter sample all StoreSync processes wrote (prometheus multiprocess files)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))  # type: ignore[no-untyped-call]
    out: Metrics = defaultdict(list)
    for metric in registry.collect():
        for sample in metric.samples:
            out[sample.name].append((dict(sample.labels), float(sample.value)))
    return out


def check(metrics: Metrics, logs: Path) -> Check:
    retries = metrics.get("storesync_retries_total", [])
    by_layer_code = _sum_by(retries, "layer", "code")
    events = log_events(logs, {"call_retry", "job_failed"})
    retryable = _retryable_classes()
    call_retries = [e for e in events if e.get("event") == "call_retry"]
    failures = [e for e in events if e.get("event") == "job_failed"]
    problems = _call_problems(call_retries, retryable)
    max_call_attempt = max((int(e.get("attempt", 0)) for e in call_retries), default=0)
    problems += _queue_problems(by_layer_code, failures, retryable)
    waits = [round(float(e.get("wait_s", 0.0)), 3) for e in call_retries]
    jittered = len(set(waits)) > 1 or len(waits) <= 1
    if not jittered:
        problems.append({"layer": "call", "problem": "identical waits", "waits": waits[:10]})
    return Check(
        "retry_discipline",
        not problems,
        {
            "retries_by_class": _sum_by(retries, "code"),
            "retries_by_layer_and_class": by_layer_code,
            "call_retries_by_error": dict(Counter(str(e.get("error")) for e in call_retries)),
            "job_failures_by_error": dict(Counter(str(e.get("error")) for e in failures)),
            "max_call_attempt": max_call_attempt,
            "max_job_attempt": max((int(e.get("attempt") or 0) for e in failures), default=0),
            "distinct_call_waits": len(set(waits)),
            "problems": problems[:MAX_LISTED],
            "metric_found": bool(retries),
        },
    )


def _call_problems(
    call_retries: list[dict[str, Any]], retryable: dict[str, bool]
) -> list[dict[str, Any]]:
    """In the call: no retry of a non-retryable class, and at most 3 attempts in all."""
    problems: list[dict[str, Any]] = []
    for event in call_retries:
        cls = str(event.get("error"))
        if retryable.get(cls) is False:
            problems.append({"layer": "call", "class": cls, "code": event.get("code")})
    max_call_attempt = max((int(e.get("attempt", 0)) for e in call_retries), default=0)
    if max_call_attempt >= 3:  # attempt n is followed by retry n+1: at most 3 attempts in all
        problems.append({"layer": "call", "problem": "attempts", "max_attempt": max_call_attempt})
    return problems


def _queue_problems(
    by_layer_code: dict[str, float], failures: list[dict[str, Any]], retryable: dict[str, bool]
) -> list[dict[str, Any]]:
    """A queue retry for a code is only fine if a retryable class of that code failed that
    often."""
    retryable_failures: Counter[str] = Counter(
        str(e.get("code")) for e in failures if retryable.get(str(e.get("error"))) is True
    )
    problems: list[dict[str, Any]] = []
    for key, count in by_layer_code.items():
        layer, code = key.split("/", 1)
        if layer == "queue" and count > retryable_failures[code]:
            problems.append(
                {
                    "layer": "queue",
                    "code": code,
                    "retries": count,
                    "retryable_failures": retryable_failures[code],
                }
            )
    return problems


def _sum_by(samples: Iterable[tuple[dict[str, str], float]], *labels: str) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for sample_labels, value in samples:
        key = "/".join(sample_labels.get(label, "?") for label in labels)
        total[key] += value
    return {k: v for k, v in sorted(total.items()) if v}


def _retryable_classes() -> dict[str, bool]:
    """Every StoreSyncError subclass StoreSync defines, by class name -> retryable."""
    import importlib

    from storesync.errors import StoreSyncError

    # Where subclasses outside storesync.errors live (TokensRotatedError moved from lifecycle to
    # pausing); a module that does not exist (any more) is skipped.
    for module in SUBCLASS_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            continue
    out: dict[str, bool] = {}
    todo = [StoreSyncError]
    while todo:
        cls = todo.pop()
        out[cls.__name__] = bool(getattr(cls, "retryable", False))
        todo.extend(cls.__subclasses__())
    return out
