//! The report of binary groups: the per-group rates, the comparisons with the reference
//! group and the aggregates ([`binary_aggregates`]: all a segment's row needs), and the
//! per-group table of the overall report ([`binary_report`]).

use crate::error::{DriftlineError, Result};
use crate::fairness::groups::KeyValue;
use crate::fairness::key_types::KeyType;
use crate::fairness::report::{self, fmt_key, VsReference};
use crate::fairness::{Report, Spec};
use crate::performance::confusion::{BinaryCounts, Value};
use crate::performance::table::TableBuilder;

const TOO_FEW: &str = "fewer than two groups of at least min_group_size rows with the rate defined";
const NO_OTHER: &str = "no other eligible group to compare with the reference";
/// Why a segment's comparisons with a given reference group are null.
const REFERENCE_ABSENT: &str = "the reference group has no rows in this segment";

/// Where the reference group is found among a report's groups.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReferenceRule {
    /// An unknown given reference group is an error (the overall report).
    Required,
    /// A given reference group may be absent (a segment): its comparisons are null.
    MayBeAbsent,
}

/// What a binary report computes before its table.
struct Parts {
    eligible: Vec<bool>,
    sel: Vec<Value>,
    tpr: Vec<Value>,
    fpr: Vec<Value>,
    reference: Option<usize>,
    vs: Vec<VsReference>,
    aggregates: Vec<(&'static str, Value)>,
}

/// A label-based rate of each group (explained nulls without a label column).
fn labelled(counts: &[BinaryCounts], has_label: bool, f: fn(&BinaryCounts) -> Value) -> Vec<Value> {
    counts
        .iter()
        .map(|c| {
            if has_label {
                f(c)
            } else {
                Err("no label column")
            }
        })
        .collect()
}

/// Whether group key `k` is the given key `given`: equal, or a temporal value given as the
/// text it shows (`'2024-01-31'`: a Python date or datetime arrives as its ISO text).
fn key_matches(k: &[KeyValue], given: &[KeyValue]) -> bool {
    k.len() == given.len()
        && k.iter().zip(given).all(|(a, b)| match (a, b) {
            (KeyValue::Temporal(..), KeyValue::Str(s)) => a.to_string() == *s,
            _ => a == b,
        })
}

/// The reference group's index: the given one, or the largest eligible group (first in
/// order on a tie).
///
/// # Errors
/// A given reference group that is not a group, under [`ReferenceRule::Required`].
fn reference_of<K: AsRef<[KeyValue]>>(
    spec: &Spec,
    keys: &[K],
    counts: &[BinaryCounts],
    eligible: &[bool],
    rule: ReferenceRule,
) -> Result<Option<usize>> {
    match &spec.reference_group {
        Some(r) => match keys.iter().position(|k| key_matches(k.as_ref(), r)) {
            Some(i) => Ok(Some(i)),
            None if rule == ReferenceRule::MayBeAbsent => Ok(None),
            None => Err(DriftlineError::param(
                "reference_group",
                format!(
                    "{} is not a group; groups: {}",
                    fmt_key(r),
                    keys.iter()
                        .map(|k| fmt_key(k.as_ref()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        },
        None => {
            Ok((0..keys.len())
                .filter(|&i| eligible[i])
                .fold(None, |best: Option<usize>, i| match best {
                    Some(b) if counts[b].n() >= counts[i].n() => Some(b),
                    _ => Some(i),
                }))
        }
    }
}

fn parts<K: AsRef<[KeyValue]>>(
    spec: &Spec,
    keys: &[K],
    counts: &[BinaryCounts],
    rule: ReferenceRule,
) -> Result<Parts> {
    let has_label = spec.label.is_some();
    let eligible: Vec<bool> = counts
        .iter()
        .map(|c| c.n() >= spec.min_group_size && c.n() > 0)
        .collect();
    let labelled = |f| labelled(counts, has_label, f);
    let sel: Vec<Value> = counts.iter().map(BinaryCounts::selection_rate).collect();
    let tpr = labelled(BinaryCounts::tpr);
    let fpr = labelled(BinaryCounts::fpr);
    let (dp_d, dp_r) = report::spread(&sel, &eligible, TOO_FEW);
    let (tpr_d, tpr_r) = report::spread(&tpr, &eligible, TOO_FEW);
    let (fpr_d, fpr_r) = report::spread(&fpr, &eligible, TOO_FEW);
    let max2 = |a: Value, b: Value| -> Value { Ok(a?.max(b?)) };
    let min2 = |a: Value, b: Value| -> Value { Ok(a?.min(b?)) };
    let reference = reference_of(spec, keys, counts, &eligible, rule)?;
    let absent = spec.reference_group.is_some() && reference.is_none();
    let none = |why: &'static str| VsReference {
        spd: Err(why),
        di: Err(why),
        aod: Err(why),
        apvd: Err(why),
    };
    let vs: Vec<VsReference> = (0..keys.len())
        .map(|i| match reference {
            Some(r) if r != i => report::vs_reference(&counts[i], &counts[r], has_label),
            Some(_) => none("the reference group"),
            None if absent => none(REFERENCE_ABSENT),
            None => none("no reference group"),
        })
        .collect();
    let no_other = if absent { REFERENCE_ABSENT } else { NO_OTHER };
    let pick = |f: fn(&VsReference) -> Value| -> Vec<Value> { vs.iter().map(f).collect() };
    let mut total = BinaryCounts::default();
    for c in counts {
        total += c;
    }
    let aggregates = vec![
        ("demographic_parity_difference", dp_d),
        ("demographic_parity_ratio", dp_r),
        ("equalized_odds_difference", max2(tpr_d, fpr_d)),
        ("equalized_odds_ratio", min2(tpr_r, fpr_r)),
        ("equal_opportunity_difference", tpr_d),
        ("equal_opportunity_ratio", tpr_r),
        (
            "statistical_parity_difference",
            report::worst(&pick(|v| v.spd), &eligible, f64::abs, no_other),
        ),
        (
            "disparate_impact",
            report::worst(&pick(|v| v.di), &eligible, |x| x.ln().abs(), no_other),
        ),
        (
            "average_odds_difference",
            report::worst(&pick(|v| v.aod), &eligible, f64::abs, no_other),
        ),
        (
            "average_predictive_value_difference",
            report::worst(&pick(|v| v.apvd), &eligible, f64::abs, no_other),
        ),
        (
            "theil_index",
            if has_label {
                report::theil(&total)
            } else {
                Err("no label column")
            },
        ),
        (
            "passes_four_fifths",
            dp_r.map(|r| f64::from(u8::from(r >= 0.8))),
        ),
    ];
    Ok(Parts {
        eligible,
        sel,
        tpr,
        fpr,
        reference,
        vs,
        aggregates,
    })
}

/// The aggregates of binary groups (a segment's row: no per-group table is built).
///
/// # Errors
/// An unknown reference group under [`ReferenceRule::Required`].
pub fn binary_aggregates<K: AsRef<[KeyValue]>>(
    spec: &Spec,
    keys: &[K],
    counts: &[BinaryCounts],
    rule: ReferenceRule,
) -> Result<Vec<(&'static str, Value)>> {
    Ok(parts(spec, keys, counts, rule)?.aggregates)
}

/// The report of binary groups, with its per-group table.
///
/// # Errors
/// An unknown reference group; Arrow errors (a bug).
pub fn binary_report(
    spec: &Spec,
    types: &[KeyType],
    keys: &[Vec<KeyValue>],
    counts: &[BinaryCounts],
) -> Result<Report> {
    let has_label = spec.label.is_some();
    let p = parts(spec, keys, counts, ReferenceRule::Required)?;
    let labelled = |f| labelled(counts, has_label, f);
    let mut t = TableBuilder::new("sensitive");
    t.keys(&spec.sensitive, types, keys);
    t.counts("count", counts.iter().map(BinaryCounts::n));
    t.counts("n_null", counts.iter().map(|c| c.n_null));
    t.flags("small_group", p.eligible.iter().map(|e| !e));
    t.flags(
        "is_reference",
        (0..keys.len()).map(|i| Some(i) == p.reference),
    );
    let mut notes: Vec<Vec<String>> = vec![Vec::new(); keys.len()];
    let mut metric = |t: &mut TableBuilder, name: &str, vals: Vec<Value>| {
        for (i, v) in vals.iter().enumerate() {
            if let Err(why) = v {
                if !matches!(*why, "no label column" | "the reference group") {
                    notes[i].push(format!("{name}: {why}"));
                }
            }
        }
        t.metric(name, vals.into_iter());
    };
    metric(&mut t, "base_rate", labelled(BinaryCounts::base_rate));
    metric(&mut t, "selection_rate", p.sel);
    metric(&mut t, "tpr", p.tpr);
    metric(&mut t, "fpr", p.fpr);
    metric(&mut t, "tnr", labelled(BinaryCounts::tnr));
    metric(&mut t, "fnr", labelled(BinaryCounts::fnr));
    metric(&mut t, "precision", labelled(BinaryCounts::precision));
    metric(&mut t, "npv", labelled(BinaryCounts::npv));
    metric(&mut t, "accuracy", labelled(BinaryCounts::accuracy));
    metric(&mut t, "f1", labelled(BinaryCounts::f1));
    if spec.score.is_some() {
        metric(
            &mut t,
            "mean_score",
            counts.iter().map(BinaryCounts::mean_score).collect(),
        );
    }
    let pick = |f: fn(&VsReference) -> Value| -> Vec<Value> { p.vs.iter().map(f).collect() };
    metric(&mut t, "statistical_parity_difference", pick(|v| v.spd));
    metric(&mut t, "disparate_impact", pick(|v| v.di));
    metric(&mut t, "average_odds_difference", pick(|v| v.aod));
    metric(
        &mut t,
        "average_predictive_value_difference",
        pick(|v| v.apvd),
    );
    for (i, e) in p.eligible.iter().enumerate() {
        if !e {
            notes[i].insert(
                0,
                format!(
                    "fewer than min_group_size={} rows: left out of the aggregates",
                    spec.min_group_size
                ),
            );
        }
    }
    t.strings(
        "notes",
        notes.into_iter().map(|n| {
            if n.is_empty() {
                None
            } else {
                Some(n.join("; "))
            }
        }),
    );
    Ok(Report {
        by_group: t.finish()?,
        aggregates: p.aggregates,
        reference_group: p.reference.map(|r| keys[r].clone()),
        small_groups: (0..keys.len())
            .filter(|&i| !p.eligible[i])
            .map(|i| keys[i].clone())
            .collect(),
        segments: None,
    })
}
