"""Distributed drift: the current side profiled on the reference's edges by each engine,
then compared on the driver; the verdicts equal the single-machine comparison of the same
two profiles."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import driftline as dl

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

COLUMNS = ["x", "n", "city"]


@pytest.fixture(scope="module")
def current(table: pa.Table) -> pa.Table:
    rng = np.random.default_rng(3)
    x = pc.add(table.column("x"), 0.5)  # x drifts; n and city keep their distribution
    return table.set_column(0, "x", x).take(rng.permutation(table.num_rows))


def _local(ref: dl.Profile, current: pa.Table) -> dl.DriftReport:
    from driftline.drift.inputs import reference_edges

    cur = dl.profile(current, columns=COLUMNS, edges=reference_edges(ref, 10))
    return dl.compare(ref, cur, columns=COLUMNS)


def _same(got: dl.DriftReport, want: dl.DriftReport) -> None:
    assert got.drifted_columns == want.drifted_columns == ["x"]
    for g, w in zip(got.features, want.features, strict=True):
        assert (g.column, g.method, g.drifted) == (w.column, w.method, w.drifted)
        assert g.statistic == pytest.approx(w.statistic, rel=0.05, abs=0.02)


def test_compare_with_a_reference_profile(
    frame: Callable[[pa.Table, int], object],
    adapter: ModuleType,
    table: pa.Table,
    current: pa.Table,
) -> None:
    ref = dl.profile(table, columns=COLUMNS)
    _same(adapter.compare(ref, frame(current, 4), columns=COLUMNS), _local(ref, current))


def test_compare_two_frames_and_a_missing_column(
    frame: Callable[[pa.Table, int], object],
    adapter: ModuleType,
    table: pa.Table,
    current: pa.Table,
) -> None:
    got = adapter.compare(frame(table, 4), frame(current.drop_columns(["flag"]), 4))
    assert "x" in got.drifted_columns
    assert got.drifted  # a column gone is a schema change, reported rather than failing
