"""Shopee's error codes and messages (docs/platforms/shopee.md#errors-we-translate), and the HTTP
status the simulator uses (our choice: docs/platforms/shopee.md#what-the-simulator-chooses).

Shopee does not document HTTP statuses on errors (clients must branch on the `error` field), so
the simulator picks conventional ones, always the same per code:

====================================================  ======
error                                                  HTTP
====================================================  ======
error_param, order.order_list_invalid_time             400
error_not_found, error_item_not_found                  404
error_sign, error_auth, invalid_acceess_token          403
error_permission (injected "permission" fault)        403
error_rate_limit                                       429
error_server (injected 5xx)                            500
error_server after an injected "timeout" hang          504
====================================================  ======

Every error body is ``{"request_id", "error", "message"}`` (no ``response``).
"""

from __future__ import annotations

PARAM = "error_param"
SIGN = "error_sign"
AUTH = "error_auth"
REVOKED = "invalid_acceess_token"  # sic: Shopee's own spelling
RATE_LIMIT = "error_rate_limit"
SERVER = "error_server"
PERMISSION = "error_permission"
NOT_FOUND = "error_not_found"
ITEM_NOT_FOUND = "error_item_not_found"
ORDER_TIME_RANGE = "order.order_list_invalid_time"

MSG_WRONG_SIGN = "Wrong sign."
MSG_NO_SIGN = "There is no sign in query."
MSG_TIMESTAMP_EXPIRED = "Timestamp is expired."
MSG_INVALID_TIMESTAMP = "Invalid timestamp"
MSG_NO_TIMESTAMP = "no timestamp"
MSG_INVALID_TOKEN = "Invalid access_token."  # noqa: S105 - a message, not a secret
MSG_INVALID_PARTNER = "partner_id is invalid"
MSG_INVALID_SHOP = "Invalid partner_id or shopid."
MSG_RATE_LIMIT = "Too many requests, please try again later."
MSG_SERVER = "System error, please try again later."
MSG_TIMEOUT = "Request timed out."
MSG_PERMISSION = "No permission to call this API."

HTTP_STATUS: dict[str, int] = {
    PARAM: 400,
    ORDER_TIME_RANGE: 400,
    NOT_FOUND: 404,
    ITEM_NOT_FOUND: 404,
    SIGN: 403,
    AUTH: 403,
    REVOKED: 403,
    PERMISSION: 403,
    RATE_LIMIT: 429,
    SERVER: 500,
}


class ShopeeError(Exception):
    """A platform error answered in Shopee's envelope."""

    def __init__(self, error: str, message: str, http_status: int | None = None) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error
        self.message = message
        self.http_status = http_status or HTTP_STATUS.get(error, 400)


def param(message: str) -> ShopeeError:
    return ShopeeError(PARAM, message)
