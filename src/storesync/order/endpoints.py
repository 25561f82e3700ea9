"""`/api/v1/orders`: imported orders, filterable by shop and status."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from storesync.auth.policy import VIEWER
from storesync.db.models import Order, OrderLine
from storesync.deps import DEFAULT_PAGE_SIZE, Db, Id, Limit, Offset, ShopIdQuery
from storesync.domain.order_status import OrderStatus
from storesync.errors import NotFoundError
from storesync.order.schemas import OrderLineOut, OrderOut

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.get(
    "",
    response_model=list[OrderOut],
    summary="Orders, newest first",
    dependencies=[VIEWER],
)
def list_orders(
    db: Db,
    shop_id: ShopIdQuery = None,
    status: OrderStatus | None = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> list[OrderOut]:
    query = select(Order).order_by(Order.id.desc()).limit(limit).offset(offset)
    if shop_id is not None:
        query = query.where(Order.shop_id == shop_id)
    if status is not None:
        query = query.where(Order.status == status.value)
    return [OrderOut.model_validate(order, from_attributes=True) for order in db.scalars(query)]


@router.get(
    "/{order_id}",
    response_model=OrderOut,
    summary="One order with its lines",
    dependencies=[VIEWER],
)
def get_order(order_id: Id, db: Db) -> OrderOut:
    order = db.get(Order, order_id)
    if order is None:
        raise NotFoundError(f"No order {order_id}.", details={"order_id": order_id})
    lines = db.scalars(select(OrderLine).where(OrderLine.order_id == order_id))
    out = OrderOut.model_validate(order, from_attributes=True)
    out.lines = [OrderLineOut.model_validate(line, from_attributes=True) for line in lines]
    return out
