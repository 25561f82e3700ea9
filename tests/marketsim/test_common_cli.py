"""The `marketsim` command line (servers are not started: `_serve` is replaced)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from marketsim import cli

runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, str, int]]:
    calls: list[tuple[Any, str, int]] = []
    monkeypatch.setattr(cli, "_serve", lambda app, host, port: calls.append((app, host, port)))
    return calls


def test_help_lists_both_simulators() -> None:
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    assert "shopee" in result.output
    assert "tiktok" in result.output


def test_shopee_defaults_just_run(served: list[tuple[Any, str, int]]) -> None:
    result = runner.invoke(cli.app, ["shopee"])
    assert result.exit_code == 0, result.output
    app, host, port = served[0]
    assert (host, port) == ("127.0.0.1", 8101)
    assert app.state.sim.partner.partner_id == 2001887
    assert "partner_key" in result.output


def test_shopee_options_and_faults_file(served: list[tuple[Any, str, int]], tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"families": {"order": {"error_rate": 0.1}}}))
    args = ["shopee", "--port", "9001", "--host", "0.0.0.0", "--partner-id", "42",
            "--partner-key", "k", "--webhook-url", "http://127.0.0.1:3000/webhooks/shopee",
            "--seed", "9", "--faults", str(faults), "--time-factor", "0.5"]  # fmt: skip
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    app, host, port = served[0]
    assert (host, port) == ("0.0.0.0", 9001)
    sim = app.state.sim
    assert (sim.partner.partner_id, sim.partner.partner_key) == (42, "k")
    assert sim.ctx.webhooks.url == "http://127.0.0.1:3000/webhooks/shopee"
    assert sim.ctx.webhooks.time_factor == 0.5
    assert sim.ctx.faults.profile.seed == 9  # the file sets none, so --seed seeds faults too
    assert sim.ctx.faults.profile.families["order"].error_rate == 0.1


def test_invalid_faults_file_exits_2(served: list[tuple[Any, str, int]], tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"families": {"order": {"eror_rate": 0.1}}}))
    result = runner.invoke(cli.app, ["shopee", "--faults", str(faults)])
    assert result.exit_code == 2
    assert served == []


def test_tiktok_command_builds_the_tiktok_app(served: list[tuple[Any, str, int]]) -> None:
    result = runner.invoke(cli.app, ["tiktok", "--port", "9002", "--app-key", "ak"])
    assert result.exit_code == 0, result.output
    _, _, port = served[0]
    assert port == 9002
    assert "ak" in result.output


def test_clock_offset_starts_the_clock_ahead_or_behind(served: list[tuple[Any, str, int]]) -> None:
    import time

    assert runner.invoke(cli.app, ["shopee", "--clock-offset-s", "240"]).exit_code == 0
    assert runner.invoke(cli.app, ["tiktok", "--clock-offset-s", "-240"]).exit_code == 0
    (shopee, _, _), (tiktok, _, _) = served
    from fastapi.testclient import TestClient

    with TestClient(shopee) as http:
        clock = http.get("/_sim/clock").json()
        assert clock["offset"] == 240
        assert abs(clock["now"] - (time.time() + 240)) < 5
        http.post("/_sim/clock", json={"advance_seconds": 10})
        http.post("/_sim/reset")
        assert http.get("/_sim/clock").json()["offset"] == 240  # reset goes back to the start
    with TestClient(tiktok) as http:
        assert http.get("/_sim/clock").json()["offset"] == -240
