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
approximate (the distinct-count sketch's error) on a profile alone.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from driftline._temporal import from_number, to_number
from driftline.exceptions import InvalidParameter, SchemaError

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
    naive datetime is UTC."""

    column: str
    min: Any = None
    max: Any = None
    allow_nan: bool = False
    kind: ClassVar[str] = "range"

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
        lo, hi = col.min, col.max
        if lo is None or hi is None:
            if int(col.count) == 0 or col.frequencies() is None:
                return self._result(True, None, [self.min, self.max], f"{self.column}: no values")
            return self._result(False, None, [self.min, self.max], f"{self.column}: not numeric")
        # A temporal column holds the integers Arrow stores: date bounds become those.
        dtype = str(col.dtype)
        try:
            low, high = (to_number(b, dtype, self.column) for b in (self.min, self.max))
        except ValueError as exc:
            raise InvalidParameter(f"rule range: {exc}") from None
        ok = (low is None or lo >= low) and (high is None or hi <= high)
        shown = f"[{from_number(lo, dtype)}, {from_number(hi, dtype)}]"
        return self._result(
            ok,
            [lo, hi],
            [self.min, self.max],
            f"{self.column}: values span {shown}, allowed [{self.min}, {self.max}]",
        )


@dataclass(frozen=True)
class AllowedValues(Rule):
    """Every non-null value of a categorical ``column`` among ``values``."""

    column: str
    values: tuple[Any, ...]
    kind: ClassVar[str] = "allowed_values"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))

    def evaluate(self, profile: Any, data: Any = None) -> RuleResult:
        freqs = self._col(profile).frequencies()
        if freqs is None:
            return self._result(False, None, list(self.values), f"{self.column}: not categorical")
        allowed = set(self.values)
        unexpected = sorted(str(k) for k in freqs if k not in allowed)
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
        if not 0.0 <= float(self.rate) <= 1.0:
            raise InvalidParameter(f"max_null_rate for {self.column!r} must be within [0, 1]")

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
        exact = _exact_distinct(data, self.column)
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
        object.__setattr__(self, "schema", tuple((str(n), str(t)) for n, t in items))

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


def _exact_distinct(data: Any, column: str) -> int | None:
    if data is None or hasattr(data, "to_bytes") or isinstance(data, os.PathLike):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        table = pa.table(data) if not isinstance(data, pa.Table) else data
        return int(pc.count_distinct(table.column(column), mode="only_valid").as_py())
    except Exception:  # an input pyarrow cannot take: fall back to the sketch
        return None


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
        """The report as a JSON-ready dict."""
        return {
            "passed": self.passed,
            "row_count": self.row_count,
            "fingerprint": self.fingerprint,
            "results": [asdict(r) for r in self.results],
        }

    def to_json(self) -> str:
        """The report as JSON."""
        return json.dumps(self.to_dict(), default=_json_default)

    def summary(self) -> str:
        """One line per rule."""
        lines = [f"validation {'passed' if self.passed else 'FAILED'} ({self.row_count} rows)"]
        lines += [f"  [{'ok' if r.passed else 'FAIL'}] {r.rule}: {r.message}" for r in self.results]
        return "\n".join(lines)


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return str(value)


def _rule_from_dict(entry: Mapping[str, Any]) -> Rule:
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
        with source.open("rb") as handle:
            parsed: Mapping[str, Any] = tomllib.load(handle)
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
