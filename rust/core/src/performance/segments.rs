//! Per-segment result tables (a row per segment), from the per-segment accumulators.
//!
//! # Complexity
//! O(segments).

use arrow_array::RecordBatch;
use rayon::prelude::*;

use crate::error::Result;
use crate::fairness::groups::KeyValue;
use crate::fairness::key_types::KeyType;
use crate::performance::confusion::{BinaryCounts, ClassCounts, Value};
use crate::performance::regression::RegressionSums;
use crate::performance::table::TableBuilder;

/// The per-segment table of a binary task (with `roc_auc_error_bound` when the AUCs are
/// approximate).
///
/// # Errors
/// Arrow errors (a bug).
pub fn binary_table(
    names: &[String],
    types: &[KeyType],
    keys: &[Vec<KeyValue>],
    counts: &[BinaryCounts],
    aucs: Option<Vec<Value>>,
    auc_bounds: Option<Vec<Value>>,
) -> Result<RecordBatch> {
    let mut t = TableBuilder::new("segment_by");
    t.keys(names, types, keys);
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
        if let Some(bounds) = auc_bounds {
            // Approximate AUCs (from score histograms): each with its bound.
            t.metric("roc_auc_error_bound", bounds.into_iter());
        }
        // Each rounds an exact sum: thousands of segments are worth the threads.
        let m: Vec<[Value; 3]> = counts
            .par_iter()
            .with_min_len(256)
            .map(|c| [c.log_loss(), c.brier(), c.mean_score()])
            .collect();
        for (j, name) in ["log_loss", "brier", "mean_score"].into_iter().enumerate() {
            t.metric(name, m.iter().map(|r| r[j]));
        }
    }
    t.finish()
}

/// The per-segment table of a multiclass task.
///
/// # Errors
/// Arrow errors (a bug).
pub fn multiclass_table(
    names: &[String],
    types: &[KeyType],
    keys: &[Vec<KeyValue>],
    counts: &[ClassCounts],
    scores: Option<Vec<[Value; 3]>>,
) -> Result<RecordBatch> {
    let avg: Vec<_> = counts.iter().map(ClassCounts::averages).collect();
    let col = |f: fn(&crate::performance::confusion::Averages) -> f64| {
        avg.iter().map(move |a| a.as_ref().map(f).ok_or("no rows"))
    };
    let mut t = TableBuilder::new("segment_by");
    t.keys(names, types, keys);
    t.counts("n", counts.iter().map(ClassCounts::n));
    t.counts("n_null", counts.iter().map(|c| c.n_null));
    t.metric("accuracy", col(|a| a.accuracy));
    t.metric("precision_macro", col(|a| a.precision_macro));
    t.metric("recall_macro", col(|a| a.recall_macro));
    t.metric("f1_macro", col(|a| a.f1_macro));
    t.metric("f1_weighted", col(|a| a.f1_weighted));
    if let Some(m) = scores {
        let names = ["log_loss", "roc_auc_ovr_macro", "roc_auc_ovr_weighted"];
        for (j, name) in names.into_iter().enumerate() {
            t.metric(name, m.iter().map(|r| r[j]));
        }
    }
    t.finish()
}

/// The per-segment table of a regression task.
///
/// # Errors
/// Arrow errors (a bug).
pub fn regression_table(
    names: &[String],
    types: &[KeyType],
    keys: &[Vec<KeyValue>],
    sums: &[RegressionSums],
) -> Result<RecordBatch> {
    // Each metric rounds exact sums: thousands of segments are worth the threads.
    let m: Vec<[Value; 6]> = sums
        .par_iter()
        .with_min_len(256)
        .map(|s| {
            [
                s.mae(),
                s.rmse(),
                s.mape(),
                s.smape(),
                s.r2(),
                s.mean_error(),
            ]
        })
        .collect();
    let mut t = TableBuilder::new("segment_by");
    t.keys(names, types, keys);
    t.counts("n", sums.iter().map(|s| s.n));
    t.counts("n_null", sums.iter().map(|s| s.n_null));
    for (j, name) in ["mae", "rmse", "mape", "smape", "r2", "mean_error"]
        .into_iter()
        .enumerate()
    {
        t.metric(name, m.iter().map(|r| r[j]));
    }
    t.finish()
}
