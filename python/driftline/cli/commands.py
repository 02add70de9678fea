"""Imports every command module so that each registers itself on the root app."""

from __future__ import annotations

from driftline.cli import demo, profile_cmd

__all__ = ["demo", "profile_cmd"]
