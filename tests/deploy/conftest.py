"""The deploy tier: Prometheus rules, Alertmanager and Grafana files checked by the real tools.

Without promtool or amtool these tests skip locally and fail with CI=true (tools.py).
"""

from __future__ import annotations

import pytest

from tests.deploy.tools import tool


@pytest.fixture(scope="session")
def promtool() -> str:
    return tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return tool("amtool")


@pytest.fixture(scope="session")
def alertmanager_bin() -> str:
    return tool("prometheus-alertmanager")
