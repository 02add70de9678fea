"""Model names and segment keys holding "/" are reachable through the links the dashboard
draws (percent-encoded, and decoded by the server before routing)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import polars as pl
from http_world import CHECKSUM, world  # type: ignore[import-not-found]

import driftline as dl
from driftline.report.segments import segment_summary


def _h1(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page)
    assert found
    return html.unescape(found.group(1))


def _summary() -> dict[str, object]:
    rng = np.random.default_rng(0)
    n = 1200
    keys = np.repeat(["US/CA", "US/NY"], n // 2)
    ref = pl.DataFrame({"region": keys, "x": rng.normal(size=n)})
    cur = pl.DataFrame({"region": keys, "x": rng.normal(1, 1, n)})
    return segment_summary(dl.compare(ref, cur, segment_by="region"))


def test_slash_names_are_reachable_from_their_links(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        carol = w.session("carol")
        # "a/versions/1" would read as version 1 of "a" were "/" a path separator.
        names = ["team/churn", "a", "a/versions/1"]
        for name in names:
            carol.create_model(name)
            carol.register_version(
                name, artifact_uri="s3://m/1", checksum=CHECKSUM, metrics={"segments": _summary()}
            )
        assert {m.name for m in carol.list_models()} == set(names)
        w.login("victor")
        home = w.client.get("/ui/").text.split('id="models"', 1)[1]
        hrefs = {
            html.unescape(text): html.unescape(href)
            for href, text in re.findall(r'<a href="(/ui/models/[^"]+)">([^<]*)</a>', home)
        }
        assert set(hrefs) == set(names)
        for name, href in hrefs.items():
            model_page = w.client.get(href)
            assert model_page.status_code == 200, href
            assert _h1(model_page.text) == f"Model {name}"
            version_href = re.findall(r'href="([^"]+/versions/1)"', model_page.text)[0]
            version_page = w.client.get(version_href)
            assert _h1(version_page.text) == f"{name} v1"
            segments_href = f"{version_href}/segments"
            segments = w.client.get(segments_href)
            assert _h1(segments.text) == f"Segments of {name} v1"
            links = re.findall(r'href="([^"]+/segments/[^"]+)"', segments.text)
            assert len(links) == 2
            for link in links:
                segment = w.client.get(link)
                assert segment.status_code == 200, link
                assert _h1(segment.text) in ("region US/CA", "region US/NY")
        # A key typed with a plain "/" (its last path part) reaches the segment too.
        typed = w.client.get("/ui/models/a/versions/1/segments/US/CA")
        assert _h1(typed.text) == "region US/CA"


def test_a_decision_on_a_slash_named_model_reaches_it(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        carol = w.session("carol")
        carol.create_model("team/churn")
        carol.register_version("team/churn", artifact_uri="s3://m/1", checksum=CHECKSUM)
        carol.transition("team/churn", 1, "staging")
        csrf = w.login("alice")
        page = w.client.get("/ui/models/team%2Fchurn/versions/1").text
        action = re.search(r'<form method="post" action="([^"]+)" id="decision-form"', page)
        assert action
        answer = w.client.post(
            html.unescape(action.group(1)),
            data={"csrf": csrf, "decision": "approve"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        [approval] = w.session("root").approvals("team/churn", 1)
        assert (approval.approver, approval.decision) == ("alice", "approve")
