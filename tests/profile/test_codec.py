"""Serialisation: round trips, sizes, and bytes that must be refused."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl


@pytest.fixture
def prof(rng: np.random.Generator) -> dl.Profile:
    return dl.profile(
        pa.table(
            {"x": rng.normal(size=200_000), "c": pa.array(rng.integers(0, 30, 200_000).astype(str))}
        ),
        bins=10,
    )


def test_round_trip(prof: dl.Profile) -> None:
    back = dl.Profile.from_bytes(prof.to_bytes())
    assert back == prof
    assert back["x"].quantile(0.5) == prof["x"].quantile(0.5)
    assert back.fingerprint == prof.fingerprint
    assert json.loads(prof.to_json())["columns"]["x"]["count"] == 200_000


def test_numeric_column_profile_is_small(rng: np.random.Generator) -> None:
    p = dl.profile(pa.table({"x": rng.normal(size=1_000_000)}), bins=10)
    assert len(p.to_bytes()) < 16 * 1024


def test_truncated_corrupted_and_foreign_bytes_raise(prof: dl.Profile) -> None:
    b = prof.to_bytes()
    for bad, msg in [
        (b[: len(b) // 2], "checksum|truncated"),
        (b[:5], "too short"),
        (b"PAR1" + b[4:], "bad magic"),
        (b[:6] + b"\x63\x00" + b[8:], "format version 99"),
        (b[:100] + bytes([b[100] ^ 0xFF]) + b[101:], "checksum"),
        (b"", "too short"),
    ]:
        with pytest.raises(dl.exceptions.DecodeError, match=msg):
            dl.Profile.from_bytes(bad)
    with pytest.raises(TypeError):
        dl.Profile.from_bytes("not bytes")  # type: ignore[arg-type]


def test_summary_tables(prof: dl.Profile) -> None:
    t = prof.to_arrow()
    assert t.column("column").to_pylist() == ["x", "c"]
    assert t.column("count").to_pylist() == [200_000, 200_000]
    df = prof.to_polars()
    assert df.shape[0] == 2
