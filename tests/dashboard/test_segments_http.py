"""The Segments pages over plain HTTP (in-process ASGI client)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from segments_world import DRIFTED, seed  # type: ignore[import-not-found]

import driftline as dl
from driftline.server import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("segments")
    url = f"sqlite:///{root / 'registry.db'}"
    tokens = seed(url)
    registry = dl.Registry(url)
    c = TestClient(create_app(registry=registry), base_url="http://127.0.0.1")
    login = c.post("/ui/login", data={"token": tokens["victor"]}, follow_redirects=False)
    assert login.status_code == 303
    yield c
    registry.close()


def _segments(html: str) -> list[str]:
    body = html.split('id="worst-segments"', 1)[1]
    return re.findall(r'/segments/(sku-\d+)"', body)


def test_navigation_and_index(client: Any) -> None:
    home = client.get("/ui/")
    assert 'href="/ui/segments"' in home.text
    index = client.get("/ui/segments")
    assert index.status_code == 200
    assert "demand v1" in index.text and "plain" not in index.text
    assert "150" in index.text  # segments


def test_worst_segments_ranked_by_the_chosen_metric(client: Any) -> None:
    page = client.get("/ui/models/demand/versions/1/segments?metric=share_drifted&n=10")
    assert page.status_code == 200
    found = _segments(page.text)
    assert len(found) == 10
    assert set(found[:3]) == set(DRIFTED)
    assert 'data-figure="' in page.text  # the bar chart
    default = client.get("/ui/models/demand/versions/1/segments")
    assert '<option value="share_drifted" selected>' in default.text
    assert set(_segments(default.text)[:3]) == set(DRIFTED)
    mae = client.get("/ui/models/demand/versions/1/segments?metric=mae&n=5")
    assert len(_segments(mae.text)) == 5
    assert '<option value="mae" selected>' in mae.text


def test_an_unknown_metric_falls_back_without_error(client: Any) -> None:
    page = client.get("/ui/models/demand/versions/1/segments?metric=../../etc/passwd")
    assert page.status_code == 200
    assert 'id="notice"' in page.text and "passwd" not in page.text


def test_drill_down_has_metrics_feature_drift_and_histograms(client: Any) -> None:
    page = client.get(f"/ui/models/demand/versions/1/segments/{DRIFTED[0]}")
    assert page.status_code == 200
    assert 'id="segment-metrics"' in page.text and "share_drifted" in page.text
    assert 'id="segment-features"' in page.text and "units" in page.text
    assert page.text.count('class="dl-chart"') >= 2
    calm = client.get("/ui/models/demand/versions/1/segments/sku-149")
    assert calm.status_code == 200 and "mae" in calm.text


def test_missing_things_are_404_pages(client: Any) -> None:
    assert client.get("/ui/models/demand/versions/1/segments/nope").status_code == 404
    assert client.get("/ui/models/plain/versions/1/segments").status_code == 404
    assert client.get("/ui/models/ghost/versions/1/segments").status_code == 404
    version = client.get("/ui/models/demand/versions/1")
    assert 'id="segments-link"' in version.text


def test_segments_need_a_session(tmp_path: Path) -> None:
    registry = dl.Registry(f"sqlite:///{tmp_path / 'r.db'}")
    c = TestClient(create_app(registry=registry), base_url="http://127.0.0.1")
    answer = c.get("/ui/segments", follow_redirects=False)
    assert answer.status_code in (303, 307, 401)
    registry.close()
