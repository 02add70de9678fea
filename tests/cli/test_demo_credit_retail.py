"""The demo's credit-fairness and retail per-SKU steps, checked from the files they write and
the registry they record into (not from printed text)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import driftline as dl
from driftline.demo import DemoContext, run_demo
from driftline.demo.credit import credit_table
from driftline.demo.retail import demand_table
from driftline.demo.steps import DEFAULT_STEPS, _credit_retail_steps, _governance_steps
from driftline.report.segments import SegmentSummary


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rich.console import Console

    folder = tmp_path_factory.mktemp("demo") / "out"
    ctx = DemoContext(out=folder, rows=5_000, console=Console(quiet=True), progress=False)
    steps = [*DEFAULT_STEPS, *_governance_steps(), *_credit_retail_steps()]
    run_demo(ctx, steps)
    return folder


def _session(out: Path) -> dl.registry.Session:
    token = (out / "dashboard-token.txt").read_text().strip()
    return dl.Registry(f"sqlite:///{out / 'registry.db'}").session(token)


def test_credit_breaches_the_four_fifths_rule(out: Path) -> None:
    report = json.loads((out / "credit-fairness.json").read_text())
    assert report["sex"]["passes_four_fifths"] is False
    assert report["sex"]["disparate_impact"] < 0.8
    version = _session(out).get_version("credit-scoring", 1)
    fairness = version.metrics["fairness"]
    assert fairness["passes_four_fifths"] is False
    assert fairness["disparate_impact"] == pytest.approx(report["sex"]["disparate_impact"])
    assert fairness["selection_rate"]["F"] < 0.8 * fairness["selection_rate"]["M"]


def test_a_fair_model_passes() -> None:
    table = credit_table(5_000, bias=0.0)
    assert dl.fairness(
        table, prediction="approved", label="repaid", sensitive="sex"
    ).passes_four_fifths


def test_at_least_2000_skus_evaluated(out: Path) -> None:
    perf = pl.read_parquet(out / "retail-sku-performance.parquet")
    drift = pl.read_parquet(out / "retail-sku-drift.parquet")
    assert perf.height >= 2_000
    assert drift.filter(pl.col("status") == "compared").height >= 2_000
    summary = json.loads((out / "retail-summary.json").read_text())
    assert summary["skus_evaluated"] >= 2_000
    stored = SegmentSummary(_session(out).get_version("demand-forecast", 1).metrics["segments"])
    assert len(stored) >= 2_000
    assert stored.segment_by == "sku"


def test_injected_drift_skus_rank_among_the_worst(out: Path) -> None:
    summary = json.loads((out / "retail-summary.json").read_text())
    injected = set(summary["injected_drift"])
    assert len(injected) >= 5
    drift = pl.read_parquet(out / "retail-sku-drift.parquet")
    ranked = drift.sort(["share_drifted", "worst_effect_size"], descending=True, nulls_last=True)[
        "segment"
    ].to_list()
    assert set(ranked[: len(injected)]) == injected
    worst = pl.read_csv(out / "retail-worst-skus.csv")["segment"].to_list()
    assert injected <= set(worst[: len(injected)])
    stored = SegmentSummary(_session(out).get_version("demand-forecast", 1).metrics["segments"])
    top = [r["segment"] for r in stored.worst("share_drifted", len(injected))]
    assert set(top) == injected
    assert all(stored.features(k) for k in top)  # drill-down details kept for the worst


def test_demand_data_matches_the_injection() -> None:
    table, injected = demand_table(300, seed=3, drifted=4)
    assert table.height == 300 * 52
    per = table.group_by("sku", pl.col("week") > 26).agg(pl.col("units_sold").mean())
    assert per.height == 600
    assert len(injected) == 4


def test_results_report_and_dashboard_command(out: Path) -> None:
    page = (out / "model-results.html").read_text(encoding="utf-8")
    assert "four-fifths rule BREACHED" in page
    assert 'id="segments"' in page and 'id="performance"' in page
    drift_page = (out / "retail-drift-report.html").read_text(encoding="utf-8")
    assert 'id="segments"' in drift_page
    assert (out / "dashboard-token.txt").stat().st_mode & 0o077 == 0
