"""Imports every command module so that each registers itself on the root app."""

from __future__ import annotations

from driftline.cli import (  # noqa: F401  (each module registers its commands)
    audit,
    demo,
    drift,
    profile_cmd,
    registry,
    triggers,
    validate,
    watch,
)
