"""Gates read metrics under their aliases: a production version whose metrics were
recorded as ``auc`` (as registry.md shows) is compared with, not silently skipped."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from retraining_helpers import FEATURES, MODEL, World
from sklearn.metrics import roc_auc_score

from driftline.retraining import Evaluation, PerformanceGate


def test_registry_baseline_recorded_as_auc_is_compared() -> None:
    gate = PerformanceGate("auc", max_drop=0.02)
    result = gate.check(Evaluation(500, {"roc_auc": 0.90}, {"auc": 0.98}, "registry:v1"))
    assert not result.passed
    assert result.baseline == 0.98
    # 0.98 - 0.90 = 0.08, above the allowed 0.02.
    assert "dropped 0.08 from 0.98 to 0.9" in result.message


def test_alias_on_both_sides_and_canonical_key_wins() -> None:
    gate = PerformanceGate("roc_auc", max_drop=0.02)
    ok = gate.check(Evaluation(500, {"auc": 0.97}, {"auc": 0.98}, "registry:v1"))
    assert ok.passed and ok.candidate == 0.97 and ok.baseline == 0.98
    both = gate.check(Evaluation(500, {"roc_auc": 0.97}, {"auc": 0.5, "roc_auc": 0.98}, "model"))
    assert both.baseline == 0.98


def test_pipeline_stops_on_drop_from_registry_auc(world: World) -> None:
    # A production version whose metrics were recorded under the alias, with an AUC no
    # retrained candidate on noisy labels reaches.
    v2 = world.carol.register_version(
        MODEL,
        artifact_uri="s3://models/clf/2",
        checksum=hashlib.sha256(b"v2").hexdigest(),
        metrics={"auc": 0.9999},
    )
    world.carol.transition(MODEL, v2.version, "staging")
    world.alice.approve(MODEL, v2.version)
    world.alice.promote(MODEL, v2.version)
    run = world.pipeline(baseline=None, gates=[PerformanceGate("auc", max_drop=0.001)]).run(
        delivery_id="msg_alias"
    )
    assert run.status == "stopped", run.summary()
    (gate,) = run.gates
    assert not gate.passed and gate.baseline == pytest.approx(0.9999)
    # The candidate's AUC on the holdout, by scikit-learn.
    holdout = run.holdout
    X = np.column_stack([holdout.column(c).to_numpy() for c in FEATURES])
    expected = roc_auc_score(
        holdout.column("y").to_numpy(), run.candidate.model.predict_proba(X)[:, 1]
    )
    assert gate.candidate == pytest.approx(expected, abs=1e-9)
    assert expected < 0.9999 - 0.001
