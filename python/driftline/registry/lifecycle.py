"""Lifecycle stages and the transitions allowed between them.

::

    development -> staging -> production -> archived -> retired
         ^            |                        |
         +------------+                        +-> staging (re-promotion needs approval)

Promotion to production needs the configured number of approvals on the current artifact
checksum; the previous production version is archived in the same transaction.
"""

from __future__ import annotations

from driftline.exceptions import ConflictError, InvalidParameter

__all__ = ["STAGES", "TRANSITIONS", "check_stage", "check_transition"]

STAGES = ("development", "staging", "production", "archived", "retired")

TRANSITIONS: dict[str, frozenset[str]] = {
    "development": frozenset({"staging", "archived"}),
    "staging": frozenset({"production", "development", "archived"}),
    "production": frozenset({"archived"}),
    "archived": frozenset({"staging", "retired"}),
    "retired": frozenset(),
}


def check_stage(stage: object) -> str:
    """Return ``stage`` if it is one of :data:`STAGES`."""
    if stage not in STAGES:
        raise InvalidParameter(f"stage must be one of {', '.join(STAGES)}; got {stage!r}")
    return str(stage)


def check_transition(current: str, target: str) -> None:
    """Raise ConflictError unless ``current -> target`` is allowed."""
    check_stage(target)
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final stage)"
        raise ConflictError(f"illegal transition {current} -> {target}; from {current}: {allowed}")
