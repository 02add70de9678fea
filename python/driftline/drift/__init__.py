"""Drift detection: :func:`compare`, its report, methods, calibration and corrections.

See :mod:`driftline.drift.methods` for the default method per column,
:mod:`driftline.drift.effect` for practical significance,
:mod:`driftline.drift.correction` for the correction across columns and
:mod:`driftline.drift.calibration` for thresholds calibrated on the reference.
"""

from __future__ import annotations

from driftline.drift.calibration import Calibration, calibrate
from driftline.drift.classifier import DomainClassifierResult
from driftline.drift.compare import compare
from driftline.drift.custom import register
from driftline.drift.report import DriftReport, FeatureDrift, SchemaChange

__all__ = [
    "Calibration",
    "DomainClassifierResult",
    "DriftReport",
    "FeatureDrift",
    "SchemaChange",
    "calibrate",
    "compare",
    "register",
]

# `dl.stats.register` is the documented entry point; the statistics module is another
# engineer's file, so the function is attached from here.
from driftline import stats as _stats

if not hasattr(_stats, "register"):
    _stats.register = register  # type: ignore[attr-defined]
