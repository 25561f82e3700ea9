"""Catalog import: pull a shop's products, link each variant to the master catalog by seller SKU.

When the master catalog is empty the first shop seeds it (products, variants, and the first stock
count from what that shop holds). Later shops are matched; anything unmatched or ambiguous goes
to the review list, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storesync.db.base import utcnow
from storesync.db.models import CatalogReview, Listing, Product, Shop, Variant
from storesync.domain.catalog import ReviewReason, match_by_sku, normalize_sku
from storesync.inventory.service import InventoryService
from storesync.marketplaces.base import RemoteProduct, RemoteVariant


@dataclass
class ImportCounts:
    products: int = 0
    variants: int = 0
    created: int = 0
    matched: int = 0
    review: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        flat = {k: v for k, v in self.__dict__.items() if isinstance(v, int)}
        return flat | {f"review_{k}": v for k, v in self.by_reason.items()}


@dataclass
class CatalogService:
    session: Session
    inventory: InventoryService

    def import_products(self, shop: Shop, products: Sequence[RemoteProduct]) -> ImportCounts:
        counts = ImportCounts(products=len(products))
        pairs = [(product, variant) for product in products for variant in product.variants]
        counts.variants = len(pairs)
        if self.session.scalar(select(func.count()).select_from(Variant)) == 0:
            self._seed_master(products)
            counts.created = len({normalize_sku(v.sku) for _, v in pairs if v.sku})
        masters = {
            normalize_sku(sku): variant_id
            for variant_id, sku in self.session.execute(select(Variant.id, Variant.sku))
        }
        variants = [variant for _, variant in pairs]
        result = match_by_sku(variants, dict(enumerate(v.sku for v in variants)), masters)
        names = {id(variant): product.name for product, variant in pairs}
        for variant, master_sku in result.matched:
            self._link(shop, variant, masters[normalize_sku(master_sku)])
            counts.matched += 1
        for variant, reason in result.review:
            self._park(shop, variant, names[id(variant)], reason)
            counts.review += 1
            counts.by_reason[reason.value] = counts.by_reason.get(reason.value, 0) + 1
        return counts

    def _seed_master(self, products: Sequence[RemoteProduct]) -> None:
        seen: set[str] = set()
        for remote in products:
            fresh = [v for v in remote.variants if v.sku and normalize_sku(v.sku) not in seen]
            if not fresh:
                continue
            product = Product(name=remote.name)
            self.session.add(product)
            self.session.flush()
            for remote_variant in fresh:
                assert remote_variant.sku is not None
                seen.add(normalize_sku(remote_variant.sku))
                variant = Variant(
                    product_id=product.id,
                    sku=remote_variant.sku.strip(),
                    name=remote.name,
                    price=remote_variant.price,
                )
                self.session.add(variant)
                self.session.flush()
                # What the shop holds now, its own open orders included (they are imported and
                # reserve against this count), is the first on-hand figure.
                self.inventory.set_initial(
                    variant.id, remote_variant.available + remote_variant.reserved
                )

    def _link(self, shop: Shop, remote: RemoteVariant, variant_id: int) -> None:
        listing = self.session.scalar(
            select(Listing).where(
                Listing.shop_id == shop.id,
                Listing.external_item_id == remote.external_item_id,
                Listing.external_variant_id == remote.external_variant_id,
            )
        )
        if listing is None:
            listing = Listing(
                shop_id=shop.id,
                external_item_id=remote.external_item_id,
                external_variant_id=remote.external_variant_id,
                seller_sku=remote.sku or "",
                variant_id=variant_id,
                # What the platform shows now counts as confirmed: no push if it already agrees.
                confirmed_qty=remote.available,
                # When it was seen (order intake trusts a record only if older than the order).
                confirmed_at=utcnow(),
            )
            self.session.add(listing)
        listing.variant_id = variant_id
        listing.seller_sku = remote.sku or ""
        self.session.flush()
        self.inventory.refresh_listings(variant_id, self.inventory.level(variant_id))

    def _park(self, shop: Shop, remote: RemoteVariant, name: str, reason: ReviewReason) -> None:
        existing = self.session.scalar(
            select(CatalogReview).where(
                CatalogReview.shop_id == shop.id,
                CatalogReview.external_item_id == remote.external_item_id,
                CatalogReview.external_variant_id == remote.external_variant_id,
            )
        )
        if existing is None:
            existing = CatalogReview(
                shop_id=shop.id,
                external_item_id=remote.external_item_id,
                external_variant_id=remote.external_variant_id,
                reason=reason.value,
            )
            self.session.add(existing)
        existing.seller_sku = remote.sku
        existing.name = name[:300]
        existing.reason = reason.value
        existing.resolved = False
