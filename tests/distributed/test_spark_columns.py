"""Spark columns as ``mapInArrow`` hands them over: timestamps labelled with the session
time zone (``toArrow()`` labels them UTC: the profiles refused to merge), and names with a
dot or a backtick (``mapInArrow`` parsed ``a.b`` as a path, and a backtick broke the
quoting). The adapter must give what :func:`driftline.profile` gives on the collected
rows."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pytest

import driftline as dl

Check = Callable[[dl.Profile, dl.Profile, pa.Table], None]


@contextlib.contextmanager
def session_time_zone(spark: Any, tz: str | None) -> Iterator[None]:
    """The shared session with another time zone for the block, restored after it."""
    key = "spark.sql.session.timeZone"
    before = spark.conf.get(key)
    if tz is not None:
        spark.conf.set(key, tz)
    try:
        yield
    finally:
        spark.conf.set(key, before)


def timestamps(rows: int = 28) -> pa.Table:
    stamps = [dt.datetime(2024, 1, 1 + d % 28, d % 24, tzinfo=dt.UTC) for d in range(rows)]
    return pa.table(
        {
            "ts": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "x": pa.array([float(d % 7) for d in range(rows)]),
            "y": pa.array([float(d * 3 % 5) for d in range(rows)]),
            "g": pa.array(["a", "b", "c", "d"] * (rows // 4)),
        }
    )


@pytest.mark.parametrize("tz", [None, "America/New_York"], ids=["default-tz", "new-york"])
def test_timestamps_merge_with_the_collected_rows(
    spark_session: Any, check: Check, tz: str | None
) -> None:
    import driftline.spark as dls

    with session_time_zone(spark_session, tz):
        df = spark_session.createDataFrame(timestamps()).repartition(3)
        collected = df.toArrow()
        want = dl.profile(collected)
        got = dls.profile(df, source="arrow")
        check(got, want, collected)
        assert got["ts"].dtype == want["ts"].dtype == 'timestamp(µs, "utc")'
        # Partials of the tasks and of toArrow() (an empty frame, a collected
        # reference) merge: the same type, time zone included.
        merged = got.merge(want)
        assert merged["ts"].count == 2 * want["ts"].count
        empty = dls.profile(df.filter("x > 100"), source="arrow")
        assert empty["ts"].dtype == want["ts"].dtype
        assert empty.merge(got)["ts"].count == want["ts"].count
        segmented = dls.profile(df, columns=["ts"], segment_by="g", source="arrow")
        check(segmented, dl.profile(collected, columns=["ts"], segment_by="g"), collected)


def test_performance_segmented_by_a_timestamp(spark_session: Any) -> None:
    import driftline.spark as dls

    with session_time_zone(spark_session, "America/New_York"):
        df = spark_session.createDataFrame(timestamps()).repartition(2)
        options: dict[str, Any] = dict(
            prediction="y", label="x", task="regression", segment_by="ts"
        )
        want = dl.performance(df.toArrow(), **options)
        assert dls.performance(df, **options).to_dict() == want.to_dict()


NAMES = pa.table(
    {
        "a.b": [1.0, 2.0, 3.0, 5.0, None, 2.0],
        "we`ird": [1.0, 2.0, 4.0, 5.0, 1.0, 1.0],
        "`": ["u", "v", "u", None, "w", "u"],
        "c.d`e": [1, 0, 1, 1, 0, 0],
        "p.q": [1, 1, 0, 1, 0, 0],
    }
)


def test_names_with_dots_and_backticks(
    spark_frame: Callable[[pa.Table, int], Any], check: Check
) -> None:
    import driftline.spark as dls

    df = spark_frame(NAMES, 2)
    for source in ("auto", "arrow"):
        check(dls.profile(df, source=source), dl.profile(NAMES), NAMES)
        got = dls.profile(df, columns=["a.b"], segment_by="`", source=source)
        check(got, dl.profile(NAMES, columns=["a.b"], segment_by="`"), NAMES)


def test_metrics_on_names_with_dots_and_backticks(
    spark_frame: Callable[[pa.Table, int], Any],
) -> None:
    import driftline.spark as dls

    df = spark_frame(NAMES, 2)
    regression: dict[str, Any] = dict(prediction="we`ird", label="a.b", task="regression")
    got = dls.performance(df, **regression)
    assert got.to_dict() == dl.performance(NAMES, **regression).to_dict()
    fairness: dict[str, Any] = dict(
        prediction="p.q", label="c.d`e", sensitive="`", min_group_size=1
    )
    assert dls.fairness(df, **fairness).to_dict() == dl.fairness(NAMES, **fairness).to_dict()


def test_compare_on_names_with_dots_and_backticks(
    spark_frame: Callable[[pa.Table, int], Any],
) -> None:
    import driftline.spark as dls

    ref = dl.profile(NAMES)
    got = dls.compare(ref, spark_frame(NAMES, 2))
    assert [f.column for f in got.features] == list(NAMES.column_names)
    assert not got.drifted
