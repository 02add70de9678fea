"""Scoring a candidate (and production) on the holdout, and the metrics the gates read."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.retraining import journal

__all__ = [
    "FAIRNESS_METRICS",
    "check_roles",
    "metrics",
    "missing_columns",
    "put_column",
    "read_table",
    "scored",
]

#: The fairness metrics an evaluation carries (with ``sensitive=`` columns).
FAIRNESS_METRICS = (
    "disparate_impact",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
)


def read_table(data: Any) -> pa.Table:
    """Arrow data (any producer) or a Parquet file given as a Path, as a pyarrow Table."""
    if isinstance(data, PathLike):
        import pyarrow.parquet as pq

        return pq.read_table(Path(data))
    if isinstance(data, str):
        raise TypeError("pass a pathlib.Path for a Parquet file (strings are not taken as paths)")
    from driftline._arrow import to_table

    return to_table(data)


def missing_columns(
    table: pa.Table, label: str, sensitive: Sequence[str], features: Sequence[str]
) -> list[str]:
    """The configured columns absent from ``table``, each named with its role
    (``"label 'y'"``), in the order label, sensitive columns, features."""
    have = set(table.column_names)
    out: list[str] = []
    for role, cols in (("label", [label]), ("sensitive column", sensitive), ("feature", features)):
        out += [f"{role} {c!r}" for c in dict.fromkeys(cols) if c not in have]
    return out


def check_roles(
    label: str,
    features: Sequence[str] | None,
    prediction: str,
    score: str,
    sensitive: Sequence[str],
) -> None:
    """Refuse column roles that would leak the answer or overwrite data, naming the column.

    A label among the features trains and scores the candidate on the answer (a perfect
    holdout score, every gate passed); a prediction or score column among the features
    (or a label, sensitive column, or one of the two named like the other) would be
    overwritten by the candidate's own outputs before it is read.

    Raises
    ------
    InvalidParameter
        Naming the column and its two roles.
    """
    from driftline.exceptions import InvalidParameter

    if prediction == score:
        raise InvalidParameter(f"prediction and score are both named {score!r}")
    outputs = {prediction: "prediction", score: "score"}
    if label in outputs:
        raise InvalidParameter(
            f"the label {label!r} is also the {outputs[label]} column the candidate writes"
        )
    for c in sensitive:
        if c in outputs:
            raise InvalidParameter(
                f"sensitive column {c!r} is also the {outputs[c]} column the candidate writes"
            )
    for c in features or ():
        if c == label:
            raise InvalidParameter(f"the label {label!r} is listed among the features")
        if c in outputs:
            raise InvalidParameter(
                f"feature {c!r} is also the {outputs[c]} column the candidate writes"
            )


def put_column(table: pa.Table, name: str, values: Any) -> pa.Table:
    """``table`` with column ``name`` set to ``values`` (replaced or appended)."""
    arr = pa.array(np.asarray(values))
    i = table.schema.get_field_index(name)
    return table.set_column(i, name, arr) if i >= 0 else table.append_column(name, arr)


def scored(
    model: Any,
    table: pa.Table,
    cols: list[str],
    prediction: str,
    score: str,
    task: str,
    positive: Any,
) -> pa.Table:
    """The holdout with the model's predictions (and positive-class scores, binary).

    ``prediction`` and ``score`` columns already in ``table`` (production's, logged with
    the data) are dropped first: a model without ``predict_proba`` (or whose classes lack
    ``positive``) must not be credited with scores it did not produce.
    """
    table = table.drop_columns([c for c in (prediction, score) if c in table.column_names])
    if hasattr(model, "feature_names_in_"):
        X: Any = table.select(cols).to_pandas()
    else:
        X = np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in cols])
    out = put_column(table, prediction, model.predict(X))
    if task == "binary" and hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
        classes = list(getattr(model, "classes_", range(proba.shape[1])))
        if proba.ndim == 2 and positive in classes:
            out = put_column(out, score, proba[:, classes.index(positive)])
    return out


def metrics(
    table: pa.Table,
    *,
    prediction: str,
    label: str,
    score: str,
    task: str,
    positive: Any,
    sensitive: list[str],
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Performance (and, with sensitive columns, fairness) metrics of a scored holdout, and
    the reasons of the undefined ones."""
    from driftline.fairness import fairness
    from driftline.performance import performance

    has_score = score in table.column_names
    perf = performance(
        table,
        prediction=prediction,
        label=label,
        score=score if has_score else None,
        task=task,  # type: ignore[arg-type]
        positive=positive,
    )
    raw = perf.to_dict()
    reasons = dict(raw.pop("undefined", {}) or {})
    values: dict[str, float | None] = {
        k: (None if v is None else float(v))
        for k, v in raw.items()
        if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
    }
    if sensitive:
        fair = fairness(
            table,
            prediction=prediction,
            label=label,
            sensitive=sensitive,
            positive=positive,
        )
        for m in FAIRNESS_METRICS:
            v = getattr(fair, m)
            values[m] = None if v is None else float(v)
            why = fair.reason(m)
            if why:
                reasons[m] = why
    return journal.plain(values), reasons
