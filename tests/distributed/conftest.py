"""Fixtures of the distributed suite: a small mixed table, its shuffled partitionings, and
the check that a distributed profile equals the single-machine one."""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import driftline as dl

ROWS = 3_000
EDGES = {"x": [-2.0, -1.0, 0.0, 0.5, 1.0, 2.0], "n": [10.0, 100.0, 500.0]}
QS = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]


def make_table(rows: int = ROWS, seed: int = 7) -> pa.Table:
    """Floats with nulls, NaN and infinities; integers; strings with nulls; booleans; a
    segment key."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    x[rng.random(rows) < 0.02] = np.nan
    x[:3] = [np.inf, -np.inf, 1e308]
    x_null = rng.random(rows) < 0.05
    c_null = rng.random(rows) < 0.03
    cities = np.array(["paris", "lyon", "nice", "lille", "brest", "nantes"])
    return pa.table(
        {
            "x": pa.array(x, mask=x_null),
            "n": pa.array(rng.integers(-(2**40), 2**40, rows) % 1000, pa.int64()),
            "city": pa.array(cities[rng.integers(0, len(cities), rows)], mask=c_null),
            "flag": pa.array(rng.random(rows) < 0.3),
            "seg": pa.array(np.array(["a", "b", "c"])[rng.integers(0, 3, rows)]),
        }
    )


@pytest.fixture(scope="session")
def edges() -> dict[str, list[float]]:
    """Histogram edges given for ``x`` and ``n`` (a reference's edges)."""
    return EDGES


@pytest.fixture(scope="session")
def table() -> pa.Table:
    return make_table()


@pytest.fixture(scope="session")
def shuffled(table: pa.Table) -> pa.Table:
    """The same rows in another order (every engine gets them shuffled)."""
    return table.take(np.random.default_rng(11).permutation(table.num_rows))


def _true_ranks(values: np.ndarray, v: float) -> tuple[float, float]:
    return float(np.mean(values < v)), float(np.mean(values <= v))


def _check_column(got: dl.ColumnProfile, want: dl.ColumnProfile, values: np.ndarray) -> None:
    name = want.name
    for attr in (
        "count",
        "null_count",
        "nan_count",
        "pos_inf_count",
        "neg_inf_count",
        "min",
        "max",
        "kind",
    ):
        assert getattr(got, attr) == getattr(want, attr), (name, attr)
    for attr in ("mean", "variance"):
        g, w = getattr(got, attr), getattr(want, attr)
        assert (g is None) == (w is None), (name, attr)
        if w is not None:
            assert g == pytest.approx(w, rel=1e-9, abs=1e-12), (name, attr)
    assert got.frequencies() == want.frequencies(), name
    wh = want.histogram() if want.kind == "numeric" else None
    if wh is not None and wh.exact:
        gh = got.histogram()
        assert gh is not None and gh.exact and gh.edges == wh.edges, name
        assert gh.counts == wh.counts, name
    if want.kind == "numeric" and values.size:
        eps = got.quantile_rank_error
        assert eps is not None and eps < 0.05
        for q, v in zip(QS, got.quantile(QS), strict=True):
            lo, hi = _true_ranks(values, v)
            assert lo - eps <= q <= hi + eps, (name, q, v, lo, hi, eps)
    true_distinct = want.distinct()  # exact below the HLL's small-range regime here
    tol = max(3 * got.distinct_error * true_distinct, 1.0)
    assert math.isclose(got.distinct(), true_distinct, abs_tol=tol), name


def _numeric_values(t: pa.Table, name: str) -> np.ndarray:
    col = t.column(name)
    if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
        return np.array([])
    arr = col.drop_null().to_numpy().astype(float)
    return arr[~np.isnan(arr)]


def assert_profiles_match(got: dl.Profile, want: dl.Profile, data: pa.Table) -> None:
    """Exact parts equal, sketches within their stated bounds, segments by key too."""
    assert got.row_count == want.row_count
    assert sorted(got.columns) == sorted(want.columns)
    for name in want.columns:
        _check_column(got[name], want[name], _numeric_values(data, name))
    assert set(got.segments) == set(want.segments)
    if want.segment_by is not None:
        assert got.segment_by == want.segment_by
        keys = data.column(want.segment_by)
        for key, seg in want.segments.items():
            part = data.filter(pc.equal(keys, key))
            assert_profiles_match(got.segments[key], seg, part)


@pytest.fixture(scope="session")
def check() -> Callable[[dl.Profile, dl.Profile, pa.Table], None]:
    return assert_profiles_match


# -- engines -------------------------------------------------------------------------------
# Each engine fixture yields ``run(data, parts, **options) -> Profile``: the data split into
# ``parts`` partitions, profiled by that engine's adapter. Sessions are small and shared.


@pytest.fixture(scope="session")
def spark_session():  # type: ignore[no-untyped-def]
    pytest.importorskip("pyspark", reason="install driftline[spark] to run the Spark tests")
    import os
    import sys

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("driftline-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def spark_frame(spark_session):  # type: ignore[no-untyped-def]
    def frame(data: pa.Table, parts: int) -> object:
        with warnings.catch_warnings():
            # PySpark 4 warns about pandas 3 even on its Arrow path, which never uses pandas.
            warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
            df = spark_session.createDataFrame(data)
        df = df.coalesce(1) if parts == 1 else df.repartition(parts)
        assert df.rdd.getNumPartitions() == parts
        return df

    return frame


@pytest.fixture(scope="session")
def dask_frame():  # type: ignore[no-untyped-def]
    pytest.importorskip("dask.dataframe", reason="install driftline[dask] to run the Dask tests")
    import dask
    import dask.dataframe as dd
    import pandas as pd

    dask.config.set(scheduler="threads")

    def frame(data: pa.Table, parts: int) -> object:
        # Arrow-backed pandas keeps nulls apart from NaN, as the Arrow reference does.
        pdf = data.to_pandas(types_mapper=pd.ArrowDtype)
        step = -(-len(pdf) // parts)  # the last partitions are empty when rows < parts
        slices = [pdf.iloc[i * step : (i + 1) * step] for i in range(parts)]
        ddf = dd.from_delayed([dask.delayed(s) for s in slices], meta=pdf.iloc[:0])
        assert ddf.npartitions == parts
        return ddf

    return frame


@pytest.fixture(scope="session")
def ray_frame():  # type: ignore[no-untyped-def]
    pytest.importorskip(
        "ray.data",
        reason="Ray is not installed here (make test installs it): pip install driftline[ray]",
    )
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        ignore_reinit_error=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # raised inside ray.data itself
        ray.data.DataContext.get_current().enable_progress_bars = False

    def frame(data: pa.Table, parts: int) -> object:
        return ray.data.from_arrow(data).repartition(parts)

    yield frame
    ray.shutdown()


@pytest.fixture(params=["spark", "dask", "ray"])
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def frame(request: pytest.FixtureRequest, engine_name: str) -> Callable[[pa.Table, int], object]:
    """``frame(table, parts)``: the table as the engine's frame in ``parts`` partitions."""
    make: Callable[[pa.Table, int], object] = request.getfixturevalue(f"{engine_name}_frame")
    return make


@pytest.fixture
def adapter(engine_name: str) -> ModuleType:
    """The driftline adapter module of the engine."""
    return importlib.import_module(f"driftline.{engine_name}")


@pytest.fixture
def engine(
    frame: Callable[[pa.Table, int], object], adapter: ModuleType
) -> Callable[..., dl.Profile]:
    """``run(table, parts, **options)``: the adapter's profile of the engine's frame."""

    def run(data: pa.Table, parts: int, **options: object) -> dl.Profile:
        profile: Callable[..., dl.Profile] = adapter.profile
        return profile(frame(data, parts), **options)

    return run
