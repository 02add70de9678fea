"""The self-contained HTML drift report, and its check in headless Chromium."""

from __future__ import annotations

import os
import re

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from browser_support import ARGS, CHROMIUM  # type: ignore[import-not-found]


def _report() -> dl.DriftReport:
    rng = np.random.default_rng(0)
    n = 5000
    ref = pa.table(
        {
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "c": rng.choice(["a", "b", "c"], n),
            "z": rng.exponential(size=n),
        }
    )
    cur = pa.table(
        {
            "x": rng.normal(0.5, 1, n),
            "y": rng.normal(size=n),
            "c": rng.choice(["a", "b", "c"], n, p=[0.6, 0.2, 0.2]),
            "z": rng.exponential(size=n),
        }
    )
    return dl.compare(ref, cur)


def test_html_is_self_contained(tmp_path) -> None:
    r = _report()
    path = tmp_path / "report.html"
    html = r.to_html(path)
    assert path.read_text(encoding="utf-8") == html
    from plotly.offline import get_plotlyjs

    assert get_plotlyjs() in html  # the library is inline, not fetched
    page = html.replace(get_plotlyjs(), "")
    assert "<script src=" not in page
    assert not re.search(r"""(src|href)=["']https?://""", page)
    assert html.count('class="feature"') == 4
    for col in r.drifted_columns:
        assert f'data-feature="{col}" data-drifted="true"' in html
    assert "DRIFT" in html


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")
def test_html_renders_in_headless_chromium(tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    r = _report()
    assert set(r.drifted_columns) == {"x", "c"}
    path = tmp_path / "report.html"
    r.to_html(path)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=ARGS,
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda q: requests.append(q.url))
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.feature .main-svg').length >= 4")
        assert "DRIFT" in page.inner_text("#verdict")
        for col in r.drifted_columns:
            chart = page.locator(f'.feature[data-feature="{col}"] .main-svg')
            assert chart.count() >= 1
            assert page.locator(f'.feature[data-feature="{col}"] .bars path').count() > 0
        assert page.locator("#scores .main-svg").count() >= 1
        browser.close()
    assert errors == []
    assert all(u.startswith("file:") or u.startswith("data:") for u in requests), requests


def test_summary_and_polars() -> None:
    r = _report()
    df = r.to_polars()
    assert sorted(df.filter(df["drifted"])["column"].to_list()) == ["c", "x"]
    t = r.summary(print_table=False)
    assert t.row_count == 4
