//! Per-segment results: the exact ROC AUC of every segment and the result tables (a row
//! per segment).
//!
//! # Complexity
//! The per-segment AUC buckets the scored rows by (segment, class) with a counting sort,
//! O(n), then sorts each bucket, O(n log(n / segments)), in parallel over segments. Other
//! metrics come from the per-segment accumulators, O(segments).

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, RecordBatch};
use rayon::prelude::*;

use crate::error::Result;
use crate::fairness::groups::KeyValue;
use crate::performance::auc::exact_auc_sorted;
use crate::performance::binary::BinaryChunk;
use crate::performance::columns::NULL_CODE;
use crate::performance::confusion::{BinaryCounts, ClassCounts, Value};
use crate::performance::regression::RegressionSums;
use crate::performance::table::TableBuilder;

/// Exact ROC AUC per segment.
pub fn segment_auc(enc: &[BinaryChunk], codes: &[Vec<u32>], g: usize) -> Vec<Value> {
    let scored = |e: &BinaryChunk, i: usize| -> bool {
        e.y[i] != NULL_CODE
            && e.yhat[i] != NULL_CODE
            && e.score.as_ref().is_some_and(|s| s.is_valid(i))
    };
    let counts: Vec<Vec<usize>> = enc
        .par_iter()
        .zip(codes.par_iter())
        .map(|(e, c)| {
            let mut n = vec![0usize; 2 * g];
            for i in 0..e.y.len() {
                if scored(e, i) {
                    n[2 * c[i] as usize + e.y[i] as usize] += 1;
                }
            }
            n
        })
        .collect();
    let mut start = vec![0usize; 2 * g + 1];
    for n in &counts {
        for (b, &v) in n.iter().enumerate() {
            start[b + 1] += v;
        }
    }
    for b in 0..2 * g {
        start[b + 1] += start[b];
    }
    let mut buf = vec![0f64; start[2 * g]];
    let mut next = start.clone();
    for (e, c) in enc.iter().zip(codes) {
        let Some(s) = e.score.as_ref() else { continue };
        let values = s.as_primitive::<Float64Type>().values();
        for i in 0..e.y.len() {
            if scored(e, i) {
                let b = 2 * c[i] as usize + e.y[i] as usize;
                buf[next[b]] = values[i];
                next[b] += 1;
            }
        }
    }
    // Disjoint mutable slices, one per (segment, class) bucket.
    let mut slices: Vec<&mut [f64]> = Vec::with_capacity(2 * g);
    let mut rest: &mut [f64] = &mut buf;
    for b in 0..2 * g {
        let (head, tail) = rest.split_at_mut(start[b + 1] - start[b]);
        slices.push(head);
        rest = tail;
    }
    let mut pairs: Vec<(&mut [f64], &mut [f64])> = Vec::with_capacity(g);
    let mut it = slices.into_iter();
    while let (Some(neg), Some(pos)) = (it.next(), it.next()) {
        pairs.push((neg, pos));
    }
    pairs
        .into_par_iter()
        .with_min_len(64)
        .map(|(neg, pos)| exact_auc_sorted(pos, neg))
        .collect()
}

/// The per-segment table of a binary task.
///
/// # Errors
/// Arrow errors (a bug).
pub fn binary_table(
    names: &[String],
    keys: &[Vec<KeyValue>],
    counts: &[BinaryCounts],
    aucs: Option<Vec<Value>>,
) -> Result<RecordBatch> {
    let mut t = TableBuilder::default();
    t.keys(names, keys);
    t.counts("n", counts.iter().map(BinaryCounts::n));
    t.counts("n_null", counts.iter().map(|c| c.n_null));
    t.metric("accuracy", counts.iter().map(BinaryCounts::accuracy));
    t.metric("precision", counts.iter().map(BinaryCounts::precision));
    t.metric("recall", counts.iter().map(BinaryCounts::tpr));
    t.metric("f1", counts.iter().map(BinaryCounts::f1));
    t.metric("base_rate", counts.iter().map(BinaryCounts::base_rate));
    t.metric(
        "selection_rate",
        counts.iter().map(BinaryCounts::selection_rate),
    );
    if let Some(aucs) = aucs {
        t.metric("roc_auc", aucs.into_iter());
        t.metric("log_loss", counts.iter().map(BinaryCounts::log_loss));
        t.metric("brier", counts.iter().map(BinaryCounts::brier));
        t.metric("mean_score", counts.iter().map(BinaryCounts::mean_score));
    }
    t.finish()
}

/// The per-segment table of a multiclass task.
///
/// # Errors
/// Arrow errors (a bug).
pub fn multiclass_table(
    names: &[String],
    keys: &[Vec<KeyValue>],
    counts: &[ClassCounts],
) -> Result<RecordBatch> {
    let avg: Vec<_> = counts.iter().map(ClassCounts::averages).collect();
    let col = |f: fn(&crate::performance::confusion::Averages) -> f64| {
        avg.iter().map(move |a| a.as_ref().map(f).ok_or("no rows"))
    };
    let mut t = TableBuilder::default();
    t.keys(names, keys);
    t.counts("n", counts.iter().map(ClassCounts::n));
    t.counts("n_null", counts.iter().map(|c| c.n_null));
    t.metric("accuracy", col(|a| a.accuracy));
    t.metric("precision_macro", col(|a| a.precision_macro));
    t.metric("recall_macro", col(|a| a.recall_macro));
    t.metric("f1_macro", col(|a| a.f1_macro));
    t.metric("f1_weighted", col(|a| a.f1_weighted));
    t.finish()
}

/// The per-segment table of a regression task.
///
/// # Errors
/// Arrow errors (a bug).
pub fn regression_table(
    names: &[String],
    keys: &[Vec<KeyValue>],
    sums: &[RegressionSums],
) -> Result<RecordBatch> {
    let mut t = TableBuilder::default();
    t.keys(names, keys);
    t.counts("n", sums.iter().map(|s| s.n));
    t.counts("n_null", sums.iter().map(|s| s.n_null));
    t.metric("mae", sums.iter().map(RegressionSums::mae));
    t.metric("rmse", sums.iter().map(RegressionSums::rmse));
    t.metric("mape", sums.iter().map(RegressionSums::mape));
    t.metric("smape", sums.iter().map(RegressionSums::smape));
    t.metric("r2", sums.iter().map(RegressionSums::r2));
    t.metric("mean_error", sums.iter().map(RegressionSums::mean_error));
    t.finish()
}
