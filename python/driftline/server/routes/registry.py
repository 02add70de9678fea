"""The registry's catalog over REST: models, versions, lifecycle, approvals, aliases,
datasets and lineage. Each route calls the caller's own registry session, so the registry
applies its rules (ownership, four-eyes, suspension) on top of the route's permission.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from driftline.server.auth import Permission, Principal, SecuredRoute, current_principal, requires
from driftline.server.limits import INT64_MAX, Int64

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", route_class=SecuredRoute, tags=["registry"])

Who = Annotated[Principal, Depends(current_principal)]
Name = Annotated[str, Path(min_length=1, max_length=256)]
VersionRef = Annotated[
    str, Path(min_length=1, max_length=256, description="A version number or an alias")
]
Text = Annotated[str, Field(max_length=65_536)]
ShortText = Annotated[str, Field(min_length=1, max_length=256)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelIn(_Body):
    """A model to create."""

    name: ShortText
    description: Text = ""


class VersionIn(_Body):
    """A version to register (the artifact by URI and checksum)."""

    artifact_uri: Annotated[str, Field(min_length=1, max_length=4096)]
    checksum: Annotated[str, Field(min_length=1, max_length=256)]
    framework: Annotated[str, Field(max_length=256)] | None = None
    params: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    tags: dict[str, Annotated[str, Field(max_length=4096)]] | None = None
    training_dataset: Annotated[str, Field(max_length=300)] | None = None
    parent: Int64 | None = None


class VersionUpdate(_Body):
    """A change to a version; ``revision`` is the one the caller read."""

    revision: Int64
    artifact_uri: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    checksum: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    params: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    tags: dict[str, Annotated[str, Field(max_length=4096)]] | None = None


class TransitionIn(_Body):
    """A lifecycle move."""

    stage: ShortText
    revision: Int64 | None = None


class PromoteIn(_Body):
    """A promotion to production."""

    revision: Int64 | None = None


class DecisionIn(_Body):
    """An approval or a rejection."""

    decision: Annotated[str, Field(pattern="^(approve|reject)$")] = "approve"
    comment: Text | None = None
    evidence: dict[str, Any] | None = None


class AliasIn(_Body):
    """The version an alias points to."""

    version: Int64


def version_key(ref: str) -> int | str:
    """A path segment as the registry takes it: a number (ASCII digits only: ``int`` also
    reads other scripts' digits, so ``١`` would name version 1), or an alias left as text."""
    return int(ref) if ref.isascii() and ref.isdecimal() and len(ref) < 19 else ref


@router.get("/whoami")
@requires(Permission.READ)
def whoami(who: Who) -> dict[str, Any]:
    """The caller's identity and what it may do at the server's level."""
    user = who.session.whoami().to_dict()
    user["permissions"] = sorted(p.value for p in who.permissions)
    return dict(user)


@router.get("/models")
@requires(Permission.READ)
def list_models(who: Who) -> list[dict[str, Any]]:
    """Every model."""
    return [m.to_dict() for m in who.session.list_models()]


@router.post("/models", status_code=201)
@requires(Permission.CONTRIBUTE)
def create_model(body: ModelIn, who: Who) -> dict[str, Any]:
    """Create a model; the caller becomes its owner."""
    return dict(who.session.create_model(body.name, description=body.description).to_dict())


@router.get("/models/{model}")
@requires(Permission.READ)
def get_model(model: Name, who: Who) -> dict[str, Any]:
    """One model, with its owners, aliases and production version."""
    return dict(who.session.get_model(model).to_dict())


@router.get("/models/{model}/versions")
@requires(Permission.READ)
def list_versions(
    model: Name,
    who: Who,
    stage: Annotated[str | None, Query(max_length=32)] = None,
    tag: Annotated[list[str] | None, Query(max_length=32, description="key=value")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
) -> list[dict[str, Any]]:
    """A model's versions, filtered by stage and tags."""
    tags = dict(t.partition("=")[::2] for t in tag) if tag else None
    found = who.session.list_versions(model, stage=stage, tags=tags, limit=limit, offset=offset)
    return [v.to_dict() for v in found]


@router.post("/models/{model}/versions", status_code=201)
@requires(Permission.CONTRIBUTE)
def register_version(model: Name, body: VersionIn, who: Who) -> dict[str, Any]:
    """Register a version in development (the artifact is named, never fetched)."""
    version = who.session.register_version(
        model,
        artifact_uri=body.artifact_uri,
        checksum=body.checksum,
        framework=body.framework,
        params=body.params,
        metrics=body.metrics,
        tags=body.tags,
        training_dataset=body.training_dataset,
        parent=body.parent,
    )
    return dict(version.to_dict())


@router.get("/models/{model}/versions/{version}")
@requires(Permission.READ)
def get_version(model: Name, version: VersionRef, who: Who) -> dict[str, Any]:
    """One version (by number or alias)."""
    return dict(who.session.get_version(model, version_key(version)).to_dict())


@router.patch("/models/{model}/versions/{version}")
@requires(Permission.CONTRIBUTE)
def update_version(
    model: Name, version: VersionRef, body: VersionUpdate, who: Who
) -> dict[str, Any]:
    """Change a version; a stale ``revision`` answers 409."""
    changes = body.model_dump(exclude_none=True, exclude={"revision"})
    updated = who.session.update_version(
        model, version_key(version), revision=body.revision, **changes
    )
    return dict(updated.to_dict())


@router.post("/models/{model}/versions/{version}/transition")
@requires(Permission.CONTRIBUTE)
def transition(model: Name, version: VersionRef, body: TransitionIn, who: Who) -> dict[str, Any]:
    """Move a version along its lifecycle (the registry checks role and approvals)."""
    moved = who.session.transition(model, version_key(version), body.stage, revision=body.revision)
    return dict(moved.to_dict())


@router.post("/models/{model}/versions/{version}/promote")
@requires(Permission.APPROVE)
def promote(model: Name, version: VersionRef, body: PromoteIn, who: Who) -> dict[str, Any]:
    """Promote a version to production (archives the previous one)."""
    return dict(who.session.promote(model, version_key(version), revision=body.revision).to_dict())


@router.get("/models/{model}/versions/{version}/approvals")
@requires(Permission.READ)
def approvals(model: Name, version: VersionRef, who: Who) -> list[dict[str, Any]]:
    """Approvals and rejections of a version, each marked valid or void."""
    return [a.to_dict() for a in who.session.approvals(model, version_key(version))]


@router.post("/models/{model}/versions/{version}/approvals", status_code=201)
@requires(Permission.APPROVE)
def decide(model: Name, version: VersionRef, body: DecisionIn, who: Who) -> dict[str, Any]:
    """Approve or reject a version (never one the caller created: four-eyes)."""
    decide_fn = who.session.approve if body.decision == "approve" else who.session.reject
    return dict(
        decide_fn(
            model, version_key(version), comment=body.comment, evidence=body.evidence
        ).to_dict()
    )


@router.get("/models/{model}/versions/{version}/lineage")
@requires(Permission.READ)
def lineage(model: Name, version: VersionRef, who: Who) -> list[dict[str, Any]]:
    """The chain of parents with their training datasets and reference profiles."""
    return [n.to_dict() for n in who.session.lineage(model, version_key(version))]


@router.put("/models/{model}/aliases/{alias}")
@requires(Permission.CONTRIBUTE)
def set_alias(model: Name, alias: Name, body: AliasIn, who: Who) -> dict[str, Any]:
    """Point an alias at a version."""
    who.session.set_alias(model, alias, body.version)
    return {"model": model, "alias": alias, "version": body.version}


@router.delete("/models/{model}/aliases/{alias}", status_code=204)
@requires(Permission.CONTRIBUTE)
def remove_alias(model: Name, alias: Name, who: Who) -> None:
    """Remove an alias."""
    who.session.remove_alias(model, alias)


@router.get("/datasets")
@requires(Permission.READ)
def list_datasets(
    who: Who, name: Annotated[str | None, Query(max_length=256)] = None
) -> list[dict[str, Any]]:
    """Registered dataset versions (of one name, or all)."""
    return [d.to_dict() for d in who.session.list_datasets(name)]


@router.get("/datasets/{ref}")
@requires(Permission.READ)
def get_dataset(ref: Annotated[str, Path(min_length=1, max_length=300)], who: Who) -> Any:
    """One dataset version (``name`` for the latest, ``name@3``)."""
    return who.session.get_dataset(ref).to_dict()
