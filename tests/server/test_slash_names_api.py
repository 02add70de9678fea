"""Model names holding "/" over REST: sent percent-encoded, each reaches its own model (the
server routes on the raw path), and a name like "a/versions/1" is not read as version 1
of "a"."""

from __future__ import annotations

from urllib.parse import quote

from server_helpers import World

API = "/api/v1"
CHECKSUM = "sha256:" + "c" * 64


def test_slash_model_names_reach_their_own_model(world: World) -> None:
    c, carol = world.client, world.auth("carol")
    names = ["team/churn", "a", "a/versions/1"]
    for i, name in enumerate(names):
        made = c.post(f"{API}/models", json={"name": name}, headers=carol)
        assert made.status_code == 201, made.text
        body = {"artifact_uri": f"s3://m/{i}", "checksum": CHECKSUM, "tags": {"i": str(i)}}
        v = c.post(f"{API}/models/{quote(name, safe='')}/versions", json=body, headers=carol)
        assert v.status_code == 201, v.text
    for i, name in enumerate(names):
        path = f"{API}/models/{quote(name, safe='')}"
        model = c.get(path, headers=carol)
        assert model.status_code == 200 and model.json()["name"] == name
        version = c.get(f"{path}/versions/1", headers=carol)
        assert version.status_code == 200, version.text
        # The registry's own record: the version registered under this very name.
        want = world.registry.session(world.tokens["carol"]).get_version(name, 1)
        assert version.json()["artifact_uri"] == want.artifact_uri == f"s3://m/{i}"
    # Unencoded, "team/churn" is an unknown route, not another model's page.
    assert c.get(f"{API}/models/team/churn", headers=carol).status_code == 404
