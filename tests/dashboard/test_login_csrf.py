"""Login CSRF: a login POST that a browser says came from another site is refused with 403
and opens no session; our own login form, and clients that are not browsers, log in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from http_world import world  # type: ignore[import-not-found]

from driftline.server.auth import COOKIE_NAME

OWN = "http://127.0.0.1"


def _post(w: Any, headers: dict[str, str], form: dict[str, str] | None = None) -> Any:
    data = {"token": w.tokens["victor"], **(form or {})}
    return w.client.post("/ui/login", data=data, headers=headers, follow_redirects=False)


CROSS_SITE = {
    "other origin": {"Origin": "https://evil.example"},
    "other port": {"Origin": "http://127.0.0.1:9"},
    "fetch cross-site": {"Sec-Fetch-Site": "cross-site"},
    "fetch same-site": {"Sec-Fetch-Site": "same-site"},
    "fetch cross-site, own origin": {"Sec-Fetch-Site": "cross-site", "Origin": OWN},
    "null origin, no form token": {"Origin": "null"},
}


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE.keys())
def test_a_cross_site_login_is_refused(tmp_path: Path, headers: dict[str, str]) -> None:
    with world(tmp_path) as w:
        answer = _post(w, headers)
        assert answer.status_code == 403
        assert COOKIE_NAME not in answer.cookies
        assert w.client.get("/ui/", follow_redirects=False).status_code == 303  # to login


SAME_ORIGIN = {
    "no browser headers": {},
    "own origin": {"Origin": OWN},
    "fetch same-origin": {"Sec-Fetch-Site": "same-origin", "Origin": "null"},
    "typed by the reader": {"Sec-Fetch-Site": "none"},
}


@pytest.mark.parametrize("headers", SAME_ORIGIN.values(), ids=SAME_ORIGIN.keys())
def test_a_same_origin_login_opens_a_session(tmp_path: Path, headers: dict[str, str]) -> None:
    with world(tmp_path) as w:
        answer = _post(w, headers)
        assert answer.status_code == 303
        assert "victor (viewer)" in w.client.get("/ui/").text


def test_a_null_origin_login_needs_the_login_pages_token(tmp_path: Path) -> None:
    # Plain HTTP to a remote host: no Sec-Fetch-Site, and our no-referrer pages send
    # "Origin: null". The login page's cookie and form field vouch for the form.
    from driftline.dashboard.login_guard import FIELD, LOGIN_COOKIE

    with world(tmp_path) as w:
        form_page = w.client.get("/ui/login")
        found = re.search(rf'name="{FIELD}" value="([^"]+)"', form_page.text)
        assert found and w.client.cookies.get(LOGIN_COOKIE) == found.group(1)
        wrong = _post(w, {"Origin": "null"}, {FIELD: "x" * 43})
        assert wrong.status_code == 403
        answer = _post(w, {"Origin": "null"}, {FIELD: found.group(1)})
        assert answer.status_code == 303
