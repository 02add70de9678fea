"""Malformed validation rules are refused with InvalidParameter naming the rule, the column
and the problem, never a raw TypeError, ValueError or TOMLDecodeError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from registry_helpers import FakeProfile

import driftline as dl
from driftline.exceptions import InvalidParameter
from driftline.validation import MaxNullRate, Range, SchemaMatch, load_rules

PROFILE = FakeProfile({"x": [1.0, 2.0, None]})


@pytest.mark.parametrize("bound", ["0", b"0", [0], True, float("nan")])
@pytest.mark.parametrize("side", ["min", "max"])
def test_range_bound_must_be_a_number_or_temporal(side: str, bound: Any) -> None:
    with pytest.raises(InvalidParameter, match=rf"range on 'x': {side}"):
        Range("x", **{side: bound})


def test_range_takes_numpy_and_huge_bounds() -> None:
    import numpy as np

    rule = Range("x", min=np.int64(1), max=10**30)
    assert type(rule.min) is int and rule.min == 1
    assert dl.validate(PROFILE, [rule]).passed
    assert not dl.validate(PROFILE, [Range("x", min=np.float32(1.5))]).passed


@pytest.mark.parametrize("rate", ["abc", None, "0.5", True, float("nan"), 1.5, -0.1])
def test_max_null_rate_must_be_a_rate(rate: Any) -> None:
    with pytest.raises(InvalidParameter, match=r"max_null_rate on 'x': rate"):
        MaxNullRate("x", rate)


def test_max_null_rate_from_toml_text_is_refused() -> None:
    with pytest.raises(InvalidParameter, match=r"max_null_rate on 'x': rate.*'abc'"):
        load_rules('[[rules]]\nkind = "max_null_rate"\ncolumn = "x"\nrate = "abc"')


def test_bad_toml_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("not [ toml", encoding="utf-8")
    with pytest.raises(InvalidParameter, match=r"bad\.toml.*not valid TOML"):
        load_rules(path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidParameter, match="not valid TOML"):
        dl.validate(PROFILE, binary)


@pytest.mark.parametrize("source", ["rules = [1, 2]", 'rules = ["not_null"]'])
def test_rules_that_are_not_tables_are_refused(source: str) -> None:
    with pytest.raises(InvalidParameter, match="a rule is a table"):
        load_rules(source)


def test_rule_list_of_non_dicts_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="a rule is a table"):
        dl.validate(PROFILE, [3])


@pytest.mark.parametrize("columns", ['["abc"]', '["ab"]', '[["a", "b", "c"]]', "3"])
def test_schema_columns_must_be_pairs(columns: str) -> None:
    with pytest.raises(InvalidParameter, match="rule schema"):
        load_rules(f'[[rules]]\nkind = "schema"\ncolumns = {columns}')


def test_schema_columns_as_pairs_or_table() -> None:
    pairs = load_rules('[[rules]]\nkind = "schema"\ncolumns = [["x", "double"]]')
    table = load_rules('[[rules]]\nkind = "schema"\ncolumns = { x = "double" }')
    assert pairs == table == [SchemaMatch((("x", "double"),))]


@pytest.mark.parametrize("values", ["3", '"ab"'])
def test_allowed_values_must_be_a_list(values: str) -> None:
    with pytest.raises(InvalidParameter, match="allowed_values on 'x': values"):
        load_rules(f'[[rules]]\nkind = "allowed_values"\ncolumn = "x"\nvalues = {values}')
