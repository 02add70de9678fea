"""Synthetic data for the demo and the benchmarks: a day of retail sales.

Each row is one line of a till receipt or an online order: when it happened, where, what
was sold, how much of it, at what price, and who bought it. The columns mix the types a
monitored model sees in production: floats with skew and outliers, integers, a boolean,
low- and high-cardinality categories, a timestamp, and missing values where real feeds have
them (an unknown customer age, a missing payment method on some online orders).

Generation is vectorised with numpy (about a second per million rows) and deterministic
for a given seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

__all__ = ["SALES_SCHEMA", "sales_batches", "sales_table"]

_CATEGORIES = [
    "grocery",
    "dairy",
    "bakery",
    "produce",
    "meat",
    "frozen",
    "beverages",
    "household",
    "personal care",
    "electronics",
    "toys",
    "clothing",
]
_CHANNELS = ["store", "online", "app"]
_PAYMENTS = ["card", "cash", "mobile", "gift card", "voucher"]
_REGIONS = ["north", "south", "east", "west", "central"]
_N_STORES = 60
_N_SKUS = 2_000
_DAY = datetime(2026, 11, 26, tzinfo=UTC)
# Opening hours 06:00 to 23:00: the cumulative share of the day's sales at each minute.
_DAY_MINUTES = np.arange(6 * 60, 23 * 60 + 1, dtype=np.float64)
_density = 0.55 * np.exp(-0.5 * ((_DAY_MINUTES - 11 * 60) / 90) ** 2) + 0.45 * np.exp(
    -0.5 * ((_DAY_MINUTES - 18 * 60) / 120) ** 2
)
_DAY_CDF = np.concatenate([[0.0], np.cumsum(_density[1:])])
_DAY_CDF /= _DAY_CDF[-1]

SALES_SCHEMA = pa.schema(
    [
        pa.field("sold_at", pa.timestamp("ms", tz="UTC")),
        pa.field("store_id", pa.string()),
        pa.field("region", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("sku", pa.string()),
        pa.field("category", pa.string()),
        pa.field("quantity", pa.int32()),
        pa.field("unit_price", pa.float64()),
        pa.field("discount", pa.float64()),
        pa.field("amount", pa.float64()),
        pa.field("payment_method", pa.string()),
        pa.field("customer_age", pa.int16()),
        pa.field("loyalty_member", pa.bool_()),
        pa.field("basket_items", pa.int32()),
        pa.field("returned", pa.bool_()),
    ]
)


def _catalogue(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SKU names, their category index and their list price (fixed for a seed)."""
    skus = np.array([f"SKU-{i:05d}" for i in range(_N_SKUS)])
    category = rng.integers(0, len(_CATEGORIES), _N_SKUS)
    price = np.round(rng.lognormal(mean=1.6, sigma=0.9, size=_N_SKUS), 2) + 0.49
    return skus, category, price


def _dict_column(
    codes: np.ndarray, labels: list[str] | np.ndarray, mask: np.ndarray | None = None
) -> pa.Array:
    """A string column built from integer codes (cheap: no Python loop over rows)."""
    arr = pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32), mask=mask), pa.array(list(labels), pa.string())
    )
    return arr.cast(pa.string())


def _batch(
    rng: np.random.Generator,
    n: int,
    start: int,
    total: int,
    catalogue: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> pa.RecordBatch:
    skus, sku_category, sku_price = catalogue
    # Sales follow the opening hours, a morning and an evening peak; rows are in time order
    # across batches: row i of the day sits at the day's (i + u) / total quantile.
    u = (start + np.arange(n) + rng.random(n)) / max(total, 1)
    minute = np.interp(u, _DAY_CDF, _DAY_MINUTES)
    base_ms = int(_DAY.timestamp() * 1000)
    sold_at = (base_ms + (minute * 60_000).astype(np.int64)).astype("datetime64[ms]")

    store = rng.zipf(1.3, n) % _N_STORES
    channel = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    sku = (rng.zipf(1.15, n) - 1) % _N_SKUS  # a long tail of slow sellers
    quantity = 1 + rng.poisson(0.6, n)
    discount = np.where(rng.random(n) < 0.75, 0.0, rng.choice([0.05, 0.1, 0.2, 0.3, 0.5], n))
    unit_price = np.round(sku_price[sku] * rng.normal(1.0, 0.02, n), 2)
    amount = np.round(quantity * unit_price * (1 - discount), 2)
    # A few data-entry errors: prices keyed in cents.
    typo = rng.random(n) < 1e-4
    amount[typo] *= 100
    payment = rng.choice(len(_PAYMENTS), n, p=[0.55, 0.2, 0.18, 0.04, 0.03])
    payment_missing = (channel != 0) & (rng.random(n) < 0.03)
    age = rng.normal(44, 15, n).clip(18, 95).astype(np.int16)
    loyalty = rng.random(n) < 0.38
    age_missing = ~loyalty & (rng.random(n) < 0.25)  # only members tell their age
    basket = quantity + rng.poisson(6, n)
    returned = rng.random(n) < np.where(channel == 0, 0.01, 0.05)
    discount_missing = rng.random(n) < 0.01

    columns = [
        pa.array(sold_at, pa.timestamp("ms")).cast(pa.timestamp("ms", tz="UTC")),
        _dict_column(store, [f"S{i:03d}" for i in range(_N_STORES)]),
        _dict_column(store % len(_REGIONS), _REGIONS),
        _dict_column(channel, _CHANNELS),
        _dict_column(sku, skus),
        _dict_column(sku_category[sku], _CATEGORIES),
        pa.array(quantity.astype(np.int32)),
        pa.array(unit_price),
        pa.array(discount, mask=discount_missing),
        pa.array(amount),
        _dict_column(payment, _PAYMENTS, mask=payment_missing),
        pa.array(age, mask=age_missing),
        pa.array(loyalty),
        pa.array(basket.astype(np.int32)),
        pa.array(returned),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=SALES_SCHEMA)


def sales_batches(
    rows: int, *, seed: int = 7, batch_rows: int = 250_000
) -> Iterator[pa.RecordBatch]:
    """Yields the day's sales as record batches of at most ``batch_rows`` rows.

    Parameters
    ----------
    rows
        Total rows (sale lines).
    seed
        Seed of the random generator: the same seed gives the same data.
    batch_rows
        Rows per batch (bounds the memory used while generating).

    Examples
    --------
    >>> from driftline.demo.data import sales_batches
    >>> sum(b.num_rows for b in sales_batches(1_000, batch_rows=300))
    1000
    """
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be >= 1, got {batch_rows}")
    rng = np.random.default_rng(seed)
    catalogue = _catalogue(rng)
    for start in range(0, rows, batch_rows):
        yield _batch(rng, min(batch_rows, rows - start), start, rows, catalogue)


def sales_table(rows: int, *, seed: int = 7) -> pa.Table:
    """The day's sales as one table (see :func:`sales_batches`).

    Examples
    --------
    >>> from driftline.demo.data import sales_table
    >>> t = sales_table(500)
    >>> t.num_rows, t.num_columns
    (500, 15)
    """
    return pa.Table.from_batches(list(sales_batches(rows, seed=seed)), schema=SALES_SCHEMA)
