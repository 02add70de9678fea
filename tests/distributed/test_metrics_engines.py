"""fairness() and performance() of each engine's adapter against the single-machine
reports, on 1, 4 and 16 partitions of the same rows in shuffled order: counts and exact
sums (and every metric from them) equal, the histogram AUC within its bound."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sklearn.metrics import roc_auc_score

import driftline as dl
from driftline.distributed._metrics import MetricSpec
from driftline.exceptions import DecodeError, SchemaError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

ROWS = 4_000
AUC_KEYS = {"roc_auc", "auc_mode", "roc_auc_ovr_macro", "roc_auc_ovr_weighted"}
AUC_KEYS |= {"roc_auc_ovr_error_bound"}


def metrics_table(rows: int = ROWS, seed: int = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    y_null = rng.random(rows) < 0.02
    s_null = rng.random(rows) < 0.03
    proba = rng.dirichlet(np.ones(3), rows)
    cls = (rng.random(rows)[:, None] > proba.cumsum(axis=1)).sum(axis=1).clip(0, 2)
    return pa.table(
        {
            "y": pa.array(y, mask=y_null),
            "p": (s > 0.5).astype(np.int64),
            "s": pa.array(s, mask=s_null),
            "g": np.array(["a", "b", "c", "d"])[rng.integers(0, 4, rows)],
            "seg": rng.integers(0, 6, rows),
            "yr": rng.normal(100, 5, rows),
            "pr": rng.normal(100, 6, rows),
            "yc": cls,
            "pc": proba.argmax(axis=1),
            "q0": proba[:, 0],
            "q1": proba[:, 1],
            "q2": proba[:, 2],
        }
    )


@pytest.fixture(scope="module")
def mtable() -> pa.Table:
    return metrics_table()


@pytest.fixture(scope="module")
def mshuffled(mtable: pa.Table) -> pa.Table:
    return mtable.take(np.random.default_rng(5).permutation(mtable.num_rows))


def same_but_auc(got: dl.PerformanceReport, want: dl.PerformanceReport) -> None:
    g, w = got.to_dict(), want.to_dict()
    assert {k: v for k, v in g.items() if k not in AUC_KEYS} == {
        k: v for k, v in w.items() if k not in AUC_KEYS
    }
    if want.segments is not None:
        assert got.segments is not None
        keep = [c for c in want.segments.columns if c != "roc_auc"]
        assert got.segments.select(keep).equals(want.segments.select(keep))


Run = Callable[..., Any]


@pytest.fixture
def run(frame: Callable[[pa.Table, int], object], adapter: ModuleType) -> Run:
    """``run(kind, table, parts, **options)``: the adapter's report of the engine's frame."""

    def go(kind: str, data: pa.Table, parts: int, **options: Any) -> Any:
        return getattr(adapter, kind)(frame(data, parts), **options)

    return go


@pytest.mark.parametrize("parts", [1, 4, 16])
def test_performance_equals_single_machine(
    run: Run, mtable: pa.Table, mshuffled: pa.Table, parts: int
) -> None:
    kw: dict[str, Any] = dict(prediction="p", label="y", score="s", segment_by="seg")
    want = dl.performance(mtable, **kw)
    got = run("performance", mshuffled, parts, **kw)
    assert got.auc_mode == "histogram"
    same_but_auc(got, want)
    valid = mtable.filter(pc.and_(mtable["y"].is_valid(), mtable["s"].is_valid()))
    exact = roc_auc_score(valid["y"].to_numpy(), valid["s"].to_numpy())
    assert abs(got.roc_auc - exact) <= got.auc_approx_error_bound + 1e-12
    assert abs(got.roc_auc - exact) < 0.005


@pytest.mark.parametrize("parts", [1, 4, 16])
def test_regression_and_multiclass_equal_single_machine(
    run: Run, mtable: pa.Table, mshuffled: pa.Table, parts: int
) -> None:
    reg: dict[str, Any] = dict(prediction="pr", label="yr", task="regression", segment_by="seg")
    same_but_auc(run("performance", mshuffled, parts, **reg), dl.performance(mtable, **reg))
    mc: dict[str, Any] = dict(
        prediction="pc", label="yc", task="multiclass", score={0: "q0", 1: "q1", 2: "q2"}
    )
    want = dl.performance(mtable, **mc)
    got = run("performance", mshuffled, parts, **mc)
    same_but_auc(got, want)
    assert abs(got.roc_auc_ovr_macro - want.roc_auc_ovr_macro) < 0.005


@pytest.mark.parametrize("parts", [1, 4, 16])
def test_fairness_equals_single_machine(
    run: Run, mtable: pa.Table, mshuffled: pa.Table, parts: int
) -> None:
    kw: dict[str, Any] = dict(
        prediction="p", label="y", sensitive="g", score="s", segment_by="seg", min_group_size=20
    )
    want = dl.fairness(mtable, **kw)
    got = run("fairness", mshuffled, parts, **kw)
    assert got.to_dict() == want.to_dict()
    assert got.by_group.equals(want.by_group)
    assert got.segments is not None and want.segments is not None
    assert got.segments.equals(want.segments)
    reg: dict[str, Any] = dict(prediction="pr", label="yr", sensitive="g", min_group_size=5)
    got_r, want_r = run("fairness", mshuffled, parts, **reg), dl.fairness(mtable, **reg)
    assert got_r.by_group.equals(want_r.by_group)


def test_tree_reduction_with_small_fan_in(
    engine_name: str, run: Run, mtable: pa.Table, mshuffled: pa.Table
) -> None:
    if engine_name == "ray":
        pytest.skip("Ray merges on the driver only")
    kw: dict[str, Any] = dict(prediction="p", label="y", score="s", segment_by="seg")
    same_but_auc(run("performance", mshuffled, 16, fan_in=3, **kw), dl.performance(mtable, **kw))


def test_unknown_column_is_named(run: Run, mtable: pa.Table) -> None:
    with pytest.raises(SchemaError, match="nope"):
        run("performance", mtable, 2, prediction="p", label="nope")


def test_incompatible_partial_is_refused() -> None:
    spec = MetricSpec.build("performance", {"prediction": "p", "label": "y"})
    good = spec.partial_bytes(metrics_table(50))
    old = good[:6] + (7).to_bytes(2, "little") + good[8:]
    with pytest.raises(DecodeError, match=r"format version 7 .*same driftline version"):
        spec.merge([good, old], fan_in=4)


def test_incompatible_partial_from_a_worker_is_refused(
    dask_frame: Callable[[pa.Table, int], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    import driftline.dask as dld

    real = MetricSpec.partial_bytes

    def old_worker(self: MetricSpec, data: Any) -> bytes:
        b = real(self, data)
        return b[:6] + (0).to_bytes(2, "little") + b[8:]

    monkeypatch.setattr(MetricSpec, "partial_bytes", old_worker)
    with pytest.raises(DecodeError, match=r"fairness partial .*format version 0"):
        dld.fairness(dask_frame(metrics_table(200), 3), prediction="p", label="y", sensitive="g")


def test_bad_options_fail_before_any_job() -> None:
    with pytest.raises(ValueError, match="task must be"):
        MetricSpec.build("performance", {"prediction": "p", "label": "y", "task": "ranking"})
    with pytest.raises(ValueError, match="sensitive"):
        MetricSpec.build("fairness", {"prediction": "p", "sensitive": []})
    with pytest.raises(TypeError, match="sensitve"):
        MetricSpec.build("fairness", {"prediction": "p", "sensitive": "g", "sensitve": "h"})
    with pytest.raises(TypeError, match="label"):
        MetricSpec.build("performance", {"prediction": "p"})
