"""Drift on a distributed engine: both sides profiled where they live, then ``dl.compare``.

The reference (a :class:`~driftline.Profile`, typically from the registry, or a distributed
frame) gives the bin edges; the current side is profiled distributed on those edges, so
its histograms are exact counts on the reference's bins; the two profiles are then compared
on the driver, which never sees a row.

The current side is read as :func:`driftline.compare` reads current data
(:mod:`driftline.drift.align`): a column the reference counted as categories is counted
as categories, and every partition is cast to the reference's temporal units, before it
is profiled. Otherwise a reference with forced-categorical integers, or timestamps of
another unit, would report a type change that :func:`driftline.compare` does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from driftline.distributed._common import ProfileSpec
from driftline.profile import Profile

if TYPE_CHECKING:
    from driftline.drift import DriftReport

__all__ = ["compare_distributed"]

#: ``run(frame, spec)``: one adapter's distributed profile of a frame.
RunFn = Callable[[Any, ProfileSpec], Profile]


def _reference_types(ref: Profile, columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Column -> (dtype, kind) of the reference, as :func:`driftline.compare` builds it."""
    out: dict[str, tuple[str, str]] = {}
    for c in columns:
        if c in ref.columns:
            stats = ref._inner.column_stats(c)
            out[c] = (str(stats["dtype"]), str(stats["kind"]))
    return out


def compare_distributed(
    reference: Any,
    current: Any,
    *,
    run: RunFn,
    schema_of: Callable[[Any], pa.Schema],
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    bins: int = 10,
    **options: Any,
) -> DriftReport:
    """Profiles the sides with an adapter's ``run`` and compares the profiles.

    Parameters
    ----------
    reference
        A :class:`Profile` or a frame of the adapter's engine.
    current
        A frame of the adapter's engine.
    run, schema_of
        The adapter's distributed profile of a frame with a :class:`ProfileSpec`, and a
        frame's Arrow schema (its names and types, without a job where the engine can).
    columns, categorical, bins, options
        As in :func:`driftline.compare` (``options`` are passed on to it).
    """
    from driftline.drift import compare
    from driftline.drift.align import align_table, categorical_for_current
    from driftline.drift.inputs import (
        _numeric_field,  # the rule of dl.compare's current side, imported, not copied
        reference_edges,
    )

    if isinstance(reference, Profile):
        ref = reference
    else:
        ref = run(reference, ProfileSpec.build(columns, categorical))
    wanted = ref.columns if columns is None else [str(c) for c in columns]
    types = _reference_types(ref, wanted)
    schema = schema_of(current)
    # A reference column missing from the current side is a schema change that compare
    # reports; it is left out of the profile rather than failing the job.
    present = [c for c in wanted if c in schema.names]
    cat = categorical_for_current(categorical, {c: k for c, (_d, k) in types.items()}, present)
    # The current's types once aligned (a cast's result type depends on the types only):
    # as in dl.compare, only numbers get the reference's edges, categories never.
    aligned = align_table(schema.empty_table(), types)[0].schema
    edges = {
        c: e
        for c, e in reference_edges(ref, bins).items()
        if c in present and c not in set(cat or ()) and _numeric_field(aligned.field(c).type)
    }
    spec = ProfileSpec.build(present, cat, edges=edges)
    cur = run(current, replace(spec, reference_types=types))
    return compare(ref, cur, columns=columns, categorical=categorical, bins=bins, **options)
