"""Demo step: a year of weekly demand for thousands of SKUs, evaluated and checked for drift
per SKU in one pass each.

Synthetic data: 2,000 SKUs x 52 weeks of price, promotion and units sold, and a simple
forecast (the mean of the four previous weeks). Per-SKU performance
(``dl.performance(task="regression", segment_by="sku")``) and per-SKU drift
(``dl.compare(first_half, second_half, segment_by="sku")``) each run in one pass; a few
SKUs get injected drift in the second half (a price cut and a surge in demand), and the
worst SKUs are listed, saved, written to an HTML report and recorded in the registry as
the forecast version's segmented evaluation (what the dashboard's Segments page shows).
"""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np
import polars as pl
from rich.table import Table

import driftline as dl
from driftline.demo.steps import DemoContext
from driftline.report.segments import segment_summary

__all__ = ["FORECAST_MODEL", "demand_table", "retail_segments"]

FORECAST_MODEL = "demand-forecast"
WEEKS = 52
SUMMARY_FILE = "retail-summary.json"
WORST_FILE = "retail-worst-skus.csv"
DRIFT_TABLE_FILE = "retail-sku-drift.parquet"
PERF_TABLE_FILE = "retail-sku-performance.parquet"


def demand_table(
    skus: int = 2_000, *, seed: int = 7, drifted: int = 8
) -> tuple[pl.DataFrame, list[str]]:
    """Weekly demand per SKU with a forecast; returns the table and the SKUs given drift
    in the second half of the year."""
    rng = np.random.default_rng(seed)
    names = np.array([f"SKU-{i:05d}" for i in range(skus)])
    level = rng.lognormal(3.0, 0.8, skus)[:, None]
    base_price = rng.lognormal(1.5, 0.6, skus)[:, None]
    weeks = np.arange(1, WEEKS + 1)
    season = 1.0 + 0.04 * np.sin(2 * np.pi * weeks / WEEKS)[None, :]
    price = base_price * rng.normal(1.0, 0.03, (skus, WEEKS))
    promo = (rng.random((skus, WEEKS)) < 0.1).astype(np.float64)
    chosen = np.sort(rng.choice(skus, drifted, replace=False))
    second = weeks > WEEKS // 2
    shock = np.zeros((skus, WEEKS), dtype=bool)
    shock[np.ix_(chosen, np.flatnonzero(second))] = True
    price = np.where(shock, price * 0.65, price)
    mean = level * season * (1.0 + 0.6 * promo) * np.where(shock, 3.0, 1.0)
    units = rng.poisson(mean).astype(np.float64)
    # The forecast: the mean of the four previous weeks (the first weeks use what exists).
    csum = np.concatenate([np.zeros((skus, 1)), np.cumsum(units, axis=1)], axis=1)
    lo = np.maximum(np.arange(WEEKS) - 4, 0)
    hi = np.arange(WEEKS)
    span = np.maximum(hi - lo, 1)
    forecast = np.where(hi > 0, (csum[:, hi] - csum[:, lo]) / span, level[:, 0:1])
    table = pl.DataFrame(
        {
            "sku": np.repeat(names, WEEKS),
            "week": np.tile(weeks, skus).astype(np.int32),
            "price": price.ravel(),
            "promo": promo.ravel(),
            "units_sold": units.ravel(),
            "forecast": forecast.ravel(),
        }
    )
    return table, names[chosen].tolist()


def retail_segments(ctx: DemoContext) -> None:
    """Per-SKU performance and drift in one pass each; the worst SKUs listed and saved."""
    table, injected = demand_table(seed=ctx.seed)
    start = time.perf_counter()
    perf = dl.performance(
        table, prediction="forecast", label="units_sold", task="regression", segment_by="sku"
    )
    t_perf = time.perf_counter() - start
    half = WEEKS // 2
    features = ["sku", "price", "promo", "units_sold"]
    first = table.filter(pl.col("week") <= half).select(features)
    second = table.filter(pl.col("week") > half).select(features)
    start = time.perf_counter()
    drift = dl.compare(first, second, segment_by="sku")
    t_drift = time.perf_counter() - start
    segs = drift.segments
    perf_segs = perf.segments
    assert perf_segs is not None
    n_skus = segs.filter(pl.col("status") == "compared").height
    worst = drift.worst_segments(50)
    worst = worst.join(
        perf_segs.select("sku", "mae", "rmse"), left_on="segment", right_on="sku", how="left"
    )
    ranked = drift.worst_segments(segs.height)["segment"].to_list()
    ranks = {sku: ranked.index(sku) + 1 for sku in injected}
    ctx.console.print(
        f"  {table.height:,} SKU-weeks ({perf_segs.height:,} SKUs x {WEEKS} weeks);"
        f" performance per SKU in {t_perf:.2f} s, drift per SKU (weeks 1-{half} vs"
        f" {half + 1}-{WEEKS}) in {t_drift:.2f} s"
    )
    ctx.console.print(_worst_table(worst.head(10)))
    drifted = segs.filter(pl.col("drifted")).height
    ctx.console.print(
        f"  {drifted} of {n_skus:,} SKUs drifted; the {len(injected)} SKUs given drift rank"
        f" {sorted(ranks.values())} of {n_skus:,}; overall MAE {perf.mae:.2f}"
    )
    worst_path = ctx.out / WORST_FILE
    worst.write_csv(worst_path)
    segs.write_parquet(ctx.out / DRIFT_TABLE_FILE)
    perf_segs.write_parquet(ctx.out / PERF_TABLE_FILE)
    summary = {
        "skus_evaluated": perf_segs.height,
        "skus_compared": n_skus,
        "weeks": WEEKS,
        "injected_drift": injected,
        "injected_ranks": ranks,
        "drifted_skus": drifted,
        "worst_skus": worst["segment"].head(20).to_list(),
        "mae": perf.mae,
        "seconds": {"performance": t_perf, "drift": t_drift},
    }
    summary_path = ctx.out / SUMMARY_FILE
    summary_path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    ctx.outputs.append(("worst SKUs (CSV)", worst_path))
    ctx.outputs.append(("per-SKU drift (Parquet)", ctx.out / DRIFT_TABLE_FILE))
    ctx.outputs.append(("per-SKU metrics (Parquet)", ctx.out / PERF_TABLE_FILE))
    ctx.outputs.append(("retail summary (JSON)", summary_path))
    ctx.artefacts["retail_drift"] = drift
    ctx.artefacts["retail_performance"] = perf
    ctx.artefacts["retail_summary"] = summary
    _record(ctx, drift, perf)


def _worst_table(worst: pl.DataFrame) -> Table:
    t = Table(title="Worst SKUs by share of drifted features", title_justify="left")
    for h in ("sku", "drifted", "share", "worst feature", "effect", "p (adj.)", "MAE"):
        t.add_column(h, justify="left" if h in ("sku", "worst feature") else "right")
    for r in worst.iter_rows(named=True):
        t.add_row(
            r["segment"],
            f"{r['drifted_count']}/{r['features']}",
            f"{r['share_drifted']:.0%}",
            str(r["worst_feature"]),
            _fmt(r["worst_effect_size"], ".2f"),
            _fmt(r["worst_p_value"], ".1e"),
            _fmt(r["mae"], ".2f"),
        )
    return t


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def _record(ctx: DemoContext, drift: dl.DriftReport, perf: dl.PerformanceReport) -> None:
    sessions = ctx.artefacts.get("sessions")
    if sessions is None:
        return
    dana = sessions["dana"]
    dana.create_model(FORECAST_MODEL, description="Weekly demand per SKU (synthetic)")
    version = dana.register_version(
        FORECAST_MODEL,
        artifact_uri=f"s3://models/{FORECAST_MODEL}/1",
        checksum=hashlib.sha256(b"demo forecast model").hexdigest(),
        metrics={"mae": perf.mae, "segments": segment_summary(drift, perf, detail=20)},
    )
    ctx.artefacts["forecast_version"] = (FORECAST_MODEL, version.version)
    ctx.console.print(
        f"  {FORECAST_MODEL} v{version.version}: per-SKU evaluation recorded on the version"
    )


RESULTS_FILE = "model-results.html"
TOKEN_FILE = "dashboard-token.txt"


def results_report(ctx: DemoContext) -> None:
    """Writes the credit and retail results as one HTML report, and the dashboard command."""
    from driftline.report.results import render_results_html

    fairness = ctx.artefacts.get("credit_fairness")
    path = ctx.out / RESULTS_FILE
    path.write_text(
        render_results_html(
            title="driftline demo: credit fairness and per-SKU demand",
            fairness=None if fairness is None else {"sex": fairness},
            drift=ctx.artefacts.get("retail_drift"),
            performance=ctx.artefacts.get("retail_performance"),
        ),
        encoding="utf-8",
    )
    ctx.outputs.append(("model results (HTML)", path))
    drift = ctx.artefacts.get("retail_drift")
    if drift is not None:
        drift_path = ctx.out / "retail-drift-report.html"
        drift.to_html(drift_path)
        ctx.outputs.append(("per-SKU drift report (HTML)", drift_path))
    sessions = ctx.artefacts.get("sessions")
    db = ctx.out / "registry.db"
    if sessions is None or not db.exists():
        return
    token = sessions["admin"].create_user("viewer", role="viewer")
    token_path = ctx.out / TOKEN_FILE
    token_path.write_text(token + "\n", encoding="utf-8")
    token_path.chmod(0o600)
    command = f"driftline serve --registry sqlite:///{db.resolve()}"
    ctx.artefacts["dashboard_command"] = command
    ctx.console.print(
        f"  results report: {path}\n  dashboard: {command}\n"
        f"  then open http://127.0.0.1:8000/ui/ and log in with the token in {token_path}",
        soft_wrap=True,
    )
