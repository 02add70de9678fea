"""A registry with a model in production, its retraining trigger, and a training function."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from retraining_helpers import FEATURES, MODEL, World, make_data
from sklearn.linear_model import LogisticRegression

import driftline as dl


@pytest.fixture
def world(tmp_path: Path, rng: np.random.Generator) -> Iterator[World]:
    reg = dl.Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    admin = reg.session(reg.bootstrap("admin"))
    carol = reg.session(admin.create_user("carol", role="contributor"))
    alice = reg.session(admin.create_user("alice", role="approver"))
    carol.create_model(MODEL)
    first = make_data(rng, 2000)
    X = np.column_stack([first.column(c).to_numpy() for c in FEATURES])
    production = LogisticRegression().fit(X, first.column("y").to_numpy())
    carol.register_dataset("clf-training", first)
    v1 = carol.register_version(
        MODEL,
        artifact_uri="s3://models/clf/1",
        checksum=hashlib.sha256(b"v1").hexdigest(),
        training_dataset="clf-training",
        reference_profile=dl.profile(first),
        metrics={"roc_auc": 0.97},
    )
    carol.transition(MODEL, v1.version, "staging")
    alice.approve(MODEL, v1.version)
    alice.promote(MODEL, v1.version)
    trigger = reg.session(admin.create_trigger(MODEL, "clf-retrainer"))
    yield World(reg, admin, carol, alice, trigger, production, make_data(rng, 1600), tmp_path, [])
    reg.close()
