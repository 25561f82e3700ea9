"""The sync flows on fakes: tasks called directly with `FakeClient`, `FakeClients` and
`RecordingJobs` (storesync.testing) on a real, migrated SQLite database; no server, no worker.

SQLite only: the integration tier runs the concurrent paths on PostgreSQL too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storesync.db.engine import make_session_factory, unit_of_work
from storesync.db.migrate import upgrade
from storesync.inventory.service import InventoryService
from storesync.testing.fakes import FakeClient, FakeClients
from storesync.testing.jobs import RecordingJobs
from tests.seeds import make_listing, make_shop, make_variant


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "storesync.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(migrated_template: Path, tmp_path: Path) -> str:
    """Overrides the two-backend fixture of tests/conftest.py: a copy of one migrated file."""
    path = tmp_path / "storesync.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient()


@pytest.fixture
def clients(fake: FakeClient) -> FakeClients:
    return FakeClients(fake)


@pytest.fixture
def jobs() -> RecordingJobs:
    return RecordingJobs()


@pytest.fixture
def shop_id(factory: sessionmaker[Session]) -> int:
    """A Shopee shop (external id 1001, the fake's) listing SKU-1, which has 10 units on hand;
    the listing wants 10 and nothing was confirmed yet (dirty)."""
    with unit_of_work(factory) as session:
        shop = make_shop(session)
        variant = make_variant(session, "SKU-1", 10)
        make_listing(session, shop, variant)
        inventory = InventoryService(session)
        inventory.refresh_listings(variant.id, inventory.level(variant.id))
        return shop.id
