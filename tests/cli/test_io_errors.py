"""Unreadable input and unwritable output: exit status 2 with one line naming the file,
never a traceback and never status 1, which the gates keep for "drift found" and "a rule
failed" (a CI job must not read a full disk as drift)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from driftline.cli import commands  # noqa: F401
from driftline.cli.app import app

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A Parquet file, a ragged CSV, a good CSV, rules, garbage bytes named .arrow and a
    path inside a folder that does not exist."""
    rng = np.random.default_rng(3)
    pq.write_table(
        pa.table({"x": rng.normal(size=500), "c": ["a", "b"] * 250}), tmp_path / "ref.parquet"
    )
    (tmp_path / "ragged.csv").write_text("x,c\n1,a\n2,b,extra\n")
    (tmp_path / "good.csv").write_text("x,c\n1,a\n2,b\n")
    (tmp_path / "rules.toml").write_text('[[rules]]\ntype = "not_null"\ncolumn = "x"\n')
    (tmp_path / "garbage.arrow").write_bytes(b"ARROW1\x00\x00 not really")
    return {
        "ref": tmp_path / "ref.parquet",
        "ragged": tmp_path / "ragged.csv",
        "good": tmp_path / "good.csv",
        "rules": tmp_path / "rules.toml",
        "garbage": tmp_path / "garbage.arrow",
        "nowhere": tmp_path / "missing-folder" / "out",
    }


def _fails_with_one_line(args: list[str], *needles: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    for needle in needles:
        assert needle in errors[0], errors[0]


@pytest.mark.parametrize("flag", ["--json", "--html"])
def test_drift_report_that_cannot_be_written(files: dict[str, Path], flag: str) -> None:
    ref = str(files["ref"])
    out = str(files["nowhere"])
    _fails_with_one_line(["drift", ref, ref, flag, out, "-q"], "missing-folder")
    _fails_with_one_line(["drift", ref, ref, flag, out, "-q", "--fail-on-drift"], "missing-folder")


def test_validate_ragged_csv(files: dict[str, Path]) -> None:
    args = ["validate", str(files["ragged"]), "--rules", str(files["rules"])]
    _fails_with_one_line(args, "ragged.csv", "Expected 2 columns, got 3")


def test_validate_good_csv_still_passes(files: dict[str, Path]) -> None:
    result = runner.invoke(app, ["validate", str(files["good"]), "--rules", str(files["rules"])])
    assert result.exit_code == 0, result.output


def test_profile_ragged_csv_and_garbage_arrow(files: dict[str, Path]) -> None:
    _fails_with_one_line(["profile", str(files["ragged"])], "ragged.csv")
    _fails_with_one_line(["profile", str(files["garbage"])], "garbage.arrow")


@pytest.mark.parametrize("flag", ["--json", "--save"])
def test_profile_output_that_cannot_be_written(files: dict[str, Path], flag: str) -> None:
    _fails_with_one_line(
        ["profile", str(files["ref"]), flag, str(files["nowhere"])], "missing-folder"
    )
