"""Label, prediction and group columns are checked against the reference's kinds when a
batch arrives, as features are: a window's batches are concatenated when it closes, so a
string label among integer ones used to fail the whole window there. Labels given to a
monitored estimator must hold one value per predicted row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

import driftline as dl
from driftline.exceptions import InvalidParameter, SchemaError


def reference(rng: np.random.Generator, n: int = 400) -> pa.Table:
    return pa.table(
        {
            "x": rng.normal(size=n),
            "label": rng.integers(0, 2, n),
            "pred": rng.integers(0, 2, n),
            "group": rng.choice(["a", "b"], n),
        }
    )


def monitor(rng: np.random.Generator, window: int = 20) -> dl.Monitor:
    return dl.Monitor(
        reference(rng),
        features=["x"],
        label="label",
        prediction="pred",
        sensitive=["group"],
        window=window,
        dispatch="manual",
    )


def batch(rng: np.random.Generator, n: int, **over: object) -> pa.Table:
    cols = {
        "x": rng.normal(size=n),
        "label": rng.integers(0, 2, n),
        "pred": rng.integers(0, 2, n),
        "group": rng.choice(["a", "b"], n),
    }
    cols.update(over)  # type: ignore[arg-type]
    return pa.table(cols)


@pytest.mark.parametrize(
    ("column", "values"),
    [("label", ["a"] * 10), ("pred", ["yes"] * 10), ("group", [1] * 10)],
)
def test_an_outcome_column_of_another_kind_is_refused_on_arrival(rng, column, values) -> None:  # type: ignore[no-untyped-def]
    mon = monitor(rng)
    first = batch(rng, 10)
    mon.observe(first)
    with pytest.raises(SchemaError, match=rf"column '{column}' is .*the reference is"):
        mon.observe(batch(rng, 10, **{column: values}))
    # The window is untouched: the next valid rows complete it and it closes whole.
    second = batch(rng, 10)
    mon.observe(second)
    (w,) = mon.history
    assert w.rows == 20 and w.errors == []
    y = np.concatenate([first["label"].to_numpy(), second["label"].to_numpy()])
    p = np.concatenate([first["pred"].to_numpy(), second["pred"].to_numpy()])
    assert w.performance.accuracy == pytest.approx(accuracy_score(y, p))


def test_a_record_with_a_string_label_is_dropped_as_a_finding(rng) -> None:  # type: ignore[no-untyped-def]
    mon = monitor(rng, window=3)
    mon.observe({"x": 0.1, "label": 1, "pred": 1, "group": "a"})
    mon.observe({"x": 0.2, "label": "oops", "pred": 0, "group": "b"})
    mon.observe({"x": 0.3, "label": 0, "pred": 0, "group": "a"})
    (w,) = mon.history
    assert w.rows == 2 and w.errors == []
    (finding,) = [q for q in w.quality if q["check"] == "schema"]
    assert "1 of 3 records dropped" in finding["problems"][0]
    assert "'label'" in finding["problems"][0]
    assert w.performance.accuracy == pytest.approx(accuracy_score([1, 0], [1, 0]))


def test_boolean_labels_join_integer_ones(rng) -> None:  # type: ignore[no-untyped-def]
    mon = monitor(rng)
    a = batch(rng, 10)
    b = batch(rng, 10, label=rng.integers(0, 2, 10).astype(bool))
    mon.observe(a)
    mon.observe(b)
    (w,) = mon.history
    y = np.concatenate([a["label"].to_numpy(), b["label"].to_numpy().astype(int)])
    p = np.concatenate([a["pred"].to_numpy(), b["pred"].to_numpy()])
    assert w.errors == []
    assert w.performance.accuracy == pytest.approx(accuracy_score(y, p))


def test_monitored_estimator_labels_must_match_the_rows(rng) -> None:  # type: ignore[no-untyped-def]
    X = rng.normal(size=(200, 1))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    ref = pa.table({"x0": X[:, 0], "prediction": model.predict(X), "label": y})
    mon = dl.Monitor(ref, prediction="prediction", label="label", window=10, dispatch="manual")
    wrapped = dl.sklearn.monitored(model, mon, raise_errors=True)
    with pytest.raises(InvalidParameter, match=r"labels= \('label'\) holds \(2,\) values for 10"):
        wrapped.predict(X[:10], labels=[1, 0])
    assert mon.rows_observed == 0
    wrapped.predict(X[:10], labels=y[:10])
    (w,) = mon.history
    assert w.performance.accuracy == pytest.approx(accuracy_score(y[:10], model.predict(X[:10])))


def test_a_date_feature_is_accepted_as_its_reference_kind(rng) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    days = rng.integers(19_000, 19_030, 300).astype("datetime64[D]")
    ref = pa.table({"day": pa.array(days), "x": rng.normal(size=300)})
    mon = dl.Monitor(ref, window=3, dispatch="manual")
    mon.observe(pa.table({"day": pa.array(days[:2]), "x": [0.1, 0.2]}))
    mon.observe({"day": dt.date(2022, 1, 5), "x": 0.3})
    (w,) = mon.history
    assert w.rows == 3 and w.errors == []
    want = np.array([*days[:2], np.datetime64("2022-01-05")]).astype("datetime64[D]")
    assert w.profile["day"].min == want.astype(np.int64).min()
    assert w.profile["day"].max == want.astype(np.int64).max()
