"""Imports every command module so that each registers itself on the root app."""

from __future__ import annotations

from driftline.cli import audit, registry, validate  # noqa: F401  (registry, audit, validate)
from driftline.cli import drift  # noqa: F401
from driftline.cli import serve  # noqa: F401
