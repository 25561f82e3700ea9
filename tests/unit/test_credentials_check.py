"""The public demo app's credentials are for the simulators on this machine only: against a real
platform host `storesync serve` and `storesync worker` refuse to start, with one line naming each
setting. Settings errors never echo a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storesync.config import ConfigurationError, Settings, load_settings

REAL = {
    "shopee_partner_id": 1234567,
    "shopee_partner_key": "a-real-partner-key",
    "tiktok_app_key": "real-app",
    "tiktok_app_secret": "a-real-app-secret",
}
SIMULATORS = {
    "shopee_base_url": "http://127.0.0.1:8101",
    "tiktok_base_url": "http://localhost:8102",
    "tiktok_auth_url": "http://[::1]:8102",
}


def test_the_defaults_name_every_demo_credential_against_the_real_hosts() -> None:
    problems = Settings().credential_problems()
    assert problems == [
        "STORESYNC_SHOPEE_PARTNER_ID is the public demo partner id; "
        "set the real one for https://partner.shopeemobile.com",
        "STORESYNC_SHOPEE_PARTNER_KEY is the public demo key; "
        "set the real one for https://partner.shopeemobile.com",
        "STORESYNC_TIKTOK_APP_KEY is the public demo app key; "
        "set the real one for https://open-api.tiktokglobalshop.com",
        "STORESYNC_TIKTOK_APP_SECRET is the public demo secret; "
        "set the real one for https://open-api.tiktokglobalshop.com",
    ]


def test_the_demo_credentials_are_fine_for_simulators_on_this_machine() -> None:
    assert Settings(**SIMULATORS).credential_problems() == []


def test_real_credentials_are_fine_for_real_hosts() -> None:
    assert Settings(**REAL).credential_problems() == []


def test_an_empty_secret_is_not_set() -> None:
    settings = Settings(**(REAL | {"tiktok_app_secret": " "}))
    assert settings.credential_problems() == [
        "STORESYNC_TIKTOK_APP_SECRET is not set; "
        "set the real one for https://open-api.tiktokglobalshop.com"
    ]


def test_each_platform_is_judged_by_its_own_hosts() -> None:
    # Shopee on the simulator with demo credentials; TikTok's consent page on the real host.
    settings = Settings(
        shopee_base_url="http://127.0.0.1:9",
        tiktok_base_url="http://127.0.0.1:9",
        tiktok_app_key="real-app",
        tiktok_app_secret="a-real-app-secret",
    )
    assert settings.credential_problems() == []
    leaky = Settings(shopee_base_url="http://127.0.0.1:9", tiktok_base_url="http://127.0.0.1:9")
    assert [p.split(" ")[0] for p in leaky.credential_problems()] == [
        "STORESYNC_TIKTOK_APP_KEY",
        "STORESYNC_TIKTOK_APP_SECRET",
    ]
    assert "https://auth.tiktok-shops.com" in leaky.credential_problems()[0]


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STORESYNC_")}
    return subprocess.run(
        [sys.executable, "-m", "storesync.cli", *args],
        env=clean | {"STORESYNC_DATA_DIR": str(tmp_path), "COLUMNS": "60"} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


REAL_ENV = {f"STORESYNC_{k.upper()}": str(v) for k, v in REAL.items()}


@pytest.mark.parametrize(
    "args",
    [["serve", "--port", "9"], ["worker"]],
    ids=["serve", "worker"],
)
def test_a_process_that_calls_platforms_refuses_the_demo_key_in_one_line(
    tmp_path: Path, args: list[str]
) -> None:
    env = {k: v for k, v in REAL_ENV.items() if k != "STORESYNC_SHOPEE_PARTNER_KEY"}
    env["STORESYNC_BROKER_URL"] = "redis://127.0.0.1:9/0"  # the worker needs one; never reached
    result = _run(args, tmp_path, **env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: STORESYNC_SHOPEE_PARTNER_KEY is the public demo key; "
        "set the real one for https://partner.shopeemobile.com"
    ]
    assert not (tmp_path / "storesync.db").exists()  # refused before touching anything


@pytest.mark.parametrize(
    ("name", "value", "hidden"),
    [
        ("STORESYNC_DATABASE_URL", "mysql://app:hunter2@db/storesync", "hunter2"),
        ("STORESYNC_SECRET_KEY", "hunter2-is-no-fernet-key", "hunter2"),
    ],
)
def test_settings_errors_never_echo_a_secret(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, hidden: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert name in str(info.value)
    assert hidden not in str(info.value)


def test_settings_errors_still_show_ordinary_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORESYNC_PORT", "eighty")
    with pytest.raises(ConfigurationError, match="got 'eighty'"):
        load_settings()


def test_the_settings_repr_shows_no_secret() -> None:
    settings = Settings(
        secret_key="x" * 43 + "=",
        database_url="postgresql://app:hunter2@db/storesync",
        **REAL,
    )
    shown = repr(settings)
    for secret in ("hunter2", "a-real-partner-key", "a-real-app-secret", "x" * 43):
        assert secret not in shown
