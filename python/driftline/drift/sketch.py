"""P-values of KS between two quantile sketches (profile against profile).

The statistics themselves come from one native call per column
(``Profile.sketch_pair``: both step CDFs walked together, ``rust/core/src/stats/sketch_pair.rs``).

A KLL sketch is a weighted sample whose step CDF is within ``eps`` (the sketch's
normalised rank error, about 1.33% at ``k = 200``, 99% confidence per query) of the
data's CDF; a sketch that kept every value (small columns) is exact, ``eps = 0``.

* KS: ``D`` is the largest gap between the two sketch CDFs, within ``eps_ref + eps_cur``
  of the data's ``D``. The p-value is ``kstwo.sf(max(D - eps_ref - eps_cur, 0), n_eff)``
  with ``n_eff = round(n m / (n + m))``: computed at the smallest ``D`` the data can have,
  so the sketch error never produces a false alarm (the test is conservative). When both
  sketches kept every value (``eps = 0``), ``D`` is the data's and the p-value is
  ``scipy.stats.ks_2samp``'s (``method="auto"``: exact up to 10,000 values per side).
* Wasserstein-1: the integral of ``|F_ref - F_cur|`` over the sketch values; its error is
  at most ``(eps_ref + eps_cur) * (max - min)`` (loose for long tails, typically far
  smaller).

Examples
--------
>>> from driftline.drift.sketch import kolmogorov_sf
>>> round(kolmogorov_sf(1.36), 3)
0.049
"""

from __future__ import annotations

import math

from driftline import _native

__all__ = ["kolmogorov_sf", "ks_pvalue"]


def ks_pvalue(d: float, n: float, m: float, eps: float) -> float:
    """Conservative two-sided KS p-value of a sketch ``D`` with error bound ``eps``.

    With ``eps == 0`` (both sketches kept every value) the samples' own p-value, as
    ``scipy.stats.ks_2samp(method="auto")``: exact for small samples, where the finite-n
    distribution at ``round(n m / (n + m))`` is far off (one value against another
    gives ``D = 1`` with p-value 1, not 0). Otherwise, below 1,000 effective observations the finite-n distribution (``kstwo.sf``, native) is
    used; above, the limiting Kolmogorov distribution with Stephens' small-sample correction
    ``lambda = (sqrt(n) + 0.12 + 0.11 / sqrt(n)) * D``, which differs from the finite-n
    value by far less than the sketch's own rank error moves it, and costs microseconds
    where the finite-n computation costs up to a millisecond at large n.
    """
    if eps == 0:
        return float(_native.stats_ks_pvalue(min(max(d, 0.0), 1.0), round(n), round(m))[1])
    n_eff = max(round(n * m / (n + m)), 1)
    d0 = max(d - eps, 0.0)
    if n_eff < 1000:
        return float(_native.stats_kstwo_sf(d0, int(n_eff)))
    return kolmogorov_sf((math.sqrt(n_eff) + 0.12 + 0.11 / math.sqrt(n_eff)) * d0)


def kolmogorov_sf(lam: float) -> float:
    """``P(K > lam)`` of the limiting Kolmogorov distribution (scipy's ``kstwobign.sf``)."""
    if lam <= 0.0:
        return 1.0
    if lam < 0.2:
        return 1.0  # the alternating series is 1 to double precision here
    total = 0.0
    for k in range(1, 101):
        term = math.exp(-2.0 * k * k * lam * lam)
        total += term if k % 2 else -term
        if term < 1e-18:
            break
    return min(max(2.0 * total, 0.0), 1.0)
