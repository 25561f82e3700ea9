"""The platform's JSON shapes for products, inventory and orders (field names per
docs/platforms/tiktok.md#endpoints-and-batch-limits)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marketsim.tiktok.models import Order, Product, Shop, Sku

_PACKAGE_STATUS = {
    "UNPAID": "TO_FULFILL",
    "ON_HOLD": "TO_FULFILL",
    "AWAITING_SHIPMENT": "TO_FULFILL",
    "PARTIALLY_SHIPPING": "PROCESSING",
    "AWAITING_COLLECTION": "PROCESSING",
    "IN_TRANSIT": "FULFILLING",
    "DELIVERED": "COMPLETED",
    "COMPLETED": "COMPLETED",
    "CANCELLED": "CANCELLED",
}


def money(value: Decimal) -> str:
    """Money travels as decimal strings, never floats: "19.9", "5000", "0.01" like the samples."""
    return format(value.normalize(), "f")


def _price(sku: Sku, shop: Shop) -> dict[str, str]:
    # No taxes in the simulator: tax-exclusive and sale price are the same amount.
    return {
        "currency": shop.currency,
        "tax_exclusive_price": money(sku.price),
        "sale_price": money(sku.price),
    }


def _inventory(sku: Sku, shop: Shop) -> list[dict[str, Any]]:
    return [{"warehouse_id": shop.warehouse_id, "quantity": sku.available}]


def product_summary(product: Product, shop: Shop) -> dict[str, Any]:
    """An item of `products/search`."""
    return {
        "id": product.id,
        "title": product.title,
        "status": product.status,
        "skus": [
            {
                "id": sku.id,
                "seller_sku": sku.seller_sku,
                "price": _price(sku, shop),
                "inventory": _inventory(sku, shop),
            }
            for sku in product.skus
        ],
        "sales_regions": [shop.region],
        "create_time": product.create_time,
        "update_time": product.update_time,
    }


def product_detail(product: Product, shop: Shop) -> dict[str, Any]:
    """`GET /product/202309/products/{id}`: note `product_status` here, `status` in search."""
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "product_status": product.status,
        "skus": [
            {
                "id": sku.id,
                "seller_sku": sku.seller_sku,
                "price": _price(sku, shop),
                "inventory": _inventory(sku, shop),
                "sales_attributes": [
                    {
                        "id": "100000",
                        "name": "Variant",
                        "value_id": sku.id[-7:],
                        "value_name": sku.seller_sku,
                    }
                ],
            }
            for sku in product.skus
        ],
        "audit": {"status": "APPROVED"},
        "create_time": product.create_time,
        "update_time": product.update_time,
    }


def inventory(product: Product, skus: list[Sku], shop: Shop) -> dict[str, Any]:
    """An item of `inventory/search`: available and committed reported apart."""
    return {
        "product_id": product.id,
        "skus": [
            {
                "id": sku.id,
                "seller_sku": sku.seller_sku,
                "total_available_quantity": sku.available,
                "total_committed_quantity": sku.committed,
                "warehouse_inventory": [
                    {
                        "warehouse_id": shop.warehouse_id,
                        "available_quantity": sku.available,
                        "committed_quantity": sku.committed,
                    }
                ],
            }
            for sku in skus
        ],
    }


def order(o: Order) -> dict[str, Any]:
    total = sum((item.sale_price for item in o.line_items), Decimal(0))
    body: dict[str, Any] = {
        "id": o.id,
        "status": o.status,
        "create_time": o.create_time,
        "update_time": o.update_time,
        "payment": {
            "currency": o.currency,
            "sub_total": money(total),
            "shipping_fee": "0",
            "total_amount": money(total),
        },
        "line_items": [
            {
                "id": item.id,
                "sku_id": item.sku_id,
                "product_id": item.product_id,
                "product_name": item.product_name,
                "seller_sku": item.seller_sku,
                "sale_price": money(item.sale_price),
                "original_price": money(item.sale_price),
                "currency": o.currency,
                "display_status": o.status,
                "package_status": _PACKAGE_STATUS[o.status],
            }
            for item in o.line_items
        ],
        "is_on_hold_order": o.status == "ON_HOLD",
        "shipping_type": "TIKTOK",
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
    }
    # Absent until the buyer pays, as on the platform: clients must not assume it is there.
    if o.paid_time is not None:
        body["paid_time"] = o.paid_time
    if o.cancel_reason:
        body["cancel_reason"] = o.cancel_reason
    return body


def shop(s: Shop) -> dict[str, str]:
    return {
        "id": s.id,
        "name": s.name,
        "region": s.region,
        "seller_type": s.seller_type,
        "cipher": s.cipher,
        "code": s.code,
    }
