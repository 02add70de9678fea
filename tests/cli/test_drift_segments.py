"""``driftline drift --segment-by``: per-segment drift from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from driftline.cli import commands  # noqa: F401
from driftline.cli.app import app

runner = CliRunner()


def _write(path: Path, seed: int, shift: bool) -> None:
    rng = np.random.default_rng(seed)
    keys = np.repeat([f"store-{i}" for i in range(20)], 200)
    x = rng.normal(size=keys.size)
    if shift:
        x[keys == "store-7"] += 2.0
    pq.write_table(pa.table({"store": keys, "x": x, "y": rng.normal(size=keys.size)}), path)


def test_drift_segment_by_prints_and_writes_the_segments(tmp_path: Path) -> None:
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    _write(ref, 1, False)
    _write(cur, 2, True)
    out = tmp_path / "r.json"
    result = runner.invoke(
        app, ["drift", str(ref), str(cur), "--segment-by", "store", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Worst store segments" in result.output
    report = json.loads(out.read_text())
    assert report["segment_by"] == "store"
    assert len(report["segments"]) == 20
    worst = max(report["segments"], key=lambda r: (r["share_drifted"], r["worst_effect_size"]))
    assert worst["segment"] == "store-7" and worst["drifted"]
    assert {f["column"] for f in report["features"]} == {"x", "y"}


def test_drift_segment_by_an_unknown_column_is_a_usage_error(tmp_path: Path) -> None:
    ref = tmp_path / "ref.parquet"
    _write(ref, 1, False)
    result = runner.invoke(app, ["drift", str(ref), str(ref), "--segment-by", "nope"])
    assert result.exit_code == 2


def test_a_file_that_is_neither_parquet_nor_a_profile_is_named(tmp_path: Path) -> None:
    ref, bad = tmp_path / "ref.parquet", tmp_path / "broken.parquet"
    _write(ref, 1, False)
    bad.write_bytes(b"not parquet")
    result = runner.invoke(app, ["drift", str(ref), str(bad)])
    assert result.exit_code == 2
    assert "broken.parquet: neither a Parquet file nor a saved driftline profile" in " ".join(
        result.output.split()
    )
