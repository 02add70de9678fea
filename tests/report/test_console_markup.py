"""The terminal tables print stored names literally: rich markup in a column name, a
reason or a segment key neither crashes them nor restyles them."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
from rich.console import Console

import driftline as dl
from driftline.report.console import segments_table, summary_table

COLUMN = "price[/]"
KEYS = ["[bold]EU", "[/]US", "[red]x[/red]\\"]


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(0)
    n = 900
    keys = np.repeat(KEYS, n // 3)
    ref = pl.DataFrame({COLUMN: rng.normal(size=n), "k": keys})
    cur = pl.DataFrame({COLUMN: rng.normal(1, 1, n), "k": keys, "[i]new": np.ones(n)})
    return ref, cur


def _printed(table: object) -> str:
    console = Console(file=io.StringIO(), width=400, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_summary_table_prints_markup_like_names_literally() -> None:
    ref, cur = _frames()
    report = dl.compare(ref, cur)
    text = _printed(summary_table(report, print_table=False))
    assert COLUMN in text
    assert "[i]new" in text  # a schema change row
    reasons = [f.reason for f in report.features]
    assert all(r in text for r in reasons)


def test_segments_table_prints_markup_like_keys_literally() -> None:
    ref, cur = _frames()
    report = dl.compare(ref.drop("[i]new", strict=False), cur.drop("[i]new"), segment_by="k")
    text = _printed(segments_table(report, n=len(KEYS)))
    for key in KEYS:
        assert key in text, key
