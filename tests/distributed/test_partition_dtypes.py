"""Partitions whose types are not the frame's: a Dask partition of ``int64`` next to one of
``float64`` (the frame's meta, what ``compute()`` gives, is ``float64``), a ``float64``
all-NaN partition of a string column (as ``read_csv`` makes one), a Ray block of ``int64``
in a Dataset whose schema is ``double``. Profiled as they came, ``1`` and ``1.0`` were two
categories, the string column refused to merge, a group column was refused as Float64.
Each partition is now converted to the frame's types: the same result as the
single-machine call on the computed rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

Check = Callable[[dl.Profile, dl.Profile, pa.Table], None]


def dask_of(frames: list[Any]) -> Any:
    """A Dask frame of pandas partitions, meta from their concatenation (from_delayed
    without meta verification, as readers that infer types per file give them)."""
    dd = pytest.importorskip("dask.dataframe")
    import dask
    import pandas as pd

    meta = pd.concat(frames, ignore_index=True).iloc[:0]
    return dd.from_delayed([dask.delayed(f) for f in frames], meta=meta, verify_meta=False)


def computed(ddf: Any) -> pa.Table:
    return pa.Table.from_pandas(ddf.compute(), preserve_index=False)


def pandas_parts() -> dict[str, Any]:
    pd = pytest.importorskip("pandas")
    return {
        "ints": pd.DataFrame({"x": np.array([1, 2, 3, 3], np.int64), "s": ["a", "b", "c", "a"]}),
        "floats": pd.DataFrame({"x": [3.0, np.nan, 4.0], "s": ["a", None, "d"]}),
        "null_s": pd.DataFrame({"x": [5.0, 6.0], "s": [np.nan, np.nan]}),
    }


CASES: list[tuple[str, tuple[str, ...], dict[str, Any]]] = [
    ("int+float categorical", ("ints", "floats"), {"categorical": ["x"]}),
    ("int+float", ("ints", "floats"), {}),
    ("all-NaN string", ("ints", "null_s"), {}),
    ("all-NaN string key", ("ints", "null_s", "floats"), {"columns": ["x"], "segment_by": "s"}),
]


@pytest.mark.parametrize(("parts", "options"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_dask_partitions_take_the_frames_dtypes(
    check: Check, parts: tuple[str, ...], options: dict[str, Any]
) -> None:
    import driftline.dask as dld

    frames = pandas_parts()
    ddf = dask_of([frames[p] for p in parts])
    whole = computed(ddf)
    check(dld.profile(ddf, **options), dl.profile(whole, **options), whole)


METRICS: list[tuple[str, dict[str, Any]]] = [
    ("performance", dict(prediction="p", label="y", segment_by="g")),
    ("fairness", dict(prediction="p", label="y", sensitive="g", min_group_size=1, task="binary")),
]


@pytest.mark.parametrize(("kind", "options"), METRICS, ids=[m[0] for m in METRICS])
def test_dask_metrics_with_an_all_nan_group_partition(kind: str, options: dict[str, Any]) -> None:
    pd = pytest.importorskip("pandas")
    import driftline.dask as dld

    ddf = dask_of(
        [
            pd.DataFrame({"y": [1, 0, 1, 0], "p": [1, 0, 0, 0], "g": ["u", "v", "u", "v"]}),
            pd.DataFrame({"y": [1, 1], "p": [1, 0], "g": [np.nan, np.nan]}),
            pd.DataFrame({"y": [1.0, 0.0], "p": [1.0, np.nan], "g": ["u", "w"]}),
        ]
    )
    want = getattr(dl, kind)(computed(ddf), **options)
    assert getattr(dld, kind)(ddf, **options).to_dict() == want.to_dict()


RAY_INTS = pa.table({"x": pa.array([1, 2, 3, 3], pa.int64()), "y": pa.array([0, 1, 1, 0])})
RAY_FLOATS = pa.table({"x": pa.array([3.0, None, 4.0]), "y": pa.array([1, 0, 1])})


@pytest.mark.parametrize("options", [{"categorical": ["x"]}, {}], ids=["categorical", "numeric"])
def test_ray_blocks_take_the_datasets_schema(
    ray_frame: Callable[[pa.Table, int], object], check: Check, options: dict[str, Any]
) -> None:
    import ray

    import driftline.ray as dlr

    ds = ray.data.from_arrow([RAY_INTS, RAY_FLOATS])
    assert ds.schema().base_schema.field("x").type == pa.float64()
    whole = pa.concat_tables([RAY_INTS, RAY_FLOATS], promote_options="permissive")
    check(dlr.profile(ds, **options), dl.profile(whole, **options), whole)


def test_ray_performance_of_mixed_blocks(ray_frame: Callable[[pa.Table, int], object]) -> None:
    import ray

    import driftline.ray as dlr

    ds = ray.data.from_arrow([RAY_INTS, RAY_FLOATS])
    whole = pa.concat_tables([RAY_INTS, RAY_FLOATS], promote_options="permissive")
    options: dict[str, Any] = dict(prediction="x", label="y", task="regression", segment_by="y")
    assert dlr.performance(ds, **options).to_dict() == dl.performance(whole, **options).to_dict()
