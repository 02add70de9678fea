//! Bias (fairness) metrics over Arrow data: per-group rates and the between-group
//! aggregates of fairlearn and AIF360, in one parallel pass, optionally per segment.
//!
//! Groups are the distinct values (or value tuples, for several sensitive columns) of the
//! sensitive columns ([`groups`]); the per-group accumulators are the binary confusion
//! counts ([`crate::performance::confusion::BinaryCounts`]) or the regression error sums
//! ([`crate::performance::regression::RegressionSums`]); [`report`] turns them into the
//! aggregates. Null policy: as `performance` (rows with a null label or prediction are
//! counted in `n_null` and left out; a null sensitive value is a group of its own).

pub mod binary_report;
pub mod groups;
pub mod int_keys;
pub mod key_types;
pub mod partial;
pub mod report;
pub mod temporal;

use binary_report::{binary_aggregates, binary_report, ReferenceRule};
use rayon::prelude::*;
pub use report::fmt_key;
use report::{regression_eligible, regression_gaps, regression_report, segment_table};

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::RecordBatch;

use crate::error::{DriftlineError, Result};
use crate::performance::columns::{
    block_fold, encode_binary, merge_other, Chunks, Positive, CHUNK_ROWS,
};
use crate::performance::confusion::{BinaryCounts, BinaryTally, Value};
use crate::performance::regression::RegressionSums;
use groups::{code_columns, KeyValue};
use key_types::KeyType;

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
    /// The key columns' types (segment columns, then sensitive columns).
    pub key_types: Vec<KeyType>,
    /// Accumulators in key order.
    pub acc: Acc,
    /// The one non-positive prediction value met (binary).
    pub other_prediction: Option<crate::performance::columns::Other>,
    /// The one non-positive label value met (binary).
    pub other_label: Option<crate::performance::columns::Other>,
}

impl Accumulated {
    /// Frees the groups' keys and accumulators on every thread: with 100k segments times
    /// the sensitive groups, freeing them one by one takes as long as a pass.
    fn drop_in_parallel(self) {
        use rayon::prelude::*;
        let Self { keys, acc, .. } = self;
        let min = 1 << 12;
        rayon::join(
            || keys.into_par_iter().with_min_len(min).for_each(drop),
            || match acc {
                Acc::Binary(c) => c.into_par_iter().with_min_len(min).for_each(drop),
                Acc::Regression(s) => s.into_par_iter().with_min_len(min).for_each(drop),
            },
        );
    }
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
    let r = finish(spec, &a.keys, &a.key_types, &a.acc);
    a.drop_in_parallel();
    r
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
            // One tally per thread: with many groups (100k segments times the sensitive
            // groups) a tally per chunk would allocate and merge every group per chunk.
            let tally = block_fold(
                chunks.chunks.len(),
                || BinaryTally::new(g),
                |tally, c| {
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
                    tally.add(
                        &coded.codes[c],
                        y.as_ref().map(|(v, _)| v.as_slice()),
                        &yhat,
                        score.as_ref().map(|s| s.as_primitive::<Float64Type>()),
                    );
                    Ok(())
                },
                |acc, p| {
                    acc.merge(p);
                    Ok(())
                },
            )?;
            let counts = tally.finish();
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
        key_types: chunks.key_types(group_cols.iter().copied()),
        keys: coded.keys,
        acc,
        other_prediction,
        other_label,
    })
}

/// The report of accumulated groups (`keys` sorted, segment values first; `types` the
/// key columns' types in the same order).
///
/// # Errors
/// An unknown reference group; Arrow errors (a bug).
pub fn finish(spec: &Spec, keys: &[Vec<KeyValue>], types: &[KeyType], acc: &Acc) -> Result<Report> {
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
    let sens: Vec<&[KeyValue]> = keys.iter().map(|k| &k[n_seg..]).collect();
    let (seg_types, sens_types) = types.split_at(n_seg.min(types.len()));
    let whole = match acc {
        Acc::Binary(counts) => {
            let (keys, counts) = pooled(counts, &sens);
            binary_report(spec, sens_types, &keys, &counts)?
        }
        Acc::Regression(sums) => {
            let (keys, sums) = pooled(sums, &sens);
            regression_report(spec, sens_types, &keys, &sums)?
        }
    };
    let segments = if n_seg > 0 {
        let seg_keys: Vec<&[KeyValue]> = bounds.windows(2).map(|w| &keys[w[0]][..n_seg]).collect();
        // A segment's groups are contiguous, sorted and distinct by their sensitive
        // values: its row reads them in place and needs its aggregates only (no per-group
        // table). 100k segments are worth the threads; the aggregates go straight into
        // one row-major buffer (rows allocated one by one end up scattered in memory).
        let aggregates = |w: &[usize]| -> Result<Vec<(&'static str, Value)>> {
            let (keys, r) = (&sens[w[0]..w[1]], w[0]..w[1]);
            Ok(match acc {
                Acc::Binary(counts) => {
                    binary_aggregates(spec, keys, &counts[r], ReferenceRule::MayBeAbsent)?
                }
                Acc::Regression(sums) => {
                    let sums = &sums[r];
                    let eligible = regression_eligible(spec, sums);
                    regression_gaps(sums, &eligible)
                }
            })
        };
        // The names from a segment without groups: the table has every aggregate column
        // even when there is no segment (no rows).
        let names: Vec<&'static str> = aggregates(&[0, 0])?.into_iter().map(|(n, _)| n).collect();
        let m = names.len().max(1);
        let mut rows: Vec<Value> = vec![Err(""); seg_keys.len() * m];
        rows.par_chunks_mut(m)
            .zip(bounds.par_windows(2))
            .with_min_len(256)
            .try_for_each(|(out, w)| -> Result<()> {
                for (o, (_, v)) in out.iter_mut().zip(aggregates(w)?) {
                    *o = v;
                }
                Ok(())
            })?;
        Some(segment_table(
            spec, seg_types, &seg_keys, &names, &rows, &bounds,
        )?)
    } else {
        None
    };
    Ok(Report { segments, ..whole })
}

/// Accumulators that merge into one another (per sensitive group over segments).
trait Pool: Clone + Default {
    fn pool(&mut self, o: &Self);
}

impl Pool for BinaryCounts {
    fn pool(&mut self, o: &Self) {
        *self += o;
    }
}

impl Pool for RegressionSums {
    fn pool(&mut self, o: &Self) {
        self.merge(o);
    }
}

/// The groups pooled by sensitive key (with segments, the overall report pools each
/// sensitive group over the segments), keys sorted.
fn pooled<T: Pool>(acc: &[T], sens: &[&[KeyValue]]) -> (Vec<Vec<KeyValue>>, Vec<T>) {
    // Few distinct sensitive keys over many groups: a hash lookup per group (the previous
    // group's key first), then the few keys sorted.
    let mut index: hashbrown::HashMap<&[KeyValue], usize> = hashbrown::HashMap::new();
    let mut slot = vec![0usize; sens.len()];
    for (i, k) in sens.iter().enumerate() {
        slot[i] = if i > 0 && sens[i - 1] == *k {
            slot[i - 1]
        } else {
            let next = index.len();
            *index.entry(k).or_insert(next)
        };
    }
    let mut keys: Vec<(&[KeyValue], usize)> = index.into_iter().collect();
    keys.sort_unstable();
    let mut rank = vec![0usize; keys.len()];
    for (r, (_, first)) in keys.iter().enumerate() {
        rank[*first] = r;
    }
    let mut out = vec![T::default(); keys.len()];
    for (a, s) in acc.iter().zip(slot) {
        out[rank[s]].pool(a);
    }
    (keys.into_iter().map(|(k, _)| k.to_vec()).collect(), out)
}
