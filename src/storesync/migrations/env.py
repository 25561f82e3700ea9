"""Alembic environment: one metadata (storesync.db.models); batch mode lets SQLite alter tables."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storesync.db.base import Base
from storesync.db.engine import make_engine
from storesync.db.models import __all__ as _models  # noqa: F401  (registers every table)

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `storesync db upgrade`")
run_migrations_online()
