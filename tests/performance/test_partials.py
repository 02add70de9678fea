"""Performance partials: merged partials against the one-pass report (exactly) and against
scikit-learn; the histogram AUC within its bound; multiclass one-vs-rest AUC and log loss;
the DLPERF bytes."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import driftline as dl
from driftline.exceptions import DecodeError, InvalidParameter

TOL = 1e-9
# Metrics that differ between one pass (exact AUC) and partials (histogram AUC).
AUC_ONLY = {"roc_auc", "auc_mode", "roc_auc_ovr_macro", "roc_auc_ovr_weighted"}
AUC_ONLY |= {"roc_auc_ovr_error_bound", "roc_auc_error_bound"}


def binary_table(seed: int, n: int = 6000, segments: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0, 1)
    return pa.table(
        {
            "y": y,
            "s": s,
            "p": (s > 0.5).astype(np.int64),
            "seg": np.array([f"s{i}" for i in range(segments)])[rng.integers(0, segments, n)],
        }
    )


def regression_table(seed: int, n: int = 6000) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = rng.normal(1e4, 3.0, n)  # a large mean against the spread: SST must not cancel
    return pa.table(
        {"y": y, "p": y + rng.normal(0, 1, n), "seg": rng.integers(0, 5, n).astype(np.int64)}
    )


def multiclass_table(seed: int, n: int = 4000, k: int = 4) -> pa.Table:
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(k) * 0.7, n)
    cum = proba.cumsum(axis=1)
    y = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, k - 1)
    cols: dict[str, Any] = {"y": y, "p": proba.argmax(axis=1), "seg": rng.integers(0, 3, n)}
    cols.update({f"p{j}": proba[:, j] for j in range(k)})
    return pa.table(cols)


def split(table: pa.Table, rng: np.random.Generator, parts: int) -> list[pa.Table]:
    """Random cut points (empty pieces allowed), pieces in shuffled order."""
    cuts = np.sort(rng.integers(0, table.num_rows + 1, parts - 1))
    bounds = [0, *cuts.tolist(), table.num_rows]
    pieces = [table.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    order = rng.permutation(len(pieces))
    return [pieces[i] for i in order]


def merged(pieces: list[pa.Table], **kw: Any) -> dl.PerformanceReport:
    parts = [dl.performance_partial(p, **kw) for p in pieces]
    blobs = [p.to_bytes() for p in parts]
    acc = dl.PerformancePartial.from_bytes(blobs[0])
    for b in blobs[1:]:
        acc = acc.merge(dl.PerformancePartial.from_bytes(b))
    return acc.report()


def assert_same_but_auc(got: dl.PerformanceReport, want: dl.PerformanceReport) -> None:
    g, w = got.to_dict(), want.to_dict()
    for k in set(g) | set(w):
        if k not in AUC_ONLY:
            assert g.get(k) == w.get(k), k  # bit-identical: counts and exact sums
    if want.segments is not None:
        assert got.segments is not None
        keep = [c for c in want.segments.columns if c not in AUC_ONLY]
        assert got.segments.select(keep).equals(want.segments.select(keep))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_merge_equals_one_pass_exactly(seed: int) -> None:
    t = binary_table(seed)
    kw: dict[str, Any] = dict(prediction="p", label="y", score="s", segment_by="seg")
    want = dl.performance(t, **kw)
    rng = np.random.default_rng(seed)
    for parts in (1, 2, 5, 17):
        got = merged(split(t, rng, parts), **kw)
        assert got.auc_mode == "histogram" and want.auc_mode == "exact"
        assert_same_but_auc(got, want)
        # The approximate AUC is the one-pass auc_approx, and within its bound and 0.005.
        assert got.roc_auc == want.auc_approx
        exact = skm.roc_auc_score(t["y"].to_numpy(), t["s"].to_numpy())
        assert abs(got.roc_auc - exact) <= got.auc_approx_error_bound + 1e-12
        assert abs(got.roc_auc - exact) < 0.005


def test_binary_partial_against_sklearn() -> None:
    t = binary_table(5)
    y, s, p = (t[c].to_numpy() for c in ("y", "s", "p"))
    r = merged(split(t, np.random.default_rng(1), 6), prediction="p", label="y", score="s")
    assert abs(r.accuracy - skm.accuracy_score(y, p)) < TOL
    assert abs(r.f1 - skm.f1_score(y, p)) < TOL
    assert abs(r.log_loss - skm.log_loss(y, s)) < TOL
    assert abs(r.brier - skm.brier_score_loss(y, s)) < TOL
    assert abs(r.roc_auc - skm.roc_auc_score(y, s)) < 0.005


def test_segment_auc_within_bound() -> None:
    t = binary_table(9, n=20000, segments=4)
    r = merged(
        split(t, np.random.default_rng(2), 8),
        prediction="p",
        label="y",
        score="s",
        segment_by="seg",
    )
    assert r.segments is not None
    df = t.to_pandas()
    for row in r.segments.iter_rows(named=True):
        part = df[df["seg"] == row["seg"]]
        err = abs(row["roc_auc"] - skm.roc_auc_score(part["y"], part["s"]))
        assert err < 0.005 and err <= row["roc_auc_error_bound"] + 1e-12


def test_segment_auc_bound_covers_crowded_scores() -> None:
    # A rare-event model: every score below 1e-4, inside one histogram bin of 8,192. The
    # approximate AUC can be far off; each segment's bound says by how much at most.
    rng = np.random.default_rng(4)
    n = 8000
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(2e-5 + 4e-5 * y, 2e-5), 0, 9e-5)
    t = pa.table({"seg": rng.integers(0, 3, n), "y": y, "s": s, "p": (s > 5e-5).astype(int)})
    kw: dict[str, Any] = dict(prediction="p", label="y", score="s", segment_by="seg")
    r = merged(split(t, np.random.default_rng(3), 4), **kw)
    assert r.segments is not None
    df = t.to_pandas()
    worst = 0.0
    for row in r.segments.iter_rows(named=True):
        part = df[df["seg"] == row["seg"]]
        err = abs(row["roc_auc"] - skm.roc_auc_score(part["y"], part["s"]))
        assert err <= row["roc_auc_error_bound"] + 1e-12
        worst = max(worst, err)
    assert worst > 0.005  # the case the bound is for
    # The one-pass report is exact and carries no bound column.
    one = dl.performance(t, **kw).segments
    assert one is not None and "roc_auc_error_bound" not in one.columns


@pytest.mark.parametrize("seed", [0, 1])
def test_regression_merge_equals_one_pass_exactly(seed: int) -> None:
    t = regression_table(seed)
    kw: dict[str, Any] = dict(prediction="p", label="y", task="regression", segment_by="seg")
    want = dl.performance(t, **kw)
    rng = np.random.default_rng(seed)
    for parts in (1, 3, 16):
        assert_same_but_auc(merged(split(t, rng, parts), **kw), want)
    y, p = t["y"].to_numpy(), t["p"].to_numpy()
    assert abs(want.r2 - skm.r2_score(y, p)) < 1e-9
    assert abs(want.mae - skm.mean_absolute_error(y, p)) < 1e-9 * 1e4
    assert abs(want.rmse - skm.root_mean_squared_error(y, p)) < 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiclass_ovr_auc_and_log_loss_equal_sklearn(seed: int) -> None:
    t = multiclass_table(seed)
    y = t["y"].to_numpy()
    proba = np.column_stack([t[f"p{j}"].to_numpy() for j in range(4)])
    r = dl.performance(
        t, prediction="p", label="y", score=["p0", "p1", "p2", "p3"], task="multiclass"
    )
    assert r.auc_mode == "exact"
    for avg in ("macro", "weighted"):
        want = skm.roc_auc_score(y, proba, multi_class="ovr", average=avg)
        assert abs(getattr(r, f"roc_auc_ovr_{avg}") - want) < TOL
    assert abs(r.log_loss - skm.log_loss(y, proba)) < TOL
    assert abs(r.f1_macro - skm.f1_score(y, t["p"].to_numpy(), average="macro")) < TOL


def test_multiclass_dict_scores_and_partials() -> None:
    t = multiclass_table(4, k=3)
    names = np.array(["cat", "dog", "emu"])
    t = t.set_column(0, "y", pa.array(names[t["y"].to_numpy()]))
    t = t.set_column(1, "p", pa.array(names[t["p"].to_numpy()]))
    score = {"cat": "p0", "dog": "p1", "emu": "p2"}
    kw: dict[str, Any] = dict(
        prediction="p", label="y", score=score, task="multiclass", segment_by="seg"
    )
    want = dl.performance(t, **kw)
    y = t["y"].to_numpy(zero_copy_only=False)
    proba = np.column_stack([t[f"p{j}"].to_numpy() for j in range(3)])
    assert abs(want.roc_auc_ovr_macro - skm.roc_auc_score(y, proba, multi_class="ovr")) < TOL
    got = merged(split(t, np.random.default_rng(0), 9), **kw)
    assert_same_but_auc(got, want)
    assert got.classes == ["cat", "dog", "emu"]
    assert got.auc_mode == "histogram"
    for avg in ("macro", "weighted"):
        diff = abs(getattr(got, f"roc_auc_ovr_{avg}") - getattr(want, f"roc_auc_ovr_{avg}"))
        assert diff <= got.roc_auc_ovr_error_bound + 1e-12 and diff < 0.005


def test_multiclass_segments_equal_sklearn_on_each_segment() -> None:
    t = multiclass_table(11, n=3000, k=3)
    # One more segment whose labels are 0 and 1 only: class 2's AUC is undefined there.
    extra = multiclass_table(12, n=300, k=3).filter(pc.less(pc.field("y"), 2))
    extra = extra.set_column(2, "seg", pa.array(np.full(extra.num_rows, 9)))
    t = pa.concat_tables([t, extra])
    kw: dict[str, Any] = dict(
        prediction="p", label="y", score=["p0", "p1", "p2"], task="multiclass", segment_by="seg"
    )
    r = dl.performance(t, **kw)
    seg = r.segments
    assert seg is not None and seg.height == 4
    y_all, seg_all = t["y"].to_numpy(), t["seg"].to_numpy()
    proba_all = np.column_stack([t[f"p{j}"].to_numpy() for j in range(3)])
    for row in seg.iter_rows(named=True):
        mask = seg_all == row["seg"]
        y, proba = y_all[mask], proba_all[mask]
        assert abs(row["log_loss"] - skm.log_loss(y, proba, labels=[0, 1, 2])) < TOL
        if row["seg"] == 9:
            assert row["roc_auc_ovr_macro"] is None and row["roc_auc_ovr_weighted"] is None
            continue
        for avg in ("macro", "weighted"):
            want = skm.roc_auc_score(y, proba, multi_class="ovr", average=avg)
            assert abs(row[f"roc_auc_ovr_{avg}"] - want) < TOL, (row["seg"], avg)
    # Merged partials: the same log loss per segment (exact sums), the AUCs from each
    # segment's histograms within 0.005.
    got = merged(split(t, np.random.default_rng(5), 6), **kw)
    assert_same_but_auc(got, r)
    assert got.segments is not None
    for a, b in zip(got.segments.iter_rows(named=True), seg.iter_rows(named=True), strict=True):
        for avg in ("macro", "weighted"):
            x, want = a[f"roc_auc_ovr_{avg}"], b[f"roc_auc_ovr_{avg}"]
            assert (x is None) == (want is None)
            assert want is None or abs(x - want) < 0.005


def test_multiclass_label_without_score_column_is_named() -> None:
    data = {"y": [0, 1, 2], "p": [0, 1, 1], "p0": [0.5, 0.2, 0.1], "p1": [0.5, 0.8, 0.9]}
    with pytest.raises(dl.exceptions.DataError, match="label value 2 has no score column"):
        dl.performance(data, prediction="p", label="y", score=["p0", "p1"], task="multiclass")
    with pytest.raises(ValueError, match="column per class"):
        dl.performance(data, prediction="p", label="y", score="p0", task="multiclass")


def test_class_absent_from_one_partial() -> None:
    t = multiclass_table(7, k=3)
    y = t["y"].to_numpy()
    kw: dict[str, Any] = dict(prediction="p", label="y", task="multiclass", segment_by="seg")
    a, b = t.filter(pa.array(y != 2)), t.filter(pa.array(y == 2))
    want = dl.performance(pa.concat_tables([a, b]), **kw)
    assert_same_but_auc(merged([b, a], **kw), want)


def test_empty_partial_is_neutral() -> None:
    t = binary_table(3)
    kw: dict[str, Any] = dict(prediction="p", label="y", score="s", segment_by="seg")
    want = dl.performance(t, **kw)
    assert_same_but_auc(merged([t.slice(0, 0), t, t.slice(5, 0)], **kw), want)
    empty = dl.performance_partial(t.slice(0, 0), **kw).report()
    assert empty.n == 0 and empty.accuracy is None and empty.reason("accuracy") == "no rows"


def test_all_null_labels() -> None:
    t = binary_table(3, n=100)
    t = t.set_column(0, "y", pa.nulls(100, pa.int64()))
    r = merged([t.slice(0, 40), t.slice(40)], prediction="p", label="y", score="s")
    assert r.n == 0 and r.n_null == 100 and r.roc_auc is None


def test_bytes_are_refused_clearly() -> None:
    part = dl.performance_partial(binary_table(0, n=50), prediction="p", label="y", score="s")
    b = part.to_bytes()
    assert b[:6] == b"DLPERF"
    bumped = b[:6] + (99).to_bytes(2, "little") + b[8:]
    with pytest.raises(DecodeError, match="format version 99 is not supported"):
        dl.PerformancePartial.from_bytes(bumped)
    with pytest.raises(DecodeError, match="checksum mismatch"):
        dl.PerformancePartial.from_bytes(b[:20] + bytes([b[20] ^ 1]) + b[21:])
    with pytest.raises(DecodeError, match="too short"):
        dl.PerformancePartial.from_bytes(b[:9])
    profile_bytes = dl.profile({"x": [1.0]}).to_bytes()
    with pytest.raises(DecodeError, match="hold a driftline profile, not a performance"):
        dl.PerformancePartial.from_bytes(profile_bytes)
    fair = dl.fairness_partial({"p": [1], "g": ["a"]}, prediction="p", sensitive="g")
    with pytest.raises(DecodeError, match="fairness partial"):
        dl.PerformancePartial.from_bytes(fair.to_bytes())


def test_different_specs_do_not_merge() -> None:
    t = binary_table(0, n=50)
    a = dl.performance_partial(t, prediction="p", label="y", score="s")
    b = dl.performance_partial(t, prediction="p", label="y")
    with pytest.raises(InvalidParameter, match="different evaluations"):
        a.merge(b)


def test_non_binary_across_partials_is_refused() -> None:
    a = dl.performance_partial({"y": [1, 0], "p": [1, 0]}, prediction="p", label="y")
    b = dl.performance_partial({"y": [1, 2], "p": [1, 1]}, prediction="p", label="y")
    with pytest.raises(dl.exceptions.DataError, match="not binary"):
        a.merge(b)


def test_merge_all_of_bytes_and_objects() -> None:
    t = binary_table(1)
    kw: dict[str, Any] = dict(prediction="p", label="y", score="s", segment_by="seg")
    pieces = split(t, np.random.default_rng(3), 5)
    parts = [dl.performance_partial(p, **kw) for p in pieces]
    from_bytes = dl.PerformancePartial.merge_all([p.to_bytes() for p in parts])
    from_objects = dl.PerformancePartial.merge_all(parts)
    assert from_bytes is not None and from_objects is not None
    assert from_bytes.report().to_dict() == from_objects.report().to_dict()
    assert dl.PerformancePartial.merge_all([]) is None
    assert isinstance(from_bytes.report().segments, pl.DataFrame)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 1)),
            st.integers(0, 1),
            st.one_of(st.none(), st.floats(0, 1)),
            st.integers(0, 3),
        ),
        max_size=40,
    ),
    st.integers(0, 40),
    st.integers(0, 40),
)
def test_merge_is_associative_and_commutative(
    rows: list[tuple[int | None, int, float | None, int]], i: int, j: int
) -> None:
    cols = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
    t = pa.table(
        {
            "y": pa.array(cols[0], pa.int64()),
            "p": pa.array(cols[1], pa.int64()),
            "s": pa.array(cols[2], pa.float64()),
            "seg": pa.array(cols[3], pa.int64()),
        }
    )
    i, j = sorted((min(i, t.num_rows), min(j, t.num_rows)))
    kw: dict[str, Any] = dict(prediction="p", label="y", score="s", segment_by="seg")
    a, b, c = (
        dl.performance_partial(t.slice(x, y - x), **kw)
        for x, y in ((0, i), (i, j), (j, t.num_rows))
    )
    left = a.merge(b).merge(c).report()
    right = c.merge(b.merge(a)).report()
    whole = dl.performance_partial(t, **kw).report()
    for r in (left, right):
        assert r.to_dict() == whole.to_dict()
        assert (r.segments is None and whole.segments is None) or r.segments.equals(whole.segments)
