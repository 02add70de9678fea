"""``dl.sklearn.monitored``: predictions observed inline, the estimator unchanged."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

import driftline as dl


def data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def test_predict_and_proba_observed(rng: np.random.Generator) -> None:
    X, y = data(rng, 4000)
    model = LogisticRegression().fit(X, y)
    ref = pa.table(
        {
            "x0": X[:, 0],
            "x1": X[:, 1],
            "x2": X[:, 2],
            "pred": model.predict(X),
            "proba": model.predict_proba(X)[:, 1],
        }
    )
    mon = dl.Monitor(ref, prediction="pred", score="proba", window=1000, dispatch="manual")
    wrapped = dl.sklearn.monitored(model, mon)
    Xc, _ = data(rng, 1000)
    np.testing.assert_array_equal(wrapped.predict(Xc[:600]), model.predict(Xc[:600]))
    np.testing.assert_array_equal(wrapped.predict_proba(Xc[600:]), model.predict_proba(Xc[600:]))
    for row in Xc[:5]:
        wrapped.predict(row.reshape(1, -1))  # one-row serving calls
    (w,) = mon.history
    assert w.rows == 1000
    assert w.profile["x0"].count == 1000
    assert w.profile["proba"].count == 400  # only predict_proba gives a score
    assert w.profile["x1"].mean == pytest.approx(float(Xc[:, 1].mean()))
    assert wrapped.coef_ is model.coef_  # everything else is forwarded
    assert mon.rows_observed == 1005


def test_dataframe_with_names(rng: np.random.Generator) -> None:
    X, y = data(rng, 2000)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    model = LogisticRegression().fit(df, y)
    ref = pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "prediction": model.predict(df)})
    mon = dl.Monitor(ref, prediction="prediction", window=500, dispatch="manual")
    dl.sklearn.monitored(model, mon).predict(df.iloc[:500])
    assert mon.history[-1].profile["a"].count == 500


def test_observe_failure_never_breaks_serving(
    rng: np.random.Generator, caplog: pytest.LogCaptureFixture
) -> None:
    X, y = data(rng, 500)
    model = LogisticRegression().fit(X, y)
    ref = pa.table({"other": X[:, 0]})
    mon = dl.Monitor(ref, window=100, dispatch="manual")
    with caplog.at_level(logging.ERROR, logger="driftline.sklearn"):
        out = dl.sklearn.monitored(model, mon).predict(X[:10])
    assert len(out) == 10 and "could not observe" in caplog.text
    with pytest.raises(dl.exceptions.SchemaError):
        dl.sklearn.monitored(model, mon, raise_errors=True).predict(X[:10])


def test_known_labels_give_performance(rng: np.random.Generator) -> None:
    X, y = data(rng, 2000)
    model = LogisticRegression().fit(X, y)
    ref = pa.table({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "pred": model.predict(X)})
    mon = dl.Monitor(ref, prediction="pred", label="y", window=500, dispatch="manual")
    wrapped = dl.sklearn.monitored(model, mon, raise_errors=True)
    Xc, yc = data(rng, 500)
    flipped = np.where(np.arange(500) < 100, 1 - yc, yc)
    wrapped.predict(Xc[:250], labels=flipped[:250])
    wrapped.predict_proba(Xc[250:], labels=flipped[250:])
    (w,) = mon.history
    expected = (model.predict(Xc) == flipped).mean()
    assert w.performance.accuracy == pytest.approx(expected)
    unlabelled = dl.Monitor(ref, prediction="pred", window=500, dispatch="manual")
    with pytest.raises(ValueError, match="no label column"):
        dl.sklearn.monitored(model, unlabelled, raise_errors=True).predict(Xc, labels=yc)
