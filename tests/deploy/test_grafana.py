"""deploy/grafana: the dashboard parses, every panel has a datasource and queries, every query is
valid PromQL (promtool checks it as a recording rule) over series StoreSync exports, and the
provisioning files point at the dashboard and a Prometheus datasource."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.names import EXTERNAL, exported_metrics, load, recording_rules, unknown_series
from tests.deploy.tools import DEPLOY, run

GRAFANA = DEPLOY / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# Grafana's own variables, as a 15 s scrape interval makes them; the dashboard's variables match
# everything (their "All").
GRAFANA_VARIABLES = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?(\w+)\)$")


def _dashboard(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel but the rows, including panels inside collapsed rows."""
    found: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            found.extend(panel.get("panels", []))
        else:
            found.append(panel)
    return found


def _expand(expr: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return GRAFANA_VARIABLES.get(name, ".*")

    return VARIABLE.sub(value, expr)


def _queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable's series selector."""
    queries = [
        (f"panel {p['id']} {p['title']!r} {t['refId']}", _expand(t["expr"]))
        for p in _panels(dashboard)
        for t in p["targets"]
    ]
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            match = LABEL_VALUES.match(var["query"]["query"])
            assert match, f"variable {var['name']}: only label_values(...) queries are used"
            if match.group(1):
                queries.append((f"variable {var['name']}", _expand(match.group(1))))
    return queries


def test_there_is_an_overview_dashboard() -> None:
    assert "storesync-overview.json" in [p.name for p in DASHBOARDS]


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_every_panel_has_a_datasource_and_queries(path: Path) -> None:
    dashboard = _dashboard(path)
    assert dashboard["uid"]
    assert dashboard["title"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = _panels(dashboard)
    assert len({p["id"] for p in dashboard["panels"] + panels}) == len(dashboard["panels"]) + len(
        [p for row in dashboard["panels"] for p in row.get("panels", [])]
    ), "panel ids must be unique"
    for panel in panels:
        where = f"panel {panel['id']} {panel['title']!r}"
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
        assert panel["targets"], where
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), where
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(set(ref_ids)) == len(ref_ids), where
        for target in panel["targets"]:
            assert target["expr"].strip(), where
            assert target.get("datasource", panel["datasource"]) == panel["datasource"], where


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_every_query_is_valid_promql(promtool: str, path: Path, tmp_path: Path) -> None:
    queries = _queries(_dashboard(path))
    rules = [
        {"record": f"grafana:query_{i}", "expr": expr, "labels": {"where": where}}
        for i, (where, expr) in enumerate(queries)
    ]
    generated = tmp_path / "dashboard-queries.yml"
    generated.write_text(yaml.safe_dump({"groups": [{"name": path.stem, "rules": rules}]}))
    result = run(promtool, "check", "rules", generated)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_queries_read_only_series_that_exist(path: Path) -> None:
    known = exported_metrics() | recording_rules() | EXTERNAL
    for where, expr in _queries(_dashboard(path)):
        assert not unknown_series(expr, known), (where, unknown_series(expr, known))


def test_provisioning_loads_the_dashboards_from_a_prometheus_datasource() -> None:
    (source,) = load(GRAFANA / "provisioning" / "datasources" / "storesync-prometheus.yml")[
        "datasources"
    ]
    assert source["type"] == "prometheus"
    (provider,) = load(GRAFANA / "provisioning" / "dashboards" / "storesync.yml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]
    for path in DASHBOARDS:
        default = _dashboard(path)["templating"]["list"][0]
        assert default["name"] == "datasource"
        assert default["current"]["value"] == source["uid"], path.name
