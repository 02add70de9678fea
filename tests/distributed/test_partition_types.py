"""Partitions that do not look like the whole frame: a block whose prediction and label
came out as integers next to one where they are floats (a null, an all-null block), and
frames without any row. The adapters must still give what the single-machine call gives
on all the rows: the fairness task is inferred once from the frame's schema (per
partition, the partials disagreed and refused to merge), and an empty frame's profile
lists its columns (Ray and Spark returned a profile without any)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

import driftline as dl

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

FAIRNESS: dict[str, Any] = dict(prediction="p", label="y", sensitive="g", min_group_size=1)

INTS = pa.table(
    {
        "y": pa.array([1, 0, 1, 1, 0, 0], pa.int64()),
        "p": pa.array([1, 0, 0, 1, 1, 0], pa.int64()),
        "g": ["a", "b", "a", "b", "a", "b"],
    }
)
FLOATS = pa.table(
    {
        "y": pa.array([1.0, None, 0.0, 1.0, 0.5], pa.float64()),
        "p": pa.array([1.0, 0.0, None, 0.25, 0.0], pa.float64()),
        "g": ["a", "b", "b", "a", "b"],
    }
)
ALL_NULL = pa.table(
    {
        "y": pa.array([None, None], pa.float64()),
        "p": pa.array([None, None], pa.float64()),
        "g": ["a", "b"],
    }
)


def whole(*parts: pa.Table) -> pa.Table:
    """The rows of all the partitions in one table, types promoted as a concat does."""
    return pa.concat_tables(parts, promote_options="permissive")


def same_report(got: dl.FairnessReport, want: dl.FairnessReport) -> None:
    assert got.task == want.task
    assert got.by_group.equals(want.by_group)
    assert got.to_dict() == want.to_dict()


CASES = [(INTS, FLOATS), (INTS, ALL_NULL), (FLOATS, INTS, ALL_NULL)]


@pytest.mark.parametrize("parts", CASES, ids=["ints+floats", "ints+all-null", "three"])
def test_dask_fairness_of_mixed_partitions(parts: tuple[pa.Table, ...]) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask
    import pandas as pd

    import driftline.dask as dld

    frames = [p.to_pandas() for p in parts]
    # pandas concatenates int64 and float64 into float64: the frame's meta is what the
    # computed rows are, while each partition keeps its own dtypes.
    meta = pd.concat(frames, ignore_index=True).iloc[:0]
    ddf = dd.from_delayed([dask.delayed(f) for f in frames], meta=meta, verify_meta=False)
    got = dld.fairness(ddf, **FAIRNESS)
    computed = pa.Table.from_pandas(ddf.compute(), preserve_index=False)
    want = dl.fairness(computed, **FAIRNESS)
    assert want.task == "regression"
    same_report(got, want)
    same_report(got, dl.fairness(whole(*parts), **FAIRNESS))


@pytest.mark.parametrize("parts", CASES, ids=["ints+floats", "ints+all-null", "three"])
def test_ray_fairness_of_mixed_blocks(
    ray_frame: Callable[[pa.Table, int], object], parts: tuple[pa.Table, ...]
) -> None:
    import ray

    import driftline.ray as dlr

    ds = ray.data.from_arrow(list(parts))
    want = dl.fairness(whole(*parts), **FAIRNESS)
    assert want.task == "regression"
    same_report(dlr.fairness(ds, **FAIRNESS), want)


def test_given_task_is_kept(ray_frame: Callable[[pa.Table, int], object]) -> None:
    import ray

    import driftline.ray as dlr

    options = {**FAIRNESS, "task": "binary"}
    ds = ray.data.from_arrow([INTS, INTS])
    same_report(dlr.fairness(ds, **options), dl.fairness(whole(INTS, INTS), **options))


EMPTY = pa.table({"x": pa.array([], pa.float64()), "s": pa.array([], pa.string())})


def same_empty_profile(got: dl.Profile, want: dl.Profile) -> None:
    assert want.columns == ["x", "s"]
    assert got.columns == want.columns
    assert got.row_count == want.row_count == 0
    for name in want.columns:
        for attr in ("kind", "count", "null_count"):
            assert getattr(got[name], attr) == getattr(want[name], attr), (name, attr)


def test_ray_empty_dataset_keeps_its_columns(
    ray_frame: Callable[[pa.Table, int], object],
) -> None:
    import ray
    from ray.data.expressions import col

    import driftline.ray as dlr

    full = pa.table({"x": [1.0, 2.0, None], "s": ["a", None, "b"]})
    ds = ray.data.from_arrow(full).filter(expr=col("x") > 100.0)
    same_empty_profile(dlr.profile(ds), dl.profile(EMPTY))
    got = dlr.profile(ds, columns=["x"], edges={"x": [0.0, 1.0, 2.0]})
    assert got.columns == dl.profile(EMPTY, columns=["x"]).columns == ["x"]


def test_spark_empty_dataframe_keeps_its_columns(spark_session: Any) -> None:
    import driftline.spark as dls

    df = spark_session.createDataFrame([], "x double, s string")
    for source in ("auto", "arrow"):
        same_empty_profile(dls.profile(df, source=source), dl.profile(EMPTY))
    got = dls.profile(df, columns=["x"], segment_by="s")
    want = dl.profile(EMPTY, columns=["x"], segment_by="s")
    assert got.columns == want.columns == ["x"]
    assert got.segments == want.segments == {}


def test_dask_empty_dataframe_matches(dask_frame: Callable[[pa.Table, int], object]) -> None:
    import driftline.dask as dld

    same_empty_profile(dld.profile(dask_frame(EMPTY, 2)), dl.profile(EMPTY))
