"""Segmented results as a compact JSON-ready summary, and the worst segments as HTML.

:func:`segment_summary` packs a segmented drift report (``compare(..., segment_by=)``)
and/or a segmented performance report (``performance(..., segment_by=)``) into one dict
small enough to keep as a model version's metrics in the registry (``metrics["segments"]``,
under the registry's 1 MB bound for a few thousand segments): each table column-wise with
numbers rounded to 6 significant digits, and for the ``detail`` worst segments their
per-feature drift with reference / current histograms. :class:`SegmentSummary` reads it
back (the dashboard's Segments pages use it), after checking its shape
(:mod:`driftline.report.segment_format`): a malformed summary is a :class:`ValueError`.

Examples
--------
>>> import numpy as np, driftline as dl
>>> rng = np.random.default_rng(0)
>>> ref = {"k": np.repeat(["a", "b"], 300), "x": rng.normal(size=600)}
>>> cur = {"k": np.repeat(["a", "b"], 300), "x": np.r_[rng.normal(size=300),
...                                                     rng.normal(2, 1, 300)]}
>>> s = SegmentSummary(segment_summary(dl.compare(ref, cur, segment_by="k")))
>>> [r["segment"] for r in s.worst("share_drifted", 2)]
['b', 'a']
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from driftline.report.segment_format import FORMAT, is_summary, read_detail, read_table

if TYPE_CHECKING:
    import polars as pl

    from driftline.drift.report import DriftReport
    from driftline.performance import PerformanceReport

__all__ = ["SegmentSummary", "segment_summary", "worst_segments_html"]

_PREFERRED = ("share_drifted", "drifted_count", "worst_effect_size", "worst_p_value")


def _round(v: Any) -> Any:
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return float(f"{v:.6g}")
    return v


def _columns(df: pl.DataFrame) -> dict[str, Any]:
    return {
        "columns": list(df.columns),
        "rows": [[_round(v) for v in row] for row in df.iter_rows()],
    }


def segment_summary(
    drift: DriftReport | None = None,
    performance: PerformanceReport | None = None,
    *,
    detail: int = 20,
) -> dict[str, Any]:
    """A JSON-ready summary of segmented results (see the module docstring)."""
    if drift is None and performance is None:
        raise ValueError("segment_summary needs a drift report, a performance report or both")
    out: dict[str, Any] = {"format": FORMAT, "segment_by": None, "drift": None}
    out["performance"] = None
    out["detail"] = {}
    if drift is not None:
        out["segment_by"] = drift.segment_by
        out["drift"] = _columns(drift.segments)
        worst = drift.worst_segments(detail)
        for key in worst.filter(worst["status"] == "compared")["segment"].to_list():
            one = drift.segment(key)
            out["detail"][key] = [
                {
                    "column": f.column,
                    "kind": f.kind,
                    "method": f.method,
                    "statistic": _round(f.statistic),
                    "p_value_adjusted": _round(f.p_value_adjusted),
                    "effect_size": _round(f.effect_size),
                    "drifted": f.drifted,
                    "histogram": None
                    if not f.histogram
                    else {
                        "labels": [str(x) for x in f.histogram.get("labels", [])],
                        "reference": [_round(x) for x in f.histogram.get("reference", [])],
                        "current": [_round(x) for x in f.histogram.get("current", [])],
                    },
                }
                for f in one.features
            ]
    if performance is not None:
        if performance.segments is None:
            raise ValueError("the performance report has no segments: pass segment_by=")
        out["performance"] = _columns(performance.segments)
        if out["segment_by"] is None:
            out["segment_by"] = performance.segments.columns[0]
    return out


class SegmentSummary:
    """Read access to a :func:`segment_summary` dict (as stored in a version's metrics).

    Raises
    ------
    ValueError
        ``data`` is not a segment summary, or one whose structure does not fit (a table
        that is not columns and rows, a missing segment column, a number no float holds,
        a malformed ``detail``): stored metrics are whatever a contributor wrote.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        if not is_summary(data):
            raise ValueError("not a segment summary")
        segment_by = data.get("segment_by")
        if segment_by is not None and not isinstance(segment_by, str):
            raise ValueError(f"segment_by must be a string, not {type(segment_by).__name__}")
        self.segment_by: str = segment_by or "segment"
        self._drift = read_table(data.get("drift"), "drift", "segment")
        self._perf = read_table(data.get("performance"), "performance", self.segment_by)
        self._detail = read_detail(data.get("detail"))
        self._drift_columns = frozenset(self._drift[0]) if self._drift else frozenset()
        self._perf_columns = frozenset(self._perf[0]) if self._perf else frozenset()
        key = self.segment_by
        self._perf_by = {str(r[key]): r for r in self._perf}
        self._drift_by = {str(r["segment"]): r for r in self._drift}

    @property
    def metrics(self) -> list[str]:
        """Numeric columns a ranking can use: the drift verdicts first, then the other drift
        columns, then performance (a column counts when any segment has a number in it)."""
        names: list[str] = []
        keys = {"segment", self.segment_by}  # segment keys, even when numbers
        for rows in (self._drift, self._perf):
            columns = list(rows[0]) if rows else []
            for k in [c for c in _PREFERRED if rows is self._drift] + columns:
                if k not in names and k not in keys and any(_is_number(r.get(k)) for r in rows):
                    names.append(k)
        return names

    @property
    def segments(self) -> list[str]:
        """Every segment key (drift table first)."""
        keys = list(self._drift_by)
        keys += [k for k in self._perf_by if k not in self._drift_by]
        return keys

    def __len__(self) -> int:
        return len(self.segments)

    def row(self, key: str) -> dict[str, Any] | None:
        """One segment's drift and performance values merged (None when unknown)."""
        d = self._drift_by.get(key)
        p = self._perf_by.get(key)
        if d is None and p is None:
            return None
        out: dict[str, Any] = {"segment": key}
        if p is not None:
            out.update({k: v for k, v in p.items() if k != self.segment_by})
        if d is not None:
            out.update(d)
        return out

    def worst(self, metric: str, n: int = 25) -> list[dict[str, Any]]:
        """The ``n`` segments with the worst ``metric``, segments without a value last.

        A performance metric ranks as :meth:`~driftline.PerformanceReport.worst` does
        (errors largest first, scores such as accuracy, f1 or roc_auc smallest first, the
        mean error farthest from 0 first); a drift column ranks largest first, except
        ``worst_p_value`` (smallest first). Ties are broken by the worst effect size (as
        :meth:`~driftline.DriftReport.worst_segments`), then by the segment key.
        """
        if metric not in self.metrics:
            raise ValueError(f"unknown metric {metric!r}; available: {', '.join(self.metrics)}")
        rows = [r for r in (self.row(k) for k in self.segments) if r is not None]
        with_value = [r for r in rows if _is_number(r.get(metric))]
        without = [r for r in rows if not _is_number(r.get(metric))]
        badness = self._badness(metric)

        def key(r: dict[str, Any]) -> tuple[float, float, str]:
            tie = r.get("worst_effect_size")
            tie_key = -float(tie) if isinstance(tie, int | float) else math.inf
            return (-badness(float(r[metric])), tie_key, str(r["segment"]))

        with_value.sort(key=key)
        return (with_value + without)[:n]

    def _badness(self, metric: str) -> Callable[[float], float]:
        """How bad a value of ``metric`` is (larger is worse)."""
        if metric in self._perf_columns and metric not in self._drift_columns:
            # Imported here: the direction table lives with the metrics (one source of
            # truth), and driftline.performance loads the native module.
            from driftline.performance import _LOWER_IS_BETTER

            if metric == "mean_error":
                return lambda v: abs(v)
            if metric in _LOWER_IS_BETTER:
                return lambda v: v
            return lambda v: -v
        if metric == "worst_p_value":
            return lambda v: -v
        return lambda v: v

    def features(self, key: str) -> list[dict[str, Any]]:
        """Per-feature drift (with histograms) of one segment, when it was kept in detail."""
        return list(self._detail.get(key, []))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def worst_segments_html(report: DriftReport, n: int = 25) -> str:
    """The ``n`` worst segments of a segmented drift report as an HTML table."""
    worst = report.worst_segments(n)
    head = "".join(
        f"<th>{h}</th>"
        for h in ("segment", "status", "drifted", "share", "worst feature", "effect", "p (adj.)")
    )
    body = []
    for r in worst.iter_rows(named=True):
        cls = ' class="drifted"' if r["drifted"] else ""
        share = "-" if r["share_drifted"] is None else f"{r['share_drifted']:.0%}"
        body.append(
            f"<tr{cls}><td>{html.escape(str(r['segment']))}</td><td>{r['status']}</td>"
            f"<td>{r['drifted_count'] if r['drifted_count'] is not None else '-'}"
            f"/{r['features'] if r['features'] is not None else '-'}</td><td>{share}</td>"
            f"<td>{html.escape(str(r['worst_feature'] or '-'))}</td>"
            f"<td>{_num(r['worst_effect_size'])}</td><td>{_num(r['worst_p_value'], '.2e')}</td>"
            "</tr>"
        )
    t = report.segments
    compared = t.filter(t["status"] == "compared")
    drifted = int(compared["drifted"].sum())
    return (
        f'<h2>Segments by {html.escape(str(report.segment_by))}</h2><p class="meta">'
        f"{drifted} of {compared.height:,} segments compared drifted"
        f" ({t.height - compared.height} on one side only); the {worst.height} worst:</p>"
        f'<table id="segments"><tr>{head}</tr>{"".join(body)}</table>'
    )


def _num(v: float | None, spec: str = ".3g") -> str:
    if v is None or not math.isfinite(v):
        return "-"
    return format(v, spec)
