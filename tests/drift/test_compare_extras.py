"""Custom statistics, calibration, correction, the domain classifier and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl
from driftline.drift.correction import adjust
from driftline.exceptions import InvalidParameter


def test_holm_and_bh_against_textbook_formulas() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(12) ** 3
    m = p.size
    order = np.argsort(p)
    holm = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        holm[i] = running
    assert adjust(p, "holm") == pytest.approx(list(holm), rel=1e-12)
    bh = np.empty(m)
    running = 1.0
    for rank in range(m - 1, -1, -1):
        i = order[rank]
        running = min(running, p[i] * m / (rank + 1))
        bh[i] = running
    assert adjust(p, "bh") == pytest.approx(list(bh), rel=1e-12)
    assert adjust(p, "none") == pytest.approx(list(p))
    with pytest.raises(ValueError):
        adjust(p, "sidak")


def test_register_custom_statistic() -> None:
    def l1(r: np.ndarray, c: np.ndarray) -> float:
        return np.abs(r / r.sum() - c / c.sum()).sum()

    stat = dl.stats.register("l1_test", l1, threshold=0.2)
    assert stat(np.array([1.0, 1.0]), np.array([1.0, 3.0])) == pytest.approx(0.5)
    rng = np.random.default_rng(1)
    ref = {"x": rng.normal(size=4000), "c": rng.choice(["a", "b", "c"], 4000)}
    cur = {"x": rng.normal(1.0, 1, 4000), "c": rng.choice(["a", "b", "c"], 4000)}
    r = dl.compare(ref, cur, methods="l1_test")
    assert r["x"].method == "l1_test" and r["x"].drifted
    h = r["x"].histogram
    assert r["x"].statistic == pytest.approx(
        np.abs(np.array(h["reference"]) - np.array(h["current"])).sum(), rel=1e-9
    )
    assert not r["c"].drifted


def test_register_refuses_what_numba_cannot_compile() -> None:
    def bad(r: np.ndarray, c: np.ndarray) -> float:
        return float(len({"a": object()}))

    with pytest.raises(InvalidParameter, match="numba cannot compile"):
        dl.stats.register("bad_stat", bad)
    with pytest.raises(InvalidParameter, match="built-in"):
        dl.stats.register("psi", lambda r, c: 0.0)


def test_calibrated_thresholds() -> None:
    rng = np.random.default_rng(2)
    ref = pa.table({"x": rng.normal(size=20_000), "c": rng.choice(["a", "b"], 20_000)})
    cal = dl.drift.calibrate(ref, chunks=10, false_alarm_rate=0.01)
    assert set(cal.thresholds) == {"x", "c"} and cal.chunk_rows == 2000
    assert all(len(v) == 10 for v in cal.samples.values())
    same = pa.table({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)})
    r = dl.compare(ref, same, thresholds=cal)
    assert not r.drifted and r["x"].method == "calibrated_wasserstein_norm"
    shifted = pa.table({"x": rng.normal(0.3, 1, 2000), "c": rng.choice(["a", "b"], 2000)})
    assert dl.compare(ref, shifted, thresholds=cal).drifted_columns == ["x"]


def test_domain_classifier_sees_a_flipped_correlation() -> None:
    rng = np.random.default_rng(3)
    x, e = rng.normal(size=4000), rng.normal(size=4000)
    ref = pa.table({"x": x[:2000], "y": x[:2000] + 0.3 * e[:2000]})
    cur = pa.table({"x": x[2000:], "y": -x[2000:] + 0.3 * e[2000:]})
    r = dl.compare(ref, cur, domain_classifier=True)
    assert r.drifted_columns == []  # every marginal is unchanged
    assert r.multivariate is not None and r.multivariate.drifted and r.drifted
    assert r.multivariate.auc > 0.9
    same = pa.table({"x": x[2000:], "y": x[2000:] + 0.3 * e[2000:]})
    r2 = dl.compare(ref, same, domain_classifier=True)
    assert r2.multivariate is not None and not r2.multivariate.drifted


def _write(tmp_path, shift: float):
    rng = np.random.default_rng(4)
    for name, s in (("ref", 0.0), ("cur", shift)):
        pq.write_table(
            pa.table({"x": rng.normal(s, 1, 5000), "c": rng.choice(["a", "b"], 5000)}),
            tmp_path / f"{name}.parquet",
        )


def test_cli_gate(tmp_path) -> None:
    from typer.testing import CliRunner

    from driftline.cli import app
    from driftline.cli.app import _register_commands

    _register_commands()
    runner = CliRunner()
    _write(tmp_path, 0.5)
    ref, cur = str(tmp_path / "ref.parquet"), str(tmp_path / "cur.parquet")
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    res = runner.invoke(
        app,
        ["drift", ref, cur, "--fail-on-drift", "--json", str(out_json), "--html", str(out_html)],
    )
    assert res.exit_code == 1, res.output
    assert json.loads(out_json.read_text())["drifted_columns"] == ["x"]
    assert out_html.read_text().startswith("<!DOCTYPE html>")
    assert runner.invoke(app, ["drift", ref, cur, "-q"]).exit_code == 0
    assert runner.invoke(app, ["drift", ref, ref, "--fail-on-drift", "-q"]).exit_code == 0
    res = runner.invoke(app, ["drift", ref, cur, "--columns", "c", "--fail-on-drift", "-q"])
    assert res.exit_code == 0
    res = runner.invoke(app, ["drift", ref, str(tmp_path / "nope.parquet")])
    assert res.exit_code == 2


def test_int64_extremes_compare_like_scipy_on_their_doubles() -> None:
    """Integers beyond 2^53 (int64's extremes among them) are compared as their nearest
    doubles, as scipy sees them after numpy's conversion; they used to stop compare with
    an Arrow cast error."""
    import scipy.stats as sps

    big = np.iinfo(np.int64)
    ref = np.array([big.min, big.max, 0, -1, 5, 7, 2**53 + 1] * 50, dtype=np.int64)
    cur = np.array([big.max, big.max, 0, 3, 5, 9, -(2**60)] * 50, dtype=np.int64)
    out = dl.compare(pa.table({"x": ref}), pa.table({"x": cur}))
    f = out["x"]
    ks = sps.ks_2samp(ref.astype(np.float64), cur.astype(np.float64))
    assert f.method == "ks"
    assert f.statistic == pytest.approx(ks.statistic, rel=1e-12)
    assert f.p_value == pytest.approx(ks.pvalue, rel=1e-6)


def test_domain_classifier_features_encode_categories_by_reference_share() -> None:
    """The classifier's inputs: numbers as doubles (int64 extremes included), categories
    as their share of the reference rows (0 when unseen there), nulls as NaN; chunked
    columns as single ones. The reference encoding is written row by row here."""
    from driftline.drift.classifier import _features

    rng = np.random.default_rng(5)
    cats = ["a", "b", "c", None]
    ra = rng.choice(np.array(cats, dtype=object), 300, p=[0.5, 0.3, 0.1, 0.1])
    ca = rng.choice(np.array(["a", "d", None], dtype=object), 200)
    big = np.iinfo(np.int64)
    ri = np.array([big.min, big.max, 0] * 100, dtype=np.int64)
    ref = pa.concat_tables(
        [pa.table({"c": ra[:100], "i": ri[:100]}), pa.table({"c": ra[100:], "i": ri[100:]})]
    )
    cur = pa.table({"c": ca, "i": ri[:200]})
    got = _features(ref, cur, ["c", "i"])
    counts = {k: sum(1 for v in ra if v == k) for k in set(ra) if k is not None}
    want_c = [np.nan if v is None else counts.get(v, 0) / len(ra) for v in [*ra, *ca]]
    np.testing.assert_array_equal(got[:, 0], np.array(want_c, dtype=np.float64))
    np.testing.assert_array_equal(got[:, 1], np.concatenate([ri, ri[:200]]).astype(np.float64))
    r = dl.compare(ref, cur, domain_classifier=True)
    assert r.multivariate is not None


@pytest.mark.parametrize(
    "kind",
    [
        pa.timestamp("ns"),
        pa.timestamp("ms", tz="UTC"),
        pa.date32(),
        pa.duration("s"),
        pa.time64("us"),
    ],
)
def test_time_columns_compare_by_their_stored_integers(kind: pa.DataType) -> None:
    """Timestamps, dates, durations and times drift-test on their stored integers (the
    profile's unit), as scipy sees those integers; they used to stop compare with an
    Arrow cast error."""
    import scipy.stats as sps

    rng = np.random.default_rng(6)
    width = np.int32 if kind.bit_width == 32 else np.int64
    a = rng.integers(0, 20_000, 1500).astype(width)
    b = (rng.integers(0, 20_000, 1200) + 800).astype(width)
    storage = pa.int32() if kind.bit_width == 32 else pa.int64()
    ref = pa.table({"t": pa.array(a, storage).cast(kind)})
    cur = pa.table({"t": pa.array(b, storage).cast(kind)})
    out = dl.compare(ref, cur)
    f = out["t"]
    ks = sps.ks_2samp(a.astype(np.float64), b.astype(np.float64))
    assert f.method == "ks"
    assert f.statistic == pytest.approx(ks.statistic, rel=1e-12)
    assert f.p_value == pytest.approx(ks.pvalue, rel=1e-6)
    assert f.drifted
