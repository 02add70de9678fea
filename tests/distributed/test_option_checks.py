"""Options of the adapters checked on the driver, before any job, with InvalidParameter
naming the option: ``fan_in`` (below 2 a reduction tree never shrinks: Dask looped
forever, Spark built plans until Py4J failed), ``min_group_size`` and ``kll_k`` (raw
TypeError / OverflowError from deeper down before), non-numeric ``edges`` and a column
named twice in ``columns`` (a bare ValueError before), as :func:`driftline.profile` does."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.distributed._common import ProfileSpec, merge_partials
from driftline.distributed._metrics import MetricSpec
from driftline.exceptions import InvalidParameter

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

FAIRNESS: dict[str, Any] = dict(prediction="p", label="y", sensitive="g", min_group_size=1)


def small_table(rows: int = 70) -> pa.Table:
    rng = np.random.default_rng(1)
    return pa.table(
        {
            "x": rng.normal(size=rows),
            "y": rng.integers(0, 2, rows),
            "p": rng.integers(0, 2, rows),
            "g": np.array(["a", "b"])[rng.integers(0, 2, rows)],
        }
    )


def call(adapter: ModuleType, kind: str, frame: object, **options: Any) -> Any:
    if kind == "profile" and adapter.__name__ == "driftline.spark":
        # The mapInArrow path is the one whose reduction loop ran away.
        options["source"] = "arrow"
    if kind == "fairness":
        options = {**FAIRNESS, **options}
    if kind == "performance":
        options = {"prediction": "p", "label": "y", **options}
    return getattr(adapter, kind)(frame, **options)


@pytest.mark.timeout(120)  # before the fix, fan_in=1 hung Dask and Spark
@pytest.mark.parametrize("kind", ["profile", "fairness", "performance"])
@pytest.mark.parametrize("fan_in", [1, 0, -4, 2.5, True, "8"])
def test_fan_in_below_two_is_refused(
    frame: Callable[[pa.Table, int], object], adapter: ModuleType, kind: str, fan_in: Any
) -> None:
    with pytest.raises(InvalidParameter, match=r"fan_in must be an integer >= 2, got"):
        call(adapter, kind, frame(small_table(), 7), fan_in=fan_in)


def test_fan_in_two_still_reduces_seven_partitions(
    frame: Callable[[pa.Table, int], object], adapter: ModuleType
) -> None:
    data = small_table()
    got = call(adapter, "profile", frame(data, 7), fan_in=2)
    assert got.row_count == data.num_rows
    assert got["x"].mean == pytest.approx(float(np.mean(data["x"].to_numpy())), rel=1e-12)


def test_merge_steps_share_the_check() -> None:
    spec = MetricSpec.build("performance", {"prediction": "p", "label": "y"})
    for fan_in in (1, 0, None):
        with pytest.raises(InvalidParameter, match="fan_in"):
            merge_partials([], fan_in=fan_in)  # type: ignore[arg-type]
        with pytest.raises(InvalidParameter, match="fan_in"):
            spec.merge([], fan_in=fan_in)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, -1, 2.5, "30"])
def test_min_group_size_is_checked(
    dask_frame: Callable[[pa.Table, int], object], value: Any
) -> None:
    import driftline.dask as dld

    with pytest.raises(InvalidParameter, match=r"min_group_size must be an integer >= 0"):
        dld.fairness(dask_frame(small_table(), 2), **{**FAIRNESS, "min_group_size": value})
    with pytest.raises(InvalidParameter, match="min_group_size"):
        MetricSpec.build("fairness", {**FAIRNESS, "min_group_size": value})


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("kll_k", -3, r"in \[8, 65535\]"),
        ("kll_k", 0, r"in \[8, 65535\]"),
        ("kll_k", 2.5, "an integer"),
        ("hll_p", -1, r"in \[4, 16\]"),
        ("hll_p", 99, r"in \[4, 16\]"),
        ("freq_cap", -1, r"in \[1, 4294967296\]"),
        ("threads", 0, "a positive integer"),
        ("bins", 0, "a positive integer"),
    ],
)
def test_sketch_options_are_checked(
    dask_frame: Callable[[pa.Table, int], object], option: str, value: Any, rule: str
) -> None:
    import driftline.dask as dld

    message = rf"{option} must be {rule}, got {value!r}"
    with pytest.raises(InvalidParameter, match=message):
        dld.profile(dask_frame(small_table(), 2), **{option: value})
    with pytest.raises(InvalidParameter, match=message):
        ProfileSpec.build(**{option: value})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"edges": {"x": ["a", "b"]}}, r"edges for column 'x' must be numbers, got \['a', 'b'\]"),
        ({"columns": ["x", "g", "x"]}, r"columns.*column 'x'.*named twice"),
    ],
    ids=["non-numeric-edges", "duplicate-columns"],
)
def test_profile_options_are_refused_as_dl_profile_refuses_them(
    frame: Callable[[pa.Table, int], object],
    adapter: ModuleType,
    options: dict[str, Any],
    message: str,
) -> None:
    # The same exception as the single-machine call on the same data, before any job
    # (a bare ValueError from float() or from the engine's duplicate-name check before).
    data = small_table()
    with pytest.raises(InvalidParameter, match=message):
        dl.profile(data, **options)
    with pytest.raises(InvalidParameter, match=message):
        call(adapter, "profile", frame(data, 2), **options)
    with pytest.raises(InvalidParameter, match=message):
        ProfileSpec.build(**options)
