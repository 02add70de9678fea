"""The registry's tables, as SQLAlchemy Core metadata.

The migrations in :mod:`driftline.registry.migrations` create exactly these tables; the
metadata is the single description both the queries and the first migration use. Times are
stored as ISO-8601 UTC strings (sortable, identical on SQLite and PostgreSQL); JSON payloads
as canonical JSON text, so that what the audit trail hashes is what the database holds.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "aliases",
    "approvals",
    "audit_events",
    "datasets",
    "metadata",
    "model_owners",
    "models",
    "profiles",
    "settings",
    "tokens",
    "users",
    "version_tags",
    "versions",
]

metadata = sa.MetaData()

NAME = sa.String(256)
TIME = sa.String(32)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", NAME, nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    # "human", or "trigger": a retraining trigger bound to one model.
    sa.Column("kind", sa.String(16), nullable=False, server_default="human"),
    # No foreign key: models reference users, and a cycle would need ALTER on SQLite.
    sa.Column("trigger_model_id", sa.Integer, nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TIME, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    # SHA-256 of the token, hex: the token itself is never stored.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("expires_at", TIME, nullable=True),
    sa.Column("revoked_at", TIME, nullable=True),
)

models = sa.Table(
    "models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", NAME, nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("suspended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("suspended_reason", sa.Text, nullable=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
)

model_owners = sa.Table(
    "model_owners",
    metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
)

profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("fingerprint", sa.String(128), nullable=True),
    # driftline's own profile serialisation (Profile.to_bytes), never pickle.
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("created_at", TIME, nullable=False),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", NAME, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("fingerprint", sa.String(128), nullable=False),
    sa.Column("schema_json", sa.Text, nullable=False),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("uri", sa.Text, nullable=True),
    sa.Column("profile_id", sa.Integer, sa.ForeignKey("profiles.id"), nullable=True),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_datasets_name_version"),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("artifact_uri", sa.Text, nullable=False),
    sa.Column("checksum", sa.String(200), nullable=False),
    sa.Column("framework", sa.String(64), nullable=True),
    sa.Column("params_json", sa.Text, nullable=False, server_default="{}"),
    sa.Column("metrics_json", sa.Text, nullable=False, server_default="{}"),
    # A copy of the version's tags as canonical JSON, written in the same transaction as
    # version_tags (which the tag search uses): listing reads one row per version.
    sa.Column("tags_json", sa.Text, nullable=False, server_default="{}"),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("suspended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("candidate", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("training_dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=True),
    sa.Column("reference_profile_id", sa.Integer, sa.ForeignKey("profiles.id"), nullable=True),
    sa.Column("parent_version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=True),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("created_at", TIME, nullable=False),
    sa.Column("updated_at", TIME, nullable=False),
    # Optimistic concurrency: every change increments it; an update names the revision it
    # read and is refused when the row has moved on.
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    sa.UniqueConstraint("model_id", "number", name="uq_versions_model_number"),
    # At most one production version per model, enforced by the database itself.
    sa.Index(
        "uq_versions_one_production",
        "model_id",
        unique=True,
        sqlite_where=sa.text("stage = 'production'"),
        postgresql_where=sa.text("stage = 'production'"),
    ),
)

version_tags = sa.Table(
    "version_tags",
    metadata,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
    sa.Column("key", NAME, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index("ix_version_tags_key_value", "key", "value"),
)

aliases = sa.Table(
    "aliases",
    metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), primary_key=True),
    sa.Column("alias", sa.String(64), primary_key=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False),
)

approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False, index=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("decision", sa.String(8), nullable=False),
    # The artifact checksum the decision was made on: a changed artifact voids it.
    sa.Column("checksum", sa.String(200), nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("evidence_json", sa.Text, nullable=True),
    sa.Column("evidence_passed", sa.Boolean, nullable=True),
    sa.Column("created_at", TIME, nullable=False),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    # Assigned by the appender (head + 1) inside the serialised write transaction.
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ts", TIME, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("before_json", sa.Text, nullable=True),
    sa.Column("after_json", sa.Text, nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # Governance reads a version's history (approvals, moves, artifact changes) by target.
    sa.Index("ix_audit_events_target", "target"),
)
