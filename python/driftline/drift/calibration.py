"""Thresholds calibrated on the reference itself for a chosen false-alarm rate.

Leave-one-chunk-out: the reference rows are shuffled (seeded) and cut into ``chunks``
parts; each part is compared, as if it were current data, with the reference *minus that
part*, so a chunk is never compared with data that contains it. Every comparison gives
each column's effect size (Wasserstein / reference sd, or total variation) under "no
drift" at the chunk's size. Such an effect size behaves like the absolute value of a
centred normal variable (exactly so for the total variation of a two-category column,
approximately otherwise), so a column's threshold is ``z`` times the root mean square of
its values, ``z`` the normal quantile of ``1 - q / 2`` with ``q = false_alarm_rate /
n_columns`` (the rate is split over the columns, Bonferroni-style, so that the share of
comparisons with *any* column falsely flagged is about ``false_alarm_rate``), and never
below the largest value seen. The root mean square uses every chunk and is far steadier
than a tail quantile of a few values. Choose ``chunks`` so that a chunk has about as many rows as
the current batches you will compare: the noise of an effect size shrinks as the sample
grows.

Examples
--------
>>> import numpy as np, driftline as dl
>>> rng = np.random.default_rng(1)
>>> ref = {"x": rng.normal(size=20_000)}
>>> cal = dl.drift.calibrate(ref, chunks=10)
>>> r = dl.compare(ref, {"x": rng.normal(size=2_000)}, thresholds=cal)
>>> r.drifted, r.features[0].method
(False, 'calibrated_wasserstein_norm')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import norm

from driftline.exceptions import DataError, InvalidParameter

__all__ = ["Calibration", "calibrate"]


@dataclass(frozen=True)
class Calibration:
    """Per-column effect-size thresholds calibrated on a reference.

    Pass it as ``compare(..., thresholds=calibration)``.
    """

    thresholds: dict[str, float]
    false_alarm_rate: float
    chunks: int
    chunk_rows: int
    samples: dict[str, list[float]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "thresholds": self.thresholds,
            "false_alarm_rate": self.false_alarm_rate,
            "chunks": self.chunks,
            "chunk_rows": self.chunk_rows,
        }


def calibrate(
    reference: Any,
    *,
    chunks: int = 20,
    false_alarm_rate: float = 0.05,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    bins: int = 10,
    seed: int = 0,
) -> Calibration:
    """Calibrates effect-size thresholds on ``reference`` (raw data), leave-one-chunk-out.

    Parameters
    ----------
    reference
        Raw reference data (anything :func:`driftline.profile` takes).
    chunks
        Number of chunks (at least 5; more chunks give steadier thresholds).
    false_alarm_rate
        Target share of no-drift comparisons with any column flagged.
    columns, categorical, bins
        As for :func:`driftline.compare`.
    seed
        Seed of the row shuffle.

    Returns
    -------
    Calibration
    """
    from driftline.drift.compare import compare
    from driftline.drift.inputs import _table

    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 5:
        raise InvalidParameter(f"chunks must be an integer >= 5, not {chunks!r}")
    if not 0 < false_alarm_rate < 1:
        raise InvalidParameter(f"false_alarm_rate must be in (0, 1), not {false_alarm_rate}")
    table = _table(reference, "reference")
    if columns is not None:
        table = table.select(list(columns))
    n = table.num_rows
    if n < 2 * chunks:
        raise DataError(f"the reference has {n} rows: too few for {chunks} chunks")
    order = np.random.default_rng(seed).permutation(n)
    parts = np.array_split(order, chunks)
    samples: dict[str, list[float]] = {}
    for i, part in enumerate(parts):
        rest = np.sort(np.concatenate([p for j, p in enumerate(parts) if j != i]))
        r = compare(
            table.take(rest),
            table.take(np.sort(part)),
            categorical=categorical,
            bins=bins,
            min_effect=0.0,
        )
        for f in r.features:
            if f.effect_size is not None:
                samples.setdefault(f.column, []).append(float(f.effect_size))
    m = max(len(samples), 1)
    z = float(norm.isf(false_alarm_rate / m / 2))
    thresholds = {
        c: float(max(z * np.sqrt(np.mean(np.square(s))), np.max(s))) for c, s in samples.items()
    }
    return Calibration(thresholds, false_alarm_rate, chunks, int(n // chunks), samples)
