"""Monitor a scikit-learn estimator inline: ``dl.sklearn.monitored(estimator, monitor)``.

The wrapper forwards everything to the estimator; ``predict`` and ``predict_proba`` also
observe their input features and outputs, and, when the caller knows them (a replay, a
shadow evaluation, outcomes joined upstream), the true outcomes passed as ``labels=``, so
that windows get performance metrics. A failure to observe is logged, never raised into
the serving path (unless ``raise_errors=True``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.exceptions import InvalidParameter

__all__ = ["MonitoredEstimator", "monitored"]

log = logging.getLogger("driftline.sklearn")


class MonitoredEstimator:
    """An estimator proxy whose predictions are observed by a monitor."""

    def __init__(self, estimator: Any, monitor: Any, *, raise_errors: bool = False) -> None:
        self._estimator = estimator
        self._monitor = monitor
        self._raise = raise_errors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._estimator, name)

    def __repr__(self) -> str:
        return f"monitored({self._estimator!r})"

    @property
    def estimator(self) -> Any:
        """The wrapped estimator."""
        return self._estimator

    def _features(self, X: Any) -> dict[str, Any]:
        if hasattr(X, "columns") and hasattr(X, "iloc"):  # pandas
            return {str(c): pa.array(X[c].to_numpy()) for c in X.columns}
        if hasattr(X, "columns") and hasattr(X, "to_arrow"):  # polars
            t = X.to_arrow()
            return {n: t.column(n) for n in t.column_names}
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        names = getattr(self._estimator, "feature_names_in_", None)
        if names is None:
            names = self._monitor.features
        if len(names) != arr.shape[1]:
            names = [f"x{i}" for i in range(arr.shape[1])]
        return {str(n): pa.array(arr[:, i]) for i, n in enumerate(names)}

    def _observe(self, X: Any, outputs: dict[str, Any], labels: Any = None) -> None:
        try:
            cols = self._features(X)
            for name, values in outputs.items():
                if name:
                    cols[name] = pa.array(np.asarray(values))
            if labels is not None:
                if not self._monitor.label:
                    raise InvalidParameter("labels= given but the monitor has no label column")
                y = np.asarray(labels)
                rows = len(next(iter(cols.values()))) if cols else 0
                if y.ndim != 1 or len(y) != rows:
                    raise InvalidParameter(
                        f"labels= ({self._monitor.label!r}) holds {y.shape} values for "
                        f"{rows} predicted rows: one label per row"
                    )
                cols[self._monitor.label] = pa.array(y)
            self._monitor.observe(pa.table(cols))
        except Exception:
            if self._raise:
                raise
            log.exception("driftline: could not observe a prediction batch")

    def predict(self, X: Any, *args: Any, labels: Any = None, **kwargs: Any) -> Any:
        """The estimator's ``predict``, observed.

        ``labels``: the true outcomes of these rows when known, observed as the monitor's
        ``label`` column (never passed to the estimator).
        """
        y = self._estimator.predict(X, *args, **kwargs)
        self._observe(X, {self._monitor.prediction or "prediction": y}, labels)
        return y

    def predict_proba(self, X: Any, *args: Any, labels: Any = None, **kwargs: Any) -> Any:
        """The estimator's ``predict_proba``, observed (the positive class's probability
        as the monitor's ``score`` column, and the arg-max class as its prediction), with
        ``labels`` as in :meth:`predict`."""
        proba = self._estimator.predict_proba(X, *args, **kwargs)
        p = np.asarray(proba)
        classes = getattr(self._estimator, "classes_", np.arange(p.shape[1]))
        outputs: dict[str, Any] = {self._monitor.prediction or "prediction": classes[p.argmax(1)]}
        if self._monitor.score and p.shape[1] == 2:
            outputs[self._monitor.score] = p[:, 1]
        self._observe(X, outputs, labels)
        return proba


def monitored(estimator: Any, monitor: Any, *, raise_errors: bool = False) -> MonitoredEstimator:
    """Wrap ``estimator`` so that its predictions are observed by ``monitor``.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa, driftline as dl
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(200, 2)); y = (X[:, 0] > 0).astype(int)
    >>> ref = pa.table({"x0": X[:, 0], "x1": X[:, 1], "prediction": y})
    >>> mon = dl.Monitor(ref, prediction="prediction", window=100, dispatch="manual")
    >>> model = dl.sklearn.monitored(LogisticRegression().fit(X, y), mon)
    >>> _ = model.predict(X[:100])
    >>> mon.history[-1].rows
    100
    """
    return MonitoredEstimator(estimator, monitor, raise_errors=raise_errors)
