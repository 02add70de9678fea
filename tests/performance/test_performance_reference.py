"""driftline.performance against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sklearn import metrics as skm

import driftline as dl
from driftline.performance import roc_auc

TOL = 1e-9


def binary_frame(seed: int, n: int = 5000, ties: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0, 1)
    if ties:
        s = np.round(s, 2)
    return pd.DataFrame({"y": y, "s": s, "p": (s > 0.5).astype(int)})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_equals_sklearn(seed: int) -> None:
    df = binary_frame(seed)
    r = dl.performance(df, prediction="p", label="y", score="s")
    y, p, s = df["y"], df["p"], df["s"]
    assert abs(r.accuracy - skm.accuracy_score(y, p)) < TOL
    assert abs(r.precision - skm.precision_score(y, p)) < TOL
    assert abs(r.recall - skm.recall_score(y, p)) < TOL
    assert abs(r.f1 - skm.f1_score(y, p)) < TOL
    assert abs(r.roc_auc - skm.roc_auc_score(y, s)) < TOL
    assert abs(r.log_loss - skm.log_loss(y, s)) < TOL
    assert abs(r.brier - skm.brier_score_loss(y, s)) < TOL
    assert abs(r.auc_approx - r.roc_auc) < 0.005
    assert abs(r.auc_approx - r.roc_auc) <= r.auc_approx_error_bound + 1e-12
    assert r.n == len(df) and r.n_null == 0


def test_ece_equals_numpy() -> None:
    df = binary_frame(3, ties=False)
    r = dl.performance(df, prediction="p", label="y", score="s")
    s, y = df["s"].to_numpy(), df["y"].to_numpy()
    b = np.minimum((s * 10).astype(int), 9)
    ece = sum(
        (b == k).mean() * abs(s[b == k].mean() - y[b == k].mean())
        for k in range(10)
        if (b == k).any()
    )
    assert abs(r.ece - ece) < TOL


def test_log_loss_extremes_clip_like_sklearn() -> None:
    y = np.array([0, 1, 1, 0])
    s = np.array([0.0, 1.0, 0.0, 1.0])
    r = dl.performance({"y": y, "s": s, "p": y}, prediction="p", label="y", score="s")
    assert abs(r.log_loss - skm.log_loss(y, s)) < TOL


@pytest.mark.parametrize("seed", [0, 1])
def test_multiclass_equals_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = np.array(["cat", "dog", "emu", "fox", "gnu"])
    y = classes[rng.integers(0, 5, 4000)]
    p = np.where(rng.random(4000) < 0.6, y, classes[rng.integers(0, 4, 4000)])
    r = dl.performance({"y": y, "p": p}, prediction="p", label="y", task="multiclass")
    assert r.classes == list(classes)
    assert abs(r.accuracy - skm.accuracy_score(y, p)) < TOL
    for avg in ["macro", "weighted"]:
        kw = {"average": avg, "zero_division": 0}
        assert abs(getattr(r, f"precision_{avg}") - skm.precision_score(y, p, **kw)) < TOL
        assert abs(getattr(r, f"recall_{avg}") - skm.recall_score(y, p, **kw)) < TOL
        assert abs(getattr(r, f"f1_{avg}") - skm.f1_score(y, p, **kw)) < TOL


def test_multiclass_class_never_predicted() -> None:
    y = np.array([0, 1, 2, 2, 1, 0, 3])
    p = np.array([0, 1, 1, 2, 1, 0, 0])
    r = dl.performance({"y": y, "p": p}, prediction="p", label="y", task="multiclass")
    for avg in ["macro", "weighted"]:
        assert abs(getattr(r, f"f1_{avg}") - skm.f1_score(y, p, average=avg, zero_division=0)) < TOL
        assert (
            abs(
                getattr(r, f"precision_{avg}")
                - skm.precision_score(y, p, average=avg, zero_division=0)
            )
            < TOL
        )


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_regression_equals_sklearn(offset: float) -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(offset + 10, 3, 20000)
    y[:10] = 0.0  # MAPE's epsilon guard
    p = y + rng.normal(0.5, 1, y.size)
    r = dl.performance({"y": y, "p": p}, prediction="p", label="y", task="regression")
    assert abs(r.mae - skm.mean_absolute_error(y, p)) < TOL
    assert abs(r.rmse - skm.root_mean_squared_error(y, p)) < TOL * max(1.0, r.rmse)
    assert (
        abs(r.mape - skm.mean_absolute_percentage_error(y, p))
        / skm.mean_absolute_percentage_error(y, p)
        < TOL
    )
    assert abs(r.r2 - skm.r2_score(y, p)) < 1e-8
    assert abs(r.mean_error - np.mean(y - p)) < TOL
    den = np.abs(y) + np.abs(p)
    smape = np.mean(np.where(den > 0, 2 * np.abs(y - p) / np.where(den > 0, den, 1), 0))
    assert abs(r.smape - smape) < TOL


def test_r2_constant_label_like_sklearn() -> None:
    y = np.full(10, 3.0)
    for p in (y.copy(), y + 1):
        r = dl.performance({"y": y, "p": p}, prediction="p", label="y", task="regression")
        assert r.r2 == skm.r2_score(y, p)


def test_roc_auc_function_with_ties_and_any_reals() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100_000)
    s = np.round(rng.normal(y, 2.0), 1)
    assert abs(roc_auc(y, s) - skm.roc_auc_score(y, s)) < TOL
    assert roc_auc([0, 1], [-np.inf, np.inf]) == 1.0


def test_segments_equal_subsets_and_worst() -> None:
    df = binary_frame(4, n=20000)
    df["seg"] = np.random.default_rng(1).integers(0, 50, len(df))
    r = dl.performance(df, prediction="p", label="y", score="s", segment_by="seg")
    seg = r.segments
    assert seg is not None and seg.height == 50
    for row in seg.to_dicts()[:10]:
        sub = df[df["seg"] == row["seg"]]
        assert row["n"] == len(sub)
        assert abs(row["accuracy"] - skm.accuracy_score(sub["y"], sub["p"])) < TOL
        assert abs(row["f1"] - skm.f1_score(sub["y"], sub["p"])) < TOL
        assert abs(row["roc_auc"] - skm.roc_auc_score(sub["y"], sub["s"])) < TOL
        assert abs(row["log_loss"] - skm.log_loss(sub["y"], sub["s"], labels=[0, 1])) < TOL
    worst = r.worst("roc_auc", n=3)
    assert worst["roc_auc"].to_list() == sorted(seg["roc_auc"].to_list())[:3]
    assert r.worst("log_loss", n=1)["log_loss"][0] == seg["log_loss"].max()
    assert abs(r.roc_auc - skm.roc_auc_score(df["y"], df["s"])) < TOL


def test_regression_segments_two_columns() -> None:
    rng = np.random.default_rng(2)
    n = 10000
    df = pl.DataFrame(
        {
            "store": rng.choice(["a", "b"], n),
            "sku": rng.integers(0, 30, n),
            "y": rng.gamma(2, 3, n),
        }
    ).with_columns(p=pl.col("y") * 1.1)
    r = dl.performance(
        df, prediction="p", label="y", task="regression", segment_by=["store", "sku"]
    )
    assert r.segments is not None and r.segments.height == 60
    row = r.segments.row(5, named=True)
    sub = df.filter((pl.col("store") == row["store"]) & (pl.col("sku") == row["sku"]))
    assert abs(row["mae"] - skm.mean_absolute_error(sub["y"], sub["p"])) < TOL
    assert abs(row["r2"] - skm.r2_score(sub["y"], sub["p"])) < 1e-8
    assert r.worst("mae", 1)["mae"][0] == r.segments["mae"].max()


@pytest.mark.parametrize("segments", [40, 700])
def test_regression_integer_segments_equal_string_segments_and_sklearn(segments: int) -> None:
    # Integer segment keys are coded while the rows are grouped, string keys through the
    # general coding: the same rows give the same sums, bit for bit.
    rng = np.random.default_rng(segments)
    n = 30_000
    seg = rng.integers(-5, segments - 5, n)
    y = rng.gamma(2, 3, n)
    seg_null = rng.random(n) < 0.01
    t = pa.table(
        {
            "seg": pa.array(seg, mask=seg_null),
            "y": pa.array(y, mask=rng.random(n) < 0.02),
            "p": y * rng.normal(1, 0.1, n),
        }
    )
    kw = dict(prediction="p", label="y", task="regression")
    by_int = dl.performance(t, **kw, segment_by="seg")
    as_str = t.set_column(0, "seg", pc.cast(t["seg"], pa.string()))
    by_str = dl.performance(as_str, **kw, segment_by="seg")
    assert by_int.segments is not None and by_str.segments is not None
    assert by_int.segments.height == by_str.segments.height == segments + 1
    assert by_int.segments["seg"][0] is None  # the null key first
    a = by_int.segments.with_columns(pl.col("seg").cast(pl.String)).sort("seg", nulls_last=True)
    b = by_str.segments.sort("seg", nulls_last=True)
    assert a.equals(b)
    assert by_int.to_dict() == by_str.to_dict()
    row = by_int.segments.row(3, named=True)
    sub = t.filter(pc.equal(t["seg"], row["seg"])).drop_null()
    yy, pp = sub["y"].to_numpy(), sub["p"].to_numpy()
    assert row["n"] == len(yy)
    assert abs(row["mae"] - skm.mean_absolute_error(yy, pp)) < TOL
    assert abs(row["r2"] - skm.r2_score(yy, pp)) < 1e-8


@pytest.mark.parametrize("segments", [40, 700])
def test_binary_integer_segments_equal_string_segments_and_sklearn(segments: int) -> None:
    # Integer segment keys are looked up while the rows are placed, string keys coded
    # first: the same rows give the same counts, exact sums and AUC, bit for bit; and
    # each segment's AUC is scikit-learn's on its complete, scored rows.
    rng = np.random.default_rng(segments)
    n = 40_000
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.25), 0, 1)
    s = np.where(rng.random(n) < 0.2, np.round(s, 2), s)  # ties within and across segments
    t = pa.table(
        {
            "seg": pa.array(rng.integers(-5, segments - 5, n), mask=rng.random(n) < 0.01),
            "y": pa.array(y, mask=rng.random(n) < 0.02),
            "p": pa.array((s > 0.5).astype(np.int64), mask=rng.random(n) < 0.02),
            "s": pa.array(s, mask=rng.random(n) < 0.03),
        }
    )
    kw = dict(prediction="p", label="y", score="s")
    by_int = dl.performance(t, **kw, segment_by="seg")
    as_str = t.set_column(0, "seg", pc.cast(t["seg"], pa.string()))
    by_str = dl.performance(as_str, **kw, segment_by="seg")
    assert by_int.segments is not None and by_str.segments is not None
    assert by_int.segments.height == by_str.segments.height == segments + 1
    a = by_int.segments.with_columns(pl.col("seg").cast(pl.String)).sort("seg", nulls_last=True)
    b = by_str.segments.sort("seg", nulls_last=True)
    assert a.equals(b)
    assert by_int.to_dict() == by_str.to_dict()
    plain = dl.performance(t, **kw)
    assert plain.roc_auc == by_int.roc_auc and plain.n == by_int.n
    assert plain.log_loss == by_int.log_loss and plain.brier == by_int.brier
    for i in (1, 2, segments // 2):
        row = by_int.segments.row(i, named=True)
        sub = t.filter(pc.equal(t["seg"], row["seg"])).drop_null()
        yy, ss = sub["y"].to_numpy(), sub["s"].to_numpy()
        assert abs(row["roc_auc"] - skm.roc_auc_score(yy, ss)) < TOL
        assert abs(row["brier"] - skm.brier_score_loss(yy, ss)) < TOL
        assert abs(row["log_loss"] - skm.log_loss(yy, ss, labels=[0, 1])) < TOL
        # Confusion counts take the rows without a score too.
        both = t.filter(pc.equal(t["seg"], row["seg"])).select(["y", "p"]).drop_null()
        assert row["n"] == both.num_rows
        assert abs(row["precision"] - skm.precision_score(both["y"], both["p"])) < TOL


def test_100k_segments() -> None:
    n = 400_000
    rng = np.random.default_rng(0)
    t = pa.table(
        {
            "seg": rng.integers(0, 100_000, n),
            "y": rng.integers(0, 2, n),
            "s": rng.random(n),
        }
    ).append_column("p", pa.array((rng.random(n) > 0.5).astype(np.int64)))
    r = dl.performance(t, prediction="p", label="y", score="s", segment_by="seg")
    assert r.segments is not None
    assert r.segments.height == len(np.unique(t["seg"].to_numpy()))
    assert r.segments["n"].sum() == n


def test_chunked_sliced_and_string_labels() -> None:
    df = binary_frame(6)
    base = dl.performance(df, prediction="p", label="y", score="s").to_dict()
    t = pa.Table.from_pandas(df, preserve_index=False)
    chunked = pa.Table.from_batches(t.to_batches(max_chunksize=333))
    assert dl.performance(chunked, prediction="p", label="y", score="s").to_dict() == pytest.approx(
        base
    )
    sliced = pa.concat_tables([t.slice(0, 1000), t.slice(1000)])
    assert dl.performance(sliced, prediction="p", label="y", score="s").to_dict() == pytest.approx(
        base
    )
    strs = df.assign(
        y=np.where(df["y"] == 1, "bad", "good"), p=np.where(df["p"] == 1, "bad", "good")
    )
    r = dl.performance(strs, prediction="p", label="y", score="s", positive="bad")
    assert r.to_dict() == pytest.approx(base)


def _same(got: float | None, want: float) -> bool:
    """driftline's value against scikit-learn's: an explained null where scikit-learn
    gives NaN (or refuses), else equal to 1e-9."""
    if got is None:
        return bool(np.isnan(want))
    return bool(np.isclose(got, want, rtol=TOL, atol=1e-12))


def _or_nan(fn, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(fn(*args, **kwargs))
        except ValueError:
            return float("nan")


def test_small_random_tables_equal_sklearn() -> None:
    """150 tables of 1 to 29 rows (one class only, no predicted positives, tied scores,
    one row ...): every metric equals scikit-learn's, and is an explained null exactly
    where scikit-learn's is NaN (zero_division=NaN) or refused."""
    for seed in range(150):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 30))
        y = (rng.random(n) < rng.random()).astype(np.int64)
        s = np.round(rng.random(n), int(rng.integers(1, 4)))
        p = (s > 0.5).astype(np.int64)
        r = dl.performance({"y": y, "p": p, "s": s}, prediction="p", label="y", score="s")
        nan = np.nan
        want = {
            "accuracy": _or_nan(skm.accuracy_score, y, p),
            "precision": _or_nan(skm.precision_score, y, p, zero_division=nan),
            "recall": _or_nan(skm.recall_score, y, p, zero_division=nan),
            "f1": _or_nan(skm.f1_score, y, p, zero_division=nan),
            "roc_auc": _or_nan(skm.roc_auc_score, y, s),
            "brier": _or_nan(skm.brier_score_loss, y, s),
            "log_loss": _or_nan(skm.log_loss, y, s, labels=[0, 1]),
        }
        for name, w in want.items():
            assert _same(getattr(r, name), w), (seed, name, getattr(r, name), w)
        k = int(rng.integers(2, 5))
        yc = rng.integers(0, k, n)
        pc_ = np.where(rng.random(n) < 0.6, yc, rng.integers(0, k, n))
        m = dl.performance({"y": yc, "p": pc_}, prediction="p", label="y", task="multiclass")
        assert _same(m.accuracy, skm.accuracy_score(yc, pc_)), seed
        for avg in ("macro", "weighted"):
            w = skm.f1_score(yc, pc_, average=avg, zero_division=0)
            assert _same(getattr(m, f"f1_{avg}"), w), (seed, avg)
        yr = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4)
        pr = yr + rng.normal(size=n)
        g = dl.performance({"y": yr, "p": pr}, prediction="p", label="y", task="regression")
        assert _same(g.mae, skm.mean_absolute_error(yr, pr)), seed
        assert _same(g.rmse, float(np.sqrt(skm.mean_squared_error(yr, pr)))), seed
        assert _same(g.mape, skm.mean_absolute_percentage_error(yr, pr)), seed
        assert _same(g.r2, _or_nan(skm.r2_score, yr, pr)), (seed, g.r2)
