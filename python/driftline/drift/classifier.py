"""Multivariate drift: can a classifier tell the reference from the current data?

A gradient-boosted classifier (scikit-learn's ``HistGradientBoostingClassifier``) is
trained to predict "current" against "reference" on a balanced subsample (at most
``max_rows`` rows per side); its out-of-fold ROC AUC (2-fold cross-validation) is the
drift score: 0.5 when the two are indistinguishable, 1.0 when fully separable. It sees
interactions that column-by-column tests miss (a correlation that flips while every
marginal stays put).

Calibrated threshold: under "no drift" the out-of-fold AUC is a Mann-Whitney statistic,
approximately normal with mean 0.5 and variance ``(n1 + n2 + 1) / (12 n1 n2)``; the
threshold is the ``1 - alpha`` quantile of that distribution, and at least ``min_auc``
(0.55 by default: practical significance, as for the univariate methods).

Categorical columns enter as their reference frequency (count encoding; unseen = 0),
missing values as NaN (the model handles them natively). Opt-in:
``compare(..., domain_classifier=True)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import norm

__all__ = ["DomainClassifierResult", "domain_classifier"]


@dataclass(frozen=True)
class DomainClassifierResult:
    """AUC of telling the current from the reference, with its calibrated threshold."""

    auc: float
    threshold: float
    p_value: float
    drifted: bool
    reference_rows: int
    current_rows: int
    columns: list[str]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _shares(col: pa.ChunkedArray, values: pa.Array, share: np.ndarray) -> np.ndarray:
    """Each row's entry of ``share`` by its value's position in ``values`` (the last
    entry for a value not there), NaN for a null."""
    at = pc.index_in(col, value_set=values, skip_nulls=True)
    idx = pc.fill_null(at, len(share) - 1).to_numpy(zero_copy_only=False)
    out = share[idx]
    out[pc.is_null(col).to_numpy(zero_copy_only=False)] = np.nan
    return out


def _features(ref: pa.Table, cur: pa.Table, columns: Sequence[str]) -> np.ndarray:
    out = []
    for c in columns:
        a, b = ref.column(c), cur.column(c)
        t = a.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
            # Integers beyond 2^53 round to the nearest double (a safe cast refuses them).
            fa = pc.cast(a, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
            fb = pc.cast(b, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        else:
            # Frequency encoding by the reference's category shares, vectorised: a
            # category the reference lacks is 0, a null NaN.
            sa, sb = pc.cast(a, pa.string()), pc.cast(b, pa.string())
            vc = pc.value_counts(sa)
            values = vc.field("values")
            share = np.append(vc.field("counts").to_numpy() / max(len(a), 1), 0.0)
            fa, fb = (_shares(s, values, share) for s in (sa, sb))
        fa = np.where(np.isfinite(fa), fa, np.nan)
        fb = np.where(np.isfinite(fb), fb, np.nan)
        out.append(np.concatenate([fa, fb]))
    return np.column_stack(out)


def domain_classifier(
    reference: pa.Table,
    current: pa.Table,
    *,
    columns: Sequence[str],
    max_rows: int = 20_000,
    alpha: float = 0.05,
    min_auc: float = 0.55,
    seed: int = 0,
) -> DomainClassifierResult:
    """Out-of-fold ROC AUC of a classifier telling ``current`` from ``reference``.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000); y = rng.normal(size=2000)
    >>> ref = pa.table({"x": x, "y": x + 0.1 * y})
    >>> cur = pa.table({"x": x, "y": -x + 0.1 * y})     # the correlation flips
    >>> domain_classifier(ref, cur, columns=["x", "y"]).drifted
    True
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rng = np.random.default_rng(seed)
    if reference.num_rows > max_rows:
        reference = reference.take(np.sort(rng.choice(reference.num_rows, max_rows, False)))
    if current.num_rows > max_rows:
        current = current.take(np.sort(rng.choice(current.num_rows, max_rows, False)))
    cols = [c for c in columns if c in current.column_names]
    X = _features(reference, current, cols)
    y = np.concatenate([np.zeros(reference.num_rows), np.ones(current.num_rows)])
    n1, n2 = reference.num_rows, current.num_rows
    model = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    cv = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, X, y, cv=cv, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(y, proba))
    sd = math.sqrt((n1 + n2 + 1) / (12 * n1 * n2))
    threshold = max(min_auc, 0.5 + float(norm.isf(alpha)) * sd)
    p = float(norm.sf((auc - 0.5) / sd))
    return DomainClassifierResult(auc, threshold, p, auc > threshold, n1, n2, cols)
