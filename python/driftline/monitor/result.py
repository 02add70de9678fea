"""The result of a closed window, and how a window is judged against the reference."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from driftline._plain import plain_rows
from driftline.exceptions import InvalidParameter
from driftline.monitor.quality import quality_findings
from driftline.policies import Drift, Performance, Policy, Trigger

__all__ = ["WindowResult", "check_policy_metrics", "drift_options", "judge"]

#: Segments listed in ``to_dict`` (a window of 100k SKUs still answers in kilobytes).
MAX_SEGMENTS_JSON = 1000
_DATA_METRICS = ("rows", "null_rate", "share_drifted")


@dataclass
class WindowResult:
    """A closed window and its verdicts."""

    window: str
    rows: int
    profile: Any
    drift: Any = None
    quality: list[dict[str, Any]] = field(default_factory=list)
    performance: Any = None
    fairness: Any = None
    triggers: list[Trigger] = field(default_factory=list)
    suppressed: list[Trigger] = field(default_factory=list)
    closed_at: float = 0.0
    latency: float = 0.0
    errors: list[str] = field(default_factory=list)
    segment_by: str | None = None
    # Compares one segment's profile with the reference (set by ``judge``); run only when
    # a caller asks for per-segment drift, never at window close.
    segment_drift: Callable[[Any], Any] | None = field(default=None, repr=False, compare=False)

    @property
    def segments(self) -> Mapping[str, Any]:
        """The window's data profile per segment key (empty without ``segment_by``)."""
        if self.segment_by is None or self.profile is None:
            return {}
        segments: Mapping[str, Any] = self.profile.segments
        return segments

    @property
    def segment_performance(self) -> Any:
        """Performance per segment (a polars table, a row per key) when the window had
        labelled rows and ``segment_by``; None otherwise."""
        if self.segment_by is None or self.performance is None:
            return None
        return self.performance.segments

    def segment_data(self, *, drift: bool = False) -> Any:
        """Per-segment data summary (a polars table): the key, ``rows`` and ``null_rate``
        (null cells over all profiled cells) and, with ``drift=True``, ``share_drifted``
        (each segment compared with the reference: one comparison per segment)."""
        import polars as pl

        key = self.segment_by or "segment"
        keys, rows, null_rate, drifted = [], [], [], []
        for k, p in self.segments.items():
            keys.append(k)
            rows.append(p.row_count)
            cells = [(p[c].null_count, p[c].count + p[c].null_count) for c in p.columns]
            total = sum(n for _, n in cells)
            null_rate.append(sum(n for n, _ in cells) / total if total else None)
            if drift and self.segment_drift is not None:
                drifted.append(self.segment_drift(p).share_drifted)
        data: dict[str, Any] = {key: keys, "rows": rows, "null_rate": null_rate}
        if drift:
            data["share_drifted"] = drifted if drifted else [None] * len(keys)
        return pl.DataFrame(
            data,
            schema={key: pl.String, "rows": pl.Int64, "null_rate": pl.Float64}
            | ({"share_drifted": pl.Float64} if drift else {}),
        )

    def worst_segments(self, metric: str, n: int = 10) -> Any:
        """The ``n`` worst segments by ``metric``, worst first (a polars table).

        ``metric`` is a performance metric of the window's labelled rows (``accuracy``,
        ``f1``, ``rmse`` ...: see :meth:`driftline.PerformanceReport.worst`) or a data
        metric: ``null_rate`` and ``share_drifted`` (highest first), ``rows`` (fewest
        first).
        """
        import polars as pl

        if self.segment_by is None:
            raise ValueError("the monitor has no segment_by=")
        if metric in _DATA_METRICS:
            table = self.segment_data(drift=metric == "share_drifted")
            descending = metric != "rows"
            return table.sort(metric, descending=descending, nulls_last=True).head(n)
        if self.performance is None:
            failed = [e for e in self.errors if e.startswith("performance:")]
            # A failed computation is not an absence of labels: say which it was.
            why = f"performance failed: {failed[0]}" if failed else "no labelled rows"
            raise ValueError(
                f"no performance in window {self.window} ({why}); data metrics: "
                f"{', '.join(_DATA_METRICS)}"
            )
        worst: pl.DataFrame = self.performance.worst(metric, n)
        return worst

    def _segments_dict(self) -> dict[str, Any]:
        data = self.segment_data()
        perf = self.segment_performance
        return {
            "by": self.segment_by,
            "count": data.height,
            "truncated": data.height > MAX_SEGMENTS_JSON,
            "data": plain_rows(data.head(MAX_SEGMENTS_JSON)),
            "performance": None if perf is None else plain_rows(perf.head(MAX_SEGMENTS_JSON)),
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "window": self.window,
            "rows": self.rows,
            "drift": None if self.drift is None else self.drift.to_dict(),
            "quality": self.quality,
            "performance": None if self.performance is None else self.performance.to_dict(),
            "fairness": None if self.fairness is None else self.fairness.to_dict(),
            "triggers": [t.to_dict() for t in self.triggers],
            "suppressed": [t.to_dict() for t in self.suppressed],
            "closed_at": self.closed_at,
            "latency": self.latency,
            "errors": self.errors,
            "segments": None if self.segment_by is None else self._segments_dict(),
        }


def judge(
    result: WindowResult,
    outcomes: pa.Table | None,
    *,
    reference: Any,
    features: Sequence[str],
    methods: Any,
    thresholds: Any,
    prediction: str | None,
    label: str | None,
    score: str | None,
    sensitive: Sequence[str],
    task: str,
    segment_by: str | None = None,
) -> None:
    """Fill ``result`` with drift, quality findings, performance and fairness; a failing
    part is recorded in ``result.errors`` and never stops the others."""
    from driftline.drift import compare

    try:
        result.drift = compare(
            reference,
            result.profile,
            columns=features,
            methods=methods,
            thresholds=thresholds,
        )
    except Exception as exc:
        result.errors.append(f"drift: {type(exc).__name__}: {exc}")
    if segment_by is not None:

        def segment_drift(segment: Any) -> Any:
            return compare(
                reference, segment, columns=features, methods=methods, thresholds=thresholds
            )

        result.segment_drift = segment_drift
    try:
        result.quality.extend(quality_findings(reference, result.profile, features))
    except Exception as exc:
        result.errors.append(f"quality: {type(exc).__name__}: {exc}")
    if outcomes is None or outcomes.num_rows == 0:
        return
    if label and prediction and label in outcomes.column_names:
        labelled = outcomes.filter(outcomes.column(label).is_valid())
        if labelled.num_rows:
            from driftline.performance import performance

            try:
                result.performance = performance(
                    labelled,
                    prediction=prediction,
                    label=label,
                    score=score,
                    task=task,  # type: ignore[arg-type]
                    segment_by=segment_by,
                )
            except Exception as exc:
                result.errors.append(f"performance: {type(exc).__name__}: {exc}")
    if sensitive and prediction:
        from driftline.fairness import fairness

        try:
            result.fairness = fairness(
                outcomes,
                prediction=prediction,
                label=label if label in outcomes.column_names else None,
                sensitive=sensitive,
            )
        except Exception as exc:
            result.errors.append(f"fairness: {type(exc).__name__}: {exc}")


def drift_options(
    features: Sequence[str],
    kinds: Mapping[str, str],
    methods: Any,
    thresholds: Any,
    policies: Sequence[Policy],
) -> tuple[Any, Any]:
    """The ``methods`` and ``thresholds`` a monitor passes to :func:`driftline.compare`:
    its own, merged with each :class:`~driftline.policies.Drift` policy's ``method`` and
    ``feature_threshold`` (for the policy's ``columns``, or every feature).

    Mappings are built over ``features`` only (compare refuses a column it does not
    compare); a float ``thresholds`` is that threshold for every feature. Raises
    :class:`~driftline.exceptions.InvalidParameter` when a mapping names a column the
    monitor does not watch (a Drift policy's ``columns`` too), or when two sources ask for
    different settings for a column: silently preferring one would judge windows on a
    setting nobody chose.
    """
    from driftline.drift import custom
    from driftline.drift.methods import METHODS, resolve_method

    feats = list(features)
    drift = [p for p in policies if isinstance(p, Drift)]
    for p in drift:
        # A Drift policy only counts the monitor's features: a column outside them (a
        # typo) would silently never be counted, and the policy never fire.
        extra = [c for c in p.columns or () if c not in feats]
        if extra:
            raise InvalidParameter(
                f"policy {p.name!r} names columns the monitor does not watch: "
                f"{', '.join(map(repr, extra))} (features: {', '.join(map(repr, feats))})"
            )

    def unknown(option: str, mapping: Mapping[str, Any]) -> None:
        extra = [c for c in mapping if c not in feats]
        if extra:
            raise InvalidParameter(
                f"{option} names columns the monitor does not watch: "
                f"{', '.join(map(repr, extra))} (features: {', '.join(map(repr, feats))})"
            )

    def applies(col: str, method: str) -> bool:
        # One method for every column skips the columns it cannot score (ks on a
        # categorical column), as compare does with a single method name.
        if method not in METHODS:
            return True  # a registered statistic: compare checks it
        kind = kinds.get(col, "numeric")
        return resolve_method(col, kind, "binned", True, method, custom.registered()) == method

    def merge(option: str, sources: list[tuple[str, Any, list[str] | None]]) -> dict[str, Any]:
        chosen: dict[str, tuple[Any, str]] = {}
        for who, value, cols in sources:
            every = cols is None
            for col in feats if cols is None else [c for c in cols if c in feats]:
                if option == "methods" and not applies(col, value):
                    if every:
                        continue
                    raise InvalidParameter(
                        f"{who} asks for drift method {value!r} on column {col!r}, "
                        f"which is {kinds.get(col)}: {value!r} needs a numeric column"
                    )
                if col in chosen and chosen[col][0] != value:
                    raise InvalidParameter(
                        f"{chosen[col][1]} and {who} disagree on the drift {option[:-1]} of "
                        f"column {col!r}: {chosen[col][0]!r} vs {value!r}"
                    )
                chosen.setdefault(col, (value, who))
        return {c: v for c, (v, _) in chosen.items()}

    # Methods.
    if isinstance(methods, Mapping):
        unknown("methods", methods)
    elif methods is not None and not isinstance(methods, str):
        raise InvalidParameter(f"methods is a method name or column -> method, not {methods!r}")
    wanted = [(f"policy {p.name!r}", p.method, p.columns) for p in drift if p.method is not None]
    if wanted:
        own: list[tuple[str, Any, list[str] | None]] = []
        if isinstance(methods, str):
            own = [("the monitor's methods", methods, None)]
        elif isinstance(methods, Mapping):
            own = [("the monitor's methods", m, [c]) for c, m in methods.items()]
        methods = merge("methods", own + wanted)

    # Thresholds.
    from driftline.drift.calibration import Calibration

    limits = [
        (f"policy {p.name!r}", _finite(p.feature_threshold, f"policy {p.name!r}"), p.columns)
        for p in drift
        if p.feature_threshold is not None
    ]
    if isinstance(thresholds, Calibration):
        if limits:
            raise InvalidParameter(
                f"{limits[0][0]} sets feature_threshold, and the monitor's thresholds are a "
                "Calibration: use one or the other"
            )
        return methods, thresholds
    own = []
    if isinstance(thresholds, Mapping):
        unknown("thresholds", thresholds)
        own = [
            ("the monitor's thresholds", _finite(v, f"threshold for column {c!r}"), [c])
            for c, v in thresholds.items()
        ]
    elif thresholds is not None:
        own = [("the monitor's thresholds", _finite(thresholds, "thresholds"), None)]
    if own or limits:
        thresholds = merge("thresholds", own + limits)
    return methods, thresholds


def _finite(value: Any, what: str) -> float:
    """``value`` as a finite float, or InvalidParameter saying what it was for."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameter(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise InvalidParameter(f"{what} must be finite, not {value!r}")
    return float(value)


def check_policy_metrics(policies: Sequence[Policy], task: str) -> None:
    """Refuses a Performance policy on a metric the monitor's task never reports (``mae``
    on a binary monitor): it would record an error at every window and never fire."""
    from driftline.policy_args import NOT_REPORTED

    for p in policies:
        if isinstance(p, Performance) and p.metric in NOT_REPORTED.get(task, ()):
            raise InvalidParameter(
                f"policy {p.name!r}: a {task} monitor does not report {p.metric!r}"
            )
