"""Shared fixtures of the test-suite."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every test sees the same random data on every run."""
    return np.random.default_rng(20261127)
