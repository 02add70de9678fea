"""Distributed drift reads the current side as :func:`driftline.compare` reads current
data (:mod:`driftline.drift.align`): a column the reference counted as categories is
counted as categories, and timestamps are cast to the reference's unit. Without it a
reference with forced-categorical integer codes, or timestamps in nanoseconds (pandas),
reported a type change, and drift, that the single-machine comparison does not."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

ROWS = 1_000


def sides() -> tuple[pa.Table, pa.Table]:
    """Reference and current of one distribution: integer codes, floats, timestamps (the
    reference's in nanoseconds, the current's in microseconds, as Spark gives them)."""
    rng = np.random.default_rng(0)
    start = np.datetime64("2024-01-01T00:00:00", "us")
    stamps = start + np.arange(ROWS).astype("timedelta64[h]")

    def side(unit: str) -> pa.Table:
        return pa.table(
            {
                "code": rng.integers(0, 5, ROWS),
                "x": rng.normal(size=ROWS),
                "ts": pa.array(stamps, pa.timestamp("us", tz="UTC")).cast(
                    pa.timestamp(unit, tz="UTC")
                ),
            }
        )

    return side("ns"), side("us")


def same_features(got: dl.DriftReport, want: dl.DriftReport) -> None:
    assert got.drifted == want.drifted
    assert [f.column for f in got.features] == [f.column for f in want.features]
    for g, w in zip(got.features, want.features, strict=True):
        assert (g.column, g.kind, g.method, g.drifted) == (w.column, w.kind, w.method, w.drifted)
        assert g.dtype_reference == w.dtype_reference
        if g.kind == "categorical":
            # Category counts are exact: so is the statistic.
            assert g.statistic == pytest.approx(w.statistic, rel=1e-9), g.column
            assert g.p_value == pytest.approx(w.p_value, rel=1e-9), g.column
        else:
            # From the quantile sketches, which depend on the partitioning (Spark
            # shuffles the rows): within the sketches' rank error.
            assert g.statistic == pytest.approx(w.statistic, abs=0.02), g.column


def test_a_forced_categorical_reference_column_stays_categorical(
    frame: Callable[[pa.Table, int], object], adapter: ModuleType
) -> None:
    ref_t, cur_t = sides()
    ref = dl.profile(ref_t, columns=["code", "x"], categorical=["code"])
    current = cur_t.select(["code", "x"])
    got = adapter.compare(ref, frame(current, 2))
    want = dl.compare(ref, current)
    assert [f.kind for f in want.features] == ["categorical", "numeric"]
    same_features(got, want)
    assert got.schema_changes == want.schema_changes == []
    for g, w in zip(got.features, want.features, strict=True):
        assert g.dtype_current == w.dtype_current


def test_timestamps_are_read_in_the_references_unit(
    frame: Callable[[pa.Table, int], object], adapter: ModuleType
) -> None:
    ref_t, cur_t = sides()
    ref = dl.profile(ref_t)
    assert ref["ts"].dtype == 'timestamp(ns, "utc")'
    got = adapter.compare(ref, frame(cur_t, 2))
    want = dl.compare(ref, cur_t)
    assert [f.kind for f in want.features] == ["numeric", "numeric", "numeric"]
    same_features(got, want)
    assert not got.drifted
