"""Option values as users hand them over: NumPy scalars (scikit-learn's ``classes_``),
uint64 positive classes, columns named twice, arrays of different lengths, float class
labels; checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression

import driftline as dl
from driftline.exceptions import DataError, InvalidParameter
from driftline.performance import roc_auc


def fitted(
    rng: np.random.Generator, classes: int
) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
    """Features, labels 0..classes-1 and a logistic regression fitted on them."""
    x = rng.normal(size=(600, 3))
    y = (x[:, 0] * 2 + rng.normal(size=600) > 0).astype(np.int64)
    if classes == 3:
        y = y + (x[:, 1] > 0.5)
    return x, y, LogisticRegression().fit(x, y)


def test_positive_from_sklearn_classes(rng: np.random.Generator) -> None:
    x, y, clf = fitted(rng, 2)
    positive = clf.classes_[1]
    assert isinstance(positive, np.int64)
    pred, proba = clf.predict(x), clf.predict_proba(x)[:, 1]
    data = {"y": y, "p": pred, "s": proba}
    r = dl.performance(data, prediction="p", label="y", score="s", positive=positive)
    assert r.recall == skm.recall_score(y, pred, pos_label=positive)
    assert r.roc_auc == pytest.approx(skm.roc_auc_score(y, proba), abs=1e-15)
    # The other class as positive, as a NumPy scalar too.
    r0 = dl.performance(data, prediction="p", label="y", positive=clf.classes_[0])
    assert r0.precision == skm.precision_score(y, pred, pos_label=clf.classes_[0])
    est = dl.estimate_performance(
        data, data, prediction="p", label="y", score="s", positive=positive
    )
    assert est.n == len(y)
    assert roc_auc(y, proba, positive=positive) == r.roc_auc
    part = dl.performance_partial(data, prediction="p", label="y", positive=positive)
    assert part.report().recall == r.recall


def test_numpy_bool_positive() -> None:
    y = np.array([True, False, True, True])
    p = np.array([True, True, False, True])
    r = dl.performance({"y": y, "p": p}, prediction="p", label="y", positive=np.bool_(False))
    assert r.recall == skm.recall_score(y, p, pos_label=False)


def test_multiclass_scores_keyed_by_sklearn_classes(rng: np.random.Generator) -> None:
    x, y, clf = fitted(rng, 3)
    proba = clf.predict_proba(x)
    data = {"y": y, "p": clf.predict(x)} | {
        f"s{c}": proba[:, i] for i, c in enumerate(clf.classes_)
    }
    score = {c: f"s{c}" for c in clf.classes_}
    assert all(isinstance(c, np.int64) for c in score)
    r = dl.performance(data, prediction="p", label="y", task="multiclass", score=score)
    assert r.log_loss == pytest.approx(skm.log_loss(y, proba), rel=1e-12)
    want = skm.roc_auc_score(y, proba, multi_class="ovr")
    assert r.roc_auc_ovr_macro == pytest.approx(want, abs=1e-12)


def test_uint64_labels_with_a_positive_above_int64() -> None:
    big = 2**63 + 5
    y = np.array([big, 3, big, 3, big], dtype=np.uint64)
    p = np.array([big, big, 3, 3, big], dtype=np.uint64)
    r = dl.performance({"y": y, "p": p}, prediction="p", label="y", positive=big)
    assert r.recall == skm.recall_score(y, p, pos_label=big)
    assert r.precision == skm.precision_score(y, p, pos_label=big)
    r = dl.performance({"y": y, "p": p}, prediction="p", label="y", positive=np.uint64(big))
    assert r.tp == 2
    with pytest.raises(InvalidParameter, match="positive"):
        dl.performance({"y": y, "p": p}, prediction="p", label="y", positive=2**64)


def test_columns_named_twice_are_refused() -> None:
    d = {"y": [1, 0, 1, 0], "p": [1, 1, 0, 0], "g": [1, 2, 1, 2]}
    for call in (
        lambda: dl.performance(d, prediction="p", label="y", segment_by=["g", "g"]),
        lambda: dl.performance_partial(d, prediction="p", label="y", segment_by=["g", "g"]),
    ):
        with pytest.raises(InvalidParameter, match="segment_by: column 'g' named twice"):
            call()


def test_roc_auc_of_arrays_of_different_lengths() -> None:
    with pytest.raises(DataError, match=r"y_true.*y_score.*3.*2"):
        roc_auc([1, 0, 1], [0.2, 0.3])
    with pytest.raises(DataError, match="y_true, y_score"):
        roc_auc(pa.array([1, 0]), [[0.1], "x"])
    with pytest.raises(DataError, match="'y_score'"):
        roc_auc([1, 0], [0.3, np.nan])


def test_multiclass_float_labels_are_classes_when_whole() -> None:
    y = [0.0, 1.0, 2.0, 2.0, None]
    p = [0, 1, 1, 2, 0]
    t = pa.table({"y": pa.array(y, pa.float64()), "p": p})
    r = dl.performance(t, prediction="p", label="y", task="multiclass")
    yy, pp = [0, 1, 2, 2], [0, 1, 1, 2]
    assert r.classes == [0, 1, 2]
    assert r.f1_macro == skm.f1_score(yy, pp, average="macro")
    assert r.accuracy == skm.accuracy_score(yy, pp)
    with pytest.raises(DataError, match=r"'y'.*2\.5.*whole number"):
        dl.performance({"y": [0.0, 2.5], "p": [0, 1]}, prediction="p", label="y", task="multiclass")
