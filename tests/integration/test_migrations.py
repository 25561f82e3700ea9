"""Models and migrations never drift, and migrations run on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from storesync.db.base import Base
from storesync.db.migrate import current_heads, upgrade
from storesync.db.models import __all__ as model_names


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models differ from migrations; run alembic revision --autogenerate: {diff}"


def test_upgrade_is_idempotent_and_reaches_head(engine: Engine, database_url: str) -> None:
    upgrade(database_url)  # already at head: a no-op, not an error
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == current_heads()
    tables = set(inspect(engine).get_table_names())
    assert {Base.metadata.tables[t].name for t in Base.metadata.tables} <= tables
    assert model_names  # every model is registered for autogenerate
