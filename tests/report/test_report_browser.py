"""The HTML reports with hostile names in headless Chromium (Debian's package, driven by
Playwright): a column, category, group or segment holding markup is drawn as text in every
chart (no live link), no script runs, nothing is fetched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import driftline as dl
from browser_support import ARGS, BROWSER_MARKS, CHROMIUM  # type: ignore[import-not-found]
from driftline.report.results import render_results_html

pytestmark = BROWSER_MARKS

LINK = '<a href="https://evil.example/">evil</a>'
SCRIPT = "<img src=x onerror=alert(2)>"


def _reports() -> dict[str, str]:
    rng = np.random.default_rng(0)
    n = 1000
    segments = np.repeat(["s" + LINK, "t"], n // 2)

    def frame(shift: float) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "x" + LINK: rng.normal(shift, 1, n),
                "c": rng.choice(["a" + SCRIPT, LINK], n),
                "seg": segments,
            }
        )

    ref, cur = frame(0.0), frame(1.0)
    plain = dl.compare(ref.drop("seg"), cur.drop("seg"))
    segmented = dl.compare(ref, cur, segment_by="seg")
    groups = pl.DataFrame(
        {"g": rng.choice(["a" + SCRIPT, LINK], n), "pred": rng.integers(0, 2, n)}
    ).with_columns(y=pl.Series(rng.integers(0, 2, n)))
    fair = dl.fairness(groups, prediction="pred", label="y", sensitive="g")
    return {
        "drift.html": plain.to_html(),
        "segmented.html": segmented.to_html(),
        "results.html": render_results_html(fairness={"g" + LINK: fair}, drift=segmented),
    }


def _check(browser: Any, path: Path) -> None:
    page = browser.new_page()
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
    page.on(
        "request",
        lambda q: None if q.url.startswith(("file:", "data:")) else seen.append(q.url),
    )
    page.goto(path.as_uri())
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length > 0 && "
        "[...document.querySelectorAll('.js-plotly-plot')]"
        ".every(el => el.querySelector('.main-svg'))",
        timeout=30_000,
    )
    # Links drawn inside a chart's SVG (the mode bar's buttons are HTML, outside it).
    links = page.eval_on_selector_all(
        ".js-plotly-plot svg a",
        "els => els.map(e => e.getAttribute('href') || e.getAttribute('xlink:href'))",
    )
    assert links == [], path.name
    labels = page.eval_on_selector_all(
        ".js-plotly-plot .xtick text, .js-plotly-plot .gtitle",
        "els => els.map(e => e.textContent)",
    )
    assert any(LINK in label for label in labels), (path.name, labels)
    assert seen == [], path.name
    page.close()


def test_reports_draw_hostile_names_as_text(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    files = _reports()
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for name in files:
                _check(browser, tmp_path / name)
        finally:
            browser.close()
