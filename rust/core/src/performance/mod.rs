//! Model performance over Arrow data, overall and per segment, in one parallel pass.
//!
//! Binary and multiclass classification (accuracy, precision, recall, F1; ROC AUC exact and
//! approximate, log loss, Brier score and expected calibration error from a score),
//! regression (MAE, RMSE, MAPE, sMAPE, R2, mean error), and confidence-based performance
//! estimation for unlabeled data ([`cbpe`]). Every accumulator merges by addition.
//!
//! # Null policy
//! A row whose label or prediction is null is left out of every metric and counted in
//! `n_null`; a null score leaves the row out of the score metrics only. NaN in a label,
//! prediction or score is an error, as is a score outside [0, 1].

pub mod auc;
pub mod calibration;
pub mod cbpe;
pub mod columns;
pub mod confusion;
pub mod exact;
pub mod regression;
pub mod segments;
pub mod table;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, RecordBatch};

use crate::error::{DriftlineError, Result};
use crate::fairness::groups::{code_columns, Coded, KeyValue};
use auc::ScoreHistogram;
use calibration::CalibrationBins;
use columns::{encode_binary, merge_other, ordered_fold, Chunks, Positive, CHUNK_ROWS, NULL_CODE};
use confusion::{BinaryCounts, ClassCounts, Value};
use regression::RegressionSums;

/// The kind of model evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Two classes, one of them positive.
    Binary,
    /// Two or more classes, no positive one.
    Multiclass,
    /// A numeric target.
    Regression,
}

impl std::str::FromStr for Task {
    type Err = DriftlineError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "binary" => Ok(Self::Binary),
            "multiclass" => Ok(Self::Multiclass),
            "regression" => Ok(Self::Regression),
            other => Err(DriftlineError::param(
                "task",
                format!("'{other}'; expected 'binary', 'multiclass' or 'regression'"),
            )),
        }
    }
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Prediction column.
    pub prediction: String,
    /// Label column.
    pub label: String,
    /// Score column (probability of the positive class), binary only.
    pub score: Option<String>,
    /// Positive class, binary only.
    pub positive: Positive,
    /// Task.
    pub task: Task,
    /// Segment columns (empty: no segments).
    pub segment_by: Vec<String>,
}

/// Overall metrics, and the per-segment table when asked.
#[derive(Debug, Clone)]
pub struct Report {
    /// Named metrics, in a stable order; an undefined one carries its reason.
    pub metrics: Vec<(&'static str, Value)>,
    /// Classes (multiclass), sorted.
    pub classes: Vec<KeyValue>,
    /// A row per segment.
    pub segments: Option<RecordBatch>,
}

/// Evaluates `batches` as `spec` says.
///
/// # Errors
/// Unknown columns, unsupported types, NaN, non-binary labels, scores outside [0, 1].
pub fn evaluate(batches: &[RecordBatch], spec: &Spec) -> Result<Report> {
    // Runs on driftline's named pool (sized by DRIFTLINE_MAX_THREADS).
    crate::pool::install(None, || evaluate_inner(batches, spec))?
}

fn evaluate_inner(batches: &[RecordBatch], spec: &Spec) -> Result<Report> {
    let mut names: Vec<&str> = vec![&spec.prediction, &spec.label];
    if let Some(s) = &spec.score {
        if spec.task != Task::Binary {
            return Err(DriftlineError::param(
                "score",
                "a score is used by the binary task only",
            ));
        }
        names.push(s);
    }
    let first_seg = names.len();
    names.extend(spec.segment_by.iter().map(String::as_str));
    let chunks = Chunks::new(batches, &names, CHUNK_ROWS)?;
    let seg_cols: Vec<usize> = (first_seg..names.len()).collect();
    let coded = code_columns(&chunks, &seg_cols)?;
    let segmented = !spec.segment_by.is_empty();
    match spec.task {
        Task::Binary => binary(&chunks, spec, &coded, segmented),
        Task::Multiclass => multiclass(&chunks, spec, &coded, segmented),
        Task::Regression => regression(&chunks, spec, &coded, segmented),
    }
}

/// Encoded binary columns of one chunk.
pub struct BinaryChunk {
    /// Labels (0, 1, [`NULL_CODE`]).
    pub y: Vec<u8>,
    /// Predictions.
    pub yhat: Vec<u8>,
    /// Scores, validated.
    pub score: Option<ArrayRef>,
}

#[derive(Default)]
struct BinaryPartial {
    counts: Vec<BinaryCounts>,
    cal: CalibrationBins,
    hist: ScoreHistogram,
    pos: Vec<f64>,
    neg: Vec<f64>,
}

fn binary(chunks: &Chunks, spec: &Spec, coded: &Coded, segmented: bool) -> Result<Report> {
    let g = coded.keys.len();
    let has_score = spec.score.is_some();
    // Encode once (kept for the per-segment AUC), checking that each column is binary.
    let encoded: Vec<Result<(BinaryChunk, _, _)>> = {
        use rayon::prelude::*;
        chunks
            .chunks
            .par_iter()
            .map(|c| {
                let (yhat, op) = encode_binary(&c[0], &spec.prediction, &spec.positive)?;
                let (y, ol) = encode_binary(&c[1], &spec.label, &spec.positive)?;
                let score = match &spec.score {
                    Some(name) => Some(columns::scores(&c[2], name)?),
                    None => None,
                };
                Ok((BinaryChunk { y, yhat, score }, op, ol))
            })
            .collect()
    };
    let (mut other_p, mut other_l) = (None, None);
    let mut enc = Vec::with_capacity(encoded.len());
    for e in encoded {
        let (c, op, ol) = e?;
        merge_other(&spec.prediction, &spec.positive, &mut other_p, op)?;
        merge_other(&spec.label, &spec.positive, &mut other_l, ol)?;
        enc.push(c);
    }
    let init = BinaryPartial {
        counts: vec![BinaryCounts::default(); g],
        ..BinaryPartial::default()
    };
    let acc = ordered_fold(
        enc.len(),
        init,
        |c| {
            let e = &enc[c];
            let s = e.score.as_ref().map(|a| a.as_primitive::<Float64Type>());
            let mut p = BinaryPartial {
                counts: confusion::count_binary(&coded.codes[c], Some(&e.y), &e.yhat, s, g),
                ..BinaryPartial::default()
            };
            if let Some(s) = s {
                let values = s.values();
                for i in 0..e.y.len() {
                    if e.y[i] == NULL_CODE || e.yhat[i] == NULL_CODE || s.is_null(i) {
                        continue;
                    }
                    let (v, y) = (values[i], e.y[i] == 1);
                    p.cal.add(v, y);
                    p.hist.add(v, y);
                    if y {
                        p.pos.push(v);
                    } else {
                        p.neg.push(v);
                    }
                }
            }
            Ok(p)
        },
        |acc, p| {
            for (a, b) in acc.counts.iter_mut().zip(&p.counts) {
                *a += b;
            }
            acc.cal.merge(&p.cal);
            acc.hist.merge(&p.hist);
            acc.pos.extend_from_slice(&p.pos);
            acc.neg.extend_from_slice(&p.neg);
            Ok(())
        },
    )?;
    let mut total = BinaryCounts::default();
    for c in &acc.counts {
        total += c;
    }
    let mut m: Vec<(&'static str, Value)> = vec![
        ("n", Ok(total.n() as f64)),
        ("n_null", Ok(total.n_null as f64)),
        ("tp", Ok(total.tp as f64)),
        ("fp", Ok(total.fp as f64)),
        ("tn", Ok(total.tn as f64)),
        ("fn", Ok(total.fn_ as f64)),
        ("accuracy", total.accuracy()),
        ("precision", total.precision()),
        ("recall", total.tpr()),
        ("f1", total.f1()),
        ("specificity", total.tnr()),
        ("fpr", total.fpr()),
        ("base_rate", total.base_rate()),
        ("selection_rate", total.selection_rate()),
    ];
    if has_score {
        let hist = acc.hist;
        m.extend([
            ("roc_auc", auc::exact_auc(acc.pos, acc.neg)),
            ("auc_approx", hist.auc()),
            ("auc_approx_error_bound", hist.auc_error_bound()),
            ("log_loss", total.log_loss()),
            ("brier", total.brier()),
            ("ece", acc.cal.ece()),
            ("mean_score", total.mean_score()),
        ]);
    }
    let segments = if segmented {
        let aucs = if has_score {
            Some(segments::segment_auc(&enc, &coded.codes, g))
        } else {
            None
        };
        Some(segments::binary_table(
            &spec.segment_by,
            &coded.keys,
            &acc.counts,
            aucs,
        )?)
    } else {
        None
    };
    Ok(Report {
        metrics: m,
        classes: Vec::new(),
        segments,
    })
}

fn multiclass(chunks: &Chunks, spec: &Spec, coded: &Coded, segmented: bool) -> Result<Report> {
    let g = coded.keys.len();
    let pred = code_columns(chunks, &[0])?;
    let label = code_columns(chunks, &[1])?;
    let (all, mp, ml) = crate::fairness::groups::union_keys(&pred.keys, &label.keys);
    // Class ids skip the null key (sorted first when present).
    let null = usize::from(all.first().is_some_and(|k| k[0] == KeyValue::Null));
    let classes: Vec<KeyValue> = all[null..].iter().map(|k| k[0].clone()).collect();
    let k = classes.len();
    let to_class = |m: &[usize]| -> Vec<u32> {
        m.iter()
            .map(|&i| {
                if i < null {
                    u32::MAX
                } else {
                    (i - null) as u32
                }
            })
            .collect()
    };
    let (mp, ml) = (to_class(&mp), to_class(&ml));
    let per_seg = ordered_fold(
        chunks.chunks.len(),
        vec![ClassCounts::new(k); g],
        |c| {
            let mut out = vec![ClassCounts::new(k); g];
            let (pc, lc, sc) = (&pred.codes[c], &label.codes[c], &coded.codes[c]);
            for i in 0..pc.len() {
                let (p, t) = (mp[pc[i] as usize], ml[lc[i] as usize]);
                let o = &mut out[sc[i] as usize];
                if p == u32::MAX || t == u32::MAX {
                    o.n_null += 1;
                    continue;
                }
                o.predicted[p as usize] += 1;
                o.truth[t as usize] += 1;
                o.tp[p as usize] += u64::from(p == t);
            }
            Ok(out)
        },
        |acc, p| {
            for (a, b) in acc.iter_mut().zip(&p) {
                a.merge(b);
            }
            Ok(())
        },
    )?;
    let mut total = ClassCounts::new(k);
    for s in &per_seg {
        total.merge(s);
    }
    let avg = total.averages().ok_or("no rows");
    let pick = |f: fn(&confusion::Averages) -> f64| -> Value { avg.map(|a| f(&a)) };
    let m = vec![
        ("n", Ok(total.n() as f64)),
        ("n_null", Ok(total.n_null as f64)),
        ("accuracy", pick(|a| a.accuracy)),
        ("precision_macro", pick(|a| a.precision_macro)),
        ("recall_macro", pick(|a| a.recall_macro)),
        ("f1_macro", pick(|a| a.f1_macro)),
        ("precision_weighted", pick(|a| a.precision_weighted)),
        ("recall_weighted", pick(|a| a.recall_weighted)),
        ("f1_weighted", pick(|a| a.f1_weighted)),
    ];
    let segments = if segmented {
        Some(segments::multiclass_table(
            &spec.segment_by,
            &coded.keys,
            &per_seg,
        )?)
    } else {
        None
    };
    Ok(Report {
        metrics: m,
        classes,
        segments,
    })
}

fn regression(chunks: &Chunks, spec: &Spec, coded: &Coded, segmented: bool) -> Result<Report> {
    let g = coded.keys.len();
    let per_seg = ordered_fold(
        chunks.chunks.len(),
        vec![RegressionSums::default(); g],
        |c| {
            let p = columns::values(&chunks.chunks[c][0], &spec.prediction)?;
            let y = columns::values(&chunks.chunks[c][1], &spec.label)?;
            Ok(regression::sum_regression(
                &coded.codes[c],
                y.as_primitive::<Float64Type>(),
                p.as_primitive::<Float64Type>(),
                g,
            ))
        },
        |acc, p| {
            for (a, b) in acc.iter_mut().zip(&p) {
                a.merge(b);
            }
            Ok(())
        },
    )?;
    let mut total = RegressionSums::default();
    for s in &per_seg {
        total.merge(s);
    }
    let m = vec![
        ("n", Ok(total.n as f64)),
        ("n_null", Ok(total.n_null as f64)),
        ("mae", total.mae()),
        ("mse", total.rmse().map(|r| r * r)),
        ("rmse", total.rmse()),
        ("mape", total.mape()),
        ("smape", total.smape()),
        ("r2", total.r2()),
        ("mean_error", total.mean_error()),
    ];
    let segments = if segmented {
        Some(segments::regression_table(
            &spec.segment_by,
            &coded.keys,
            &per_seg,
        )?)
    } else {
        None
    };
    Ok(Report {
        metrics: m,
        classes: Vec::new(),
        segments,
    })
}

/// Exact ROC AUC of a label and a score column (the kernel of `performance`, alone).
///
/// # Errors
/// As [`evaluate`].
pub fn roc_auc(
    batches: &[RecordBatch],
    label: &str,
    score: &str,
    positive: &Positive,
) -> Result<Value> {
    // Runs on driftline's named pool (sized by DRIFTLINE_MAX_THREADS).
    crate::pool::install(None, || roc_auc_inner(batches, label, score, positive))?
}

fn roc_auc_inner(
    batches: &[RecordBatch],
    label: &str,
    score: &str,
    positive: &Positive,
) -> Result<Value> {
    use rayon::prelude::*;
    let chunks = Chunks::new(batches, &[label, score], CHUNK_ROWS)?;
    type Split = (Vec<f64>, Vec<f64>, Option<columns::Other>);
    let parts: Vec<Result<Split>> = chunks
        .chunks
        .par_iter()
        .map(|c| {
            let (y, other) = encode_binary(&c[0], label, positive)?;
            let s = columns::scores_any(&c[1], score)?;
            let s = s.as_primitive::<Float64Type>();
            let (mut pos, mut neg) = (Vec::new(), Vec::new());
            for (i, v) in s.iter().enumerate() {
                match (y[i], v) {
                    (1, Some(v)) => pos.push(v),
                    (0, Some(v)) => neg.push(v),
                    _ => {}
                }
            }
            Ok((pos, neg, other))
        })
        .collect();
    let (mut pos, mut neg, mut other) = (Vec::new(), Vec::new(), None);
    for p in parts {
        let (a, b, o) = p?;
        merge_other(label, positive, &mut other, o)?;
        pos.extend_from_slice(&a);
        neg.extend_from_slice(&b);
    }
    Ok(auc::exact_auc(pos, neg))
}
