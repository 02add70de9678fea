"""The Segments pages in headless Chromium (Debian's package, driven by Playwright): the
worst segments with their chart, re-ranked by another metric, and one segment's
drill-down with its histograms; the console stays clean; screenshots are saved."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARGS, BROWSER_MARKS, CHROMIUM, free_port  # type: ignore[import-not-found]
from segments_world import DRIFTED, seed  # type: ignore[import-not-found]

import driftline as dl
from driftline.server import create_app

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    import uvicorn

    root = tmp_path_factory.mktemp("segments-browser")
    url = f"sqlite:///{root / 'registry.db'}"
    tokens = seed(url)
    registry = dl.Registry(url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(registry=registry), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    shots = Path(os.environ.get("DRIFTLINE_SCREENSHOTS", root / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nsegments screenshots: {shots}")
    try:
        yield f"http://127.0.0.1:{port}", tokens["victor"], shots
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        registry.close()


def _charts_rendered(page: Any, minimum: int = 1) -> int:
    page.wait_for_selector(".dl-chart[data-rendered='1']", timeout=30_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.dl-chart')]"
        ".every(el => el.getAttribute('data-rendered') === '1')",
        timeout=30_000,
    )
    count = page.eval_on_selector_all(".dl-chart .main-svg", "els => els.length")
    assert count >= minimum
    return int(count)


def test_segments_pages_in_a_browser(live: tuple[str, str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    base, token, shots = live
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console {msg.type}: {msg.text}")
                if msg.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
        try:
            page.goto(f"{base}/ui/login")
            page.fill("#token", token)
            page.click("#login")
            page.wait_for_url(f"{base}/ui/")
            page.click("nav >> text=Segments")
            page.wait_for_url(f"{base}/ui/segments")
            page.click("#segmented a")
            page.wait_for_url(f"{base}/ui/models/demand/versions/1/segments")
            _charts_rendered(page)
            first = page.eval_on_selector_all(
                "#worst-segments tbody tr td:first-child", "t => t.map(x => x.textContent)"
            )
            assert set(first[:3]) == set(DRIFTED)
            page.screenshot(path=str(shots / "10-segments.png"), full_page=True)

            page.select_option("#metric", "mae")
            page.click("#rank")
            page.wait_for_url("**/segments?metric=mae*")
            _charts_rendered(page)
            assert page.locator("#worst-segments tbody tr").count() == 50
            page.screenshot(path=str(shots / "11-segments-mae.png"), full_page=True)

            page.goto(f"{base}/ui/models/demand/versions/1/segments")
            page.click(f"#worst-segments >> text={DRIFTED[0]}")
            page.wait_for_url(f"**/segments/{DRIFTED[0]}")
            assert _charts_rendered(page, minimum=2) >= 2
            assert "drifted" in page.inner_text("#segment-features")
            page.screenshot(path=str(shots / "12-segment.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
