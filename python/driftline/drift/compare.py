"""``dl.compare``: drift between a reference and current data, column by column."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from driftline.drift import custom
from driftline.drift.align import canonical_frequencies, comparable_types, numeric_categories
from driftline.drift.calibration import Calibration
from driftline.drift.columns import ColumnResult, categorical_result, numeric_result, raw_values
from driftline.drift.correction import CORRECTIONS, adjust
from driftline.drift.effect import EFFECT_NAMES, NULL_RATE_MIN_EFFECT, min_effect_for
from driftline.drift.inputs import Side, load_current, load_reference, reference_edges
from driftline.drift.methods import DISTANCE_THRESHOLDS, is_test, resolve_method
from driftline.drift.options import check_column_options, threshold_value
from driftline.drift.report import DriftReport, FeatureDrift, SchemaChange
from driftline.exceptions import InvalidParameter
from driftline.stats import MAX_BINS

__all__ = ["compare"]

MODES = ("auto", "exact", "profile")

EXACT_MAX_ROWS = 100_000
"""``mode="auto"`` runs exact statistics on raw data up to this many rows per side.

Beyond it, the binned chi-square on exact counts is an equally valid test, effect sizes
decide anyway, and sorting every column twice (exact KS and Wasserstein) costs more than
profiling the whole table: ``auto`` profiles instead; ``mode="exact"`` forces exactness."""


def compare(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    methods: str | Mapping[str, str] | None = None,
    thresholds: Mapping[str, float] | Calibration | None = None,
    min_effect: float | Mapping[str, float] | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    drift_share: float | None = None,
    weights: Mapping[str, float] | None = None,
    categorical: Sequence[str] | None = None,
    bins: int = 10,
    mode: str = "auto",
    domain_classifier: bool = False,
    segment_by: str | None = None,
    threads: int | None = None,
) -> DriftReport:
    """Compares current data with a reference, column by column.

    Parameters
    ----------
    reference, current
        Data (anything :func:`driftline.profile` takes), a :class:`~driftline.Profile`,
        Parquet paths / globs / directories, or a file written by ``Profile.to_bytes``.
        Raw data on both sides: exact statistics (mode ``exact``); a profile or Parquet
        path on one side: the current is profiled on the reference's bins (``binned``);
        two profiles: statistics from the sketches with their error bound (``sketch``).
    columns
        Reference columns to compare (default: all).
    methods
        One method for every column, or column -> method
        (see :mod:`driftline.drift.methods`; registered statistics included).
    thresholds
        Column -> threshold (``alpha`` for tests, the distance threshold otherwise), or a
        :class:`~driftline.drift.calibration.Calibration` from
        :func:`~driftline.drift.calibrate`: then a column drifts when its effect size
        exceeds the threshold calibrated on the reference. Thresholds are finite; a
        test's lies in (0, 1). A mapping given for ``methods``, ``thresholds``,
        ``min_effect`` or ``weights`` may only name compared columns: a name it does not
        compare (a typo) raises :class:`~driftline.exceptions.InvalidParameter` rather
        than leaving that column on its default.
    min_effect
        Minimum effect sizes (:mod:`driftline.drift.effect`); ``0`` for significance only.
    alpha
        Family-wise level of the tests (after ``correction``).
    correction
        ``holm`` (default), ``bh``, ``bonferroni`` or ``none``
        (:mod:`driftline.drift.correction`).
    drift_share
        Dataset verdict: drifted when the share of drifted columns reaches this; None
        (default) means any drifted column.
    weights
        Column -> importance for the share (default: equal).
    categorical
        Numeric columns to compare as categories. The current data is read as the
        reference was (:mod:`driftline.drift.align`): a column the reference counted as
        categories (a stored profile's included) is counted as categories, a
        dictionary-encoded one whose reference is numeric is decoded, dates, times and
        timestamps are cast to the reference's unit, and integer and float categories are
        matched by value. A column whose kind or unit still differs (two profiles) is a
        non-comparable schema change, never dropped.
    bins
        Quantile bins of the reference for binned statistics and charts (2 to
        ``MAX_BINS`` = 100,000). Where ties or infinities merge quantiles (a constant,
        two-valued or mostly infinite reference), the bins also part the reference's
        finite range from values below and above it.
    mode
        ``auto`` (exact statistics on raw data up to ``EXACT_MAX_ROWS`` = 100,000 rows
        per side, binned beyond); ``exact`` (raw data required on both sides);
        ``profile`` (profile raw data too: bounded memory, binned statistics).
    domain_classifier
        Also run the multivariate domain-classifier test (raw data on both sides).
    segment_by
        Key column (e.g. ``"sku"``): also compare each segment's current data with the
        same segment's reference, in the same profiling pass
        (:mod:`driftline.drift.segments`); the key is then not a feature. Profiles given
        as input must have been made with the same ``segment_by``. Results in
        ``report.segments``, ``report.segment_features`` and ``report.worst_segments()``.
    threads
        Worker threads (default: all CPUs).

    Returns
    -------
    DriftReport

    Examples
    --------
    >>> import numpy as np, driftline as dl
    >>> rng = np.random.default_rng(0)
    >>> ref = {"x": rng.normal(size=5000), "c": rng.choice(["a", "b"], 5000)}
    >>> cur = {"x": rng.normal(0.5, 1, 5000), "c": rng.choice(["a", "b"], 5000)}
    >>> r = dl.compare(ref, cur)
    >>> r.drifted, r.drifted_columns
    (True, ['x'])
    """
    if correction not in CORRECTIONS:
        raise InvalidParameter(f"correction must be one of {CORRECTIONS}, not {correction!r}")
    if mode not in MODES:
        raise InvalidParameter(f"mode must be one of {MODES}, not {mode!r}")
    if not 0 < alpha < 1:
        raise InvalidParameter(f"alpha must be in (0, 1), not {alpha!r}")
    if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= MAX_BINS:
        # Bounded: the reference's edges and counts are allocated up front.
        raise InvalidParameter(f"bins must be an integer in [2, {MAX_BINS:,}], not {bins!r}")
    if drift_share is not None and not 0 < drift_share <= 1:
        raise InvalidParameter(f"drift_share must be in (0, 1], not {drift_share!r}")
    if segment_by is not None and not isinstance(segment_by, str):
        raise InvalidParameter(f"segment_by must be a column name, not {segment_by!r}")
    if isinstance(columns, str):
        # One name, not its characters.
        columns = [columns]
    cols = None if columns is None else [str(c) for c in columns if c != segment_by]
    ref = load_reference(reference, cols, categorical, bins, threads, segment_by)
    ref_cols = ref.profile.columns if cols is None else cols
    if segment_by is not None:
        ref_cols = [c for c in ref_cols if c != segment_by]
    check_column_options(
        ref_cols, methods=methods, thresholds=thresholds, min_effect=min_effect, weights=weights
    )
    edges = reference_edges(ref.profile, bins)
    ref_types = {
        c: (str(st["dtype"]), str(st["kind"]))
        for c in ref_cols
        if c in ref.profile
        for st in (ref.profile._inner.column_stats(c),)
    }
    cur = load_current(current, ref_cols, categorical, edges, threads, segment_by, ref_types)
    if cur.rows == 0:
        from driftline.exceptions import DataError

        raise DataError("the current data has no rows: nothing to compare")
    exact = (
        ref.table is not None
        and cur.table is not None
        and (mode == "exact" or (mode == "auto" and max(ref.rows, cur.rows) <= EXACT_MAX_ROWS))
    )
    if mode == "exact" and not exact:
        raise InvalidParameter("mode='exact' needs raw data on both sides")
    run_mode = "exact" if exact else ("binned" if cur.source != "profile" else "sketch")
    changes, pairs = _schema(ref, cur, ref_cols, cols is None)
    results = _evaluate(ref, cur, pairs, edges, methods, exact, run_mode, threads)
    features = _decide(results, pairs, ref, cur, thresholds, min_effect, alpha, correction)
    feats_by = {f.column: f for f in features}
    for ch in changes:
        if ch.change == "missing" or not ch.comparable:
            feats_by[ch.column] = _schema_feature(ch)
    features = [feats_by[c] for c in ref_cols if c in feats_by]
    share = _share(features, weights)
    broken = any(ch.change == "missing" or not ch.comparable for ch in changes)
    any_drift = any(f.drifted for f in features)
    verdict = broken or (any_drift if drift_share is None else share >= drift_share)
    multi = None
    if domain_classifier:
        from driftline.drift.classifier import domain_classifier as run_classifier

        if ref.table is None or cur.table is None:
            raise InvalidParameter("domain_classifier needs raw data on both sides")
        multi = run_classifier(ref.table, cur.table, columns=[p[0] for p in pairs])
        verdict = verdict or multi.drifted
    segments = None
    segment_kwargs: dict[str, Any] = {
        "columns": cols,
        "methods": methods,
        "thresholds": thresholds,
        "min_effect": min_effect,
        "alpha": alpha,
        "correction": correction,
        "drift_share": drift_share,
        "weights": weights,
        "categorical": categorical,
        "bins": bins,
    }
    if segment_by is not None:
        from driftline.drift.segments import compare_segments

        segments = compare_segments(
            ref.profile,
            cur.profile,
            [p[0] for p in pairs],
            [ch.column for ch in changes if ch.change == "missing" or not ch.comparable],
            kinds={p[0]: p[1] for p in pairs},
            methods=methods,
            thresholds=thresholds,
            min_effect=min_effect,
            alpha=alpha,
            correction=correction,
            drift_share=drift_share,
            weights=weights,
            options={"columns": cols, "categorical": categorical, "bins": bins},
        )
    settings = {
        "bins": bins,
        "methods": methods if isinstance(methods, str | None) else dict(methods),
        "min_effect": min_effect if not isinstance(min_effect, Mapping) else dict(min_effect),
        "calibrated": isinstance(thresholds, Calibration),
    }
    return DriftReport(
        features,
        changes,
        share,
        verdict,
        run_mode,
        alpha,
        correction,
        drift_share,
        ref.rows,
        cur.rows,
        multi,
        settings,
        segment_by,
        segments,
        None if segments is None else (ref.profile, cur.profile, segment_kwargs),
    )


def _schema(
    ref: Side, cur: Side, ref_cols: list[str], all_columns: bool
) -> tuple[list[SchemaChange], list[tuple[str, str, dict[str, Any], dict[str, Any]]]]:
    changes: list[SchemaChange] = []
    pairs = []
    cur_cols = set(cur.profile.columns)
    for c in ref_cols:
        rs = ref.profile._inner.column_stats(c)
        if c not in cur_cols:
            changes.append(SchemaChange(c, "missing", rs["dtype"], None, False))
            continue
        cs = cur.profile._inner.column_stats(c)
        kinds = {rs["kind"], cs["kind"]}
        # Numbers of temporal types compare only in the same unit (drift.align cast the
        # current data's; a profile's cannot be).
        comparable = len(kinds - {"null"}) <= 1 and (
            kinds != {"numeric"} or comparable_types(rs["dtype"], cs["dtype"])
        )
        # The report names the type the current data came in, before any cast.
        cs = {**cs, "dtype": cur.original_types.get(c, cs["dtype"])}
        if "null" not in kinds and (rs["dtype"] != cs["dtype"] or len(kinds) > 1):
            ref_t, cur_t = rs["dtype"], cs["dtype"]
            if ref_t == cur_t:
                # Same type, counted as another kind (categories against numbers): never
                # a silent drop of the column.
                ref_t, cur_t = f"{ref_t} ({rs['kind']})", f"{cur_t} ({cs['kind']})"
            changes.append(SchemaChange(c, "retyped", ref_t, cur_t, comparable))
        if comparable:
            kind = next(iter(kinds - {"null"}), "null")
            pairs.append((c, kind, rs, cs))
    if all_columns:
        ref_set = set(ref_cols)
        extra = (
            cur.extra
            if cur.extra is not None
            else {c: cur.profile._inner.column_stats(c)["dtype"] for c in cur.profile.columns}
        )
        for c, dt in extra.items():
            if c not in ref_set:
                changes.append(SchemaChange(c, "added", None, dt, True))
    return changes, pairs


def _evaluate(
    ref: Side,
    cur: Side,
    pairs: list[Any],
    edges: dict[str, list[float]],
    methods: Any,
    exact: bool,
    run_mode: str,
    threads: int | None,
) -> dict[str, ColumnResult]:
    registered = custom.registered()

    def one(pair: tuple[str, str, dict[str, Any], dict[str, Any]]) -> ColumnResult:
        col, kind, rs, cs = pair
        if kind == "null" or rs["kind"] == "null" or cs["kind"] == "null":
            side = (
                "both sides"
                if rs["kind"] == cs["kind"] == "null"
                else "the reference"
                if rs["kind"] == "null"
                else "the current data"
            )
            return ColumnResult(
                "null_rate",
                None,
                None,
                None,
                notes=[f"every value is null in {side}: values not compared"],
            )
        if kind == "numeric":
            exact_bins = list(rs.get("histogram_edges", ())) == edges.get(col) and list(
                cs.get("histogram_edges", ())
            ) == edges.get(col)
            method = resolve_method(col, kind, run_mode, exact_bins, methods, registered)
            raw = None
            if exact:
                assert ref.table is not None and cur.table is not None
                raw = (raw_values(ref.table, col), raw_values(cur.table, col))
            return numeric_result(
                method, ref.profile._inner, cur.profile._inner, col, rs, cs, edges.get(col, []), raw
            )
        method = resolve_method(col, kind, run_mode, True, methods, registered)
        rf = dict(ref.profile._inner.frequencies(col) or [])
        cf = dict(cur.profile._inner.frequencies(col) or [])
        if numeric_categories(rs["dtype"], cs["dtype"]):
            rf, cf = canonical_frequencies(rf), canonical_frequencies(cf)
        ex = bool(rs.get("frequencies_exact", True) and cs.get("frequencies_exact", True))
        err = float(rs.get("frequencies_max_error", 0) or 0) + float(
            cs.get("frequencies_max_error", 0) or 0
        )
        return categorical_result(
            method,
            rf,
            cf,
            int(rs.get("frequencies_other", 0) or 0),
            int(cs.get("frequencies_other", 0) or 0),
            ex,
            err,
        )

    workers = threads or 2
    if exact and workers > 1 and len(pairs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            out = list(pool.map(one, pairs))
    else:
        out = [one(p) for p in pairs]
    return {p[0]: r for p, r in zip(pairs, out, strict=True)}


def _missing(stats: dict[str, Any]) -> tuple[int, int]:
    rows = stats["count"] + stats["null_count"]
    return stats["null_count"] + stats["nan_count"], rows


def _null_test(rs: dict[str, Any], cs: dict[str, Any]) -> tuple[float, float, float | None]:
    mr, nr = _missing(rs)
    mc, nc = _missing(cs)
    a, b = (mr / nr if nr else 0.0), (mc / nc if nc else 0.0)
    if mr + mc == 0 or nr == 0 or nc == 0:
        return a, b, None
    pooled = (mr + mc) / (nr + nc)
    se = math.sqrt(pooled * (1 - pooled) * (1 / nr + 1 / nc))
    # Two-sided normal tail: 2 * sf(z) = erfc(z / sqrt 2), without scipy's per-call overhead.
    p = 0.0 if se == 0 else math.erfc(abs(a - b) / se / math.sqrt(2.0))
    return a, b, p


def _decide(
    results: dict[str, ColumnResult],
    pairs: list[Any],
    ref: Side,
    cur: Side,
    thresholds: Any,
    min_effect: Any,
    alpha: float,
    correction: str,
) -> list[FeatureDrift]:
    calibrated = thresholds if isinstance(thresholds, Calibration) else None
    per_col = thresholds if isinstance(thresholds, Mapping) else {}
    family: list[tuple[str, str, float]] = []
    nulls = {}
    for col, _kind, rs, cs in pairs:
        res = results[col]
        if res.p_value is not None and is_test(res.method) and calibrated is None:
            family.append((col, "value", res.p_value))
        nulls[col] = _null_test(rs, cs)
        if nulls[col][2] is not None:
            family.append((col, "null", nulls[col][2]))
    adj = adjust([f[2] for f in family], correction)
    adjusted = {(c, k): a for (c, k, _), a in zip(family, adj, strict=True)}
    out = []
    for col, kind, rs, cs in pairs:
        res = results[col]
        nr, nc, _p = nulls[col]
        null_adj = adjusted.get((col, "null"))
        null_drift = (
            null_adj is not None and null_adj < alpha and abs(nc - nr) >= NULL_RATE_MIN_EFFECT
        )
        me = min_effect_for(col, kind, min_effect) if kind != "null" else None
        p_adj = adjusted.get((col, "value"))
        reasons = list(res.notes)
        value_drift = False
        thr: float | None
        method = res.method
        if res.statistic is None:
            thr = None
        elif calibrated is not None:
            thr = calibrated.thresholds.get(col)
            method = f"calibrated_{EFFECT_NAMES.get(kind, 'effect')}"
            value_drift = (
                thr is not None and res.effect_size is not None and (res.effect_size > thr)
            )
            reasons.insert(0, f"effect {res.effect_size:.4g} vs calibrated {thr}")
        elif is_test(res.method):
            thr = threshold_value(col, per_col.get(col, alpha))
            if not 0 < thr < 1:
                raise InvalidParameter(
                    f"threshold for column {col!r} is a significance level for {res.method} "
                    f"and must be in (0, 1), not {thr!r}"
                )
            sig = p_adj is not None and p_adj < thr
            big = res.effect_size is not None and me is not None and res.effect_size >= me
            value_drift = sig and big
            reasons.insert(0, _test_reason(res, p_adj, thr, me, sig, big, kind))
        else:
            thr, higher = _distance_threshold(res.method, col, per_col)
            value_drift = res.statistic >= thr if higher else res.statistic <= thr
            reasons.insert(
                0,
                f"{res.method} {res.statistic:.4g} "
                f"{'>=' if value_drift == higher else '<'} threshold {thr:.4g}",
            )
        if null_drift:
            reasons.append(f"missing-value rate changed from {nr:.2%} to {nc:.2%}")
        if res.unseen:
            reasons.append(f"{len(res.unseen)} unseen categories")
        out.append(
            FeatureDrift(
                column=col,
                kind=kind,
                method=method,
                statistic=res.statistic,
                p_value=res.p_value,
                threshold=thr,
                drifted=bool(value_drift or null_drift),
                effect_size=res.effect_size,
                effect_name=EFFECT_NAMES.get(kind),
                min_effect=me,
                p_value_adjusted=p_adj,
                null_rate_reference=nr,
                null_rate_current=nc,
                null_rate_change=nc - nr,
                null_rate_drifted=null_drift,
                unseen_categories=res.unseen,
                vanished_categories=res.vanished,
                reason="; ".join(reasons),
                error_bound=res.error_bound,
                dtype_reference=rs["dtype"],
                dtype_current=cs["dtype"],
                histogram=res.histogram,
            )
        )
    return out


def _test_reason(
    res: ColumnResult,
    p_adj: float | None,
    thr: float,
    me: float | None,
    sig: bool,
    big: bool,
    kind: str,
) -> str:
    eff = EFFECT_NAMES.get(kind, "effect")
    p = "n/a" if p_adj is None else f"{p_adj:.3g}"
    if sig and big:
        return f"significant (adjusted p {p} < {thr}) and {eff} {res.effect_size:.3g} >= {me}"
    if sig:
        return f"significant (adjusted p {p}) but {eff} {res.effect_size:.3g} < {me}: negligible"
    return f"not significant (adjusted p {p} >= {thr})"


def _distance_threshold(method: str, col: str, per_col: Mapping[str, float]) -> tuple[float, bool]:
    stat = custom.get(method)
    higher = True if stat is None else stat.higher_is_drift
    if col in per_col:
        return threshold_value(col, per_col[col]), higher
    if method in DISTANCE_THRESHOLDS:
        return DISTANCE_THRESHOLDS[method], higher
    if stat is not None and stat.threshold is not None:
        return stat.threshold, higher
    raise InvalidParameter(
        f"registered statistic {method!r} has no threshold: pass "
        f"thresholds={{{col!r}: ...}} or register it with one"
    )


def _schema_feature(ch: SchemaChange) -> FeatureDrift:
    why = (
        "missing from the current data"
        if ch.change == "missing"
        else f"type changed from {ch.reference_type} to {ch.current_type}"
    )
    return FeatureDrift(
        column=ch.column,
        kind="schema",
        method="schema",
        statistic=None,
        p_value=None,
        threshold=None,
        drifted=True,
        reason=why,
        dtype_reference=ch.reference_type,
        dtype_current=ch.current_type,
    )


def _share(features: list[FeatureDrift], weights: Mapping[str, float] | None) -> float:
    if not features:
        return 0.0
    w = np.array(
        [float((weights or {}).get(f.column, 1.0 if weights is None else 0.0)) for f in features]
    )
    if w.sum() <= 0:
        raise InvalidParameter("weights must give a positive total to the compared columns")
    d = np.array([f.drifted for f in features], dtype=np.float64)
    return float((w * d).sum() / w.sum())
