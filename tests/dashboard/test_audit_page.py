"""The audit log page: newest events first, filters applied to the whole trail (not to
one page of it), and next-page links that reach every event once."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from http_world import world  # type: ignore[import-not-found]

from driftline.exceptions import PermissionDenied


def _seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r"<tr><td>(\d+)</td>", page)]


def _walk(client: Any, url: str) -> tuple[list[int], int]:
    """Every seq shown by following the next-page links from ``url``; the pages read."""
    shown: list[int] = []
    pages = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        shown += _seqs(page.text)
        pages += 1
        older = re.search(r'<a href="([^"]+)" id="older">', page.text)
        url = html.unescape(older.group(1)) if older else ""
        assert pages < 50
    return shown, pages


def test_the_audit_page_shows_the_newest_and_reaches_every_event(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        carol = w.session("carol")
        for i in range(60):
            carol.create_model(f"m{i}")
        with pytest.raises(PermissionDenied):
            w.session("victor").create_model("by-victor")  # refused: the newest event
        events = w.registry.audit.events()
        newest_first = sorted((e.seq for e in events), reverse=True)
        w.login("root")

        first = w.client.get("/ui/audit?limit=25").text
        assert _seqs(first) == newest_first[:25]

        shown, pages = _walk(w.client, "/ui/audit?limit=25")
        assert shown == newest_first and pages == -(-len(events) // 25)

        victor = [e.seq for e in reversed(events) if e.actor == "victor"]
        assert victor  # the denial
        assert _walk(w.client, "/ui/audit?actor=victor&limit=25")[0] == victor

        created = [e.seq for e in reversed(events) if e.action == "model.create"]
        assert len(created) > 25
        assert _walk(w.client, "/ui/audit?action=model.create&limit=25")[0] == created

        target = [e.seq for e in reversed(events) if "m1" in e.target]
        assert _walk(w.client, "/ui/audit?target=m1&limit=7")[0] == target

        since = newest_first[10]
        after = [s for s in newest_first if s > since]
        assert _walk(w.client, f"/ui/audit?since={since}&limit=4")[0] == after


def test_a_scan_budget_gives_short_pages_that_carry_on() -> None:
    from dataclasses import dataclass

    from driftline.dashboard.audit_page import newest_first

    @dataclass
    class Event:
        seq: int

    # A trail with a gap (seq 40 deleted), read as the registry does: after since, in order.
    trail = [Event(s) for s in range(1, 101) if s != 40]

    def read(*, since: int, limit: int) -> list[Event]:
        return [e for e in trail if e.seq > since][:limit]

    def keep(events: list[Event]) -> list[Event]:
        return [e for e in events if e.seq % 7 == 0]

    expected = [e.seq for e in reversed(trail) if e.seq % 7 == 0]
    shown: list[int] = []
    before = None
    for _ in range(100):
        page = newest_first(read, head=100, since=0, before=before, limit=3, keep=keep, budget=9)
        assert len(page.events) <= 3
        shown += [e.seq for e in page.events]
        before = page.older
        if before is None:
            break
    assert shown == expected
