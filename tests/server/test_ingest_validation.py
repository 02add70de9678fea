"""Malformed Arrow bodies: every one is a 422 naming the problem, and nothing of it reaches
the monitor (before, a corrupt offset crashed the server at window close, and other Arrow
errors or repeated column names were 500s)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
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
ROWS = 100


def _ipc(table: pa.Table, **options: Any) -> bytes:
    sink = pa.BufferOutputStream()
    write = pa.ipc.IpcWriteOptions(**options)
    with pa.ipc.new_stream(sink, table.schema, options=write) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _batch() -> pa.Table:
    return pa.table({"x": np.linspace(0.0, 1.0, ROWS), "cat": ["a"] * ROWS})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The standard world with monitor ``m`` (features ``x`` and ``cat``) on churn v2."""
    w = make_world(tmp_path)
    carol = w.registry.session(w.tokens["carol"])
    rng = np.random.default_rng(7)
    reference = pa.table({"x": rng.random(2000), "cat": rng.choice(["a", "b"], 2000)})
    carol.register_version(
        "churn",
        artifact_uri="s3://models/churn/2.onnx",
        checksum="sha256:" + "e" * 64,
        reference_profile=dl.profile(reference, categorical=["cat"]),
    )
    config = {"name": "m", "model": "churn", "version": 2, "features": ["x", "cat"]}
    made = w.client.post(
        f"{API}/monitors", json={**config, "window": 1000}, headers=w.auth("carol")
    )
    assert made.status_code == 201, made.text
    with w.client:
        yield w
    w.registry.close()


def _post(w: World, body: bytes) -> Any:
    headers = {**w.auth("carol"), "Content-Type": ARROW}
    return w.client.post(f"{API}/monitors/m/batches", content=body, headers=headers)


def _with_offsets(offsets: dict[int, int]) -> bytes:
    body = bytearray(_ipc(_batch()))
    valid = np.arange(ROWS + 1, dtype=np.int32)
    at = body.find(valid.tobytes())
    bad = valid.copy()
    for i, value in offsets.items():
        bad[i] = value
    body[at : at + len(valid.tobytes())] = bad.tobytes()
    return bytes(body)


def _not_utf8() -> bytes:
    body = bytearray(_ipc(_batch()))
    at = body.find(b"a" * ROWS)
    body[at : at + ROWS] = b"\xff" * ROWS
    return bytes(body)


def _huge_zstd() -> bytes:
    """A zstd-compressed body whose buffer declares 2**62 uncompressed bytes."""
    body = bytearray(_ipc(pa.table({"x": np.zeros(1000)}), compression="zstd"))
    at = body.find(struct.pack("<q", 8000))
    body[at : at + 8] = struct.pack("<q", 1 << 62)
    return bytes(body)


CORRUPT: dict[str, Callable[[], bytes]] = {
    "offset past the data": lambda: _with_offsets({ROWS: 600_000_000}),
    "offsets out of order": lambda: _with_offsets({50: 10_000_000}),
    "negative offset": lambda: _with_offsets({ROWS: -5}),
    "strings not UTF-8": _not_utf8,
    "zstd declaring 2**62 bytes": _huge_zstd,
}


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_a_corrupt_body_is_a_422_and_the_monitor_never_sees_it(world: World, kind: str) -> None:
    answer = _post(world, CORRUPT[kind]())
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "data_error"
    assert "not a valid Arrow IPC stream" in answer.json()["detail"]
    carol = world.auth("carol")
    assert world.client.get(f"{API}/monitors/m", headers=carol).json()["rows_observed"] == 0
    # The monitor goes on: a valid batch makes a window that closes without error.
    assert _post(world, _ipc(_batch())).status_code == 200
    closed = world.client.post(f"{API}/monitors/m/close", headers=carol)
    assert closed.status_code == 200, closed.text
    assert closed.json()["rows"] == ROWS and closed.json()["errors"] == []


@pytest.mark.parametrize(
    "error",
    [
        pa.ArrowNotImplementedError("Integers with more than 64 bits not implemented"),
        pa.ArrowKeyError("No record of dictionary type with id 0"),
        pa.ArrowMemoryError("malloc of size 6755399441056192 failed"),
        pa.ArrowIndexError("index out of bounds"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_arrow_error_of_the_reader_is_a_422(
    world: World, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def broken(source: Any) -> Any:
        raise error

    monkeypatch.setattr(pa.ipc, "open_stream", broken)
    answer = _post(world, b"whatever")
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "data_error"
    assert str(error)[:20] in answer.json()["detail"]


@pytest.mark.parametrize("names", [["x", "cat", "x"], ["x", "cat", "extra", "extra"]])
def test_repeated_column_names_are_a_422_naming_the_column(world: World, names: list[str]) -> None:
    b = _batch()
    columns = {"x": b["x"], "cat": b["cat"], "extra": pa.chunked_array([np.ones(ROWS)])}
    body = _ipc(pa.Table.from_arrays([columns[n] for n in names], names=names))
    answer = _post(world, body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "schema_error"
    repeated = names[-1]
    assert f"repeated: {repeated!r}" in answer.json()["detail"]
    assert (
        world.client.get(f"{API}/monitors/m", headers=world.auth("carol")).json()["rows_observed"]
        == 0
    )


@pytest.mark.parametrize(
    ("field", "value", "repeated"),
    [
        ("features", ["x", "cat", "x"], "x"),
        ("sensitive", ["cat", "cat"], "cat"),
    ],
)
def test_a_monitor_listing_a_column_twice_is_refused(
    world: World, field: str, value: list[str], repeated: str
) -> None:
    config: dict[str, Any] = {"name": "dup", "model": "churn", "version": 2, field: value}
    if field == "sensitive":
        config |= {"features": ["x"], "prediction": "x", "label": "x"}
    answer = world.client.post(f"{API}/monitors", json=config, headers=world.auth("carol"))
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"] and repr(repeated) in answer.json()["detail"]
    assert world.client.get(f"{API}/monitors/dup", headers=world.auth("carol")).status_code == 404
