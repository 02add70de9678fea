//! Calibration: expected calibration error on equal-width bins (Brier score and log loss
//! are sums in [`crate::performance::confusion::BinaryCounts`]).
//!
//! # Definition
//! ECE = sum over bins b of (n_b / n) |mean score in b - share of positives in b|, with
//! [`ECE_BINS`] equal-width bins over [0, 1]; a score of exactly 1 falls in the last bin
//! (Guo et al., 2017, "On Calibration of Modern Neural Networks").
//!
//! # Complexity
//! O(1) per row, O(bins) memory; mergeable by addition.

use serde::{Deserialize, Serialize};

use crate::performance::confusion::Value;
use crate::performance::exact::ExactSum;
use crate::performance::exact_batch::BATCH;

/// Bins of the expected calibration error.
pub const ECE_BINS: usize = 10;

/// Per-bin count, score sum and positive count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBins {
    /// Rows per bin.
    pub n: [u64; ECE_BINS],
    /// Sum of scores per bin.
    pub score_sum: [ExactSum; ECE_BINS],
    /// Positives per bin.
    pub positives: [u64; ECE_BINS],
}

impl CalibrationBins {
    /// Adds one score in [0, 1] with its label.
    #[inline]
    pub fn add(&mut self, p: f64, y: bool) {
        let b = ((p * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        self.n[b] += 1;
        self.score_sum[b].add(p);
        self.positives[b] += u64::from(y);
    }

    /// Adds `o`.
    pub fn merge(&mut self, o: &CalibrationBins) {
        for b in 0..ECE_BINS {
            self.n[b] += o.n[b];
            self.score_sum[b].merge(&o.score_sum[b]);
            self.positives[b] += o.positives[b];
        }
    }

    /// Whether the exact sums decoded from bytes are well formed.
    pub fn is_consistent(&self) -> bool {
        use crate::performance::confusion::MAX_COUNT;
        self.n.iter().chain(&self.positives).all(|&c| c < MAX_COUNT)
            && self.score_sum.iter().all(ExactSum::is_consistent)
    }

    /// Expected calibration error.
    pub fn ece(&self) -> Value {
        let n: u64 = self.n.iter().sum();
        if n == 0 {
            return Err("no scores");
        }
        let mut e = 0.0;
        for b in 0..ECE_BINS {
            if self.n[b] > 0 {
                let nb = self.n[b] as f64;
                e += nb / n as f64
                    * (self.score_sum[b].value() / nb - self.positives[b] as f64 / nb).abs();
            }
        }
        Ok(e)
    }
}

/// The calibration bins' scores a batch at a time (the rows come in score order, so a
/// bin's scores are consecutive): the same exact sums as adding them one by one.
pub(crate) struct CalBatch {
    buf: [f64; BATCH],
    k: usize,
    bin: usize,
}

impl CalBatch {
    #[inline]
    pub(crate) fn add(&mut self, cal: &mut CalibrationBins, p: f64, y: u64) {
        let bin = ((p * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        if bin != self.bin || self.k == BATCH {
            self.flush(cal);
            self.bin = bin;
        }
        self.buf[self.k] = p;
        self.k += 1;
        cal.n[bin] += 1;
        cal.positives[bin] += y;
    }

    /// Adds a batch of sorted scores (`pos` of them positive): whole when they share a
    /// bin, else row by row.
    pub(crate) fn add_block(
        &mut self,
        cal: &mut CalibrationBins,
        p: &[f64],
        y: &[bool],
        pos: usize,
    ) {
        let bin = |p: f64| ((p * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        let (Some(&first), Some(&last)) = (p.first(), p.last()) else {
            return;
        };
        let b = bin(first);
        if b != bin(last) {
            for (&p, &y) in p.iter().zip(y) {
                self.add(cal, p, u64::from(y));
            }
            return;
        }
        self.flush(cal);
        self.bin = b;
        self.buf[..p.len()].copy_from_slice(p);
        self.k = p.len();
        self.flush(cal);
        cal.n[b] += p.len() as u64;
        cal.positives[b] += pos as u64;
    }

    pub(crate) fn flush(&mut self, cal: &mut CalibrationBins) {
        cal.score_sum[self.bin].add_batch(&mut self.buf[..self.k]);
        self.k = 0;
    }
}

impl Default for CalBatch {
    fn default() -> Self {
        Self {
            buf: [0.0; BATCH],
            k: 0,
            bin: 0,
        }
    }
}
