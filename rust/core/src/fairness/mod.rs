//! Bias (fairness) metrics over Arrow data: per-group rates and the between-group
//! aggregates of fairlearn and AIF360, in one parallel pass, optionally per segment.
//!
//! Groups are the distinct values (or value tuples, for several sensitive columns) of the
//! sensitive columns ([`groups`]); the per-group accumulators are the binary confusion
//! counts ([`crate::performance::confusion::BinaryCounts`]) or the regression error sums
//! ([`crate::performance::regression::RegressionSums`]); [`report`] turns them into the
//! aggregates. Null policy: as `performance` (rows with a null label or prediction are
//! counted in `n_null` and left out; a null sensitive value is a group of its own).

pub mod groups;
pub mod int_keys;
pub mod partial;
pub mod report;

pub use report::fmt_key;
use report::{regression_report, segment_table};

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::RecordBatch;

use crate::error::{DriftlineError, Result};
use crate::performance::columns::{
    encode_binary, merge_other, ordered_fold, Chunks, Positive, CHUNK_ROWS,
};
use crate::performance::confusion::{count_binary, BinaryCounts, Value};
use crate::performance::regression::RegressionSums;
use crate::performance::table::TableBuilder;
use groups::{code_columns, KeyValue};

/// Classification (binary) or regression fairness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FairnessTask {
    /// Binary predictions.
    Binary,
    /// Numeric predictions.
    Regression,
}

/// What to measure.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spec {
    /// Prediction column.
    pub prediction: String,
    /// Label column, if any (without one, only selection rates and scores).
    pub label: Option<String>,
    /// Sensitive columns (their intersection makes the groups).
    pub sensitive: Vec<String>,
    /// Score column (mean score per group).
    pub score: Option<String>,
    /// Positive class (binary).
    pub positive: Positive,
    /// Reference (privileged) group; `None`: the largest eligible group.
    pub reference_group: Option<Vec<KeyValue>>,
    /// Groups with fewer complete rows are flagged and left out of the aggregates.
    pub min_group_size: u64,
    /// Task.
    pub task: FairnessTask,
    /// Segment columns: the aggregates are also computed per segment.
    pub segment_by: Vec<String>,
}

/// Per-group table and aggregates.
#[derive(Debug, Clone)]
pub struct Report {
    /// A row per group.
    pub by_group: RecordBatch,
    /// Named aggregates; an undefined one carries its reason.
    pub aggregates: Vec<(&'static str, Value)>,
    /// The reference group used.
    pub reference_group: Option<Vec<KeyValue>>,
    /// Groups flagged as too small.
    pub small_groups: Vec<Vec<KeyValue>>,
    /// A row per segment with its aggregates, when `segment_by` is given.
    pub segments: Option<RecordBatch>,
}

/// The per-group accumulators (groups: segment and sensitive values).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Acc {
    /// Binary confusion counts and score sums per group.
    Binary(Vec<BinaryCounts>),
    /// Regression error sums per group.
    Regression(Vec<RegressionSums>),
}

/// Accumulated groups: their keys (segment values, then sensitive values; sorted), the
/// accumulators, and the non-positive values met in the prediction and the label.
pub struct Accumulated {
    /// Group keys, sorted.
    pub keys: Vec<Vec<KeyValue>>,
    /// Accumulators in key order.
    pub acc: Acc,
    /// The one non-positive prediction value met (binary).
    pub other_prediction: Option<crate::performance::columns::Other>,
    /// The one non-positive label value met (binary).
    pub other_label: Option<crate::performance::columns::Other>,
}

/// Computes the fairness report of `batches`.
///
/// # Errors
/// Unknown columns, unsupported types, NaN, non-binary columns, an unknown reference group.
pub fn evaluate(batches: &[RecordBatch], spec: &Spec) -> Result<Report> {
    // Runs on driftline's named pool (sized by DRIFTLINE_MAX_THREADS).
    crate::pool::install(None, || evaluate_inner(batches, spec))?
}

fn evaluate_inner(batches: &[RecordBatch], spec: &Spec) -> Result<Report> {
    let a = accumulate_inner(batches, spec)?;
    finish(spec, &a.keys, &a.acc)
}

/// Accumulates the groups of `batches` (the mergeable part of [`evaluate`]).
///
/// # Errors
/// As [`evaluate`].
pub fn accumulate(batches: &[RecordBatch], spec: &Spec) -> Result<Accumulated> {
    crate::pool::install(None, || accumulate_inner(batches, spec))?
}

fn accumulate_inner(batches: &[RecordBatch], spec: &Spec) -> Result<Accumulated> {
    if spec.sensitive.is_empty() {
        return Err(DriftlineError::param(
            "sensitive",
            "name at least one column",
        ));
    }
    let mut names: Vec<&str> = vec![&spec.prediction];
    let label_at = spec.label.as_ref().map(|l| {
        names.push(l);
        names.len() - 1
    });
    if spec.task == FairnessTask::Regression && label_at.is_none() {
        return Err(DriftlineError::param(
            "label",
            "regression fairness needs a label",
        ));
    }
    let score_at = spec.score.as_ref().map(|s| {
        names.push(s);
        names.len() - 1
    });
    let first_group = names.len();
    names.extend(spec.segment_by.iter().map(String::as_str));
    names.extend(spec.sensitive.iter().map(String::as_str));
    let chunks = Chunks::new(batches, &names, CHUNK_ROWS)?;
    let group_cols: Vec<usize> = (first_group..names.len()).collect();
    let coded = code_columns(&chunks, &group_cols)?;
    let g = coded.keys.len();
    let others = std::sync::Mutex::new((None, None));
    let acc = match spec.task {
        FairnessTask::Binary => {
            let counts = ordered_fold(
                chunks.chunks.len(),
                vec![BinaryCounts::default(); g],
                |c| {
                    let ch = &chunks.chunks[c];
                    let (yhat, op) = encode_binary(&ch[0], &spec.prediction, &spec.positive)?;
                    let y = match (label_at, &spec.label) {
                        (Some(j), Some(name)) => Some(encode_binary(&ch[j], name, &spec.positive)?),
                        _ => None,
                    };
                    let score = match (score_at, &spec.score) {
                        (Some(j), Some(name)) => {
                            Some(crate::performance::columns::scores(&ch[j], name)?)
                        }
                        _ => None,
                    };
                    {
                        let mut o = others
                            .lock()
                            .map_err(|_| DriftlineError::param("data", "poisoned lock"))?;
                        merge_other(&spec.prediction, &spec.positive, &mut o.0, op)?;
                        if let (Some((_, ol)), Some(name)) = (&y, &spec.label) {
                            merge_other(name, &spec.positive, &mut o.1, ol.clone())?;
                        }
                    }
                    Ok(count_binary(
                        &coded.codes[c],
                        y.as_ref().map(|(v, _)| v.as_slice()),
                        &yhat,
                        score.as_ref().map(|s| s.as_primitive::<Float64Type>()),
                        g,
                    ))
                },
                |acc, p| {
                    for (a, b) in acc.iter_mut().zip(&p) {
                        *a += b;
                    }
                    Ok(())
                },
            )?;
            Acc::Binary(counts)
        }
        FairnessTask::Regression => {
            let lj = label_at.unwrap_or(1);
            let label = spec.label.clone().unwrap_or_default();
            let sums = crate::performance::regression::sum_chunks(
                &chunks,
                (0, &spec.prediction),
                (lj, &label),
                &crate::performance::columns::SegmentCodes::Rows(&coded.codes),
                g,
            )?;
            Acc::Regression(sums)
        }
    };
    let (other_prediction, other_label) = others
        .into_inner()
        .map_err(|_| DriftlineError::param("data", "poisoned lock"))?;
    Ok(Accumulated {
        keys: coded.keys,
        acc,
        other_prediction,
        other_label,
    })
}

/// The report of accumulated groups (`keys` sorted, segment values first).
///
/// # Errors
/// An unknown reference group; Arrow errors (a bug).
pub fn finish(spec: &Spec, keys: &[Vec<KeyValue>], acc: &Acc) -> Result<Report> {
    let g = keys.len();
    let n_seg = spec.segment_by.len();
    // Groups sort by (segment..., sensitive...): each segment's groups are contiguous.
    let mut bounds = vec![0usize];
    for i in 1..g {
        if keys[i][..n_seg] != keys[i - 1][..n_seg] {
            bounds.push(i);
        }
    }
    if g > 0 {
        bounds.push(g);
    }
    let sens_keys: Vec<Vec<KeyValue>> = keys.iter().map(|k| k[n_seg..].to_vec()).collect();
    let whole = report_of(spec, acc, &sens_keys, 0..g, n_seg > 0)?;
    let segments = if n_seg > 0 {
        let mut seg_keys = Vec::new();
        let mut rows = Vec::new();
        for w in bounds.windows(2) {
            seg_keys.push(keys[w[0]][..n_seg].to_vec());
            rows.push(report_of(spec, acc, &sens_keys, w[0]..w[1], false)?);
        }
        Some(segment_table(spec, &seg_keys, &rows, &bounds)?)
    } else {
        None
    };
    Ok(Report { segments, ..whole })
}

fn pooled_binary(
    counts: &[BinaryCounts],
    sens_keys: &[Vec<KeyValue>],
    range: std::ops::Range<usize>,
) -> (Vec<Vec<KeyValue>>, Vec<BinaryCounts>) {
    // With segments, the overall report pools each sensitive group over segments.
    let mut keys: Vec<Vec<KeyValue>> = sens_keys[range.clone()].to_vec();
    keys.sort();
    keys.dedup();
    let mut out = vec![BinaryCounts::default(); keys.len()];
    for i in range {
        let j = keys.binary_search(&sens_keys[i]).unwrap_or(0);
        out[j] += &counts[i];
    }
    (keys, out)
}

fn pooled_regression(
    sums: &[RegressionSums],
    sens_keys: &[Vec<KeyValue>],
    range: std::ops::Range<usize>,
) -> (Vec<Vec<KeyValue>>, Vec<RegressionSums>) {
    let mut keys: Vec<Vec<KeyValue>> = sens_keys[range.clone()].to_vec();
    keys.sort();
    keys.dedup();
    let mut out = vec![RegressionSums::default(); keys.len()];
    for i in range {
        let j = keys.binary_search(&sens_keys[i]).unwrap_or(0);
        out[j].merge(&sums[i]);
    }
    (keys, out)
}

fn report_of(
    spec: &Spec,
    acc: &Acc,
    sens_keys: &[Vec<KeyValue>],
    range: std::ops::Range<usize>,
    pool: bool,
) -> Result<Report> {
    let _ = pool;
    match acc {
        Acc::Binary(counts) => {
            let (keys, counts) = pooled_binary(counts, sens_keys, range);
            binary_report(spec, &keys, &counts)
        }
        Acc::Regression(sums) => {
            let (keys, sums) = pooled_regression(sums, sens_keys, range);
            regression_report(spec, &keys, &sums)
        }
    }
}

const TOO_FEW: &str = "fewer than two groups of at least min_group_size rows with the rate defined";

fn binary_report(spec: &Spec, keys: &[Vec<KeyValue>], counts: &[BinaryCounts]) -> Result<Report> {
    let has_label = spec.label.is_some();
    let eligible: Vec<bool> = counts
        .iter()
        .map(|c| c.n() >= spec.min_group_size && c.n() > 0)
        .collect();
    let labelled = |f: fn(&BinaryCounts) -> Value| -> Vec<Value> {
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
    };
    let sel: Vec<Value> = counts.iter().map(BinaryCounts::selection_rate).collect();
    let tpr = labelled(BinaryCounts::tpr);
    let fpr = labelled(BinaryCounts::fpr);
    let (dp_d, dp_r) = report::spread(&sel, &eligible, TOO_FEW);
    let (tpr_d, tpr_r) = report::spread(&tpr, &eligible, TOO_FEW);
    let (fpr_d, fpr_r) = report::spread(&fpr, &eligible, TOO_FEW);
    let max2 = |a: Value, b: Value| -> Value { Ok(a?.max(b?)) };
    let min2 = |a: Value, b: Value| -> Value { Ok(a?.min(b?)) };
    // Reference group: given, or the largest eligible group (first in order on a tie).
    let reference = match &spec.reference_group {
        Some(r) => Some(keys.iter().position(|k| k == r).ok_or_else(|| {
            DriftlineError::param(
                "reference_group",
                format!(
                    "{} is not a group; groups: {}",
                    fmt_key(r),
                    keys.iter()
                        .map(|k| fmt_key(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?),
        None => (0..keys.len())
            .filter(|&i| eligible[i])
            .fold(None, |best: Option<usize>, i| match best {
                Some(b) if counts[b].n() >= counts[i].n() => Some(b),
                _ => Some(i),
            }),
    };
    let vs: Vec<report::VsReference> = (0..keys.len())
        .map(|i| match reference {
            Some(r) if r != i => report::vs_reference(&counts[i], &counts[r], has_label),
            Some(_) => report::VsReference {
                spd: Err("the reference group"),
                di: Err("the reference group"),
                aod: Err("the reference group"),
                apvd: Err("the reference group"),
            },
            None => report::VsReference {
                spd: Err("no reference group"),
                di: Err("no reference group"),
                aod: Err("no reference group"),
                apvd: Err("no reference group"),
            },
        })
        .collect();
    let pick = |f: fn(&report::VsReference) -> Value| -> Vec<Value> { vs.iter().map(f).collect() };
    let (spd, di, aod, apvd) = (
        pick(|v| v.spd),
        pick(|v| v.di),
        pick(|v| v.aod),
        pick(|v| v.apvd),
    );
    let no_other = "no other eligible group to compare with the reference";
    let mut total = BinaryCounts::default();
    for c in counts {
        total += c;
    }
    let ratio_ok = dp_r;
    let aggregates = vec![
        ("demographic_parity_difference", dp_d),
        ("demographic_parity_ratio", dp_r),
        ("equalized_odds_difference", max2(tpr_d, fpr_d)),
        ("equalized_odds_ratio", min2(tpr_r, fpr_r)),
        ("equal_opportunity_difference", tpr_d),
        ("equal_opportunity_ratio", tpr_r),
        (
            "statistical_parity_difference",
            report::worst(&spd, &eligible, f64::abs, no_other),
        ),
        (
            "disparate_impact",
            report::worst(&di, &eligible, |x| x.ln().abs(), no_other),
        ),
        (
            "average_odds_difference",
            report::worst(&aod, &eligible, f64::abs, no_other),
        ),
        (
            "average_predictive_value_difference",
            report::worst(&apvd, &eligible, f64::abs, no_other),
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
            ratio_ok.map(|r| f64::from(u8::from(r >= 0.8))),
        ),
    ];
    let mut t = TableBuilder::default();
    t.keys(&spec.sensitive, keys);
    t.counts("count", counts.iter().map(BinaryCounts::n));
    t.counts("n_null", counts.iter().map(|c| c.n_null));
    t.flags("small_group", eligible.iter().map(|e| !e));
    t.flags(
        "is_reference",
        (0..keys.len()).map(|i| Some(i) == reference),
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
    metric(&mut t, "selection_rate", sel);
    metric(&mut t, "tpr", tpr);
    metric(&mut t, "fpr", fpr);
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
    metric(&mut t, "statistical_parity_difference", spd);
    metric(&mut t, "disparate_impact", di);
    metric(&mut t, "average_odds_difference", aod);
    metric(&mut t, "average_predictive_value_difference", apvd);
    for (i, e) in eligible.iter().enumerate() {
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
        aggregates,
        reference_group: reference.map(|r| keys[r].clone()),
        small_groups: (0..keys.len())
            .filter(|&i| !eligible[i])
            .map(|i| keys[i].clone())
            .collect(),
        segments: None,
    })
}
