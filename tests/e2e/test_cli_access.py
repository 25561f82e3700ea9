"""`storesync users …` and `storesync apikeys …` as real processes, in the shapes outside checks
rely on; the keys they make work (and stop working) against the API on the same database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from storesync.api.app import create_app
from storesync.bootstrap import build_container
from storesync.config import Settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storesync.cli", *args],
        env={**os.environ, "STORESYNC_DATA_DIR": str(data_dir), "STORESYNC_LOG_LEVEL": "WARNING"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def api(data_dir: Path) -> Iterator[TestClient]:
    cli(data_dir, "db", "upgrade")
    container = build_container(Settings(data_dir=data_dir))
    with TestClient(create_app(container), base_url="http://127.0.0.1") as client:
        yield client
    container.close()


def test_apikeys_create_json_prints_the_key_once_and_it_works(
    data_dir: Path, api: TestClient
) -> None:
    made = cli(data_dir, "apikeys", "create", "--name", "ci", "--role", "operator", "--json")
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    assert set(created) == {"id", "name", "role", "key"}
    assert (created["name"], created["role"]) == ("ci", "operator")
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert api.get("/api/v1/jobs", headers=headers).status_code == 200

    listed = cli(data_dir, "apikeys", "list", "--json")
    assert created["key"] not in listed.stdout
    assert json.loads(listed.stdout)[0]["prefix"] in created["key"]

    assert cli(data_dir, "apikeys", "revoke", str(created["id"])).returncode == 0
    assert api.get("/api/v1/jobs", headers=headers).status_code == 401


def test_users_create_with_a_password_from_stdin_can_sign_in(
    data_dir: Path, api: TestClient
) -> None:
    made = cli(
        data_dir,
        "users", "create", "--email", "ops@example.com", "--role", "operator", "--password-stdin",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    [user] = json.loads(cli(data_dir, "users", "list", "--json").stdout)
    assert user["email"] == "ops@example.com"
    assert (user["role"], user["can_log_in"]) == ("operator", True)
    login = {"email": "ops@example.com", "password": "a long enough password"}
    assert api.post("/api/v1/auth/session", json=login).status_code == 200

    assert cli(data_dir, "users", "disable", "ops@example.com").returncode == 0
    api.cookies.clear()
    assert api.post("/api/v1/auth/session", json=login).status_code == 401


def test_bad_input_gets_one_clear_line_and_changes_nothing(data_dir: Path) -> None:
    wrong_role = cli(data_dir, "apikeys", "create", "--name", "x", "--role", "root")
    assert wrong_role.returncode == 1
    assert "Unknown role 'root'" in wrong_role.stderr
    assert "Traceback" not in wrong_role.stderr
    short = cli(
        data_dir, "users", "create", "--email", "a@example.com", "--role", "viewer",
        "--password-stdin", stdin="short\n",
    )  # fmt: skip
    assert short.returncode == 1
    assert "at least 12 characters" in short.stderr
    assert json.loads(cli(data_dir, "users", "list", "--json").stdout) == []
    assert json.loads(cli(data_dir, "apikeys", "list", "--json").stdout) == []
