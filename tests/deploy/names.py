"""What the deploy files may refer to: the metric names StoreSync exports, recording rules, and
the heading anchors of docs/runbooks.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from storesync.observability import metrics
from tests.deploy.tools import DEPLOY, REPO

RULE_FILES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
RUNBOOKS = REPO / "docs" / "runbooks.md"
# Exported by postgres_exporter and by Prometheus itself, not by StoreSync.
EXTERNAL = frozenset({"up", "pg_up"})
# `name{`: a series selector. Label names inside braces are followed by `=`, never by `{`.
SELECTOR = re.compile(r"(?<![\w:])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")
RECORDED = re.compile(r"(?<![\w:])([a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+)")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules() -> list[dict[str, Any]]:
    return [
        rule for path in RULE_FILES for group in load(path)["groups"] for rule in group["rules"]
    ]


def alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in rules() if "alert" in rule}


def recording_rules() -> set[str]:
    return {rule["record"] for rule in rules() if "record" in rule}


def exported_metrics() -> set[str]:
    """Every series name StoreSync's registry exports, plus the names of values read when scraped
    (kept as constants in metrics.py beside the rest)."""
    names: set[str] = set()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    for family in metrics.REGISTRY.collect():
        names.update(family.name + s for s in suffixes.get(family.type, ("",)))
    for value in vars(metrics).values():
        if isinstance(value, str) and re.fullmatch(r"storesync_[a-z0-9_]+", value):
            names.update({value, value + "_total"})
    return names


def unknown_series(expr: str, known: set[str]) -> set[str]:
    """Metric and recording-rule names in a PromQL expression that nothing produces."""
    used = set(SELECTOR.findall(expr)) | set(RECORDED.findall(expr))
    return used - known


def github_anchor(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def runbook_anchors() -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", RUNBOOKS.read_text(encoding="utf-8"), re.M)
    return {github_anchor(h) for h in headings}
