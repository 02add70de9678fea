"""The Segments pages over what contributors store: the worst-segments order is
PerformanceReport.worst's, and a malformed summary never answers 500 (the index still lists
everybody else's evaluations)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from http_world import CHECKSUM, world  # type: ignore[import-not-found]

import driftline as dl
from driftline.report.segments import segment_summary


def _accuracy_by_group() -> dl.PerformanceReport:
    rng = np.random.default_rng(0)
    n = 3000
    g = np.repeat(["good", "mid", "bad"], n // 3)
    y = rng.integers(0, 2, n)
    flip = rng.random(n) < np.repeat([0.05, 0.3, 0.6], n // 3)
    frame = pl.DataFrame({"g": g, "y": y, "pred": np.where(flip, 1 - y, y)})
    return dl.performance(frame, prediction="pred", label="y", task="binary", segment_by="g")


def _ranked(html: str) -> list[str]:
    body = html.split('id="worst-segments"', 1)[1]
    return re.findall(r'/segments/([^"/]+)">', body)


def test_worst_segments_page_ranks_as_performance_report(tmp_path: Path) -> None:
    perf = _accuracy_by_group()
    with world(tmp_path) as w:
        carol = w.session("carol")
        carol.create_model("m")
        summary = segment_summary(performance=perf)
        carol.register_version(
            "m", artifact_uri="s3://m/1", checksum=CHECKSUM, metrics={"segments": summary}
        )
        w.login("victor")
        for metric in ("accuracy", "f1", "recall", "precision"):
            page = w.client.get(f"/ui/models/m/versions/1/segments?metric={metric}")
            assert page.status_code == 200
            assert _ranked(page.text) == perf.worst(metric, 3)["g"].to_list(), metric


MALFORMED: dict[str, dict[str, Any]] = {
    "huge int": {
        "format": 1,
        "segment_by": "g",
        "drift": None,
        "detail": {},
        "performance": {"columns": ["g", "mae"], "rows": [["a", 10**400], ["b", 1.0]]},
    },
    "table is a list": {"format": 1, "segment_by": "g", "drift": [1], "performance": None},
    "no segment column": {
        "format": 1,
        "segment_by": "g",
        "drift": {"columns": ["x"], "rows": [[1]]},
        "performance": None,
    },
    "detail is a list": {
        "format": 1,
        "segment_by": "g",
        "drift": None,
        "detail": [1],
        "performance": {"columns": ["g", "mae"], "rows": [["a", 1.0]]},
    },
    "histogram huge": {
        "format": 1,
        "segment_by": "g",
        "performance": {"columns": ["g", "mae"], "rows": [["a", 1.0]]},
        "detail": {"a": [{"column": "x", "histogram": {"labels": ["1"], "current": [10**400]}}]},
    },
}


def test_a_malformed_summary_is_a_404_and_the_index_still_works(tmp_path: Path) -> None:
    good = segment_summary(performance=_accuracy_by_group())
    with world(tmp_path, raise_server_exceptions=False) as w:
        carol = w.session("carol")
        carol.create_model("m")
        for name, data in MALFORMED.items():
            # The registry keeps metrics as JSON: what it accepts is what a page reads.
            json.dumps(data)
            carol.register_version(
                "m", artifact_uri=f"s3://m/{name}", checksum=CHECKSUM, metrics={"segments": data}
            )
        good_version = carol.register_version(
            "m", artifact_uri="s3://m/good", checksum=CHECKSUM, metrics={"segments": good}
        ).version
        w.login("victor")
        for version in range(1, len(MALFORMED) + 1):
            base = f"/ui/models/m/versions/{version}/segments"
            for url in (base, base + "?metric=mae", base + "/a"):
                answer = w.client.get(url)
                assert answer.status_code == 404, (url, answer.status_code)
                assert "malformed" in answer.text
        index = w.client.get("/ui/segments")
        assert index.status_code == 200
        assert f'href="/ui/models/m/versions/{good_version}/segments"' in index.text
        assert index.text.count("malformed:") == len(MALFORMED)
        assert w.client.get(f"/ui/models/m/versions/{good_version}/segments").status_code == 200
