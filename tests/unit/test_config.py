"""Configuration: sensible defaults, and one clear message naming a bad setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storesync.config import ConfigurationError, Settings, load_settings


def test_defaults_are_the_embedded_deployment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STORESYNC_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'storesync.db'}"
    assert (settings.host, settings.port) == ("127.0.0.1", 3000)
    assert settings.redis_url is None
    assert settings.broker_url is None


def test_postgres_urls_use_psycopg3() -> None:
    settings = Settings(database_url="postgresql://u@db/storesync")
    assert settings.effective_database_url == "postgresql+psycopg://u@db/storesync"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORESYNC_PORT", "eighty"),
        ("STORESYNC_LOG_LEVEL", "LOUD"),
        ("STORESYNC_DATABASE_URL", "mysql://x"),
    ],
)
def test_invalid_setting_fails_with_its_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings()


def test_secret_key_is_created_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.ensure_secret_key()
    assert settings.ensure_secret_key() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_cli_reports_bad_configuration_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "storesync.cli", "db", "upgrade"],
        env={"STORESYNC_PORT": "0x", "STORESYNC_DATA_DIR": str(tmp_path), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "STORESYNC_PORT" in result.stderr
    assert "Traceback" not in result.stderr
