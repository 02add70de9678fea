//! The binary task's one pass with the exact ROC AUC: every row packed in a `u64`, then
//! grouped by score bucket, each bucket evaluated alone with its accumulators in cache
//! (with segments, [`crate::performance::onepass_segments`] builds on these rows).
//!
//! # Definition
//! A row is its label and prediction in the two top bits and its score's bits below them
//! (a score in [0, 1] has both top bits clear: its sign and its top exponent bit), or one
//! of two markers just above 1.0, where no valid score is: a complete row without a score,
//! a row with a null label or prediction. Scores are grouped by value into [`BUCKETS`]
//! equal buckets over [0, 1]; a bucket's scores are sorted and walked for its share of
//! twice the Mann-Whitney U, and the buckets add up in order (each positive also outranks
//! every negative of the lower buckets). The counts and exact sums do not depend on the
//! order of the rows, so every result equals the chunk-by-chunk pass bit for bit.
//!
//! # Complexity
//! O(n) to pack and group, plus a sort per bucket (O(n) for spread-out scores, see
//! [`crate::performance::unit_sort`]), in parallel over buckets.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::Array;
use rayon::prelude::*;

use crate::error::Result;
use crate::performance::auc::{ScoreHistogram, HIST_BINS};
use crate::performance::binary::BinaryChunk;
use crate::performance::calibration::{CalibrationBins, ECE_BINS};
use crate::performance::columns::NULL_CODE;
use crate::performance::confusion::{BinaryCounts, Value};
use crate::performance::exact_batch::BATCH;
use crate::performance::ln::log_loss_terms;
use crate::performance::scatter::group_rows;
use crate::performance::unit_sort::{sort_unit_keys, u2_of_sorted, UnitKey};

pub(crate) const Y: u64 = 1 << 63;
pub(crate) const YHAT: u64 = 1 << 62;
/// Low bits of a complete row without a score.
pub(crate) const NO_SCORE: u64 = 0x3FF0_0000_0000_0001;
/// Low bits of a row whose label or prediction is null.
pub(crate) const NULL_ROW: u64 = 0x3FF0_0000_0000_0002;
/// Score buckets of the overall pass (a power of two: the histogram's bins split them).
pub const BUCKETS: usize = 4096;
pub(crate) const BINS_PER_BUCKET: usize = HIST_BINS / BUCKETS;

/// The packed rows of one encoded chunk (its score, if any, validated to [0, 1]).
pub fn records(e: &BinaryChunk) -> Vec<u64> {
    let s = e.score.as_ref().map(|a| a.as_primitive::<Float64Type>());
    let mut out = Vec::with_capacity(e.y.len());
    for i in 0..e.y.len() {
        let (t, p) = (e.y[i], e.yhat[i]);
        if t == NULL_CODE || p == NULL_CODE {
            out.push(NULL_ROW);
            continue;
        }
        let low = match s {
            // Adding +0.0 turns -0.0 into +0.0 (clear sign bit); no sum changes.
            Some(s) if s.is_valid(i) => (s.values()[i] + 0.0).to_bits(),
            _ => NO_SCORE,
        };
        out.push(low | u64::from(t) << 63 | u64::from(p) << 62);
    }
    out
}

/// What one score bucket adds up to.
#[derive(Default)]
pub(crate) struct Group {
    /// Counts and score sums (when the pass computes them).
    pub(crate) counts: BinaryCounts,
    pub(crate) cal: CalibrationBins,
    /// Positives and negatives of the histogram bins in the bucket, `[bin][y]`.
    pub(crate) hist: [[u64; 2]; BINS_PER_BUCKET],
    /// The bucket's share of twice U, its positives and negatives.
    pub(crate) u2: u128,
    pub(crate) pos: u64,
    pub(crate) neg: u64,
}

/// Evaluates one group's rows: counts, and with `sums` the score sums; with `cal` the
/// calibration bins and histogram (`first_bin`: the group's first histogram bin); and the
/// sorted scores' share of twice U.
fn evaluate_group<'a>(
    parts: impl Iterator<Item = &'a [u64]>,
    keys: &mut Vec<u64>,
    sums: bool,
    cal: Option<usize>,
) -> Group {
    let mut g = Group::default();
    let mut flat = [0u64; 4];
    let mut batch = ScoreBatch::default();
    keys.clear();
    for part in parts {
        for &r in part {
            let low = r & !(Y | YHAT);
            if low == NULL_ROW {
                g.counts.n_null += 1;
                continue;
            }
            // Index y * 2 + yhat, as in `count_binary`.
            flat[(r >> 62) as usize] += 1;
            if low == NO_SCORE {
                continue;
            }
            let (y, p) = (r >> 63, f64::from_bits(low));
            if sums {
                batch.push(&mut g.counts, y == 1, p);
            }
            keys.push(low << 1 | y);
        }
    }
    batch.flush(&mut g.counts);
    (g.counts.tn, g.counts.fp, g.counts.fn_, g.counts.tp) = (flat[0], flat[1], flat[2], flat[3]);
    sort_unit_keys(keys);
    if let Some(first) = cal {
        calibrate_sorted(keys, first, &mut g.cal, &mut g.hist);
    }
    (g.u2, g.pos, g.neg) = u2_of_sorted(keys);
    g
}

/// Adds a score bucket's sorted keys (`score bits << 1 | y`) to the calibration bins,
/// each bin's scores a batch at a time (the bins' exact sums are those of adding them one
/// by one), and to the bucket's histogram bins (`first`: its first bin).
pub(crate) fn calibrate_sorted<T: UnitKey>(
    keys: &[T],
    first: usize,
    cal: &mut CalibrationBins,
    hist: &mut [[u64; 2]; BINS_PER_BUCKET],
) {
    let (mut buf, mut k, mut cur) = ([0f64; BATCH], 0usize, 0usize);
    for r in keys {
        let y = (r.key() & 1) as usize;
        let p = f64::from_bits(r.key() >> 1);
        let bin = ((p * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        if bin != cur || k == BATCH {
            cal.score_sum[cur].add_batch(&mut buf[..k]);
            (k, cur) = (0, bin);
        }
        buf[k] = p;
        k += 1;
        cal.n[bin] += 1;
        cal.positives[bin] += y as u64;
        let h = crate::performance::auc::bin_of(p).saturating_sub(first);
        hist[h.min(BINS_PER_BUCKET - 1)][y] += 1;
    }
    cal.score_sum[cur].add_batch(&mut buf[..k]);
}

/// The scores and labels of up to [`BATCH`] rows, whose terms are computed and added to
/// the exact sums a batch at a time (the same sums as [`BinaryCounts::add_score`] row by
/// row: each term has the same bits, and an exact sum does not depend on the order).
pub(crate) struct ScoreBatch {
    score: [f64; BATCH],
    y: [bool; BATCH],
    brier: [f64; BATCH],
    log_loss: [f64; BATCH],
    k: usize,
}

impl Default for ScoreBatch {
    fn default() -> Self {
        Self {
            score: [0.0; BATCH],
            y: [false; BATCH],
            brier: [0.0; BATCH],
            log_loss: [0.0; BATCH],
            k: 0,
        }
    }
}

impl ScoreBatch {
    #[inline]
    pub(crate) fn push(&mut self, c: &mut BinaryCounts, y: bool, p: f64) {
        (self.score[self.k], self.y[self.k]) = (p, y);
        self.k += 1;
        if self.k == BATCH {
            self.flush(c);
        }
    }

    pub(crate) fn flush(&mut self, c: &mut BinaryCounts) {
        let k = self.k;
        let (p, y) = (&self.score[..k], &self.y[..k]);
        // Whole-batch loops vectorise (the logarithm is branch-free); computed before
        // `add_batch` overwrites the scores.
        log_loss_terms(p, y, &mut self.log_loss[..k]);
        for ((b, &p), &y) in self.brier[..k].iter_mut().zip(p).zip(y) {
            let d = p - f64::from(u8::from(y));
            *b = d * d;
        }
        c.score_n += k as u64;
        c.score_sum.add_batch(&mut self.score[..k]);
        c.brier_sum.add_batch(&mut self.brier[..k]);
        c.log_loss_sum.add_batch(&mut self.log_loss[..k]);
        self.k = 0;
    }
}

pub(crate) fn auc_value(u2: u128, pos: u64, neg: u64) -> Value {
    if pos == 0 {
        return Err("no positive labels: ROC AUC is undefined with one class");
    }
    if neg == 0 {
        return Err("no negative labels: ROC AUC is undefined with one class");
    }
    Ok(u2 as f64 / (2.0 * pos as f64 * neg as f64))
}

/// The overall result of the one pass.
pub struct Overall {
    /// Counts and score sums (score sums only when asked).
    pub counts: BinaryCounts,
    /// Calibration bins.
    pub cal: CalibrationBins,
    /// The score histogram (the approximate AUC).
    pub hist: ScoreHistogram,
    /// Exact ROC AUC.
    pub auc: Value,
}

/// The overall counts, calibration, histogram and exact AUC of packed rows; `sums`: also
/// the score sums (without segments; with them the segments' sums add up to these).
///
/// # Errors
/// None in practice; kept for the grouping's signature.
pub fn overall(recs: &[Vec<u64>], sums: bool) -> Result<Overall> {
    // Bucket BUCKETS holds the rows without a score.
    let codes: Vec<Vec<u32>> = recs
        .par_iter()
        .map(|r| {
            r.iter()
                .map(|&r| {
                    let low = r & !(Y | YHAT);
                    if low >= NO_SCORE {
                        BUCKETS as u32
                    } else {
                        // p * 4096 is exact: the bucket's histogram bins are 2b and 2b + 1.
                        ((f64::from_bits(low) * BUCKETS as f64) as usize).min(BUCKETS - 1) as u32
                    }
                })
                .collect()
        })
        .collect();
    let grouped = group_rows(&codes, BUCKETS + 1, |c| Ok(&recs[c]))?;
    drop(codes);
    let groups: Vec<Group> = (0..=BUCKETS)
        .into_par_iter()
        .map_init(Vec::new, |keys, b| {
            evaluate_group(grouped.segment(b), keys, sums, Some(b * BINS_PER_BUCKET))
        })
        .collect();
    Ok(combine(&groups))
}

/// The overall results of the score buckets' groups, in bucket order.
pub(crate) fn combine(groups: &[Group]) -> Overall {
    let mut out = Overall {
        counts: BinaryCounts::default(),
        cal: CalibrationBins::default(),
        hist: ScoreHistogram::default(),
        auc: Err(""),
    };
    let (mut u2, mut pos, mut below) = (0u128, 0u64, 0u64);
    for (b, g) in groups.iter().enumerate() {
        out.counts += &g.counts;
        out.cal.merge(&g.cal);
        for (j, h) in g.hist.iter().enumerate() {
            let bin = b * BINS_PER_BUCKET + j;
            if bin < HIST_BINS {
                out.hist.pos[bin] += h[1];
                out.hist.neg[bin] += h[0];
            }
        }
        // Each positive of this bucket also outranks every negative of the lower buckets.
        u2 += g.u2 + 2 * u128::from(g.pos) * u128::from(below);
        pos += g.pos;
        below += g.neg;
    }
    out.auc = auc_value(u2, pos, below);
    out
}
