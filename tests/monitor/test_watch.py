"""``driftline watch`` on a folder where files land between runs; ``triggers replay``."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from driftline.cli.app import _register_commands, app

_register_commands()


def write(path: Path, rng: np.random.Generator, n: int, shift: float = 0.0) -> None:
    pq.write_table(
        pa.table({"price": rng.normal(10 + shift, 1, n), "store": rng.choice(["a", "b"], n)}),
        path,
    )


def setup(tmp_path: Path, rng: np.random.Generator, fail: bool = False) -> Path:
    write(tmp_path / "reference.parquet", rng, 5000)
    (tmp_path / "incoming").mkdir()
    log = tmp_path / "fired.jsonl"
    code = (
        "import sys; sys.exit(3)"
        if fail
        else f"import sys; open({str(log)!r}, 'a').write(sys.stdin.read() + '\\n')"
    )
    cfg = tmp_path / "sales.toml"
    cfg.write_text(
        f"""
[monitor]
name = "sales"
reference = "reference.parquet"
window = "file"

[watch]
folder = "incoming"
settle = 0

[[policies]]
type = "drift"
features = 1

[[actions]]
type = "command"
name = "notify"
argv = {json.dumps([sys.executable, "-c", code])}
"""
    )
    return cfg


def processed(tmp_path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(tmp_path / "sales.state.db") as c:
        return c.execute("SELECT name, rows FROM watch_files ORDER BY name").fetchall()


def test_each_file_processed_once(tmp_path: Path, rng: np.random.Generator) -> None:
    cfg = setup(tmp_path, rng)
    runner = CliRunner()
    write(tmp_path / "incoming" / "day1.parquet", rng, 2000)
    write(tmp_path / "incoming" / "day2.parquet", rng, 2000, shift=2.0)
    r = runner.invoke(app, ["watch", str(cfg), "--once", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert processed(tmp_path) == [("day1.parquet", 2000), ("day2.parquet", 2000)]
    fired = [json.loads(x) for x in (tmp_path / "fired.jsonl").read_text().splitlines() if x]
    assert [f["window"] for f in fired] == ["day2.parquet"]
    # a second run: nothing new; then a new file lands
    r = runner.invoke(app, ["watch", str(cfg), "--once", "--no-progress"])
    assert r.exit_code == 0, r.output
    write(tmp_path / "incoming" / "day3.parquet", rng, 1000, shift=-3.0)
    r = runner.invoke(app, ["watch", str(cfg), "--once", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert [n for n, _ in processed(tmp_path)] == ["day1.parquet", "day2.parquet", "day3.parquet"]
    fired = [json.loads(x) for x in (tmp_path / "fired.jsonl").read_text().splitlines() if x]
    # day3 drifts too, but the alert from day2 is still active: no second trigger
    assert [f["window"] for f in fired] == ["day2.parquet"]


def test_bad_file_skipped_then_retried(tmp_path: Path, rng: np.random.Generator) -> None:
    cfg = setup(tmp_path, rng)
    (tmp_path / "incoming" / "half.parquet").write_bytes(b"PAR1 not yet")
    r = CliRunner().invoke(app, ["watch", str(cfg), "--once", "--no-progress"])
    assert r.exit_code == 0 and "skipped half.parquet" in r.output
    assert processed(tmp_path) == []
    write(tmp_path / "incoming" / "half.parquet", rng, 100)
    r = CliRunner().invoke(app, ["watch", str(cfg), "--once", "--no-progress"])
    assert processed(tmp_path) == [("half.parquet", 100)]


def test_dead_letters_replayed(tmp_path: Path, rng: np.random.Generator) -> None:
    cfg = setup(tmp_path, rng, fail=True)
    write(tmp_path / "incoming" / "day1.parquet", rng, 2000, shift=3.0)
    runner = CliRunner()
    assert runner.invoke(app, ["watch", str(cfg), "--once", "--no-progress"]).exit_code == 0
    r = runner.invoke(app, ["triggers", "list", str(cfg), "--status", "dead"])
    assert "dead" in r.output and "exited with 3" in r.output
    r = runner.invoke(app, ["triggers", "replay", str(cfg)])
    assert r.exit_code == 1 and "replayed 1" in r.output
    # fix the command, replay again: delivered
    log = tmp_path / "fired.jsonl"
    fixed = f"import sys; open({str(log)!r}, 'a').write(sys.stdin.read())"
    cfg.write_text(cfg.read_text().replace("import sys; sys.exit(3)", fixed))
    r = runner.invoke(app, ["triggers", "replay", str(cfg)])
    assert r.exit_code == 0 and "delivered 1" in r.output, r.output
    assert json.loads(log.read_text())["window"] == "day1.parquet"
