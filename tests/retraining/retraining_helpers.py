"""Helpers of the retraining tests: data, a training function, the world they run in."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.linear_model import LogisticRegression

import driftline as dl
from driftline.retraining import TrainedModel, TrainingJob

MODEL = "clf"
FEATURES = ["x0", "x1", "x2"]


def make_data(rng: np.random.Generator, n: int, *, noise: float = 0.1) -> pa.Table:
    """Binary labels from a linear rule of three features, a sensitive group column."""
    X = rng.normal(size=(n, 3))
    logit = 2.0 * X[:, 0] - 1.5 * X[:, 1] + 0.5 * X[:, 2]
    y = (logit + rng.normal(scale=noise * 4, size=n) > 0).astype(np.int64)
    group = rng.choice(["a", "b"], n)
    return pa.table({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "group": group, "y": y})


def save_json_model(est: LogisticRegression, folder: Path) -> Path:
    """The model's coefficients as JSON: an artifact nobody needs to unpickle."""
    path = folder / "model.json"
    body = {"coef": est.coef_.tolist(), "intercept": est.intercept_.tolist()}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def fit(job: TrainingJob, *, shuffle_labels: bool = False) -> TrainedModel:
    y = job.y
    if shuffle_labels:
        y = np.random.default_rng(0).permutation(y)
    est = LogisticRegression().fit(job.X, y)
    path = save_json_model(est, job.artifact_dir)
    return TrainedModel(model=est, artifact=path, framework="sklearn", params={"C": 1.0})


@dataclass
class World:
    """The registry, its people, the production model and a pipeline factory."""

    reg: dl.Registry
    admin: Any
    carol: Any
    alice: Any
    trigger: Any
    production: LogisticRegression
    data: pa.Table
    tmp: Path
    calls: list[str]

    def pipeline(self, **options: Any) -> dl.RetrainingPipeline:
        train: Callable[[TrainingJob], TrainedModel] = options.pop("train", self.train)
        defaults: dict[str, Any] = {
            "model": MODEL,
            "train": train,
            "registry": self.trigger,
            "data": self.data,
            "label": "y",
            "features": FEATURES,
            "sensitive": "group",
            "rules": [dl.validation.NotNull("x0"), dl.validation.Range("x1", min=-10, max=10)],
            "gates": [
                dl.retraining.PerformanceGate("auc", max_drop=0.02),
                dl.retraining.FairnessGate("disparate_impact", minimum=0.8),
            ],
            "baseline": self.production,
            "artifacts": self.tmp / "artifacts",
        }
        defaults.update(options)
        return dl.RetrainingPipeline(**defaults)

    def train(self, job: TrainingJob) -> TrainedModel:
        self.calls.append(job.run_id)
        return fit(job)

    def events(self, action: str | None = None) -> list[Any]:
        return [e for e in self.reg.audit.events() if action is None or e.action == action]
