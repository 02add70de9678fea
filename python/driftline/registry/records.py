"""The plain, frozen records the registry returns."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any

__all__ = [
    "Approval",
    "AuditEvent",
    "Dataset",
    "LineageNode",
    "Model",
    "ModelVersion",
    "TokenInfo",
    "User",
]


class _Record:
    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict."""
        return asdict(self)  # type: ignore[call-overload, no-any-return]


@dataclass(frozen=True)
class User(_Record):
    """A registry identity: a person, or a retraining trigger bound to one model."""

    id: int
    name: str
    role: str
    kind: str
    disabled: bool
    created_at: str
    trigger_model: str | None = None


@dataclass(frozen=True)
class TokenInfo(_Record):
    """What the registry knows of a token: never the token itself."""

    id: str
    user: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        """Not revoked (expiry is checked against the clock at each call)."""
        return self.revoked_at is None


@dataclass(frozen=True)
class Model(_Record):
    """A registered model."""

    id: int
    name: str
    description: str
    created_by: str
    created_at: str
    suspended: bool
    suspended_reason: str | None
    owners: tuple[str, ...]
    aliases: dict[str, int] = field(default_factory=dict)
    production_version: int | None = None


@dataclass(frozen=True)
class ModelVersion(_Record):
    """One version of a model. ``revision`` is what a later update must name.

    ``params``, ``metrics`` and ``tags`` are decoded from their stored JSON on first
    access, so listing thousands of versions costs no more than the rows themselves.
    """

    model: str
    version: int
    stage: str
    artifact_uri: str
    checksum: str
    framework: str | None
    suspended: bool
    candidate: bool
    created_by: str
    created_at: str
    updated_at: str
    revision: int
    training_dataset: str | None = None
    parent_version: int | None = None
    has_reference_profile: bool = False
    params_json: str = field(default="{}", repr=False)
    metrics_json: str = field(default="{}", repr=False)
    tags_json: str = field(default="{}", repr=False)

    @cached_property
    def params(self) -> dict[str, Any]:
        """Training parameters."""
        return json.loads(self.params_json)  # type: ignore[no-any-return]

    @cached_property
    def metrics(self) -> dict[str, Any]:
        """Evaluation metrics."""
        return json.loads(self.metrics_json)  # type: ignore[no-any-return]

    @cached_property
    def tags(self) -> dict[str, str]:
        """Tags (name to value)."""
        return json.loads(self.tags_json)  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        """The version as a JSON-ready dict (params, metrics and tags decoded)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.endswith("_json")}
        out.update(params=self.params, metrics=self.metrics, tags=self.tags)
        return out


@dataclass(frozen=True)
class Dataset(_Record):
    """A registered dataset version: its fingerprint, schema, size and profile."""

    id: int
    name: str
    version: int
    fingerprint: str
    schema: list[tuple[str, str]]
    row_count: int
    uri: str | None
    created_by: str
    created_at: str
    has_profile: bool

    @property
    def ref(self) -> str:
        """``name@version``, the form other calls accept."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Approval(_Record):
    """An approval or rejection, tied to the artifact checksum it was given on."""

    model: str
    version: int
    approver: str
    decision: str
    checksum: str
    comment: str | None
    evidence: dict[str, Any] | None
    evidence_passed: bool | None
    created_at: str
    valid: bool


@dataclass(frozen=True)
class AuditEvent(_Record):
    """One link of the audit chain."""

    seq: int
    ts: str
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class LineageNode(_Record):
    """One version in a lineage chain with its training data and reference profile."""

    model: str
    version: int
    stage: str
    checksum: str
    training_dataset: Dataset | None
    reference_profile_sha256: str | None
    parent_version: int | None
