"""Data validation on profiles: ``dl.validate(data, rules)``.

Rules come from Python (:class:`NotNull`, :class:`Range`, ...) or from TOML::

    [[rules]]
    kind = "not_null"          # not_null, range, allowed_values, max_null_rate,
    column = "customer_id"     # unique, schema, fingerprint

    [[rules]]
    kind = "range"
    column = "amount"
    min = 0
    max = 10_000

They are evaluated on the data's profile (computed once, natively), so validating a large
Parquet file costs one streaming pass. ``unique`` is exact when raw data is given and
approximate (the distinct-count sketch's error) on a profile alone; ``range`` on an integer
column and ``allowed_values`` on integer codes read the raw data too when it is given (a
profile holds integer extremes as float64, and no frequencies of integers).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
import os
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from driftline._temporal import from_number, to_number
from driftline.exceptions import InvalidParameter, SchemaError
from driftline.validation_data import (
    arrow_column,
    exact_distinct,
    integer_extremes,
    integers_outside,
)

__all__ = [
    "AllowedValues",
    "FingerprintMatch",
    "MaxNullRate",
    "NotNull",
    "Range",
    "Rule",
    "RuleResult",
    "SchemaMatch",
    "Unique",
    "ValidationReport",
    "load_rules",
    "validate",
]


# A profile's dtype text for an integer column; its min and max are float64, exact only up
# to 2**53 in magnitude.
_INTEGER_DTYPE = re.compile(r"^u?int(8|16|32|64)$")
_FLOAT_EXACT = 2**53
_TEMPORAL_BOUND = (dt.date, dt.time, dt.timedelta)


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule."""

    rule: str
    column: str | None
    passed: bool
    observed: Any
    expected: Any
    message: str


class Rule:
    """Base class of validation rules."""

    kind: ClassVar[str] = ""

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        """Check the rule against a profile (and the raw data when at hand)."""
        raise NotImplementedError

    def _result(self, passed: bool, observed: Any, expected: Any, message: str) -> RuleResult:
        return RuleResult(
            self.kind, getattr(self, "column", None), passed, observed, expected, message
        )

    def _col(self, profile: Any) -> Any:
        column = getattr(self, "column", None)
        if column not in list(profile.columns):
            raise SchemaError(f"rule {self.kind}: column {column!r} is not in the data")
        return profile[column]


@dataclass(frozen=True)
class NotNull(Rule):
    """No null values in ``column`` (NaN is a value, not a null)."""

    column: str
    kind: ClassVar[str] = "not_null"

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        nulls = int(self._col(profile).null_count)
        return self._result(nulls == 0, nulls, 0, f"{self.column}: {nulls} null value(s)")


@dataclass(frozen=True)
class Range(Rule):
    """Every non-null value of ``column`` within ``[min, max]`` (either bound optional).
    NaN lies in no range: a NaN value fails the rule unless ``allow_nan``. A date,
    timestamp, time or duration column takes bounds of its kind (``datetime.date``,
    ``datetime.datetime``, ``datetime.time``, ``datetime.timedelta``; TOML dates too); a
    naive datetime is UTC. On an integer column of raw data the extremes are compared
    exactly; on a profile alone, beyond 2**53, in float64 (the message says so)."""

    column: str
    min: Any = None
    max: Any = None
    allow_nan: bool = False
    kind: ClassVar[str] = "range"

    def __post_init__(self) -> None:
        for name in ("min", "max"):
            bound = getattr(self, name)
            if bound is None or isinstance(bound, _TEMPORAL_BOUND):
                continue
            if isinstance(bound, bool) or not isinstance(bound, numbers.Real):
                raise InvalidParameter(
                    f"rule range on {self.column!r}: {name} must be a number, a date, a time "
                    f"or a duration, not {type(bound).__name__} {bound!r}"
                )
            if isinstance(bound, float) and math.isnan(bound):
                # NaN compares false with everything: the rule would fail every column.
                raise InvalidParameter(f"rule range on {self.column!r}: {name} is NaN")
            # numpy integers compare inexactly with Python ints beyond int64; int() is exact.
            exact = int(bound) if isinstance(bound, numbers.Integral) else float(bound)
            object.__setattr__(self, name, exact)
        if not isinstance(self.allow_nan, bool):
            raise InvalidParameter(f"rule range on {self.column!r}: allow_nan must be true/false")

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        col = self._col(profile)
        nans = int(col.nan_count or 0)
        if nans and not self.allow_nan:
            return self._result(
                False,
                {"nan_count": nans},
                [self.min, self.max],
                f"{self.column}: {nans} NaN value(s), outside any range",
            )
        dtype = str(col.dtype)
        # The profile holds an integer column's extremes as float64, which rounds beyond
        # 2**53: the raw data, when at hand, gives them exactly.
        exact = integer_extremes(data, self.column)
        lo, hi = exact if exact is not None else (col.min, col.max)
        if lo is None or hi is None:
            if int(col.count) == 0 or col.frequencies() is None:
                return self._result(True, None, [self.min, self.max], f"{self.column}: no values")
            return self._result(False, None, [self.min, self.max], f"{self.column}: not numeric")
        # A temporal column holds the integers Arrow stores: date bounds become those.
        try:
            low, high = (to_number(b, dtype, self.column) for b in (self.min, self.max))
        except ValueError as exc:
            raise InvalidParameter(f"rule range: {exc}") from None
        note = ""
        if exact is None and _INTEGER_DTYPE.match(dtype) and max(abs(lo), abs(hi)) >= _FLOAT_EXACT:
            # Only the rounded extremes are known: compare like with like (the bounds
            # rounded to float64 too) and say that the answer is approximate.
            low, high = (None if b is None else _to_float64(b) for b in (low, high))
            note = " (approximate: float64 profile of an integer column; give the data itself)"
        ok = (low is None or lo >= low) and (high is None or hi <= high)
        shown = f"[{from_number(lo, dtype)}, {from_number(hi, dtype)}]"
        return self._result(
            ok,
            [lo, hi],
            [self.min, self.max],
            f"{self.column}: values span {shown}, allowed [{self.min}, {self.max}]{note}",
        )


@dataclass(frozen=True)
class AllowedValues(Rule):
    """Every non-null value of a categorical ``column`` among ``values``; an integer
    column (category codes) is checked on the raw data, which must then be given."""

    column: str
    values: tuple[Any, ...]
    kind: ClassVar[str] = "allowed_values"

    def __post_init__(self) -> None:
        if isinstance(self.values, str | bytes) or not isinstance(self.values, Iterable):
            raise InvalidParameter(
                f"rule allowed_values on {self.column!r}: values must be a list, "
                f"not {type(self.values).__name__}"
            )
        object.__setattr__(self, "values", tuple(self.values))

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        col = self._col(profile)
        outside = integers_outside(arrow_column(data, self.column), self.values)
        if outside is not None:
            return self._verdict([str(v) for v in outside])
        freqs = col.frequencies()
        if freqs is None:
            hint = ""
            if _INTEGER_DTYPE.match(str(col.dtype)):
                hint = " (an integer column is checked on the data itself, not its profile)"
            return self._result(
                False, None, list(self.values), f"{self.column}: not categorical{hint}"
            )
        # The profile's keys are text: a boolean column counts 'true' and 'false'.
        boolean = str(col.dtype) == "boolean"
        allowed = {_bool_key(v) if boolean else v for v in self.values}
        return self._verdict(sorted(str(k) for k in freqs if k not in allowed))

    def _verdict(self, unexpected: list[str]) -> RuleResult:
        return self._result(
            not unexpected,
            unexpected[:20],
            list(self.values),
            f"{self.column}: {len(unexpected)} value(s) not allowed"
            + (f" (e.g. {', '.join(unexpected[:5])})" if unexpected else ""),
        )


@dataclass(frozen=True)
class MaxNullRate(Rule):
    """At most ``rate`` (0..1) of the rows null in ``column``."""

    column: str
    rate: float
    kind: ClassVar[str] = "max_null_rate"

    def __post_init__(self) -> None:
        rate = self.rate
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise InvalidParameter(
                f"rule max_null_rate on {self.column!r}: rate must be a number within [0, 1], "
                f"not {type(rate).__name__} {rate!r}"
            )
        if not 0.0 <= float(rate) <= 1.0:  # NaN fails this too
            raise InvalidParameter(
                f"rule max_null_rate on {self.column!r}: rate must be within [0, 1], not {rate}"
            )

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        rows = int(profile.row_count)
        nulls = int(self._col(profile).null_count)
        observed = nulls / rows if rows else 0.0
        return self._result(
            observed <= self.rate,
            observed,
            self.rate,
            f"{self.column}: null rate {observed:.4g} (at most {self.rate})",
        )


@dataclass(frozen=True)
class Unique(Rule):
    """No repeated non-null value in ``column``: exact on raw data, approximate on a
    profile alone (the distinct-count sketch's relative error)."""

    column: str
    kind: ClassVar[str] = "unique"

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        col = self._col(profile)
        non_null = int(profile.row_count) - int(col.null_count)
        exact = exact_distinct(data, self.column)
        if exact is not None:
            return self._result(
                exact == non_null,
                exact,
                non_null,
                f"{self.column}: {non_null - exact} duplicate value(s) (exact)",
            )
        distinct = float(col.distinct())
        # HyperLogLog's standard error is about 1.6% at the sketch's precision: flag only
        # what exceeds three standard errors.
        ok = distinct >= non_null * (1 - 3 * 0.0163)
        return self._result(
            ok,
            distinct,
            non_null,
            f"{self.column}: about {distinct:.0f} distinct of {non_null} values (approximate)",
        )


@dataclass(frozen=True)
class SchemaMatch(Rule):
    """The data has exactly these columns and types (extra columns allowed if asked)."""

    schema: tuple[tuple[str, str], ...]
    allow_extra: bool = False
    kind: ClassVar[str] = "schema"

    def __post_init__(self) -> None:
        items = self.schema.items() if isinstance(self.schema, Mapping) else self.schema
        if isinstance(items, str | bytes) or not isinstance(items, Iterable):
            raise InvalidParameter(
                "rule schema: columns must be a table of name = type or (name, type) pairs, "
                f"not {type(items).__name__}"
            )
        pairs = []
        for item in items:
            # A string is a sequence too: "ab" would otherwise unpack to the column "a"
            # of type "b".
            if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
                raise InvalidParameter(
                    f"rule schema: each column is a (name, type) pair, not {item!r}"
                )
            pairs.append((str(item[0]), str(item[1])))
        object.__setattr__(self, "schema", tuple(pairs))

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        actual = {str(n): str(t) for n, t in profile.schema}
        expected = dict(self.schema)
        problems = [f"missing {n}" for n in expected if n not in actual]
        problems += [
            f"{n} is {actual[n]}, expected {t}"
            for n, t in expected.items()
            if n in actual and actual[n] != t
        ]
        if not self.allow_extra:
            problems += [f"unexpected {n}" for n in actual if n not in expected]
        return self._result(
            not problems,
            sorted(actual.items()),
            sorted(expected.items()),
            "schema matches" if not problems else "schema: " + "; ".join(problems),
        )


@dataclass(frozen=True)
class FingerprintMatch(Rule):
    """The data is exactly the registered (training) data: same fingerprint."""

    fingerprint: str
    kind: ClassVar[str] = "fingerprint"

    @classmethod
    def from_registry(cls, session: Any, dataset: str) -> FingerprintMatch:
        """The fingerprint of a registered dataset (``name`` or ``name@version``)."""
        return cls(session.get_dataset(dataset).fingerprint)

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        actual = str(profile.fingerprint)
        return self._result(
            actual == self.fingerprint,
            actual,
            self.fingerprint,
            "fingerprint matches" if actual == self.fingerprint else "fingerprint differs",
        )


_KINDS: dict[str, type[Rule]] = {
    cls.kind: cls
    for cls in (NotNull, Range, AllowedValues, MaxNullRate, Unique, SchemaMatch, FingerprintMatch)
}


def _bool_key(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _to_float64(value: Any) -> float:
    # float() overflows on an int beyond the float range; such a bound is infinite there.
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        return math.inf if value > 0 else -math.inf
    return float(value)


@dataclass(frozen=True)
class ValidationReport:
    """The results of :func:`validate`; ``passed`` when every rule passed."""

    results: list[RuleResult]
    row_count: int
    fingerprint: str | None
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "passed", all(r.passed for r in self.results))

    @property
    def failures(self) -> list[RuleResult]:
        """The rules that failed."""
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (storable as approval evidence): infinite and
        NaN values become the strings ``"inf"``, ``"-inf"``, ``"nan"``, dates and times
        their ISO text."""
        results = []
        for r in self.results:
            entry = asdict(r)
            entry["observed"] = _json_ready(r.observed)
            entry["expected"] = _json_ready(r.expected)
            results.append(entry)
        return {
            "passed": self.passed,
            "row_count": self.row_count,
            "fingerprint": self.fingerprint,
            "results": results,
        }

    def to_json(self) -> str:
        """The report as strict JSON (no ``Infinity`` or ``NaN`` tokens)."""
        # default=str: a rule's expected values are whatever the caller gave (a Decimal,
        # a numpy scalar ...); their text is what the report can say about them.
        return json.dumps(self.to_dict(), default=str, allow_nan=False)

    def summary(self) -> str:
        """One line per rule."""
        lines = [f"validation {'passed' if self.passed else 'FAILED'} ({self.row_count} rows)"]
        lines += [f"  [{'ok' if r.passed else 'FAIL'}] {r.rule}: {r.message}" for r in self.results]
        return "\n".join(lines)


def _json_ready(value: Any) -> Any:
    """``value`` with non-finite floats as text ("inf", "-inf", "nan": JSON has no such
    numbers and the registry refuses them) and temporal values as ISO text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _json_ready(v) for k, v in value.items()}
    return value


def _rule_from_dict(entry: Mapping[str, Any]) -> Rule:
    if not isinstance(entry, Mapping):
        raise InvalidParameter(
            f"a rule is a table with a kind ([[rules]] in TOML), not {type(entry).__name__} "
            f"{entry!r}"[:300]
        )
    options = dict(entry)
    kind = options.pop("kind", options.pop("type", None))
    cls = _KINDS.get(str(kind))
    if cls is None:
        raise InvalidParameter(f"unknown rule kind {kind!r}; known: {', '.join(sorted(_KINDS))}")
    if cls is SchemaMatch and "columns" in options:
        options["schema"] = options.pop("columns")
    try:
        return cls(**options)
    except TypeError as exc:
        raise InvalidParameter(f"rule {kind!r}: {exc}") from None


def load_rules(source: Path | str | Mapping[str, Any]) -> list[Rule]:
    """Rules from a TOML file (a :class:`pathlib.Path`), TOML text, or a parsed mapping."""
    if isinstance(source, Path):
        try:
            with source.open("rb") as handle:
                parsed: Mapping[str, Any] = tomllib.load(handle)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InvalidParameter(f"rules file {str(source)!r} is not valid TOML: {exc}") from None
    elif isinstance(source, str):
        try:
            parsed = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidParameter(f"rules are not valid TOML: {exc}") from None
    else:
        parsed = source
    entries = parsed.get("rules", [])
    if not isinstance(entries, list):
        raise InvalidParameter("rules must be an array of tables ([[rules]])")
    return [_rule_from_dict(entry) for entry in entries]


def _as_rules(rules: Any) -> list[Rule]:
    if isinstance(rules, (Path, str, Mapping)):
        return load_rules(rules)
    if isinstance(rules, Rule):
        return [rules]
    if isinstance(rules, Iterable):
        out = [r if isinstance(r, Rule) else _rule_from_dict(r) for r in rules]
        return out
    raise InvalidParameter("rules must be Rule objects, dicts, TOML text or a Path")


def _profile(data: Any) -> Any:
    if hasattr(data, "to_bytes") and hasattr(data, "fingerprint"):
        return data
    import driftline as dl

    if isinstance(data, os.PathLike):
        return dl.profile_parquet(Path(data))
    if isinstance(data, str):
        raise InvalidParameter("pass a pathlib.Path for a Parquet file, not a string")
    return dl.profile(data)


def validate(data: Any, rules: Sequence[Rule] | Path | str | Mapping[str, Any]) -> ValidationReport:
    """Check data against rules, evaluated on its profile.

    Parameters
    ----------
    data
        Arrow-compatible data (pyarrow, polars, pandas ...), a :class:`pathlib.Path` to
        Parquet, or a driftline Profile.
    rules
        Rule objects (or dicts with a ``kind``), TOML text, or a Path to a TOML file.

    Returns
    -------
    ValidationReport
        ``passed`` and one result per rule; usable as approval evidence.

    Examples
    --------
    >>> import driftline as dl
    >>> from driftline.validation import NotNull, Range
    >>> rules = [NotNull("x"), Range("x", min=0, max=10)]
    >>> dl.validate({"x": [1, 2, 3]}, rules).passed  # doctest: +SKIP
    True
    """
    checked = _as_rules(rules)
    profile = _profile(data)
    raw = None if isinstance(data, os.PathLike) else data
    results = [rule.evaluate(profile, raw) for rule in checked]
    return ValidationReport(
        results=results,
        row_count=int(profile.row_count),
        fingerprint=str(profile.fingerprint) if getattr(profile, "fingerprint", None) else None,
    )
