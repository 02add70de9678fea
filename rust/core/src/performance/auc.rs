//! ROC AUC, exact and approximate.
//!
//! # Definition
//! AUC = P(score of a positive > score of a negative) + 0.5 P(equal scores), the
//! Mann-Whitney form of the area under the ROC curve; with ties it equals scikit-learn's
//! `roc_auc_score` (trapezoids over tied thresholds).
//!
//! The exact mode sorts the positives' and the negatives' scores separately and counts the
//! pairs in one merge walk with integer arithmetic ([`exact_auc_sorted`]; the large-input
//! driver that first places the scores by value bucket is `auc_sort`); it needs the scores
//! at hand (memory O(n)), so it is not mergeable. The approximate mode counts scores in
//! [`HIST_BINS`] equal bins over [0, 1] per class: mergeable, a few tens of KB, and its
//! error is at most half the share of (positive, negative) pairs that fall in the same
//! bin, a bound reported with the value ([`ScoreHistogram::auc_error_bound`]).
//!
//! # Complexity
//! Exact: O(n log n) (see `auc_sort`: a counting sort into value buckets, then a sort per
//! bucket, parallel over buckets). Approximate: O(n)
//! and O(bins) to evaluate.

use serde::{Deserialize, Serialize};

use crate::performance::confusion::Value;

/// Bins of the approximate AUC's histograms.
pub const HIST_BINS: usize = 8192;

/// Maps a float to a `u64` whose unsigned order is the float's total order.
#[inline]
pub(crate) fn key(x: f64) -> u64 {
    // Adding +0.0 turns -0.0 into +0.0: scikit-learn sees them as one score.
    let b = (x + 0.0).to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Sorts keys with an LSD radix sort on 11-bit digits (2048 buckets keep the scatter
/// within the caches), skipping digits that are equal in every key.
pub(crate) fn radix_sort(v: &mut Vec<u64>) {
    const BITS: u32 = 11;
    const MASK: u64 = (1 << BITS) - 1;
    if v.len() < 1 << 12 {
        v.sort_unstable();
        return;
    }
    let (mut or, mut and) = (0u64, u64::MAX);
    for &x in v.iter() {
        or |= x;
        and &= x;
    }
    let varying = or ^ and;
    let mut buf = vec![0u64; v.len()];
    let mut counts = vec![0usize; 1 << BITS];
    for pass in 0..64_u32.div_ceil(BITS) {
        let shift = pass * BITS;
        if (varying >> shift) & MASK == 0 {
            continue;
        }
        counts.iter_mut().for_each(|c| *c = 0);
        for &x in v.iter() {
            counts[((x >> shift) & MASK) as usize] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let t = *c;
            *c = sum;
            sum += t;
        }
        for &x in v.iter() {
            let d = ((x >> shift) & MASK) as usize;
            buf[counts[d]] = x;
            counts[d] += 1;
        }
        std::mem::swap(v, &mut buf);
    }
}

/// The score of a key of [`key`] (0.0 for a zero).
#[inline]
pub(crate) fn score_of_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// AUC of sorted keys: for each positive, the negatives below it plus half the ties.
fn auc_sorted_keys(p: &[u64], n: &[u64]) -> f64 {
    u2_sorted_keys(p, n) as f64 / (2.0 * p.len() as f64 * n.len() as f64)
}

/// Twice the Mann-Whitney U of sorted keys (exact in u128): for each positive, twice the
/// negatives below it plus the ties.
pub(crate) fn u2_sorted_keys(p: &[u64], n: &[u64]) -> u128 {
    let mut u2: u128 = 0;
    let (mut j, mut i) = (0usize, 0usize);
    while i < p.len() {
        let x = p[i];
        let mut run = 1usize;
        while i + run < p.len() && p[i + run] == x {
            run += 1;
        }
        while j < n.len() && n[j] < x {
            j += 1;
        }
        let mut k = j;
        while k < n.len() && n[k] == x {
            k += 1;
        }
        u2 += run as u128 * (2 * j as u128 + (k - j) as u128);
        i += run;
    }
    u2
}

/// Exact AUC of scores already split by class (used per segment, on small slices).
pub fn exact_auc_sorted(pos: &[f64], neg: &[f64]) -> Value {
    if pos.is_empty() {
        return Err("no positive labels: ROC AUC is undefined with one class");
    }
    if neg.is_empty() {
        return Err("no negative labels: ROC AUC is undefined with one class");
    }
    let to_keys = |v: &[f64]| -> Vec<u64> {
        let mut k: Vec<u64> = v.iter().map(|&x| key(x)).collect();
        k.sort_unstable();
        k
    };
    Ok(auc_sorted_keys(&to_keys(pos), &to_keys(neg)))
}

/// Per-class score counts on equal bins over [0, 1]: the mergeable approximate AUC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistogram {
    /// Positives per bin.
    pub pos: Vec<u64>,
    /// Negatives per bin.
    pub neg: Vec<u64>,
}

impl Default for ScoreHistogram {
    fn default() -> Self {
        Self {
            pos: vec![0; HIST_BINS],
            neg: vec![0; HIST_BINS],
        }
    }
}

impl ScoreHistogram {
    /// Adds a score in [0, 1].
    #[inline]
    pub fn add(&mut self, p: f64, y: bool) {
        let b = bin_of(p);
        if y {
            self.pos[b] += 1;
        } else {
            self.neg[b] += 1;
        }
    }

    /// Adds `o`.
    pub fn merge(&mut self, o: &ScoreHistogram) {
        for (a, b) in self.pos.iter_mut().zip(&o.pos) {
            *a += b;
        }
        for (a, b) in self.neg.iter_mut().zip(&o.neg) {
            *a += b;
        }
    }

    /// Approximate AUC: pairs in different bins are ordered by bin, pairs in one bin
    /// count one half.
    pub fn auc(&self) -> Value {
        auc_of(self.pos.iter().copied().zip(self.neg.iter().copied()))
    }

    /// Upper bound of |approximate - exact| AUC: half the share of pairs sharing a bin.
    pub fn auc_error_bound(&self) -> Value {
        bound_of(self.pos.iter().copied().zip(self.neg.iter().copied()))
    }
}

/// The bin of a score in [0, 1].
#[inline]
pub fn bin_of(p: f64) -> usize {
    ((p * HIST_BINS as f64) as usize).min(HIST_BINS - 1)
}

fn auc_of(bins: impl Iterator<Item = (u64, u64)>) -> Value {
    let (mut below, mut u2, mut np, mut nn) = (0u128, 0u128, 0u128, 0u128);
    for (p, n) in bins {
        u2 += p as u128 * (2 * below + n as u128);
        below += n as u128;
        np += p as u128;
        nn += n as u128;
    }
    if np == 0 || nn == 0 {
        return Err("one class only: ROC AUC is undefined");
    }
    Ok(u2 as f64 / (2.0 * np as f64 * nn as f64))
}

fn bound_of(bins: impl Iterator<Item = (u64, u64)>) -> Value {
    let (mut same, mut np, mut nn) = (0u128, 0u128, 0u128);
    for (p, n) in bins {
        same += p as u128 * n as u128;
        np += p as u128;
        nn += n as u128;
    }
    if np == 0 || nn == 0 {
        return Err("one class only: ROC AUC is undefined");
    }
    Ok(same as f64 / (2.0 * np as f64 * nn as f64))
}

thread_local! {
    static SCRATCH: std::cell::RefCell<SparseHist> = std::cell::RefCell::new(SparseHist::default());
}

/// The bins of a [`ScoreHistogram`] that hold a score, for per-segment (or per-class)
/// histograms in partials: as mergeable, and as small as the data in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseHist {
    /// Bins in use, strictly increasing.
    pub bins: Vec<u16>,
    /// Positives per bin in use.
    pub pos: Vec<u64>,
    /// Negatives per bin in use.
    pub neg: Vec<u64>,
}

impl SparseHist {
    /// Builds from sorted keys `bin << 1 | y`.
    pub fn from_sorted_keys(keys: &[u32]) -> Self {
        let mut h = SparseHist::default();
        for &k in keys {
            let (b, y) = ((k >> 1) as u16, k & 1 == 1);
            if h.bins.last() != Some(&b) {
                h.bins.push(b);
                h.pos.push(0);
                h.neg.push(0);
            }
            let i = h.bins.len() - 1;
            if y {
                h.pos[i] += 1;
            } else {
                h.neg[i] += 1;
            }
        }
        h
    }

    /// Adds `o` (a merge of the two sorted bin lists).
    pub fn merge(&mut self, o: &SparseHist) {
        if o.bins.is_empty() {
            return;
        }
        if self.bins.is_empty() {
            self.bins.extend_from_slice(&o.bins);
            self.pos.extend_from_slice(&o.pos);
            self.neg.extend_from_slice(&o.neg);
            return;
        }
        // Merged into a per-thread scratch, then copied back into `self`'s buffers: merging
        // thousands of per-segment histograms per chunk allocates nothing once warm.
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let out = &mut *scratch;
            out.bins.clear();
            out.pos.clear();
            out.neg.clear();
            let (mut i, mut j) = (0, 0);
            while i < self.bins.len() || j < o.bins.len() {
                let take_a =
                    j >= o.bins.len() || (i < self.bins.len() && self.bins[i] <= o.bins[j]);
                let take_b =
                    i >= self.bins.len() || (j < o.bins.len() && o.bins[j] <= self.bins[i]);
                let b = if take_a { self.bins[i] } else { o.bins[j] };
                let (mut p, mut n) = (0, 0);
                if take_a {
                    p += self.pos[i];
                    n += self.neg[i];
                    i += 1;
                }
                if take_b {
                    p += o.pos[j];
                    n += o.neg[j];
                    j += 1;
                }
                out.bins.push(b);
                out.pos.push(p);
                out.neg.push(n);
            }
            self.bins.clear();
            self.bins.extend_from_slice(&out.bins);
            self.pos.clear();
            self.pos.extend_from_slice(&out.pos);
            self.neg.clear();
            self.neg.extend_from_slice(&out.neg);
        });
    }

    /// Adds the counts into a dense histogram.
    pub fn add_to(&self, dense: &mut ScoreHistogram) {
        for (k, &b) in self.bins.iter().enumerate() {
            dense.pos[b as usize] += self.pos[k];
            dense.neg[b as usize] += self.neg[k];
        }
    }

    /// Approximate AUC (as [`ScoreHistogram::auc`]).
    pub fn auc(&self) -> Value {
        auc_of(self.pos.iter().copied().zip(self.neg.iter().copied()))
    }

    /// Its error bound (as [`ScoreHistogram::auc_error_bound`]).
    pub fn auc_error_bound(&self) -> Value {
        bound_of(self.pos.iter().copied().zip(self.neg.iter().copied()))
    }

    /// Positives and negatives counted.
    pub fn totals(&self) -> (u64, u64) {
        (self.pos.iter().sum(), self.neg.iter().sum())
    }

    /// Whether decoded bytes are well formed (lengths agree, bins increasing and in range).
    pub fn is_consistent(&self) -> bool {
        self.bins.len() == self.pos.len()
            && self.bins.len() == self.neg.len()
            && self.bins.windows(2).all(|w| w[0] < w[1])
            && self.bins.last().is_none_or(|&b| (b as usize) < HIST_BINS)
            && self
                .pos
                .iter()
                .chain(&self.neg)
                .all(|&c| c < crate::performance::confusion::MAX_COUNT)
    }
}

/// Histograms per group from keys `group << 32 | bin << 1 | y` (consumed, sorted here).
pub fn sparse_by_group(keys: Vec<u64>, groups: usize) -> Vec<SparseHist> {
    let mut out = vec![SparseHist::default(); groups];
    add_sparse_by_group(keys, &mut out);
    out
}

/// Adds keys `group << 32 | bin << 1 | y` (any order) to the per-group histograms `out`;
/// only the groups present are touched.
pub fn add_sparse_by_group(mut keys: Vec<u64>, out: &mut [SparseHist]) {
    keys.sort_unstable();
    let mut start = 0;
    while start < keys.len() {
        let group = keys[start] >> 32;
        let mut end = start;
        while end < keys.len() && keys[end] >> 32 == group {
            end += 1;
        }
        let low: Vec<u32> = keys[start..end].iter().map(|&k| k as u32).collect();
        out[group as usize].merge(&SparseHist::from_sorted_keys(&low));
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(pos: &[f64], neg: &[f64]) -> f64 {
        let mut s = 0.0;
        for &a in pos {
            for &b in neg {
                s += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
        s / (pos.len() * neg.len()) as f64
    }

    #[test]
    fn exact_matches_pairs_with_ties_and_radix() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 1000) as f64 / 1000.0
        };
        let pos: Vec<f64> = (0..5000).map(|_| next()).collect();
        let neg: Vec<f64> = (0..4000).map(|_| next() * 0.9).collect();
        let want = brute(&pos, &neg);
        let got = exact_auc_sorted(&pos, &neg).unwrap();
        assert!((got - want).abs() < 1e-12);
        let h = {
            let mut h = ScoreHistogram::default();
            pos.iter().for_each(|&p| h.add(p, true));
            neg.iter().for_each(|&p| h.add(p, false));
            h
        };
        let approx = h.auc().unwrap();
        assert!((approx - want).abs() <= h.auc_error_bound().unwrap() + 1e-12);
        let mut keys: Vec<u64> = pos.iter().chain(&neg).map(|&x| key(x)).collect();
        let mut want_keys = keys.clone();
        radix_sort(&mut keys);
        want_keys.sort_unstable();
        assert_eq!(keys, want_keys);
    }

    #[test]
    fn negative_zero_and_extremes() {
        let got = exact_auc_sorted(&[0.0, 1.0], &[-0.0, 0.5]).unwrap();
        // -0.0 and 0.0 are equal scores for scikit-learn.
        assert!((got - 0.625).abs() < 1e-12);
    }
}
