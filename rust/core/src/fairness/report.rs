//! Fairness aggregates from per-group accumulators.
//!
//! # Definition
//! fairlearn's between-group aggregates over the eligible groups (at least
//! `min_group_size` complete rows, and the rate defined in the group): difference =
//! max - min, ratio = min / max; demographic parity on the selection rate, equal
//! opportunity on the TPR, equalized odds = the larger of the TPR and FPR differences
//! (ratio: the smaller of the two ratios) (fairlearn's `demographic_parity_difference`,
//! `equalized_odds_difference(agg="worst_case")`, `equal_opportunity_difference`).
//!
//! AIF360's definitions against the reference (privileged) group r, for each other group
//! u: statistical parity difference P(yhat=1|u) - P(yhat=1|r), disparate impact
//! P(yhat=1|u) / P(yhat=1|r), average odds difference ((FPR_u - FPR_r) + (TPR_u -
//! TPR_r)) / 2, average predictive value difference ((PPV_u - PPV_r) + (NPV_u - NPV_r)) /
//! 2; the reported aggregate is the value farthest from parity (largest |difference|,
//! largest |ln ratio|) over the eligible groups. Theil index: the generalized entropy
//! index with alpha = 1 over b_i = yhat_i - y_i + 1 on all complete rows,
//! mean((b / mu) ln(b / mu)) with 0 ln 0 = 0 (Speicher et al., 2018).
//!
//! The four-fifths rule (US EEOC) passes when every eligible group's selection rate is at
//! least 4/5 of the highest one, i.e. `demographic_parity_ratio >= 0.8`.

use crate::performance::confusion::{BinaryCounts, Value};
use crate::performance::regression::RegressionSums;
use crate::performance::table::TableBuilder;

use arrow_array::RecordBatch;

use crate::error::Result;
use crate::fairness::groups::KeyValue;
use crate::fairness::key_types::KeyType;
use crate::fairness::{Report, Spec};

/// Why a gap between groups is undefined: a group's value is infinite (its errors
/// overflowed the double range), and a difference or ratio with infinity is no number.
pub const OVERFLOW: &str =
    "undefined: an eligible group's errors overflow the double range (its value is infinite), so the gap between groups is no number";
/// Why a regression gap is undefined: an eligible group's value is itself undefined.
pub const GROUP_UNDEFINED: &str =
    "undefined: an eligible group's value is undefined (its residuals overflow the double range to both +inf and -inf)";

/// max - min and min / max of the defined values of eligible groups (`what`: why, with
/// fewer than two). Undefined when one of them is not finite: `f64::min` and `max` skip
/// NaN, and inf - inf is NaN, so such a gap would read as a false 0 or NaN.
pub fn spread(values: &[Value], eligible: &[bool], what: &'static str) -> (Value, Value) {
    let v: Vec<f64> = values
        .iter()
        .zip(eligible)
        .filter_map(|(v, &e)| if e { v.ok() } else { None })
        .collect();
    if v.len() < 2 {
        return (Err(what), Err(what));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return (Err(OVERFLOW), Err(OVERFLOW));
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ratio = if hi == 0.0 {
        Err("the largest value is 0: the ratio is undefined")
    } else {
        Ok(lo / hi)
    };
    (Ok(hi - lo), ratio)
}

/// Theil index of the pooled counts.
pub fn theil(total: &BinaryCounts) -> Value {
    let n = total.n() as f64;
    if n == 0.0 {
        return Err("no rows");
    }
    // b = 0 for false negatives, 1 for correct predictions, 2 for false positives.
    let n1 = (total.tp + total.tn) as f64;
    let n2 = total.fp as f64;
    let mu = (n1 + 2.0 * n2) / n;
    if mu == 0.0 {
        return Err("every row is a false negative: the Theil index is undefined");
    }
    let term = |b: f64| {
        let r = b / mu;
        r * r.ln()
    };
    Ok((n1 * term(1.0) + n2 * term(2.0)) / n)
}

/// The AIF360 comparisons of one group with the reference.
#[derive(Debug, Clone)]
pub struct VsReference {
    /// Statistical parity difference.
    pub spd: Value,
    /// Disparate impact.
    pub di: Value,
    /// Average odds difference.
    pub aod: Value,
    /// Average predictive value difference.
    pub apvd: Value,
}

fn diff(a: Value, b: Value) -> Value {
    Ok(a? - b?)
}

/// Compares `g` with the reference `r`.
pub fn vs_reference(g: &BinaryCounts, r: &BinaryCounts, has_label: bool) -> VsReference {
    let no_label: Value = Err("no label column");
    let half = |a: Value, b: Value| -> Value { Ok((a? + b?) / 2.0) };
    VsReference {
        spd: diff(g.selection_rate(), r.selection_rate()),
        di: match (g.selection_rate(), r.selection_rate()) {
            (Ok(_), Ok(0.0)) => Err("the reference group's selection rate is 0"),
            (a, b) => (|| Ok(a? / b?))(),
        },
        aod: if has_label {
            half(diff(g.fpr(), r.fpr()), diff(g.tpr(), r.tpr()))
        } else {
            no_label
        },
        apvd: if has_label {
            half(diff(g.precision(), r.precision()), diff(g.npv(), r.npv()))
        } else {
            no_label
        },
    }
}

/// The value farthest from parity (by `dist`), sign kept.
pub fn worst(
    values: &[Value],
    eligible: &[bool],
    dist: fn(f64) -> f64,
    what: &'static str,
) -> Value {
    values
        .iter()
        .zip(eligible)
        .filter_map(|(v, &e)| if e { v.ok() } else { None })
        .fold(None, |best: Option<f64>, v| match best {
            Some(b) if dist(b) >= dist(v) => Some(b),
            _ => Some(v),
        })
        .ok_or(what)
}

/// Which regression groups count in the aggregates: at least `min_group_size` rows, and
/// not empty.
pub fn regression_eligible(spec: &Spec, sums: &[RegressionSums]) -> Vec<bool> {
    sums.iter()
        .map(|s| s.n >= spec.min_group_size && s.n > 0)
        .collect()
}

/// Gaps (max - min) of the regression metrics over eligible groups. An eligible group
/// always counts: where its value is undefined or infinite, so is the gap (rather than
/// the group silently dropping out of it).
pub fn regression_gaps(sums: &[RegressionSums], eligible: &[bool]) -> Vec<(&'static str, Value)> {
    let why = "fewer than two groups of at least min_group_size rows";
    let n_eligible = eligible.iter().filter(|&&e| e).count();
    let gaps = |values: Vec<Value>| -> (Value, Value) {
        let undefined = values.iter().zip(eligible).any(|(v, &e)| e && v.is_err());
        if undefined && n_eligible >= 2 {
            return (Err(GROUP_UNDEFINED), Err(GROUP_UNDEFINED));
        }
        spread(&values, eligible, why)
    };
    let (mae_gap, mae_ratio) = gaps(sums.iter().map(RegressionSums::mae).collect());
    vec![
        ("mae_gap", mae_gap),
        ("mae_ratio", mae_ratio),
        (
            "rmse_gap",
            gaps(sums.iter().map(RegressionSums::rmse).collect()).0,
        ),
        (
            "mean_residual_gap",
            gaps(sums.iter().map(RegressionSums::mean_error).collect()).0,
        ),
    ]
}

/// The report of regression groups.
///
/// # Errors
/// Arrow errors (a bug).
pub fn regression_report(
    spec: &Spec,
    types: &[KeyType],
    keys: &[Vec<KeyValue>],
    sums: &[RegressionSums],
) -> Result<Report> {
    let eligible = regression_eligible(spec, sums);
    let mut t = TableBuilder::new("sensitive");
    t.keys(&spec.sensitive, types, keys);
    t.counts("count", sums.iter().map(|s| s.n));
    t.counts("n_null", sums.iter().map(|s| s.n_null));
    t.flags("small_group", eligible.iter().map(|e| !e));
    t.metric("mae", sums.iter().map(RegressionSums::mae));
    t.metric("rmse", sums.iter().map(RegressionSums::rmse));
    t.metric("mean_residual", sums.iter().map(RegressionSums::mean_error));
    Ok(Report {
        by_group: t.finish()?,
        aggregates: regression_gaps(sums, &eligible),
        reference_group: None,
        small_groups: (0..keys.len())
            .filter(|&i| !eligible[i])
            .map(|i| keys[i].clone())
            .collect(),
        segments: None,
    })
}

/// A row per segment with its aggregates: `rows` holds each segment's aggregate values
/// in the order of `names`, one segment after another.
///
/// # Errors
/// Arrow errors (a bug).
pub fn segment_table(
    spec: &Spec,
    types: &[KeyType],
    seg_keys: &[&[KeyValue]],
    names: &[&'static str],
    rows: &[Value],
    bounds: &[usize],
) -> Result<RecordBatch> {
    let mut t = TableBuilder::new("segment_by");
    t.keys(&spec.segment_by, types, seg_keys);
    t.counts("n_groups", bounds.windows(2).map(|w| (w[1] - w[0]) as u64));
    for (j, name) in names.iter().enumerate() {
        t.metric(name, rows.iter().skip(j).step_by(names.len()).copied());
    }
    t.finish()
}

/// A group key as text, `(a, b)` for a tuple.
pub fn fmt_key(k: &[KeyValue]) -> String {
    let parts: Vec<String> = k
        .iter()
        .map(|v| match v {
            KeyValue::Str(s) => format!("'{s}'"),
            other => other.to_string(),
        })
        .collect();
    if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("({})", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_of_infinite_or_undefined_values_are_explained() {
        let all = [true; 3];
        let (d, r) = spread(&[Ok(1.0), Ok(f64::INFINITY), Ok(2.0)], &all, "few");
        assert_eq!((d, r), (Err(OVERFLOW), Err(OVERFLOW)));
        let (d, r) = spread(&[Ok(f64::INFINITY), Ok(f64::INFINITY)], &all[..2], "few");
        assert_eq!((d, r), (Err(OVERFLOW), Err(OVERFLOW)));
        // An ineligible group does not count.
        let (d, r) = spread(
            &[Ok(1.0), Ok(f64::INFINITY), Ok(3.0)],
            &[true, false, true],
            "few",
        );
        assert_eq!((d, r), (Ok(2.0), Ok(1.0 / 3.0)));
        // A regression group whose mean residual is undefined makes the gap undefined.
        let mut a = RegressionSums::default();
        a.add(1.5e308, -1.5e308);
        a.add(-1.5e308, 1.5e308);
        let mut b = RegressionSums::default();
        b.add(1.0, 2.0);
        let gaps = regression_gaps(&[a, b], &[true, true]);
        let get = |n: &str| gaps.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        assert_eq!(get("mean_residual_gap"), Some(Err(GROUP_UNDEFINED)));
        assert_eq!(get("mae_gap"), Some(Err(OVERFLOW)));
        assert_eq!(get("mae_ratio"), Some(Err(OVERFLOW)));
    }
}
