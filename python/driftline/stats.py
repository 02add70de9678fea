"""Drift statistics on raw samples and on count vectors, computed by the Rust core.

Every function takes the data first and returns a small frozen result with
``.statistic`` (and ``.pvalue`` where the test has one) and ``to_dict()``.

Input policy, the same for every function:

- samples (``ks_2samp``, ``wasserstein``, ``psi``) accept numpy arrays, lists, pyarrow
  ``Array`` / ``ChunkedArray`` (sliced ones included) or anything exposing
  ``__arrow_c_array__``; numeric types of any width are read as float64;
- nulls (``None`` in a list, tuple or object array included) are dropped from samples;
  in count vectors (``chi2``, ``jensen_shannon``, ...) a null is an error, since bins are
  positional; count vectors whose sum overflows float64 are scaled by their largest
  count first (the distances depend on proportions only);
- NaN raises :class:`~driftline.exceptions.DataError` naming the argument;
- an empty input raises :class:`~driftline.exceptions.DataError` (scipy would return nan).

The samples of ``ks_2samp``, ``wasserstein`` and ``psi`` are materialised and sorted in
the core (memory proportional to the data); the profile-based ``dl.compare`` works from
bounded-size sketches instead.

Examples
--------
>>> import driftline as dl
>>> r = dl.stats.ks_2samp([1.0, 2.0, 3.0], [4.0, 5.0])
>>> r.statistic, round(r.pvalue, 6), r.method
(1.0, 0.2, 'exact')
>>> dl.stats.jensen_shannon([1, 0], [1, 1], base=2).statistic > 0
True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.exceptions import InvalidParameter


class _LazyNative:
    # The native module is imported on first use, so that `import driftline` (and the
    # registry, which never needs it) works where the extension is not built.
    def __getattr__(self, name: str) -> Any:
        from driftline import _native

        return getattr(_native, name)


_native = _LazyNative()

__all__ = [
    "MAX_BINS",
    "Chi2ContingencyResult",
    "ChiSquareResult",
    "DistanceResult",
    "KsResult",
    "PsiResult",
    "chi2",
    "chi2_contingency",
    "hellinger",
    "jensen_shannon",
    "kl",
    "ks_2samp",
    "psi",
    "psi_counts",
    "total_variation",
    "wasserstein",
]

PSI_EPSILON = 1e-4
"""Proportion that replaces an empty bin's zero proportion in PSI."""

MAX_BINS = 100_000
"""Most quantile bins :func:`psi` (and ``dl.compare``) take: far beyond any useful binning,
far below what would exhaust memory."""


class _Result:
    def to_dict(self) -> dict[str, Any]:
        """The result as a plain ``dict`` (JSON-serialisable)."""
        return asdict(self)  # type: ignore[call-overload, no-any-return]


@dataclass(frozen=True, slots=True)
class KsResult(_Result):
    """Two-sample Kolmogorov-Smirnov test.

    ``statistic`` is ``D = max |F_a - F_b|`` (in exact mode rounded to the lattice
    ``h / lcm(n, m)``, as scipy), ``pvalue`` the two-sided p-value by ``method``
    (``"exact"`` or ``"asymp"``), ``statistic_location`` the value where ``D`` is
    reached and ``statistic_sign`` +1 when ``F_a - F_b = D`` there, -1 otherwise.
    """

    statistic: float
    pvalue: float
    statistic_location: float
    statistic_sign: int
    method: str
    n_a: int
    n_b: int

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain ``dict``."""
        return {
            "statistic": self.statistic,
            "pvalue": self.pvalue,
            "statistic_location": self.statistic_location,
            "statistic_sign": self.statistic_sign,
            "method": self.method,
            "n_a": self.n_a,
            "n_b": self.n_b,
        }


@dataclass(frozen=True, slots=True)
class DistanceResult(_Result):
    """A distance or divergence without a p-value (``statistic`` only)."""

    statistic: float

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain ``dict``."""
        return {"statistic": self.statistic}


@dataclass(frozen=True, slots=True)
class PsiResult(_Result):
    """Population stability index with the binning it used.

    ``edges`` are the interior bin edges (the outer ones are -inf and +inf; bins are
    closed on the left), ``reference_counts`` and ``current_counts`` the counts per bin
    (empty tuples for :func:`psi_counts`).
    """

    statistic: float
    edges: tuple[float, ...] = ()
    reference_counts: tuple[float, ...] = ()
    current_counts: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain ``dict``."""
        return {
            "statistic": self.statistic,
            "edges": list(self.edges),
            "reference_counts": list(self.reference_counts),
            "current_counts": list(self.current_counts),
        }


@dataclass(frozen=True, slots=True)
class ChiSquareResult(_Result):
    """Pearson's chi-square goodness-of-fit test."""

    statistic: float
    pvalue: float
    dof: int

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain ``dict``."""
        return {"statistic": self.statistic, "pvalue": self.pvalue, "dof": self.dof}


@dataclass(frozen=True, slots=True)
class Chi2ContingencyResult(_Result):
    """Chi-square test of independence; ``expected`` row by row."""

    statistic: float
    pvalue: float
    dof: int
    expected: tuple[tuple[float, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain ``dict``."""
        return {
            "statistic": self.statistic,
            "pvalue": self.pvalue,
            "dof": self.dof,
            "expected": [list(r) for r in self.expected],
        }


def _to_arrow(x: Any, name: str) -> Any:
    """An Arrow array for the native layer: zero-copy for float64 numpy and for Arrow."""
    if isinstance(x, pa.ChunkedArray):
        return x.combine_chunks()
    if isinstance(x, pa.Array):
        return x
    if hasattr(x, "__arrow_c_array__") and not isinstance(x, np.ndarray):
        return x
    if hasattr(x, "__arrow_c_stream__") and not isinstance(x, np.ndarray):
        return pa.chunked_array(x).combine_chunks()
    mask = _none_mask(x)
    if mask is not None:
        # numpy reads None as NaN (an error here); a null is dropped from a sample (and
        # refused in a count vector) by the core, so None goes in as a null.
        x = [0.0 if m else v for v, m in zip(x, mask, strict=True)]
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: cannot read as numbers ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a one-dimensional array, got shape {arr.shape}")
    return pa.array(arr, mask=mask)


def _none_mask(x: Any) -> np.ndarray | None:
    """Where a list, tuple or object array holds None (None when it holds none)."""
    if isinstance(x, np.ndarray):
        if x.dtype != object or x.ndim != 1:
            return None
    elif not isinstance(x, list | tuple):
        return None
    mask = np.fromiter((v is None for v in x), dtype=bool, count=len(x))
    return mask if mask.any() else None


def _proportions(x: Any, name: str) -> Any:
    """A count vector for the native distances, scaled by its largest count when its sum
    overflows float64: the distances depend on proportions only, and counts near 1e308
    would otherwise sum to inf."""
    arr = _to_arrow(x, name)
    if not isinstance(arr, pa.Array):
        arr = pa.array(arr)
    if arr.null_count or not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)):
        return arr  # the core names the problem
    v = arr.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    if v.size == 0 or not np.isfinite(v).all() or (v < 0).any():
        return arr
    with np.errstate(over="ignore"):
        total = v.sum()
    if np.isfinite(total):
        return arr
    return pa.array(v / v.max())


def ks_2samp(a: Any, b: Any, *, method: str = "auto") -> KsResult:
    """Two-sample two-sided Kolmogorov-Smirnov test.

    Parameters
    ----------
    a, b
        The two samples (nulls dropped; NaN is an error; ±inf is an ordinary value).
    method
        ``"auto"`` (exact when the larger sample has at most 10,000 values, otherwise
        ``kstwo.sf(D, round(n m / (n + m)))``), ``"exact"`` or ``"asymp"``, as scipy.

    Returns
    -------
    KsResult
        Matches ``scipy.stats.ks_2samp(a, b, method=method)``.

    Examples
    --------
    >>> import driftline as dl
    >>> dl.stats.ks_2samp([0.0, 1.0, 2.0], [0.5, 1.5, 2.5]).statistic
    0.3333333333333333
    """
    if method not in ("auto", "exact", "asymp"):
        raise ValueError(f"method must be 'auto', 'exact' or 'asymp', not {method!r}")
    stat, p, loc, sign, used, n_a, n_b = _native.stats_ks_2samp(
        _to_arrow(a, "a"), _to_arrow(b, "b"), method
    )
    return KsResult(stat, p, loc, int(sign), used, n_a, n_b)


def wasserstein(
    u_values: Any,
    v_values: Any,
    u_weights: Any = None,
    v_weights: Any = None,
) -> DistanceResult:
    """First Wasserstein (earth mover's) distance between two 1-D distributions.

    Same arguments and meaning as ``scipy.stats.wasserstein_distance``. Nulls in the
    values are dropped (with their weights); NaN or infinite values raise
    :class:`~driftline.exceptions.DataError` (the distance would be infinite or
    undefined). Weights must be finite, non-negative and sum to a positive value.

    Examples
    --------
    >>> import driftline as dl
    >>> dl.stats.wasserstein([0, 1, 3], [5, 6, 8]).statistic
    5.0
    >>> dl.stats.wasserstein([0, 1], [0, 1], [3, 1], [2, 2]).statistic
    0.25
    """
    uw = None if u_weights is None else _to_arrow(u_weights, "u_weights")
    vw = None if v_weights is None else _to_arrow(v_weights, "v_weights")
    d = _native.stats_wasserstein(
        _to_arrow(u_values, "u_values"), _to_arrow(v_values, "v_values"), uw, vw
    )
    return DistanceResult(d)


def psi(reference: Any, current: Any, *, bins: int = 10, epsilon: float = PSI_EPSILON) -> PsiResult:
    """Population stability index on ``bins`` quantile bins of the reference.

    The interior edges are ``numpy.quantile(reference, i / bins)`` for
    ``i = 1 .. bins - 1`` (linear interpolation), duplicates removed; the outer bins are
    unbounded, so current values beyond the reference range count in the end bins. Bins
    are closed on the left. Empty-bin rule: a zero proportion is replaced by ``epsilon``
    (1e-4) without renormalising, so PSI is finite and ``>= 0``. ``bins`` is at most
    ``MAX_BINS`` (100,000; more raises :class:`~driftline.exceptions.InvalidParameter`).

    Examples
    --------
    >>> import numpy as np, driftline as dl
    >>> x = np.arange(1000.0)
    >>> dl.stats.psi(x, x).statistic
    0.0
    >>> dl.stats.psi(x, x + 500).statistic > 0.25
    True
    """
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise ValueError(f"bins must be a positive integer, not {bins!r}")
    if bins > MAX_BINS:
        # The core allocates the edges and counts up front: a typo such as 10**9 would
        # exhaust memory before a single value is read.
        raise InvalidParameter(f"bins must be at most {MAX_BINS:,}, not {bins!r}")
    stat, edges, rc, cc = _native.stats_psi(
        _to_arrow(reference, "reference"), _to_arrow(current, "current"), int(bins), epsilon
    )
    return PsiResult(stat, tuple(edges), tuple(rc), tuple(cc))


def psi_counts(reference: Any, current: Any, *, epsilon: float = PSI_EPSILON) -> PsiResult:
    """Population stability index of two count vectors over the same bins.

    Examples
    --------
    >>> import driftline as dl
    >>> round(dl.stats.psi_counts([50, 50], [40, 60]).statistic, 6)
    0.040547
    """
    stat = _native.stats_psi_counts(
        _to_arrow(reference, "reference"), _to_arrow(current, "current"), epsilon
    )
    return PsiResult(stat)


def chi2(observed: Any, expected: Any = None, *, ddof: int = 0) -> ChiSquareResult:
    """Pearson's chi-square goodness-of-fit test, as ``scipy.stats.chisquare``.

    Without ``expected`` the categories are equally likely. With it, the totals must
    agree to a relative tolerance of about 1.5e-8 (scipy's ``sum_check``): expected
    *frequencies*, not proportions.

    Examples
    --------
    >>> import driftline as dl
    >>> r = dl.stats.chi2([16, 18, 16, 14, 12, 12])
    >>> r.statistic, round(r.pvalue, 6), r.dof
    (2.0, 0.849145, 5)
    """
    exp = None if expected is None else _to_arrow(expected, "expected")
    stat, p, dof = _native.stats_chisquare(_to_arrow(observed, "observed"), exp, int(ddof))
    return ChiSquareResult(stat, p, int(dof))


def chi2_contingency(table: Any, *, correction: bool = True) -> Chi2ContingencyResult:
    """Chi-square test of independence on a contingency table.

    For drift, pass a 2 x k table: reference counts and current counts per category.
    As ``scipy.stats.chi2_contingency`` (Yates' correction only when ``dof == 1`` and
    ``correction``). A category with zero counts in both rows is an error: drop it.

    Examples
    --------
    >>> import driftline as dl
    >>> r = dl.stats.chi2_contingency([[10, 20, 30], [20, 20, 20]])
    >>> r.dof, round(r.statistic, 6)
    (2, 5.333333)
    """
    arr = np.asarray(table, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"table must be two-dimensional, got shape {arr.shape}")
    rows, cols = arr.shape
    stat, p, dof, expected = _native.stats_chi2_contingency(
        pa.array(np.ascontiguousarray(arr).ravel()), rows, cols, bool(correction)
    )
    exp = tuple(tuple(expected[i * cols : (i + 1) * cols]) for i in range(rows))
    return Chi2ContingencyResult(stat, p, int(dof), exp)


def _check_base(base: float | None) -> float | None:
    if base is None:
        return None
    b = float(base)
    if not (b > 0 and b != 1 and math.isfinite(b)):
        raise ValueError(f"base must be a finite number > 0 and != 1, not {base!r}")
    return b


def jensen_shannon(p: Any, q: Any, *, base: float | None = None) -> DistanceResult:
    """Jensen-Shannon distance, as ``scipy.spatial.distance.jensenshannon``.

    The square root of the JS divergence, natural logarithm unless ``base`` is given;
    ``p`` and ``q`` are counts or probabilities over the same bins (normalised here).

    Examples
    --------
    >>> import driftline as dl
    >>> dl.stats.jensen_shannon([1, 0, 0], [0, 1, 0], base=2).statistic
    1.0
    """
    d = _native.stats_jensen_shannon(_proportions(p, "p"), _proportions(q, "q"), _check_base(base))
    return DistanceResult(d)


def kl(p: Any, q: Any, *, base: float | None = None) -> DistanceResult:
    """Kullback-Leibler divergence ``KL(p || q)``, as ``scipy.stats.entropy(p, q)``.

    ``inf`` when ``q`` has an empty bin where ``p`` has mass.

    Examples
    --------
    >>> import driftline as dl
    >>> round(dl.stats.kl([1, 1], [1, 3]).statistic, 6)
    0.143841
    """
    d = _native.stats_kl_divergence(_proportions(p, "p"), _proportions(q, "q"), _check_base(base))
    return DistanceResult(d)


def hellinger(p: Any, q: Any) -> DistanceResult:
    """Hellinger distance ``sqrt(sum (sqrt p - sqrt q)^2 / 2)``, in [0, 1].

    Examples
    --------
    >>> import driftline as dl
    >>> dl.stats.hellinger([1, 0], [0, 1]).statistic
    1.0
    """
    return DistanceResult(_native.stats_hellinger(_proportions(p, "p"), _proportions(q, "q")))


def total_variation(p: Any, q: Any) -> DistanceResult:
    """Total variation distance ``sum |p - q| / 2``, in [0, 1].

    Examples
    --------
    >>> import driftline as dl
    >>> dl.stats.total_variation([3, 1], [1, 3]).statistic
    0.5
    """
    return DistanceResult(_native.stats_total_variation(_proportions(p, "p"), _proportions(q, "q")))
