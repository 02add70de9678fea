"""Edge cases, errors and CBPE of driftline.performance."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from sklearn import metrics as skm

import driftline as dl
from driftline.exceptions import DataError, InvalidParameter, SchemaError


def test_one_class_only_explains_auc() -> None:
    r = dl.performance(
        {"y": [1, 1, 1], "p": [1, 0, 1], "s": [0.2, 0.3, 0.9]}, prediction="p", label="y", score="s"
    )
    assert r.roc_auc is None
    assert "one class" in r.reason("roc_auc")
    assert r.recall == 2 / 3
    assert r.specificity is None


def test_nulls_are_left_out_and_counted() -> None:
    t = pa.table(
        {
            "y": pa.array([1, 0, None, 1, 0], pa.int64()),
            "p": pa.array([1, 0, 1, None, 1], pa.int64()),
            "s": pa.array([0.9, None, 0.5, 0.7, 0.6]),
        }
    )
    r = dl.performance(t, prediction="p", label="y", score="s")
    assert r.n == 3 and r.n_null == 2
    assert r.accuracy == skm.accuracy_score([1, 0, 0], [1, 0, 1])
    # The null score only leaves its row out of the score metrics.
    assert r.roc_auc == skm.roc_auc_score([1, 0], [0.9, 0.6])


def test_columns_of_the_null_type_are_all_null() -> None:
    # A frame library types a column with nothing in it yet (labels still to come, a
    # segment never filled) as Arrow's null type: every row is null, as with a typed
    # column of nulls, in one chunk or several.
    rng = np.random.default_rng(8)
    n = 400
    y = rng.integers(0, 2, n)
    s = rng.random(n)
    p = (s > 0.5).astype(np.int64)

    def both(**cols: pa.Array) -> list[pa.Table]:
        t = pa.table(cols)
        return [t, pa.concat_tables([t.slice(0, 150), t.slice(150)])]

    for t in both(y=pa.nulls(n), p=p, s=s):
        r = dl.performance(t, prediction="p", label="y", score="s")
        assert (r.n, r.n_null) == (0, n)
        assert r.accuracy is None and r.roc_auc is None and r.reason("accuracy")
    for t in both(y=y, p=pa.nulls(n)):
        r = dl.performance(t, prediction="p", label="y")
        assert (r.n, r.n_null) == (0, n)
    for t in both(y=y, p=p, s=pa.nulls(n)):
        r = dl.performance(t, prediction="p", label="y", score="s")
        assert r.accuracy == pytest.approx(skm.accuracy_score(y, p), abs=1e-12)
        assert r.roc_auc is None and r.log_loss is None
    for t in both(y=y.astype(float), p=pa.nulls(n)):
        r = dl.performance(t, prediction="p", label="y", task="regression")
        assert (r.n, r.n_null, r.mae) == (0, n, None)
    for t in both(y=y, p=pa.nulls(n)):
        r = dl.performance(t, prediction="p", label="y", task="multiclass")
        assert (r.n, r.n_null, r.accuracy) == (0, n, None)
    for t in both(y=y, p=p, g=pa.nulls(n)):
        seg = dl.performance(t, prediction="p", label="y", segment_by="g").segments
        assert seg is not None and seg.height == 1 and seg["g"].to_list() == [None]
        assert seg["accuracy"][0] == pytest.approx(skm.accuracy_score(y, p), abs=1e-12)
        f = dl.fairness(t, prediction="p", label="y", sensitive="g", min_group_size=1)
        assert f.by_group.height == 1 and f.by_group["count"][0] == n
        assert f.by_group["selection_rate"][0] == pytest.approx(p.mean(), abs=1e-12)
    # A partial of a batch whose labels were all missing merges with a labelled one.
    kw = dict(prediction="p", label="y", score="s")
    first = dl.performance_partial(pa.table({"y": pa.nulls(n), "p": p, "s": s}), **kw)
    second = dl.performance_partial(pa.table({"y": y, "p": p, "s": s}), **kw)
    r = first.merge(second).report()
    assert (r.n, r.n_null) == (n, n)
    assert r.accuracy == pytest.approx(skm.accuracy_score(y, p), abs=1e-12)
    assert r.log_loss == pytest.approx(skm.log_loss(y, s), abs=1e-9)


def test_int64_extremes_as_labels() -> None:
    big = np.iinfo(np.int64)
    y = pa.array([big.max, big.min, big.max, big.min], pa.int64())
    r = dl.performance({"y": y, "p": y}, prediction="p", label="y", positive=int(big.max))
    assert r.accuracy == 1.0 and r.recall == 1.0


def test_regression_near_the_double_range() -> None:
    """Residuals of +-2e308 overflow: the errors are infinite as scikit-learn's, and the
    metrics scikit-learn gives as NaN (R2, the mean residual) are explained nulls, never a
    number (R2 used to come out as 0.0). Labels of 1e200, whose squares overflow, give R2 1
    when predicted exactly."""
    y = np.array([1e308, -1e308, 1.0, 2.0])
    p = np.array([-1e308, 1e308, 1.5, 2.5])
    data = {"y": y, "p": p, "g": ["a", "a", "b", "b"]}
    with np.errstate(over="ignore", invalid="ignore"):
        want_mae = skm.mean_absolute_error(y, p)
        want_rmse = float(np.sqrt(skm.mean_squared_error(y, p)))
        want_r2 = skm.r2_score(y, p)
        want_bias = float(np.mean(y - p))
    r = dl.performance(data, prediction="p", label="y", task="regression")
    assert r.mae == want_mae == np.inf
    assert r.rmse == want_rmse == np.inf
    assert np.isnan(want_r2) and r.r2 is None and "overflow" in r.reason("r2")
    assert np.isnan(want_bias) and r.mean_error is None
    assert "overflow" in r.reason("mean_error")
    seg = dl.performance(data, prediction="p", label="y", task="regression", segment_by="g")
    assert seg.segments is not None
    rows = {row["g"]: row for row in seg.segments.iter_rows(named=True)}
    assert rows["a"]["r2"] is None and rows["a"]["mean_error"] is None
    assert rows["b"]["mae"] == skm.mean_absolute_error(y[2:], p[2:])
    assert rows["b"]["r2"] == skm.r2_score(y[2:], p[2:])
    big = np.array([1e200, -3e200, 5e200])
    exact = dl.performance({"y": big, "p": big}, prediction="p", label="y", task="regression")
    assert exact.r2 == 1.0 and exact.mae == 0.0


def test_bool_and_float_labels() -> None:
    r = dl.performance(
        {"y": [True, False], "p": [1.0, 0.0]}, prediction="p", label="y", positive=True
    )
    assert r.accuracy == 1.0


def test_errors() -> None:
    with pytest.raises(DataError, match=r"'s'.*NaN"):
        dl.performance(
            {"y": [0, 1], "p": [0, 1], "s": [0.1, np.nan]}, prediction="p", label="y", score="s"
        )
    with pytest.raises(DataError, match=r"'s'.*outside"):
        dl.performance(
            {"y": [0, 1], "p": [0, 1], "s": [0.1, 1.2]}, prediction="p", label="y", score="s"
        )
    with pytest.raises(DataError, match="'y': not binary"):
        dl.performance({"y": [0, 1, 2], "p": [0, 1, 1]}, prediction="p", label="y")
    with pytest.raises(DataError, match=r"'y'.*NaN"):
        dl.performance({"y": [0.0, np.nan], "p": [0, 1]}, prediction="p", label="y")
    with pytest.raises(SchemaError, match="'q' not found"):
        dl.performance({"y": [0, 1], "p": [0, 1]}, prediction="q", label="y")
    with pytest.raises(InvalidParameter, match="positive"):
        dl.performance({"y": ["a", "b"], "p": ["a", "b"]}, prediction="p", label="y")
    with pytest.raises(DataError, match=r"'y'.*NaN"):
        dl.performance(
            {"y": [0.0, np.nan], "p": [0.0, 1.0]}, prediction="p", label="y", task="regression"
        )
    with pytest.raises(ValueError, match="task"):
        dl.performance({"y": [0], "p": [0]}, prediction="p", label="y", task="ranking")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no segments"):
        dl.performance({"y": [0], "p": [0]}, prediction="p", label="y").worst("f1")


def test_empty_input() -> None:
    t = pa.table({"y": pa.array([], pa.int64()), "p": pa.array([], pa.int64())})
    r = dl.performance(t, prediction="p", label="y")
    assert r.n == 0 and r.accuracy is None and r.reason("accuracy") == "no rows"


def test_result_does_not_depend_on_thread_count() -> None:
    code = (
        "import numpy as np, driftline as dl\n"
        "rng = np.random.default_rng(0); n = 300_000\n"
        "y = rng.normal(size=n); d = {'y': y, 'p': y + rng.normal(size=n),"
        " 'g': rng.integers(0, 7, n)}\n"
        "print(dl.performance(d, prediction='p', label='y', task='regression',"
        " segment_by='g').to_json())\n"
    )
    outs = set()
    for threads in ("1", "2"):
        env = dict(os.environ, DRIFTLINE_MAX_THREADS=threads)
        outs.add(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    assert len(outs) == 1


def test_cbpe_estimates_known_accuracy_under_covariate_shift() -> None:
    rng = np.random.default_rng(0)

    def simulate(n: int, a: float, b: float) -> dict[str, np.ndarray]:
        # Calibrated by construction up to a monotone distortion that CBPE must undo.
        p_true = rng.beta(a, b, n)
        y = (rng.random(n) < p_true).astype(np.int64)
        score = p_true**1.5  # a miscalibrated but monotone score
        return {"y": y, "s": score, "p": (score > 0.35).astype(np.int64)}

    ref = simulate(50_000, 2, 2)
    cur = simulate(50_000, 2, 5)  # shifted: far fewer positives
    est = dl.estimate_performance(ref, cur, prediction="p", label="y", score="s")
    true_acc = skm.accuracy_score(cur["y"], cur["p"])
    assert abs(est.accuracy - true_acc) < 0.01
    assert abs(est.precision - skm.precision_score(cur["y"], cur["p"])) < 0.02
    assert abs(est.recall - skm.recall_score(cur["y"], cur["p"])) < 0.02
    assert abs(est.f1 - skm.f1_score(cur["y"], cur["p"])) < 0.02
    assert abs(est.roc_auc - skm.roc_auc_score(cur["y"], cur["s"])) < 0.02
    naive = skm.accuracy_score(ref["y"], ref["p"])
    assert abs(naive - true_acc) > 0.03  # the reference's accuracy would have misled
    hist = dl.estimate_performance(
        ref, cur, prediction="p", label="y", score="s", calibration="histogram"
    )
    assert abs(hist.accuracy - true_acc) < 0.02


@pytest.mark.parametrize("with_null", [False, True])
def test_nan_with_many_segments_names_the_column(with_null: bool) -> None:
    # 300 segments take the grouped pass, which finds NaN while placing the rows.
    n = 3000
    p = np.arange(n, dtype=float)
    p[2500] = np.nan
    y = pa.array(np.ones(n), mask=np.arange(n) == 7 if with_null else None)
    data = pa.table({"y": y, "p": p, "seg": np.arange(n) % 300})
    with pytest.raises(DataError, match=r"'p'.*NaN"):
        dl.performance(data, prediction="p", label="y", task="regression", segment_by="seg")
    ok = dl.performance(
        data.set_column(1, "p", pa.array(np.nan_to_num(p))),
        prediction="p",
        label="y",
        task="regression",
        segment_by="seg",
    )
    assert ok.segments is not None and ok.segments.height == 300
    assert ok.n_null == int(with_null)


def test_inputs_of_every_kind_give_the_same_report() -> None:
    """performance, fairness and their partials read what profile reads: polars frames
    (string view columns) and lazy frames, pandas, dicts, record batches and readers;
    a LazyFrame used to be refused, a ragged dict to raise a raw Arrow error."""
    import polars as pl

    rng = np.random.default_rng(8)
    n = 2000
    t = pa.table(
        {
            "y": rng.choice(["yes", "no"], n),
            "p": rng.choice(["yes", "no"], n),
            "s": rng.random(n),
            "g": rng.choice(["u", "v", "w"], n),
        }
    )
    kw = {"prediction": "p", "label": "y", "positive": "yes"}
    want = dl.performance(t, score="s", segment_by="g", **kw)
    fair = dl.fairness(t, sensitive=["g"], **kw)
    forms = [
        pl.from_arrow(t),
        pl.from_arrow(t).lazy(),
        t.to_pandas(),
        t.to_pydict(),
        t.to_batches()[0],
        pa.RecordBatchReader.from_batches(t.schema, t.to_batches()),
    ]
    for data in forms:
        got = dl.performance(data, score="s", segment_by="g", **kw)
        assert got.to_dict() == want.to_dict(), type(data)
        assert got.segments is not None and want.segments is not None
        assert got.segments.equals(want.segments)
    for data in forms[:-1]:  # a reader is read once
        f = dl.fairness(data, sensitive=["g"], **kw)
        assert f.demographic_parity_difference == fair.demographic_parity_difference
        assert dl.performance_partial(data, **kw).report().accuracy == want.accuracy
    with pytest.raises(SchemaError, match="dict of columns"):
        dl.performance({"y": [1, 0], "p": [1]}, prediction="p", label="y")


def _cbpe_sklearn(ref: dict[str, np.ndarray], cur: dict[str, np.ndarray]) -> dict[str, float]:
    """CBPE written with scikit-learn: its isotonic calibrator fitted on the reference,
    then the expected confusion counts and the AUC with each row weighted c as a positive
    and 1 - c as a negative."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    c = iso.fit(ref["s"], ref["y"]).predict(cur["s"])
    pp = cur["p"] == 1
    tp, fp = c[pp].sum(), (1 - c[pp]).sum()
    fn, tn = c[~pp].sum(), (1 - c[~pp]).sum()
    n = len(c)
    auc = skm.roc_auc_score(
        np.r_[np.ones(n), np.zeros(n)], np.r_[cur["s"], cur["s"]], sample_weight=np.r_[c, 1 - c]
    )
    return {
        "accuracy": (tp + tn) / n,
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "f1": 2 * tp / (2 * tp + fp + fn),
        "roc_auc": auc,
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cbpe_equals_the_estimator_written_with_sklearn(seed: int) -> None:
    """The estimate equals the same estimator built from scikit-learn's isotonic
    regression (tied scores included) to 1e-9."""
    rng = np.random.default_rng(seed)

    def simulate(n: int, a: float, b: float) -> dict[str, np.ndarray]:
        pt = rng.beta(a, b, n)
        s = np.round(pt**1.5, 3)
        return {
            "y": (rng.random(n) < pt).astype(np.int64),
            "s": s,
            "p": (s > 0.35).astype(np.int64),
        }

    ref, cur = simulate(20_000, 2, 2), simulate(15_000, 2, 5)
    est = dl.estimate_performance(ref, cur, prediction="p", label="y", score="s")
    for name, want in _cbpe_sklearn(ref, cur).items():
        assert getattr(est, name) == pytest.approx(want, rel=1e-9, abs=1e-12), name
