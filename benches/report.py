"""Turns pytest-benchmark JSON into the results page: ``bench-results/README.md`` and a
chart (``bench-results/targets.svg``, hand-written SVG: no plotting backend needed).

Usage: ``python benches/report.py bench-results/raw/results.json bench-results``.

Ratios are recomputed from the medians in the JSON with the same rules the run printed
(``bench_targets.evaluate``): for each driftline case, the fastest baseline of its group
among those its target names.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).parent))

from bench_targets import Target, describe, evaluate

__all__ = ["Case", "load_cases", "main", "render_markdown", "render_svg"]

CHART_FILE = "targets.svg"


@dataclass(frozen=True)
class Case:
    """One benchmark of the JSON: its group, label, role, time and size."""

    group: str
    label: str
    role: str
    seconds: float | None
    rounds: int
    size: float | None
    targets: tuple[Target, ...]
    extra: dict[str, Any]


def load_cases(data: dict[str, Any]) -> list[Case]:
    """The cases of a pytest-benchmark JSON document, in run order."""
    cases = []
    for b in data.get("benchmarks", []):
        info = b.get("extra_info", {})
        stats = b.get("stats") or {}
        seconds = info.get("seconds", stats.get("median"))
        targets = tuple(
            Target(c["kind"], float(c["value"]), tuple(c.get("against", ())))
            for c in info.get("comparisons", [])
        )
        cases.append(
            Case(
                group=b.get("group") or "ungrouped",
                label=info.get("label", b["name"]),
                role=info.get("role", "baseline"),
                seconds=None if seconds is None else float(seconds),
                rounds=int(stats.get("rounds", 0)),
                size=info.get("bytes"),
                targets=targets,
                extra=info,
            )
        )
    return cases


def comparisons(cases: list[Case]) -> list[dict[str, Any]]:
    """Each driftline case's comparison records, recomputed from the medians."""
    out = []
    for case in cases:
        baselines = {
            c.label: c.seconds
            for c in cases
            if c.group == case.group and c.label != case.label and c.seconds is not None
        }
        for t in case.targets:
            rec = evaluate(t, case.seconds, case.size, baselines)
            rec.update(group=case.group, label=case.label)
            out.append(rec)
    return out


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.1f} us"


def _fmt_bytes(b: float | None) -> str:
    if b is None:
        return "-"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if b >= scale:
            return f"{b / scale:.1f} {unit}"
    return f"{b:.0f} B"


def _ratio_cell(c: dict[str, Any]) -> tuple[str, str]:
    r, kind, v = c["ratio"], c["kind"], c["value"]
    if kind == "speedup":
        return ("-" if r is None else f"{r:.2f}x faster", f">= {v:g}x faster")
    if kind == "max_slowdown":
        return ("-" if r is None else f"{r:.2f}x the time", f"<= {v:g}x the time")
    if kind == "max_seconds":
        return (_fmt_time(r), f"< {_fmt_time(v)}")
    return (_fmt_bytes(r), f"< {_fmt_bytes(v)}")


def _notes(extra: dict[str, Any]) -> str:
    """Ratios and targets that suites not using ``bench_measure`` keep in ``extra_info``
    (keys naming a ratio, a target or a speedup), so that their figures reach the page."""
    keys = ("ratio", "target", "speedup", "faster")
    out = []
    for k, v in extra.items():
        if k == "comparisons" or not any(w in k for w in keys):
            continue
        if isinstance(v, float):
            v = f"{v:.3g}"
        out.append(f"{k}={v}")
    return "; ".join(out).replace("|", "/")


def goal_score(c: dict[str, Any]) -> float | None:
    """How far a comparison is from its target: > 1 met, < 1 missed (a multiplicative
    margin, the quantity the chart draws on a log scale)."""
    r, v = c["ratio"], c["value"]
    if r is None or r <= 0:
        return None
    return r / v if c["kind"] == "speedup" else v / r


def render_svg(comps: list[dict[str, Any]]) -> str:
    """A horizontal bar per comparison: its margin over the target on a log scale, with
    the target line at 1."""
    rows = [(c, goal_score(c)) for c in comps]
    rows = [(c, s) for c, s in rows if s is not None]
    label_w, bar_w, row_h, top = 470, 380, 26, 40
    width, height = label_w + bar_w + 110, top + row_h * max(len(rows), 1) + 40
    scores = [s for _, s in rows] or [1.0]
    lo = math.floor(math.log10(min(min(scores), 0.5)))
    hi = math.ceil(math.log10(max(max(scores), 2.0)))

    def x(v: float) -> float:
        return label_w + bar_w * (math.log10(v) - lo) / (hi - lo)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="20" font-size="14" font-weight="bold">driftline against its '
        "targets (margin over target, log scale; right of the line = met)</text>",
    ]
    for k in range(lo, hi + 1):
        gx = x(10.0**k)
        out.append(
            f'<line x1="{gx:.1f}" y1="{top - 6}" x2="{gx:.1f}" y2="{height - 30}" '
            f'stroke="#ddd"/><text x="{gx:.1f}" y="{height - 14}" text-anchor="middle">'
            f"{10.0**k:g}x</text>"
        )
    for i, (c, s) in enumerate(rows):
        y = top + i * row_h
        color = "#2e7d32" if s >= 1 else "#c62828"
        x0, x1 = x(1.0), x(s)
        ratio, target = _ratio_cell(c)
        versus = f" vs {c['reference']}" if c["reference"] else ""
        name = escape(f"{c['group']}: {c['label']}{versus}"[:72])
        out += [
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{name}</text>',
            f'<rect x="{min(x0, x1):.1f}" y="{y + 4}" width="{abs(x1 - x0):.1f}" height="16" '
            f'fill="{color}"><title>{escape(ratio)} (target {escape(target)})</title></rect>',
            f'<text x="{max(x0, x1) + 4:.1f}" y="{y + 16}" fill="#333">{escape(ratio)}</text>',
        ]
    x1 = x(1.0)
    out.append(
        f'<line x1="{x1:.1f}" y1="{top - 6}" x2="{x1:.1f}" y2="{height - 30}" '
        f'stroke="black" stroke-width="1.5"/>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_markdown(data: dict[str, Any], cases: list[Case], comps: list[dict[str, Any]]) -> str:
    """The results page."""
    mi, ci = data.get("machine_info", {}), data.get("commit_info", {})
    cpu = mi.get("cpu", {})
    quick = any(c.extra.get("quick") for c in cases)
    build = next((c.extra["native_build"] for c in cases if "native_build" in c.extra), "?")
    lines = [
        "# driftline benchmark results",
        "",
        "Generated by `make bench` (`benches/report.py`); do not edit by hand. Every ratio is "
        "measured against its baseline in the same run, on the same data.",
        "",
        f"- run: {data.get('datetime', '?')}, commit `{str(ci.get('id', '?'))[:12]}`"
        f"{' (dirty tree)' if ci.get('dirty') else ''}",
        f"- machine: {cpu.get('brand_raw', mi.get('processor', '?'))}, "
        f"{cpu.get('count', '?')} logical CPUs, Python {mi.get('python_version', '?')}, "
        f"{mi.get('system', '')} {mi.get('release', '')}",
        f"- sizes: {'QUICK (about 100x smaller; not the figures to quote)' if quick else 'full'}"
        f"; native module: {build} build",
        "",
        "## Targets",
        "",
        "| group | driftline case | result | target | against | met |",
        "|---|---|---|---|---|---|",
    ]
    for c in comps:
        ratio, target = _ratio_cell(c)
        met = {True: "yes", False: "**no**", None: "-"}[c["met"]]
        against = c["reference"] or ", ".join(c["against"]) or "absolute"
        lines.append(f"| {c['group']} | {c['label']} | {ratio} | {target} | {against} | {met} |")
    lines += ["", f"![driftline against its targets]({CHART_FILE})", "", "## All cases", ""]
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(case.group, []).append(case)
    for group, members in groups.items():
        lines += [
            f"### {group}",
            "",
            "| case | role | median | rounds | bytes | notes |",
            "|---|---|---|---|---|---|",
        ]
        for m in members:
            lines.append(
                f"| {m.label} | {m.role} | {_fmt_time(m.seconds)} | {m.rounds} | "
                f"{_fmt_bytes(m.size)} | {_notes(m.extra)} |"
            )
        for m in members:
            inc = m.extra.get("histogram_increment_seconds")
            if inc is not None:
                lines.append("")
                lines.append(
                    f"What the histogram adds to the profile ({m.label} minus the profile "
                    f"without edges): {_fmt_time(inc)}."
                )
        lines.append("")
    lines += [
        "## How it is measured",
        "",
        "- `benches/test_profile_bench.py`: histogram on 10 reference quantile edges "
        "(1e8 float64) against numpy `searchsorted` + `bincount` and two numba `@njit` loops; "
        "full profile of 1M rows x (20 float64 + 5 string columns) against numpy and polars "
        "computing the same statistics, and whylogs (its own virtualenv, `why.log` timed "
        "inside the subprocess); merging two 25-column profiles; the bytes of a numeric "
        "column's profile.",
        "- `benches/test_parquet_bench.py`: `profile_parquet` against `pyarrow.parquet."
        "read_table` of the same file (262,144-row groups); peak RSS of a fresh process "
        "profiling a multi-GB file.",
        "- The native module has no histogram-only entry point: driftline's histogram case "
        "is a whole profile with edges (moments, quantile and distinct-count sketches, "
        "fingerprint and histogram); the case without edges shows what the histogram adds.",
        "- Medians of pytest-benchmark rounds after a warm-up round; numba compilation is "
        "done before timing.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Reads the JSON, writes the page and the chart, prints the comparisons.

    A hand-written ``notes.md`` in the output folder (known issues, cases that could not
    run) is appended to the page."""
    if len(argv) != 2:
        print("usage: report.py RESULTS.json OUT_DIR", file=sys.stderr)
        return 2
    data = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    cases = load_cases(data)
    comps = comparisons(cases)
    (out / CHART_FILE).write_text(render_svg(comps), encoding="utf-8")
    page = render_markdown(data, cases, comps)
    notes = out / "notes.md"
    if notes.exists():
        page += "\n" + notes.read_text(encoding="utf-8")
    (out / "README.md").write_text(page, encoding="utf-8")
    for c in comps:
        print(f"[{c['group']}] {c['label']}: {describe(c)}")
    print(f"wrote {out / 'README.md'} and {out / CHART_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
