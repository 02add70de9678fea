//! Per-segment result tables (a row per segment), from the per-segment accumulators.
//!
//! # Complexity
//! O(segments).

use arrow_array::RecordBatch;

use crate::error::Result;
use crate::fairness::groups::KeyValue;
use crate::performance::confusion::{BinaryCounts, ClassCounts, Value};
use crate::performance::regression::RegressionSums;
use crate::performance::table::TableBuilder;

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
