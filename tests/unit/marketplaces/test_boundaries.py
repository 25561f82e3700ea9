"""Vendor words stay inside their platform package; the packages stay apart.

CONTRIBUTING.md#layout (marketplaces/ and the dependency rules): "vendor field names live only here"
and "Shopee and TikTok never import each other". Scanning source text is crude but catches the leak
that matters: a feature branching on a vendor field or code instead of on the taxonomy and the
neutral dataclasses.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "storesync"
MARKETPLACES = SRC / "marketplaces"
PLATFORM_DIRS = {"shopee": MARKETPLACES / "shopee", "tiktok": MARKETPLACES / "tiktok"}

# Field names, paths and codes only one platform uses (whole words; `shopee_partner_key` in
# the settings is a setting's name, not the vendor field, and does not match).
VENDOR_WORDS = [
    # Shopee
    "seller_stock", "shopee_stock", "stock_info_v2", "order_sn", "ordersn", "order_sn_list",
    "partner_key", "partner_id", "item_id_list", "model_quantity_purchased", "failure_list",
    "error_rate_limit", "error_auth", "error_sign", "invalid_acceess_token", "get_item_list",
    "get_lost_push_message", "msg_id", "/api/v2/",
    # TikTok
    "shop_cipher", "tts_notification_id", "x-tts-access-token", "total_committed_quantity",
    "next_page_token", "page_token", "line_items", "app_secret", "/202309/",
    "36009002", "36009004", "105002", "106001", "105005", "36004005",
]  # fmt: skip
PATTERN = re.compile(
    "|".join(
        rf"(?<![\w-]){re.escape(w)}(?![\w-])" if w[0] != "/" else re.escape(w) for w in VENDOR_WORDS
    )
)
# The composition root builds the app configs, so it names their credential fields. That is
# configuration, not vendor payload: allowed there and nowhere else.
COMPOSITION_ROOT = {"bootstrap.py", "config.py"}
CREDENTIAL_WORDS = {"partner_id", "partner_key", "app_secret"}


def _outside_platform_packages() -> list[Path]:
    files = []
    for path in sorted(SRC.rglob("*.py")):
        if any(path.is_relative_to(d) for d in PLATFORM_DIRS.values()):
            continue
        files.append(path)
    return files


def test_the_scan_sees_the_tree() -> None:
    names = {p.name for p in _outside_platform_packages()}
    assert {"base.py", "http.py", "registry.py"} <= names


def test_the_pattern_does_find_vendor_words() -> None:
    assert PATTERN.search('body["seller_stock"] = 1')
    assert PATTERN.search("if code == 105002:")
    assert PATTERN.search("GET /order/202309/orders")
    assert not PATTERN.search("shopee_partner_key: str = ...")
    assert not PATTERN.search("tiktok_app_secret: str")


@pytest.mark.parametrize(
    "path", _outside_platform_packages(), ids=lambda p: str(p.relative_to(SRC))
)
def test_no_vendor_word_outside_its_platform_package(path: Path) -> None:
    hits = [
        f"{path.relative_to(SRC)}:{n}: {m.group(0)}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for m in PATTERN.finditer(line)
        if not (path.name in COMPOSITION_ROOT and m.group(0) in CREDENTIAL_WORDS)
    ]
    assert hits == []


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(("platform", "other"), [("shopee", "tiktok"), ("tiktok", "shopee")])
def test_platform_packages_do_not_import_each_other(platform: str, other: str) -> None:
    for path in PLATFORM_DIRS[platform].rglob("*.py"):
        bad = {m for m in _imports(path) if m.startswith(f"storesync.marketplaces.{other}")}
        assert bad == set(), f"{path.name} imports {bad}"


ALLOWED_STORESYNC = (
    "storesync.domain",
    "storesync.errors",
    "storesync.observability",
    "storesync.marketplaces",
)


def test_marketplaces_import_only_domain_errors_observability_and_themselves() -> None:
    for path in MARKETPLACES.rglob("*.py"):
        for module in _imports(path):
            if module.startswith("storesync") and not module.startswith(ALLOWED_STORESYNC):
                pytest.fail(f"{path.relative_to(SRC)} imports {module}")
            assert not module.startswith("marketsim"), path


def test_the_neutral_layer_imports_no_platform_package() -> None:
    for path in MARKETPLACES.glob("*.py"):
        if path.name == "registry.py":
            continue  # the one place that names both
        bad = {
            m
            for m in _imports(path)
            if m.startswith(("storesync.marketplaces.shopee", "storesync.marketplaces.tiktok"))
        }
        assert bad == set(), f"{path.name} imports {bad}"
