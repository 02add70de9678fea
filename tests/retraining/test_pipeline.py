"""RetrainingPipeline: validate, train, evaluate, register, request approval; never promote."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from retraining_helpers import MODEL, World, fit

import driftline as dl
from driftline.actions import DeliveryError, Outbox, Suppressed
from driftline.retraining import STEPS, TrainedModel, TrainingJob

TRIGGER = {
    "id": "trg_0123",
    "monitor": "clf-prod",
    "policy": "drift",
    "window": "w00000007",
    "reason": "drift: 2 >= 1",
}


def versions(world: World) -> list[int]:
    return [v.version for v in world.carol.list_versions(MODEL)]


def test_happy_path_registers_a_candidate_awaiting_approval(world: World) -> None:
    run = world.pipeline().run(trigger=TRIGGER, delivery_id="msg_1")
    assert run.status == "awaiting_approval", run.summary()
    assert run.ok and run.reason is None
    assert [s.status for s in run.steps.values()] == ["passed"] * len(STEPS)
    assert run.validation.passed
    assert [g.passed for g in run.gates] == [True, True]
    assert run.evaluation.baseline_source == "model (production v1)"
    assert run.evaluation.candidate["roc_auc"] > 0.9

    v = world.carol.get_version(MODEL, 2)
    assert v.candidate and v.stage == "development"
    assert v.created_by == "clf-retrainer"
    assert v.parent_version == 1
    assert v.tags["retraining.delivery_id"] == "msg_1"
    assert v.tags["retraining.trigger_id"] == "trg_0123"
    assert v.tags["retraining.trigger_policy"] == "drift"
    assert v.tags["retraining.run_id"] == run.run_id
    assert v.metrics["roc_auc"] == pytest.approx(run.evaluation.candidate["roc_auc"])
    assert v.artifact_uri.startswith("file://") and v.checksum.startswith("sha256:")
    assert world.carol.approvals(MODEL, 2) == []
    assert world.carol.get_model(MODEL).production_version == 1

    # Lineage: dataset fingerprint and version, reference profile, parent.
    node, parent = world.carol.lineage(MODEL, 2)
    assert node.training_dataset is not None
    assert node.training_dataset.ref == "clf-training@2"
    assert node.training_dataset.fingerprint == dl.profile(world.data).fingerprint
    assert node.training_dataset.row_count == world.data.num_rows
    assert node.reference_profile_sha256 is not None
    assert parent.version == 1 and parent.stage == "production"
    ref = world.carol.reference_profile(MODEL, 2)
    assert {"x0", "x1", "x2", "prediction", "score"} <= set(ref.columns)

    # The audit trail: one event per step, the run's end, and the approval request.
    steps = [e.after for e in world.events("retraining.step")]
    assert [(e["step"], e["status"]) for e in steps] == [(s, "passed") for s in STEPS]
    assert all(e["run"] == run.run_id and e["delivery_id"] == "msg_1" for e in steps)
    (end,) = [e.after for e in world.events("retraining.run")]
    assert end["status"] == "awaiting_approval" and end["version"] == 2
    assert end["trigger"]["id"] == "trg_0123"
    (request,) = world.events("approval.request")
    assert request.target == f"version:{MODEL}/2" and request.actor == "clf-retrainer"
    assert [g["passed"] for g in request.after["gates"]] == [True, True]
    assert world.reg.audit.verify().ok

    # People take it from there: the four-eyes approval and promotion still work.
    world.alice.approve(MODEL, 2, comment="reviewed the retraining run")
    world.carol.transition(MODEL, 2, "staging")
    assert world.alice.promote(MODEL, 2).stage == "production"


def test_bad_data_stops_before_training(world: World) -> None:
    x0 = world.data.column("x0").to_numpy().copy()
    bad = world.data.set_column(0, "x0", pa.array(x0, mask=np.arange(len(x0)) % 50 == 0))
    run = world.pipeline(data=bad).run(delivery_id="msg_bad")
    assert run.status == "stopped" and run.stopped_at == "validate"
    assert "x0" in (run.reason or "") and "null" in (run.reason or "")
    assert run.validation is not None and not run.validation.passed
    assert [f.rule for f in run.validation.failures] == ["not_null"]
    assert world.calls == []  # the training function never ran
    assert [run.steps[s].status for s in STEPS[2:]] == ["skipped"] * 4
    assert versions(world) == [1]
    assert [d.ref for d in world.carol.list_datasets()] == ["clf-training@1"]
    (end,) = [e.after for e in world.events("retraining.run")]
    assert end["status"] == "stopped" and "validate" in end["reason"]
    (step,) = [e.after for e in world.events("retraining.step") if e.after["step"] == "validate"]
    assert step["status"] == "failed" and not step["detail"]["data"]["passed"]


def test_failing_gate_stops_before_registration(world: World) -> None:
    def worse(job: TrainingJob) -> TrainedModel:
        return fit(job, shuffle_labels=True)

    run = world.pipeline(train=worse).run(delivery_id="msg_gate")
    assert run.status == "stopped" and run.stopped_at == "evaluate"
    assert "performance:roc_auc" in (run.reason or "") and "dropped" in (run.reason or "")
    (gate, _) = run.gates
    assert not gate.passed and gate.baseline is not None and gate.candidate < gate.baseline
    assert run.steps["register"].status == "skipped"
    assert versions(world) == [1]
    assert len(world.carol.list_datasets()) == 1
    (end,) = [e.after for e in world.events("retraining.run")]
    assert end["status"] == "stopped" and "dropped" in end["reason"]


def test_fairness_gate(world: World) -> None:
    # The group is a proxy of x0: a model that leans on x0 selects one group far more.
    x0 = world.data.column("x0").to_numpy()
    i = world.data.schema.get_field_index("group")
    skewed = world.data.set_column(i, "group", pa.array(np.where(x0 > 0.5, "b", "a")))
    run = world.pipeline(data=skewed).run(delivery_id="msg_fair")
    assert run.status == "stopped" and run.stopped_at == "evaluate"
    assert "fairness:disparate_impact" in (run.reason or "")
    assert "below the minimum 0.8" in (run.reason or "")
    assert [g.passed for g in run.gates] == [True, False]
    assert versions(world) == [1]


def test_training_error_is_recorded_without_a_partial_write(world: World) -> None:
    def broken(job: TrainingJob) -> TrainedModel:
        raise MemoryError("the training node ran out of memory")

    pipeline = world.pipeline(train=broken)
    run = pipeline.run(delivery_id="msg_err")
    assert run.status == "failed" and run.stopped_at == "train"
    assert "MemoryError" in (run.reason or "")
    assert run.steps["train"].status == "error"
    assert versions(world) == [1]
    assert len(world.carol.list_datasets()) == 1
    (step,) = [e.after for e in world.events("retraining.step") if e.after["step"] == "train"]
    assert step["status"] == "error" and "out of memory" in step["message"]
    (end,) = [e.after for e in world.events("retraining.run")]
    assert end["status"] == "failed"
    # Through the outbox it is a dead letter, which a replay runs again.
    with pytest.raises(DeliveryError, match="out of memory"):
        pipeline.deliver(TRIGGER, "msg_err")
    assert world.pipeline().run(delivery_id="msg_err").status == "awaiting_approval"
    assert world.reg.audit.verify().ok


def test_redelivery_is_a_no_op(world: World) -> None:
    pipeline = world.pipeline()
    pipeline.deliver(TRIGGER, "msg_1")
    events = len(world.events())
    pipeline.deliver(TRIGGER, "msg_1")
    again = pipeline.run(trigger=TRIGGER, delivery_id="msg_1")
    assert again.status == "duplicate" and again.ok
    assert again.previous is not None and again.previous["version"] == 2
    assert versions(world) == [1, 2]
    assert len(world.calls) == 1
    assert len(world.events()) == events  # nothing written at all
    # A stopped run is final too: redelivering it does not train again.
    bad = world.pipeline(rules=[dl.validation.Range("x0", min=100)], while_pending="run")
    assert bad.run(delivery_id="msg_2").status == "stopped"
    assert bad.run(delivery_id="msg_2").status == "duplicate"


def test_crash_after_registration_resumes_at_the_approval_request(world: World) -> None:
    pipeline = world.pipeline()
    run = pipeline.start(trigger=TRIGGER, delivery_id="msg_crash")
    for step in STEPS[:-1]:
        getattr(pipeline, step)(run)
    assert run.status == "running" and run.version.version == 2
    # The process dies here; the outbox redelivers the same id.
    resumed = world.pipeline().run(trigger=TRIGGER, delivery_id="msg_crash")
    assert resumed.status == "awaiting_approval"
    assert resumed.version.version == 2 and resumed.steps["train"].status == "skipped"
    assert versions(world) == [1, 2]
    assert len(world.calls) == 1
    assert len(world.events("approval.request")) == 1


def test_steps_one_by_one_as_an_orchestrator_would(world: World) -> None:
    pipeline = world.pipeline()
    run = pipeline.start(trigger=TRIGGER, delivery_id="msg_dag")
    with pytest.raises(RuntimeError, match="needs load, validate first"):
        pipeline.train(run)
    pipeline.load(run)
    assert run.steps["load"].status == "passed" and run.train_data.num_rows == 1200
    pipeline.validate(run)
    pipeline.validate(run)  # a retried task does not run a step twice
    assert len(world.events("retraining.step")) == 2
    for step in ("train", "evaluate", "register", "request_approval"):
        getattr(pipeline, step)(run)
    assert run.status == "awaiting_approval" and run.finished_at is not None
    assert run.to_dict()["version"] == 2


def test_one_pending_candidate_at_a_time(world: World) -> None:
    assert world.pipeline().run(trigger=TRIGGER, delivery_id="msg_1").ok
    second = world.pipeline().run(delivery_id="msg_2")
    assert second.status == "stopped" and "v2" in (second.reason or "")
    assert all(s.status == "skipped" for s in second.steps.values())
    assert len(world.calls) == 1 and versions(world) == [1, 2]
    assert world.events("retraining.run")[-1].after["status"] == "stopped"
    # Once people decided on v2 (here: rejected it), the next trigger retrains.
    world.alice.reject(MODEL, 2, comment="wait for more data")
    assert world.pipeline().run(delivery_id="msg_3").ok
    assert versions(world) == [1, 2, 3]


def test_never_promotes(world: World) -> None:
    world.pipeline().run(delivery_id="msg_1")
    world.pipeline(while_pending="run").run(delivery_id="msg_2")
    assert world.carol.get_model(MODEL).production_version == 1
    assert [v.stage for v in world.carol.list_versions(MODEL)] == [
        "production",
        "development",
        "development",
    ]
    by_trigger = [e.action for e in world.events() if e.actor == "clf-retrainer"]
    assert "transition" not in by_trigger and "approve" not in by_trigger
    # The trigger identity could not promote even if it tried.
    with pytest.raises(dl.exceptions.PermissionDenied):
        world.trigger.transition(MODEL, 2, "staging")


def test_suspended_model_is_suppressed(world: World) -> None:
    world.admin.suspend(MODEL, reason="incident 7")
    events = len(world.events())
    pipeline = world.pipeline()
    assert pipeline.run(delivery_id="msg_s").status == "suppressed"
    with pytest.raises(Suppressed, match="incident 7"):
        pipeline.deliver(TRIGGER, "msg_s")
    assert world.calls == [] and len(world.events()) == events


def test_registry_metrics_as_baseline_and_explicit_holdout(world: World) -> None:
    holdout = world.data.slice(0, 400)
    run = world.pipeline(baseline=None, holdout=holdout).run(delivery_id="msg_h")
    assert run.status == "awaiting_approval"
    assert run.evaluation.baseline_source == "registry:v1"
    assert run.evaluation.baseline == {"roc_auc": 0.97}
    assert run.evaluation.rows == 400 and run.train_data.num_rows == world.data.num_rows


def test_data_from_a_callable_and_a_missing_column(world: World) -> None:
    seen = []

    def load(trigger: dict[str, object] | None) -> pa.Table:
        seen.append(trigger)
        return world.data.drop_columns(["x2"])

    run = world.pipeline(data=load).run(trigger=TRIGGER, delivery_id="msg_c")
    assert seen == [TRIGGER]
    assert run.status == "stopped" and run.stopped_at == "load" and "x2" in (run.reason or "")


def test_as_a_monitor_action_through_the_outbox(world: World) -> None:
    pipeline = world.pipeline()
    reference = world.carol.reference_profile(MODEL, 1)
    mon = dl.Monitor(
        reference,
        features=["x0", "x1", "x2"],
        window=500,
        dispatch="manual",
        policies=[dl.policies.Drift(features=1)],
        actions=[pipeline, dl.actions.Call(lambda p: None, name="noop")],
        name="clf-prod",
    )
    shifted = world.data.slice(0, 500)
    shifted = shifted.set_column(0, "x0", pc.add(shifted.column("x0"), 3.0))
    mon.observe(shifted.select(["x0", "x1", "x2"]))
    (trigger,) = mon.history[-1].triggers
    assert mon.dispatch()["delivered"] == 2
    v = world.carol.get_version(MODEL, 2)
    assert v.candidate and v.tags["retraining.trigger_id"] == trigger.id
    (row,) = [d for d in mon.outbox.list() if d.action == pipeline.name]
    assert v.tags["retraining.delivery_id"] == row.id and row.status == "delivered"
    # Replaying the delivered row (an operator's mistake, or a crash before its status
    # was saved) changes nothing.
    pipeline.deliver(row.payload, row.id)
    assert versions(world) == [1, 2]
    mon.close()


def test_call_action_uses_the_trigger_id(world: World) -> None:
    pipeline = world.pipeline()
    box = Outbox(":memory:")
    action = dl.actions.Call(pipeline, name="retrain")
    box.put("trg_9", TRIGGER, [action.name])
    assert box.dispatch([action])["delivered"] == 1
    assert world.carol.get_version(MODEL, 2).tags["retraining.delivery_id"] == "trg_0123"
    assert pipeline(TRIGGER).status == "duplicate"


def test_run_record_is_json_and_a_wrong_return_is_an_error(world: World) -> None:
    import json

    run = world.pipeline().run(trigger=TRIGGER, delivery_id="msg_j")
    record = json.loads(json.dumps(run.to_dict()))
    assert record["status"] == "awaiting_approval" and record["version"] == 2
    assert [s["step"] for s in record["steps"]] == list(STEPS)
    assert "awaiting_approval" in run.summary()

    wrong = world.pipeline(train=lambda job: "not a model", while_pending="run")
    failed = wrong.run(delivery_id="msg_w")
    assert failed.status == "failed" and "TrainedModel" in (failed.reason or "")


def test_bad_arguments_fail_early(world: World) -> None:
    with pytest.raises(ValueError, match="holdout_share"):
        world.pipeline(holdout_share=1.0)
    with pytest.raises(TypeError, match="not a gate"):
        world.pipeline(gates=[object()])
    with pytest.raises(ValueError, match="needs minimum"):
        dl.retraining.PerformanceGate("auc")
