"""Fairness with NumPy option values, columns named twice, group keys of every type in
empty windows, and regression groups whose errors overflow the double range."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

import driftline as dl
from driftline.exceptions import InvalidParameter


def test_reference_group_and_positive_as_numpy_scalars(rng: np.random.Generator) -> None:
    n = 400
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + rng.normal(size=n) > 0).astype(np.int64)
    clf = LogisticRegression().fit(x, y)
    pred = clf.predict(x)
    g = rng.integers(0, 3, n)
    data = {"y": y, "p": pred, "g": g}
    ref = np.unique(g)[1]
    assert isinstance(ref, np.int64)
    f = dl.fairness(
        data,
        prediction="p",
        label="y",
        sensitive="g",
        positive=clf.classes_[1],
        reference_group=ref,
        min_group_size=1,
    )
    assert f.reference_group == (1,)
    # AIF360's disparate impact, in plain Python: selection rate over the reference's.
    rate = {k: float(np.mean(pred[g == k] == 1)) for k in (0, 1, 2)}
    ratios = [rate[k] / rate[1] for k in (0, 2)]
    assert f.disparate_impact == pytest.approx(max(ratios, key=lambda r: abs(math.log(r))))
    # A tuple of NumPy scalars for several sensitive columns.
    data["h"] = np.where(g == 0, "a", "b")
    f = dl.fairness(
        data,
        prediction="p",
        label="y",
        sensitive=["g", "h"],
        reference_group=(np.int64(1), np.str_("b")),
        min_group_size=1,
    )
    assert f.reference_group == (1, "b")


@pytest.mark.parametrize(
    ("kw", "param"),
    [
        ({"sensitive": ["g", "g"]}, "sensitive"),
        ({"sensitive": "g", "segment_by": ["h", "h"]}, "segment_by"),
    ],
)
def test_columns_named_twice_are_refused(kw: dict[str, object], param: str) -> None:
    d = {"y": [1, 0, 1, 0], "p": [1, 1, 0, 0], "g": [1, 2, 1, 2], "h": ["a", "a", "b", "b"]}
    for fn in (dl.fairness, dl.fairness_partial):
        with pytest.raises(InvalidParameter, match=f"{param}: column '.' named twice"):
            fn(d, prediction="p", label="y", **kw)  # type: ignore[operator]


KEYS = {
    pa.string(): ["a", "b", "a", "b"],
    pa.uint64(): [1, 2**64 - 1, 1, 2**64 - 1],
    pa.int8(): [-1, 3, -1, 3],
    pa.bool_(): [True, False, True, False],
    pa.date32(): [dt.date(2024, 1, 1), dt.date(2024, 1, 2)] * 2,
}


def table(key: pa.DataType, n: int) -> pa.Table:
    return pa.table(
        {
            "y": pa.array([1, 0, 1, 0][:n], pa.int64()),
            "p": pa.array([1, 1, 0, 0][:n], pa.int64()),
            "yr": pa.array([1.0, 2.0, 3.0, 5.0][:n]),
            "g": pa.array(KEYS[key][:n], key),
            "d": pa.array(KEYS[key][:n], key),
        }
    )


@pytest.mark.parametrize("key", list(KEYS), ids=str)
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_empty_windows_keep_group_and_segment_types(key: pa.DataType, task: str) -> None:
    kw = {
        "prediction": "p" if task == "binary" else "yr",
        "label": "y" if task == "binary" else "yr",
    }
    kw |= {"sensitive": "g", "segment_by": "d", "task": task, "min_group_size": 1}
    want = pl.from_arrow(table(key, 0)).schema["g"]  # type: ignore[union-attr]
    full = dl.fairness(table(key, 4), **kw)  # type: ignore[arg-type]
    for empty in (
        dl.fairness(table(key, 0), **kw),
        dl.fairness_partial(table(key, 0), **kw).report(),
    ):  # type: ignore[arg-type]
        assert empty.by_group.schema["g"] == want
        assert empty.by_group.schema == full.by_group.schema
        assert empty.segments is not None and full.segments is not None
        assert empty.segments.schema == full.segments.schema
        assert empty.segments.schema["d"] == want
        assert pl.concat([empty.segments, full.segments]).height == full.segments.height
        assert pl.concat([empty.by_group, full.by_group]).height == full.by_group.height
        metric = "mae_gap" if task == "regression" else "demographic_parity_difference"
        assert empty.worst_segments(metric).height == 0


def test_overflowing_group_errors_give_explained_gaps() -> None:
    # Group "a": residuals +-3e308 overflow to +inf and -inf (MAE and RMSE inf, mean
    # residual undefined); group "b": ordinary.
    t = {
        "y": [1.5e308, -1.5e308, 1.0, 2.0],
        "p": [-1.5e308, 1.5e308, 1.5, 2.5],
        "g": ["a", "a", "b", "b"],
    }
    f = dl.fairness(
        t, prediction="p", label="y", sensitive="g", min_group_size=1, task="regression"
    )
    rows = {r["g"]: r for r in f.by_group.to_dicts()}
    assert rows["a"]["mae"] == math.inf and rows["a"]["mean_residual"] is None
    assert rows["b"]["mae"] == 0.5
    for name in ("mae_gap", "mae_ratio", "rmse_gap"):
        assert getattr(f, name) is None, name
        assert "overflow" in f.reason(name), name
    # Two eligible groups: the reason is the undefined group, not "fewer than two".
    assert f.mean_residual_gap is None
    assert "fewer" not in f.reason("mean_residual_gap")
    assert "overflow" in f.reason("mean_residual_gap")
    # Finite groups: the gaps as plain Python computes them.
    t["y"][:2] = [1.0, 4.0]
    t["p"][:2] = [2.0, 2.0]
    f = dl.fairness(
        t, prediction="p", label="y", sensitive="g", min_group_size=1, task="regression"
    )
    assert f.mae_gap == 1.5 - 0.5 and f.mae_ratio == 0.5 / 1.5
    assert f.mean_residual_gap == 0.5 - (-0.5)
