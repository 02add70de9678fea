"""Shared machinery of the Spark, Dask and Ray adapters (see ``docs/distributed.md``).

Each adapter computes a partial :class:`~driftline.Profile` per partition where the data
lives, ships it as bytes in the versioned profile format, and merges the partials in a tree
on the driver. The engine-specific modules are :mod:`driftline.spark`,
:mod:`driftline.dask` and :mod:`driftline.ray`.
"""

from __future__ import annotations

from driftline.distributed._common import (
    ProfileSpec,
    merge_partials,
    partial_from_batches,
    partial_from_table,
    require,
)

__all__ = [
    "ProfileSpec",
    "merge_partials",
    "partial_from_batches",
    "partial_from_table",
    "require",
]
