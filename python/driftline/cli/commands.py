"""Imports every command module so that each registers itself on the root app."""

from __future__ import annotations

from driftline.cli import (  # noqa: F401  (each module registers its commands on import)
    audit,
    demo,
    drift,
    profile_cmd,
    registry,
    serve,
    triggers,
    validate,
    watch,
)
