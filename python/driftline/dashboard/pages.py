"""The dashboard's pages: login, models, a model, a version (with its reference profile and
the approval form), the audit log. Server-rendered; charts drawn by plotly.js in the page.

Authentication is the dashboard session cookie (``HttpOnly``, ``SameSite=Strict``); every
form that changes something carries the session's CSRF token.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from driftline.dashboard import charts, login_guard
from driftline.dashboard.html import Markup, chart, esc, form_hidden, link, page, path_part, table
from driftline.exceptions import (
    DataError,
    DriftlineError,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    SchemaError,
)
from driftline.server.auth import (
    COOKIE_NAME,
    Permission,
    Principal,
    SecuredRoute,
    check_csrf,
    current_principal,
    requires,
)
from driftline.server.limits import INT64_MAX
from driftline.server.routes.registry import version_key

__all__ = ["error_page", "render", "router"]

router = APIRouter(prefix="/ui", route_class=SecuredRoute, include_in_schema=False)

Who = Annotated[Principal, Depends(current_principal)]
Name = Annotated[str, Path(min_length=1, max_length=256)]
_NOTICES = {"approved": "Approval recorded.", "rejected": "Rejection recorded."}
_MAX_PROFILE_CHARTS = 24
_DECIDABLE = ("development", "staging")


def _nav(who: Principal) -> list[tuple[str, str]]:
    nav = [("/ui/", "Models"), ("/ui/monitors", "Monitors"), ("/ui/segments", "Segments")]
    if Permission.AUDIT in who.permissions:
        nav.append(("/ui/audit", "Audit log"))
    return nav


def render(who: Principal, title: str, body: Markup, *, charts_on: bool = False) -> HTMLResponse:
    html = page(
        title, body, user=who.name, role=who.role, csrf=who.csrf, nav=_nav(who), charts=charts_on
    )
    return HTMLResponse(html)


def error_page(who: Principal, exc: DriftlineError, status: int = 404) -> HTMLResponse:
    body = Markup(f'<p class="error">{esc(type(exc).__name__)}: {esc(str(exc)[:500])}</p>')
    response = render(who, "Not available", body)
    response.status_code = status
    return response


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(raw, max_num_fields=20).items()}


@router.get("/static/{name}")
@requires(Permission.PUBLIC)
def static(name: Annotated[str, Path(max_length=64)]) -> Response:
    """A fixed asset by name (plotly.js, the chart script, the stylesheet)."""
    found = charts.asset(name)
    if found is None:
        return Response(b"not found", status_code=404, media_type="text/plain")
    content, media_type = found
    return Response(content, media_type=media_type, headers={"Cache-Control": "max-age=3600"})


_LOGIN_HELP = Markup(
    "<p>Paste a driftline access token (<code>dlt_…</code>). It is checked by the registry "
    "and kept on the server only; the browser holds a random session id.</p>"
)


def _login_form(token: str) -> Markup:
    return Markup(
        '<form method="post" action="/ui/login" id="login-form">'
        f"{form_hidden(login_guard.FIELD, token)}"
        '<label>Token <input type="password" name="token" id="token" autocomplete="off" '
        'required maxlength="200"></label> <button type="submit" id="login">Log in</button>'
        "</form>" + _LOGIN_HELP
    )


def _login_response(request: Request, before: str = "", status: int = 200) -> HTMLResponse:
    """The login page (``before`` an escaped message above the form), with its
    pre-session form token (:mod:`~driftline.dashboard.login_guard`)."""
    token = login_guard.login_token(request)
    response = HTMLResponse(page("Log in", Markup(before + _login_form(token))), status_code=status)
    login_guard.set_login_cookie(response, request, token)
    return response


@router.get("/login")
@requires(Permission.PUBLIC)
def login_page(request: Request) -> HTMLResponse:
    """The login form."""
    return _login_response(request)


@router.post("/login")
@requires(Permission.PUBLIC)
async def login(request: Request) -> Response:
    """Check a token and open a dashboard session (cookie: a random id, never the token).

    A login sent by a page on another site is refused with 403 before the token is read
    (login CSRF; see :mod:`~driftline.dashboard.login_guard`).
    """
    form = await _form(request)
    refused = login_guard.refusal(request, form)
    if refused is not None:
        body = f'<p class="error" id="login-error">{esc(refused)}</p>'
        return _login_response(request, body, status=403)
    sessions = request.app.state.ui_sessions
    opened = await run_in_threadpool(
        sessions.login, request.app.state.registry, form.get("token", "").strip()
    )
    if opened is None:
        body = '<p class="error" id="login-error">That token was refused.</p>'
        return _login_response(request, body, status=401)
    sid, _ = opened
    response = RedirectResponse("/ui/", status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        sid,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/ui",
        max_age=8 * 3600,
    )
    # The pre-session token has done its job: a new login page gets a fresh one.
    response.delete_cookie(login_guard.LOGIN_COOKIE, path="/ui/login")
    return response


@router.post("/logout")
@requires(Permission.READ, via="cookie")
async def logout(request: Request, who: Who) -> Response:
    """Close the dashboard session."""
    form = await _form(request)
    if not check_csrf(who, form.get("csrf", "")):
        return HTMLResponse("forbidden", status_code=403)
    request.app.state.ui_sessions.logout(request.cookies.get(COOKIE_NAME, ""))
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/ui")
    return response


@router.get("/")
@requires(Permission.READ, via="cookie")
def models_page(who: Who) -> HTMLResponse:
    """Every model with its production version, and versions per stage."""
    models = who.session.list_models()
    versions = who.session.list_versions(limit=100_000)
    stages: Counter[str] = Counter(v.stage for v in versions)
    rows = [
        (
            link(f"/ui/models/{path_part(m.name)}", m.name),
            m.description,
            m.production_version if m.production_version is not None else "—",
            ", ".join(f"{k}→{v}" for k, v in sorted(m.aliases.items())),
            ", ".join(m.owners),
            "suspended" if m.suspended else "",
        )
        for m in models
    ]
    body = table(
        ["model", "description", "production", "aliases", "owners", ""], rows, table_id="models"
    )
    if not models:
        body = Markup('<p id="models">No models yet.</p>')
    fig = charts.bar_figure(
        "Versions by lifecycle stage",
        list(stages),
        list(map(float, stages.values())),
        y_title="versions",
    )
    body = Markup(body + chart(fig, chart_id="chart-stages", title="versions by stage"))
    return render(who, "Models", body, charts_on=True)


@router.get("/models/{model}")
@requires(Permission.READ, via="cookie")
def model_page(model: Name, who: Who) -> HTMLResponse:
    """A model: its versions, stages, approvals state and metrics across versions."""
    try:
        found = who.session.get_model(model)
        versions = who.session.list_versions(model, limit=10_000)
    except DriftlineError as exc:
        return error_page(who, exc)
    base = f"/ui/models/{path_part(model)}/versions/"
    rows = [
        (
            link(base + str(v.version), f"v{v.version}"),
            v.stage,
            "candidate" if v.candidate else "",
            v.created_by,
            v.created_at,
            v.training_dataset or "",
            ", ".join(
                f"{k}={val}" if not isinstance(val, dict | list) else f"{k}=(…)"
                for k, val in sorted(v.metrics.items())
            ),
        )
        for v in versions
    ]
    head = Markup(
        f"<p>{esc(found.description)}</p><p>Owners: {esc(', '.join(found.owners))}. "
        f"Production: {esc(found.production_version or '—')}."
        + (
            f' <span class="bad">Suspended: {esc(found.suspended_reason)}</span>'
            if found.suspended
            else ""
        )
        + "</p>"
    )
    cols = ["version", "stage", "", "created by", "created at", "training data", "metrics"]
    body = Markup(head + table(cols, rows, table_id="versions"))
    metric_names = sorted(
        {k for v in versions for k, x in v.metrics.items() if _as_float(x) is not None}
    )
    if metric_names:
        series = {k: [_chart_value(v.metrics.get(k)) for v in versions] for k in metric_names}
        fig = charts.line_figure(
            "Metrics by version", [v.version for v in versions], series, x_title="version"
        )
        body = Markup(body + chart(fig, chart_id="chart-metrics", title="metrics by version"))
    return render(who, f"Model {model}", body, charts_on=bool(metric_names))


def _as_float(x: Any) -> float | None:
    """A metric as a finite float, or None when it cannot be charted.

    Metrics are any JSON a contributor stored: an integer beyond the float range is valid
    JSON (and shown as text in the table), but ``float()`` would raise OverflowError and
    break the page for every reader.
    """
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    # int-to-float comparison is exact in Python, so this cannot overflow itself.
    if isinstance(x, int) and not -sys.float_info.max <= x <= sys.float_info.max:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def _chart_value(x: Any) -> float:
    # The chart draws NaN as a gap: a version without a plottable value for this metric.
    value = _as_float(x)
    return float("nan") if value is None else value


def _profile_charts(who: Principal, model: str, version: int | str) -> Markup:
    try:
        profile = who.session.reference_profile(model, version)
    except (DriftlineError, ImportError):
        return Markup("<p>The reference profile cannot be read by this server.</p>")
    parts = []
    for i, column in enumerate(profile.columns[:_MAX_PROFILE_CHARTS]):
        col = profile[column]
        hist = col.histogram()
        if hist is not None:
            fig = charts.histogram_figure(f"{column} (reference)", hist.edges, hist.counts)
        else:
            freqs = col.frequencies() or {}
            top = sorted(freqs.items(), key=lambda kv: -kv[1])[:30]
            fig = charts.bar_figure(
                f"{column} (reference)",
                [k for k, _ in top],
                [float(c) for _, c in top],
                y_title="count",
            )
        parts.append(chart(fig, chart_id=f"chart-profile-{i}", title=column))
    return Markup('<div class="charts" id="profile-charts">' + "".join(parts) + "</div>")


@router.get("/models/{model}/versions/{version}")
@requires(Permission.READ, via="cookie")
def version_page(
    model: Name,
    version: Annotated[str, Path(min_length=1, max_length=256)],
    who: Who,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    """A version: details, approvals (with the approval form), lineage, reference profile."""
    key = version_key(version)
    try:
        v = who.session.get_version(model, key)
        approvals = who.session.approvals(model, key)
        lineage = who.session.lineage(model, key)
    except DriftlineError as exc:
        return error_page(who, exc)
    notice = _NOTICES.get(done or "")
    parts: list[str] = []
    if notice:
        parts.append(f'<p class="notice" id="notice">{esc(notice)}</p>')
    parts.append(
        table(
            ["stage", "artifact", "checksum", "framework", "created by", "revision"],
            [(v.stage, v.artifact_uri, v.checksum, v.framework, v.created_by, v.revision)],
            table_id="version",
        )
    )
    parts.append("<h2>Approvals</h2>")
    parts.append(
        table(
            ["approver", "decision", "valid", "comment", "evidence passed", "at"],
            [
                (
                    a.approver,
                    a.decision,
                    "yes" if a.valid else "void",
                    a.comment,
                    a.evidence_passed,
                    a.created_at,
                )
                for a in approvals
            ],
            table_id="approvals",
        )
    )
    decided = any(a.approver == who.name and a.valid for a in approvals)
    may_decide = who.name != v.created_by and not decided
    if Permission.APPROVE in who.permissions and may_decide and v.stage in _DECIDABLE:
        action = f"/ui/models/{path_part(model)}/versions/{v.version}/decision"
        parts.append(
            f'<form method="post" action="{esc(action)}" id="decision-form">'
            f"{form_hidden('csrf', who.csrf)}"
            '<label>Comment <input name="comment" id="comment" maxlength="2000"></label> '
            '<button type="submit" name="decision" value="approve" id="approve">Approve</button> '
            '<button type="submit" name="decision" value="reject" id="reject">Reject</button>'
            "</form>"
        )
    parts.append("<h2>Lineage</h2>")
    parts.append(
        table(
            ["version", "stage", "training dataset", "reference profile sha256"],
            [
                (
                    n.version,
                    n.stage,
                    n.training_dataset.ref if n.training_dataset else "",
                    n.reference_profile_sha256 or "",
                )
                for n in lineage
            ],
            table_id="lineage",
        )
    )
    if isinstance(v.metrics.get("segments"), dict):
        href = f"/ui/models/{path_part(model)}/versions/{v.version}/segments"
        parts.append(f'<p id="segments-link">{link(href, "Segments of this version")}</p>')
    has_charts = v.has_reference_profile
    if has_charts:
        parts.append("<h2>Reference profile</h2>")
        parts.append(_profile_charts(who, model, v.version))
    body = Markup("".join(parts))
    return render(who, f"{model} v{v.version}", body, charts_on=has_charts)


@router.post("/models/{model}/versions/{version}/decision")
@requires(Permission.APPROVE, via="cookie")
async def decision(
    request: Request,
    model: Name,
    version: Annotated[int, Path(ge=1, le=INT64_MAX)],
    who: Who,
) -> Response:
    """Approve or reject from the version page (CSRF-checked)."""
    form = await _form(request)
    if not check_csrf(who, form.get("csrf", "")):
        return HTMLResponse("forbidden", status_code=403)
    verdict = form.get("decision", "")
    if verdict not in ("approve", "reject"):
        return HTMLResponse("bad decision", status_code=422)
    fn = who.session.approve if verdict == "approve" else who.session.reject
    comment = form.get("comment") or None
    try:
        await run_in_threadpool(lambda: fn(model, version, comment=comment))
    except DriftlineError as exc:
        return error_page(who, exc, status=_decision_status(exc))
    done = "approved" if verdict == "approve" else "rejected"
    target = f"/ui/models/{path_part(model)}/versions/{version}?done={done}"
    return RedirectResponse(target, status_code=303)


def _decision_status(exc: DriftlineError) -> int:
    # The API's statuses for the same errors (server.errors): an unknown model or version
    # is not a conflict, and a refused input is the caller's to fix.
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidParameter | SchemaError | DataError):
        return 422
    return 409
