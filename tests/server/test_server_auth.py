"""Deny by default: every route of the OpenAPI document and of the app, without a token,
with a viewer's token, with broken tokens; routes that declare nothing answer 403."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from server_helpers import World, make_world

from driftline.exceptions import DriftlineError
from driftline.server import create_app
from driftline.server.auth import Permission, SecuredRoute, route_permission

PUBLIC = {"/healthz", "/readyz", "/ui/login", "/ui/static/{name}"}


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    doc = world.client.get("/openapi.json", headers=world.auth("victor")).json()
    return [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    ]


def _all_routes(world: World) -> list[tuple[str, str, Permission | None]]:
    return [
        (method, route.path_format, route_permission(route))
        for route in world.app.routes
        for method in sorted(getattr(route, "methods", ()) or ())
        if method != "HEAD"
    ]


def test_openapi_needs_a_token(world: World) -> None:
    assert world.client.get("/openapi.json").status_code == 401


def test_every_operation_declares_a_permission(world: World) -> None:
    ops = _operations(world)
    assert len(ops) > 25
    for method, path, op in ops:
        assert op["x-driftline-permission"] in {p.value for p in Permission}, (method, path)
        if op["x-driftline-permission"] != "public":
            assert op["security"] == [{"bearer": []}], (method, path)


def test_every_openapi_route_refuses_a_caller_without_token(world: World) -> None:
    for method, path, _op in _operations(world):
        answer = world.client.request(method, _fill(path), json={})
        if path in PUBLIC:
            assert answer.status_code < 400, (method, path)
            continue
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert answer.json()["error"] == "unauthenticated"
        assert answer.headers["www-authenticate"] == "Bearer"


def test_every_app_route_refuses_a_caller_without_token(world: World) -> None:
    """Also the routes kept out of the document (dashboard, the document itself)."""
    routes = _all_routes(world)
    assert {path for _, path, perm in routes if perm is Permission.PUBLIC} == PUBLIC
    for method, path, _perm in routes:
        if path in PUBLIC:
            continue
        answer = world.client.request(method, _fill(path), follow_redirects=False)
        if path.startswith("/ui/"):
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"] == "/ui/login"
        else:
            assert answer.status_code == 401, (method, path)


def test_a_viewer_gets_403_beyond_read(world: World) -> None:
    before_models = world.registry.session(world.tokens["root"]).list_models()
    before_users = world.registry.session(world.tokens["root"]).list_users()
    checked = 0
    for method, path, op in _operations(world):
        permission = op["x-driftline-permission"]
        answer = world.client.request(method, _fill(path), json={}, headers=world.auth("victor"))
        if permission in ("read", "public"):
            assert answer.status_code not in (401, 403), (method, path)
        else:
            checked += 1
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert answer.json()["error"] == "forbidden"
    assert checked > 15
    admin = world.registry.session(world.tokens["root"])
    assert admin.list_models() == before_models
    assert admin.list_users() == before_users


def test_roles_map_to_permissions(world: World) -> None:
    who = {
        u: world.client.get("/api/v1/whoami", headers=world.auth(u)).json()
        for u in ("root", "carol", "alice", "victor")
    }
    assert who["victor"]["permissions"] == ["read"]
    assert who["carol"]["permissions"] == ["contribute", "read"]
    assert who["alice"]["permissions"] == ["approve", "audit", "read"]
    assert set(who["root"]["permissions"]) == {"read", "contribute", "approve", "audit", "admin"}


def test_a_route_without_permission_answers_403(tmp_path: Path) -> None:
    router = APIRouter(route_class=SecuredRoute)

    @router.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        raise AssertionError("never runs")

    w = make_world(tmp_path, extra_routers=[router])
    for headers in ({}, w.auth("root")):
        answer = w.client.get("/api/v1/forgotten", headers=headers)
        assert answer.status_code == 403
        assert answer.json() == {
            "error": "forbidden",
            "detail": "this route declares no permission",
        }


def test_a_route_outside_the_secured_class_is_refused(tmp_path: Path) -> None:
    router = APIRouter(route_class=APIRoute)

    @router.get("/api/v1/sneaky")
    def sneaky() -> dict[str, str]:
        return {}

    w = make_world(tmp_path)
    with pytest.raises(DriftlineError, match="not a SecuredRoute"):
        create_app(registry=w.registry, extra_routers=[router])


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic cm9vdDpyb290",
        "Bearer dlt_",
        "Bearer dlt_" + "A" * 43,
        "Bearer dlt_" + "A" * 500,
        "Bearer ' OR 1=1 --",
        "bearer\tdlt_xxxxxxxxxxxxxxxxxxxxxx",
    ],
)
def test_broken_tokens_are_refused(world: World, header: str) -> None:
    answer = world.client.get("/api/v1/models", headers={"Authorization": header})
    assert answer.status_code == 401


def test_token_in_query_string_is_not_accepted(world: World) -> None:
    token = world.tokens["root"]
    for name in ("token", "access_token", "api_key"):
        assert world.client.get(f"/api/v1/models?{name}={token}").status_code == 401


def test_revocation_disabling_and_role_changes_take_effect_at_once(world: World) -> None:
    root = world.auth("root")
    assert world.client.get("/api/v1/models", headers=world.auth("victor")).status_code == 200
    tokens = world.client.get("/api/v1/tokens?user=victor", headers=root).json()
    assert world.client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=root).status_code == 204
    assert world.client.get("/api/v1/models", headers=world.auth("victor")).status_code == 401

    body = {"role": "viewer"}
    assert world.client.put("/api/v1/users/carol/role", json=body, headers=root).status_code == 200
    denied = world.client.post("/api/v1/models", json={"name": "x"}, headers=world.auth("carol"))
    assert denied.status_code == 403

    assert world.client.post("/api/v1/users/alice/disable", headers=root).status_code == 200
    assert world.client.get("/api/v1/models", headers=world.auth("alice")).status_code == 401


def test_tokens_are_never_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for user in world.tokens:
        world.client.get("/api/v1/models", headers=world.auth(user))
        world.client.get("/api/v1/models/nope", headers=world.auth(user))
    world.client.post("/ui/login", data={"token": world.tokens["root"]})
    world.client.post("/ui/login", data={"token": world.tokens["root"] + "x"})
    text = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    for token in world.tokens.values():
        assert token not in text
        assert token[4:20] not in text
