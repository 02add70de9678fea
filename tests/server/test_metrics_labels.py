"""The ``method`` label of ``driftline_http_requests``: a client cannot make a series per
made-up HTTP method (any token is a valid method), so the label set stays bounded."""

from __future__ import annotations

from server_helpers import World

from driftline.server.metrics import method_label


def test_made_up_methods_are_counted_as_other(world: World) -> None:
    for i in range(20):
        world.client.request(f"M{i:04d}", "/api/v1/models")
    world.client.get("/api/v1/models", headers=world.auth("victor"))
    text = world.client.get("/metrics", headers=world.auth("victor")).text
    samples = [line for line in text.splitlines() if line.startswith("driftline_http_requests")]
    methods = {line.split('method="')[1].split('"')[0] for line in samples if 'method="' in line}
    assert methods <= {"GET", "OTHER"} and "OTHER" in methods and "GET" in methods
    assert "M0001" not in text


def test_standard_methods_keep_their_name() -> None:
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert method_label(method) == method
    assert method_label("get") == "OTHER"  # methods are case-sensitive (RFC 9110)
    assert method_label(None) == "OTHER"
