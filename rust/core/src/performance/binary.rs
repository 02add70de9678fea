//! The binary task: accumulation (one pass, or into a mergeable partial) and the report.
//!
//! # Definition
//! Confusion counts and score sums per segment ([`BinaryCounts`]), calibration bins, and
//! for ROC AUC either the scores themselves (exact mode, one pass) or per-segment score
//! histograms ([`SparseHist`], partial mode: mergeable, the AUC within its reported bound).
//!
//! # Complexity
//! One pass, O(1) per row. The exact AUC sorts the scores by value buckets
//! ([`onepass`]: rows grouped by score bucket overall and by segment per segment, O(n)
//! for spread-out scores); the partial's histograms O(n log(chunk)) (a sort of the scored
//! rows' bin keys per chunk).

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fairness::groups::{Coded, KeyValue};
use crate::performance::auc::{self, bin_of, ScoreHistogram, SparseHist};
use crate::performance::calibration::CalibrationBins;
use crate::performance::columns::{
    self, block_fold, encode_binary, merge_other, Chunks, Other, SegmentCodes, NULL_CODE,
};
use crate::performance::confusion::{BinaryCounts, BinaryTally, Value};
use crate::performance::{onepass, segments, Report, Spec};

/// Encoded binary columns of one chunk.
pub struct BinaryChunk {
    /// Labels (0, 1, [`NULL_CODE`]).
    pub y: Vec<u8>,
    /// Predictions.
    pub yhat: Vec<u8>,
    /// Scores, validated.
    pub score: Option<ArrayRef>,
}

/// The mergeable accumulator of the binary task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryAcc {
    /// Confusion counts and score sums per segment.
    pub counts: Vec<BinaryCounts>,
    /// Calibration bins of all scored rows.
    pub cal: CalibrationBins,
    /// Per segment, the score histogram (partial mode; empty in exact mode).
    pub seg_hist: Vec<SparseHist>,
    /// The one non-positive value met in the prediction.
    pub other_prediction: Option<Other>,
    /// The one non-positive value met in the label.
    pub other_label: Option<Other>,
}

/// Where the ROC AUC of a report comes from.
pub enum AucSource {
    /// Exact, from the scores (one pass): the overall value and per segment.
    Exact(Value, Option<Vec<Value>>, ScoreHistogram),
    /// Approximate, from the per-segment histograms of a partial.
    Histogram,
}

/// A thread's share of a partial: its chunks' counts, calibration bins and per-segment
/// histograms.
struct BlockPartial {
    tally: BinaryTally,
    cal: CalibrationBins,
    seg_hist: Vec<SparseHist>,
    /// Histogram keys not yet added to `seg_hist`: added a few million at a time, so each
    /// segment's histogram grows by a few large merges, not by one per chunk.
    keys: Vec<u64>,
}

/// Histogram keys a block holds before adding them to its histograms (32 MB).
const KEYS_HELD: usize = 1 << 22;

impl BlockPartial {
    fn flush(&mut self) {
        if !self.keys.is_empty() {
            auc::add_sparse_by_group(std::mem::take(&mut self.keys), &mut self.seg_hist);
        }
    }
}

/// Accumulates the binary task; `partial` keeps per-segment histograms instead of the
/// scores (and so no exact AUC).
///
/// # Errors
/// Non-binary columns, NaN or out-of-range scores.
pub fn accumulate(
    chunks: &Chunks,
    spec: &Spec,
    coded: &Coded,
    partial: bool,
) -> Result<(BinaryAcc, Option<AucSource>)> {
    let g = coded.keys.len();
    if !partial {
        return exact(chunks, spec, &SegmentCodes::Rows(&coded.codes), g);
    }
    // Encode once, checking that each column is binary.
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
    // One accumulator per thread (every count and sum is exact, so the result does not
    // depend on how the chunks are split): with 100k segments, one per chunk allocated
    // and merged every segment's counts and histogram once per chunk.
    let acc = block_fold(
        enc.len(),
        || BlockPartial {
            tally: BinaryTally::new(g),
            cal: CalibrationBins::default(),
            seg_hist: vec![SparseHist::default(); g],
            keys: Vec::new(),
        },
        |acc, c| {
            let e = &enc[c];
            let codes = &coded.codes[c];
            let s = e.score.as_ref().map(|a| a.as_primitive::<Float64Type>());
            acc.tally.add(codes, Some(&e.y), &e.yhat, s);
            if let Some(s) = s {
                let values = s.values();
                for i in 0..e.y.len() {
                    if e.y[i] == NULL_CODE || e.yhat[i] == NULL_CODE || s.is_null(i) {
                        continue;
                    }
                    let (v, y) = (values[i], e.y[i] == 1);
                    acc.cal.add(v, y);
                    let k = (bin_of(v) as u64) << 1 | u64::from(y);
                    acc.keys.push(u64::from(codes[i]) << 32 | k);
                }
                if acc.keys.len() >= KEYS_HELD {
                    acc.flush();
                }
            }
            Ok(())
        },
        |acc, mut p| {
            acc.flush();
            p.flush();
            acc.tally.merge(p.tally);
            acc.cal.merge(&p.cal);
            for (a, b) in acc.seg_hist.iter_mut().zip(&p.seg_hist) {
                a.merge(b);
            }
            Ok(())
        },
    )?;
    let mut acc = acc;
    acc.flush();
    let out = BinaryAcc {
        counts: acc.tally.finish(),
        cal: acc.cal,
        seg_hist: acc.seg_hist,
        other_prediction: other_p,
        other_label: other_l,
    };
    Ok((out, None))
}

/// The one pass with the exact AUC ([`onepass`]): overall, and per segment when asked
/// (`groups` segments coded by `codes`; columns: prediction, label, then the score).
///
/// # Errors
/// As [`accumulate`].
pub fn exact(
    chunks: &Chunks,
    spec: &Spec,
    codes: &SegmentCodes<'_>,
    groups: usize,
) -> Result<(BinaryAcc, Option<AucSource>)> {
    let cols = onepass::BinaryColumns {
        prediction: (0, &spec.prediction),
        label: (1, &spec.label),
        score: spec.score.as_deref().map(|s| (2, s)),
        positive: &spec.positive,
    };
    let all = onepass::one_pass(chunks, &cols, codes, groups)?;
    let out = BinaryAcc {
        counts: all.counts,
        cal: all.cal,
        seg_hist: Vec::new(),
        other_prediction: all.other_prediction,
        other_label: all.other_label,
    };
    if spec.score.is_none() {
        return Ok((out, None));
    }
    let seg_aucs = (!spec.segment_by.is_empty()).then_some(all.aucs);
    Ok((out, Some(AucSource::Exact(all.auc, seg_aucs, all.hist))))
}

/// The report of an accumulated binary task.
///
/// # Errors
/// Arrow errors building the segment table (a bug).
pub fn report(
    segment_by: &[String],
    types: &[crate::fairness::key_types::KeyType],
    keys: &[Vec<KeyValue>],
    acc: &BinaryAcc,
    has_score: bool,
    auc: Option<AucSource>,
) -> Result<Report> {
    use rayon::prelude::*;
    // Exact sums: merged in any order, in parallel.
    let total = acc
        .counts
        .par_iter()
        .with_min_len(256)
        .fold(BinaryCounts::default, |mut a, c| {
            a += c;
            a
        })
        .reduce(BinaryCounts::default, |mut a, b| {
            a += &b;
            a
        });
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
    let mut auc_mode = None;
    let mut seg_aucs = None;
    // Histogram mode only: each segment's AUC comes with its own error bound.
    let mut seg_bounds = None;
    if has_score {
        let (overall, hist, segs) = match auc {
            Some(AucSource::Exact(v, segs, hist)) => {
                auc_mode = Some("exact");
                (v, hist, segs)
            }
            _ => {
                auc_mode = Some("histogram");
                let mut hist = ScoreHistogram::default();
                acc.seg_hist.iter().for_each(|h| h.add_to(&mut hist));
                let segs = acc.seg_hist.iter().map(SparseHist::auc).collect();
                if !segment_by.is_empty() {
                    let bounds = acc.seg_hist.iter().map(SparseHist::auc_error_bound);
                    seg_bounds = Some(bounds.collect());
                }
                (hist.auc(), hist, Some(segs))
            }
        };
        seg_aucs = segs;
        m.extend([
            ("roc_auc", overall),
            ("auc_approx", hist.auc()),
            ("auc_approx_error_bound", hist.auc_error_bound()),
            ("log_loss", total.log_loss()),
            ("brier", total.brier()),
            ("ece", acc.cal.ece()),
            ("mean_score", total.mean_score()),
        ]);
    }
    let segments = if segment_by.is_empty() {
        None
    } else {
        let aucs = if has_score {
            Some(seg_aucs.unwrap_or_default())
        } else {
            None
        };
        Some(segments::binary_table(
            segment_by,
            types,
            keys,
            &acc.counts,
            aucs,
            seg_bounds,
        )?)
    };
    Ok(Report {
        metrics: m,
        classes: Vec::new(),
        segments,
        auc_mode,
    })
}

/// Adds `o` into `a`, both already aligned on the same segment keys.
pub fn merge_aligned(a: &mut BinaryAcc, o: &BinaryAcc) {
    for (x, y) in a.counts.iter_mut().zip(&o.counts) {
        *x += y;
    }
    a.cal.merge(&o.cal);
    for (x, y) in a.seg_hist.iter_mut().zip(&o.seg_hist) {
        x.merge(y);
    }
}
