"""Demo steps, healthcare: a governed diagnostic classifier, served, monitored, retrained.

1. A classifier of breast-tumour biopsies (scikit-learn's Wisconsin diagnostic data:
   30 cell-nucleus measurements; ``diagnosis`` 1 = malignant) is trained, its training
   data and version registered with their reference profile, approved by a second person
   (the clinical safety officer) and promoted to production, in the demo's registry
   (``healthcare-registry.db`` when the steps run on their own).
2. The model is served inline through ``dl.sklearn.monitored``: batches of cases from the
   same population first, then from a recalibrated scanner (texture, smoothness and
   concavity read higher: drift), whose confirmed diagnoses the model now gets wrong more
   often (degradation). The monitor's Drift and Performance policies fire; the trigger
   goes through the durable outbox to a :class:`~driftline.RetrainingPipeline`, which
   validates the recent confirmed cases, retrains, gates the candidate against production
   on a holdout (ROC AUC, and disparate impact across the two hospital sites), and
   registers it as a candidate awaiting approval. Nobody promotes it here.

Outcomes are left in ``ctx.artefacts["healthcare"]`` (a plain dict) for tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

import driftline as dl
from driftline.demo.steps import DemoContext, Step
from driftline.retraining import FairnessGate, PerformanceGate, TrainedModel, TrainingJob
from driftline.validation import NotNull, Range

__all__ = ["HEALTHCARE_STEPS", "MODEL", "govern_classifier", "serve_and_retrain"]

MODEL = "breast-biopsy-triage"
REGISTRY_FILE = "healthcare-registry.db"
MONITOR_FILE = "healthcare-monitor.db"
MODELS_DIR = "healthcare-models"
LABEL = "diagnosis"
SITE = "site"
#: Features a recalibrated scanner reads higher (by this many standard deviations).
SHIFTED = {
    "mean_texture": 1.5,
    "worst_texture": 1.5,
    "mean_smoothness": 1.5,
    "worst_smoothness": 1.5,
    "mean_concavity": 1.0,
    "mean_concave_points": 1.0,
}
WINDOW = 200
BATCH = 100


def _cases(seed: int) -> tuple[pa.Table, pa.Table, list[str]]:
    """The biopsies split into training cases and later (held-back) cases, with a random
    hospital site per case (the sensitive column of the fairness gate)."""
    from sklearn.datasets import load_breast_cancer

    raw = load_breast_cancer()
    features = [str(n).replace(" ", "_") for n in raw.feature_names]
    rng = np.random.default_rng(seed)
    n = raw.data.shape[0]
    cols: dict[str, Any] = {f: raw.data[:, i] for i, f in enumerate(features)}
    label = (raw.target == 0).astype(np.int64)  # sklearn: 0 = malignant
    # Each site sees the same share of malignant cases (sites alternate within a class).
    site = np.empty(n, dtype=object)
    for cls in (0, 1):
        idx = rng.permutation(np.flatnonzero(label == cls))
        site[idx] = np.where(np.arange(len(idx)) % 2 == 0, "north", "south")
    cols[SITE] = site.astype(str)
    cols[LABEL] = label
    table = pa.table(cols)
    order = rng.permutation(n)
    cut = int(n * 0.6)
    return table.take(np.sort(order[:cut])), table.take(np.sort(order[cut:])), features


def _matrix(table: pa.Table, features: list[str]) -> np.ndarray:
    return np.column_stack([table.column(f).to_numpy() for f in features])


def _fit(X: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)


def _export(model: Any, path: Path) -> Path:
    """The fitted scaler and coefficients as JSON: an artifact anyone can load without
    unpickling."""
    scaler, lr = model[0], model[-1]
    body = {
        "kind": "standard-scaler+logistic-regression",
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
        "coef": lr.coef_.tolist(),
        "intercept": lr.intercept_.tolist(),
        "classes": lr.classes_.tolist(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def _outputs(model: Any, table: pa.Table, features: list[str]) -> pa.Table:
    X = _matrix(table, features)
    return table.append_column("prediction", pa.array(model.predict(X))).append_column(
        "score", pa.array(model.predict_proba(X)[:, 1])
    )


def _scanner_drift(table: pa.Table, reference: pa.Table) -> pa.Table:
    """The recalibrated scanner: the SHIFTED features read higher."""
    out = table
    for name, sds in SHIFTED.items():
        i = out.schema.get_field_index(name)
        sd = float(np.std(reference.column(name).to_numpy()))
        out = out.set_column(i, name, pa.array(out.column(name).to_numpy() + sds * sd))
    return out


def _rules(features: list[str]) -> list[Any]:
    return [
        *(NotNull(f) for f in features),
        Range("mean_radius", min=0.0, max=50.0),
        Range(LABEL, min=0, max=1),
        NotNull(SITE),
    ]


def govern_classifier(ctx: DemoContext) -> None:
    """Trains the classifier, registers data and version, approves (four-eyes), promotes."""
    for old in [*ctx.out.glob(REGISTRY_FILE + "*"), *ctx.out.glob(MONITOR_FILE + "*")]:
        old.unlink()  # a fresh registry and monitor state per run
    train, later, features = _cases(ctx.seed)
    sessions = ctx.artefacts.get("sessions") or {}
    if "registry" in ctx.artefacts and "admin" in sessions:
        # After the governance steps: the demo's one registry, so that the dashboard the
        # demo points to shows this model with the others.
        from driftline.demo.governance import REGISTRY_FILE as SHARED_FILE

        registry_path = ctx.out / SHARED_FILE
        reg, admin = ctx.artefacts["registry"], sessions["admin"]
    else:
        registry_path = ctx.out / REGISTRY_FILE
        reg = dl.Registry(f"sqlite:///{registry_path}")
        admin = reg.session(reg.bootstrap("admin"))
        ctx.outputs.append(("healthcare registry (SQLite)", registry_path))
    priya = reg.session(admin.create_user("priya", role="contributor"))  # data scientist
    osei = reg.session(admin.create_user("dr-osei", role="approver"))  # clinical safety
    priya.create_model(MODEL, description="malignancy triage of breast biopsies")

    fit_rows, test_rows = train.slice(0, 260), train.slice(260)
    model = _fit(_matrix(fit_rows, features), fit_rows.column(LABEL).to_numpy())
    scored = _outputs(model, test_rows, features)
    perf = dl.performance(scored, prediction="prediction", label=LABEL, score="score")
    checks = dl.validate(train, _rules(features))
    dataset = priya.register_dataset("biopsies-2026-q3", train)
    reference = dl.profile(_outputs(model, train, features), bins=10)
    artifact = _export(model, ctx.out / MODELS_DIR / "v1" / "model.json")
    v1 = priya.register_version(
        MODEL,
        artifact_uri=artifact,
        framework="sklearn",
        params={"C": 1.0, "scaler": "standard"},
        metrics={"accuracy": perf.accuracy, "roc_auc": perf.roc_auc},
        training_dataset=dataset.ref,
        reference_profile=reference,
        tags={"domain": "oncology"},
    )
    priya.transition(MODEL, v1.version, "staging")
    osei.approve(MODEL, v1.version, comment="validated on held-out cases", evidence=checks)
    promoted = osei.promote(MODEL, v1.version)
    ctx.console.print(
        f"  {MODEL} v{promoted.version}: trained on {dataset.ref} ({dataset.row_count} cases),"
        f" accuracy {perf.accuracy:.3f}, ROC AUC {perf.roc_auc:.3f}; registered by priya,"
        f" approved by dr-osei, {promoted.stage}"
    )
    ctx.artefacts["healthcare"] = {
        "registry_url": f"sqlite:///{registry_path}",
        "model": MODEL,
        "production_version": promoted.version,
        "baseline_accuracy": perf.accuracy,
        "features": features,
    }
    ctx.artefacts["healthcare_state"] = {
        "registry": reg,
        "admin": admin,
        "model": model,
        "train": train,
        "later": later,
    }


def _recent_confirmed(train: pa.Table, later: pa.Table, seed: int) -> pa.Table:
    """What the hospital retrains on: the training cases, and half of the later cases (read
    by the recalibrated scanner) with their confirmed diagnoses, resampled twice."""
    rng = np.random.default_rng(seed + 1)
    half = later.take(np.arange(0, later.num_rows, 2))
    picks = np.concatenate([np.arange(half.num_rows)] * 2)
    recent = _scanner_drift(_jitter(half.take(picks), train, rng), train)
    return pa.concat_tables([train, recent])


def _holdout(train: pa.Table, later: pa.Table, seed: int) -> pa.Table:
    """The other half of the later cases, as many of each diagnosis from either site, so
    that the fairness gate compares the sites on equal footing."""
    rng = np.random.default_rng(seed + 3)
    half = later.take(np.arange(1, later.num_rows, 2))
    label, site = half.column(LABEL).to_numpy(), half.column(SITE).to_numpy()
    keep: list[int] = []
    for cls in (0, 1):
        cells = [np.flatnonzero((label == cls) & (site == s)) for s in ("north", "south")]
        k = min(len(c) for c in cells)
        keep += [int(i) for c in cells for i in c[:k]]
    return _scanner_drift(_jitter(half.take(np.sort(keep)), train, rng), train)


def _jitter(table: pa.Table, reference: pa.Table, rng: np.random.Generator) -> pa.Table:
    """Measurement noise (2% of a standard deviation) so resampled cases are not copies."""
    out = table
    for name in reference.column_names:
        if name in (LABEL, SITE):
            continue
        i = out.schema.get_field_index(name)
        values = out.column(name).to_numpy()
        sd = float(np.std(reference.column(name).to_numpy()))
        out = out.set_column(i, name, pa.array(values + rng.normal(0, 0.02 * sd, len(values))))
    return out


def serve_and_retrain(ctx: DemoContext) -> None:
    """Serves batches through a monitored model; drift and degradation trigger retraining."""
    state = ctx.artefacts["healthcare_state"]
    info = ctx.artefacts["healthcare"]
    reg: dl.Registry = state["registry"]
    admin, model = state["admin"], state["model"]
    train, later = state["train"], state["later"]
    features: list[str] = info["features"]
    trigger = reg.session(admin.create_trigger(MODEL, "oncology-retrainer"))

    def fit(job: TrainingJob) -> TrainedModel:
        est = _fit(job.X, job.y)
        path = _export(est, job.artifact_dir / "model.json")
        return TrainedModel(model=est, artifact=path, framework="sklearn", params={"C": 1.0})

    pipeline = dl.RetrainingPipeline(
        model=MODEL,
        train=fit,
        registry=trigger,
        data=lambda _trigger: _recent_confirmed(train, later, ctx.seed),
        holdout=lambda _trigger: _holdout(train, later, ctx.seed),
        label=LABEL,
        features=features,
        sensitive=SITE,
        rules=_rules(features),
        gates=[
            PerformanceGate("auc", max_drop=0.02),
            FairnessGate("disparate_impact", minimum=0.8),
        ],
        baseline=model,
        artifacts=ctx.out / MODELS_DIR,
        seed=ctx.seed,
    )
    monitor = dl.Monitor(
        trigger.reference_profile(MODEL, info["production_version"]),
        features=features,
        prediction="prediction",
        score="score",
        label=LABEL,
        window=WINDOW,
        policies=[
            dl.policies.Drift(features=3),
            dl.policies.Performance(
                metric="accuracy", baseline=info["baseline_accuracy"], drop=0.1
            ),
        ],
        actions=[pipeline],
        state=ctx.out / MONITOR_FILE,
        name="oncology-triage",
        registry=trigger,
        model=MODEL,
    )
    served = dl.sklearn.monitored(model, monitor)
    rng = np.random.default_rng(ctx.seed + 2)
    phases = [("same population", 2, False, 0.0), ("recalibrated scanner", 2, True, 0.2)]
    order, offset = rng.permutation(later.num_rows), 0
    for _, n_windows, drifted, flip in phases:
        for _ in range(n_windows * WINDOW // BATCH):
            if offset + BATCH > len(order):  # each window draws distinct cases
                order, offset = rng.permutation(later.num_rows), 0
            batch = _jitter(later.take(order[offset : offset + BATCH]), train, rng)
            offset += BATCH
            if drifted:
                batch = _scanner_drift(batch, train)
            truth = batch.column(LABEL).to_numpy()
            # Confirmed diagnoses the model now misses: some cases disagree with it.
            truth = np.where(rng.random(BATCH) < flip, 1 - truth, truth)
            served.predict_proba(_matrix(batch, features), labels=truth)
    drained = monitor.flush(timeout=120)
    monitor.close()

    windows: list[dict[str, Any]] = [
        {
            "window": w.window,
            "drifted": None if w.drift is None else bool(w.drift.drifted),
            "drifted_features": []
            if w.drift is None
            else [f.column for f in w.drift.features if f.drifted],
            "accuracy": None if w.performance is None else w.performance.accuracy,
            "triggers": [t.id for t in w.triggers],
        }
        for w in monitor.history
    ]
    deliveries = [
        {"id": d.id, "trigger": d.trigger_id, "action": d.action, "status": d.status}
        for d in monitor.outbox.list()
    ]
    candidate = pipeline_candidate(trigger)
    info.update(
        windows=windows,
        deliveries=deliveries,
        outbox_drained=drained,
        candidate_version=candidate,
        monitor_state=str(ctx.out / MONITOR_FILE),
    )
    policies = {d.trigger_id: d.payload.get("policy") for d in monitor.outbox.list()}
    for w in windows:
        flag = f"DRIFT in {len(w['drifted_features'])} features" if w["drifted"] else "none"
        acc = "n/a" if w["accuracy"] is None else f"{w['accuracy']:.3f}"
        fired = ", fired: " + ", ".join(str(policies.get(t)) for t in w["triggers"])
        ctx.console.print(
            f"  window {w['window']}: drift {flag}, accuracy {acc}"
            + (fired if w["triggers"] else "")
        )
    delivered = sum(d["status"] == "delivered" for d in deliveries)
    ctx.console.print(f"  outbox: {delivered} of {len(deliveries)} trigger deliveries delivered")
    by_delivery = {d["id"]: policies.get(d["trigger"]) for d in deliveries}
    for e in reg.audit.events():
        if e.action == "retraining.run":
            run = e.after
            what = run["reason"] or f"v{run['version']}"
            ctx.console.print(
                f"  retraining for the {by_delivery.get(run['delivery_id'])} trigger:"
                f" {run['status']} ({what})"
            )
    if candidate is None:
        ctx.console.print("  no candidate was registered")
    else:
        v = trigger.get_version(MODEL, candidate)
        ctx.console.print(
            f"  retrained: v{v.version} ({v.stage}, candidate, parent v{v.parent_version},"
            f" ROC AUC {v.metrics.get('roc_auc', float('nan')):.3f}) awaits approval;"
            f" production is still v{trigger.get_model(MODEL).production_version}"
        )
    ctx.console.print(f"  healthcare audit trail verified: {reg.audit.verify().ok}")
    ctx.outputs.append(("healthcare monitor state", ctx.out / MONITOR_FILE))


def pipeline_candidate(session: Any) -> int | None:
    """The newest candidate version of the model, if any."""
    found = [v.version for v in session.list_versions(MODEL) if v.candidate]
    return max(found) if found else None


#: The healthcare part of the demo, appended to the scenario by ``run_demo``.
HEALTHCARE_STEPS = [
    Step("Healthcare: train, register, approve and promote a diagnostic model", govern_classifier),
    Step(
        "Healthcare: serve it, catch drift and degradation, retrain a candidate", serve_and_retrain
    ),
]
