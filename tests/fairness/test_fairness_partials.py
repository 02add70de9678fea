"""Fairness partials: merged partials equal the one-pass report exactly, for any split and
merge order, and fairlearn on the whole data; groups absent from a partial; the DLFAIR
bytes."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
)

import driftline as dl
from driftline.exceptions import DecodeError, InvalidParameter

TOL = 1e-12


def table(seed: int, n: int = 5000, groups: int = 6) -> pa.Table:
    rng = np.random.default_rng(seed)
    names = np.array([f"g{i}" for i in range(groups)])
    g = names[rng.integers(0, groups, n)]
    bias = rng.uniform(0.2, 0.8, groups)[rng.integers(0, groups, n)]
    y = (rng.random(n) < 0.5).astype(np.int64)
    p = (rng.random(n) < bias).astype(np.int64)
    return pa.table(
        {
            "y": y,
            "p": p,
            "g": g,
            "band": rng.choice(["young", "old"], n),
            "s": rng.random(n),
            "seg": rng.integers(0, 3, n),
            "yr": rng.normal(50, 10, n),
            "pr": rng.normal(50, 12, n),
        }
    )


def split(t: pa.Table, rng: np.random.Generator, parts: int) -> list[pa.Table]:
    cuts = np.sort(rng.integers(0, t.num_rows + 1, parts - 1))
    bounds = [0, *cuts.tolist(), t.num_rows]
    pieces = [t.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    return [pieces[i] for i in rng.permutation(len(pieces))]


def merged(pieces: list[pa.Table], **kw: Any) -> dl.FairnessReport:
    blobs = [dl.fairness_partial(p, **kw).to_bytes() for p in pieces]
    acc = dl.FairnessPartial.from_bytes(blobs[0])
    for b in blobs[1:]:
        acc = dl.FairnessPartial.from_bytes(b).merge(acc)
    return acc.report()


def assert_same(got: dl.FairnessReport, want: dl.FairnessReport) -> None:
    assert got.to_dict() == want.to_dict()
    assert got.by_group.equals(want.by_group)
    assert got.reference_group == want.reference_group
    assert got.small_groups == want.small_groups
    if want.segments is None:
        assert got.segments is None
    else:
        assert got.segments is not None and got.segments.equals(want.segments)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_merge_equals_one_pass_exactly(seed: int) -> None:
    t = table(seed)
    kw: dict[str, Any] = dict(
        prediction="p",
        label="y",
        sensitive=["g", "band"],
        score="s",
        segment_by="seg",
        min_group_size=10,
    )
    want = dl.fairness(t, **kw)
    rng = np.random.default_rng(seed)
    for parts in (1, 4, 16):
        assert_same(merged(split(t, rng, parts), **kw), want)


def test_merged_equals_fairlearn() -> None:
    t = table(4)
    r = merged(
        split(t, np.random.default_rng(0), 7),
        prediction="p",
        label="y",
        sensitive="g",
        min_group_size=0,
    )
    y, p, g = (t[c].to_numpy(zero_copy_only=False) for c in ("y", "p", "g"))
    assert (
        abs(
            r.demographic_parity_difference
            - demographic_parity_difference(y, p, sensitive_features=g)
        )
        < TOL
    )
    assert (
        abs(r.demographic_parity_ratio - demographic_parity_ratio(y, p, sensitive_features=g)) < TOL
    )
    assert (
        abs(r.equalized_odds_difference - equalized_odds_difference(y, p, sensitive_features=g))
        < TOL
    )


def test_regression_merge_equals_one_pass_exactly() -> None:
    t = table(5)
    kw: dict[str, Any] = dict(prediction="pr", label="yr", sensitive="g", min_group_size=5)
    want = dl.fairness(t, **kw)
    assert want.task == "regression"
    for parts in (2, 9):
        assert_same(merged(split(t, np.random.default_rng(parts), parts), **kw), want)


def test_group_absent_from_one_partial() -> None:
    t = table(6)
    g = t["g"].to_numpy(zero_copy_only=False)
    a, b = t.filter(pa.array(g != "g3")), t.filter(pa.array(g == "g3"))
    kw: dict[str, Any] = dict(prediction="p", label="y", sensitive="g", min_group_size=0)
    assert_same(merged([b, a], **kw), dl.fairness(pa.concat_tables([a, b]), **kw))


def test_empty_partial_and_all_null_labels() -> None:
    t = table(7, n=300)
    kw: dict[str, Any] = dict(prediction="p", label="y", sensitive="g", min_group_size=0)
    assert_same(merged([t.slice(0, 0), t], **kw), dl.fairness(t, **kw))
    nulls = t.set_column(0, "y", pa.nulls(300, pa.int64()))
    r = merged([nulls.slice(0, 100), nulls.slice(100)], **kw)
    assert r.by_group["n_null"].sum() == 300
    assert r.equal_opportunity_difference is None
    assert_same(r, dl.fairness(nulls, **kw))


def test_bytes_and_specs() -> None:
    part = dl.fairness_partial(table(0, n=100), prediction="p", label="y", sensitive="g")
    b = part.to_bytes()
    assert b[:6] == b"DLFAIR"
    with pytest.raises(DecodeError, match="format version 99 is not supported"):
        dl.FairnessPartial.from_bytes(b[:6] + (99).to_bytes(2, "little") + b[8:])
    with pytest.raises(DecodeError, match="checksum"):
        dl.FairnessPartial.from_bytes(b[:-1] + bytes([b[-1] ^ 0xFF]))
    other = dl.fairness_partial(table(0, n=100), prediction="p", label="y", sensitive="band")
    with pytest.raises(InvalidParameter, match="different evaluations"):
        part.merge(other)
    assert dl.FairnessPartial.merge_all([]) is None
    assert "groups=6" in repr(part)
