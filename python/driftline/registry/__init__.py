"""The governed model registry: versions, lifecycle, approvals, access control, datasets,
lineage and a tamper-evident audit trail, in SQLite or PostgreSQL.

Start with :class:`Registry`; see ``docs/registry.md``.
"""

from __future__ import annotations

from driftline.registry.audit import Audit, AuditVerification
from driftline.registry.auth import ROLES
from driftline.registry.catalog import VersionSpec
from driftline.registry.checkpoint import Checkpoint, generate_key, read_checkpoint
from driftline.registry.lifecycle import STAGES
from driftline.registry.records import (
    Approval,
    AuditEvent,
    Dataset,
    LineageNode,
    Model,
    ModelVersion,
    TokenInfo,
    User,
)
from driftline.registry.registry import Registry
from driftline.registry.session import Session

__all__ = [
    "ROLES",
    "STAGES",
    "Approval",
    "Audit",
    "AuditEvent",
    "AuditVerification",
    "Checkpoint",
    "Dataset",
    "LineageNode",
    "Model",
    "ModelVersion",
    "Registry",
    "Session",
    "TokenInfo",
    "User",
    "VersionSpec",
    "generate_key",
    "read_checkpoint",
]
