"""The retraining loop a trigger runs: validate, train, evaluate, register, ask approval.

:class:`RetrainingPipeline` never promotes: it ends with a *candidate* version in
development and an audited approval request, and people take it from there. Each step is a
public method taking and returning the :class:`~driftline.retraining.RetrainingRun`, so an
orchestrator (Airflow, Prefect, Dagster) can run them as separate tasks; :meth:`run` does
them all in-process, and :meth:`deliver` makes the pipeline a monitor action.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.actions.base import DeliveryError, Suppressed
from driftline.exceptions import PermissionDenied
from driftline.registry import VersionSpec
from driftline.retraining import holdout, journal
from driftline.retraining.gates import Evaluation, Gate
from driftline.retraining.holdout import (
    FAIRNESS_METRICS,
    check_roles,
    missing_columns,
    read_table,
)
from driftline.retraining.run import STEPS, RetrainingRun, TrainedModel, TrainingJob

__all__ = ["FAIRNESS_METRICS", "RetrainingPipeline"]

_TAG_LIMIT = 256


def _as_list(v: str | Sequence[str] | None) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


class RetrainingPipeline:
    """Retrain a registered model when a trigger fires, and leave the result for review.

    Parameters
    ----------
    model
        The registered model's name.
    train
        ``train(job) -> TrainedModel``: fits on ``job.data`` (or ``job.X`` / ``job.y``),
        saves the model (under ``job.artifact_dir`` for instance) and returns it with its
        artifact. driftline never serialises or unpickles the model.
    registry
        A registry session, normally the model's retraining trigger
        (``admin.create_trigger(model, name)``): its versions are candidates, and it can
        neither approve nor promote.
    data
        The new training data: Arrow data, a Parquet file as a :class:`pathlib.Path`, or a
        callable ``data(trigger) -> data`` (the trigger payload, or None) run at load time.
    label
        The label column.
    features
        Feature columns (default: every column but the label and ``sensitive``).
    sensitive
        Columns for the fairness metrics (not given to the model unless in ``features``).
    rules
        Validation rules for :func:`driftline.validate` (Rule objects, dicts, TOML text or
        a Path); failing data stops the run before training.
    gates
        :class:`~driftline.retraining.PerformanceGate`, :class:`FairnessGate`, or any
        :class:`~driftline.retraining.Gate`; one failing stops the run before registration.
    holdout
        Evaluation data (same forms as ``data``); by default ``holdout_share`` of the rows
        of ``data``, drawn with ``seed``.
    baseline
        The production model itself (``predict`` / ``predict_proba``), or a callable
        ``baseline(run) -> model``: scored on the same holdout. Without it, gates compare
        with the metrics recorded on the production version in the registry.
    prediction, score, task, positive
        Names of the output columns in the evaluation and the reference profile, the
        task (``"binary"``, ``"multiclass"``, ``"regression"``) and the positive class.
    dataset
        Name under which the training data is registered (default ``<model>-training``).
    artifacts
        Folder offered to ``train`` as ``job.artifact_dir`` (``<artifacts>/<run id>``).
    name
        The action's name in a monitor's outbox (default ``retraining-pipeline:<model>``).
    while_pending
        ``"skip"`` (default): while a candidate of an earlier retraining still awaits a
        decision (no approval or rejection), a new trigger stops at once with that reason,
        so approvers review one candidate at a time (drift and performance policies often
        fire together). ``"run"`` retrains regardless.

    Examples
    --------
    >>> pipeline = RetrainingPipeline(  # doctest: +SKIP
    ...     model="churn", train=fit_churn, registry=trigger_session,
    ...     data=load_last_month, label="churned", sensitive="age_band",
    ...     rules=Path("rules.toml"),
    ...     gates=[dl.retraining.PerformanceGate("auc", max_drop=0.02),
    ...            dl.retraining.FairnessGate("disparate_impact", minimum=0.8)])
    >>> mon = dl.Monitor(reference, ..., actions=[pipeline])  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        model: str,
        train: Callable[[TrainingJob], TrainedModel],
        registry: Any,
        data: Any,
        label: str,
        features: Sequence[str] | None = None,
        sensitive: str | Sequence[str] | None = None,
        rules: Any = None,
        gates: Iterable[Gate] = (),
        holdout: Any = None,
        holdout_share: float = 0.25,
        seed: int = 0,
        baseline: Any = None,
        prediction: str = "prediction",
        score: str = "score",
        task: str = "binary",
        positive: Any = 1,
        dataset: str | None = None,
        artifacts: str | Path | None = None,
        name: str | None = None,
        while_pending: str = "skip",
    ) -> None:
        if while_pending not in ("skip", "run"):
            raise ValueError("while_pending is 'skip' or 'run'")
        if not callable(train):
            raise TypeError("train must be a callable: train(job) -> TrainedModel")
        if not 0.0 < holdout_share < 1.0:
            raise ValueError("holdout_share must be within (0, 1)")
        check_roles(label, features, prediction, score, _as_list(sensitive))
        self.model = model
        self.training_function = train
        self.session = registry
        self.data = data
        self.label = label
        self.features = None if features is None else list(features)
        self.sensitive = _as_list(sensitive)
        self.rules = rules
        self.gates = list(gates)
        for g in self.gates:
            if not isinstance(g, Gate):
                raise TypeError(f"{g!r} is not a gate (needs name and check(evaluation))")
        self.holdout = holdout
        self.holdout_share = holdout_share
        self.seed = seed
        self.baseline = baseline
        self.prediction, self.score, self.task, self.positive = prediction, score, task, positive
        self.dataset = dataset or f"{model}-training"
        self.artifacts = None if artifacts is None else Path(artifacts)
        self.name = name or f"retraining-pipeline:{model}"
        self.while_pending = while_pending
        self.last_run: RetrainingRun | None = None

    def __repr__(self) -> str:
        return f"RetrainingPipeline(model={self.model!r}, gates={len(self.gates)})"

    # -- as an action ----------------------------------------------------------------
    def deliver(self, payload: dict[str, Any], delivery_id: str) -> None:
        """Run once for a trigger (the outbox's action protocol).

        A redelivery of a finished delivery id does nothing. A run stopped by a verdict
        (bad data, a failing gate) is delivered; a step that raised makes a dead letter
        (``driftline triggers replay`` runs it again); a suspended model, a suppressed one.
        """
        try:
            run = self.run(trigger=payload, delivery_id=delivery_id)
        except Exception as exc:  # the registry unreachable, say: retry later
            raise DeliveryError(f"retraining {self.model!r}: {type(exc).__name__}: {exc}") from exc
        if run.status == "suppressed":
            raise Suppressed(run.reason or "suppressed")
        if run.status == "failed":
            raise DeliveryError(run.reason or "retraining failed")

    def __call__(self, payload: dict[str, Any]) -> RetrainingRun:
        """Run for a trigger payload (``dl.actions.Call(pipeline)``); the trigger's id is
        the idempotency key."""
        return self.run(trigger=payload, delivery_id=payload.get("id"))

    # -- in-process ------------------------------------------------------------------
    def run(
        self, *, trigger: dict[str, Any] | None = None, delivery_id: str | None = None
    ) -> RetrainingRun:
        """Every step in order, in this process; returns the run (see ``run.status``)."""
        run = self.start(trigger=trigger, delivery_id=delivery_id)
        for step in STEPS:
            getattr(self, step)(run)
        return run

    def start(
        self, *, trigger: dict[str, Any] | None = None, delivery_id: str | None = None
    ) -> RetrainingRun:
        """A new run, checked against the registry: ``suppressed`` while the model is
        suspended, ``duplicate`` when this delivery id already finished, and resuming at
        the approval request when an earlier delivery registered its candidate."""
        trigger = None if trigger is None else dict(trigger)
        if delivery_id is None:
            delivery_id = "manual_" + uuid.uuid4().hex
        run = RetrainingRun(
            run_id="rtr_" + uuid.uuid4().hex[:16],
            model=self.model,
            delivery_id=str(delivery_id),
            trigger=trigger,
        )
        self.last_run = run
        model = self.session.get_model(self.model)
        if model.suspended:
            return self._end_quietly(
                run, "suppressed", f"model is suspended: {model.suspended_reason}"
            )
        previous = journal.finished_run(self.session, self.model, run.delivery_id)
        if previous is not None:
            run.previous = previous
            return self._end_quietly(
                run, "duplicate", f"delivery already handled by run {previous.get('run')}"
            )
        existing = journal.candidate_for(self.session, self.model, run.delivery_id)
        if existing is not None:
            run.version, run.parent = existing, existing.parent_version
            for step in STEPS[:-1]:
                s = run.steps[step]
                s.status, s.message = (
                    "skipped",
                    f"done by an earlier delivery (v{existing.version})",
                )
            return run
        pending = self._pending() if self.while_pending == "skip" else None
        if pending is not None:
            run.status = "stopped"
            run.reason = f"v{pending} from an earlier retraining still awaits a decision"
            self._finish(run)
        return run

    def _pending(self) -> int | None:
        """The oldest candidate in development without any approval or rejection."""
        for v in self.session.list_versions(self.model, stage="development"):
            if v.candidate and not self.session.approvals(self.model, v.version):
                return int(v.version)
        return None

    def _end_quietly(self, run: RetrainingRun, status: str, reason: str) -> RetrainingRun:
        # Nothing is written: a no-op must not grow the audit trail.
        run.status, run.reason, run.finished_at = status, reason, time.time()
        for s in run.steps.values():
            s.status, s.message = "skipped", reason
        return run

    # -- the steps -------------------------------------------------------------------
    def _step(
        self,
        run: RetrainingRun,
        name: str,
        body: Callable[[RetrainingRun], tuple[str, str, dict[str, Any]]],
    ) -> RetrainingRun:
        step = run.steps[name]
        if step.status != "pending":
            return run
        if run.finished:
            step.status, step.message = "skipped", f"the run is {run.status}"
            return run
        missing = [s for s in STEPS[: STEPS.index(name)] if run.steps[s].status == "pending"]
        if missing:
            raise RuntimeError(f"step {name!r} needs {', '.join(missing)} first")
        t0 = time.perf_counter()
        try:
            status, message, detail = body(run)
        except Exception as exc:
            status, message, detail = "error", f"{type(exc).__name__}: {exc}", {}
        step.status, step.message, step.detail = status, message, detail
        step.seconds = time.perf_counter() - t0
        if status == "failed":
            run.status, run.reason = "stopped", f"{name}: {message}"
        elif status == "error":
            run.status, run.reason = "failed", f"{name}: {message}"
        elif name == STEPS[-1]:
            run.status = "awaiting_approval"
        journal.append(
            self.session,
            "retraining.step",
            f"model:{self.model}",
            {"run": run.run_id, "delivery_id": run.delivery_id, **step.to_dict()},
        )
        if run.finished:
            self._finish(run)
        return run

    def _finish(self, run: RetrainingRun) -> None:
        run.finished_at = time.time()
        for s in run.steps.values():
            if s.status == "pending":
                s.status, s.message = "skipped", f"the run is {run.status}"
        trig = run.trigger or {}
        journal.append(
            self.session,
            "retraining.run",
            f"model:{self.model}",
            {
                "run": run.run_id,
                "delivery_id": run.delivery_id,
                "status": run.status,
                "reason": run.reason,
                "version": None if run.version is None else run.version.version,
                "parent": run.parent,
                "dataset": None if run.dataset is None else run.dataset.ref,
                "trigger": {k: trig.get(k) for k in ("id", "monitor", "policy", "window", "reason")}
                if trig
                else None,
                "steps": {s.step: s.status for s in run.steps.values()},
            },
        )

    def load(self, run: RetrainingRun) -> RetrainingRun:
        """Step 1: read the new data (and the holdout, or split one off)."""
        return self._step(run, "load", self._load)

    def validate(self, run: RetrainingRun) -> RetrainingRun:
        """Step 2: check the data against the rules; failing data stops the run."""
        return self._step(run, "validate", self._validate)

    def train(self, run: RetrainingRun) -> RetrainingRun:
        """Step 3: call the training function."""
        return self._step(run, "train", self._train)

    def evaluate(self, run: RetrainingRun) -> RetrainingRun:
        """Step 4: score the candidate (and the production model) on the holdout; check
        the gates. A failing gate stops the run."""
        return self._step(run, "evaluate", self._evaluate)

    def register(self, run: RetrainingRun) -> RetrainingRun:
        """Step 5: register the training data and the candidate version with its lineage."""
        return self._step(run, "register", self._register)

    def request_approval(self, run: RetrainingRun) -> RetrainingRun:
        """Step 6: ask approvers to review the candidate (an audited request). Never
        promotes."""
        return self._step(run, "request_approval", self._request_approval)

    # -- step bodies -----------------------------------------------------------------
    def _source(self, source: Any, run: RetrainingRun) -> Any:
        return source(run.trigger) if callable(source) else source

    def _load(self, run: RetrainingRun) -> tuple[str, str, dict[str, Any]]:
        raw = self._source(self.data, run)
        if isinstance(raw, PathLike):
            run.data_uri = Path(raw).resolve().as_uri()
        data = read_table(raw)
        missing = missing_columns(data, self.label, self.sensitive, self.features or [])
        if missing:
            return (
                "failed",
                f"columns missing from the data: {', '.join(missing)}",
                {"missing": missing},
            )
        if self.features is None:
            skip = {self.label, *self.sensitive, self.prediction, self.score}
            run.features = [c for c in data.column_names if c not in skip]
        else:
            run.features = list(self.features)
        run.data = data
        if self.holdout is not None:
            held = read_table(self._source(self.holdout, run))
            # The holdout is scored on the features and evaluated on the label and the
            # sensitive columns: without one, training would run for nothing and the run
            # would fail at evaluate with the core's SchemaError instead of stopping here.
            missing = missing_columns(held, self.label, self.sensitive, run.features)
            if missing:
                return (
                    "failed",
                    f"columns missing from the holdout: {', '.join(missing)}",
                    {"missing": missing},
                )
            run.train_data, run.holdout = data, held
        else:
            order = np.random.default_rng(self.seed).permutation(data.num_rows)
            cut = round(data.num_rows * self.holdout_share)
            run.holdout = data.take(np.sort(order[:cut]))
            run.train_data = data.take(np.sort(order[cut:]))
        if run.train_data.num_rows == 0 or run.holdout.num_rows == 0:
            return "failed", "no rows to train on or to evaluate with", {"rows": data.num_rows}
        detail = {
            "rows": data.num_rows,
            "train_rows": run.train_data.num_rows,
            "holdout_rows": run.holdout.num_rows,
            "uri": run.data_uri,
        }
        return (
            "passed",
            f"{run.train_data.num_rows} rows to train, {run.holdout.num_rows} to evaluate",
            detail,
        )

    def _validate(self, run: RetrainingRun) -> tuple[str, str, dict[str, Any]]:
        if self.rules is None:
            return "passed", "no rules given", {}
        from driftline.validation import validate

        report = validate(run.data, self.rules)
        run.validation = report
        detail: dict[str, Any] = {"data": report.to_dict()}
        failures = list(report.failures)
        if self.holdout is not None:
            held = validate(run.holdout, self.rules)
            detail["holdout"] = held.to_dict()
            failures += held.failures
        if failures:
            shown = "; ".join(f.message for f in failures[:5])
            return "failed", f"{len(failures)} rule(s) failed: {shown}", detail
        return "passed", f"{len(report.results)} rule(s) passed", detail

    def _train(self, run: RetrainingRun) -> tuple[str, str, dict[str, Any]]:
        job = TrainingJob(
            data=run.train_data,
            features=list(run.features),
            label=self.label,
            run_id=run.run_id,
            delivery_id=run.delivery_id,
            trigger=run.trigger,
            artifacts=self.artifacts,
        )
        out = self.training_function(job)
        if not isinstance(out, TrainedModel):
            raise TypeError(
                f"train returned {type(out).__name__}; it must return "
                "dl.retraining.TrainedModel(model=..., artifact=...)"
            )
        run.candidate = out
        detail = {"artifact": str(out.artifact), "framework": out.framework, "params": out.params}
        return "passed", f"trained; artifact {out.artifact}", journal.plain(detail)

    def _scored(self, model: Any, table: pa.Table, cols: list[str]) -> pa.Table:
        return holdout.scored(
            model, table, cols, self.prediction, self.score, self.task, self.positive
        )

    def _metrics(self, scored: pa.Table) -> tuple[dict[str, float | None], dict[str, str]]:
        return holdout.metrics(
            scored,
            prediction=self.prediction,
            label=self.label,
            score=self.score,
            task=self.task,
            positive=self.positive,
            sensitive=self.sensitive,
        )

    def _production(self) -> Any:
        number = self.session.get_model(self.model).production_version
        return None if number is None else self.session.get_version(self.model, number)

    def _evaluate(self, run: RetrainingRun) -> tuple[str, str, dict[str, Any]]:
        assert run.candidate is not None
        candidate, reasons = self._metrics(
            self._scored(run.candidate.model, run.holdout, run.features)
        )
        prod = self._production()
        run.parent = None if prod is None else prod.version
        baseline: dict[str, float | None] | None = None
        source = None
        if self.baseline is not None:
            base_model = self.baseline
            if callable(base_model) and not hasattr(base_model, "predict"):
                base_model = base_model(run)
            baseline, _ = self._metrics(self._scored(base_model, run.holdout, run.features))
            source = "model" if prod is None else f"model (production v{prod.version})"
        elif prod is not None:
            baseline = {
                k: float(v)
                for k, v in prod.metrics.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            }
            source = f"registry:v{prod.version}"
        ev = Evaluation(run.holdout.num_rows, candidate, baseline, source, reasons)
        run.evaluation = ev
        run.gates = [g.check(ev) for g in self.gates]
        detail = {"evaluation": ev.to_dict(), "gates": [g.to_dict() for g in run.gates]}
        failed = [g for g in run.gates if not g.passed]
        if failed:
            return "failed", "; ".join(f"{g.gate}: {g.message}" for g in failed), detail
        return "passed", f"{len(run.gates)} gate(s) passed", detail

    def _lineage_tags(self, run: RetrainingRun) -> dict[str, str]:
        tags = {journal.DELIVERY_TAG: run.delivery_id, "retraining.run_id": run.run_id}
        trig = run.trigger or {}
        for key in ("id", "monitor", "policy", "window"):
            if trig.get(key) is not None:
                tags[f"retraining.trigger_{key}"] = str(trig[key])[:_TAG_LIMIT]
        return tags

    def _register(self, run: RetrainingRun) -> tuple[str, str, dict[str, Any]]:
        from driftline.profile import profile

        assert run.candidate is not None and run.evaluation is not None
        existing = journal.candidate_for(self.session, self.model, run.delivery_id)
        if existing is not None:  # a concurrent or crashed earlier attempt got here first
            run.version = existing
            return "passed", f"v{existing.version} was registered by this delivery", {}
        reference = profile(
            self._scored(run.candidate.model, run.train_data, run.features), bins=10
        )
        cand = run.candidate
        metrics = {
            **journal.plain(cand.metrics),
            **{k: v for k, v in run.evaluation.candidate.items() if v is not None},
        }
        # Every check of the version (artifact is a file, its checksum, JSON payloads,
        # tags, the profile) runs before anything is written: registering the dataset
        # first would leave it in the catalogue, used by no version, whenever they fail.
        # What can still fail after the dataset is written is the registry's own
        # transaction (a model suspended meanwhile, a person's session without write
        # access to the model): docs/retraining.md says what is then left.
        spec = VersionSpec.build(
            artifact_uri=cand.artifact,
            checksum=cand.checksum,
            framework=cand.framework,
            params=journal.plain(cand.params),
            metrics=metrics,
            tags=self._lineage_tags(run),
            reference_profile=reference,
            parent=run.parent,
        )
        self._check_trigger_binding()
        dataset = self.session.register_dataset(self.dataset, run.data, uri=run.data_uri)
        run.dataset = dataset
        version = self.session.register_versions(
            self.model, [dataclasses.replace(spec, training_dataset=dataset.ref)]
        )[0]
        run.version = version
        detail = {
            "version": version.version,
            "candidate": version.candidate,
            "dataset": dataset.ref,
            "fingerprint": dataset.fingerprint,
            "parent": run.parent,
            "checksum": version.checksum,
        }
        return "passed", f"registered v{version.version} (trained on {dataset.ref})", detail

    def _check_trigger_binding(self) -> None:
        """A trigger may register datasets but only versions of its own model: refuse a
        trigger of another model before the dataset is written, not after."""
        me = self.session.whoami()
        if me.kind == "trigger" and me.trigger_model != self.model:
            raise PermissionDenied(
                f"registry: trigger {me.name!r} is bound to model {me.trigger_model!r}, "
                f"not {self.model!r}"
            )

    def _request_approval(self, run: RetrainingRun) -> tuple[str, str, dict[str, Any]]:
        v = run.version
        assert v is not None
        if not journal.requested(self.session, self.model, v.version, run.delivery_id):
            journal.append(
                self.session,
                "approval.request",
                f"version:{self.model}/{v.version}",
                {
                    "run": run.run_id,
                    "delivery_id": run.delivery_id,
                    "requested_by": self.session.user,
                    "checksum": v.checksum,
                    "parent": run.parent,
                    "evaluation": None if run.evaluation is None else run.evaluation.to_dict(),
                    "gates": [g.to_dict() for g in run.gates],
                    "trigger": run.trigger,
                },
            )
        return (
            "passed",
            f"approval requested for v{v.version}; it stays a candidate until approved and "
            "promoted by people",
            {"version": v.version},
        )
