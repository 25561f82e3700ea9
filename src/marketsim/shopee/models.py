"""The simulator's in-memory records. Field names follow Shopee's where one exists."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Shop:
    shop_id: int
    name: str
    region: str
    auth_time: int
    expire_time: int  # an authorization lasts 365 days


@dataclass
class AccessToken:
    token: str
    shop_id: int
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    shop_id: int
    expires_at: float
    access_token: str  # the access token issued with it, cut to 5 minutes when it is used
    used: bool = False


@dataclass
class AuthCode:
    code: str
    shop_id: int
    expires_at: float
    used: bool = False


@dataclass
class Model:
    """A variant. Items without variants keep one Model with model_id 0 internally."""

    model_id: int
    sku: str
    name: str
    price: float
    original_price: float
    seller_stock: int
    reserved: int = 0
    status: str = "MODEL_NORMAL"

    @property
    def available(self) -> int:
        return self.seller_stock - self.reserved


@dataclass
class Item:
    item_id: int
    shop_id: int
    name: str
    item_sku: str
    has_model: bool
    create_time: int
    update_time: int
    models: dict[int, Model] = field(default_factory=dict)
    status: str = "NORMAL"
    category_id: int = 100001
    weight: float = 0.5


@dataclass
class OrderLine:
    item_id: int
    model_id: int
    item_name: str
    item_sku: str
    model_name: str
    model_sku: str
    quantity: int
    price: float


@dataclass
class Order:
    order_sn: str
    shop_id: int
    status: str
    create_time: int
    update_time: int
    currency: str
    region: str
    lines: list[OrderLine]
    buyer_user_id: int
    pay_time: int | None = None
    cancel_by: str = ""
    cancel_reason: str = ""

    @property
    def total_amount(self) -> float:
        return round(sum(line.price * line.quantity for line in self.lines), 2)


@dataclass
class LostPush:
    message_id: int
    shop_id: int
    code: int
    timestamp: int
    data: str  # JSON text, as get_lost_push_message returns it
    confirmed: bool = False
