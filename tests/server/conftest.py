"""Fixtures of the server tests (helpers in ``server_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_helpers import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The standard world; the registry is closed afterwards."""
    w = make_world(tmp_path)
    with w.client:
        yield w
    w.registry.close()
