"""The terminal summary of a drift report (a rich table).

rich reads every string of a table as console markup: a column named ``price[/]`` would
raise ``MarkupError`` and one named ``[red]x`` would restyle the row. Text that comes from
the data (column names, types, reasons, segment keys) goes through :func:`_text` first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftline.drift.report import DriftReport

__all__ = ["segments_table", "summary_table"]


def _fmt(v: float | None, spec: str = ".3g") -> str:
    return "-" if v is None else format(v, spec)


def _text(value: Any) -> str:
    """``value`` as text rich prints literally (its ``[`` escaped, never read as a tag)."""
    from rich.markup import escape

    return escape(str(value))


def summary_table(report: DriftReport, *, print_table: bool = True) -> Any:
    """A ``rich.table.Table`` of the report's columns, printed unless told not to."""
    from rich.console import Console
    from rich.table import Table

    verdict = "[bold red]DRIFT[/]" if report.drifted else "[bold green]no drift[/]"
    table = Table(
        title=f"Drift report ({report.mode} mode): {verdict}, "
        f"{report.share_drifted:.0%} of columns drifted",
        caption=f"reference {report.reference_rows:,} rows, current {report.current_rows:,}"
        f" rows; {report.correction} correction at alpha {report.alpha}",
    )
    for name, just in (
        ("column", "left"),
        ("kind", "left"),
        ("method", "left"),
        ("statistic", "right"),
        ("p (adj.)", "right"),
        ("effect", "right"),
        ("min effect", "right"),
        ("nulls ref->cur", "right"),
        ("drift", "center"),
        ("reason", "left"),
    ):
        table.add_column(name, justify=just)  # type: ignore[arg-type]
    for f in report.features:
        table.add_row(
            _text(f.column),
            _text(f.kind),
            _text(f.method),
            _fmt(f.statistic),
            _fmt(f.p_value_adjusted),
            _fmt(f.effect_size),
            _fmt(f.min_effect),
            f"{f.null_rate_reference:.1%}->{f.null_rate_current:.1%}",
            "[red]yes[/]" if f.drifted else "[green]no[/]",
            _text(f.reason),
        )
    for ch in report.schema_changes:
        if ch.change == "added":
            table.add_row(
                _text(ch.column),
                "schema",
                "schema",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                _text(f"added ({ch.current_type})"),
            )
    if print_table:
        Console().print(table)
    return table


def segments_table(report: DriftReport, n: int = 10, by: str = "share_drifted") -> Any:
    """A ``rich.table.Table`` of the ``n`` worst segments of a segmented report."""
    from rich.table import Table

    t = report.segments
    compared = t.filter(t["status"] == "compared")
    table = Table(
        title=f"Worst {_text(report.segment_by)} segments by {_text(by)}: "
        f"{int(compared['drifted'].sum())} of {compared.height:,} drifted",
        title_justify="left",
    )
    for name in ("segment", "status", "drifted", "share", "worst feature", "effect", "p (adj.)"):
        table.add_column(name, justify="left" if name in ("segment", "status") else "right")
    for r in report.worst_segments(n, by=by).iter_rows(named=True):
        share = r["share_drifted"]
        table.add_row(
            _text(r["segment"]),
            _text(r["status"]),
            "-" if r["drifted_count"] is None else f"{r['drifted_count']}/{r['features']}",
            "-" if share is None else f"{share:.0%}",
            _text(r["worst_feature"] or "-"),
            _fmt(r["worst_effect_size"]),
            _fmt(r["worst_p_value"], ".2e"),
        )
    return table
