//! Confidence-based performance estimation (CBPE), as NannyML's `CBPE`: estimate a binary
//! classifier's metrics on unlabeled data from its calibrated scores.
//!
//! # Definition
//! A calibrator maps scores to probabilities that the label is positive; it is fitted on
//! the reference data, where labels are known: isotonic regression (pool adjacent
//! violators, then linear interpolation between the blocks' end points, clipped outside
//! the fitted range, as scikit-learn's `IsotonicRegression(out_of_bounds="clip")`), or
//! histogram binning (the share of positives in each of [`HIST_BINS`] equal-width bins).
//! On the current data, with calibrated probabilities `c_i` and predictions `yhat_i`, the
//! expected confusion counts are TP = sum over predicted positives of c_i, FP = sum of
//! 1 - c_i, FN = sum over predicted negatives of c_i, TN = sum of 1 - c_i; accuracy,
//! precision, recall and F1 follow from them. The ROC AUC estimate is the AUC with each
//! row counted as c_i of a positive and 1 - c_i of a negative.
//!
//! # Assumptions
//! No concept drift: P(y | score) on the current data is the reference's (the assumption
//! of CBPE). Scores are probabilities in [0, 1].
//!
//! # Complexity
//! Fit O(m log m) on m reference rows; estimate O(n log n) (the AUC sorts), O(n) without.

use crate::performance::confusion::{ratio, Value};

/// Bins of the histogram-binning calibrator.
pub const HIST_BINS: usize = 20;

/// A fitted calibrator: a piecewise linear, non-decreasing map on [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrator {
    x: Vec<f64>,
    y: Vec<f64>,
}

/// Calibration method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Isotonic regression.
    Isotonic,
    /// Histogram binning.
    Histogram,
}

impl Calibrator {
    /// Fits on reference scores and labels.
    pub fn fit(scores: &[f64], labels: &[bool], method: Method) -> Option<Self> {
        if scores.is_empty() {
            return None;
        }
        match method {
            Method::Isotonic => Some(Self::isotonic(scores, labels)),
            Method::Histogram => Some(Self::histogram(scores, labels)),
        }
    }

    fn isotonic(scores: &[f64], labels: &[bool]) -> Self {
        let mut idx: Vec<usize> = (0..scores.len()).collect();
        idx.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        // Blocks: (x_first, x_last, weight, mean)
        let mut blocks: Vec<(f64, f64, f64, f64)> = Vec::new();
        let mut i = 0;
        while i < idx.len() {
            let x = scores[idx[i]];
            let (mut w, mut s) = (0.0, 0.0);
            while i < idx.len() && scores[idx[i]] == x {
                w += 1.0;
                s += f64::from(u8::from(labels[idx[i]]));
                i += 1;
            }
            blocks.push((x, x, w, s / w));
            while blocks.len() > 1 {
                let n = blocks.len();
                if blocks[n - 2].3 <= blocks[n - 1].3 {
                    break;
                }
                let (b, a) = (blocks[n - 1], blocks[n - 2]);
                let w = a.2 + b.2;
                blocks[n - 2] = (a.0, b.1, w, (a.3 * a.2 + b.3 * b.2) / w);
                blocks.pop();
            }
        }
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for (lo, hi, _, v) in blocks {
            x.push(lo);
            y.push(v);
            if hi > lo {
                x.push(hi);
                y.push(v);
            }
        }
        Self { x, y }
    }

    fn histogram(scores: &[f64], labels: &[bool]) -> Self {
        let mut n = [0f64; HIST_BINS];
        let mut p = [0f64; HIST_BINS];
        for (&s, &l) in scores.iter().zip(labels) {
            let b = ((s * HIST_BINS as f64) as usize).min(HIST_BINS - 1);
            n[b] += 1.0;
            p[b] += f64::from(u8::from(l));
        }
        // A step function drawn as a piecewise-linear one: flat inside each bin; an empty
        // bin keeps its midpoint as probability.
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for b in 0..HIST_BINS {
            let v = if n[b] > 0.0 {
                p[b] / n[b]
            } else {
                (b as f64 + 0.5) / HIST_BINS as f64
            };
            let lo = b as f64 / HIST_BINS as f64;
            let hi = ((b + 1) as f64 / HIST_BINS as f64) - f64::EPSILON;
            x.extend([lo, hi]);
            y.extend([v, v]);
        }
        Self { x, y }
    }

    /// The calibrated probability of a score.
    pub fn apply(&self, s: f64) -> f64 {
        let (x, y) = (&self.x, &self.y);
        if s <= x[0] {
            return y[0];
        }
        if s >= x[x.len() - 1] {
            return y[y.len() - 1];
        }
        let j = x.partition_point(|&v| v <= s);
        let (x0, x1, y0, y1) = (x[j - 1], x[j], y[j - 1], y[j]);
        if x1 == x0 {
            y1
        } else {
            y0 + (y1 - y0) * (s - x0) / (x1 - x0)
        }
    }
}

/// Estimated metrics of unlabeled data.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Rows used.
    pub n: u64,
    /// Expected true positives.
    pub tp: f64,
    /// Expected false positives.
    pub fp: f64,
    /// Expected true negatives.
    pub tn: f64,
    /// Expected false negatives.
    pub fn_: f64,
    /// Estimated ROC AUC.
    pub roc_auc: Value,
}

impl Estimate {
    /// Estimated accuracy.
    pub fn accuracy(&self) -> Value {
        ratio(self.tp + self.tn, self.n as f64, "no rows")
    }
    /// Estimated precision.
    pub fn precision(&self) -> Value {
        ratio(self.tp, self.tp + self.fp, "no positive predictions")
    }
    /// Estimated recall.
    pub fn recall(&self) -> Value {
        ratio(self.tp, self.tp + self.fn_, "no expected positives")
    }
    /// Estimated F1.
    pub fn f1(&self) -> Value {
        ratio(
            2.0 * self.tp,
            2.0 * self.tp + self.fp + self.fn_,
            "no expected positives and no positive predictions",
        )
    }
}

/// Estimates the metrics of rows with `scores` and `predictions` (no labels).
pub fn estimate(cal: &Calibrator, scores: &[f64], predictions: &[bool]) -> Estimate {
    let c: Vec<f64> = scores.iter().map(|&s| cal.apply(s)).collect();
    let (mut tp, mut fp, mut tn, mut fn_) = (0.0, 0.0, 0.0, 0.0);
    for (&p, &yhat) in c.iter().zip(predictions) {
        if yhat {
            tp += p;
            fp += 1.0 - p;
        } else {
            fn_ += p;
            tn += 1.0 - p;
        }
    }
    // AUC with fractional labels: walk scores upwards, accumulating the negative weight
    // below; ties count half.
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut neg_below, mut u, mut i) = (0.0, 0.0, 0);
    while i < idx.len() {
        let x = scores[idx[i]];
        let (mut wp, mut wn) = (0.0, 0.0);
        while i < idx.len() && scores[idx[i]] == x {
            wp += c[idx[i]];
            wn += 1.0 - c[idx[i]];
            i += 1;
        }
        u += wp * (neg_below + 0.5 * wn);
        neg_below += wn;
    }
    let (sp, sn) = (tp + fn_, fp + tn);
    Estimate {
        n: scores.len() as u64,
        tp,
        fp,
        tn,
        fn_,
        roc_auc: ratio(u, sp * sn, "no expected positives or negatives"),
    }
}

/// Reads the complete (binary column, score) rows of `batches`.
fn read_pairs(
    batches: &[arrow_array::RecordBatch],
    binary: &str,
    score: &str,
    positive: &crate::performance::columns::Positive,
) -> crate::Result<(Vec<f64>, Vec<bool>)> {
    use crate::performance::columns::{encode_binary, merge_other, scores, Chunks, CHUNK_ROWS};
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    let chunks = Chunks::new(batches, &[binary, score], CHUNK_ROWS)?;
    let (mut s_out, mut b_out, mut other) = (Vec::new(), Vec::new(), None);
    for c in &chunks.chunks {
        let (b, o) = encode_binary(&c[0], binary, positive)?;
        merge_other(binary, positive, &mut other, o)?;
        let s = scores(&c[1], score)?;
        for (i, v) in s.as_primitive::<Float64Type>().iter().enumerate() {
            if let (Some(v), true) = (v, b[i] < 2) {
                s_out.push(v);
                b_out.push(b[i] == 1);
            }
        }
    }
    Ok((s_out, b_out))
}

/// CBPE over Arrow data: calibrates on `reference` (label and score), estimates on
/// `current` (prediction and score).
///
/// # Errors
/// Unknown columns, non-binary columns, scores outside [0, 1], an empty reference.
#[allow(clippy::too_many_arguments)]
pub fn estimate_batches(
    reference: &[arrow_array::RecordBatch],
    current: &[arrow_array::RecordBatch],
    prediction: &str,
    label: &str,
    score: &str,
    positive: &crate::performance::columns::Positive,
    method: Method,
) -> crate::Result<Estimate> {
    let (rs, rl) = read_pairs(reference, label, score, positive)?;
    let cal = Calibrator::fit(&rs, &rl, method).ok_or_else(|| {
        crate::DriftlineError::data(label, "the reference has no row with a label and a score")
    })?;
    let (cs, cp) = read_pairs(current, prediction, score, positive)?;
    Ok(estimate(&cal, &cs, &cp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_pools_violators() {
        let s = [0.1, 0.2, 0.3, 0.4];
        let l = [false, true, false, true];
        let c = Calibrator::fit(&s, &l, Method::Isotonic).unwrap();
        assert_eq!(c.apply(0.1), 0.0);
        assert!((c.apply(0.25) - 0.5).abs() < 1e-12);
        assert_eq!(c.apply(0.9), 1.0);
    }
}
