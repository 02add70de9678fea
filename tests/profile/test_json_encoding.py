"""Profiles as strict JSON (RFC 8259): every non-finite number is null, nested or not;
``to_arrow`` keeps the infinities."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl


def strict_loads(text: str) -> object:
    """json.loads refusing the non-standard Infinity / NaN tokens, as strict parsers do."""

    def refuse(token: str) -> float:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def walk(value: object) -> list[object]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in walk(v)]
    if isinstance(value, list):
        return [x for v in value for x in walk(v)]
    return [value]


X = np.array([1.0, 2.0, np.inf, np.inf, -np.inf, np.inf, np.nan])


def test_to_json_is_strict_with_nested_infinities() -> None:
    p = dl.profile(pa.table({"x": X, "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]}))
    d = strict_loads(p.to_json())
    x = d["columns"]["x"]  # type: ignore[index]
    assert x["max"] is None and x["min"] is None
    assert (x["pos_inf_count"], x["neg_inf_count"]) == (
        int(np.isposinf(X).sum()),
        int(np.isneginf(X).sum()),
    )
    # The upper quantiles of this column are +inf: null, as max is.
    assert x["quantiles"]["0.99"] is None
    assert all(not isinstance(v, float) or math.isfinite(v) for v in walk(d))
    assert p["x"].to_dict() == x
    assert d["columns"]["y"]["quantiles"]["0.5"] == pytest.approx(
        np.quantile(np.arange(1.0, 8.0), 0.5)
    )  # type: ignore[index]


def test_to_arrow_keeps_infinities() -> None:
    p = dl.profile(pa.table({"x": X, "z": [np.inf] * 7}))
    t = p.to_arrow().to_pylist()
    finite = X[np.isfinite(X)]
    x = t[0]
    assert (x["min"], x["max"]) == (np.nanmin(X), np.nanmax(X)) == (-np.inf, np.inf)
    assert x["mean"] == pytest.approx(finite.mean())
    z = t[1]
    assert (z["min"], z["max"], z["p50"]) == (np.inf, np.inf, np.inf)
    assert z["mean"] is None
