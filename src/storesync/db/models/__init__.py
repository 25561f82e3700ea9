"""Every table, imported here so `Base.metadata` is complete for Alembic and the drift test."""

from storesync.db.models.catalog import CatalogReview, Product, Variant
from storesync.db.models.inventory import InventoryLevel, LedgerEntry
from storesync.db.models.listing import Listing
from storesync.db.models.order import Order, OrderLine
from storesync.db.models.resilience import BreakerEvent, DeadLetter, RateLimitReduction
from storesync.db.models.shop import Shop
from storesync.db.models.sync import SyncCheckpoint, SyncJob, WebhookEvent

__all__ = [
    "BreakerEvent",
    "CatalogReview",
    "DeadLetter",
    "InventoryLevel",
    "LedgerEntry",
    "Listing",
    "Order",
    "OrderLine",
    "Product",
    "RateLimitReduction",
    "Shop",
    "SyncCheckpoint",
    "SyncJob",
    "Variant",
    "WebhookEvent",
]
