"""Vectorised kernels of :mod:`driftline.drift.segments`: the statistics of one column
over every segment at once (arrays of length S, one entry per segment).

* :func:`column_arrays`: one column's counts and moments in every segment, one native
  call.
* :func:`numeric`: each segment's KS distance and Wasserstein-1 from its two sketches,
  walked together natively (``Profile.segment_sketch_pairs``, the same walk as the
  unsegmented comparison's ``Profile.sketch_pair``, parallel over segments).
* :func:`ks_pvalues`: :func:`~driftline.drift.sketch.ks_pvalue` over arrays.
* :func:`null_tests`: the two-proportion test of the missing-value rate per segment.
* :func:`adjust_rows`: :func:`~driftline.drift.correction.adjust` on every row of a matrix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftline import _native
from driftline._arrow import batch_arrays
from driftline.drift.align import canonical_category, canonical_frequencies, numeric_categories
from driftline.drift.columns import MIN_EXPECTED, categorical_result
from driftline.drift.sketch import kolmogorov_sf

__all__ = [
    "adjust_rows",
    "categorical",
    "column_arrays",
    "ks_pvalues",
    "null_tests",
    "numeric",
]


def column_arrays(inner: Any, keys: Sequence[str], column: str) -> dict[str, np.ndarray]:
    """One column's counts, moments and sketch rank error over the segments ``keys`` of
    a native profile, one array entry per segment (one native call)."""
    return batch_arrays(inner.segment_column_arrays(list(keys), [column])[0])


def null_tests(
    ra: Mapping[str, np.ndarray], ca: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Missing-value rate of each side per segment, and the two-proportion test's p-value
    (NaN where nothing is missing or a side has no row)."""
    mr, nr = ra["null_count"] + ra["nan_count"], ra["count"] + ra["null_count"]
    mc, nc = ca["null_count"] + ca["nan_count"], ca["count"] + ca["null_count"]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(nr > 0, mr / np.maximum(nr, 1), 0.0)
        b = np.where(nc > 0, mc / np.maximum(nc, 1), 0.0)
        pooled = (mr + mc) / np.maximum(nr + nc, 1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(nr, 1) + 1 / np.maximum(nc, 1)))
        z = np.abs(a - b) / se / math.sqrt(2.0)
    erfc = np.vectorize(math.erfc, otypes=[np.float64])
    p = np.where(se == 0, 0.0, erfc(np.where(se == 0, 0.0, z)))
    p = np.where((mr + mc == 0) | (nr == 0) | (nc == 0), np.nan, p)
    return a, b, p


def ks_pvalues(d: np.ndarray, n: np.ndarray, m: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """:func:`~driftline.drift.sketch.ks_pvalue` over arrays (segments whose two sketches
    kept every value, ``eps == 0``, get the samples' own p-value, as scipy's
    ``ks_2samp``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.maximum(np.round(n * m / (n + m)), 1.0)
    d0 = np.maximum(d - eps, 0.0)
    out = np.empty(d.size)
    exact = eps == 0
    exact_cache: dict[tuple[float, int, int], float] = {}
    for i in np.flatnonzero(exact):
        key3 = (float(np.clip(d[i], 0.0, 1.0)), round(float(n[i])), round(float(m[i])))
        if key3 not in exact_cache:
            exact_cache[key3] = float(_native.stats_ks_pvalue(*key3)[1])
        out[i] = exact_cache[key3]
    small = (n_eff < 1000) & ~exact
    cache: dict[tuple[float, int], float] = {}
    for i in np.flatnonzero(small):
        key = (float(d0[i]), int(n_eff[i]))
        if key not in cache:
            cache[key] = float(_native.stats_kstwo_sf(*key))
        out[i] = cache[key]
    big = ~small & ~exact
    if big.any():
        ne = n_eff[big]
        lam = (np.sqrt(ne) + 0.12 + 0.11 / np.sqrt(ne)) * d0[big]
        out[big] = [kolmogorov_sf(float(x)) for x in lam]
    return out


def numeric(
    name: str,
    ref: Any,
    cur: Any,
    keys: Sequence[str],
    ra: Mapping[str, np.ndarray],
    ca: Mapping[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KS statistic, its p-value and the normalised Wasserstein distance of a numeric
    column in every segment of ``keys``, from the native profiles ``ref`` and ``cur``: one
    native call walks each segment's two sketch CDFs (as ``Profile.sketch_pair``, in
    parallel over segments); ``ra`` and ``ca`` hold both sides' :func:`column_arrays`."""
    pairs = batch_arrays(ref.segment_sketch_pairs(cur, list(keys), name))
    ks, w, na, nb = pairs["ks"], pairs["wasserstein"], pairs["n_ref"], pairs["n_cur"]
    # A sketch that kept every value is the exact empirical CDF (no rank error).
    ea = np.where(pairs["ref_exact"], 0.0, np.nan_to_num(ra["quantile_rank_error"]))
    eb = np.where(pairs["cur_exact"], 0.0, np.nan_to_num(ca["quantile_rank_error"]))
    n_seg = len(keys)
    finite, m2 = ra["finite_count"], ra["m2"]
    mean = np.nan_to_num(ra["mean"])
    with np.errstate(over="ignore", invalid="ignore"):
        std = np.sqrt(np.divide(m2, finite, out=np.zeros_like(m2), where=finite > 0))
        # As columns._scale: a standard deviation that overflows float64 gives way to
        # half the range (computed halved, so that it does not overflow itself).
        half = ra["max"] / 2 - ra["min"] / 2
    half = np.where(np.isfinite(half) & (half > 0), half, 1.0)
    scale = np.where(
        np.isinf(std), half, np.where(std > 0, std, np.where(mean != 0, np.abs(mean), 1.0))
    )
    compared = (na > 0) & (nb > 0)
    p = np.full(n_seg, np.nan)
    if compared.any():
        p[compared] = ks_pvalues(ks[compared], na[compared], nb[compared], (ea + eb)[compared])
    stat = np.where(compared, ks, np.nan)
    effect = np.where(compared, w / scale, np.nan)
    # As columns.numeric_result: finite values one and the same point on both sides (or
    # none) while the CDFs differ means mass moved to or from +-inf.
    effect = np.where(compared & _no_finite_width(ra, ca) & (ks > 0), np.inf, effect)
    return stat, p, effect


def _no_finite_width(ra: Mapping[str, np.ndarray], ca: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per segment: both sides' finite values are one and the same point (or absent)."""
    fr, fc = ra["finite_count"] > 0, ca["finite_count"] > 0
    flat = ~(fr & (ra["m2"] != 0)) & ~(fc & (ca["m2"] != 0))
    mr, mc = np.nan_to_num(ra["mean"]), np.nan_to_num(ca["mean"])
    same = np.isclose(mr, mc, rtol=1e-12, atol=0.0) | ~fr | ~fc
    return np.asarray(flat & same)


def _categorical_one(
    name: str, ref: Any, cur: Any, r: dict[str, Any], c: dict[str, Any], by_value: bool
) -> tuple[float, float, float]:
    rf, cf = dict(ref.frequencies(name) or []), dict(cur.frequencies(name) or [])
    if by_value:
        rf, cf = canonical_frequencies(rf), canonical_frequencies(cf)
    res = categorical_result(
        "chi2",
        rf,
        cf,
        int(r.get("frequencies_other", 0) or 0),
        int(c.get("frequencies_other", 0) or 0),
        bool(r.get("frequencies_exact", True) and c.get("frequencies_exact", True)),
        float(r.get("frequencies_max_error", 0) or 0)
        + float(c.get("frequencies_max_error", 0) or 0),
    )
    if res.statistic is None:
        return math.nan, math.nan, math.nan
    p = math.nan if res.p_value is None else res.p_value
    return res.statistic, p, res.effect_size or 0.0


def categorical(
    name: str, ref: Any, cur: Any, keys: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chi-square test and total variation of a categorical column in every segment of
    ``keys``, from the native profiles ``ref`` and ``cur``, as
    :func:`~driftline.drift.columns.categorical_result`: every segment's category counts
    read in one native call per side (``Profile.segment_frequencies``), the 2 x k tables
    of all segments as long arrays, cells expected fewer than 5 times pooled per segment,
    Yates' correction when a segment's table has two cells. Segments whose counts are
    past the frequency cap (estimates) take
    :func:`~driftline.drift.columns.categorical_result` one by one."""
    import pyarrow as pa

    n_seg = len(keys)
    stat = np.full(n_seg, np.nan)
    p = np.full(n_seg, np.nan)
    effect = np.full(n_seg, np.nan)
    r_long, r_seg = ref.segment_frequencies(list(keys), name)
    c_long, c_seg = cur.segment_frequencies(list(keys), name)
    exact = r_seg.column("exact").to_numpy(zero_copy_only=False) & c_seg.column("exact").to_numpy(
        zero_copy_only=False
    )
    # Categories of different numeric types (int against float) are matched by value,
    # as in the unsegmented comparison.
    by_value = numeric_categories(ref.column_stats(name)["dtype"], cur.column_stats(name)["dtype"])
    for i in np.flatnonzero(~exact).tolist():
        r, c = ref.segment(keys[i]), cur.segment(keys[i])
        rs, cs = r.column_stats(name), c.column_stats(name)
        stat[i], p[i], effect[i] = _categorical_one(name, r, c, rs, cs, by_value)
    # Both sides' (segment, category, count) rows, the estimated segments left out; the
    # categories coded once for both sides.
    seg = np.concatenate(
        [b.column("segment").to_numpy().astype(np.int64) for b in (r_long, c_long)]
    )
    side_a = np.arange(seg.size) < r_long.num_rows
    cnt = np.concatenate(
        [b.column("count").to_numpy().astype(np.float64) for b in (r_long, c_long)]
    )
    values = pa.concat_arrays([r_long.column("value"), c_long.column("value")])
    if by_value:
        values = pa.array([canonical_category(v) for v in values.to_pylist()], pa.string())
    code = values.dictionary_encode().indices.to_numpy().astype(np.int64)
    kept = exact[seg]
    seg, side_a, cnt, code = seg[kept], side_a[kept], cnt[kept], code[kept]
    if seg.size == 0:
        return stat, p, effect
    _, cell = np.unique(seg * (int(code.max()) + 1) + code, return_inverse=True)
    n_cells = int(cell.max()) + 1
    rc = np.bincount(cell, weights=np.where(side_a, cnt, 0.0), minlength=n_cells)
    cc = np.bincount(cell, weights=np.where(side_a, 0.0, cnt), minlength=n_cells)
    cseg = np.zeros(n_cells, dtype=np.int64)
    cseg[cell] = seg
    nr = np.bincount(cseg, weights=rc, minlength=n_seg)
    nc = np.bincount(cseg, weights=cc, minlength=n_seg)
    tot = rc + cc
    with np.errstate(divide="ignore", invalid="ignore"):
        exp_min = tot * np.minimum(nr, nc)[cseg] / (nr + nc)[cseg]
        small = exp_min < MIN_EXPECTED
        pr = np.bincount(cseg, weights=np.where(small, rc, 0.0), minlength=n_seg)
        pc = np.bincount(cseg, weights=np.where(small, cc, 0.0), minlength=n_seg)
        # Total variation on the pooled table (the pooled cell counted once).
        gap = np.abs(rc / nr[cseg] - cc / nc[cseg])
        kept_gap = np.bincount(cseg, weights=np.where(small, 0.0, gap), minlength=n_seg)
        tv = 0.5 * (kept_gap + np.abs(pr / nr - pc / nc))
        # Chi-square on the non-empty cells, the small ones pooled into one.
        keep = ~small & (tot > 0)
        k = np.bincount(cseg, weights=keep.astype(np.float64), minlength=n_seg)
        k = k + ((pr + pc) > 0)
        big_n = nr + nc

        def part(o: np.ndarray, e: np.ndarray, yates: np.ndarray) -> np.ndarray:
            d = np.abs(o - e)
            d = np.where(yates, np.maximum(d - 0.5, 0.0), d)
            return np.where(e > 0, d * d / e, 0.0)

        yates_cell = (k == 2)[cseg]
        e_r = nr[cseg] * tot / big_n[cseg]
        e_c = nc[cseg] * tot / big_n[cseg]
        cell_stat = np.where(keep, part(rc, e_r, yates_cell) + part(cc, e_c, yates_cell), 0.0)
        chi = np.bincount(cseg, weights=cell_stat, minlength=n_seg)
        pt = pr + pc
        pe_r, pe_c = nr * pt / big_n, nc * pt / big_n
        yates_seg = k == 2
        chi += np.where(pt > 0, part(pr, pe_r, yates_seg) + part(pc, pe_c, yates_seg), 0.0)
    done = np.zeros(n_seg, dtype=bool)
    done[np.unique(seg)] = True
    valid = done & (nr > 0) & (nc > 0)
    trivial = valid & (k < 2)
    tested = valid & (k >= 2)
    stat[trivial], p[trivial] = 0.0, 1.0
    stat[tested] = chi[tested]
    for j in np.flatnonzero(tested).tolist():
        p[j] = float(_native.stats_chi2_sf(float(chi[j]), float(k[j] - 1)))
    effect[valid] = tv[valid]
    return stat, p, effect


def adjust_rows(p: np.ndarray, method: str) -> np.ndarray:
    """:func:`~driftline.drift.correction.adjust` on every row of a matrix of p-values at
    once (NaN: no hypothesis in that cell)."""
    out = np.full(p.shape, np.nan)
    if p.size == 0:
        return out
    valid = ~np.isnan(p)
    m = valid.sum(axis=1, keepdims=True).astype(np.float64)
    if method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.where(valid, np.minimum(p * m, 1.0), np.nan)
    filled = np.where(valid, p, np.inf)
    order = np.argsort(filled, axis=1, kind="stable")
    ps = np.take_along_axis(filled, order, axis=1)
    rank = np.arange(p.shape[1], dtype=np.float64)[None, :]
    fin = np.isfinite(ps)
    safe = np.where(fin, ps, 0.0)
    if method == "holm":
        adj = np.maximum.accumulate(np.where(fin, safe * (m - rank), -np.inf), axis=1)
    else:  # bh
        scaled = np.where(fin, safe * m / (rank + 1), np.inf)
        adj = np.minimum.accumulate(scaled[:, ::-1], axis=1)[:, ::-1]
    adj = np.minimum(adj, 1.0)
    np.put_along_axis(out, order, adj, axis=1)
    return np.where(valid, out, np.nan)
