"""`storesync keys rotate|retire` keep every shop working: after a rotation every token opens
with the new key (and the old one still decrypts), after retiring only the new key is left, and
at each step a restarted process decrypts every shop's tokens and calls the simulator with them.

The commands run as real processes on the test's database (SQLite and PostgreSQL); shops are
connected through the real OAuth round trip against the Shopee simulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from marketsim.common.server import BackgroundServer
from marketsim.shopee.app import create_app as create_shopee
from storesync.auth.identity import cli_identity
from storesync.bootstrap import Container, build_container
from storesync.config import Settings
from storesync.db.base import utcnow
from storesync.db.engine import unit_of_work
from storesync.db.models import AuditEntry, Shop
from storesync.domain.platform import Platform
from storesync.shop.service import ShopService

PARTNER_ID, PARTNER_KEY = 2001887, "rotation-partner-key"
PUBLIC_URL = "http://127.0.0.1:9"


@pytest.fixture
def sim() -> Iterator[httpx.Client]:
    server = BackgroundServer(create_shopee(partner_id=PARTNER_ID, partner_key=PARTNER_KEY))
    server.start()
    with httpx.Client(base_url=server.url, timeout=10) as control:
        yield control
    server.stop()


@pytest.fixture
def settings_for(database_url: str, tmp_path: Path, sim: httpx.Client) -> Callable[..., Settings]:
    def make(secret_key: str | None = None) -> Settings:
        return Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            secret_key=secret_key,
            shopee_partner_id=PARTNER_ID,
            shopee_partner_key=PARTNER_KEY,
            shopee_base_url=str(sim.base_url),
            public_url=PUBLIC_URL,
        )

    return make


@pytest.fixture
def start() -> Iterator[Callable[[Settings], Container]]:
    """Build a container as a (re)started process does; all closed after the test."""
    built: list[Container] = []

    def make(settings: Settings) -> Container:
        built.append(build_container(settings))
        return built[-1]

    yield make
    for container in built:
        container.close()


def connect(container: Container, sim: httpx.Client) -> int:
    """The real OAuth round trip, through the service: consent, redirect with code, exchange."""
    sim_shop = sim.post("/_sim/shops", json={"name": "Rotation"}).json()["shop_id"]
    with unit_of_work(container.session_factory) as session:
        service = ShopService(session, container.clients, PUBLIC_URL)
        consent = service.start_connect(Platform.SHOPEE, cli_identity()) + f"&shop_id={sim_shop}"
    redirect = httpx.get(consent, follow_redirects=False).headers["location"]
    query = dict(parse_qsl(urlsplit(redirect).query))
    with unit_of_work(container.session_factory) as session:
        service = ShopService(session, container.clients, PUBLIC_URL)
        actor = service.redeem_state(Platform.SHOPEE, query["state"], None)
        [shop] = service.complete_connect(Platform.SHOPEE, query["code"], str(sim_shop), actor)
        return shop.id


def every_shop_works(container: Container) -> list[tuple[str, str]]:
    """Each shop's tokens decrypt and a platform call with them succeeds; the tokens."""
    pairs = []
    with unit_of_work(container.session_factory) as session:
        shops = list(session.query(Shop).order_by(Shop.id))
        for shop in shops:
            tokens = container.clients.credentials(shop).tokens
            pairs.append((tokens.access_token, tokens.refresh_token))
            client = container.clients.for_shop(shop)
            now = utcnow()
            assert list(client.list_orders(now - timedelta(hours=1), now)) == []
    return pairs


def calls_work(container: Container) -> None:
    with unit_of_work(container.session_factory) as session:
        for shop in session.query(Shop).order_by(Shop.id):
            now = utcnow()
            client = container.clients.for_shop(shop)
            assert list(client.list_orders(now - timedelta(hours=1), now)) == []


def ciphertexts(container: Container) -> list[str]:
    with unit_of_work(container.session_factory) as session:
        return [
            value
            for shop in session.query(Shop).order_by(Shop.id)
            for value in (shop.access_token_enc, shop.refresh_token_enc)
            if value
        ]


def keys_command(settings: Settings, *args: str, env_key: str | None = None) -> Any:
    """`storesync keys …` as a real process on the same data dir and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORESYNC_")}
    env |= {
        "STORESYNC_DATA_DIR": str(settings.data_dir),
        "STORESYNC_DATABASE_URL": settings.effective_database_url,
    }
    if env_key:
        env["STORESYNC_SECRET_KEY"] = env_key
    return subprocess.run(
        [sys.executable, "-m", "storesync.cli", "keys", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def json_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    body: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return body


def opens_with(key: str, ciphertext: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def test_rotating_then_retiring_keeps_every_shop_working(
    settings_for: Callable[..., Settings],
    start: Callable[[Settings], Container],
    sim: httpx.Client,
) -> None:
    settings = settings_for()
    running = start(settings)
    for _ in range(2):
        connect(running, sim)
    before = every_shop_works(running)
    [old] = settings.secret_keys()

    rotated = json_of(keys_command(settings, "rotate", "--json"))
    assert rotated["reencrypted"] == 4  # two shops, access and refresh token each
    assert rotated["unreadable"] == 0
    new, kept = settings.secret_keys()
    assert kept == old
    assert all(opens_with(new, c) for c in ciphertexts(running))
    assert every_shop_works(start(settings)) == before  # a restarted process
    calls_work(running)  # the process that was running keeps calling with its clients

    retired = json_of(keys_command(settings, "retire", "--json"))
    assert retired["retired"] == 1
    assert settings.secret_keys() == [new]
    assert settings.secret_key_file.stat().st_mode & 0o077 == 0
    assert not any(opens_with(old, c) for c in ciphertexts(running))
    assert every_shop_works(start(settings)) == before
    with unit_of_work(running.session_factory) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith("keys.")] == ["keys.rotate", "keys.retire"]


def test_retiring_waits_until_no_token_needs_an_old_key(
    settings_for: Callable[..., Settings],
    start: Callable[[Settings], Container],
    sim: httpx.Client,
) -> None:
    settings = settings_for()
    container = start(settings)
    shop_id = connect(container, sim)
    [(plain, _)] = every_shop_works(container)
    [old] = settings.secret_keys()
    json_of(keys_command(settings, "rotate", "--json"))
    # A process that still held only the old key stored a refreshed token meanwhile.
    with unit_of_work(container.session_factory) as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        shop.access_token_enc = Fernet(old.encode()).encrypt(plain.encode()).decode()

    refused = keys_command(settings, "retire")
    assert refused.returncode == 1
    assert "1 token(s) still need an older key" in refused.stderr
    assert len(settings.secret_keys()) == 2  # nothing dropped

    again = json_of(keys_command(settings, "rotate", "--reencrypt-only", "--json"))
    assert again["keys"] == 2
    assert again["reencrypted"] == 2
    assert json_of(keys_command(settings, "retire", "--json"))["retired"] == 1
    every_shop_works(start(settings))


def test_keys_from_the_environment_are_printed_to_set_not_written(
    settings_for: Callable[..., Settings],
    start: Callable[[Settings], Container],
    sim: httpx.Client,
) -> None:
    first = Fernet.generate_key().decode()
    container = start(settings_for(first))
    connect(container, sim)
    before = every_shop_works(container)

    printed = keys_command(settings_for(first), "rotate", env_key=first)
    assert printed.returncode == 0, printed.stderr
    line = printed.stdout.strip().splitlines()[-1]
    assert line.startswith("STORESYNC_SECRET_KEY=")
    new, old = line.removeprefix("STORESYNC_SECRET_KEY=").split(",")
    assert old == first
    assert "restart" in printed.stderr
    assert not settings_for(first).secret_key_file.exists()  # nothing written
    assert all(opens_with(first, c) for c in ciphertexts(container))  # nothing re-encrypted yet

    # Set everywhere and restarted: now re-encrypt, then retire the old key.
    both = f"{new},{old}"
    again = json_of(
        keys_command(settings_for(both), "rotate", "--reencrypt-only", "--json", env_key=both)
    )
    assert again["reencrypted"] == 2
    retired = json_of(keys_command(settings_for(both), "retire", "--json", env_key=both))
    assert retired["secret_key"] == new
    assert every_shop_works(start(settings_for(new))) == before
