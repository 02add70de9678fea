"""The register step writes nothing to the catalogue unless the candidate can be registered."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from retraining_helpers import MODEL, World, fit

from driftline.retraining import TrainedModel, TrainingJob


def catalogue(world: World) -> tuple[list[str], list[int], int]:
    """What a reader of the registry sees: dataset refs, version numbers, and the number
    of audited dataset registrations."""
    return (
        [d.ref for d in world.carol.list_datasets()],
        [v.version for v in world.carol.list_versions(MODEL)],
        len(world.events("dataset.register")),
    )


def _missing_file(job: TrainingJob, model: TrainedModel) -> dict[str, Any]:
    return {"artifact": job.artifact_dir / "missing.bin"}


def _wrong_checksum(job: TrainingJob, model: TrainedModel) -> dict[str, Any]:
    return {"checksum": "sha256:" + hashlib.sha256(b"something else").hexdigest()}


def _uri_without_checksum(job: TrainingJob, model: TrainedModel) -> dict[str, Any]:
    return {"artifact": "s3://models/clf/candidate"}


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (_missing_file, "missing.bin is not a file"),
        (_wrong_checksum, "does not match checksum"),
        (_uri_without_checksum, "checksum is required"),
    ],
)
def test_a_bad_artifact_fails_register_without_writing_the_dataset(
    world: World,
    broken: Callable[[TrainingJob, TrainedModel], dict[str, Any]],
    message: str,
) -> None:
    def train(job: TrainingJob) -> TrainedModel:
        good = fit(job)
        fields = {
            "model": good.model,
            "artifact": good.artifact,
            "framework": good.framework,
            **broken(job, good),
        }
        return TrainedModel(**fields)

    before = catalogue(world)
    run = world.pipeline(train=train).run(delivery_id="msg_bad_artifact")
    assert run.status == "failed" and run.stopped_at == "register", run.summary()
    assert message in (run.reason or "")
    assert run.dataset is None and run.version is None
    assert catalogue(world) == before
    assert world.reg.audit.verify().ok

    # The dead letter's replay with a fixed training function registers both, once.
    again = world.pipeline().run(delivery_id="msg_bad_artifact")
    assert again.status == "awaiting_approval", again.summary()
    datasets, numbers, registrations = catalogue(world)
    assert datasets == [*before[0], "clf-training@2"]
    assert numbers == [1, 2] and registrations == before[2] + 1
    node, _ = world.carol.lineage(MODEL, 2)
    assert node.training_dataset is not None and node.training_dataset.ref == "clf-training@2"


def test_a_trigger_of_another_model_fails_register_without_writing(world: World) -> None:
    world.carol.create_model("other")
    other = world.reg.session(world.admin.create_trigger("other", "other-retrainer"))
    before = catalogue(world)
    run = world.pipeline(registry=other).run(delivery_id="msg_other_trigger")
    assert run.status == "failed" and run.stopped_at == "register", run.summary()
    assert "bound to model 'other', not 'clf'" in (run.reason or "")
    assert catalogue(world) == before


def test_a_version_refused_by_the_registry_leaves_only_the_dataset(world: World) -> None:
    # docs/retraining.md: a person's session that may register datasets but not versions
    # of the model is refused inside the registry's version transaction, after the dataset
    # was written; that dataset version stays, and registering the same data reuses it.
    dave = world.reg.session(world.admin.create_user("dave", role="contributor"))
    datasets, numbers, registrations = catalogue(world)
    for _ in range(2):
        run = world.pipeline(registry=dave).run(delivery_id="msg_dave")
        assert run.status == "failed" and run.stopped_at == "register", run.summary()
        assert "PermissionDenied" in (run.reason or "")
        assert catalogue(world) == ([*datasets, "clf-training@2"], numbers, registrations + 1)
