"""driftline: a monitoring engine for machine-learning models in production.

Mergeable feature profiles, drift statistics, bias and performance metrics computed by a
Rust core over Arrow data, and a governed model registry around them.

The registry and validation rules are pure Python: they import and open a database even
where the native module cannot load; the computing functions need it.
"""

from __future__ import annotations

from typing import Any

from driftline import actions, exceptions, policies, retraining
from driftline._version import __version__
from driftline.registry import Registry
from driftline.retraining import RetrainingPipeline
from driftline.validation import validate

try:
    from driftline._cpu import check_cpu

    check_cpu()
    from driftline import _native  # noqa: F401
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess test
    _NATIVE_ERROR: ImportError | None = _exc
else:
    _NATIVE_ERROR = None
    from driftline import drift, sklearn, stats
    from driftline.drift import DriftReport, FeatureDrift, compare
    from driftline.fairness import FairnessReport, fairness
    from driftline.monitor import Monitor, WindowResult
    from driftline.parquet import profile_parquet
    from driftline.partials import (
        FairnessPartial,
        PerformancePartial,
        fairness_partial,
        performance_partial,
    )
    from driftline.performance import (
        PerformanceEstimate,
        PerformanceReport,
        estimate_performance,
        performance,
        roc_auc,
    )
    from driftline.profile import ColumnProfile, Histogram, Profile, histogram, merge, profile

__all__ = [
    "ColumnProfile",
    "DriftReport",
    "FairnessPartial",
    "FairnessReport",
    "FeatureDrift",
    "Histogram",
    "Monitor",
    "PerformanceEstimate",
    "PerformancePartial",
    "PerformanceReport",
    "Profile",
    "Registry",
    "RetrainingPipeline",
    "WindowResult",
    "__version__",
    "actions",
    "compare",
    "drift",
    "estimate_performance",
    "exceptions",
    "fairness",
    "fairness_partial",
    "histogram",
    "merge",
    "performance",
    "performance_partial",
    "policies",
    "profile",
    "profile_parquet",
    "retraining",
    "roc_auc",
    "sklearn",
    "stats",
    "validate",
]


def __getattr__(name: str) -> Any:
    if _NATIVE_ERROR is not None and name in __all__:
        raise ImportError(
            f"driftline.{name} needs the native module driftline._native, which failed to "
            f"load ({_NATIVE_ERROR}); reinstall driftline for this platform"
        ) from _NATIVE_ERROR
    raise AttributeError(f"module 'driftline' has no attribute {name!r}")
