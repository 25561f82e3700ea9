"""Every table, imported here so `Base.metadata` is complete for Alembic and the drift test."""

from storesync.db.models.shop import Shop

__all__ = ["Shop"]
