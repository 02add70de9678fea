"""A separate holdout is checked at load for every column the evaluation reads."""

from __future__ import annotations

import pytest
from retraining_helpers import MODEL, World


@pytest.mark.parametrize(
    ("column", "role"),
    [("y", "label"), ("group", "sensitive column"), ("x1", "feature")],
)
def test_holdout_without_a_configured_column_stops_at_load(
    world: World, column: str, role: str
) -> None:
    holdout = world.data.slice(0, 400).drop_columns([column])
    run = world.pipeline(holdout=holdout).run(delivery_id=f"msg_holdout_{column}")
    assert run.status == "stopped" and run.stopped_at == "load", run.summary()
    assert run.reason == f"load: columns missing from the holdout: {role} {column!r}"
    assert run.steps["load"].detail == {"missing": [f"{role} {column!r}"]}
    # Stopped before training: nothing was trained, nothing written to the catalogue.
    assert world.calls == []
    assert [s.status for s in run.steps.values()][1:] == ["skipped"] * 5
    assert [v.version for v in world.carol.list_versions(MODEL)] == [1]
    assert [d.ref for d in world.carol.list_datasets()] == ["clf-training@1"]


def test_default_features_must_all_be_in_the_holdout(world: World) -> None:
    # Without features=, the model is trained on every other column of the data (here
    # "extra" too), so the holdout needs it to be scored.
    data = world.data.append_column("extra", world.data.column("x0"))
    run = world.pipeline(data=data, features=None, holdout=world.data.slice(0, 400)).run(
        delivery_id="msg_holdout_extra"
    )
    assert run.stopped_at == "load"
    assert run.reason == "load: columns missing from the holdout: feature 'extra'"
    assert world.calls == []


def test_a_holdout_with_every_column_still_runs(world: World) -> None:
    holdout = world.data.slice(0, 400).select(["y", "group", "x2", "x1", "x0"])
    run = world.pipeline(holdout=holdout).run(delivery_id="msg_holdout_ok")
    assert run.status == "awaiting_approval", run.summary()
    assert run.evaluation.rows == 400


def test_missing_columns_of_the_data_name_their_role(world: World) -> None:
    run = world.pipeline(data=world.data.drop_columns(["y", "x2"])).run(delivery_id="msg_data")
    assert run.reason == "load: columns missing from the data: label 'y', feature 'x2'"
