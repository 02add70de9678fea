"""Drift per segment: ``dl.compare(..., segment_by="sku")``.

Both sides are profiled once with ``segment_by`` (one pass each); then every segment's
current profile is compared with the same segment's reference profile, profile against
profile (sketch mode), exactly as ``dl.compare(ref.segments[k], cur.segments[k])`` would,
but vectorised over segments: for each column, one native call reads every segment's
counts and moments and another walks every segment's two sketch CDFs (KS and Wasserstein
distances, in parallel over segments); categorical columns' 2 x k tables of all
segments are long arrays (pooling, Yates, total variation by ``bincount``); the null-rate
tests, the correction across columns (per segment) and the verdicts are array operations
(:mod:`driftline.drift.segment_stats`). Only a segment whose category counts are past the
frequency cap (estimates) is compared on its own.

Numeric columns are compared with ``ks`` from the sketches (sketch mode), the same as
``dl.compare(ref.segments[k], cur.segments[k])`` whenever the segments carry no exact
histograms on the reference's own edges (profiles made with ``bins=`` or data; a reference
profiled with explicit ``edges=`` gives that per-segment call ``chi2`` on the bins). Each
segment is a family at level ``alpha``: among thousands of unchanged segments, about
``alpha`` of them flag by chance; rank with ``worst_segments``.

The vectorised path covers the default methods (``ks`` for numeric columns, ``chi2`` for
the others) with ``alpha`` / per-column thresholds; other methods and calibrated thresholds
fall back to one :func:`~driftline.compare` per segment (slower, same results).

Segments present on one side only are reported with ``status`` ``reference_only`` or
``current_only`` and no statistics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.drift.calibration import Calibration
from driftline.drift.effect import NULL_RATE_MIN_EFFECT, min_effect_for
from driftline.drift.segment_stats import (
    adjust_rows,
    categorical,
    column_arrays,
    null_tests,
    numeric,
)

if TYPE_CHECKING:
    import polars as pl

    from driftline.profile import Profile

__all__ = ["SEGMENT_COLUMNS", "SegmentResults", "compare_segments"]

SEGMENT_COLUMNS = (
    "segment",
    "status",
    "reference_rows",
    "current_rows",
    "features",
    "drifted_count",
    "share_drifted",
    "drifted",
    "worst_feature",
    "worst_method",
    "worst_statistic",
    "worst_p_value",
    "worst_effect_size",
)
"""Columns of ``DriftReport.segments``."""


@dataclass(frozen=True)
class SegmentResults:
    """Per-segment drift: a row per segment, and a row per (segment, column)."""

    table: pl.DataFrame
    features: pl.DataFrame


@dataclass
class _Col:
    """One column over the compared segments (arrays of length S)."""

    name: str
    kind: str
    method: str
    statistic: np.ndarray
    p_value: np.ndarray
    effect: np.ndarray
    null_ref: np.ndarray
    null_cur: np.ndarray
    null_p: np.ndarray
    min_effect: float


def fast_path(methods: Any, thresholds: Any, kinds: Mapping[str, str]) -> bool:
    """Whether the vectorised path applies: no calibration, and every column's method is
    its sketch-mode default (``ks`` for numeric columns, ``chi2`` for the others)."""
    if isinstance(thresholds, Calibration):
        return False
    if methods is None:
        return True
    for column, kind in kinds.items():
        chosen = methods.get(column) if isinstance(methods, Mapping) else methods
        if chosen is None:
            continue
        if kind == "numeric" and chosen != "ks":
            return False
        if kind != "numeric" and chosen not in ("ks", "chi2"):
            return False
    return True


def compare_segments(
    ref: Profile,
    cur: Profile,
    columns: Sequence[str],
    broken: Sequence[str],
    *,
    kinds: Mapping[str, str],
    methods: Any,
    thresholds: Any,
    min_effect: Any,
    alpha: float,
    correction: str,
    drift_share: float | None,
    weights: Mapping[str, float] | None,
    options: Mapping[str, Any],
) -> SegmentResults:
    """Drift of every segment present on both sides, and rows for the others.

    ``columns`` are the comparable columns, ``broken`` the reference columns missing or
    retyped beyond comparison (drifted in every segment, as in the overall report)."""
    ref_keys = list(ref.segments)
    cur_keys = list(cur.segments)
    cur_set = set(cur_keys)
    ref_set = set(ref_keys)
    both = [k for k in ref_keys if k in cur_set]
    if fast_path(methods, thresholds, kinds):
        rows, feats = _vectorised(
            ref,
            cur,
            both,
            columns,
            broken,
            kinds,
            methods,
            thresholds,
            min_effect,
            alpha,
            correction,
            drift_share,
            weights,
        )
    else:
        rows, feats = _one_by_one(
            ref,
            cur,
            both,
            {
                "methods": methods,
                "thresholds": thresholds,
                "min_effect": min_effect,
                "alpha": alpha,
                "correction": correction,
                "drift_share": drift_share,
                "weights": weights,
                **options,
            },
        )
    only_ref = [k for k in ref_keys if k not in cur_set]
    only_cur = [k for k in cur_keys if k not in ref_set]
    rows = _append_one_sided(rows, ref, only_ref, "reference_only")
    rows = _append_one_sided(rows, cur, only_cur, "current_only")
    return SegmentResults(_segment_frame(rows), _feature_frame(feats))


def _append_one_sided(
    rows: dict[str, list[Any]], prof: Profile, keys: list[str], status: str
) -> dict[str, list[Any]]:
    if not keys:
        return rows
    counts = prof._inner.segment_rows(keys)
    none = [None] * len(keys)
    rows["segment"] += keys
    rows["status"] += [status] * len(keys)
    rows["reference_rows"] += counts if status == "reference_only" else [0] * len(keys)
    rows["current_rows"] += counts if status == "current_only" else [0] * len(keys)
    for c in SEGMENT_COLUMNS[4:]:
        rows[c] += none
    return rows


def _vectorised(
    ref: Profile,
    cur: Profile,
    keys: list[str],
    columns: Sequence[str],
    broken: Sequence[str],
    kinds: Mapping[str, str],
    methods: Any,
    thresholds: Any,
    min_effect: Any,
    alpha: float,
    correction: str,
    drift_share: float | None,
    weights: Mapping[str, float] | None,
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    ref_in, cur_in = ref._inner, cur._inner
    n_seg = len(keys)
    per_col = thresholds if isinstance(thresholds, Mapping) else {}
    cols: list[_Col] = []
    for name in columns:
        kind = kinds[name]
        ra, ca = column_arrays(ref_in, keys, name), column_arrays(cur_in, keys, name)
        nr, nc, np_ = null_tests(ra, ca)
        if kind == "numeric":
            stat, p, eff = numeric(name, ref_in, cur_in, keys, ra, ca)
            method = "ks"
        elif kind == "null":
            stat = p = eff = np.full(n_seg, np.nan)
            method = "null_rate"
        else:
            stat, p, eff = categorical(name, ref_in, cur_in, keys)
            method = "chi2"
        me = min_effect_for(name, kind, min_effect) if kind != "null" else float("nan")
        cols.append(_Col(name, kind, method, stat, p, eff, nr, nc, np_, me))
    # The family per segment: each column's value test, then each column's null test.
    family = np.column_stack(
        [c.p_value for c in cols] + [c.null_p for c in cols] if cols else [np.full(n_seg, np.nan)]
    )
    adj = adjust_rows(family, correction)
    k = len(cols)
    drifted = np.zeros((n_seg, k), dtype=bool)
    for j, c in enumerate(cols):
        thr = float(per_col.get(c.name, alpha))
        p_adj = adj[:, j]
        value = (p_adj < thr) & (c.effect >= c.min_effect)
        null = (adj[:, k + j] < alpha) & (np.abs(c.null_cur - c.null_ref) >= NULL_RATE_MIN_EFFECT)
        drifted[:, j] = np.nan_to_num(value, nan=0).astype(bool) | null
    n_broken = len(broken)
    names = [c.name for c in cols] + list(broken)
    w = np.array([float((weights or {}).get(n, 1.0 if weights is None else 0.0)) for n in names])
    all_drifted = np.hstack([drifted, np.ones((n_seg, n_broken), dtype=bool)])
    total_w = w.sum()
    share = (all_drifted * w).sum(axis=1) / total_w if total_w > 0 else np.zeros(n_seg)
    count = all_drifted.sum(axis=1)
    any_drift = all_drifted.any(axis=1)
    verdict = (any_drift if drift_share is None else share >= drift_share) | (n_broken > 0)
    # The worst feature: drifted first, then the largest effect relative to its minimum.
    effects = np.column_stack([c.effect for c in cols]) if cols else np.zeros((n_seg, 0))
    mins = np.array([c.min_effect if c.min_effect > 0 else 1.0 for c in cols])
    score = np.nan_to_num(effects / mins, nan=-1.0) + np.where(drifted, 1e12, 0.0)
    worst = np.argmax(score, axis=1) if cols else np.zeros(n_seg, dtype=np.int64)
    rows: dict[str, list[Any]] = {c: [] for c in SEGMENT_COLUMNS}
    rows["segment"] = list(keys)
    rows["status"] = ["compared"] * n_seg
    rows["reference_rows"] = ref_in.segment_rows(list(keys))
    rows["current_rows"] = cur_in.segment_rows(list(keys))
    rows["features"] = [len(names)] * n_seg
    rows["drifted_count"] = count.astype(int).tolist()
    rows["share_drifted"] = share.tolist()
    rows["drifted"] = np.asarray(verdict, dtype=bool).tolist()
    if cols:
        idx = np.arange(n_seg)
        rows["worst_feature"] = [cols[j].name for j in worst]
        rows["worst_method"] = [cols[j].method for j in worst]
        rows["worst_statistic"] = _nulls(np.column_stack([c.statistic for c in cols])[idx, worst])
        rows["worst_p_value"] = _nulls(adj[idx, worst])
        rows["worst_effect_size"] = _nulls(effects[idx, worst])
    else:
        for name in SEGMENT_COLUMNS[8:]:
            rows[name] = [None] * n_seg
    feats: dict[str, list[Any]] = {c: [] for c in FEATURE_COLUMNS}
    for j, c in enumerate(cols):
        feats["segment"] += keys
        feats["column"] += [c.name] * n_seg
        feats["kind"] += [c.kind] * n_seg
        feats["method"] += [c.method] * n_seg
        feats["statistic"] += _nulls(c.statistic)
        feats["p_value"] += _nulls(c.p_value)
        feats["p_value_adjusted"] += _nulls(adj[:, j])
        feats["effect_size"] += _nulls(c.effect)
        feats["drifted"] += drifted[:, j].tolist()
        feats["null_rate_reference"] += c.null_ref.tolist()
        feats["null_rate_current"] += c.null_cur.tolist()
    return rows, feats


def _nulls(a: np.ndarray) -> list[float | None]:
    """The values as floats, non-finite ones as None (only those are visited)."""
    a = np.asarray(a, dtype=np.float64)
    out: list[float | None] = a.tolist()
    for i in np.flatnonzero(~np.isfinite(a)).tolist():
        out[i] = None
    return out


FEATURE_COLUMNS = (
    "segment",
    "column",
    "kind",
    "method",
    "statistic",
    "p_value",
    "p_value_adjusted",
    "effect_size",
    "drifted",
    "null_rate_reference",
    "null_rate_current",
)
"""Columns of ``DriftReport.segment_features``."""


def _one_by_one(
    ref: Profile, cur: Profile, keys: list[str], kwargs: dict[str, Any]
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    from driftline.drift.compare import compare

    rows: dict[str, list[Any]] = {c: [] for c in SEGMENT_COLUMNS}
    feats: dict[str, list[Any]] = {c: [] for c in FEATURE_COLUMNS}
    for k in keys:
        r = compare(ref.segments[k], cur.segments[k], **kwargs)
        worst = _worst_feature(r)
        rows["segment"].append(k)
        rows["status"].append("compared")
        rows["reference_rows"].append(r.reference_rows)
        rows["current_rows"].append(r.current_rows)
        rows["features"].append(len(r.features))
        rows["drifted_count"].append(len(r.drifted_columns))
        rows["share_drifted"].append(r.share_drifted)
        rows["drifted"].append(r.drifted)
        rows["worst_feature"].append(None if worst is None else worst.column)
        rows["worst_method"].append(None if worst is None else worst.method)
        rows["worst_statistic"].append(None if worst is None else worst.statistic)
        rows["worst_p_value"].append(None if worst is None else worst.p_value_adjusted)
        rows["worst_effect_size"].append(None if worst is None else worst.effect_size)
        for f in r.features:
            if f.kind == "schema":
                continue
            feats["segment"].append(k)
            for c in FEATURE_COLUMNS[1:]:
                feats[c].append(getattr(f, c))
    return rows, feats


def _worst_feature(report: Any) -> Any:
    best, best_score = None, -math.inf
    for f in report.features:
        if f.kind == "schema":
            continue
        eff = f.effect_size
        me = f.min_effect if f.min_effect else 1.0
        score = (-1.0 if eff is None or not math.isfinite(eff) else eff / me) + (
            1e12 if f.drifted else 0.0
        )
        if score > best_score:
            best, best_score = f, score
    return best


def _segment_frame(rows: dict[str, list[Any]]) -> pl.DataFrame:
    import polars as pl

    schema = {
        "segment": pl.String,
        "status": pl.String,
        "reference_rows": pl.Int64,
        "current_rows": pl.Int64,
        "features": pl.Int64,
        "drifted_count": pl.Int64,
        "share_drifted": pl.Float64,
        "drifted": pl.Boolean,
        "worst_feature": pl.String,
        "worst_method": pl.String,
        "worst_statistic": pl.Float64,
        "worst_p_value": pl.Float64,
        "worst_effect_size": pl.Float64,
    }
    return pl.DataFrame({c: rows[c] for c in SEGMENT_COLUMNS}, schema=schema)


def _feature_frame(feats: dict[str, list[Any]]) -> pl.DataFrame:
    import polars as pl

    schema = {
        "segment": pl.String,
        "column": pl.String,
        "kind": pl.String,
        "method": pl.String,
        "statistic": pl.Float64,
        "p_value": pl.Float64,
        "p_value_adjusted": pl.Float64,
        "effect_size": pl.Float64,
        "drifted": pl.Boolean,
        "null_rate_reference": pl.Float64,
        "null_rate_current": pl.Float64,
    }
    return pl.DataFrame({c: feats[c] for c in FEATURE_COLUMNS}, schema=schema)
