"""Index the audit trail by target: approvals and moves read a version's events by it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database created at 0001 by this version of driftline already has the index
    # (0001 creates the current tables); one created by an older version does not.
    op.execute("CREATE INDEX IF NOT EXISTS ix_audit_events_target ON audit_events (target)")


def downgrade() -> None:
    raise NotImplementedError("the registry schema is not downgraded: restore a backup")
