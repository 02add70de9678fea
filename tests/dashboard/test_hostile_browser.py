"""Hostile stored text and a hostile site, in headless Chromium (Debian's package, driven
by Playwright): chart labels holding markup are drawn as text (no live link in a chart),
and a page on another site cannot log the browser into the attacker's session."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pytest
from browser_support import ARGS, BROWSER_MARKS, CHROMIUM, free_port  # type: ignore[import-not-found]

import driftline as dl
from driftline.server import create_app

pytestmark = BROWSER_MARKS

LINK = '<a href="https://evil.example/phish">Click to re-login</a>'
SCRIPTED = '<a href="javascript:alert(7)">js</a><img src=x onerror=alert(8)>'


@dataclass
class Live:
    base: str
    tokens: dict[str, str]
    attacker: str


def _seed(url: str) -> dict[str, str]:
    reg = dl.Registry(url)
    tokens = {"root": reg.bootstrap("root")}
    admin = reg.session(tokens["root"])
    tokens["carol"] = admin.create_user("carol", role="contributor")
    tokens["alice"] = admin.create_user("alice", role="approver")
    tokens["mallory"] = admin.create_user("mallory", role="viewer")
    carol = reg.session(tokens["carol"])
    carol.create_model("m")
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"col" + LINK: rng.choice(["ok", LINK, SCRIPTED], 400)})
    carol.register_version(
        "m",
        artifact_uri="s3://m/1",
        checksum="sha256:" + "a" * 64,
        reference_profile=dl.profile(frame),
    )
    reg.close()
    return tokens


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import uvicorn

    root = tmp_path_factory.mktemp("hostile-browser")
    url = f"sqlite:///{root / 'registry.db'}"
    tokens = _seed(url)
    registry = dl.Registry(url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(registry=registry), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # The attacker's site: another site for the browser ("localhost", not "127.0.0.1"),
    # a page that posts mallory's token to our login form as soon as it loads.
    site = root / "attacker"
    site.mkdir()
    (site / "x.html").write_text(
        f'<form id="f" method="post" action="http://127.0.0.1:{port}/ui/login">'
        f'<input name="token" value="{tokens["mallory"]}"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    attacker_thread = threading.Thread(target=attacker.serve_forever, daemon=True)
    attacker_thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield Live(
            f"http://127.0.0.1:{port}",
            tokens,
            f"http://localhost:{attacker.server_address[1]}/x.html",
        )
    finally:
        attacker.shutdown()
        attacker.server_close()
        server.should_exit = True
        thread.join(timeout=30)
        attacker_thread.join(timeout=30)
        registry.close()


@pytest.fixture
def page(live: Live) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            tab = browser.new_page()
            dialogs: list[str] = []
            tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            yield tab
            assert dialogs == []
        finally:
            browser.close()


def _login(page: Any, live: Live, user: str) -> None:
    page.goto(f"{live.base}/ui/login")
    page.fill("#token", live.tokens[user])
    page.click("#login")
    page.wait_for_url(f"{live.base}/ui/")


def test_chart_labels_with_markup_are_drawn_as_text(live: Live, page: Any) -> None:
    _login(page, live, "alice")
    page.goto(f"{live.base}/ui/models/m/versions/1")
    page.wait_for_selector(".dl-chart[data-rendered='1']", timeout=30_000)
    links = page.eval_on_selector_all(".dl-chart svg a", "els => els.length")
    assert links == 0
    ticks = page.eval_on_selector_all(".dl-chart .xtick text", "els => els.map(e => e.textContent)")
    assert set(ticks) == {"ok", LINK, SCRIPTED}
    title = page.eval_on_selector_all(".dl-chart .gtitle", "els => els.map(e => e.textContent)")
    assert title == [f"col{LINK} (reference)"]


def test_a_login_posted_from_another_site_is_refused(live: Live, page: Any) -> None:
    _login(page, live, "alice")

    def is_login(response: Any) -> bool:
        return bool(response.url == f"{live.base}/ui/login" and response.request.method == "POST")

    with page.expect_response(is_login, timeout=30_000) as posted:
        page.goto(live.attacker)
    assert posted.value.status == 403
    page.goto(f"{live.base}/ui/")
    assert page.text_content(".who") == "alice (approver)"
