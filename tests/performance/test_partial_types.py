"""Performance partials of one column read as int64 in one part and float64 in another
(a frame library widens a partition's integers to floats when it holds a null) merge:
the non-positive value 0 and 0.0 are the same label. The merged report equals
dl.performance on the concatenated rows and scikit-learn."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import accuracy_score, f1_score

import driftline as dl
from driftline.exceptions import DataError


def test_int_and_float_parts_merge_as_the_whole() -> None:
    a = pa.table({"y": [0, 1, 1, 0], "p": [0, 1, 0, 0]})
    b = pa.table({"y": [1.0, None, 0.0], "p": [1.0, 1.0, 0.0]})
    merged = dl.performance_partial(a, prediction="p", label="y").merge(
        dl.performance_partial(b, prediction="p", label="y")
    )
    report = merged.report()
    y = np.array([0, 1, 1, 0, 1, 0])
    p = np.array([0, 1, 0, 0, 1, 0])
    assert report.accuracy == pytest.approx(accuracy_score(y, p))
    assert report.f1 == pytest.approx(f1_score(y, p))
    whole = dl.performance(pa.concat_tables([a.cast(b.schema), b]), prediction="p", label="y")
    assert report.accuracy == pytest.approx(whole.accuracy)


def test_a_different_value_across_types_is_still_refused() -> None:
    a = pa.table({"y": [0, 1], "p": [0, 1]})
    b = pa.table({"y": [2.0, 1.0], "p": [1.0, 1.0]})
    with pytest.raises(DataError, match=r"column 'y': not binary"):
        dl.performance_partial(a, prediction="p", label="y").merge(
            dl.performance_partial(b, prediction="p", label="y")
        )
