"""Large columns feed their quantile sketches through a sampler (one value per block of
2^h, h chosen from the rows of the whole profile): the stated rank-error bound must still
hold, on in-memory tables and on Parquet scans whose row groups are profiled apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl
from driftline import _native

QS = [0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999]


def _worst_rank_error(col: dl.ColumnProfile, x: np.ndarray) -> float:
    """Largest distance from q to the rank interval [P(X < v), P(X <= v)] of the value v
    the sketch returns for q (an interval, not a point, when values repeat)."""
    s = np.sort(x)
    worst = 0.0
    for q in QS:
        v = col.quantile(q)
        lo = np.searchsorted(s, v, side="left") / len(s)
        hi = np.searchsorted(s, v, side="right") / len(s)
        worst = max(worst, lo - q, q - hi)
    return worst


@pytest.mark.parametrize(
    "draw",
    [
        lambda r, n: r.normal(size=n),
        lambda r, n: r.lognormal(3, 2, n),
        lambda r, n: r.integers(0, 50, n).astype(np.float64),  # heavy ties
        lambda r, n: np.sort(r.exponential(size=n)),  # sorted input: worst for blocks
        lambda r, n: np.where(r.random(n) < 0.5, -1e308, 1e308) * r.random(n),
    ],
    ids=["normal", "lognormal", "ties", "sorted", "huge"],
)
def test_bound_holds_with_the_sampler(draw, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    x = draw(rng, 2_000_000)
    col = dl.profile(pa.table({"x": x}))["x"]
    assert col.count == len(x)
    assert col.min == x.min() and col.max == x.max()
    assert col.quantile(0.0) == x.min() and col.quantile(1.0) == x.max()
    assert _worst_rank_error(col, x) <= col.quantile_rank_error


def test_exact_statistics_do_not_change(rng: np.random.Generator) -> None:
    x = rng.normal(5, 3, 1_500_000)
    col = dl.profile(pa.table({"x": x}))["x"]
    assert col.mean == pytest.approx(x.mean(), rel=1e-12)
    assert col.variance == pytest.approx(x.var(), rel=1e-9)


def test_parquet_row_groups_are_sized_for_the_whole_file(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    x = rng.normal(size=2_000_000)
    f = tmp_path / "x.parquet"
    pq.write_table(pa.table({"x": x}), f, row_group_size=100_000)
    col = dl.profile_parquet(f)["x"]
    assert col.count == len(x)
    assert _worst_rank_error(col, x) <= col.quantile_rank_error
    # A group profiled alone on behalf of the file samples (its sketch differs from the
    # group's own), and is still within the bound for its own rows.
    group = pa.table({"x": x[:100_000]})
    own = _native.profile(group)
    on_behalf = _native.profile(group, expected_rows=len(x))
    assert own != on_behalf
    s = dl.Profile(on_behalf)["x"]
    assert s.count == 100_000
    assert _worst_rank_error(s, x[:100_000]) <= 3 * s.quantile_rank_error


def test_small_inputs_are_not_sampled(rng: np.random.Generator) -> None:
    # Below about 250k values every value enters the sketch: small profiles stay exact.
    x = rng.normal(size=150)
    col = dl.profile(pa.table({"x": x}))["x"]
    s = np.sort(x)
    assert [col.quantile(q) for q in (0.1, 0.5, 0.9)] == [
        s[int(np.ceil(q * len(s))) - 1] for q in (0.1, 0.5, 0.9)
    ]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_mostly_null_column_is_sampled_by_its_values_not_the_rows(seed: int) -> None:
    # 8,000 values in 4M rows: sampling follows the values the sketch sees (here none),
    # so the column's quantiles keep the bound they have when profiled alone.
    rng = np.random.default_rng(seed)
    n, kept = 4_000_000, 8_000
    x = rng.normal(size=kept)
    where = np.sort(rng.choice(n, kept, replace=False))
    full = np.full(n, np.nan)
    full[where] = x
    col = pa.array(full, mask=np.isnan(full))
    table = pa.table({"sparse": col, "dense": rng.normal(size=n)})
    prof = dl.profile(table)
    bound = prof["sparse"].quantile_rank_error
    assert prof["sparse"].count == kept
    assert _worst_rank_error(prof["sparse"], x) <= bound
