"""Imports every command module so that each registers itself on the root app."""

from __future__ import annotations

from driftline.cli import (  # noqa: F401  (registry, audit, validate)
    audit,
    drift,
    registry,
    validate,
)
