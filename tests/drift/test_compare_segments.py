"""``dl.compare(..., segment_by=)``: drift per segment in one pass.

The reference is ``dl.compare`` run segment by segment on each segment's filtered data
(profiled on its own: another code path), and scipy's KS statistic on the raw values.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

import driftline as dl
from driftline.exceptions import DataError, InvalidParameter, SchemaError

DRIFTED = {"s03", "s07", "s11"}


def _data(seed: int, shift: bool, sizes: dict[str, int]) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for i, (key, n) in enumerate(sizes.items()):
        loc = 1.5 if shift and key in DRIFTED else 0.0
        x = rng.normal(loc + i * 0.1, 1.0, n)
        y = rng.exponential(2.0, n)
        y[rng.random(n) < 0.05] = np.nan
        probs = [0.2, 0.8] if shift and key == "s07" else [0.5, 0.5]
        c = rng.choice(["a", "b"], n, p=probs)
        parts.append(pl.DataFrame({"seg": [key] * n, "x": x, "y": y, "c": c}))
    return pl.concat(parts)


SIZES = {f"s{i:02d}": n for i, n in enumerate([40, 60, 80, 120, 200, 300, 500, 3000] * 2)}


@pytest.fixture(scope="module")
def pair() -> tuple[pl.DataFrame, pl.DataFrame, dl.DriftReport]:
    ref = _data(1, False, SIZES)
    cur = _data(2, True, SIZES)
    return ref, cur, dl.compare(ref, cur, segment_by="seg")


def _one(ref: pl.DataFrame, cur: pl.DataFrame, key: str) -> dl.DriftReport:
    r = ref.filter(pl.col("seg") == key).drop("seg")
    c = cur.filter(pl.col("seg") == key).drop("seg")
    return dl.compare(dl.profile(r), dl.profile(c))


def test_segments_match_segment_by_segment_compare(
    pair: tuple[pl.DataFrame, pl.DataFrame, dl.DriftReport],
) -> None:
    ref, cur, report = pair
    table = report.segments
    feats = report.segment_features
    assert table.height == len(SIZES)
    assert set(table["status"]) == {"compared"}
    for key in SIZES:
        one = _one(ref, cur, key)
        row = table.filter(pl.col("segment") == key).row(0, named=True)
        assert row["drifted"] == one.drifted, key
        assert row["share_drifted"] == pytest.approx(one.share_drifted)
        assert row["drifted_count"] == len(one.drifted_columns)
        assert row["features"] == len(one.features)
        assert row["reference_rows"] == one.reference_rows
        assert row["current_rows"] == one.current_rows
        for f in one.features:
            got = feats.filter((pl.col("segment") == key) & (pl.col("column") == f.column))
            g = got.row(0, named=True)
            assert g["method"] == f.method
            assert g["drifted"] == f.drifted, (key, f.column)
            for name in ("statistic", "p_value", "p_value_adjusted", "effect_size"):
                want = getattr(f, name)
                if want is None:
                    assert g[name] is None
                else:
                    assert g[name] == pytest.approx(want, rel=1e-9, abs=1e-12), (key, name)
            assert g["null_rate_reference"] == pytest.approx(f.null_rate_reference)
            assert g["null_rate_current"] == pytest.approx(f.null_rate_current)


def test_small_segments_ks_matches_scipy_on_raw_values(
    pair: tuple[pl.DataFrame, pl.DataFrame, dl.DriftReport],
) -> None:
    ref, cur, report = pair
    feats = report.segment_features.filter(pl.col("column") == "x")
    for key, n in SIZES.items():
        if n > 200:  # the sketch keeps every value below k = 200: exact CDFs
            continue
        a = ref.filter(pl.col("seg") == key)["x"].to_numpy()
        b = cur.filter(pl.col("seg") == key)["x"].to_numpy()
        got = feats.filter(pl.col("segment") == key)["statistic"][0]
        assert got == pytest.approx(sps.ks_2samp(a, b).statistic, abs=1e-12)
        w = sps.wasserstein_distance(a, b) / a.std()
        assert feats.filter(pl.col("segment") == key)["effect_size"][0] == pytest.approx(w)


def test_injected_drift_is_found_and_ranked_worst(
    pair: tuple[pl.DataFrame, pl.DataFrame, dl.DriftReport],
) -> None:
    _, _, report = pair
    drifted = set(report.segments.filter(pl.col("drifted"))["segment"])
    assert drifted >= DRIFTED
    assert set(report.worst_segments(3)["segment"]) == DRIFTED
    worst = report.worst_segments(2, by="worst_effect_size")["segment"].to_list()
    assert worst == ["s03", "s11"]  # s07's worst feature is the category (smaller effect)
    top = report.worst_segments(5)
    assert top.height == 5
    shares = top["share_drifted"].to_list()
    assert shares == sorted(shares, reverse=True)
    assert report.worst_segments(2, by="worst_p_value")["worst_p_value"].is_sorted()
    with pytest.raises(ValueError, match="by must be"):
        report.worst_segments(by="nope")


def test_missing_segments_on_either_side_are_reported() -> None:
    ref = _data(1, False, {"s00": 100, "s01": 100, "s02": 100})
    cur = _data(2, False, {"s01": 100, "s02": 100, "s09": 50})
    r = dl.compare(ref, cur, segment_by="seg")
    t = r.segments.sort("segment")
    assert t["segment"].to_list() == ["s00", "s01", "s02", "s09"]
    assert t["status"].to_list() == ["reference_only", "compared", "compared", "current_only"]
    assert t["reference_rows"].to_list() == [100, 100, 100, 0]
    assert t["current_rows"].to_list() == [0, 100, 100, 50]
    assert t.filter(pl.col("status") != "compared")["share_drifted"].null_count() == 2
    worst = r.worst_segments(4)["segment"].to_list()
    assert set(worst[2:]) == {"s00", "s09"}  # segments not compared come last


def test_one_segment_equals_the_plain_comparison() -> None:
    ref = _data(1, False, {"s03": 400})
    cur = _data(2, True, {"s03": 400})
    r = dl.compare(ref, cur, segment_by="seg")
    plain = dl.compare(dl.profile(ref.drop("seg")), dl.profile(cur.drop("seg")))
    assert r.segments.height == 1
    row = r.segments.row(0, named=True)
    assert row["drifted"] == plain.drifted
    assert row["share_drifted"] == pytest.approx(plain.share_drifted)
    assert [f.column for f in r.features] == ["x", "y", "c"]  # the key is not a feature
    one, want = r.segment("s03"), _one(ref, cur, "s03")
    assert [f.to_dict(histogram=False) for f in one.features] == [
        f.to_dict(histogram=False) for f in want.features
    ]
    assert one.features[0].histogram is not None


def test_ten_thousand_segments() -> None:
    rng = np.random.default_rng(5)
    n_seg, per = 10_000, 20
    keys = np.repeat([f"k{i:05d}" for i in range(n_seg)], per)
    base = rng.normal(size=(n_seg, per)) + np.arange(n_seg)[:, None] * 1e-3
    shifted = rng.normal(size=(n_seg, per)) + np.arange(n_seg)[:, None] * 1e-3
    shifted[[10, 500, 9000]] += 6.0
    ref = pl.DataFrame({"sku": keys, "x": base.ravel(), "z": rng.normal(size=n_seg * per)})
    cur = pl.DataFrame({"sku": keys, "x": shifted.ravel(), "z": rng.normal(size=n_seg * per)})
    r = dl.compare(ref, cur, segment_by="sku")
    assert r.segments.height == n_seg
    worst = r.worst_segments(3, by="worst_effect_size")["segment"].to_list()
    assert set(worst) == {"k00010", "k00500", "k09000"}
    # Each segment is a family at level alpha: a few percent of unchanged segments flag.
    assert r.segments.filter(pl.col("drifted")).height < 1_000


def test_a_hundred_thousand_segments() -> None:
    """100k segments of a few rows each: every one compared, rows counted, and the KS
    statistic of a sample of them equal to scipy's on that segment's raw values."""
    rng = np.random.default_rng(8)
    n_seg = 100_000
    ref = pl.DataFrame({"k": rng.integers(0, n_seg, 600_000), "x": rng.normal(size=600_000)})
    cur = pl.DataFrame({"k": rng.integers(0, n_seg, 600_000), "x": rng.normal(size=600_000)})
    r = dl.compare(ref, cur, segment_by="k")
    both = set(ref["k"].unique().to_list()) & set(cur["k"].unique().to_list())
    compared = r.segments.filter(pl.col("status") == "compared")
    assert compared.height == len(both) > 95_000
    counts = ref.group_by("k").len().rename({"len": "want"}).with_columns(pl.col("k").cast(str))
    joined = compared.join(counts, left_on="segment", right_on="k")
    assert (joined["reference_rows"] == joined["want"]).all()
    for key in rng.choice(sorted(both), 20, replace=False):
        a = ref.filter(pl.col("k") == key)["x"].to_numpy()
        b = cur.filter(pl.col("k") == key)["x"].to_numpy()
        row = compared.filter(pl.col("segment") == str(key))
        assert row["worst_method"][0] == "ks"
        assert abs(row["worst_statistic"][0] - sps.ks_2samp(a, b).statistic) < 1e-12


def test_segmented_profiles_as_inputs() -> None:
    ref = _data(1, False, SIZES)
    cur = _data(2, True, SIZES)
    a = dl.compare(ref, cur, segment_by="seg")
    b = dl.compare(
        dl.profile(ref, segment_by="seg"), dl.profile(cur, segment_by="seg"), segment_by="seg"
    )
    assert a.segments.drop("worst_p_value").equals(b.segments.drop("worst_p_value"))
    with pytest.raises(InvalidParameter, match="segmented by"):
        dl.compare(dl.profile(ref), cur, segment_by="seg")
    with pytest.raises(SchemaError, match="segment_by"):
        dl.compare(ref, cur.drop("seg"), segment_by="seg")


@pytest.mark.parametrize("methods", ["psi", "chi2", {"x": "wasserstein"}, "ks"])
def test_other_methods_fall_back_to_one_compare_per_segment(methods: object) -> None:
    sizes = {"s03": 300, "s04": 300}
    ref = _data(1, False, sizes)
    cur = _data(2, True, sizes)
    r = dl.compare(ref, cur, segment_by="seg", methods=methods)
    for key in sizes:
        r_seg = ref.filter(pl.col("seg") == key).drop("seg")
        c_seg = cur.filter(pl.col("seg") == key).drop("seg")
        one = dl.compare(dl.profile(r_seg), dl.profile(c_seg), methods=methods)
        row = r.segments.filter(pl.col("segment") == key).row(0, named=True)
        assert row["share_drifted"] == pytest.approx(one.share_drifted)
        assert row["drifted"] == one.drifted
        got = r.segment_features.filter(pl.col("segment") == key)
        assert got["method"].to_list() == [f.method for f in one.features]
        assert got["statistic"].to_list() == pytest.approx([f.statistic for f in one.features])


def test_segments_serialise(pair: tuple[pl.DataFrame, pl.DataFrame, dl.DriftReport]) -> None:
    _, _, report = pair
    d = json.loads(report.to_json())
    assert d["segment_by"] == "seg"
    assert len(d["segments"]) == len(SIZES)
    plain = dl.compare({"x": [1.0, 2.0, 3.0]}, {"x": [1.0, 2.0, 3.0]})
    assert "segments" not in plain.to_dict()
    with pytest.raises(ValueError, match="no segments"):
        _ = plain.segments


def test_categorical_columns_match_with_rare_unseen_and_missing_categories() -> None:
    rng = np.random.default_rng(9)
    cats = np.array([f"c{i}" for i in range(8)])
    p_ref = 1.0 / np.arange(1, 9)
    p_ref /= p_ref.sum()

    def side(seed_shift: int, drift: bool) -> pl.DataFrame:
        parts = []
        for i, n in enumerate([15, 40, 90, 300, 1200, 60, 25, 500]):
            key = f"s{i}"
            probs = p_ref.copy()
            if drift and i in (3, 4):
                probs = probs[::-1].copy()
            c = rng.choice(cats, n, p=probs).astype(object)
            if i == 5:
                c[:] = "c0"  # one category: nothing to test
            if i == 6 and seed_shift == 1:
                c[:] = None  # no value in the current data
            if i == 7 and seed_shift == 1:
                c[rng.random(n) < 0.1] = "new"  # unseen in the reference
            b = rng.choice(["yes", "no"], n)
            parts.append(pl.DataFrame({"seg": [key] * n, "c": c.tolist(), "b": b}))
        return pl.concat(parts)

    ref, cur = side(0, False), side(1, True)
    r = dl.compare(ref, cur, segment_by="seg")
    feats = r.segment_features
    for key in sorted(set(ref["seg"])):
        one = _one(ref, cur, key)
        row = r.segments.filter(pl.col("segment") == key).row(0, named=True)
        assert row["drifted"] == one.drifted, key
        for f in one.features:
            g = feats.filter((pl.col("segment") == key) & (pl.col("column") == f.column))
            got = g.row(0, named=True)
            for name in ("statistic", "p_value", "p_value_adjusted", "effect_size"):
                want = getattr(f, name)
                if want is None:
                    assert got[name] is None, (key, f.column, name)
                else:
                    assert got[name] == pytest.approx(want, rel=1e-9, abs=1e-12), (
                        key,
                        f.column,
                        name,
                    )
    assert set(r.segments.filter(pl.col("drifted"))["segment"]) >= {"s3", "s4", "s7"}


def test_segment_frequencies_equal_each_segment_profiles_counts() -> None:
    """The one-call reader of every segment's category counts against each segment's own
    profile: same (category, count) pairs, the cap's flags, and no row for a segment whose
    column holds no category (all null)."""
    rng = np.random.default_rng(12)
    n = 5_000
    seg = rng.integers(0, 40, n).astype(str)
    c = rng.choice([f"v{i}" for i in range(30)], n).astype(object)
    c[seg == "7"] = None
    prof = dl.profile(pl.DataFrame({"seg": seg, "c": c.tolist()}), segment_by="seg", freq_cap=20)
    keys = sorted(set(seg.tolist()), reverse=True)
    long, per = prof._inner.segment_frequencies(keys, "c")
    got: dict[str, dict[str, int]] = {k: {} for k in keys}
    for i, v, n_ in zip(
        long.column("segment").to_pylist(),
        long.column("value").to_pylist(),
        long.column("count").to_pylist(),
        strict=True,
    ):
        assert v not in got[keys[i]], "a category listed twice"
        got[keys[i]][v] = n_
    for i, k in enumerate(keys):
        one = prof._inner.segment(k)
        assert got[k] == dict(one.frequencies("c") or []), k
        stats = one.column_stats("c")
        assert per.column("exact")[i].as_py() == bool(stats["frequencies_exact"]), k
        assert per.column("other")[i].as_py() == stats["frequencies_other"], k
        assert per.column("max_error")[i].as_py() == stats["frequencies_max_error"], k
    assert got["7"] == {}
    assert not all(per.column("exact").to_pylist()), "the cap never applied"
    with pytest.raises(SchemaError, match="'nope' not found"):
        prof._inner.segment_frequencies(keys, "nope")
    with pytest.raises(DataError, match="no segment 'zz'"):
        prof._inner.segment_frequencies(["zz"], "c")


def test_capped_and_exact_categorical_segments_side_by_side() -> None:
    """Segments whose category counts are past the frequency cap (estimates) next to
    exact ones: every segment's test equals ``dl.compare`` on that segment alone, profiled
    with the same cap."""
    rng = np.random.default_rng(13)
    cats = np.array([f"k{i}" for i in range(40)])

    def side(drift: bool) -> pl.DataFrame:
        parts = []
        for i, (n, width) in enumerate([(400, 40), (300, 5), (800, 40), (200, 3), (50, 8)]):
            probs = np.ones(width) / width
            if drift and i in (1, 2):
                probs = np.linspace(1, 3, width)
                probs /= probs.sum()
            c = rng.choice(cats[:width], n, p=probs)
            parts.append(pl.DataFrame({"seg": [f"s{i}"] * n, "c": c.tolist()}))
        return pl.concat(parts)

    ref, cur = side(False), side(True)
    cap = 16
    r = dl.compare(
        dl.profile(ref, segment_by="seg", freq_cap=cap),
        dl.profile(cur, segment_by="seg", freq_cap=cap),
        segment_by="seg",
    )
    feats = r.segment_features
    capped = 0
    for key in sorted(set(ref["seg"])):
        a = dl.profile(ref.filter(pl.col("seg") == key).drop("seg"), freq_cap=cap)
        b = dl.profile(cur.filter(pl.col("seg") == key).drop("seg"), freq_cap=cap)
        capped += not a._inner.column_stats("c")["frequencies_exact"]
        f = dl.compare(a, b).features[0]
        got = feats.filter(pl.col("segment") == key).row(0, named=True)
        for name in ("statistic", "p_value", "effect_size"):
            want = getattr(f, name)
            if want is None:
                assert got[name] is None, (key, name)
            else:
                assert got[name] == pytest.approx(want, rel=1e-9, abs=1e-12), (key, name)
    assert capped >= 2


def test_a_segment_with_no_value_on_one_side_is_not_compared() -> None:
    nan = float("nan")
    fifty = [float(i) for i in range(50)]
    ref = pl.DataFrame({"seg": ["a"] * 50 + ["b"] * 50, "x": [nan] * 50 + fifty})
    cur = pl.DataFrame({"seg": ["a"] * 40 + ["b"] * 40, "x": fifty[:40] * 2})
    feats = dl.compare(ref, cur, segment_by="seg").segment_features
    for key in ("a", "b"):
        g = feats.filter(pl.col("segment") == key).row(0, named=True)
        f = _one(ref, cur, key).features[0]
        if f.statistic is None:
            assert g["statistic"] is None and g["p_value"] is None
        else:
            assert g["statistic"] == pytest.approx(f.statistic, rel=1e-12)
            assert g["p_value"] == pytest.approx(f.p_value, rel=1e-9)
    a = feats.filter(pl.col("segment") == "a").row(0, named=True)
    assert a["statistic"] is None and a["p_value"] is None
    assert a["null_rate_reference"] == 1.0 and a["null_rate_current"] == 0.0
    b = feats.filter(pl.col("segment") == "b").row(0, named=True)
    assert b["statistic"] == pytest.approx(
        sps.ks_2samp(np.arange(50.0), np.arange(40.0)).statistic, abs=1e-12
    )


def test_segment_readers_take_keys_in_any_order() -> None:
    """Keys in the profile's own order, reversed, repeated, a subset, or interleaved with
    a missing one: each key gets its own segment's numbers."""
    sizes = {f"k{i:03d}": i + 1 for i in range(60)}
    keys = [k for k, n in sizes.items() for _ in range(n)]
    prof = dl.profile(
        pl.DataFrame({"seg": keys, "x": np.arange(len(keys), dtype=float)}), segment_by="seg"
    )._inner
    own = sorted(sizes)
    for ask in (own, own[::-1], own[::7], ["k010", "k010", "k003", "k059", "k000"], own[5:9]):
        assert prof.segment_rows(ask) == [sizes[k] for k in ask], ask
        got = prof.segment_column_arrays(ask, ["x"])[0].column("count").to_pylist()
        assert got == [sizes[k] for k in ask], ask
    with pytest.raises(DataError, match="no segment 'k0105'"):
        prof.segment_rows(["k010", "k0105", "k011"])


def test_segment_readers_name_a_missing_segment_or_column() -> None:
    prof = dl.profile(pl.DataFrame({"seg": ["a", "b"], "x": [1.0, 2.0]}), segment_by="seg")
    assert prof._inner.segment_rows(["b", "a"]) == [1, 1]
    with pytest.raises(DataError, match="no segment 'zz'"):
        prof._inner.segment_rows(["a", "zz"])
    with pytest.raises(SchemaError, match="'nope' not found in segment 'a'"):
        prof._inner.segment_column_arrays(["a"], ["x", "nope"])
    with pytest.raises(DataError, match="no segment 'zz'"):
        prof._inner.segment_sketch_pairs(prof._inner, ["zz"], "x")
