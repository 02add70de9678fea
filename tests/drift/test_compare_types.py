"""A column whose kind, encoding or unit differs between the two sides: compared as
the reference reads it, or reported as a schema change, never dropped in silence.

References: scipy's KS statistic and pandas' category shares on the raw values.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats as sps

import driftline as dl


def _tv(a: pd.Series, b: pd.Series) -> float:
    """Total variation between the category shares of two pandas columns (by value)."""
    pa_, pb = a.value_counts(normalize=True), b.value_counts(normalize=True)
    keys = pa_.index.union(pb.index)
    return float(
        0.5 * (pa_.reindex(keys, fill_value=0) - pb.reindex(keys, fill_value=0)).abs().sum()
    )


def test_a_stored_categorical_reference_keeps_its_current_column_categorical() -> None:
    ref = dl.profile({"x": np.arange(100) % 3}, categorical=["x"])
    r = dl.compare(ref, {"x": np.arange(100) % 3 + 10})
    f = r["x"]
    assert f.kind == "categorical" and f.drifted and r.drifted
    assert sorted(f.unseen_categories) == ["10", "11", "12"]
    assert sorted(f.vanished_categories) == ["0", "1", "2"]
    same = dl.compare(ref, {"x": np.arange(100) % 3})["x"]
    assert same.kind == "categorical" and not same.drifted and same.effect_size == 0.0


def test_dictionary_encoded_integers_against_plain_ones() -> None:
    codes = pa.array([0, 1, 2] * 50)
    r = dl.compare(pa.table({"x": codes.dictionary_encode()}), pa.table({"x": [7, 8, 9] * 50}))
    assert r["x"].kind == "categorical" and r["x"].drifted
    assert sorted(r["x"].unseen_categories) == ["7", "8", "9"]
    # A numeric reference decodes a dictionary-encoded current column.
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 50, 500), rng.integers(5, 55, 500)
    r = dl.compare(pa.table({"x": a}), pa.table({"x": pa.array(b).dictionary_encode()}))
    assert r["x"].kind == "numeric"
    assert r["x"].statistic == pytest.approx(sps.ks_2samp(a, b).statistic, rel=1e-12)


def test_a_kind_that_cannot_be_aligned_is_a_schema_change() -> None:
    """Two profiles: nothing to re-read, so the column is reported, not dropped."""
    ref = dl.profile({"x": np.arange(100) % 3}, categorical=["x"])
    r = dl.compare(ref, dl.profile({"x": np.arange(100) % 3}))
    assert [f.column for f in r.features] == ["x"]
    assert r["x"].kind == "schema" and r["x"].drifted and r.drifted
    (ch,) = r.schema_changes
    assert (ch.column, ch.change, ch.comparable) == ("x", "retyped", False)
    assert ch.reference_type == "int64 (categorical)"
    assert ch.current_type == "int64 (numeric)"
    assert json.loads(r.to_json())["schema_changes"][0]["comparable"] is False


@pytest.mark.parametrize("segmented", [False, True])
def test_integer_and_float_categories_are_matched_by_value(segmented: bool) -> None:
    ref = pd.DataFrame({"k": "s", "c": [1, 2, 3] * 100})
    cur = pd.DataFrame({"k": "s", "c": [1, 2, 3] * 99 + [1, 2, None]})  # float64 in pandas
    assert cur["c"].dtype == np.float64
    want = _tv(ref["c"].astype(float), cur["c"].dropna())
    if segmented:
        r = dl.compare(ref, cur, categorical=["c"], segment_by="k")
        assert r.segment_features["effect_size"][0] == pytest.approx(want, rel=1e-12)
        assert not r.segment_features["drifted"][0]
        return
    f = dl.compare(ref.drop(columns="k"), cur.drop(columns="k"), categorical=["c"])["c"]
    assert f.unseen_categories == [] and f.vanished_categories == []
    assert f.effect_size == pytest.approx(want, rel=1e-12)
    assert not f.drifted
    assert (f.dtype_reference, f.dtype_current) == ("int64", "float64")
    shifted = dl.compare(
        ref.drop(columns="k"), pd.DataFrame({"c": [1.0, 2.0, 4.0] * 100}), categorical=["c"]
    )["c"]
    assert shifted.unseen_categories == ["4"] and shifted.vanished_categories == ["3"]


def _seconds(n: int = 1000) -> pa.Array:
    return pa.array(np.arange(n) + 1_700_000_000, pa.int64()).cast(pa.timestamp("s"))


@pytest.mark.parametrize(
    ("ref_type", "cur_type"),
    [
        (pa.timestamp("s"), pa.timestamp("ms")),
        (pa.timestamp("ns"), pa.timestamp("s", tz="UTC")),
        (pa.date32(), pa.timestamp("s")),
        (pa.timestamp("ms"), pa.date32()),
        (pa.date32(), pa.date64()),
    ],
)
def test_the_same_instants_in_other_units_do_not_drift(
    ref_type: pa.DataType, cur_type: pa.DataType
) -> None:
    days = pa.array(np.arange(1000) % 400 + 19_000, pa.int32()).cast(pa.date32())
    ref, cur = days.cast(ref_type), days.cast(cur_type)
    for mode in ("auto", "profile"):
        r = dl.compare(pa.table({"t": ref}), pa.table({"t": cur}), mode=mode)
        assert r["t"].kind == "numeric" and not r["t"].drifted and not r.drifted
        assert r["t"].effect_size == 0.0
        (ch,) = r.schema_changes
        assert ch.comparable and ch.change == "retyped"


def test_a_shift_between_units_is_measured_in_the_reference_unit() -> None:
    s = _seconds()
    later = pa.array(np.arange(1000) + 1_700_000_500, pa.int64()).cast(pa.timestamp("s"))
    f = dl.compare(pa.table({"t": s}), pa.table({"t": later.cast(pa.timestamp("ms"))}))["t"]
    want = sps.ks_2samp(s.cast(pa.int64()).to_numpy(), later.cast(pa.int64()).to_numpy())
    assert f.statistic == pytest.approx(want.statistic, rel=1e-12)
    assert f.effect_size == pytest.approx(500 / np.std(np.arange(1000)), rel=1e-9)


def test_units_that_cannot_be_aligned_are_not_comparable() -> None:
    s = _seconds()
    r = dl.compare(dl.profile({"t": s}), dl.profile({"t": s.cast(pa.timestamp("ms"))}))
    assert r["t"].kind == "schema" and r.drifted
    assert r.schema_changes[0].comparable is False
    dur = pa.array(np.arange(1000), pa.duration("s"))
    r = dl.compare(pa.table({"t": s}), pa.table({"t": dur}))
    assert r["t"].kind == "schema" and not r.schema_changes[0].comparable
    r = dl.compare(pa.table({"t": s}), pa.table({"t": s.cast(pa.int64())}))
    assert r["t"].kind == "schema" and not r.schema_changes[0].comparable
