//! Mergeable performance partials: the accumulators of one part of the data, to be
//! serialised, shipped and merged (Spark, Dask and Ray workers; hourly windows), then
//! turned into the same report as one pass.
//!
//! # Definition
//! A partial holds the spec it was computed with, the segment keys it met (sorted) and
//! the segment columns' types ([`KeyType`], unified on merge), and,
//! per segment, the task's accumulator: binary confusion counts and exact score sums with
//! calibration bins and score histograms; multiclass per-class counts (keyed by class
//! value) and score sums; regression error sums. `merge` adds counts and exact sums, and
//! matches segments and classes by value, so `merge(partial(a), partial(b))` is
//! `partial(a ++ b)` exactly, in any order and for any split. ROC AUC is then the
//! histogram approximation (`auc_mode = "histogram"`), within `auc_approx_error_bound`.
//!
//! Bytes: [`ENVELOPE`] (magic `DLPERF`, a format version, postcard, an xxh3 checksum).
//!
//! # Complexity
//! Merge: O(segments + classes + histogram bins in use).

use arrow_array::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::codec::Envelope;
use crate::error::{DriftlineError, Result};
use crate::fairness::groups::KeyValue;
use crate::fairness::key_types::{unify_all, KeyType};
use crate::performance::binary::{self, BinaryAcc};
use crate::performance::columns::{merge_other, Positive};
use crate::performance::multiclass::{self, MulticlassAcc};
use crate::performance::regression::RegressionSums;
use crate::performance::{prepare, regression_report, regression_sums, Report, Spec, Task};

/// The envelope of performance partials.
pub const ENVELOPE: Envelope = Envelope {
    magic: b"DLPERF",
    // 2: multiclass partials carry score sums per segment. 3: the segment columns' types;
    // the positive class may be an unsigned integer.
    version: 3,
    what: "performance partial",
};

/// The serialisable form of a [`Spec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialSpec {
    /// Prediction column.
    pub prediction: String,
    /// Label column.
    pub label: String,
    /// Binary score column.
    pub score: Option<String>,
    /// Multiclass score columns by class.
    pub class_scores: Vec<(KeyValue, String)>,
    /// Positive class (binary).
    pub positive: Positive,
    /// Task.
    pub task: Task,
    /// Segment columns.
    pub segment_by: Vec<String>,
}

impl PartialSpec {
    fn of(spec: &Spec) -> Self {
        Self {
            prediction: spec.prediction.clone(),
            label: spec.label.clone(),
            score: spec.score.clone(),
            class_scores: spec.class_scores.clone(),
            positive: spec.positive.clone(),
            task: spec.task,
            segment_by: spec.segment_by.clone(),
        }
    }

    /// The spec back.
    pub fn spec(&self) -> Spec {
        Spec {
            prediction: self.prediction.clone(),
            label: self.label.clone(),
            score: self.score.clone(),
            class_scores: self.class_scores.clone(),
            positive: self.positive.clone(),
            task: self.task,
            segment_by: self.segment_by.clone(),
        }
    }
}

/// The task's accumulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PartialAcc {
    /// Binary classification.
    Binary(Box<BinaryAcc>),
    /// Multiclass classification.
    Multiclass(MulticlassAcc),
    /// Regression, per segment.
    Regression(Vec<RegressionSums>),
}

/// The mergeable accumulators of a performance evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformancePartial {
    /// What was evaluated.
    pub spec: PartialSpec,
    /// Segment keys met, sorted (one empty key without `segment_by`).
    pub keys: Vec<Vec<KeyValue>>,
    /// The segment columns' types, one per `segment_by` column.
    pub key_types: Vec<KeyType>,
    /// Accumulators, per segment in `keys` order.
    pub acc: PartialAcc,
}

impl PerformancePartial {
    /// Accumulates `batches` as `spec` says.
    ///
    /// # Errors
    /// As [`crate::performance::evaluate`].
    pub fn compute(batches: &[RecordBatch], spec: &Spec) -> Result<Self> {
        crate::pool::install(None, || Self::compute_inner(batches, spec))?
    }

    fn compute_inner(batches: &[RecordBatch], spec: &Spec) -> Result<Self> {
        let p = prepare(batches, spec)?;
        let acc = match spec.task {
            Task::Binary => PartialAcc::Binary(Box::new(
                binary::accumulate(&p.chunks, spec, &p.coded, true)?.0,
            )),
            Task::Multiclass => PartialAcc::Multiclass(
                multiclass::accumulate(&p.chunks, spec, &p.coded, p.first_score, true)?.0,
            ),
            Task::Regression => PartialAcc::Regression(regression_sums(&p.chunks, spec, &p.coded)?),
        };
        Ok(Self {
            spec: PartialSpec::of(spec),
            keys: p.coded.keys,
            key_types: p.key_types,
            acc,
        })
    }

    /// Adds `other`: counts and exact sums add, segments and classes matched by value.
    ///
    /// # Errors
    /// Partials of different specs (columns, task, positive class, segments), or
    /// binary columns that hold a different second value in each partial.
    pub fn merge(&self, other: &Self) -> Result<Self> {
        if self.spec != other.spec {
            return Err(DriftlineError::param(
                "other",
                format!(
                    "cannot merge performance partials of different evaluations: {:?} and {:?}",
                    self.spec, other.spec
                ),
            ));
        }
        let (keys, ia, ib) = union_sorted(&self.keys, &other.keys);
        let acc = match (&self.acc, &other.acc) {
            (PartialAcc::Binary(a), PartialAcc::Binary(b)) => {
                let mut out = BinaryAcc {
                    counts: scatter(&a.counts, &ia, keys.len()),
                    seg_hist: scatter(&a.seg_hist, &ia, keys.len()),
                    cal: a.cal.clone(),
                    other_prediction: a.other_prediction.clone(),
                    other_label: a.other_label.clone(),
                };
                let b2 = BinaryAcc {
                    counts: scatter(&b.counts, &ib, keys.len()),
                    seg_hist: scatter(&b.seg_hist, &ib, keys.len()),
                    ..(**b).clone()
                };
                let s = &self.spec;
                merge_other(
                    &s.prediction,
                    &s.positive,
                    &mut out.other_prediction,
                    b.other_prediction.clone(),
                )?;
                merge_other(
                    &s.label,
                    &s.positive,
                    &mut out.other_label,
                    b.other_label.clone(),
                )?;
                binary::merge_aligned(&mut out, &b2);
                PartialAcc::Binary(Box::new(out))
            }
            (PartialAcc::Multiclass(a), PartialAcc::Multiclass(b)) => {
                let mut classes: Vec<KeyValue> =
                    a.classes.iter().chain(&b.classes).cloned().collect();
                classes.sort();
                classes.dedup();
                let empty = crate::performance::confusion::ClassCounts::new(classes.len());
                let remap = |acc: &MulticlassAcc, idx: &[usize]| {
                    let mut v = vec![empty.clone(); keys.len()];
                    for (i, c) in acc.counts.iter().enumerate() {
                        v[idx[i]] = multiclass::remap_counts(c, &acc.classes, &classes);
                    }
                    v
                };
                let mut counts = remap(a, &ia);
                for (x, y) in counts.iter_mut().zip(remap(b, &ib)) {
                    x.merge(&y);
                }
                let scores = match (&a.scores, &b.scores) {
                    (Some(x), Some(y)) => {
                        let mut s = x.clone();
                        s.merge(y);
                        Some(s)
                    }
                    (x, y) => x.clone().or_else(|| y.clone()),
                };
                // Score sums per segment: indexed by score class, so no class remap.
                let seg_scores = if a.seg_scores.is_empty() && b.seg_scores.is_empty() {
                    Vec::new()
                } else {
                    let mut v = scatter(&a.seg_scores, &ia, keys.len());
                    for (i, s) in b.seg_scores.iter().enumerate() {
                        v[ib[i]].merge(s);
                    }
                    v
                };
                PartialAcc::Multiclass(MulticlassAcc {
                    classes,
                    counts,
                    scores,
                    seg_scores,
                })
            }
            (PartialAcc::Regression(a), PartialAcc::Regression(b)) => {
                let mut out = scatter(a, &ia, keys.len());
                for (i, s) in b.iter().enumerate() {
                    out[ib[i]].merge(s);
                }
                PartialAcc::Regression(out)
            }
            _ => {
                return Err(DriftlineError::param(
                    "other",
                    "cannot merge performance partials of different tasks",
                ))
            }
        };
        Ok(Self {
            spec: self.spec.clone(),
            keys,
            key_types: unify_all(&self.key_types, &other.key_types),
            acc,
        })
    }

    /// Adds `other` in place; with the same segment keys (the common case when merging
    /// many partials) without reallocating.
    ///
    /// # Errors
    /// As [`PerformancePartial::merge`].
    pub fn merge_from(&mut self, other: &Self) -> Result<()> {
        let aligned = self.spec == other.spec && self.keys == other.keys;
        match (&mut self.acc, &other.acc) {
            (PartialAcc::Binary(a), PartialAcc::Binary(b)) if aligned => {
                let s = &self.spec;
                merge_other(
                    &s.prediction,
                    &s.positive,
                    &mut a.other_prediction,
                    b.other_prediction.clone(),
                )?;
                merge_other(
                    &s.label,
                    &s.positive,
                    &mut a.other_label,
                    b.other_label.clone(),
                )?;
                binary::merge_aligned(a, b);
            }
            (PartialAcc::Regression(a), PartialAcc::Regression(b)) if aligned => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.merge(y);
                }
            }
            _ => *self = self.merge(other)?,
        }
        self.key_types = unify_all(&self.key_types, &other.key_types);
        Ok(())
    }

    /// The report, as [`crate::performance::evaluate`] gives it, with ROC AUC from the
    /// score histograms.
    ///
    /// # Errors
    /// Arrow errors building the tables (a bug).
    pub fn report(&self) -> Result<Report> {
        let spec = self.spec.spec();
        match &self.acc {
            PartialAcc::Binary(a) => binary::report(
                &spec.segment_by,
                &self.key_types,
                &self.keys,
                a,
                spec.score.is_some(),
                None,
            ),
            PartialAcc::Multiclass(a) => {
                multiclass::report(&spec, &self.key_types, &self.keys, a, None)
            }
            PartialAcc::Regression(s) => regression_report(
                &spec,
                &self.key_types,
                &self.keys,
                s,
                !spec.segment_by.is_empty(),
            ),
        }
    }

    /// Serialises the partial.
    ///
    /// # Errors
    /// Encoding failures (a bug).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        ENVELOPE.encode(self)
    }

    /// Deserialises and checks a partial.
    ///
    /// # Errors
    /// [`DriftlineError::Decode`]: not a performance partial, another format version,
    /// truncated or corrupted bytes, or an inconsistent content.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let p: Self = ENVELOPE.decode(bytes)?;
        p.check()
            .map_err(|why| ENVELOPE.error(format!("inconsistent content: {why}")))?;
        Ok(p)
    }

    fn check(&self) -> std::result::Result<(), &'static str> {
        let g = self.keys.len();
        if self.keys.windows(2).any(|w| w[0] >= w[1]) {
            return Err("segment keys not sorted");
        }
        if self
            .keys
            .iter()
            .any(|k| k.len() != self.spec.segment_by.len())
        {
            return Err("segment key width");
        }
        if self.key_types.len() != self.spec.segment_by.len()
            || !self.key_types.iter().all(KeyType::is_consistent)
        {
            return Err("segment column types");
        }
        match &self.acc {
            PartialAcc::Binary(a) => {
                if a.counts.len() != g || a.seg_hist.len() != g {
                    return Err("binary accumulators per segment");
                }
                let ok = a.counts.iter().all(|c| c.is_consistent())
                    && a.cal.is_consistent()
                    && a.seg_hist.iter().all(|h| h.is_consistent());
                if !ok {
                    return Err("binary accumulators");
                }
                if self.spec.task != Task::Binary {
                    return Err("task");
                }
            }
            PartialAcc::Multiclass(a) => {
                let k = a.classes.len();
                if a.counts.len() != g
                    || a.classes.windows(2).any(|w| w[0] >= w[1])
                    || a.counts
                        .iter()
                        .any(|c| c.tp.len() != k || c.predicted.len() != k || c.truth.len() != k)
                {
                    return Err("multiclass counts");
                }
                let ks = self.spec.class_scores.len();
                let scores_ok = |s: &multiclass::ClassScores| {
                    s.hist.len() == ks
                        && s.positives.len() == ks
                        && s.n < crate::performance::confusion::MAX_COUNT
                        && s.positives.iter().all(|&p| p <= s.n)
                        && s.log_loss_sum.is_consistent()
                        && s.hist.iter().all(|h| h.is_consistent())
                };
                if let Some(s) = &a.scores {
                    if !scores_ok(s) {
                        return Err("multiclass scores");
                    }
                }
                // Per-segment score sums: one per segment when segmented with scores.
                let want = if a.scores.is_some() && !self.spec.segment_by.is_empty() {
                    g
                } else {
                    0
                };
                if a.seg_scores.len() != want || !a.seg_scores.iter().all(scores_ok) {
                    return Err("multiclass scores per segment");
                }
                if self.spec.task != Task::Multiclass {
                    return Err("task");
                }
            }
            PartialAcc::Regression(s) => {
                if s.len() != g || !s.iter().all(RegressionSums::is_consistent) {
                    return Err("regression sums");
                }
                if self.spec.task != Task::Regression {
                    return Err("task");
                }
            }
        }
        Ok(())
    }
}

/// The sorted union of two sorted key lists, and where each side's keys land in it.
pub fn union_sorted<K: Ord + Clone>(a: &[K], b: &[K]) -> (Vec<K>, Vec<usize>, Vec<usize>) {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut ia, mut ib) = (Vec::with_capacity(a.len()), Vec::with_capacity(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let ord = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                ia.push(out.len());
                out.push(a[i].clone());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                ib.push(out.len());
                out.push(b[j].clone());
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                ia.push(out.len());
                ib.push(out.len());
                out.push(a[i].clone());
                i += 1;
                j += 1;
            }
        }
    }
    (out, ia, ib)
}

/// Places `v[i]` at `idx[i]` in a vector of `n` defaults.
pub fn scatter<T: Clone + Default>(v: &[T], idx: &[usize], n: usize) -> Vec<T> {
    let mut out = vec![T::default(); n];
    for (x, &i) in v.iter().zip(idx) {
        out[i] = x.clone();
    }
    out
}

#[cfg(test)]
#[path = "partial_tests.rs"]
mod tests;
