"""Drift on a distributed engine: both sides profiled where they live, then ``dl.compare``.

The reference (a :class:`~driftline.Profile`, typically from the registry, or a distributed
frame) gives the bin edges; the current side is profiled distributed on those edges, so
its histograms are exact counts on the reference's bins; the two profiles are then compared
on the driver, which never sees a row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from driftline.profile import Profile

if TYPE_CHECKING:
    from driftline.drift import DriftReport

__all__ = ["compare_distributed"]

#: ``profile(frame, columns=..., categorical=..., edges=...)`` of one adapter.
ProfileFn = Callable[..., Profile]


def compare_distributed(
    reference: Any,
    current: Any,
    *,
    profile: ProfileFn,
    columns_of: Callable[[Any], Sequence[str]],
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    bins: int = 10,
    **options: Any,
) -> DriftReport:
    """Profiles the sides with an adapter's ``profile`` and compares the profiles.

    Parameters
    ----------
    reference
        A :class:`Profile` or a frame of the adapter's engine.
    current
        A frame of the adapter's engine.
    profile, columns_of
        The adapter's distributed profile function and how to list a frame's columns.
    columns, categorical, bins, options
        As in :func:`driftline.compare` (``options`` are passed on to it).
    """
    from driftline.drift import compare
    from driftline.drift.inputs import reference_edges

    if isinstance(reference, Profile):
        ref = reference
    else:
        ref = profile(reference, columns=columns, categorical=categorical)
    wanted = ref.columns if columns is None else list(columns)
    # A reference column missing from the current side is a schema change that compare
    # reports; it is left out of the profile rather than failing the job.
    present = set(columns_of(current))
    edges = {c: e for c, e in reference_edges(ref, bins).items() if c in present}
    cur = profile(
        current,
        columns=[c for c in wanted if c in present],
        categorical=None if categorical is None else [c for c in categorical if c in present],
        edges=edges,
    )
    return compare(ref, cur, columns=columns, categorical=categorical, bins=bins, **options)
