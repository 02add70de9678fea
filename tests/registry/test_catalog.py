"""Models, versions, tags, aliases, lineage, datasets and hostile input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from registry_helpers import CHECKSUM, FakeProfile, checksum, raw_engine

import driftline as dl
from driftline.exceptions import ConflictError, InvalidParameter, NotFound, PermissionDenied

HOSTILE = [
    'it\'s a "model"',
    "x'; DROP TABLE models; --",
    "Robert'); DELETE FROM audit_events;--",
    "模型-モデル-🚀",
    "naïve café",
    "%s %d {0} ${HOME} $(rm -rf /)",
    "../../etc/passwd",
    "a" * 256,
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stored_literally(people, name: str) -> None:
    p = people
    p.carol.create_model(name, description=name * 4)
    model = p.victor.get_model(name)
    assert model.name == name and model.description == name * 4
    v = p.carol.register_version(
        name, artifact_uri="s3://b/m", checksum=CHECKSUM, tags={name: name}
    )
    assert p.victor.search_versions(tags={name: name})[0].model == name
    assert v.tags == {name: name}
    assert [m.name for m in p.victor.list_models()] == [name]


@pytest.mark.parametrize(
    "name", ["", " padded ", "a" * 10_240, "nul\x00byte", "line\nbreak", "tab\there", 42, None]
)
def test_bad_names_refused_clearly(people, name: object) -> None:
    with pytest.raises(InvalidParameter, match="model name"):
        people.carol.create_model(name)  # type: ignore[arg-type]
    assert people.victor.list_models() == []


def test_long_text_stored_literally_or_refused(people) -> None:
    text = "é" * 10_240
    assert people.carol.create_model("m", description=text).description == text
    with pytest.raises(InvalidParameter, match="at most"):
        people.carol.create_model("m2", description="x" * 100_000)
    with pytest.raises(InvalidParameter, match="tag"):
        people.carol.register_version(
            "m", artifact_uri="s3://b/m", checksum=CHECKSUM, tags={"k": "v" * 10_240}
        )


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket/models/../../secrets",
        "file:///srv/models/../../../etc/shadow",
        "/srv/models/..",
        "s3://bucket/%2e%2e/x",
        "s3://bucket/%252e%252e/x",
        "file:///srv\\..\\windows",
        "relative/path/model.pkl",
        "..",
        "s3://bucket/m\x00",
        "x" * 5000,
    ],
)
def test_path_traversal_and_bad_uris_refused(people, uri: str) -> None:
    people.carol.create_model("m")
    with pytest.raises(InvalidParameter):
        people.carol.register_version("m", artifact_uri=uri, checksum=CHECKSUM)
    assert people.victor.list_versions("m") == []


def test_checksums(people, tmp_path: Path) -> None:
    p = people
    p.carol.create_model("m")
    with pytest.raises(InvalidParameter, match="checksum is required"):
        p.carol.register_version("m", artifact_uri="s3://b/m")
    with pytest.raises(InvalidParameter, match="not 'algo:hex'"):
        p.carol.register_version("m", artifact_uri="s3://b/m", checksum="abc")
    v = p.carol.register_version("m", artifact_uri="s3://b/m", checksum="AB" * 32)
    assert v.checksum == "sha256:" + "ab" * 32
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(b"weights" * 1000)
    v = p.carol.register_version("m", artifact_uri=artifact)
    assert v.checksum == "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    assert v.artifact_uri == artifact.resolve().as_uri()
    with pytest.raises(InvalidParameter, match="does not match"):
        p.carol.register_version("m", artifact_uri=artifact, checksum=CHECKSUM)


def test_versions_fields_tags_search(people) -> None:
    p = people
    p.carol.create_model("m")
    p.carol.register_version(
        "m",
        artifact_uri="s3://b/1",
        checksum=checksum(1),
        framework="sklearn",
        params={"C": 1.0, "layers": [1, 2]},
        metrics={"auc": 0.91},
        tags={"team": "risk", "region": "eu"},
    )
    p.carol.register_version(
        "m", artifact_uri="s3://b/2", checksum=checksum(2), tags={"team": "ops"}
    )
    v1 = p.victor.get_version("m", 1)
    assert (v1.framework, v1.params, v1.metrics) == (
        "sklearn",
        {"C": 1.0, "layers": [1, 2]},
        {"auc": 0.91},
    )
    assert [v.version for v in p.victor.search_versions(tags={"team": "risk"})] == [1]
    assert [v.version for v in p.victor.list_versions(tags={"team": "risk", "region": "us"})] == []
    assert [v.version for v in p.victor.list_versions("m", stage="development")] == [1, 2]
    assert [v.version for v in p.victor.list_versions(limit=1, offset=1)] == [2]
    with pytest.raises(InvalidParameter):
        p.carol.register_version(
            "m", artifact_uri="s3://b", checksum=CHECKSUM, metrics={"x": float("nan")}
        )
    with pytest.raises(NotFound):
        p.victor.get_version("m", 9)
    with pytest.raises(NotFound):
        p.victor.get_model("nope")
    with pytest.raises(ConflictError):
        p.carol.create_model("m")


def test_aliases(people) -> None:
    p = people
    p.carol.create_model("m")
    for i in range(2):
        p.carol.register_version("m", artifact_uri=f"s3://b/{i}", checksum=checksum(i))
    p.carol.set_alias("m", "champion", 1)
    p.carol.set_alias("m", "challenger", 2)
    assert p.victor.get_version("m", "champion").version == 1
    p.carol.set_alias("m", "champion", 2)
    assert p.victor.get_model("m").aliases == {"champion": 2, "challenger": 2}
    p.carol.remove_alias("m", "challenger")
    with pytest.raises(NotFound):
        p.victor.get_version("m", "challenger")
    with pytest.raises(InvalidParameter):
        p.carol.set_alias("m", "not valid!", 1)


def test_alias_moves_are_audited(reg: dl.Registry, people) -> None:
    p = people
    p.carol.create_model("m")
    for i in range(2):
        p.carol.register_version("m", artifact_uri=f"s3://b/{i}", checksum=checksum(i))
    p.carol.set_alias("m", "champion", 1)
    p.carol.set_alias("m", "champion", 2)
    moves = [(e.before, e.after) for e in reg.audit.events() if e.action == "alias.set"]
    assert moves == [(None, {"version": 1}), ({"version": 1}, {"version": 2})]


def test_lineage_and_datasets(people) -> None:
    p = people
    train = FakeProfile({"x": [1, 2, 3], "y": ["a", "b", None]})
    ds = p.carol.register_dataset("train", train, uri="s3://data/train.parquet")
    assert (ds.name, ds.version, ds.row_count, ds.fingerprint) == ("train", 1, 3, train.fingerprint)
    assert ds.schema == [("x", "int64"), ("y", "string")]
    assert p.carol.register_dataset("train", train).version == 1  # same fingerprint: same version
    ds2 = p.carol.register_dataset("train", FakeProfile({"x": [4, 5]}))
    assert ds2.version == 2
    assert [d.ref for d in p.victor.list_datasets()] == ["train@1", "train@2"]
    assert p.victor.dataset_profile_bytes("train@1") == train.to_bytes()
    with pytest.raises(PermissionDenied):
        p.alice.register_dataset("nope", train)
    with pytest.raises(InvalidParameter, match=r"pathlib\.Path"):
        p.carol.register_dataset("from-string", "/etc/passwd")

    p.carol.create_model("m")
    p.carol.register_version(
        "m", artifact_uri="s3://b/1", checksum=checksum(1), training_dataset="train@1"
    )
    p.carol.register_version(
        "m",
        artifact_uri="s3://b/2",
        checksum=checksum(2),
        training_dataset="train",
        reference_profile=train,
        parent=1,
    )
    p.carol.register_version("m", artifact_uri="s3://b/3", checksum=checksum(3), parent=2)
    chain = p.victor.lineage("m", 3)
    assert [n.version for n in chain] == [3, 2, 1]
    assert chain[1].training_dataset is not None and chain[1].training_dataset.ref == "train@2"
    assert chain[2].training_dataset.ref == "train@1"
    assert chain[1].reference_profile_sha256 == hashlib.sha256(train.to_bytes()).hexdigest()
    assert p.victor.reference_profile_bytes("m", 2) == train.to_bytes()
    assert p.victor.get_version("m", 2).training_dataset == "train@2"
    with pytest.raises(NotFound):
        p.carol.register_version(
            "m", artifact_uri="s3://b/4", checksum=CHECKSUM, training_dataset="nope"
        )
    with pytest.raises(NotFound):
        p.carol.register_version("m", artifact_uri="s3://b/4", checksum=CHECKSUM, parent=99)
    assert len(p.victor.list_versions("m")) == 3


def test_failed_call_leaves_nothing(reg: dl.Registry, people) -> None:
    """A version whose training dataset does not exist is not half-written."""
    p = people
    p.carol.create_model("m")
    with pytest.raises(NotFound):
        p.carol.register_version(
            "m", artifact_uri="s3://b", checksum=CHECKSUM, tags={"a": "b"}, training_dataset="x"
        )
    with raw_engine(reg).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM versions").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM version_tags").scalar() == 0
