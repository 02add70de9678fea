"""driftline: a monitoring engine for machine-learning models in production.

Mergeable feature profiles, drift statistics, bias and performance metrics computed by a
Rust core over Arrow data, and a governed model registry around them.
"""

from __future__ import annotations

from driftline import exceptions
from driftline._version import __version__
from driftline.fairness import FairnessReport, fairness
from driftline.performance import (
    PerformanceEstimate,
    PerformanceReport,
    estimate_performance,
    performance,
    roc_auc,
)

__all__ = [
    "FairnessReport",
    "PerformanceEstimate",
    "PerformanceReport",
    "__version__",
    "estimate_performance",
    "exceptions",
    "fairness",
    "performance",
    "roc_auc",
]
