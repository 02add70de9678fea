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
//! prediction or score is an error, as is a score outside [0, 1] and an infinite
//! regression label or prediction. Finite regression values whose errors overflow the
//! double range give infinite metrics (MAE, MSE, RMSE, MAPE), or an explained undefined
//! one where the overflow leaves no number (R2, the mean error of residuals overflowing
//! both ways), never NaN.

pub mod auc;
pub mod auc_sort;
pub mod binary;
pub mod calibration;
pub mod cbpe;
pub mod class_columns;
pub mod columns;
pub mod confusion;
pub mod counting;
pub mod exact;
pub mod exact_batch;
pub mod fixed_sum;
pub mod ln;
pub mod multiclass;
pub mod onepass;
pub mod partial;
pub mod regression;
pub mod score_sort;
pub mod score_walk;
pub mod segments;
pub mod sst;
pub mod table;
#[cfg(test)]
pub(crate) mod test_rng;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::RecordBatch;

use crate::error::{DriftlineError, Result};
use crate::fairness::groups::{code_columns, Coded, KeyValue};
use crate::fairness::key_types::KeyType;
use columns::{encode_binary, merge_other, Chunks, Positive, SegmentCodes, CHUNK_ROWS};
use confusion::Value;
use regression::RegressionSums;

/// The kind of model evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// Multiclass only: a score column per class (the probability of that class), sorted
    /// by class; empty: no score metrics.
    pub class_scores: Vec<(KeyValue, String)>,
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
    /// How ROC AUC was computed: `"exact"` (one pass over the scores) or `"histogram"`
    /// (from a partial's score histograms, within `auc_approx_error_bound`); `None`
    /// without scores.
    pub auc_mode: Option<&'static str>,
}

/// Evaluates `batches` as `spec` says.
///
/// # Errors
/// Unknown columns, unsupported types, NaN, non-binary labels, scores outside [0, 1].
pub fn evaluate(batches: &[RecordBatch], spec: &Spec) -> Result<Report> {
    // Runs on driftline's named pool (sized by DRIFTLINE_MAX_THREADS).
    crate::pool::install(None, || evaluate_inner(batches, spec))?
}

/// The columns of a spec, cut into chunks, and the segment codes.
pub(crate) struct Prepared {
    pub chunks: Chunks,
    pub coded: Coded,
    /// The segment columns' key types.
    pub key_types: Vec<KeyType>,
    /// Index of the first class score column (multiclass).
    pub first_score: usize,
}

pub(crate) fn prepare(batches: &[RecordBatch], spec: &Spec) -> Result<Prepared> {
    let (chunks, first_seg) = prepare_chunks(batches, spec)?;
    let first_score = first_seg + spec.segment_by.len();
    let seg_cols: Vec<usize> = (first_seg..first_score).collect();
    let coded = code_columns(&chunks, &seg_cols)?;
    Ok(Prepared {
        key_types: chunks.key_types(seg_cols.into_iter()),
        chunks,
        coded,
        first_score,
    })
}

/// The columns of a spec cut into chunks: prediction, label, the score if any, the
/// segment columns (from the index returned), then the class scores.
pub(crate) fn prepare_chunks(batches: &[RecordBatch], spec: &Spec) -> Result<(Chunks, usize)> {
    let mut names: Vec<&str> = vec![&spec.prediction, &spec.label];
    if let Some(s) = &spec.score {
        if spec.task != Task::Binary {
            return Err(DriftlineError::param(
                "score",
                "a single score column is used by the binary task only (multiclass: one column per class)",
            ));
        }
        names.push(s);
    }
    if !spec.class_scores.is_empty() && spec.task != Task::Multiclass {
        return Err(DriftlineError::param(
            "score",
            "a score column per class is used by the multiclass task only",
        ));
    }
    let first_seg = names.len();
    names.extend(spec.segment_by.iter().map(String::as_str));
    names.extend(spec.class_scores.iter().map(|(_, s)| s.as_str()));
    let chunks = Chunks::new(batches, &names, CHUNK_ROWS)?;
    Ok((chunks, first_seg))
}

fn evaluate_inner(batches: &[RecordBatch], spec: &Spec) -> Result<Report> {
    let segmented = !spec.segment_by.is_empty();
    if spec.task != Task::Multiclass {
        // Binary and regression code the segments while they read the rows: one integer
        // segment column through a lookup table, a chunk at a time.
        let (chunks, first_seg) = prepare_chunks(batches, spec)?;
        let lookup = match spec.segment_by.len() {
            1 => crate::fairness::int_keys::int_lookup(&chunks.chunks, first_seg),
            _ => None,
        };
        let coded;
        // The key of the one group of a pass without segments.
        let one_group: Vec<Vec<KeyValue>> = vec![Vec::new()];
        let types = chunks.key_types(first_seg..first_seg + spec.segment_by.len());
        let (codes, keys) = match &lookup {
            Some(l) => (SegmentCodes::Lookup(l, first_seg), &l.keys),
            None if !segmented => (SegmentCodes::One, &one_group),
            None => {
                let cols: Vec<usize> = (first_seg..first_seg + spec.segment_by.len()).collect();
                coded = code_columns(&chunks, &cols)?;
                (SegmentCodes::Rows(&coded.codes), &coded.keys)
            }
        };
        if spec.task == Task::Binary {
            let (acc, auc) = binary::exact(&chunks, spec, &codes, keys.len())?;
            return binary::report(
                &spec.segment_by,
                &types,
                keys,
                &acc,
                spec.score.is_some(),
                auc,
            );
        }
        let sums = regression::sum_chunks(
            &chunks,
            (0, &spec.prediction),
            (1, &spec.label),
            &codes,
            keys.len(),
        )?;
        return regression_report(spec, &types, keys, &sums, segmented);
    }
    let p = prepare(batches, spec)?;
    let (acc, exact) = multiclass::accumulate(&p.chunks, spec, &p.coded, p.first_score, false)?;
    multiclass::report(spec, &p.key_types, &p.coded.keys, &acc, exact)
}

pub(crate) fn regression_sums(
    chunks: &Chunks,
    spec: &Spec,
    coded: &Coded,
) -> Result<Vec<RegressionSums>> {
    regression::sum_chunks(
        chunks,
        (0, &spec.prediction),
        (1, &spec.label),
        &SegmentCodes::Rows(&coded.codes),
        coded.keys.len(),
    )
}

pub(crate) fn regression_report(
    spec: &Spec,
    types: &[KeyType],
    keys: &[Vec<KeyValue>],
    per_seg: &[RegressionSums],
    segmented: bool,
) -> Result<Report> {
    use rayon::prelude::*;
    // Exact sums: merged in any order, in parallel.
    let total = per_seg
        .par_iter()
        .with_min_len(256)
        .fold(RegressionSums::default, |mut a, s| {
            a.merge(s);
            a
        })
        .reduce(RegressionSums::default, |mut a, b| {
            a.merge(&b);
            a
        });
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
            types,
            keys,
            per_seg,
        )?)
    } else {
        None
    };
    Ok(Report {
        metrics: m,
        classes: Vec::new(),
        segments,
        auc_mode: None,
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
    type Encoded = (Vec<u8>, arrow_array::ArrayRef, Option<columns::Other>);
    let parts: Vec<Result<Encoded>> = chunks
        .chunks
        .par_iter()
        .map(|c| {
            let (y, other) = encode_binary(&c[0], label, positive)?;
            Ok((y, columns::scores_any(&c[1], score)?, other))
        })
        .collect();
    let mut other = None;
    let mut rows = LabelledScores {
        labels: Vec::with_capacity(parts.len()),
        scores: Vec::with_capacity(parts.len()),
        blocks: rayon::current_num_threads().clamp(1, parts.len().max(1)),
    };
    for p in parts {
        let (y, s, o) = p?;
        merge_other(label, positive, &mut other, o)?;
        rows.labels.push(y);
        rows.scores.push(s);
    }
    auc_sort::exact_auc_rows(&rows)
}

/// Encoded labels and validated scores, chunk by chunk, read in `blocks` blocks of
/// consecutive chunks.
struct LabelledScores {
    labels: Vec<Vec<u8>>,
    scores: Vec<arrow_array::ArrayRef>,
    blocks: usize,
}

impl auc_sort::ScoredRows for LabelledScores {
    fn blocks(&self) -> usize {
        self.blocks
    }

    fn each(&self, b: usize, mut f: impl FnMut(usize, f64)) {
        use arrow_array::Array;
        let n = self.labels.len();
        let per = n.div_ceil(self.blocks).max(1);
        for c in (b * per).min(n)..((b + 1) * per).min(n) {
            let (y, s) = (
                &self.labels[c],
                self.scores[c].as_primitive::<Float64Type>(),
            );
            let values = s.values();
            match s.nulls().filter(|n| n.null_count() > 0) {
                None => {
                    for (&y, &x) in y.iter().zip(values.iter()) {
                        if y <= 1 {
                            f(usize::from(y), x);
                        }
                    }
                }
                Some(nulls) => {
                    for i in nulls.valid_indices() {
                        if y[i] <= 1 {
                            f(usize::from(y[i]), values[i]);
                        }
                    }
                }
            }
        }
    }
}
