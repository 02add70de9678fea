"""driftline: a monitoring engine for machine-learning models in production.

Mergeable feature profiles, drift statistics, bias and performance metrics computed by a
Rust core over Arrow data, and a governed model registry around them.
"""

from __future__ import annotations

from driftline import exceptions
from driftline._version import __version__
from driftline.parquet import profile_parquet
from driftline.profile import ColumnProfile, Histogram, Profile, merge, profile
from driftline.registry import Registry
from driftline.validation import validate

__all__ = [
    "ColumnProfile",
    "Histogram",
    "Profile",
    "Registry",
    "__version__",
    "exceptions",
    "merge",
    "profile",
    "profile_parquet",
    "validate",
]
