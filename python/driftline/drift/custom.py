"""User-defined drift statistics: ``dl.stats.register(name, fn)``.

``fn(reference_counts, current_counts) -> float`` receives two float64 arrays of the same
length: counts per bin (the reference's quantile bins for numeric columns, the union of
categories for the others). It is compiled with numba's ``njit`` for exactly that
signature at registration, so a function numba cannot compile is refused there, with
numba's reason, instead of failing inside a monitor at 3 a.m. Registered statistics are
distances: a column is flagged when ``fn(...) >= threshold`` (or ``<=`` with
``higher_is_drift=False``).

Examples
--------
>>> import numpy as np, driftline as dl
>>> def max_shift(r, c):
...     return np.max(np.abs(r / r.sum() - c / c.sum()))
>>> _ = dl.stats.register("max_shift", max_shift, threshold=0.05)
>>> dl.compare({"x": np.arange(100.0)}, {"x": np.arange(100.0) + 50},
...            methods="max_shift").features[0].drifted
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline.exceptions import InvalidParameter

__all__ = ["CustomStatistic", "get", "register", "registered", "unregister"]


@dataclass(frozen=True)
class CustomStatistic:
    """A registered statistic: the compiled function and its decision rule."""

    name: str
    fn: Callable[[np.ndarray, np.ndarray], float]
    threshold: float | None
    higher_is_drift: bool

    def __call__(self, reference: np.ndarray, current: np.ndarray) -> float:
        """Runs the compiled function on two count vectors."""
        return float(
            self.fn(
                np.ascontiguousarray(reference, dtype=np.float64),
                np.ascontiguousarray(current, dtype=np.float64),
            )
        )


_REGISTRY: dict[str, CustomStatistic] = {}


def register(
    name: str,
    fn: Callable[..., Any],
    *,
    threshold: float | None = None,
    higher_is_drift: bool = True,
) -> CustomStatistic:
    """Registers ``fn`` as drift method ``name``, compiled with ``numba.njit``.

    Parameters
    ----------
    name
        Method name for ``compare(..., methods=...)`` and monitor policies. Built-in
        names cannot be replaced.
    fn
        ``fn(reference_counts, current_counts) -> float`` over float64 arrays.
    threshold
        Default threshold (a column may override it with ``thresholds=``). Without one,
        every use must pass a threshold.
    higher_is_drift
        Whether large values mean drift (default) or small ones (a similarity).

    Returns
    -------
    CustomStatistic

    Raises
    ------
    InvalidParameter
        When the name is taken by a built-in method, or numba cannot compile ``fn`` (the
        message carries numba's reason), or ``fn`` does not return a number.
    """
    from driftline.drift.methods import METHODS

    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidParameter(f"statistic name must be an identifier, not {name!r}")
    if name in METHODS:
        raise InvalidParameter(f"{name!r} is a built-in drift method and cannot be replaced")
    if not callable(fn):
        raise TypeError(f"fn must be callable, not {type(fn).__name__}")
    if threshold is not None and not math.isfinite(float(threshold)):
        raise InvalidParameter(f"threshold must be finite, not {threshold!r}")
    import numba
    from numba.core.errors import NumbaError

    try:
        compiled = numba.njit("float64(float64[::1], float64[::1])", cache=False)(fn)
    except NumbaError as exc:
        reason = str(exc).strip().splitlines()
        raise InvalidParameter(
            f"numba cannot compile statistic {name!r}: " + " ".join(r.strip() for r in reason)
        ) from exc
    except Exception as exc:  # numba raises plain TypeErrors for bad signatures too
        raise InvalidParameter(f"numba cannot compile statistic {name!r}: {exc}") from exc
    stat = CustomStatistic(
        name, compiled, None if threshold is None else float(threshold), bool(higher_is_drift)
    )
    probe = stat(np.array([1.0, 2.0]), np.array([2.0, 1.0]))
    if not isinstance(probe, float):
        raise InvalidParameter(f"statistic {name!r} must return a float")
    _REGISTRY[name] = stat
    return stat


def unregister(name: str) -> None:
    """Removes a registered statistic (no error when absent)."""
    _REGISTRY.pop(name, None)


def registered() -> dict[str, CustomStatistic]:
    """The registered statistics by name."""
    return dict(_REGISTRY)


def get(name: str) -> CustomStatistic | None:
    """A registered statistic, or None."""
    return _REGISTRY.get(name)
