"""deploy/prometheus: every rule file passes `promtool check rules`, every unit-test file passes
`promtool test rules`, and every alert is tested firing and not firing, carries a taxonomy
severity and links its runbook section."""

from __future__ import annotations

from pathlib import Path

import pytest

from storesync.errors import Severity
from tests.deploy.names import (
    EXTERNAL,
    RULE_FILES,
    RULE_TESTS,
    alerts,
    exported_metrics,
    load,
    recording_rules,
    rules,
    runbook_anchors,
    unknown_series,
)
from tests.deploy.tools import DEPLOY, run


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_the_rules_and_their_tests_are_there() -> None:
    assert len(RULE_FILES) >= 3
    assert len(RULE_TESTS) >= len(RULE_FILES)


@pytest.mark.parametrize("path", RULE_FILES, ids=_ids(RULE_FILES))
def test_rule_file_passes_promtool_check(promtool: str, path: Path) -> None:
    result = run(promtool, "check", "rules", "--lint=all", "--lint-fatal", path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", RULE_TESTS, ids=_ids(RULE_TESTS))
def test_rule_unit_tests_pass(promtool: str, path: Path) -> None:
    result = run(promtool, "test", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scrape_config_passes_promtool_check(promtool: str) -> None:
    result = run(promtool, "check", "config", DEPLOY / "prometheus" / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(RULE_FILES)} rule files found" in result.stdout


def _cases() -> dict[str, dict[str, set[bool]]]:
    """alert -> rule file -> {True: some test expects it firing, False: some expects silence}."""
    seen: dict[str, dict[str, set[bool]]] = {}
    for path in RULE_TESTS:
        doc = load(path)
        files = {(path.parent / f).resolve().name for f in doc["rule_files"]}
        for test in doc["tests"]:
            for case in test.get("alert_rule_test", []):
                for name in files:
                    seen.setdefault(case["alertname"], {}).setdefault(name, set()).add(
                        bool(case.get("exp_alerts"))
                    )
    return seen


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    cases = _cases()
    for path in RULE_FILES:
        for group in load(path)["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                outcomes = cases.get(rule["alert"], {}).get(path.name, set())
                assert outcomes == {True, False}, (
                    f"{rule['alert']} ({path.name}) needs a firing and a not-firing case "
                    f"in deploy/prometheus/tests/; has {sorted(outcomes)}"
                )


def test_every_alert_has_a_taxonomy_severity_a_summary_and_a_runbook_section() -> None:
    anchors = runbook_anchors()
    severities = {s.value for s in Severity}
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in severities, name
        notes = rule["annotations"]
        assert notes.get("summary"), name
        assert notes.get("description"), name
        assert notes["runbook_url"] == f"docs/runbooks.md#{name.lower()}", name
        assert name.lower() in anchors, f"docs/runbooks.md has no section `## {name}`"


def test_every_severity_has_an_alert() -> None:
    assert {rule["labels"]["severity"] for rule in alerts().values()} == {s.value for s in Severity}


def test_rules_read_only_series_that_storesync_or_its_exporters_produce() -> None:
    known = exported_metrics() | recording_rules() | EXTERNAL
    for rule in rules():
        assert not unknown_series(rule["expr"], known), (
            rule.get("alert") or rule.get("record"),
            unknown_series(rule["expr"], known),
        )


def test_playbook_alerts_are_all_there() -> None:
    assert {
        "HighErrorRate",
        "HighResponseTime",
        "SlowDatabaseQueries",
        "SyncSuccessRateLow",
        "PlatformApiErrors",
        "DatabaseConnectionFailure",
        "SyncJobFailure",
        "CircuitBreakerOpen",
        "DeadLettersGrowing",
        "WebhooksSilent",
        "AuthorizationExpiring",
        "WorkerMemoryGrowth",
        "SyncErrorBudgetFastBurn",
        "SyncErrorBudgetSlowBurn",
        "SyncErrorBudgetSteadyBurn",
    } <= set(alerts())
