"""Output columns are the candidate's own: a prediction or score column already in the
holdout is never credited to a model, and the label (or an output column) can never be
a feature."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from retraining_helpers import FEATURES, MODEL, World, save_json_model
from sklearn.metrics import accuracy_score

from driftline.exceptions import InvalidParameter
from driftline.retraining import PerformanceGate, TrainedModel, TrainingJob


class Constant:
    """A broken candidate: always predicts 0, and has no predict_proba."""

    def predict(self, X: Any) -> np.ndarray:
        return np.zeros(len(X), dtype=np.int64)


def test_stale_score_column_is_not_credited_to_the_candidate(world: World) -> None:
    data = world.data
    x0 = data.column("x0").to_numpy()
    # Production's scores logged with the data: a near-perfect AUC on this label.
    data = data.append_column("score", pa.array(1 / (1 + np.exp(-5 * x0))))
    data = data.append_column("prediction", pa.array((x0 > 0).astype(np.int64)))

    def train(job: TrainingJob) -> TrainedModel:
        assert "score" not in job.features and "prediction" not in job.features
        from sklearn.linear_model import LogisticRegression

        path = save_json_model(LogisticRegression().fit(job.X, job.y), job.artifact_dir)
        return TrainedModel(model=Constant(), artifact=path)

    run = world.pipeline(
        data=data, train=train, baseline=None, gates=[PerformanceGate("auc", minimum=0.9)]
    ).run(delivery_id="msg_stale_score")
    assert run.status == "stopped" and run.stopped_at == "evaluate", run.summary()
    assert run.evaluation.candidate.get("roc_auc") is None
    # The candidate's own predictions are scored, not production's.
    y = run.holdout.column("y").to_numpy()
    expected = accuracy_score(y, np.zeros(len(y), dtype=np.int64))
    assert run.evaluation.candidate["accuracy"] == pytest.approx(expected)
    assert [v.version for v in world.carol.list_versions(MODEL)] == [1]


def test_stale_score_column_not_credited_to_the_baseline(world: World) -> None:
    x0 = world.data.column("x0").to_numpy()
    data = world.data.append_column("score", pa.array(1 / (1 + np.exp(-5 * x0))))
    run = world.pipeline(data=data, baseline=Constant(), gates=[]).run(delivery_id="msg_base")
    assert run.evaluation.baseline is not None
    assert run.evaluation.baseline.get("roc_auc") is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"features": [*FEATURES, "y"]}, "the label 'y' is listed among the features"),
        ({"features": [*FEATURES, "score"]}, "feature 'score' is also the score column"),
        (
            {"features": [*FEATURES, "p"], "prediction": "p"},
            "feature 'p' is also the prediction column",
        ),
        ({"prediction": "y"}, "the label 'y' is also the prediction column"),
        ({"score": "y"}, "the label 'y' is also the score column"),
        ({"prediction": "out", "score": "out"}, "prediction and score are both named 'out'"),
        ({"sensitive": "score"}, "sensitive column 'score' is also the score column"),
    ],
)
def test_column_roles_refused(world: World, options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        world.pipeline(**options)
    assert world.calls == []
