"""dl.validate: rules from Python and TOML, evaluated on a profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_helpers import FakeProfile

import driftline as dl
from driftline.exceptions import InvalidParameter, SchemaError
from driftline.validation import (
    AllowedValues,
    FingerprintMatch,
    MaxNullRate,
    NotNull,
    Range,
    SchemaMatch,
    Unique,
    load_rules,
)

PROFILE = FakeProfile(
    {
        "id": [1, 2, 3, 4],
        "amount": [10.0, None, 250.5, 3.0],
        "country": ["FR", "DE", "FR", None],
        "dup": [1, 1, 2, 3],
    }
)


def test_each_rule_passes_and_fails() -> None:
    cases = [
        (NotNull("id"), True),
        (NotNull("amount"), False),
        (Range("amount", min=0, max=300), True),
        (Range("amount", min=5), False),
        (Range("amount", max=100), False),
        (AllowedValues("country", ["FR", "DE"]), True),
        (AllowedValues("country", ["FR"]), False),
        (AllowedValues("amount", [1]), False),
        (MaxNullRate("amount", 0.25), True),
        (MaxNullRate("amount", 0.2), False),
        (Unique("id"), True),
        (Unique("dup"), False),
        (SchemaMatch(PROFILE.schema), True),
        (SchemaMatch([("id", "int64")]), False),
        (SchemaMatch([("id", "int64")], allow_extra=True), True),
        (SchemaMatch({"id": "string"}, allow_extra=True), False),
        (FingerprintMatch(PROFILE.fingerprint), True),
        (FingerprintMatch("0" * 32), False),
    ]
    for rule, expected in cases:
        report = dl.validate(PROFILE, [rule])
        assert report.passed is expected, (rule, report.summary())


def test_report() -> None:
    report = dl.validate(PROFILE, [NotNull("id"), NotNull("amount"), Range("amount", min=0)])
    assert not report.passed
    assert [r.rule for r in report.failures] == ["not_null"]
    assert report.failures[0].column == "amount"
    assert report.row_count == 4
    assert report.to_dict()["results"][1]["observed"] == 1
    assert "FAIL" in report.summary() and '"passed": false' in report.to_json()


def test_missing_column_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="'nope'"):
        dl.validate(PROFILE, [NotNull("nope")])


TOML = """
[[rules]]
kind = "not_null"
column = "id"

[[rules]]
kind = "range"
column = "amount"
min = 0
max = 1_000

[[rules]]
kind = "allowed_values"
column = "country"
values = ["FR", "DE"]

[[rules]]
kind = "max_null_rate"
column = "amount"
rate = 0.5

[[rules]]
kind = "unique"
column = "id"

[[rules]]
kind = "schema"
columns = { id = "int64", amount = "int64", country = "string", dup = "int64" }
"""


def test_rules_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(TOML, encoding="utf-8")
    for source in (path, TOML):
        report = dl.validate(PROFILE, source)
        assert report.passed, report.summary()
        assert len(report.results) == 6
    assert isinstance(load_rules(TOML)[1], Range)


@pytest.mark.parametrize(
    "bad",
    [
        '[[rules]]\nkind = "nope"\ncolumn = "x"',
        '[[rules]]\nkind = "range"\ncolumn = "x"\nminimum = 3',
        '[[rules]]\nkind = "max_null_rate"\ncolumn = "x"\nrate = 2',
        "rules = 3",
        "not [ toml",
    ],
)
def test_bad_rules(bad: str) -> None:
    with pytest.raises(InvalidParameter):
        dl.validate(PROFILE, bad)


def test_report_is_approval_evidence(reg: dl.Registry, people) -> None:
    p = people
    p.admin.configure(require_evidence=True)
    p.carol.create_model("m")
    p.carol.register_version("m", artifact_uri="s3://b/m", checksum="sha256:" + "1" * 64)
    p.carol.transition("m", 1, "staging")
    p.alice.approve("m", 1, evidence=dl.validate(PROFILE, [NotNull("amount")]))
    with pytest.raises(dl.exceptions.ConflictError, match="evidence"):
        p.carol.promote("m", 1)
    p.bob.approve("m", 1, evidence=dl.validate(PROFILE, [NotNull("id")]))
    assert p.carol.promote("m", 1).stage == "production"
    assert p.victor.approvals("m", 1)[1].evidence["passed"] is True


def test_fingerprint_from_registry(people) -> None:
    people.carol.register_dataset("train", PROFILE)
    rule = FingerprintMatch.from_registry(people.victor, "train@1")
    assert dl.validate(PROFILE, [rule]).passed
    other = FakeProfile({"id": [9]})
    assert not dl.validate(other, [rule]).passed


def test_on_real_data(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": [1, 2, 3, 3], "x": [0.5, None, 2.0, 3.0], "c": ["a", "b", "a", None]})
    rules = [NotNull("id"), Range("x", min=0, max=3), AllowedValues("c", ["a", "b"])]
    assert dl.validate(table, rules).passed
    report = dl.validate(table, [Unique("id")])
    assert not report.passed and report.results[0].observed == 3  # exact on raw data
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    assert dl.validate(path, rules).passed
    assert dl.validate(path, [FingerprintMatch(dl.profile(table).fingerprint)]).passed


def test_register_dataset_from_real_data(people, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": list(range(100)), "c": ["a", "b"] * 50})
    path = tmp_path / "train.parquet"
    pq.write_table(table, path)
    ds = people.carol.register_dataset("train", path)
    assert ds.row_count == 100 and ds.uri == path.resolve().as_uri()
    assert [name for name, _ in ds.schema] == ["id", "c"]
    assert people.carol.register_dataset("train", table).version == 1  # same content
    restored = people.victor.dataset_profile("train")
    assert restored.row_count == 100 and restored.fingerprint == ds.fingerprint


def test_a_nan_lies_in_no_range() -> None:
    """A NaN used to pass any range rule (the profile's min and max leave NaN out)."""
    import numpy as np
    import pyarrow as pa

    data = pa.table({"x": [0.5, float("nan"), 0.7]})
    failed = dl.validate(data, [Range("x", min=0, max=1)])
    assert not failed.passed
    assert "1 NaN value(s)" in failed.results[0].message
    assert dl.validate(data, [Range("x", min=0, max=1, allow_nan=True)]).passed
    assert not dl.validate(data, [Range("x", min=0, max=0.6, allow_nan=True)]).passed
    rules = load_rules({"rules": [{"kind": "range", "column": "x", "min": 0, "allow_nan": True}]})
    assert dl.validate(data, rules).passed
    assert dl.validate(pa.table({"x": np.array([0.5, 0.7])}), [Range("x", 0, 1)]).passed


def _values_within(values: list, low: object, high: object) -> bool:
    """The reference: every non-null Python value within the bounds."""
    return all(
        (low is None or v >= low) and (high is None or v <= high) for v in values if v is not None
    )


def test_ranges_of_temporal_columns_take_temporal_bounds(tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa

    utc = dt.UTC
    day = [dt.date(2024, 1, 1), None, dt.date(2024, 3, 31), dt.date(2024, 2, 29)]
    when = [
        dt.datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=utc),
        dt.datetime(2024, 1, 2, tzinfo=utc),
    ]
    data = pa.table(
        {
            "day": pa.array(day),
            "day64": pa.array(day, pa.date64()),
            "ts": pa.array([*when, None, None], pa.timestamp("us", tz="Europe/Paris")),
            "ns": pa.array([*when, None, None], pa.timestamp("ns")),
            "tod": pa.array(
                [dt.time(8, 30), dt.time(17, 0, 0, 500), None, dt.time(9)], pa.time64("us")
            ),
            "wait": pa.array(
                [dt.timedelta(seconds=5), dt.timedelta(milliseconds=1500), None, None],
                pa.duration("ms"),
            ),
        }
    )
    cases = [
        ("day", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("day", dt.date(2024, 1, 2), None),
        ("day", None, dt.date(2024, 3, 30)),
        ("day64", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("day64", dt.date(2023, 12, 31), dt.date(2024, 3, 30)),
        (
            "ts",
            dt.datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=utc),
            dt.datetime(2024, 1, 2, tzinfo=utc),
        ),
        ("ts", dt.datetime(2024, 1, 1, 12, 0, 0, 123457, tzinfo=utc), None),
        # A naive bound is UTC; Paris is an hour ahead of it in January.
        ("ns", dt.datetime(2024, 1, 1, 12), dt.datetime(2024, 1, 2)),
        ("ns", None, dt.datetime(2024, 1, 1, 23, 59, 59)),
        ("tod", dt.time(8, 30), dt.time(17, 0, 0, 500)),
        ("tod", dt.time(8, 30), dt.time(17)),
        ("wait", dt.timedelta(seconds=1), dt.timedelta(seconds=5)),
        ("wait", dt.timedelta(seconds=2), None),
    ]
    for col, low, high in cases:
        values = data[col].to_pylist()
        if col == "ns":  # naive timestamps: Python compares them as naive (UTC) values
            low = low and low.replace(tzinfo=None)
            high = high and high.replace(tzinfo=None)
        report = dl.validate(data, [Range(col, min=low, max=high)])
        assert report.passed == _values_within(values, low, high), (col, low, high)
    failed = dl.validate(data, [Range("day", min=dt.date(2024, 1, 2))]).results[0]
    assert "values span [2024-01-01, 2024-03-31]" in failed.message
    # TOML dates are bounds as well.
    rules = load_rules(
        '[[rules]]\nkind = "range"\ncolumn = "day"\nmin = 2024-01-01\nmax = 2024-03-31'
    )
    assert dl.validate(data, rules).passed
    # A bound of the wrong kind names the column.
    with pytest.raises(InvalidParameter, match=r"'day' is date32: a time bound"):
        dl.validate(data, [Range("day", min=dt.time(1))])
    with pytest.raises(InvalidParameter, match=r"'x'.*date bound"):
        dl.validate(pa.table({"x": [1.0]}), [Range("x", min=dt.date(2024, 1, 1))])
