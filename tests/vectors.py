"""The platforms' signing test vectors (`tests/fixtures/vectors.json`; provenance in
docs/platforms/shopee.md#test-vectors and docs/platforms/tiktok.md#test-vectors).

Read from the shared folder beside the repository when it is there, else from the copy in
tests/fixtures (so a clone without shared/ still tests signing); `test_vector_copy_is_current`
keeps the copy honest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "platforms" / "vectors.json"
COPY = Path(__file__).resolve().parent / "fixtures" / "vectors.json"
VECTORS_PATH = SHARED if SHARED.exists() else COPY


def load_vectors(platform: str | None = None) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text())["vectors"]
    return [v for v in vectors if platform is None or v["platform"] == platform]
