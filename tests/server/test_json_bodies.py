"""JSON edges of the monitor routes: a closed window holding inf answers strict JSON, and
integers JSON allows but Arrow cannot hold are a data error naming where they are."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from server_helpers import World, make_world

pytest.importorskip("driftline._native", reason="the native module is not built")

import driftline as dl

API = "/api/v1"
ARROW = "application/vnd.apache.arrow.stream"


def strict_loads(text: str) -> Any:
    """RFC 8259 parsing: ``Infinity`` and ``NaN`` are refused, as JSON.parse does."""

    def refuse(token: str) -> Any:
        raise ValueError(f"not RFC 8259 JSON: {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def served(tmp_path: Path, rng: np.random.Generator) -> tuple[World, np.ndarray]:
    w = make_world(tmp_path)
    reference = rng.normal(0, 1, 2000)
    w.registry.session(w.tokens["carol"]).register_version(
        "churn",
        artifact_uri="s3://models/churn/2.onnx",
        checksum="sha256:" + "e" * 64,
        reference_profile=dl.profile(pa.table({"x": reference})),
    )
    config = {
        "name": "m",
        "model": "churn",
        "version": 2,
        "window": 1000,
        "policies": [{"type": "data_quality"}],
    }
    made = w.client.post(f"{API}/monitors", json=config, headers=w.auth("carol"))
    assert made.status_code == 201, made.text
    return w, reference


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def test_close_window_with_inf_answers_strict_json(served: tuple[World, np.ndarray]) -> None:
    w, reference = served
    carol = w.auth("carol")
    with w.client:
        sent = w.client.post(
            f"{API}/monitors/m/batches",
            content=_ipc(pa.table({"x": [math.inf] * 40})),
            headers={**carol, "Content-Type": ARROW},
        )
        assert sent.status_code == 200, sent.text
        closed = w.client.post(f"{API}/monitors/m/close", headers=carol)
        assert closed.status_code == 200, closed.text
        body = strict_loads(closed.text)
        assert body["rows"] == 40
        (finding,) = [f for f in body["quality"] if f["check"] == "out_of_range"]
        assert finding["min"] is None and finding["max"] is None
        assert finding["reference_max"] == pytest.approx(reference.max())
        assert finding["share"] == 1.0
        # The window was closed once: nothing left to close, one window in history.
        assert w.client.post(f"{API}/monitors/m/close", headers=carol).status_code == 204
        history = w.client.get(f"{API}/monitors/m/history", headers=carol)
        assert [h["rows"] for h in strict_loads(history.text)] == [40]


@pytest.mark.parametrize(
    "rows",
    [
        [{"x": 1180591620717411303424}],
        [{"x": 2**63}],
        [{"x": -(2**63) - 1}],
        [{"x": 1.5}, {"x": 0.5}, {"x": 2**70}],
    ],
)
def test_json_integer_outside_int64_is_a_data_error(
    served: tuple[World, np.ndarray], rows: list[dict[str, Any]]
) -> None:
    w, _ = served
    with w.client:
        r = w.client.post(f"{API}/monitors/m/batches", json={"rows": rows}, headers=w.auth("carol"))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "data_error"
    detail = r.json()["detail"]
    assert f"rows[{len(rows) - 1}], column 'x'" in detail and "64-bit" in detail


def test_json_integer_at_int64_bounds_is_accepted(served: tuple[World, np.ndarray]) -> None:
    w, _ = served
    rows = [{"x": 2**63 - 1}, {"x": -(2**63)}]
    with w.client:
        r = w.client.post(f"{API}/monitors/m/batches", json={"rows": rows}, headers=w.auth("carol"))
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 2
