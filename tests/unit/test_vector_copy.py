"""The vendored copy of the signing vectors matches the shared original."""

from __future__ import annotations

import json

import pytest

from tests.vectors import COPY, SHARED


def test_vector_copy_is_current() -> None:
    if not SHARED.exists():
        pytest.skip("shared/ is not beside the repository")
    assert json.loads(COPY.read_text()) == json.loads(SHARED.read_text())
