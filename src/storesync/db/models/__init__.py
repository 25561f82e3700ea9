"""Every table, imported here so `Base.metadata` is complete for Alembic and the drift test."""

from storesync.db.models.audit import AuditEntry
from storesync.db.models.auth import ApiKey, OAuthState, User, WebSession
from storesync.db.models.catalog import CatalogReview, Product, Variant
from storesync.db.models.inventory import InventoryLevel, LedgerEntry
from storesync.db.models.listing import Listing
from storesync.db.models.order import Order, OrderLine
from storesync.db.models.resilience import BreakerEvent, DeadLetter, RateLimitReduction
from storesync.db.models.shop import Shop
from storesync.db.models.sync import RejectedDelivery, SyncCheckpoint, SyncJob, WebhookEvent

__all__ = [
    "ApiKey",
    "AuditEntry",
    "BreakerEvent",
    "CatalogReview",
    "DeadLetter",
    "InventoryLevel",
    "LedgerEntry",
    "Listing",
    "OAuthState",
    "Order",
    "OrderLine",
    "Product",
    "RateLimitReduction",
    "RejectedDelivery",
    "Shop",
    "SyncCheckpoint",
    "SyncJob",
    "User",
    "Variant",
    "WebSession",
    "WebhookEvent",
]
