"""Monitors over HTTP: created on a registered reference profile, fed Arrow IPC and JSON
rows, windows closed, drift and triggers read back; every row counted once; /metrics and
the dashboard's monitor pages."""

from __future__ import annotations

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


def _table(rng: np.random.Generator, n: int, shift: float = 0.0) -> pa.Table:
    x = rng.normal(shift, 1.0, n)
    y = (rng.random(n) < 0.5).astype(np.int64)
    pred = np.where(rng.random(n) < (0.9 if shift == 0 else 0.5), y, 1 - y)
    cat = rng.choice(["a", "b", "c"] if shift == 0 else ["c", "d"], n)
    return pa.table({"x": x, "cat": cat, "pred": pred, "y": y})


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _with_reference(w: World, rng: np.random.Generator) -> None:
    carol = w.registry.session(w.tokens["carol"])
    reference = dl.profile(_table(rng, 5000), categorical=["cat"])
    carol.register_version(
        "churn",
        artifact_uri="s3://models/churn/2.onnx",
        checksum="sha256:" + "e" * 64,
        reference_profile=reference,
    )


CONFIG: dict[str, Any] = {
    "name": "churn-prod",
    "model": "churn",
    "version": 2,
    "features": ["x", "cat"],
    "prediction": "pred",
    "label": "y",
    "window": 1000,
    "policies": [
        {"type": "drift", "features": 1},
        {"type": "performance", "metric": "accuracy", "floor": 0.8},
    ],
}


@pytest.fixture
def monitored(tmp_path: Path, rng: np.random.Generator) -> World:
    w = make_world(tmp_path, max_ingest_bytes=4 << 20)
    _with_reference(w, rng)
    made = w.client.post(f"{API}/monitors", json=CONFIG, headers=w.auth("carol"))
    assert made.status_code == 201, made.text
    return w


def test_ingest_detect_and_read_back(monitored: World, rng: np.random.Generator) -> None:
    c, carol, victor = monitored.client, monitored.auth("carol"), monitored.auth("victor")
    body = _ipc(_table(rng, 1000))
    first = c.post(
        f"{API}/monitors/churn-prod/batches", content=body, headers={**carol, "Content-Type": ARROW}
    )
    assert first.status_code == 200, first.text
    assert first.json()["rows"] == 1000 and len(first.json()["windows_closed"]) == 1

    rows = _table(rng, 1000, shift=2.0).to_pylist()
    for part in (rows[:400], rows[400:]):
        answer = c.post(f"{API}/monitors/churn-prod/batches", json={"rows": part}, headers=carol)
        assert answer.status_code == 200, answer.text

    history = c.get(f"{API}/monitors/churn-prod/history", headers=victor).json()
    assert [w["rows"] for w in history] == [1000, 1000]
    assert history[0]["drift"]["drifted"] is False
    assert history[1]["drift"]["drifted"] is True
    fired = {t["policy"] for t in history[1]["triggers"]}
    assert "drift" in fired and "performance:accuracy" in fired

    window = history[1]["window"]
    report = c.get(f"{API}/monitors/churn-prod/windows/{window}", headers=victor).json()
    assert report["profile"]["row_count"] == 1000
    triggers = c.get(f"{API}/monitors/churn-prod/triggers", headers=victor).json()
    assert {t["window"] for t in triggers} == {window}
    outbox = c.get(f"{API}/monitors/churn-prod/outbox", headers=victor).json()
    assert outbox and {d["action"] for d in outbox} == {"log"}
    summary = c.get(f"{API}/monitors/churn-prod", headers=victor).json()
    assert summary["rows_observed"] == 2000 and summary["batches"] == 3

    metrics = c.get("/metrics", headers=victor).text
    assert 'driftline_rows_observed_total{monitor="churn-prod"} 2000.0' in metrics
    assert 'driftline_drift_detected{feature="x",monitor="churn-prod"} 1.0' in metrics


def test_close_window_and_partial_rows(monitored: World, rng: np.random.Generator) -> None:
    c, carol = monitored.client, monitored.auth("carol")
    body = _ipc(_table(rng, 300))
    c.post(
        f"{API}/monitors/churn-prod/batches", content=body, headers={**carol, "Content-Type": ARROW}
    )
    closed = c.post(f"{API}/monitors/churn-prod/close", headers=carol)
    assert closed.status_code == 200 and closed.json()["rows"] == 300
    assert c.post(f"{API}/monitors/churn-prod/close", headers=carol).status_code == 204


def test_monitor_permissions_and_bad_configs(monitored: World) -> None:
    c = monitored.client
    other = {**CONFIG, "name": "other"}
    assert (
        c.post(f"{API}/monitors", json=other, headers=monitored.auth("victor")).status_code == 403
    )
    assert (
        c.post(f"{API}/monitors", json=CONFIG, headers=monitored.auth("carol")).status_code == 409
    )
    for bad in (
        {**other, "name": "../../etc"},
        {**other, "name": "a/b"},
        {**other, "policies": [{"type": "performance", "metric": "__class__", "floor": 1}]},
        {**other, "policies": [{"type": "performance"}]},
        {**other, "policies": [{"type": "webhook", "url": "http://169.254.169.254/"}]},
        {**other, "actions": [{"type": "command", "argv": ["rm", "-rf", "/"]}]},
        {**other, "features": ["nope"]},
        {**other, "version": 1},
        {**other, "window": "forever"},
    ):
        answer = c.post(f"{API}/monitors", json=bad, headers=monitored.auth("carol"))
        assert answer.status_code in (404, 422), (bad, answer.text)
    assert [
        m["name"] for m in c.get(f"{API}/monitors", headers=monitored.auth("victor")).json()
    ] == ["churn-prod"]
    assert (
        c.delete(f"{API}/monitors/churn-prod", headers=monitored.auth("carol")).status_code == 403
    )
    assert c.delete(f"{API}/monitors/churn-prod", headers=monitored.auth("root")).status_code == 204


def test_hostile_batches(monitored: World, rng: np.random.Generator) -> None:
    c, carol = monitored.client, monitored.auth("carol")
    url = f"{API}/monitors/churn-prod/batches"
    for content, ctype in (
        (b"\x00" * 64, ARROW),
        (_ipc(_table(rng, 10))[:-20], ARROW),
        (b"garbage", "text/csv"),
        (b'{"rows": [{"x": 1.0, "cat": "a"}, {"x": "text", "cat": 3}]}', "application/json"),
        (b'{"rows": "no"}', "application/json"),
        (_ipc(pa.table({"other": [1, 2]})), ARROW),
    ):
        answer = c.post(url, content=content, headers={**carol, "Content-Type": ctype})
        assert answer.status_code == 422, (content[:40], answer.text)
        assert "Traceback" not in answer.text
    big = _ipc(_table(rng, 200_000))
    assert len(big) > 4 << 20
    answer = c.post(url, content=big, headers={**carol, "Content-Type": ARROW})
    assert answer.status_code == 413
    summary = c.get(f"{API}/monitors/churn-prod", headers=carol).json()
    assert summary["rows_observed"] == 0


def test_dashboard_monitor_pages(monitored: World, rng: np.random.Generator) -> None:
    c, carol = monitored.client, monitored.auth("carol")
    for shift in (0.0, 2.0):
        body = _ipc(_table(rng, 1000, shift))
        c.post(
            f"{API}/monitors/churn-prod/batches",
            content=body,
            headers={**carol, "Content-Type": ARROW},
        )
    assert c.post("/ui/login", data={"token": monitored.tokens["victor"]}).status_code == 200
    listing = c.get("/ui/monitors")
    assert listing.status_code == 200 and "churn-prod" in listing.text
    page = c.get("/ui/monitors/churn-prod")
    assert page.status_code == 200
    for chart_id in ("chart-drift", "chart-performance-accuracy", "chart-hist-0"):
        assert f'id="{chart_id}"' in page.text
    first = c.get("/api/v1/monitors/churn-prod/history", headers=carol).json()[0]["window"]
    assert c.get(f"/ui/monitors/churn-prod?window={first}").status_code == 200
    assert c.get("/ui/monitors/nope").status_code == 404


def test_state_dir_names_files_by_server_ids(tmp_path: Path, rng: np.random.Generator) -> None:
    state = tmp_path / "state"
    state.mkdir()
    w = make_world(tmp_path, state_dir=state)
    _with_reference(w, rng)
    assert w.client.post(f"{API}/monitors", json=CONFIG, headers=w.auth("carol")).status_code == 201
    files = [p.name for p in state.iterdir()]
    assert files and all(f.startswith("monitor-") and "churn" not in f for f in files)


def test_segmented_monitor_reports_segments(monitored: World, rng: np.random.Generator) -> None:
    c, carol = monitored.client, monitored.auth("carol")
    config = {**CONFIG, "name": "by-cat", "features": ["x"], "segment_by": "cat", "policies": []}
    made = c.post(f"{API}/monitors", json=config, headers=carol)
    assert made.status_code == 201, made.text
    assert made.json()["segment_by"] == "cat"
    data = _table(rng, 1000)
    answer = c.post(
        f"{API}/monitors/by-cat/batches",
        content=_ipc(data),
        headers={**carol, "Content-Type": ARROW},
    )
    assert answer.status_code == 200, answer.text
    [window] = c.get(f"{API}/monitors/by-cat/history", headers=carol).json()
    segments = window["segments"]
    assert segments["by"] == "cat" and segments["count"] == 3 and not segments["truncated"]
    want = dl.performance(data, prediction="pred", label="y", segment_by="cat").segments
    got = {d["cat"]: d["accuracy"] for d in segments["performance"]}
    assert got == dict(zip(want["cat"], want["accuracy"], strict=True))
    rows = {d["cat"]: d["rows"] for d in segments["data"]}
    assert rows == {k: data["cat"].to_pylist().count(k) for k in ("a", "b", "c")}
    report = c.get(f"{API}/monitors/by-cat/windows/{window['window']}", headers=carol).json()
    assert report["segments"] == segments and report["profile"]["segments"] == 3
    # A batch without the segment column is refused with a message, not a 500.
    bad = c.post(
        f"{API}/monitors/by-cat/batches",
        content=_ipc(data.drop_columns(["cat"])),
        headers={**carol, "Content-Type": ARROW},
    )
    assert bad.status_code == 422 and "segment column 'cat'" in bad.json()["detail"]
