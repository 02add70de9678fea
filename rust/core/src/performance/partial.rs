//! Mergeable performance partials: the accumulators of one part of the data, to be
//! serialised, shipped and merged (Spark, Dask and Ray workers; hourly windows), then
//! turned into the same report as one pass.
//!
//! # Definition
//! A partial holds the spec it was computed with, the segment keys it met (sorted) and,
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
use crate::performance::binary::{self, BinaryAcc};
use crate::performance::columns::{merge_other, Positive};
use crate::performance::multiclass::{self, MulticlassAcc};
use crate::performance::regression::RegressionSums;
use crate::performance::{prepare, regression_report, regression_sums, Report, Spec, Task};

/// The envelope of performance partials.
pub const ENVELOPE: Envelope = Envelope {
    magic: b"DLPERF",
    version: 1,
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
                PartialAcc::Multiclass(MulticlassAcc {
                    classes,
                    counts,
                    scores,
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
            PartialAcc::Binary(a) => {
                binary::report(&spec.segment_by, &self.keys, a, spec.score.is_some(), None)
            }
            PartialAcc::Multiclass(a) => multiclass::report(&spec, &self.keys, a, None),
            PartialAcc::Regression(s) => {
                regression_report(&spec, &self.keys, s, !spec.segment_by.is_empty())
            }
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
                if let Some(s) = &a.scores {
                    let ks = self.spec.class_scores.len();
                    if s.hist.len() != ks
                        || s.positives.len() != ks
                        || s.n >= crate::performance::confusion::MAX_COUNT
                        || s.positives.iter().any(|&p| p > s.n)
                        || !s.log_loss_sum.is_consistent()
                        || !s.hist.iter().all(|h| h.is_consistent())
                    {
                        return Err("multiclass scores");
                    }
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
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    use super::*;
    use crate::performance::columns::Positive;
    use crate::performance::evaluate;

    fn batch(n: usize, seed: u64) -> RecordBatch {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut y, mut p, mut s, mut seg, mut yr, mut pr) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for i in 0..n {
            let label = i64::from(next() < 0.4);
            let score = (0.3 + 0.4 * label as f64 + 0.5 * (next() - 0.5)).clamp(0.0, 1.0);
            y.push((i % 17 != 0).then_some(label));
            p.push(i64::from(score > 0.5));
            s.push((i % 13 != 0).then_some(score));
            seg.push(["a", "b", "c"][(next() * 3.0) as usize]);
            yr.push(1e6 + next());
            pr.push(1e6 + next());
        }
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("y", Arc::new(Int64Array::from(y))),
            ("p", Arc::new(Int64Array::from(p))),
            ("s", Arc::new(Float64Array::from(s))),
            ("seg", Arc::new(StringArray::from(seg))),
            ("yr", Arc::new(Float64Array::from(yr))),
            ("pr", Arc::new(Float64Array::from(pr))),
        ];
        let schema = Schema::new(
            cols.iter()
                .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        );
        let arrays = cols.into_iter().map(|(_, a)| a).collect();
        RecordBatch::try_new(Arc::new(schema), arrays).unwrap()
    }

    fn spec(task: Task) -> Spec {
        let reg = task == Task::Regression;
        Spec {
            prediction: if reg { "pr" } else { "p" }.into(),
            label: if reg { "yr" } else { "y" }.into(),
            score: (!reg).then(|| "s".into()),
            class_scores: Vec::new(),
            positive: Positive::Int(1),
            task,
            segment_by: vec!["seg".into()],
        }
    }

    fn without_auc(r: &Report) -> Vec<(&'static str, crate::performance::confusion::Value)> {
        r.metrics
            .iter()
            .filter(|(n, _)| *n != "roc_auc")
            .cloned()
            .collect()
    }

    #[test]
    fn split_merge_equals_one_pass_bit_for_bit() {
        let b = batch(5000, 1);
        for task in [Task::Binary, Task::Regression] {
            let sp = spec(task);
            let want = evaluate(std::slice::from_ref(&b), &sp).unwrap();
            for cuts in [
                vec![0, 5000],
                vec![0, 1, 2500, 4999, 5000],
                vec![0, 777, 5000],
            ] {
                let mut parts: Vec<PerformancePartial> = cuts
                    .windows(2)
                    .map(|w| {
                        PerformancePartial::compute(&[b.slice(w[0], w[1] - w[0])], &sp).unwrap()
                    })
                    .collect();
                parts.reverse();
                let mut acc = parts[0].clone();
                for p in &parts[1..] {
                    let decoded = PerformancePartial::from_bytes(&p.to_bytes().unwrap()).unwrap();
                    acc = acc.merge(&decoded).unwrap();
                }
                let got = acc.report().unwrap();
                assert_eq!(without_auc(&got), without_auc(&want));
                let (gs, ws) = (got.segments.unwrap(), want.segments.clone().unwrap());
                for name in ["n", "accuracy", "log_loss", "mae", "r2"] {
                    if let (Ok(g), Ok(w)) = (gs.schema().index_of(name), ws.schema().index_of(name))
                    {
                        assert_eq!(gs.column(g), ws.column(w), "{name}");
                    }
                }
            }
        }
    }

    #[test]
    fn corrupted_bodies_never_panic() {
        let b = batch(300, 2);
        let p = PerformancePartial::compute(&[b], &spec(Task::Binary)).unwrap();
        let bytes = p.to_bytes().unwrap();
        let body = &bytes[8..bytes.len() - 8];
        let mut state = 9u64;
        for _ in 0..400 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            let mut body = body.to_vec();
            let at = (state >> 33) as usize % body.len();
            body[at] ^= (state >> 20) as u8 | 1;
            if (state >> 7) % 3 == 0 {
                body.truncate(at.max(1));
            }
            let mut forged = bytes[..8].to_vec();
            forged.extend_from_slice(&body);
            forged.extend_from_slice(&crate::hash::hash_bytes(&body).to_le_bytes());
            if let Ok(q) = PerformancePartial::from_bytes(&forged) {
                let _ = q.report();
                let _ = q.merge(&p);
            }
        }
        let mut old = bytes.clone();
        old[6] = 9;
        let err = PerformancePartial::from_bytes(&old)
            .unwrap_err()
            .to_string();
        assert!(err.contains("format version 9"), "{err}");
    }

    #[test]
    fn multiclass_classes_merge_by_value() {
        let cols = |y: Vec<&str>, p: Vec<&str>| {
            let schema = Schema::new(vec![
                Field::new("y", DataType::Utf8, true),
                Field::new("p", DataType::Utf8, true),
            ]);
            let arrays: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(y)),
                Arc::new(StringArray::from(p)),
            ];
            RecordBatch::try_new(Arc::new(schema), arrays).unwrap()
        };
        let sp = Spec {
            prediction: "p".into(),
            label: "y".into(),
            score: None,
            class_scores: Vec::new(),
            positive: Positive::Int(1),
            task: Task::Multiclass,
            segment_by: Vec::new(),
        };
        let a = cols(vec!["x", "y", "x"], vec!["x", "x", "x"]);
        let b = cols(vec!["z", "z"], vec!["z", "y"]);
        let pa = PerformancePartial::compute(std::slice::from_ref(&a), &sp).unwrap();
        let pb = PerformancePartial::compute(std::slice::from_ref(&b), &sp).unwrap();
        let got = pb.merge(&pa).unwrap().report().unwrap();
        let want = evaluate(&[a, b], &sp).unwrap();
        assert_eq!(got.metrics, want.metrics);
        assert_eq!(got.classes, want.classes);
    }
}
