"""driftline.fairness against fairlearn and against AIF360's definitions written in numpy."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, precision_score

import driftline as dl

TOL = 1e-12


def random_frame(seed: int, n_groups: int, n: int = 3000, used: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = np.array([f"g{i:02d}" for i in range(n_groups)])
    used = used or n_groups
    g = names[rng.integers(0, used, n)]
    bias = rng.uniform(0.2, 0.8, n_groups)[rng.integers(0, used, n)]
    y = (rng.random(n) < 0.5).astype(np.int64)
    p = (rng.random(n) < bias).astype(np.int64)
    return pd.DataFrame({"y": y, "p": p, "g": g, "s": rng.random(n)})


def fairlearn_quiet(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("n_groups", [2, 3, 5, 8, 12])
@pytest.mark.parametrize("seed", [0, 1])
def test_aggregates_equal_fairlearn(n_groups: int, seed: int) -> None:
    df = random_frame(seed, n_groups)
    f = dl.fairness(df, prediction="p", label="y", sensitive="g", min_group_size=0)
    kw = {"sensitive_features": df["g"]}
    y, p = df["y"], df["p"]
    assert abs(f.demographic_parity_difference - demographic_parity_difference(y, p, **kw)) < TOL
    assert abs(f.demographic_parity_ratio - demographic_parity_ratio(y, p, **kw)) < TOL
    assert abs(f.equalized_odds_difference - equalized_odds_difference(y, p, **kw)) < TOL
    assert abs(f.equalized_odds_ratio - equalized_odds_ratio(y, p, **kw)) < TOL
    assert abs(f.equal_opportunity_difference - equal_opportunity_difference(y, p, **kw)) < TOL


def test_missing_groups_and_unused_categories() -> None:
    # 12 possible groups, 7 present; the sensitive column is a categorical (dictionary)
    # whose unused categories make no group.
    df = random_frame(3, 12, used=7)
    df["g"] = pd.Categorical(df["g"], categories=[f"g{i:02d}" for i in range(12)])
    f = dl.fairness(df, prediction="p", label="y", sensitive="g", min_group_size=0)
    assert f.by_group.height == 7
    kw = {"sensitive_features": df["g"].astype(str)}
    assert (
        abs(f.demographic_parity_difference - demographic_parity_difference(df["y"], df["p"], **kw))
        < TOL
    )
    assert (
        abs(f.equalized_odds_difference - equalized_odds_difference(df["y"], df["p"], **kw)) < TOL
    )


def test_by_group_equals_metricframe_with_intersections() -> None:
    rng = np.random.default_rng(1234)
    df = random_frame(7, 4, n=5000)
    df["band"] = rng.choice(["18-25", "26-40", "41-65", "65+", "x"], len(df))
    f = dl.fairness(df, prediction="p", label="y", sensitive=["g", "band"], min_group_size=0)
    mf = fairlearn_quiet(
        MetricFrame,
        metrics={
            "count": count,
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "accuracy": accuracy_score,
            "precision": lambda a, b: precision_score(a, b, zero_division=0),
        },
        y_true=df["y"],
        y_pred=df["p"],
        sensitive_features=df[["g", "band"]],
    )
    want = mf.by_group.reset_index()
    got = f.by_group.sort(["g", "band"])
    assert got.height == len(want) == 20
    assert got["g"].to_list() == want["g"].to_list()
    assert got["band"].to_list() == want["band"].to_list()
    assert got["count"].to_list() == want["count"].astype(int).to_list()
    for col in ["selection_rate", "tpr", "fpr", "accuracy", "precision"]:
        np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=0, atol=TOL)
    d = demographic_parity_difference(df["y"], df["p"], sensitive_features=df[["g", "band"]])
    assert abs(f.demographic_parity_difference - d) < TOL


def aif360_numpy(y, p, g, ref):  # type: ignore[no-untyped-def]
    """AIF360's definitions, from its documentation, per unprivileged group."""

    def rates(mask):  # type: ignore[no-untyped-def]
        yy, pp = y[mask], p[mask]
        tp = np.sum((yy == 1) & (pp == 1))
        fp = np.sum((yy == 0) & (pp == 1))
        tn = np.sum((yy == 0) & (pp == 0))
        fn = np.sum((yy == 1) & (pp == 0))
        return {
            "sel": (tp + fp) / mask.sum(),
            "tpr": tp / (tp + fn),
            "fpr": fp / (fp + tn),
            "ppv": tp / (tp + fp),
            "npv": tn / (tn + fn),
        }

    r = rates(g == ref)
    out = {}
    for u in np.unique(g):
        if u == ref:
            continue
        q = rates(g == u)
        out[u] = {
            "spd": q["sel"] - r["sel"],
            "di": q["sel"] / r["sel"],
            "aod": 0.5 * ((q["fpr"] - r["fpr"]) + (q["tpr"] - r["tpr"])),
            "apvd": 0.5 * ((q["ppv"] - r["ppv"]) + (q["npv"] - r["npv"])),
        }
    b = p - y + 1.0
    mu = b.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(b > 0, (b / mu) * np.log(b / mu), 0.0)
    return out, terms.mean()


@pytest.mark.parametrize("n_groups", [2, 4, 12])
def test_aif360_definitions(n_groups: int) -> None:
    df = random_frame(11, n_groups)
    ref = "g01"
    f = dl.fairness(
        df, prediction="p", label="y", sensitive="g", reference_group=ref, min_group_size=0
    )
    want, theil = aif360_numpy(df["y"].to_numpy(), df["p"].to_numpy(), df["g"].to_numpy(), ref)
    assert f.reference_group == (ref,)
    rows = {r["g"]: r for r in f.by_group.to_dicts()}
    for u, w in want.items():
        assert abs(rows[u]["statistical_parity_difference"] - w["spd"]) < TOL
        assert abs(rows[u]["disparate_impact"] - w["di"]) < TOL
        assert abs(rows[u]["average_odds_difference"] - w["aod"]) < TOL
        assert abs(rows[u]["average_predictive_value_difference"] - w["apvd"]) < TOL
    assert abs(f.theil_index - theil) < TOL
    worst_spd = max((w["spd"] for w in want.values()), key=abs)
    assert abs(f.statistical_parity_difference - worst_spd) < TOL
    worst_di = max((w["di"] for w in want.values()), key=lambda x: abs(np.log(x)))
    assert abs(f.disparate_impact - worst_di) < TOL
    assert rows[ref]["is_reference"] and rows[ref]["statistical_parity_difference"] is None


def test_four_fifths_and_default_reference() -> None:
    df = pd.DataFrame(
        {
            "g": ["a"] * 100 + ["b"] * 50,
            "p": [1] * 50 + [0] * 50 + [1] * 19 + [0] * 31,
            "y": [1, 0] * 75,
        }
    )
    f = dl.fairness(df, prediction="p", label="y", sensitive="g")
    assert f.reference_group == ("a",)  # the largest group
    assert abs(f.disparate_impact - 0.38 / 0.5) < TOL
    assert f.passes_four_fifths is False
    df.loc[100:121, "p"] = 1
    assert dl.fairness(df, prediction="p", label="y", sensitive="g").passes_four_fifths is True


def test_group_without_positives_is_an_explained_null() -> None:
    df = pd.DataFrame(
        {"g": ["a"] * 40 + ["b"] * 40, "y": [1, 0] * 20 + [0] * 40, "p": [1, 1, 0, 0] * 20}
    )
    f = dl.fairness(df, prediction="p", label="y", sensitive="g")
    b = f.by_group.filter(f.by_group["g"] == "b").to_dicts()[0]
    assert b["tpr"] is None and b["fnr"] is None
    assert "tpr: no positive labels" in b["notes"]
    # Only one group has a defined TPR: equal opportunity is undefined, with its reason.
    assert f.equal_opportunity_difference is None
    assert "fewer than two groups" in f.reason("equal_opportunity_difference")
    assert f.demographic_parity_difference == 0.0


def test_small_groups_are_flagged_and_left_out() -> None:
    df = random_frame(5, 3, n=300)
    df.loc[:9, "g"] = "tiny"
    f = dl.fairness(df, prediction="p", label="y", sensitive="g", min_group_size=30)
    assert f.small_groups == [("tiny",)]
    big = df[df["g"] != "tiny"]
    d = demographic_parity_difference(big["y"], big["p"], sensitive_features=big["g"])
    assert abs(f.demographic_parity_difference - d) < TOL
    row = f.by_group.filter(f.by_group["g"] == "tiny").to_dicts()[0]
    assert row["small_group"] and "min_group_size" in row["notes"]


def test_regression_fairness_per_group() -> None:
    rng = np.random.default_rng(2)
    n = 4000
    g = rng.choice(["a", "b", "c"], n)
    y = rng.normal(10, 3, n)
    p = y + rng.normal(0, 1, n) + (g == "c")
    f = dl.fairness({"y": y, "p": p, "g": g}, prediction="p", label="y", sensitive="g")
    assert f.task == "regression"
    rows = {r["g"]: r for r in f.by_group.to_dicts()}
    for k in "abc":
        m = g == k
        e = y[m] - p[m]
        assert abs(rows[k]["mae"] - np.abs(e).mean()) < 1e-9
        assert abs(rows[k]["rmse"] - np.sqrt((e**2).mean())) < 1e-9
        assert abs(rows[k]["mean_residual"] - e.mean()) < 1e-9
    maes = [np.abs(y[g == k] - p[g == k]).mean() for k in "abc"]
    assert abs(f.mae_gap - (max(maes) - min(maes))) < 1e-9


def test_without_label_only_selection_rates() -> None:
    df = random_frame(1, 3)
    f = dl.fairness(df, prediction="p", sensitive="g", min_group_size=0)
    d = demographic_parity_difference(df["y"], df["p"], sensitive_features=df["g"])
    assert abs(f.demographic_parity_difference - d) < TOL
    assert f.equalized_odds_difference is None
    assert f.reason("theil_index") == "no label column"


def test_segment_by_equals_subsets() -> None:
    df = random_frame(9, 3, n=6000)
    df["region"] = np.random.default_rng(0).choice(["n", "s", "e"], len(df))
    f = dl.fairness(
        df, prediction="p", label="y", sensitive="g", segment_by="region", min_group_size=0
    )
    assert f.segments is not None and f.segments.height == 3
    for row in f.segments.to_dicts():
        sub = df[df["region"] == row["region"]]
        d = equalized_odds_difference(sub["y"], sub["p"], sensitive_features=sub["g"])
        assert abs(row["equalized_odds_difference"] - d) < TOL
    whole = dl.fairness(df, prediction="p", label="y", sensitive="g", min_group_size=0)
    assert abs(f.demographic_parity_difference - whole.demographic_parity_difference) < TOL


def test_to_dict_and_json() -> None:
    f = dl.fairness(random_frame(0, 2), prediction="p", label="y", sensitive="g")
    d = f.to_dict()
    assert d["passes_four_fifths"] in (True, False)
    assert len(d["by_group"]) == 2
    assert '"demographic_parity_difference"' in f.to_json()


def test_arrow_inputs_all_string_types_agree() -> None:
    df = random_frame(4, 5)
    base = dl.fairness(df, prediction="p", label="y", sensitive="g", min_group_size=0)
    t = pa.Table.from_pandas(df, preserve_index=False)
    variants = [
        t.set_column(2, "g", t["g"].cast(pa.large_string())),
        t.set_column(2, "g", t["g"].cast(pa.string_view())),
        t.set_column(2, "g", t["g"].dictionary_encode()),
        pa.Table.from_batches(t.to_batches(max_chunksize=777)),
        t.slice(0, len(df)),
    ]
    import polars as pl

    variants.append(pl.from_pandas(df))  # type: ignore[arg-type]
    for v in variants:
        f = dl.fairness(v, prediction="p", label="y", sensitive="g", min_group_size=0)
        assert f.to_dict() == base.to_dict()


def test_a_hundred_thousand_segments() -> None:
    """100k segments: each segment's demographic parity difference equals the one computed
    with numpy (bincount per segment and group), and a sample of them equals fairlearn's."""
    rng = np.random.default_rng(11)
    n, n_seg = 800_000, 100_000
    seg = rng.integers(0, n_seg, n)
    g = rng.integers(0, 2, n)
    p = (rng.random(n) < np.where(g == 1, 0.6, 0.4)).astype(np.int64)
    y = rng.integers(0, 2, n)
    t = pa.table({"seg": seg, "g": g, "p": p, "y": y})
    f = dl.fairness(t, prediction="p", label="y", sensitive="g", segment_by="seg", min_group_size=0)
    assert f.segments is not None
    rows = np.bincount(seg * 2 + g, minlength=2 * n_seg).reshape(n_seg, 2)
    chosen = np.bincount(seg * 2 + g, weights=p, minlength=2 * n_seg).reshape(n_seg, 2)
    present = rows.sum(axis=1) > 0
    assert f.segments.height == present.sum()
    got = f.segments.sort("seg")
    keys = got["seg"].to_numpy()
    assert (got["n_groups"].to_numpy() == (rows[keys] > 0).sum(axis=1)).all()
    both = (rows[keys] > 0).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = chosen[keys] / rows[keys]
    want = np.abs(rates[:, 1] - rates[:, 0])[both]
    np.testing.assert_allclose(
        got["demographic_parity_difference"].to_numpy()[both], want, rtol=0, atol=TOL
    )
    # fairlearn's equalized odds on segments where each group has both labels.
    labels = np.bincount(seg * 4 + g * 2 + y, minlength=4 * n_seg).reshape(n_seg, 4)
    full = keys[(labels[keys] > 0).all(axis=1)]
    df = t.to_pandas()
    for key in rng.choice(full, 10, replace=False):
        sub = df[df["seg"] == key]
        d = equalized_odds_difference(sub["y"], sub["p"], sensitive_features=sub["g"])
        row = got.filter(got["seg"] == key)
        assert abs(row["equalized_odds_difference"][0] - d) < TOL


def test_segments_without_the_reference_group_get_null_comparisons() -> None:
    """A given reference group absent from a segment: that segment's comparisons with it
    are null (the call does not fail), the other aggregates are still computed, and the
    segments holding it equal the subset computed on its own."""
    df = pd.DataFrame(
        {
            "seg": ["a"] * 6 + ["b"] * 4,
            "g": ["x", "x", "y", "y", "z", "z", "y", "y", "z", "z"],
            "p": [1, 0, 1, 1, 0, 1, 1, 0, 0, 0],
            "y": [1, 0, 1, 0, 0, 1, 1, 1, 0, 1],
        }
    )
    kw = {"prediction": "p", "label": "y", "sensitive": "g", "min_group_size": 0}
    f = dl.fairness(df, segment_by="seg", reference_group="x", **kw)
    rows = {r["seg"]: r for r in f.segments.to_dicts()}
    assert rows["b"]["statistical_parity_difference"] is None
    assert rows["b"]["disparate_impact"] is None
    assert abs(rows["b"]["demographic_parity_difference"] - 0.5) < TOL
    alone = dl.fairness(df[df["seg"] == "a"], reference_group="x", **kw)
    assert rows["a"]["statistical_parity_difference"] == alone.statistical_parity_difference
    assert rows["a"]["disparate_impact"] == alone.disparate_impact


def test_small_random_tables_equal_fairlearn_where_every_rate_is_defined() -> None:
    """150 tables of 1 to 24 rows and 1 to 3 groups: each aggregate equals fairlearn's
    when every group has the rates it compares; otherwise it follows the documented
    rule (groups of undefined rate left out, an explained null below two groups)."""
    checks = {
        "demographic_parity_difference": (demographic_parity_difference, ("selection_rate",)),
        "demographic_parity_ratio": (demographic_parity_ratio, ("selection_rate",)),
        "equalized_odds_difference": (equalized_odds_difference, ("tpr", "fpr")),
        "equalized_odds_ratio": (equalized_odds_ratio, ("tpr", "fpr")),
        "equal_opportunity_difference": (equal_opportunity_difference, ("tpr",)),
    }
    compared = 0
    for seed in range(150):
        rng = np.random.default_rng(seed)
        n, k = int(rng.integers(1, 25)), int(rng.integers(1, 4))
        df = pd.DataFrame(
            {
                "y": (rng.random(n) < rng.random()).astype(np.int64),
                "p": (rng.random(n) < rng.random()).astype(np.int64),
                "g": rng.choice([f"g{i}" for i in range(k)], n),
            }
        )
        f = dl.fairness(df, prediction="p", label="y", sensitive="g", min_group_size=0)
        groups = f.by_group
        for name, (fn, rates) in checks.items():
            got = getattr(f, name)
            defined = [groups[r].drop_nulls().len() for r in rates]
            zero_top = name.endswith("ratio") and any(groups[r].max() == 0 for r in rates)
            if groups.height >= 2 and all(d == groups.height for d in defined) and zero_top:
                # 0 / 0: fairlearn gives NaN, or skips that rate in the equalized odds.
                assert got is None and "largest value is 0" in f.reason(name), (seed, name)
            elif groups.height >= 2 and all(d == groups.height for d in defined):
                want = fairlearn_quiet(fn, df["y"], df["p"], sensitive_features=df["g"])
                assert got is not None and abs(got - want) < TOL, (seed, name)
                compared += 1
            elif min(defined) < 2:
                assert got is None and f.reason(name), (seed, name)
            else:
                # Computed over the groups of defined rate only.
                values = [groups[r].drop_nulls() for r in rates]
                if name.endswith("difference"):
                    want = max(float(v.max() - v.min()) for v in values)
                    assert got == pytest.approx(want, abs=TOL), (seed, name)
    assert compared > 200
