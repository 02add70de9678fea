//! Confusion counts: binary (per group) and multiclass (per class), the mergeable
//! accumulators behind accuracy, precision, recall, F1 and the fairness rates.
//!
//! # Definition
//! Binary counts TP, FP, TN, FN over the complete rows (label and prediction both present);
//! rows with a null label or prediction are counted in `n_null` and left out. Score sums
//! (mean score, Brier, log loss) are over complete rows with a score.
//! Metrics follow scikit-learn (`accuracy_score`, `precision_score`, `recall_score`,
//! `f1_score`, `brier_score_loss`, `log_loss` with probabilities clipped to
//! `[eps, 1 - eps]`), except that an undefined ratio is reported as undefined, with its
//! reason, instead of scikit-learn's `zero_division` value.
//!
//! # Complexity
//! One pass, O(1) per row; merge is O(groups).

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use crate::performance::exact::ExactSum;

/// The largest count a decoded accumulator may hold (2^48 rows): sums of counts then
/// cannot overflow.
pub const MAX_COUNT: u64 = 1 << 48;

/// A metric value, or why it is undefined.
pub type Value = std::result::Result<f64, &'static str>;

/// `num / den`, or `reason` when `den` is zero.
pub fn ratio(num: f64, den: f64, reason: &'static str) -> Value {
    if den == 0.0 {
        Err(reason)
    } else {
        Ok(num / den)
    }
}

/// Binary confusion counts and score sums of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryCounts {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// True negatives.
    pub tn: u64,
    /// False negatives.
    pub fn_: u64,
    /// Rows left out because the label or the prediction is null.
    pub n_null: u64,
    /// Complete rows with a score.
    pub score_n: u64,
    /// Sum of scores (exact: independent of row order and partitioning).
    pub score_sum: ExactSum,
    /// Sum of squared errors `(score - y)^2`.
    pub brier_sum: ExactSum,
    /// Sum of `-(y ln p + (1 - y) ln(1 - p))`, p clipped to `[eps, 1 - eps]`.
    pub log_loss_sum: ExactSum,
}

impl AddAssign<&BinaryCounts> for BinaryCounts {
    fn add_assign(&mut self, o: &BinaryCounts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.tn += o.tn;
        self.fn_ += o.fn_;
        self.n_null += o.n_null;
        self.score_n += o.score_n;
        self.score_sum.merge(&o.score_sum);
        self.brier_sum.merge(&o.brier_sum);
        self.log_loss_sum.merge(&o.log_loss_sum);
    }
}

/// Log loss of one probability, clipped as scikit-learn does:
/// `-ln(clamp(if y { p } else { 1 - p }, eps, 1 - eps))`, eps = [`f64::EPSILON`].
///
/// Every path (one pass, chunk by chunk, partials, multiclass) computes its terms with
/// this function or with [`log_loss_terms`](crate::performance::ln::log_loss_terms), which
/// gives the same bits, and with [`ln`](crate::performance::ln::ln) rather than the
/// platform's libm: the sums are then equal bit for bit whichever path and machine.
#[inline(always)]
pub fn log_loss_term(p: f64, y: bool) -> f64 {
    let eps = f64::EPSILON;
    let q = if y { p } else { 1.0 - p };
    -crate::performance::ln::ln(q.clamp(eps, 1.0 - eps))
}

impl BinaryCounts {
    /// Whether the exact sums decoded from bytes are well formed.
    pub fn is_consistent(&self) -> bool {
        [
            self.tp,
            self.fp,
            self.tn,
            self.fn_,
            self.n_null,
            self.score_n,
        ]
        .iter()
        .all(|&c| c < MAX_COUNT)
            && self.score_sum.is_consistent()
            && self.brier_sum.is_consistent()
            && self.log_loss_sum.is_consistent()
    }

    /// Adds one complete row.
    #[inline]
    pub fn add(&mut self, y: bool, yhat: bool) {
        match (y, yhat) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fn_ += 1,
        }
    }

    /// Adds the score of one complete row.
    #[inline]
    pub fn add_score(&mut self, y: bool, p: f64) {
        self.add_score_term(y, p, log_loss_term(p, y));
    }

    /// Adds the score of one complete row whose log-loss term, `log_loss_term(p, y)`, was
    /// computed with a batch.
    #[inline]
    fn add_score_term(&mut self, y: bool, p: f64, log_loss: f64) {
        self.score_n += 1;
        self.score_sum.add(p);
        let d = p - f64::from(u8::from(y));
        self.brier_sum.add(d * d);
        self.log_loss_sum.add(log_loss);
    }

    /// Complete rows.
    pub fn n(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }
    /// Rows with a positive label.
    pub fn positives(&self) -> u64 {
        self.tp + self.fn_
    }
    /// Rows with a negative label.
    pub fn negatives(&self) -> u64 {
        self.fp + self.tn
    }
    /// Share of rows with a positive label.
    pub fn base_rate(&self) -> Value {
        ratio(self.positives() as f64, self.n() as f64, "no rows")
    }
    /// Share of rows predicted positive (fairlearn's `selection_rate`).
    pub fn selection_rate(&self) -> Value {
        ratio((self.tp + self.fp) as f64, self.n() as f64, "no rows")
    }
    /// Recall, TP / (TP + FN).
    pub fn tpr(&self) -> Value {
        ratio(
            self.tp as f64,
            self.positives() as f64,
            "no positive labels",
        )
    }
    /// FP / (FP + TN).
    pub fn fpr(&self) -> Value {
        ratio(
            self.fp as f64,
            self.negatives() as f64,
            "no negative labels",
        )
    }
    /// TN / (TN + FP).
    pub fn tnr(&self) -> Value {
        ratio(
            self.tn as f64,
            self.negatives() as f64,
            "no negative labels",
        )
    }
    /// FN / (FN + TP).
    pub fn fnr(&self) -> Value {
        ratio(
            self.fn_ as f64,
            self.positives() as f64,
            "no positive labels",
        )
    }
    /// Precision (positive predictive value), TP / (TP + FP).
    pub fn precision(&self) -> Value {
        ratio(
            self.tp as f64,
            (self.tp + self.fp) as f64,
            "no positive predictions",
        )
    }
    /// Negative predictive value, TN / (TN + FN).
    pub fn npv(&self) -> Value {
        ratio(
            self.tn as f64,
            (self.tn + self.fn_) as f64,
            "no negative predictions",
        )
    }
    /// (TP + TN) / n.
    pub fn accuracy(&self) -> Value {
        ratio((self.tp + self.tn) as f64, self.n() as f64, "no rows")
    }
    /// 2 TP / (2 TP + FP + FN).
    pub fn f1(&self) -> Value {
        ratio(
            2.0 * self.tp as f64,
            (2 * self.tp + self.fp + self.fn_) as f64,
            "no positive labels and no positive predictions",
        )
    }
    /// Mean score.
    pub fn mean_score(&self) -> Value {
        ratio(self.score_sum.value(), self.score_n as f64, "no scores")
    }
    /// Brier score.
    pub fn brier(&self) -> Value {
        ratio(self.brier_sum.value(), self.score_n as f64, "no scores")
    }
    /// Log loss.
    pub fn log_loss(&self) -> Value {
        ratio(self.log_loss_sum.value(), self.score_n as f64, "no scores")
    }
}

/// Counts binary rows by group: `codes[i]` the group, `y` and `yhat` from
/// [`crate::performance::columns::encode_binary`] (`y` absent: every label negative),
/// `score` optional.
pub fn count_binary(
    codes: &[u32],
    y: Option<&[u8]>,
    yhat: &[u8],
    score: Option<&arrow_array::Float64Array>,
    n_groups: usize,
) -> Vec<BinaryCounts> {
    let mut t = BinaryTally::new(n_groups);
    t.add(codes, y, yhat, score);
    t.finish()
}

/// Binary counts by group being accumulated over many chunks: the four confusion
/// counters in a flat table indexed by (group, y, yhat), so the hot loop has no branch,
/// the null counts, and the score sums. One tally per thread takes any number of chunks,
/// so a pass over many groups allocates the groups' accumulators once per thread, not
/// once per chunk.
pub struct BinaryTally {
    flat: Vec<u64>,
    nulls: Vec<u64>,
    /// The score sums by group: empty until a chunk with a score is added (without a
    /// score, 200 bytes a group saved per thread).
    counts: Vec<BinaryCounts>,
}

impl BinaryTally {
    /// No rows yet, of `n_groups` groups.
    pub fn new(n_groups: usize) -> Self {
        Self {
            flat: vec![0; n_groups * 4],
            nulls: vec![0; n_groups],
            counts: Vec::new(),
        }
    }

    /// Adds a chunk's rows: `codes[i]` the group, `y` and `yhat` from
    /// [`crate::performance::columns::encode_binary`] (`y` absent: every label negative),
    /// `score` optional.
    pub fn add(
        &mut self,
        codes: &[u32],
        y: Option<&[u8]>,
        yhat: &[u8],
        score: Option<&arrow_array::Float64Array>,
    ) {
        use crate::performance::columns::NULL_CODE;
        use arrow_array::Array;
        let (flat, nulls) = (&mut self.flat, &mut self.nulls);
        for i in 0..codes.len() {
            let g = codes[i] as usize;
            let t = y.map_or(0, |y| y[i]);
            let p = yhat[i];
            if t == NULL_CODE || p == NULL_CODE {
                nulls[g] += 1;
                continue;
            }
            flat[g * 4 + (t as usize) * 2 + p as usize] += 1;
        }
        if let Some(s) = score {
            use crate::performance::exact_batch::BATCH;
            if self.counts.is_empty() {
                self.counts = vec![BinaryCounts::default(); self.nulls.len()];
            }
            use crate::performance::ln::log_loss_terms;
            let values = s.values();
            // The log-loss terms of a block of rows at once, in a vectorised loop (the same
            // bits as row by row); those of the rows left out are computed and not used.
            let (mut terms, mut ys) = ([0.0; BATCH], [false; BATCH]);
            for start in (0..codes.len()).step_by(BATCH) {
                let end = (start + BATCH).min(codes.len());
                let len = end - start;
                for (k, b) in ys[..len].iter_mut().enumerate() {
                    *b = y.map_or(0, |y| y[start + k]) == 1;
                }
                log_loss_terms(&values[start..end], &ys[..len], &mut terms[..len]);
                for i in start..end {
                    let t = y.map_or(0, |y| y[i]);
                    if t == NULL_CODE || yhat[i] == NULL_CODE || s.is_null(i) {
                        continue;
                    }
                    self.counts[codes[i] as usize].add_score_term(
                        t == 1,
                        values[i],
                        terms[i - start],
                    );
                }
            }
        }
    }

    /// Adds another tally of the same groups.
    pub fn merge(&mut self, o: Self) {
        use rayon::prelude::*;
        let add = |a: &mut [u64], b: &[u64]| {
            a.par_iter_mut()
                .with_min_len(1 << 14)
                .zip(b)
                .for_each(|(a, b)| *a += b);
        };
        add(&mut self.flat, &o.flat);
        add(&mut self.nulls, &o.nulls);
        if self.counts.is_empty() {
            self.counts = o.counts;
        } else if !o.counts.is_empty() {
            self.counts
                .par_iter_mut()
                .with_min_len(1 << 12)
                .zip(&o.counts)
                .for_each(|(a, b)| *a += b);
        }
    }

    /// The counts by group.
    pub fn finish(self) -> Vec<BinaryCounts> {
        use rayon::prelude::*;
        let (flat, nulls) = (&self.flat, &self.nulls);
        let set = |g: usize, c: &mut BinaryCounts| {
            c.tn = flat[g * 4];
            c.fp = flat[g * 4 + 1];
            c.fn_ = flat[g * 4 + 2];
            c.tp = flat[g * 4 + 3];
            c.n_null = nulls[g];
        };
        // In parallel: with many groups, writing the counts is most of the time.
        if self.counts.is_empty() {
            (0..nulls.len())
                .into_par_iter()
                .with_min_len(1 << 12)
                .map(|g| {
                    let mut c = BinaryCounts::default();
                    set(g, &mut c);
                    c
                })
                .collect()
        } else {
            let mut out = self.counts;
            out.par_iter_mut()
                .with_min_len(1 << 12)
                .enumerate()
                .for_each(|(g, c)| set(g, c));
            out
        }
    }
}

/// Multiclass counts: per class, true positives, predicted and true totals; from these
/// come per-class precision, recall and F1 and their macro and weighted means.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassCounts {
    /// Per class, rows predicted as the class and labelled as it.
    pub tp: Vec<u64>,
    /// Per class, rows predicted as the class.
    pub predicted: Vec<u64>,
    /// Per class, rows labelled as the class.
    pub truth: Vec<u64>,
    /// Rows left out because the label or the prediction is null.
    pub n_null: u64,
}

/// Per-class F1, precision and recall averaged as scikit-learn's `average="macro"` and
/// `"weighted"` over the classes present in the label or the prediction, with the
/// `zero_division=0` convention for a class never predicted (that is scikit-learn's value
/// once its warning is silenced).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Averages {
    /// Accuracy.
    pub accuracy: f64,
    /// Macro precision.
    pub precision_macro: f64,
    /// Macro recall.
    pub recall_macro: f64,
    /// Macro F1.
    pub f1_macro: f64,
    /// Support-weighted precision.
    pub precision_weighted: f64,
    /// Support-weighted recall.
    pub recall_weighted: f64,
    /// Support-weighted F1.
    pub f1_weighted: f64,
}

impl ClassCounts {
    /// Empty counts for `k` classes.
    pub fn new(k: usize) -> Self {
        Self {
            tp: vec![0; k],
            predicted: vec![0; k],
            truth: vec![0; k],
            n_null: 0,
        }
    }

    /// Complete rows.
    pub fn n(&self) -> u64 {
        self.truth.iter().sum()
    }

    /// Whether decoded counts are plausible (see [`MAX_COUNT`]).
    pub fn is_consistent(&self) -> bool {
        self.n_null < MAX_COUNT
            && [&self.tp, &self.predicted, &self.truth]
                .iter()
                .all(|v| v.iter().all(|&c| c < MAX_COUNT))
    }

    /// Adds `o` (same classes).
    pub fn merge(&mut self, o: &ClassCounts) {
        for k in 0..self.tp.len() {
            self.tp[k] += o.tp[k];
            self.predicted[k] += o.predicted[k];
            self.truth[k] += o.truth[k];
        }
        self.n_null += o.n_null;
    }

    /// Averages, or `None` without rows.
    pub fn averages(&self) -> Option<Averages> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let mut a = Averages {
            accuracy: self.tp.iter().sum::<u64>() as f64 / n as f64,
            ..Averages::default()
        };
        let mut present = 0usize;
        for k in 0..self.tp.len() {
            if self.predicted[k] == 0 && self.truth[k] == 0 {
                continue;
            }
            present += 1;
            let tp = self.tp[k] as f64;
            let p = if self.predicted[k] == 0 {
                0.0
            } else {
                tp / self.predicted[k] as f64
            };
            let r = if self.truth[k] == 0 {
                0.0
            } else {
                tp / self.truth[k] as f64
            };
            let den = (self.predicted[k] + self.truth[k]) as f64;
            let f = if den == 0.0 { 0.0 } else { 2.0 * tp / den };
            let w = self.truth[k] as f64 / n as f64;
            a.precision_macro += p;
            a.recall_macro += r;
            a.f1_macro += f;
            a.precision_weighted += w * p;
            a.recall_weighted += w * r;
            a.f1_weighted += w * f;
        }
        let m = present.max(1) as f64;
        a.precision_macro /= m;
        a.recall_macro /= m;
        a.f1_macro /= m;
        Some(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_undefined() {
        let mut c = BinaryCounts::default();
        c.add(false, false);
        c.add(false, true);
        assert_eq!(c.fpr(), Ok(0.5));
        assert_eq!(c.tpr(), Err("no positive labels"));
        assert_eq!(c.accuracy(), Ok(0.5));
    }
}
