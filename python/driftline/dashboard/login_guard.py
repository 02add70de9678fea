"""Login CSRF: a page on another site must not log the reader's browser into a session.

Without a check, a hostile page can auto-submit a form to ``/ui/login`` with the
attacker's own token: the reader then works in the attacker's session (and approves, or
types notes, as the attacker). Forms after login carry the session's CSRF token; the login
form has no session yet, so :func:`refusal` uses what the browser says about the request:

1. ``Sec-Fetch-Site`` (sent by current browsers, and not settable by a page): only
   ``same-origin`` (our own login form) and ``none`` (typed by the reader) are let in.
2. Without it (an older browser, or plain HTTP to a remote host, where browsers leave it
   out), ``Origin`` must name this server's host.
3. ``Origin: null`` says nothing about the sender (our own pages send it: they are served
   with ``Referrer-Policy: no-referrer``; so can a hostile page that asks for no referrer):
   the form must then carry the value of the pre-session cookie the login page set
   (``SameSite=Strict``, so a page on another site never has it sent).

A request with neither header does not come from a browser form (a script, a test client):
it cannot be a forged login, and is let in.
"""

from __future__ import annotations

import hmac
import re
import secrets

from fastapi import Request, Response

__all__ = ["FIELD", "LOGIN_COOKIE", "login_token", "refusal", "set_login_cookie"]

LOGIN_COOKIE = "driftline_login"
FIELD = "login_csrf"
_SHAPE = re.compile(r"[A-Za-z0-9_\-]{43}")
_ALLOWED_FETCH_SITES = ("same-origin", "none")


def login_token(request: Request) -> str:
    """The pre-session token for the login form: the browser's own when it has one (two
    open login tabs keep working), else a new random one."""
    held = request.cookies.get(LOGIN_COOKIE, "")
    return held if _SHAPE.fullmatch(held) else secrets.token_urlsafe(32)


def set_login_cookie(response: Response, request: Request, token: str) -> None:
    """Give the browser the pre-session token (sent back to the login form only)."""
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/ui/login",
        max_age=3600,
    )


def refusal(request: Request, form: dict[str, str]) -> str | None:
    """Why a login POST is refused as cross-site, or None to let it in."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        if fetch_site.lower() in _ALLOWED_FETCH_SITES:
            return None
        return f"a login sent from another site ({fetch_site[:32]}) is refused"
    origin = request.headers.get("origin")
    if origin is None:
        return None
    if origin.strip().lower() == "null":
        held = request.cookies.get(LOGIN_COOKIE, "")
        sent = form.get(FIELD, "")
        if held and hmac.compare_digest(held, sent):
            return None
        return "reload the login page and log in again (its form token did not match)"
    # The host only, not the scheme: behind a proxy ending TLS the server sees http while
    # the browser says https; another site cannot share this host name.
    _, _, host = origin.partition("://")
    if host.lower() == request.url.netloc.lower():
        return None
    return "a login sent from another origin is refused"
