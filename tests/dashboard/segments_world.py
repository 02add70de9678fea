"""A registry with a segmented evaluation stored on a model version (shared by the Segments
pages' HTTP and browser tests)."""

from __future__ import annotations

import numpy as np
import polars as pl

import driftline as dl
from driftline.report.segments import segment_summary

DRIFTED = ["sku-007", "sku-042", "sku-113"]


def segmented_evaluation(skus: int = 150, weeks: int = 40) -> dict[str, object]:
    """``segment_summary`` of per-SKU drift and performance, three SKUs drifted."""
    rng = np.random.default_rng(3)
    names = [f"sku-{i:03d}" for i in range(skus)]
    key = np.repeat(names, weeks)
    price = rng.lognormal(1.0, 0.3, skus * weeks)
    units = rng.poisson(20, skus * weeks).astype(float)
    later = np.tile(np.arange(weeks) >= weeks // 2, skus)
    hit = np.isin(key, DRIFTED) & later
    units = np.where(hit, units * 3, units)
    table = pl.DataFrame(
        {
            "sku": key,
            "price": price,
            "units": units,
            "forecast": units * rng.normal(1, 0.1, units.size),
            "channel": rng.choice(["store", "online"], units.size),
        }
    )
    first = table.filter(~pl.Series(later)).drop("forecast")
    second = table.filter(pl.Series(later)).drop("forecast")
    drift = dl.compare(first, second, segment_by="sku")
    perf = dl.performance(
        table, prediction="forecast", label="units", task="regression", segment_by="sku"
    )
    return segment_summary(drift, perf, detail=10)


def seed(url: str) -> dict[str, str]:
    """Users root (admin), carol (contributor), victor (viewer); model ``demand`` v1 with
    a segmented evaluation and ``plain`` v1 without."""
    reg = dl.Registry(url)
    tokens = {"root": reg.bootstrap("root")}
    admin = reg.session(tokens["root"])
    tokens["carol"] = admin.create_user("carol", role="contributor")
    tokens["victor"] = admin.create_user("victor", role="viewer")
    carol = reg.session(tokens["carol"])
    carol.create_model("demand", description="weekly demand per SKU")
    carol.register_version(
        "demand",
        artifact_uri="s3://models/demand/1",
        checksum="sha256:" + "b" * 64,
        metrics={"mae": 3.2, "segments": segmented_evaluation()},
    )
    carol.create_model("plain")
    carol.register_version(
        "plain", artifact_uri="s3://m/plain/1", checksum="sha256:" + "c" * 64, metrics={"auc": 1}
    )
    reg.close()
    return tokens
