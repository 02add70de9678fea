"""What a retraining run produces: the training job, the trained candidate, and the run
record with one outcome per step."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["STEPS", "RetrainingRun", "StepResult", "TrainedModel", "TrainingJob"]

#: The steps of a run, in order. Each is a public method of the pipeline.
STEPS = ("load", "validate", "train", "evaluate", "register", "request_approval")


@dataclass(frozen=True)
class TrainedModel:
    """What the training function returns: the fitted model and its stored artifact.

    Parameters
    ----------
    model
        The fitted model, used in memory to score the holdout (``predict``, and
        ``predict_proba`` for a score). It is never serialised by driftline.
    artifact
        Where the training function saved the model: a :class:`pathlib.Path` to a local
        file (hashed, stored as a ``file://`` URI) or a URI string with ``checksum``,
        exactly as :meth:`Session.register_version` takes them.
    checksum
        ``sha256:<hex>``; required for a URI string.
    framework, params, metrics
        Recorded on the registered version (``metrics`` are merged under the holdout
        metrics, which win on a name clash).

    Examples
    --------
    >>> TrainedModel(model=None, artifact="s3://models/m/7", checksum="sha256:" + "0" * 64)
    TrainedModel(artifact='s3://models/m/7', framework=None)
    """

    model: Any
    artifact: Path | str
    checksum: str | None = None
    framework: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"TrainedModel(artifact={str(self.artifact)!r}, framework={self.framework!r})"


@dataclass(frozen=True)
class TrainingJob:
    """What the training function receives.

    Attributes
    ----------
    data
        The training rows (a ``pyarrow.Table``: features, label and any other column).
    features, label
        Column names.
    run_id, delivery_id, trigger
        Identify the run and what caused it (the trigger payload, or None).
    """

    data: Any
    features: list[str]
    label: str
    run_id: str
    delivery_id: str
    trigger: dict[str, Any] | None
    artifacts: Path | None = None

    @property
    def X(self) -> Any:  # noqa: N802 - the conventional name
        """The features as a 2-D float numpy array (columns in ``features`` order)."""
        import numpy as np

        return np.column_stack(
            [self.data.column(c).to_numpy(zero_copy_only=False) for c in self.features]
        )

    @property
    def y(self) -> Any:
        """The label column as a numpy array."""
        return self.data.column(self.label).to_numpy(zero_copy_only=False)

    @property
    def artifact_dir(self) -> Path:
        """A folder of this run for the model's artifact (``<artifacts>/<run_id>``)."""
        if self.artifacts is None:
            raise ValueError("the pipeline has no artifacts= folder to save the model in")
        path = self.artifacts / self.run_id
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass
class StepResult:
    """The outcome of one step.

    ``status`` is ``pending``, ``passed``, ``failed`` (a verdict: bad data, a failing
    gate), ``error`` (an exception), or ``skipped`` (the run stopped earlier, or an
    earlier delivery already did it).
    """

    step: str
    status: str = "pending"
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "step": self.step,
            "status": self.status,
            "message": self.message,
            "detail": self.detail,
            "seconds": self.seconds,
        }


@dataclass
class RetrainingRun:
    """One run of a :class:`~driftline.retraining.RetrainingPipeline`.

    ``status``: ``running``; ``awaiting_approval`` (a candidate version was registered and
    its approval requested); ``stopped`` (a verdict stopped it: bad data, a failing gate);
    ``failed`` (a step raised); ``duplicate`` (this delivery id already finished: nothing
    was done); ``suppressed`` (the model is suspended: nothing was done).
    """

    run_id: str
    model: str
    delivery_id: str
    trigger: dict[str, Any] | None
    status: str = "running"
    reason: str | None = None
    steps: dict[str, StepResult] = field(default_factory=lambda: {s: StepResult(s) for s in STEPS})
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    features: list[str] = field(default_factory=list)
    data: Any = None
    train_data: Any = None
    holdout: Any = None
    data_uri: str | None = None
    validation: Any = None
    candidate: TrainedModel | None = None
    evaluation: Any = None
    gates: list[Any] = field(default_factory=list)
    parent: int | None = None
    dataset: Any = None
    version: Any = None
    previous: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        """Whether the run reached an end (any status but ``running``)."""
        return self.status != "running"

    @property
    def ok(self) -> bool:
        """A candidate awaits approval (now, or from an earlier delivery of this id)."""
        if self.status == "duplicate":
            return (self.previous or {}).get("status") == "awaiting_approval"
        return self.status == "awaiting_approval"

    @property
    def stopped_at(self) -> str | None:
        """The step that stopped or failed the run."""
        for s in self.steps.values():
            if s.status in ("failed", "error"):
                return s.step
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the data and the model object are left out)."""
        return {
            "run_id": self.run_id,
            "model": self.model,
            "delivery_id": self.delivery_id,
            "trigger": self.trigger,
            "status": self.status,
            "reason": self.reason,
            "steps": [s.to_dict() for s in self.steps.values()],
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "validation": None if self.validation is None else self.validation.to_dict(),
            "evaluation": None if self.evaluation is None else self.evaluation.to_dict(),
            "gates": [g.to_dict() for g in self.gates],
            "parent": self.parent,
            "dataset": None if self.dataset is None else self.dataset.ref,
            "version": None if self.version is None else self.version.version,
            "previous": self.previous,
        }

    def summary(self) -> str:
        """One line per step."""
        head = f"retraining {self.model} ({self.run_id}): {self.status}"
        if self.reason:
            head += f" - {self.reason}"
        lines = [head]
        for s in self.steps.values():
            lines.append(f"  [{s.status}] {s.step}" + (f": {s.message}" if s.message else ""))
        return "\n".join(lines)
