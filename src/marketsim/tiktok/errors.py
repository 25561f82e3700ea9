"""Every error the simulator answers with: TikTok's own code, message and HTTP status.

Codes and messages come from the docv2 common-errors page and the endpoint error tables
(docs/platforms/tiktok.md#errors-we-translate, docs/platforms/tiktok.md#what-the-simulator-chooses).
HTTP statuses: 106001 -> 401 and 36009009 -> 404 and 429 are observed; the rest follow the page's
grouping (authentication 401, authorization 403, parameters 400). Business errors (product, order,
token host) are answered with HTTP 200 and a non-zero `code` [INF]: a client that only looks at the
HTTP status must fail our tests, as it would in production. Entries marked [INF] have no public
source for the exact code.

Code 36009004 is reused for many gateway failures; like the platform, only the message tells
them apart, so clients must branch on the message too.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    code: int
    message: str
    http_status: int = 200


class TikTokError(Exception):
    """Raised anywhere in a request; the app turns it into the platform's JSON envelope."""

    def __init__(self, spec: ErrorSpec, detail: str | None = None) -> None:
        message = spec.message if detail is None else f"{spec.message} {detail}"
        super().__init__(message)
        self.spec = spec
        self.message = message

    @property
    def code(self) -> int:
        return self.spec.code

    @property
    def http_status(self) -> int:
        return self.spec.http_status


# --- gateway: authentication (401) -------------------------------------------------------------
INVALID_SIGN = ErrorSpec(106001, "Invalid credentials. The `sign` query parameter is invalid.", 401)
MISSING_SIGN = ErrorSpec(
    36009004,
    "Missing credentials. The request does not include a required signature in the query.",
    401,
)
INVALID_TOKEN = ErrorSpec(
    36009004, "Invalid credentials. The `x-tts-access-token` header is invalid.", 401
)
EXPIRED_TOKEN = ErrorSpec(
    105002,
    "Expired credentials. The `access_token` or `x-tts-access-token` header has expired.",
    401,
)
TIMESTAMP_NEGATIVE = ErrorSpec(
    36009004,
    "Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0.",
    401,
)
TIMESTAMP_TOO_OLD = ErrorSpec(
    36009004,
    "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than "
    "5 minutes before the current time.",
    401,
)
TIMESTAMP_TOO_NEW = ErrorSpec(
    36009004,
    "Invalid timestamp. The value of the `timestamp` query parameter must not exceed the current "
    "time by more than 30 seconds.",
    401,
)
TIMESTAMP_MISSING = ErrorSpec(  # [INF] text for a missing or non-numeric timestamp
    36009004, "Invalid timestamp. The `timestamp` query parameter is missing or not a number.", 401
)
# Observed with HTTP 400 in one public note (docs/platforms/tiktok.md#errors-we-translate).
INVALID_APP_KEY = ErrorSpec(
    36009004, "Invalid credentials. Invalid `app_key` query parameter.", 400
)

# --- gateway: authorization (403) and identifiers (400) ---------------------------------------
SCOPE_DENIED = ErrorSpec(
    105005,
    "Access denied. The app is not authorized to access the endpoint because the access scopes "
    "granted for the app or the access token do not contain the required access scope for the "
    "endpoint.",
    403,
)
# The token is valid but not for the shop named by `shop_cipher` (common-errors, 101000).
TOKEN_SHOP_MISMATCH = ErrorSpec(
    101000,
    "Invalid query or header. The `category_asset_cipher` query parameter or "
    "`x-tts-access-token` header is invalid.",
    403,
)
MISSING_SHOP_CIPHER = ErrorSpec(
    106013,
    "Missing identifier. The `shop_cipher` query parameter is required to identify the target "
    "shop.",
    400,
)
UNEXPECTED_SHOP_CIPHER = ErrorSpec(
    36009004,
    "Unexpected identifier. The `shop_cipher` query parameter is not required for this request.",
    400,
)

# --- gateway: traffic and routing --------------------------------------------------------------
RATE_LIMITED = ErrorSpec(
    36009002,
    "Too many requests. You've made too many requests in a short period of time.",
    429,
)
INTERNAL_ERROR = ErrorSpec(36009003, "Internal error. Please try again later.", 500)  # [INF] text
SERVICE_UNAVAILABLE = ErrorSpec(36009003, "Internal error. Please try again later.", 503)
REQUEST_TIMEOUT = ErrorSpec(
    36009007, "Request timeout. The request to the endpoint timed out.", 504
)
INVALID_PATH = ErrorSpec(
    36009009,
    "Invalid path. The specified path does not match any available endpoint.",
    404,
)
INVALID_METHOD = ErrorSpec(
    36009010,
    "Invalid method. The HTTP method used is not supported by this endpoint.",
    405,
)
INVALID_BODY_FORMAT = ErrorSpec(
    36009022,
    "Invalid request format. The request body format must be `application/json` for structured "
    "data or `multipart/form-data` for binary files.",
    400,
)

# --- token host (auth.tiktok-shops.com) ----------------------------------------------------------
INVALID_AUTH_CODE = ErrorSpec(36004004, "Invalid auth code.")
AUTH_RECORD_NOT_FOUND = ErrorSpec(36004005, "can not find related auth record")
REFRESH_TOKEN_EXPIRED = ErrorSpec(36004001, "rt has expired")
INVALID_APP_CREDENTIALS = ErrorSpec(  # [INF] code for a wrong app_key/app_secret pair
    36009004, "Invalid credentials. Invalid `app_key` or `app_secret` query parameter.", 400
)
INVALID_GRANT_TYPE = ErrorSpec(36009004, "Invalid param. Unsupported `grant_type`.", 400)  # [INF]

# --- product business errors (HTTP 200) ---------------------------------------------------------
PRODUCT_NOT_FOUND = ErrorSpec(12019150, "The product ID does not exist.")
PRODUCT_NOT_IN_SHOP = ErrorSpec(12052034, "This product doesn't belong to this shop")
PRODUCT_INVALID_PARAMS = ErrorSpec(
    12052910, "Invalid input parameters. Refer to the API documentation for details."
)
PAGE_SIZE_INVALID = ErrorSpec(12019109, "page size is invalid")
SELLER_SKUS_LIMIT = ErrorSpec(
    12019027, "The maximum count of \u201cseller_skus\u201d in the search filter is 10."
)
SEARCH_RESULT_LIMIT = ErrorSpec(
    12052180, "The total number of search results can not exceed 10000."
)
INVENTORY_SKU_LIMIT = ErrorSpec(12019015, "The number of SKU exceed the limit")
INVENTORY_PRODUCT_LIMIT = ErrorSpec(
    12019120, "The number of provided product IDs exceeds the limit."
)
SKU_ID_REQUIRED = ErrorSpec(12052036, "The SKU ID is necessary")
SKU_DUPLICATE = ErrorSpec(12052553, "Sku id duplicate")
PRICE_FORMAT = ErrorSpec(12052012, "Incorrect price format")
CURRENCY_NOT_AVAILABLE = ErrorSpec(
    12052084, "The provided currency is not available for this shop/region."
)
# Per-SKU entries of `data.errors[]` in an inventory update answered with code 0.
SKU_NOT_IN_PRODUCT = ErrorSpec(12052557, "The SKU ID does not belong to the product.")
SKU_CHECK_FAILED = ErrorSpec(12052990, "Check failed")
WAREHOUSE_NOT_FOUND = ErrorSpec(12052097, "The warehouse does not exist")
QUANTITY_OUT_OF_RANGE = ErrorSpec(
    12052055, "The SKU inventory quantity for the warehouse must be within allowed limits."
)

# --- order business errors (HTTP 200); no public table for these codes [INF] --------------------
ORDER_INVALID_PARAMS = ErrorSpec(21011001, "Invalid params.")
ORDER_IDS_LIMIT = ErrorSpec(21011001, "Invalid params. The number of `ids` must be 1 to 50.")
PAGE_TOKEN_INVALID = ErrorSpec(21011001, "Invalid params. The `page_token` is invalid.")

# --- event (webhook subscription) errors [INF] --------------------------------------------------
EVENT_INVALID_PARAMS = ErrorSpec(22001001, "Invalid params.")


def new_request_id() -> str:
    """Shaped like the platform's: UTC `YYYYMMDDhhmmss` + 20 upper-case hex digits."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(10).upper()


def envelope(data: Any, *, code: int = 0, message: str = "Success") -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": new_request_id(), "data": data}


def error_envelope(error: TikTokError) -> dict[str, Any]:
    return envelope({}, code=error.code, message=error.message)
