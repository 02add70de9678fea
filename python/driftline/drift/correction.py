"""Multiple-testing correction across the columns of one comparison.

A report tests every column (and the null rate of columns with missing values) at once.
Without a correction, 25 columns tested at ``alpha = 0.05`` flag at least one column in
about 72% of comparisons where nothing changed. The default, **Holm's step-down method**,
controls the family-wise error rate: the probability that *any* column is falsely
flagged stays at or under ``alpha``, whatever the dependence between columns, and it is
uniformly more powerful than Bonferroni. ``"bh"`` (Benjamini-Hochberg) controls the false
discovery rate instead (more power when many columns drift; the same guarantee as Holm
when nothing drifts), and ``"none"`` tests each column on its own.

Examples
--------
>>> from driftline.drift.correction import adjust
>>> [round(p, 3) for p in adjust([0.01, 0.04, 0.03], "holm")]
[0.03, 0.06, 0.06]
>>> [round(p, 3) for p in adjust([0.01, 0.04, 0.03], "bh")]
[0.03, 0.04, 0.04]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["CORRECTIONS", "adjust"]

CORRECTIONS = ("holm", "bh", "bonferroni", "none")
"""Accepted values of ``compare(..., correction=...)``."""


def adjust(pvalues: Sequence[float], method: str = "holm") -> list[float]:
    """Adjusted p-values: compare each with ``alpha``.

    Parameters
    ----------
    pvalues
        Raw p-values, one per hypothesis (all finite, in [0, 1]).
    method
        ``"holm"`` (default), ``"bh"``, ``"bonferroni"`` or ``"none"``. Matches
        ``statsmodels.stats.multitest.multipletests`` with ``holm``, ``fdr_bh`` and
        ``bonferroni``.

    Returns
    -------
    list of float
        Adjusted p-values in the input order, capped at 1.
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, not {method!r}")
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    if m == 0 or method == "none":
        return [float(x) for x in p]
    if method == "bonferroni":
        return [float(x) for x in np.minimum(p * m, 1.0)]
    order = np.argsort(p, kind="stable")
    ps = p[order]
    if method == "holm":
        adj = np.maximum.accumulate(ps * (m - np.arange(m)))
    else:  # bh
        adj = np.minimum.accumulate((ps * m / np.arange(1, m + 1))[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return [float(x) for x in out]
