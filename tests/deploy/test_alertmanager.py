"""deploy/alertmanager/alertmanager.yml: `amtool check-config` passes, each severity reaches the
receivers the taxonomy promises, and a real Alertmanager holds back per-shop alerts during a
platform-wide one (and the slower SLO tiers behind the faster)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from storesync.errors import Severity
from storesync.testing.ports import free_port
from storesync.testing.waiting import wait_until
from tests.deploy.names import alerts, load
from tests.deploy.tools import DEPLOY, run

CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
INTAKE = "http://storesync:3000/api/v1/alerts/alertmanager"
# severity -> (receiver, the kinds of integration it must have)
PROMISED = {
    "critical": ("storesync-page", {"webhook_configs", "email_configs", "slack_configs"}),
    "high": ("storesync-page", {"webhook_configs", "email_configs", "slack_configs"}),
    "medium": ("storesync-email", {"webhook_configs", "email_configs"}),
    "low": ("storesync-intake", {"webhook_configs"}),
}


def test_config_passes_amtool_check(amtool: str) -> None:
    result = run(amtool, "check-config", CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("severity", [s.value for s in Severity])
def test_each_severity_routes_to_its_receiver(amtool: str, severity: str) -> None:
    receiver, _ = PROMISED[severity]
    result = run(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={CONFIG}",
        f"--verify.receivers={receiver}",
        f"severity={severity}",
        "alertname=AnyAlert",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_receiver_posts_to_the_intake_and_the_channels_its_severity_promises() -> None:
    receivers = {r["name"]: r for r in load(CONFIG)["receivers"]}
    for severity, (name, kinds) in PROMISED.items():
        receiver = receivers[name]
        assert {k for k in receiver if k.endswith("_configs")} == kinds, severity
        assert [hook["url"] for hook in receiver["webhook_configs"]] == [INTAKE], severity
        assert all(hook["send_resolved"] for hook in receiver["webhook_configs"])


def test_the_labels_inhibition_relies_on_are_on_the_alerts() -> None:
    platform_wide = [n for n, r in alerts().items() if r["labels"].get("scope") == "platform"]
    assert {"PlatformApiErrors", "CircuitBreakerOpen"} <= set(platform_wide)
    for name in platform_wide:
        assert "by (platform)" in " ".join(alerts()[name]["expr"].split()), name
    assert "shop_id" in alerts()["AuthorizationExpiring"]["expr"]


@pytest.fixture
def alertmanager(alertmanager_bin: str, tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager on this config; notifications are never due within the test
    (group_wait), so nothing is sent anywhere."""
    port = free_port()
    proc = subprocess.Popen(
        [
            alertmanager_bin,
            f"--config.file={CONFIG}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: httpx.get(f"{url}/-/ready", timeout=1).status_code == 200,
            timeout_s=15,
            what="Alertmanager ready",
            ignore=(httpx.HTTPError,),
        )
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _states(url: str) -> dict[tuple[str, ...], str]:
    got: list[dict[str, Any]] = httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
    keys = ("alertname", "platform", "shop_id", "severity")
    return {tuple(a["labels"].get(k, "") for k in keys): a["status"]["state"] for a in got}


def _fire_and_expect(
    url: str, fired: list[dict[str, str]], expected: dict[tuple[str, ...], str]
) -> None:
    """Post the alerts; the inhibitor learns of them asynchronously, so allow it a moment."""
    httpx.post(f"{url}/api/v2/alerts", json=[{"labels": labels} for labels in fired], timeout=5)
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: _states(url) == expected, timeout_s=5, what="alert states")
    assert _states(url) == expected


def test_platform_wide_alert_holds_back_that_platforms_shop_alerts_only(alertmanager: str) -> None:
    _fire_and_expect(
        alertmanager,
        [
            {
                "alertname": "PlatformApiErrors",
                "platform": "shopee",
                "scope": "platform",
                "severity": "medium",
            },
            {
                "alertname": "AuthorizationExpiring",
                "platform": "shopee",
                "shop_id": "7",
                "severity": "medium",
            },
            {
                "alertname": "AuthorizationExpiring",
                "platform": "tiktok",
                "shop_id": "9",
                "severity": "medium",
            },
        ],
        {
            ("PlatformApiErrors", "shopee", "", "medium"): "active",
            ("AuthorizationExpiring", "shopee", "7", "medium"): "suppressed",
            ("AuthorizationExpiring", "tiktok", "9", "medium"): "active",
        },
    )


def test_faster_slo_burn_holds_back_the_slower_tiers(alertmanager: str) -> None:
    slo = {"slo": "sync-success"}
    _fire_and_expect(
        alertmanager,
        [
            {"alertname": "SyncErrorBudgetFastBurn", "severity": "critical", **slo},
            {"alertname": "SyncErrorBudgetSlowBurn", "severity": "high", **slo},
            {"alertname": "SyncErrorBudgetSteadyBurn", "severity": "medium", **slo},
            {"alertname": "SyncSuccessRateLow", "severity": "high"},
        ],
        {
            ("SyncErrorBudgetFastBurn", "", "", "critical"): "active",
            ("SyncErrorBudgetSlowBurn", "", "", "high"): "suppressed",
            ("SyncErrorBudgetSteadyBurn", "", "", "medium"): "suppressed",
            ("SyncSuccessRateLow", "", "", "high"): "active",
        },
    )
