"""What the partials' from_bytes, merge and merge_all accept: bytes in any buffer type,
mixed with objects; anything else is a driftline error naming what was given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sklearn import metrics as skm

import driftline as dl
from driftline.exceptions import DecodeError, InvalidParameter

Buffer = Callable[[bytes], Any]
BUFFERS: list[Buffer] = [bytes, bytearray, memoryview]


def tables(n: int = 400) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < 0.8, y, 1 - y)
    g = rng.choice(["a", "b"], n)
    full = pa.table({"y": y, "p": p, "g": g})
    return full.slice(0, n // 3), full.slice(n // 3)


def perf(table: pa.Table) -> dl.PerformancePartial:
    return dl.performance_partial(table, prediction="p", label="y")


def fair(table: pa.Table) -> dl.FairnessPartial:
    return dl.fairness_partial(table, prediction="p", label="y", sensitive="g", min_group_size=1)


def selection_rate_gap(table: pa.Table) -> float:
    g = table.column("g").to_numpy(zero_copy_only=False)
    p = table.column("p").to_numpy()
    rates = [p[g == v].mean() for v in ("a", "b")]
    return float(abs(rates[0] - rates[1]))


@pytest.mark.parametrize("buffer", BUFFERS)
def test_performance_merge_all_mixes_any_buffer_with_objects(buffer: Buffer) -> None:
    a, b = tables()
    expected = skm.accuracy_score(
        np.concatenate([a.column("y").to_numpy(), b.column("y").to_numpy()]),
        np.concatenate([a.column("p").to_numpy(), b.column("p").to_numpy()]),
    )
    for items in ([buffer(perf(a).to_bytes()), perf(b)], [perf(a), buffer(perf(b).to_bytes())]):
        merged = dl.PerformancePartial.merge_all(items)
        assert merged is not None
        assert merged.report().accuracy == pytest.approx(expected, abs=1e-12)
    assert dl.PerformancePartial.from_bytes(buffer(perf(a).to_bytes())).report().accuracy == (
        pytest.approx(skm.accuracy_score(a.column("y").to_numpy(), a.column("p").to_numpy()))
    )


@pytest.mark.parametrize("buffer", BUFFERS)
def test_fairness_merge_all_mixes_any_buffer_with_objects(buffer: Buffer) -> None:
    a, b = tables()
    full = pa.concat_tables([a, b])
    merged = dl.FairnessPartial.merge_all([fair(a), buffer(fair(b).to_bytes())])
    assert merged is not None
    assert merged.report().demographic_parity_difference == pytest.approx(
        selection_rate_gap(full), abs=1e-12
    )
    decoded = dl.FairnessPartial.from_bytes(buffer(fair(a).to_bytes()))
    assert decoded.report().demographic_parity_difference == pytest.approx(
        selection_rate_gap(a), abs=1e-12
    )


@pytest.mark.parametrize("cls", [dl.PerformancePartial, dl.FairnessPartial])
@pytest.mark.parametrize(("given", "name"), [("DLPERF", "str"), (None, "NoneType"), (7, "int")])
def test_from_bytes_of_something_else_is_a_decode_error(cls: Any, given: Any, name: str) -> None:
    with pytest.raises(
        DecodeError, match=rf"{cls.__name__}\.from_bytes expects bytes.*got {name}$"
    ):
        cls.from_bytes(given)


def test_merge_all_names_the_item_that_is_not_a_partial() -> None:
    a, b = tables()
    with pytest.raises(
        InvalidParameter, match=r"partials\[1\] must be a PerformancePartial .*got FairnessPartial"
    ):
        dl.PerformancePartial.merge_all([perf(a), fair(b)])
    with pytest.raises(
        InvalidParameter, match=r"partials\[0\] must be a FairnessPartial .*got str"
    ):
        dl.FairnessPartial.merge_all(["DLFAIR", fair(b)])
    with pytest.raises(
        InvalidParameter, match=r"partials\[1\] must be a PerformancePartial .*got NoneType"
    ):
        dl.PerformancePartial.merge_all([perf(b).to_bytes(), None])
    # One blob instead of a list would otherwise be iterated byte by byte.
    with pytest.raises(InvalidParameter, match=r"partials must be a list .*got bytes"):
        dl.PerformancePartial.merge_all(perf(a).to_bytes())  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match=r"partials must be a list .*got NoneType"):
        dl.FairnessPartial.merge_all(None)  # type: ignore[arg-type]


def test_merge_with_another_kind_is_invalid_parameter() -> None:
    a, _ = tables()
    with pytest.raises(
        InvalidParameter, match="other must be a FairnessPartial; got PerformancePartial"
    ):
        fair(a).merge(perf(a))  # type: ignore[arg-type]


def test_foreign_bytes_mixed_with_objects_are_a_decode_error() -> None:
    a, b = tables()
    with pytest.raises(DecodeError):
        dl.PerformancePartial.merge_all([perf(a), memoryview(fair(b).to_bytes())])
