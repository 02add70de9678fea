"""Automated retraining: what a trigger runs, up to a candidate awaiting approval.

:class:`RetrainingPipeline` validates the new data, calls the training function, checks
the candidate against gates on a holdout, registers it with its lineage and asks for
approval; it never promotes. See ``docs/retraining.md``.
"""

from __future__ import annotations

from driftline.retraining.gates import (
    Evaluation,
    FairnessGate,
    Gate,
    GateResult,
    MetricGate,
    PerformanceGate,
)
from driftline.retraining.pipeline import RetrainingPipeline
from driftline.retraining.run import STEPS, RetrainingRun, StepResult, TrainedModel, TrainingJob

__all__ = [
    "STEPS",
    "Evaluation",
    "FairnessGate",
    "Gate",
    "GateResult",
    "MetricGate",
    "PerformanceGate",
    "RetrainingPipeline",
    "RetrainingRun",
    "StepResult",
    "TrainedModel",
    "TrainingJob",
]
