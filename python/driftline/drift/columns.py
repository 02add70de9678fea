"""Per-column drift statistics (before the correction across columns and the verdict)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline import stats as dlstats
from driftline.drift import custom
from driftline.drift.sketch import ks_pvalue

__all__ = [
    "ColumnResult",
    "categorical_result",
    "finite_wasserstein",
    "numeric_result",
    "raw_values",
]

MIN_EXPECTED = 5.0
"""Categories expected fewer times than this (in either row) are pooled for chi-square."""

MAX_NAMES = 50
OTHER = "(other)"


@dataclass
class ColumnResult:
    """Statistics of one column before the decision."""

    method: str
    statistic: float | None
    p_value: float | None
    effect_size: float | None
    error_bound: float | None = None
    histogram: dict[str, Any] | None = None
    unseen: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def raw_values(table: pa.Table, column: str) -> np.ndarray:
    """The column's non-null, non-NaN values as float64 (materialised: exact KS needs
    them all)."""
    arr = pc.drop_null(table.column(column))
    if pa.types.is_temporal(arr.type):
        # Times, dates and durations as their stored integers (the unit the profile's
        # numbers are in); Arrow casts them to integers of their own width only.
        arr = pc.cast(arr, pa.int32() if arr.type.bit_width == 32 else pa.int64())
    if not pa.types.is_floating(arr.type):
        # Integers beyond 2^53 round to the nearest double, as numpy's conversion does
        # (a safe cast refuses them, and int64 extremes are valid data).
        arr = pc.cast(arr, pa.float64(), safe=False)
    v = (
        np.asarray(arr.to_numpy(), dtype=np.float64)
        if arr.num_chunks != 1
        else (np.asarray(arr.chunk(0).to_numpy(zero_copy_only=False), dtype=np.float64))
    )
    return v[~np.isnan(v)]


def _distance(method: str, r: np.ndarray, c: np.ndarray) -> float:
    if method == "psi":
        return dlstats.psi_counts(r, c).statistic
    if method == "jensen_shannon":
        return dlstats.jensen_shannon(r, c).statistic
    if method == "hellinger":
        return dlstats.hellinger(r, c).statistic
    if method == "total_variation":
        return dlstats.total_variation(r, c).statistic
    if method == "kl":
        return dlstats.kl(r + 0.5, c + 0.5).statistic
    stat = custom.get(method)
    if stat is None:  # pragma: no cover - resolve_method checked the name
        raise KeyError(method)
    return stat(r, c)


def _bins(
    stats: dict[str, Any], from_sketch: list[float], sketch_exact: bool, edges: list[float]
) -> tuple[np.ndarray, bool]:
    if "histogram_edges" in stats and list(stats["histogram_edges"]) == list(edges):
        return np.asarray(stats["histogram_counts"], dtype=np.float64), True
    return np.asarray(from_sketch, dtype=np.float64), sketch_exact


def _scale(stats: dict[str, Any], notes: list[str], raw: np.ndarray | None = None) -> float:
    std = math.sqrt(stats["m2"] / stats["finite_count"]) if stats["finite_count"] else 0.0
    if math.isinf(std):
        # The squared deviations of values near the float64 limits overflow (as numpy's
        # do): the standard deviation of the values scaled down, scaled back up; from
        # sketches, half the range (computed halved, so that it does not overflow).
        finite = None if raw is None else raw[np.isfinite(raw)]
        if finite is not None and finite.size:
            top = float(np.abs(finite).max())
            return float(np.std(finite / top)) * top
        lo, hi = stats["min"], stats["max"]
        notes.append(
            "the reference's standard deviation overflows float64: "
            "Wasserstein is normalised by half its range"
        )
        half = hi / 2 - lo / 2 if lo is not None and hi is not None else math.nan
        return half if math.isfinite(half) and half > 0 else 1.0
    if std > 0:
        return std
    mean = stats["mean"] or 0.0
    notes.append("the reference is constant: Wasserstein is normalised by |mean| (or 1)")
    return abs(mean) if mean else 1.0


def numeric_result(
    method: str,
    ref_inner: Any,
    cur_inner: Any,
    column: str,
    ref_stats: dict[str, Any],
    cur_stats: dict[str, Any],
    edges: list[float],
    raw: tuple[np.ndarray, np.ndarray] | None,
) -> ColumnResult:
    """Statistics of a numeric column; ``raw`` holds both sides' values in exact mode."""
    notes: list[str] = []
    # One native call: both sketches' step CDFs walked together (KS, Wasserstein, counts
    # on the edges); a sketch that kept every value is the exact empirical CDF (eps = 0).
    ks_d, w_sketch, r_counts, c_counts, n_ref, n_cur, r_kept, c_kept = ref_inner.sketch_pair(
        cur_inner, column, edges
    )
    eps_ref = 0.0 if r_kept else float(ref_stats["quantile_rank_error"] or 0.0)
    eps_cur = 0.0 if c_kept else float(cur_stats["quantile_rank_error"] or 0.0)
    if n_ref == 0 or n_cur == 0:
        side = "reference" if n_ref == 0 else "current data"
        return ColumnResult(
            method,
            None,
            None,
            None,
            notes=[f"no value (all null or NaN) in the {side}: values not compared"],
        )
    rc, r_exact = _bins(ref_stats, r_counts, r_kept, edges)
    cc, c_exact = _bins(cur_stats, c_counts, c_kept, edges)
    labels = _bin_labels(edges)
    hist = {
        "labels": labels,
        "reference": _props(rc),
        "current": _props(cc),
        "exact": r_exact and c_exact,
    }
    scale = _scale(ref_stats, notes, None if raw is None else raw[0])
    bound: float | None = None
    if raw is not None:
        w = finite_wasserstein(*raw)
        if not (np.isfinite(raw[0]).all() and np.isfinite(raw[1]).all()):
            notes.append(
                "infinite values count at the ends of the finite range in the Wasserstein "
                "distance (as from sketches)"
            )
    else:
        w = w_sketch
        w_bound = (eps_ref + eps_cur) * _range(ref_stats, cur_stats)
        if w_bound > 0:
            notes.append(f"Wasserstein from sketches (error <= {w_bound:.3g})")
    effect = w / scale
    flat = _no_finite_width(ref_stats, cur_stats)
    ks_exact = dlstats.ks_2samp(*raw) if raw is not None and (method == "ks" or flat) else None
    if flat and (ks_exact.statistic if ks_exact is not None else ks_d) > 0:
        # The finite values are one point (or none) on both sides, yet the distributions
        # differ: mass moved between it and +-inf, an infinite transport distance.
        effect = math.inf
        notes.append("mass moved to or from infinity: the Wasserstein distance is infinite")
    if method == "ks":
        if ks_exact is not None:
            stat, p = ks_exact.statistic, ks_exact.pvalue
        else:
            stat = ks_d
            bound = eps_ref + eps_cur
            p = ks_pvalue(stat, n_ref, n_cur, bound)
            bound = bound or None
    elif method == "chi2":
        stat, p = _chi2(rc, cc)
        if not (r_exact and c_exact):
            notes.append("binned counts from sketches (each bin within the rank error)")
    elif method == "wasserstein":
        stat, p = effect, None
    else:
        stat, p = _distance(method, rc, cc), None
    return ColumnResult(method, stat, p, effect, bound, hist, notes=notes)


def finite_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein-1 over the finite range of two samples, their infinite values held at
    its ends.

    This is the integral of ``|F_a - F_b|`` between the smallest and the largest finite
    value of both samples, with ``-inf`` counted in the CDFs from the start and ``+inf``
    never: what the sketch walk (``Profile.sketch_pair``) computes, so that exact and
    profile modes agree. A share of values moved to ``+-inf`` keeps its gap in the CDFs
    over the whole range (leaving the infinite values out would hide it). Without
    infinite values it is ``scipy.stats.wasserstein_distance(a, b)``.
    """
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    if not fa.size and not fb.size:
        return 0.0
    finite = np.concatenate([fa, fb])
    lo, hi = float(finite.min()), float(finite.max())
    return dlstats.wasserstein(np.clip(a, lo, hi), np.clip(b, lo, hi)).statistic


def _no_finite_width(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when both sides' finite values are one and the same point (or absent)."""
    sides = [s for s in (a, b) if s["finite_count"]]
    if any(s["m2"] != 0 for s in sides):
        return False
    # Merged chunks weigh their means: a constant's mean may be off by an ulp.
    return len(sides) < 2 or math.isclose(sides[0]["mean"], sides[1]["mean"], rel_tol=1e-12)


def _range(a: dict[str, Any], b: dict[str, Any]) -> float:
    vals = [
        v for v in (a["min"], a["max"], b["min"], b["max"]) if v is not None and math.isfinite(v)
    ]
    return max(vals) - min(vals) if vals else 0.0


def _props(c: np.ndarray) -> list[float]:
    s = float(c.sum())
    return (np.asarray(c, dtype=np.float64) / s).tolist() if s else [0.0] * len(c)


def _bin_labels(edges: list[float]) -> list[str]:
    if not edges:
        return ["all"]
    # An edge one ulp above another (the reference's maximum, or its only value) makes a
    # bin holding that value alone: "= v" and "> v" rather than "[v, v)" and ">= v".
    labels = [f"< {edges[0]:.4g}"]
    labels += [
        f"= {lo:.4g}" if hi == np.nextafter(lo, np.inf) else f"[{lo:.4g}, {hi:.4g})"
        for lo, hi in itertools.pairwise(edges)
    ]
    below = float(np.nextafter(edges[-1], -np.inf))
    labels.append(
        f"> {below:.4g}" if len(edges) > 1 and edges[-2] == below else f">= {edges[-1]:.4g}"
    )
    return labels


def _chi2(rc: np.ndarray, cc: np.ndarray) -> tuple[float, float]:
    """Chi-square test of homogeneity on 2 x k counts, sparse columns pooled."""
    keep = (rc + cc) > 0
    rc, cc = rc[keep], cc[keep]
    if rc.size < 2 or rc.sum() == 0 or cc.sum() == 0:
        return 0.0, 1.0
    rc, cc = _pool(rc, cc)
    if rc.size < 2:
        return 0.0, 1.0
    r = dlstats.chi2_contingency(np.vstack([rc, cc]))
    return r.statistic, r.pvalue


def _pool(rc: np.ndarray, cc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_r, n_c = rc.sum(), cc.sum()
    tot = rc + cc
    exp_min = tot * min(n_r, n_c) / (n_r + n_c)
    small = exp_min < MIN_EXPECTED
    if not small.any():
        return rc, cc
    pr, pcur = rc[small].sum(), cc[small].sum()
    rc, cc = rc[~small], cc[~small]
    if pr + pcur > 0:
        rc, cc = np.append(rc, pr), np.append(cc, pcur)
    return rc, cc


def categorical_result(
    method: str,
    ref_freq: dict[str, int],
    cur_freq: dict[str, int],
    ref_other: int,
    cur_other: int,
    exact: bool,
    max_error: float = 0.0,
) -> ColumnResult:
    """Statistics of a categorical or boolean column from its category counts.

    Above the profile's frequency cap the counts are estimates (each within
    ``max_error``): only categories counted far above that error (50x) are kept, the
    rest pooled with the uncounted tail, so the test never runs on noisy counts.
    """
    notes: list[str] = []
    unseen_all = [k for k in cur_freq if k not in ref_freq]
    vanished_all = [k for k in ref_freq if k not in cur_freq]
    if not exact and max_error > 0:
        keep = {
            k
            for k in set(ref_freq) | set(cur_freq)
            if ref_freq.get(k, 0) + cur_freq.get(k, 0) > 50 * max_error
        }
        ref_other += sum(v for k, v in ref_freq.items() if k not in keep)
        cur_other += sum(v for k, v in cur_freq.items() if k not in keep)
        ref_freq = {k: v for k, v in ref_freq.items() if k in keep}
        cur_freq = {k: v for k, v in cur_freq.items() if k in keep}
    keys = list(ref_freq)
    keys += [k for k in cur_freq if k not in ref_freq]
    rc = np.array([ref_freq.get(k, 0) for k in keys], dtype=np.float64)
    cc = np.array([cur_freq.get(k, 0) for k in keys], dtype=np.float64)
    if ref_other or cur_other:
        keys.append(OTHER)
        rc, cc = np.append(rc, ref_other), np.append(cc, cur_other)
        notes.append("categories beyond the frequency cap are counted together")
    if rc.sum() == 0 or cc.sum() == 0:
        side = "reference" if rc.sum() == 0 else "current"
        return ColumnResult(
            method,
            None,
            None,
            None,
            notes=[f"no non-null value in the {side}: values not compared"],
        )
    unseen, vanished = unseen_all, vanished_all
    if not exact and (unseen or vanished):
        notes.append("counts above the cap are approximate: unseen/vanished may be rare ones")
    pooled_r, pooled_c = _pool(rc, cc)
    effect = float(0.5 * np.abs(pooled_r / pooled_r.sum() - pooled_c / pooled_c.sum()).sum())
    if method == "chi2":
        stat, p = _chi2(rc, cc)
    else:
        stat, p = _distance(method, rc, cc), None
    order = np.argsort(-(rc + cc), kind="stable")[:30]
    pr, pc_ = _props(rc), _props(cc)
    hist = {
        "labels": [keys[i] for i in order],
        "reference": [pr[i] for i in order],
        "current": [pc_[i] for i in order],
        "exact": exact,
    }
    return ColumnResult(
        method,
        stat,
        p,
        effect,
        None,
        hist,
        unseen=unseen[:MAX_NAMES],
        vanished=vanished[:MAX_NAMES],
        notes=notes,
    )
