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
//! Fit O(m log m) on m reference rows, estimate O(n log n): each sorts its rows once (a
//! parallel sort of 8-byte keys), then walks them in score order.

use rayon::prelude::*;

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
        let keys = sorted_keys(scores, labels);
        // Blocks: (x_first, x_last, weight, mean)
        let mut blocks: Vec<(f64, f64, f64, f64)> = Vec::new();
        for run in keys.chunk_by(|a, b| a >> 1 == b >> 1) {
            let x = score_of(run[0]);
            // The flags (labels) sort last within a score: the positives are a suffix.
            let pos = run.len() - run.partition_point(|k| k & 1 == 0);
            let w = run.len() as f64;
            blocks.push((x, x, w, pos as f64 / w));
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
        self.at(self.x.partition_point(|&v| v <= s), s)
    }

    /// The calibrated probability of score `s`, given `j`, the count of knots `x <= s`
    /// (a caller walking scores upwards keeps `j` without a search).
    fn at(&self, j: usize, s: f64) -> f64 {
        let (x, y) = (&self.x, &self.y);
        if s <= x[0] {
            return y[0];
        }
        if s >= x[x.len() - 1] {
            return y[y.len() - 1];
        }
        let (x0, x1, y0, y1) = (x[j - 1], x[j], y[j - 1], y[j]);
        if x1 == x0 {
            y1
        } else {
            y0 + (y1 - y0) * (s - x0) / (x1 - x0)
        }
    }
}

/// The rows' order-preserving keys, sorted: a score in [0, 1] (-0 read as +0) has its top
/// bit clear and bits that order like its value, so `bits << 1 | flag` orders by score,
/// then flag. One parallel sort of plain integers, rather than of indices compared
/// through the scores (a cache miss per comparison).
fn sorted_keys(scores: &[f64], flags: &[bool]) -> Vec<u64> {
    let mut keys: Vec<u64> = scores
        .iter()
        .zip(flags)
        .map(|(&s, &f)| (s + 0.0).to_bits() << 1 | u64::from(f))
        .collect();
    keys.par_sort_unstable();
    keys
}

/// The score of a key of [`sorted_keys`].
fn score_of(key: u64) -> f64 {
    f64::from_bits(key >> 1)
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
    // One walk over the rows in score order: the calibrator's knots are met in order too
    // (no search per row), and the rows of one score share their probability.
    let keys = sorted_keys(scores, predictions);
    let (mut tp, mut fp, mut tn, mut fn_) = (0.0, 0.0, 0.0, 0.0);
    // AUC with fractional labels: the negative weight below each score; ties count half.
    let (mut neg_below, mut u, mut j) = (0.0, 0.0, 0);
    for run in keys.chunk_by(|a, b| a >> 1 == b >> 1) {
        let x = score_of(run[0]);
        while j < cal.x.len() && cal.x[j] <= x {
            j += 1;
        }
        let c = cal.at(j, x);
        // The flags (predictions) sort last within a score.
        let predicted = (run.len() - run.partition_point(|k| k & 1 == 0)) as f64;
        let others = run.len() as f64 - predicted;
        tp += predicted * c;
        fp += predicted * (1.0 - c);
        fn_ += others * c;
        tn += others * (1.0 - c);
        let (wp, wn) = (run.len() as f64 * c, run.len() as f64 * (1.0 - c));
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

    /// The estimate row by row: each row's probability by a search, the AUC over every
    /// pair of rows (weights c_i c'_j for i above j, half of it at equal scores).
    fn naive(cal: &Calibrator, scores: &[f64], predictions: &[bool]) -> [f64; 5] {
        let c: Vec<f64> = scores.iter().map(|&s| cal.apply(s)).collect();
        let mut m = [0.0; 4];
        for (&p, &yhat) in c.iter().zip(predictions) {
            let at = if yhat { 0 } else { 2 };
            m[at] += p;
            m[at + 1] += 1.0 - p;
        }
        let (mut u, mut sp, mut sn) = (0.0, 0.0, 0.0);
        for i in 0..scores.len() {
            sp += c[i];
            sn += 1.0 - c[i];
            for j in 0..scores.len() {
                let w = c[i] * (1.0 - c[j]);
                if scores[i] > scores[j] {
                    u += w;
                } else if scores[i] == scores[j] {
                    u += 0.5 * w;
                }
            }
        }
        [m[0] + m[3], m[0], m[1], m[2], u / (sp * sn)]
    }

    #[test]
    fn the_walk_in_score_order_equals_the_row_by_row_estimate() {
        let mut next = crate::performance::test_rng::lcg(9);
        let mut unit = || next() as f64 / (1u64 << 53) as f64;
        for (n, grid) in [
            (1usize, 0.0),
            (7, 10.0),
            (300, 20.0),
            (800, 0.0),
            (500, 1000.0),
        ] {
            let round = |v: f64| {
                if grid > 0.0 {
                    (v * grid).round() / grid
                } else {
                    v
                }
            };
            let rs: Vec<f64> = (0..n).map(|_| round(unit())).collect();
            let rl: Vec<bool> = rs.iter().map(|&s| unit() < s).collect();
            let cs: Vec<f64> = (0..n).map(|_| round(unit().powi(2))).collect();
            let cp: Vec<bool> = cs.iter().map(|&s| s > 0.3).collect();
            for method in [Method::Isotonic, Method::Histogram] {
                let cal = Calibrator::fit(&rs, &rl, method).unwrap();
                let e = estimate(&cal, &cs, &cp);
                let want = naive(&cal, &cs, &cp);
                let got = [
                    e.tp + e.tn,
                    e.tp,
                    e.fp,
                    e.fn_,
                    e.roc_auc.unwrap_or(f64::NAN),
                ];
                for (g, w) in got.iter().zip(want) {
                    let ok = (g - w).abs() <= 1e-9 * w.abs().max(1.0) || (g.is_nan() && w.is_nan());
                    assert!(ok, "n {n} grid {grid} {method:?}: {got:?} against {want:?}");
                }
            }
        }
    }

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
