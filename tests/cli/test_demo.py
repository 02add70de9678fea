"""``driftline demo`` and ``driftline profile`` run end to end on small data."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import driftline as dl
from driftline.cli import commands  # noqa: F401
from driftline.cli.app import app, main  # noqa: F401  (main registers the commands)
from driftline.demo import DEFAULT_STEPS, DemoContext, Step, run_demo
from driftline.demo.data import SALES_SCHEMA, sales_table

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = runner.invoke(app, ["demo", "--rows", "20000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_writes_data_and_profile(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    names = sorted(p.name for p in out.iterdir())
    for expected in [
        "drift-report.html",
        "registry.db",
        "sales-profile.json",
        "sales.dlprof",
        "sales.parquet",
    ]:
        assert expected in names
    table = pq.read_table(out / "sales.parquet")
    assert table.num_rows == 20_000
    assert table.schema.equals(SALES_SCHEMA)
    p = dl.Profile.from_bytes((out / "sales.dlprof").read_bytes())
    assert p.row_count == 20_000
    assert p.columns == SALES_SCHEMA.names
    summary = json.loads((out / "sales-profile.json").read_text())
    assert summary["row_count"] == 20_000


def test_demo_governs_the_model_and_catches_drift(demo_run: tuple[Path, str]) -> None:
    out, output = demo_run
    reg = dl.Registry(f"sqlite:///{out / 'registry.db'}")
    assert reg.audit.verify().ok
    assert "drifted columns: amount" in output
    assert "production" in output
    html = (out / "drift-report.html").read_text(encoding="utf-8")
    assert "amount" in html and "<script" in html


def test_demo_profile_matches_the_data(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    table = pq.read_table(out / "sales.parquet")
    p = dl.Profile.from_bytes((out / "sales.dlprof").read_bytes())
    age = table.column("customer_age")
    assert p["customer_age"].null_count == age.null_count > 0
    assert p["payment_method"].null_count == table.column("payment_method").null_count > 0
    amount = table.column("amount").to_numpy()
    assert p["amount"].mean == pytest.approx(amount.mean(), rel=1e-9)
    assert p["channel"].frequencies() is not None
    assert set(p["channel"].frequencies()) == {"store", "online", "app"}


def test_demo_prints_table_and_paths(demo_run: tuple[Path, str]) -> None:
    _, output = demo_run
    for word in ("column", "kind", "nulls", "mean", "std", "p50", "distinct", "unit_price"):
        assert word in output
    assert "sales.dlprof" in output and "sales.parquet" in output


def test_demo_data_is_deterministic() -> None:
    assert sales_table(3_000, seed=3).equals(sales_table(3_000, seed=3))
    assert not sales_table(3_000, seed=3).equals(sales_table(3_000, seed=4))


def test_steps_can_be_extended(tmp_path: Path) -> None:
    seen: list[str] = []

    def extra(ctx: DemoContext) -> None:
        seen.append(ctx.artefacts["profile"].columns[0])

    ctx = DemoContext(out=tmp_path, rows=1_000, progress=False)
    run_demo(ctx, [*DEFAULT_STEPS, Step("An extra step", extra)])
    assert seen == ["sold_at"]
    assert ctx.artefacts["profile_path"].exists()


def test_profile_command(demo_run: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = demo_run
    json_out, saved = tmp_path / "p.json", tmp_path / "p.dlprof"
    result = runner.invoke(
        app,
        [
            "profile",
            str(out / "sales.parquet"),
            "--columns",
            "amount,channel",
            "--json",
            str(json_out),
            "--save",
            str(saved),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "amount" in result.output and "channel" in result.output
    assert "unit_price" not in result.output
    assert set(json.loads(json_out.read_text())["columns"]) == {"amount", "channel"}
    assert dl.Profile.from_bytes(saved.read_bytes()).columns == ["amount", "channel"]


def test_profile_command_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["profile", str(tmp_path / "nope.parquet")])
    assert result.exit_code == 2
    assert "error" in result.output
