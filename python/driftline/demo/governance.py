"""Demo steps after profiling: govern the model in a registry, then catch drift.

A local SQLite registry under the output folder (made afresh on each run): an admin, a
data scientist who registers the day's data and a model version with its reference
profile, a risk officer who approves it (four-eyes) and promotes it; then a later day whose
basket amounts rose by 60% is compared with the reference, and the report is written as a
self-contained HTML page. The audit trail is verified at the end.
"""

from __future__ import annotations

import hashlib

import pyarrow.compute as pc
import pyarrow.parquet as pq

import driftline as dl
from driftline.demo.steps import DemoContext

__all__ = ["catch_drift", "register_model"]

REGISTRY_FILE = "registry.db"
REPORT_FILE = "drift-report.html"
MODEL = "sales-forecast"


def register_model(ctx: DemoContext) -> None:
    """Registers the dataset and a model version, approves and promotes it."""
    for old in ctx.out.glob(REGISTRY_FILE + "*"):
        old.unlink()  # a fresh registry per run: bootstrap is refused once users exist
    db = ctx.out / REGISTRY_FILE
    reg = dl.Registry(f"sqlite:///{db}")
    admin = reg.session(reg.bootstrap("admin"))
    dana = reg.session(admin.create_user("dana", role="contributor"))
    omar = reg.session(admin.create_user("omar", role="approver"))
    dana.create_model(MODEL)
    dataset = dana.register_dataset("sales-day-1", ctx.artefacts["data_path"])
    reference: dl.Profile = ctx.artefacts["profile"]
    weights = b"demo model weights"
    version = dana.register_version(
        MODEL,
        artifact_uri=f"s3://models/{MODEL}/1",
        checksum=hashlib.sha256(weights).hexdigest(),
        training_dataset=dataset,
        reference_profile=reference,
        metrics={"mape": 0.12},
    )
    dana.transition(MODEL, version.version, "staging")
    omar.approve(MODEL, version.version, comment="backtest reviewed")
    promoted = omar.promote(MODEL, version.version)
    ctx.console.print(
        f"  {MODEL} v{promoted.version}: registered by dana, approved by omar, {promoted.stage}"
        f"; trained on {promoted.training_dataset}"
    )
    ctx.artefacts["registry"] = reg
    ctx.artefacts["sessions"] = {"admin": admin, "dana": dana, "omar": omar}
    ctx.outputs.append(("registry (SQLite)", db))


def catch_drift(ctx: DemoContext) -> None:
    """Compares a later, drifted day with the reference profile and writes the report."""
    table = pq.read_table(ctx.artefacts["data_path"])
    i = table.schema.get_field_index("amount")
    later = table.set_column(i, "amount", pc.multiply(table["amount"], 1.6))
    report = dl.compare(ctx.artefacts["profile"], later)
    drifted = [f.column for f in report.features if f.drifted]
    ctx.console.print(
        f"  drifted columns: {', '.join(drifted) or 'none'}"
        f" ({report.share_drifted:.0%} of columns); verdict: {'DRIFT' if report.drifted else 'ok'}"
    )
    path = ctx.out / REPORT_FILE
    report.to_html(path)
    ctx.outputs.append(("drift report (HTML)", path))
    reg: dl.Registry = ctx.artefacts["registry"]
    status = reg.audit.verify()
    ctx.console.print(f"  audit trail verified: {status.ok}")
