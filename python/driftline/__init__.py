"""driftline: a monitoring engine for machine-learning models in production.

Mergeable feature profiles, drift statistics, bias and performance metrics computed by a
Rust core over Arrow data, and a governed model registry around them.
"""

from __future__ import annotations

from driftline import drift, exceptions, stats
from driftline._version import __version__
from driftline.drift import DriftReport, FeatureDrift, compare
from driftline.parquet import profile_parquet
from driftline.profile import ColumnProfile, Histogram, Profile, merge, profile

__all__ = [
    "ColumnProfile",
    "DriftReport",
    "FeatureDrift",
    "Histogram",
    "Profile",
    "__version__",
    "compare",
    "drift",
    "exceptions",
    "merge",
    "profile",
    "profile_parquet",
    "stats",
]
