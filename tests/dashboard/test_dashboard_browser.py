"""The dashboard in headless Chromium (Debian's package, driven by Playwright): log in with
a token, open each page, check that the charts render and that the console stays clean,
click through an approval. Screenshots are saved as PNG files in a folder printed by the
test (``DRIFTLINE_SCREENSHOTS`` chooses it)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_support import ARGS, BROWSER_MARKS, CHROMIUM, free_port  # type: ignore[import-not-found]

import driftline as dl
from driftline.exceptions import NotFound
from driftline.server import create_app

pytestmark = BROWSER_MARKS


@dataclass
class Live:
    """A server on loopback over a seeded registry."""

    base: str
    registry: Any
    tokens: dict[str, str]
    shots: Path


def _seed(url: str) -> dict[str, str]:
    reg = dl.Registry(url)
    tokens = {"root": reg.bootstrap("root")}
    admin = reg.session(tokens["root"])
    tokens["carol"] = admin.create_user("carol", role="contributor")
    tokens["alice"] = admin.create_user("alice", role="approver")
    carol = reg.session(tokens["carol"])
    carol.create_model("churn", description="monthly churn")
    reference = None
    try:
        import numpy as np
        import pyarrow as pa

        rng = np.random.default_rng(7)
        data = pa.table(
            {
                "amount": rng.lognormal(3, 1, 5000),
                "age": rng.integers(18, 90, 5000),
                "region": rng.choice(["north", "south", "east", "west"], 5000),
            }
        )
        reference = dl.profile(data, categorical=["region"])
    except ImportError:  # the native module is not built: versions without profiles
        reference = None
    for i, auc in enumerate((0.88, 0.91, 0.93), start=1):
        carol.register_version(
            "churn",
            artifact_uri=f"s3://models/churn/{i}.onnx",
            checksum="sha256:" + f"{i:x}" * 64,
            metrics={"auc": auc, "logloss": 0.5 - auc / 4},
            reference_profile=reference,
            parent=i - 1 if i > 1 else None,
        )
    carol.transition("churn", 3, "staging")
    reg.close()
    return tokens


def _feed_monitor(app: Any, session: Any) -> None:
    """A monitor with a calm window and a drifted one (needs the native module)."""
    try:
        import numpy as np
        import pyarrow as pa

        from driftline.server.hub import MonitorConfig

        config = MonitorConfig(
            name="churn-prod",
            model="churn",
            version=2,
            features=["amount", "age", "region"],
            window=2000,
            policies=[{"type": "drift", "features": 1}],
        )
        served = app.state.monitors.create(config, session)
    except (ImportError, NotFound):  # no native module: no reference profiles either
        return
    rng = np.random.default_rng(11)
    for shift in (0.0, 0.0, 1.0):
        served.monitor.observe(
            pa.table(
                {
                    "amount": rng.lognormal(3 + shift, 1, 2000),
                    "age": rng.integers(18, 90, 2000),
                    "region": rng.choice(
                        ["north", "south", "east", "west"][: 4 - int(shift)], 2000
                    ),
                }
            )
        )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import uvicorn

    root = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{root / 'registry.db'}"
    tokens = _seed(url)
    registry = dl.Registry(url)
    port = free_port()
    app = create_app(registry=registry)
    _feed_monitor(app, registry.session(tokens["carol"]))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    shots = Path(os.environ.get("DRIFTLINE_SCREENSHOTS", root / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\ndashboard screenshots: {shots}")
    try:
        yield Live(f"http://127.0.0.1:{port}", registry, tokens, shots)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        registry.close()


@pytest.fixture
def browser_page(live: Live) -> Iterator[tuple[Any, list[str]]]:
    from playwright.sync_api import sync_playwright

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
            yield page, problems
        finally:
            browser.close()


def _login(page: Any, live: Live, user: str) -> None:
    page.goto(f"{live.base}/ui/login")
    page.fill("#token", live.tokens[user])
    page.click("#login")
    page.wait_for_url(f"{live.base}/ui/")


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


def test_pages_render_with_charts_and_a_clean_console(
    live: Live, browser_page: tuple[Any, list[str]]
) -> None:
    page, problems = browser_page
    _login(page, live, "alice")
    assert live.tokens["alice"] not in page.content()
    assert not any(c["value"] == live.tokens["alice"] for c in page.context.cookies())
    _charts_rendered(page)
    page.screenshot(path=str(live.shots / "01-models.png"), full_page=True)

    page.click("text=churn")
    page.wait_for_url(f"{live.base}/ui/models/churn")
    _charts_rendered(page)
    assert page.locator("#versions tbody tr").count() == 3
    page.screenshot(path=str(live.shots / "02-model.png"), full_page=True)

    page.click("text=v2")
    page.wait_for_url(f"{live.base}/ui/models/churn/versions/2")
    if page.locator("#profile-charts").count():
        assert _charts_rendered(page, minimum=3) >= 3
    assert page.locator("#lineage tbody tr").count() == 2
    page.screenshot(path=str(live.shots / "03-version.png"), full_page=True)

    page.click("text=Audit log")
    page.wait_for_url(f"{live.base}/ui/audit")
    assert "Chain verified" in page.inner_text("#verify-status")
    _charts_rendered(page)
    page.fill("input[name=actor]", "carol")
    page.click("#filter")
    page.wait_for_url("**/ui/audit?*")
    actors = page.eval_on_selector_all(
        "#events tbody tr td:nth-child(3)", "t => t.map(x => x.textContent)"
    )
    assert actors and set(actors) == {"carol"}
    page.screenshot(path=str(live.shots / "04-audit.png"), full_page=True)

    page.click("text=Monitors")
    page.wait_for_url(f"{live.base}/ui/monitors")
    if page.locator("#monitors a").count():
        page.click("#monitors a")
        page.wait_for_url(f"{live.base}/ui/monitors/churn-prod")
        assert _charts_rendered(page, minimum=4) >= 4
        assert page.locator("#triggers tbody tr").count() >= 1
        page.screenshot(path=str(live.shots / "06-monitor.png"), full_page=True)
    assert problems == []


def test_click_through_an_approval(live: Live, browser_page: tuple[Any, list[str]]) -> None:
    page, problems = browser_page
    _login(page, live, "alice")
    page.goto(f"{live.base}/ui/models/churn/versions/3")
    page.fill("#comment", "reviewed in the browser")
    page.click("#approve")
    page.wait_for_url("**/versions/3?done=approved")
    assert "Approval recorded" in page.inner_text("#notice")
    assert "reviewed in the browser" in page.inner_text("#approvals")
    assert page.locator("#decision-form").count() == 0  # decided: the form is gone
    page.screenshot(path=str(live.shots / "05-approved.png"), full_page=True)
    admin = live.registry.session(live.tokens["root"])
    [approval] = admin.approvals("churn", 3)
    assert (approval.approver, approval.decision, approval.valid) == ("alice", "approve", True)
    assert live.registry.audit.verify().ok
    page.click("#logout")
    page.wait_for_url(f"{live.base}/ui/login")
    page.goto(f"{live.base}/ui/")
    assert page.url == f"{live.base}/ui/login"
    assert problems == []


def test_a_refused_token_and_a_viewer_without_audit(
    live: Live, browser_page: tuple[Any, list[str]]
) -> None:
    page, problems = browser_page
    page.goto(f"{live.base}/ui/login")
    page.fill("#token", "dlt_" + "n" * 43)
    page.click("#login")
    assert "refused" in page.inner_text("#login-error")
    _login(page, live, "carol")
    assert page.locator("text=Audit log").count() == 0
    page.goto(f"{live.base}/ui/models/churn/versions/3")
    assert page.locator("#decision-form").count() == 0
    # The 401 of the refused login is the only expected console line.
    assert [p for p in problems if "401" not in p] == []
