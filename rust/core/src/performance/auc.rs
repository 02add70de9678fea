//! ROC AUC, exact and approximate.
//!
//! # Definition
//! AUC = P(score of a positive > score of a negative) + 0.5 P(equal scores), the
//! Mann-Whitney form of the area under the ROC curve; with ties it equals scikit-learn's
//! `roc_auc_score` (trapezoids over tied thresholds).
//!
//! The exact mode sorts the positives' and the negatives' scores separately and counts the
//! pairs in one merge walk with integer arithmetic; it needs the scores at hand (memory
//! O(n)), so it is not mergeable. The approximate mode counts scores in
//! [`HIST_BINS`] equal bins over [0, 1] per class: mergeable, a few tens of KB, and its
//! error is at most half the share of (positive, negative) pairs that fall in the same
//! bin, a bound reported with the value ([`ScoreHistogram::auc_error_bound`]).
//!
//! # Complexity
//! Exact: O(n log n) (a radix sort, parallel over the two classes). Approximate: O(n)
//! and O(bins) to evaluate.

use serde::{Deserialize, Serialize};

use crate::performance::confusion::Value;

/// Bins of the approximate AUC's histograms.
pub const HIST_BINS: usize = 8192;

/// Maps a float to a `u64` whose unsigned order is the float's total order.
#[inline]
fn key(x: f64) -> u64 {
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
fn radix_sort(v: &mut Vec<u64>) {
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

/// Exact ROC AUC of the positives' and negatives' scores (consumed: they are sorted in
/// place as keys).
pub fn exact_auc(pos: Vec<f64>, neg: Vec<f64>) -> Value {
    if pos.is_empty() {
        return Err("no positive labels: ROC AUC is undefined with one class");
    }
    if neg.is_empty() {
        return Err("no negative labels: ROC AUC is undefined with one class");
    }
    let to_keys = |v: Vec<f64>| -> Vec<u64> {
        let mut k: Vec<u64> = v.into_iter().map(key).collect();
        radix_sort(&mut k);
        k
    };
    let (p, n) = rayon::join(|| to_keys(pos), || to_keys(neg));
    Ok(auc_sorted_keys(&p, &n))
}

/// AUC of sorted keys: for each positive, the negatives below it plus half the ties.
fn auc_sorted_keys(p: &[u64], n: &[u64]) -> f64 {
    // Twice the Mann-Whitney U, exact in u128.
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
    u2 as f64 / (2.0 * p.len() as f64 * n.len() as f64)
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
        let b = ((p * HIST_BINS as f64) as usize).min(HIST_BINS - 1);
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

    fn totals(&self) -> (f64, f64) {
        (
            self.pos.iter().sum::<u64>() as f64,
            self.neg.iter().sum::<u64>() as f64,
        )
    }

    /// Approximate AUC: pairs in different bins are ordered by bin, pairs in one bin
    /// count one half.
    pub fn auc(&self) -> Value {
        let (np, nn) = self.totals();
        if np == 0.0 || nn == 0.0 {
            return Err("one class only: ROC AUC is undefined");
        }
        let mut below = 0u128;
        let mut u2 = 0u128;
        for b in 0..self.pos.len() {
            u2 += self.pos[b] as u128 * (2 * below + self.neg[b] as u128);
            below += self.neg[b] as u128;
        }
        Ok(u2 as f64 / (2.0 * np * nn))
    }

    /// Upper bound of |approximate - exact| AUC: half the share of pairs sharing a bin.
    pub fn auc_error_bound(&self) -> Value {
        let (np, nn) = self.totals();
        if np == 0.0 || nn == 0.0 {
            return Err("one class only: ROC AUC is undefined");
        }
        let same: u128 = self
            .pos
            .iter()
            .zip(&self.neg)
            .map(|(&a, &b)| a as u128 * b as u128)
            .sum();
        Ok(same as f64 / (2.0 * np * nn))
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
        let got = exact_auc(pos.clone(), neg.clone()).unwrap();
        assert!((got - want).abs() < 1e-12);
        let h = {
            let mut h = ScoreHistogram::default();
            pos.iter().for_each(|&p| h.add(p, true));
            neg.iter().for_each(|&p| h.add(p, false));
            h
        };
        let approx = h.auc().unwrap();
        assert!((approx - want).abs() <= h.auc_error_bound().unwrap() + 1e-12);
        assert!((exact_auc_sorted(&pos, &neg).unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn negative_zero_and_extremes() {
        let got = exact_auc(vec![0.0, 1.0], vec![-0.0, 0.5]).unwrap();
        // -0.0 and 0.0 are equal scores for scikit-learn.
        assert!((got - 0.625).abs() < 1e-12);
    }
}
