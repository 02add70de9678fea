//! A KLL quantile sketch over `f64` (Karnin, Lang and Liberty, 2016), laid out as Apache
//! DataSketches lays it out (level capacities `max(8, k * (2/3)^depth)`), with one change:
//! the coin that picks the odd or even items of a compaction is drawn from a generator
//! seeded by the sketch's own state, so the same input in the same order always gives the
//! same sketch. Profiles computed with 1 or 16 threads are then identical.
//!
//! # Error bound
//! With `k = 200`, the normalised rank error of `quantile` and `rank` is at most about
//! 1.33% with 99% confidence (single-sided; about 1.65% for a histogram's bin masses),
//! DataSketches' published figure for this layout. It holds after any sequence of merges
//! of sketches of the same `k`; sketches of different `k` are refused (see [`Kll::merge`]).
//!
//! # Complexity
//! `update` is amortised O(log k) (sorting the lowest level when it compacts); the sketch
//! retains O(k log(n/k)) items (a few hundred at k = 200); a query sorts them once.

use serde::{Deserialize, Serialize};

mod sampler;
pub use sampler::sample_level;

/// Default `k`: about 1.3% rank error.
pub const DEFAULT_K: u16 = 200;
const MIN_LEVEL_CAPACITY: usize = 8;
/// Level 0 may grow to this many items between compactions during bulk updates: fewer,
/// larger sorts (cheaper per item) and fewer weight-1 compactions (less error, never more).
/// [`Kll::shrink`] brings it back to the standard layout before the sketch is stored.
const BULK_LEVEL0: usize = 2048;

/// A mergeable, deterministic KLL quantile sketch of `f64` values (NaN is never inserted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kll {
    k: u16,
    n: u64,
    /// `levels[h]` holds items of weight `2^h`; every level above 0 is sorted.
    levels: Vec<Vec<f64>>,
    min: f64,
    max: f64,
    /// State of the coin generator (splitmix64), advanced at each compaction.
    coin: u64,
    /// Bulk updates take one value per block of `2^sample_level` (see [`sampler`]); 0
    /// takes every value. How values come in, not part of what the sketch holds.
    #[serde(skip)]
    sample_level: u8,
}

/// Equal sketches hold the same items; how they take in new values does not count.
impl PartialEq for Kll {
    fn eq(&self, other: &Self) -> bool {
        self.k == other.k
            && self.n == other.n
            && self.levels == other.levels
            && self.min == other.min
            && self.max == other.max
            && self.coin == other.coin
    }
}

impl Default for Kll {
    fn default() -> Self {
        Self::new(DEFAULT_K)
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Kll {
    /// An empty sketch with parameter `k` (clamped to at least 8).
    pub fn new(k: u16) -> Self {
        Self {
            k: k.max(8),
            n: 0,
            levels: vec![Vec::new()],
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            coin: 0x5EED_D41F_71E0_0001,
            sample_level: 0,
        }
    }

    /// Number of values seen.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// True when no value has been seen.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The parameter `k`.
    pub fn k(&self) -> u16 {
        self.k
    }

    /// Smallest value seen, if any.
    pub fn min(&self) -> Option<f64> {
        (self.n > 0).then_some(self.min)
    }

    /// Largest value seen, if any.
    pub fn max(&self) -> Option<f64> {
        (self.n > 0).then_some(self.max)
    }

    /// Number of items retained (the sketch's size).
    pub fn retained(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// The normalised rank error bound (99% confidence, single-sided) for this `k`:
    /// DataSketches' empirical fit `2.296 / k^0.9723`.
    pub fn rank_error(&self) -> f64 {
        2.296 / f64::from(self.k).powf(0.9723)
    }

    fn level_capacity(&self, level: usize) -> usize {
        let depth = self.levels.len() - 1 - level;
        let cap = (f64::from(self.k) * (2.0f64 / 3.0).powi(depth as i32)).ceil() as usize;
        cap.max(MIN_LEVEL_CAPACITY)
    }

    fn total_capacity(&self) -> usize {
        (0..self.levels.len()).map(|h| self.level_capacity(h)).sum()
    }

    /// Adds one value. NaN must be filtered out by the caller (it has no rank).
    #[inline]
    pub fn update(&mut self, value: f64) {
        debug_assert!(!value.is_nan());
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.n += 1;
        self.levels[0].push(value);
        if self.levels[0].len() >= self.level0_budget() {
            self.compress();
        }
    }

    /// Adds every value of a slice that is not NaN.
    pub fn update_slice(&mut self, values: &[f64]) {
        if self.sample_level > 0 {
            let clean: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            let (lo, hi) = clean
                .iter()
                .fold((self.min, self.max), |(l, h), &v| (l.min(v), h.max(v)));
            self.min = lo;
            self.max = hi;
            self.update_sampled(&clean);
            return;
        }
        let mut lo = self.min;
        let mut hi = self.max;
        let mut added = 0u64;
        for block in values.chunks(BULK_LEVEL0) {
            let level0 = &mut self.levels[0];
            for &v in block {
                if !v.is_nan() {
                    lo = if v < lo { v } else { lo };
                    hi = if v > hi { v } else { hi };
                    level0.push(v);
                    added += 1;
                }
            }
            if self.levels[0].len() >= BULK_LEVEL0.max(self.level0_budget()) {
                self.n += added;
                added = 0;
                self.compress();
            }
        }
        self.n += added;
        self.min = lo;
        self.max = hi;
        if self.levels[0].len() >= BULK_LEVEL0.max(self.level0_budget()) {
            self.compress();
        }
    }

    /// Adds a slice known to hold no NaN, whose smallest and largest values the caller
    /// has already found: copied into level 0 in blocks, without a test per value. The
    /// sketch is the one [`Kll::update_slice`] builds from the same slice.
    pub fn update_clean_slice(&mut self, values: &[f64], lo: f64, hi: f64) {
        debug_assert!(!values.iter().any(|v| v.is_nan()));
        self.min = self.min.min(lo);
        self.max = self.max.max(hi);
        if self.sample_level > 0 {
            self.update_sampled(values);
            return;
        }
        for block in values.chunks(BULK_LEVEL0) {
            self.levels[0].extend_from_slice(block);
            self.n += block.len() as u64;
            if self.levels[0].len() >= BULK_LEVEL0.max(self.level0_budget()) {
                self.compress();
            }
        }
    }

    /// Compacts level 0 back to the standard layout (done before storing a sketch, so a
    /// stored column profile stays a few kilobytes).
    pub fn shrink(&mut self) {
        while self.levels[0].len() > self.level0_budget() {
            self.compact_level(0);
            self.compress();
        }
    }

    /// Room level 0 may use before a compaction: the total capacity minus what the upper
    /// levels hold (the DataSketches rule: compact when the whole sketch is full).
    fn level0_budget(&self) -> usize {
        let upper: usize = self.levels[1..].iter().map(Vec::len).sum();
        self.total_capacity()
            .saturating_sub(upper)
            .max(MIN_LEVEL_CAPACITY)
    }

    /// Compacts levels until the sketch fits its capacity.
    fn compress(&mut self) {
        while self.retained() >= self.total_capacity() {
            let Some(level) =
                (0..self.levels.len()).find(|&h| self.levels[h].len() >= self.level_capacity(h))
            else {
                break;
            };
            self.compact_level(level);
        }
    }

    fn compact_level(&mut self, level: usize) {
        if level + 1 == self.levels.len() {
            self.levels.push(Vec::new());
        }
        if level == 0 {
            self.compact_level0();
            return;
        }
        let mut items = std::mem::take(&mut self.levels[level]);
        // An odd item stays behind at its level so that weights are conserved.
        let leftover = if items.len() % 2 == 1 {
            // Keep the smallest when the coin says so, the largest otherwise: either is unbiased.
            Some(items.remove(0))
        } else {
            None
        };
        let offset = (splitmix64(&mut self.coin) & 1) as usize;
        let promoted: Vec<f64> = items.iter().skip(offset).step_by(2).copied().collect();
        let above = std::mem::take(&mut self.levels[level + 1]);
        self.levels[level + 1] = merge_sorted(&promoted, &above);
        if let Some(v) = leftover {
            self.levels[level].push(v);
        }
    }

    /// Level 0 is unsorted: sorted as integer keys, of which only the promoted half is
    /// turned back into floats; the level keeps its allocation for the next fill.
    fn compact_level0(&mut self) {
        let keys = super::radix::sorted_keys(&self.levels[0]);
        let (leftover, rest) = if keys.len() % 2 == 1 {
            (Some(super::radix::value_of(keys[0])), &keys[1..])
        } else {
            (None, &keys[..])
        };
        let offset = (splitmix64(&mut self.coin) & 1) as usize;
        let promoted: Vec<f64> = rest
            .iter()
            .skip(offset)
            .step_by(2)
            .map(|&k| super::radix::value_of(k))
            .collect();
        let above = std::mem::take(&mut self.levels[1]);
        self.levels[1] = merge_sorted(&promoted, &above);
        let level0 = &mut self.levels[0];
        level0.clear();
        level0.extend(leftover);
    }

    /// Merges `other` into `self`; the result summarises both streams.
    ///
    /// # Errors
    /// [`crate::DriftlineError::SchemaMismatch`] when the sketches have different `k`: the
    /// merged levels would keep this sketch's capacities, so neither bound would hold for
    /// the other's items and the result would depend on the order of the merge.
    pub fn merge(&mut self, other: &Kll) -> crate::Result<()> {
        if self.k != other.k {
            return Err(crate::DriftlineError::SchemaMismatch(format!(
                "quantile sketches of different k ({} and {})",
                self.k, other.k
            )));
        }
        if other.n == 0 {
            return Ok(());
        }
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        while self.levels.len() < other.levels.len() {
            self.levels.push(Vec::new());
        }
        self.levels[0].extend_from_slice(&other.levels[0]);
        for (h, items) in other.levels.iter().enumerate().skip(1) {
            let mine = std::mem::take(&mut self.levels[h]);
            self.levels[h] = merge_sorted(&mine, items);
        }
        self.n += other.n;
        self.coin ^= other.coin.rotate_left(17);
        self.compress();
        Ok(())
    }

    /// The retained items with their weights, sorted by value.
    fn sorted_weighted(&self) -> Vec<(f64, u64)> {
        // Levels above 0 are sorted runs: only level 0 is sorted here, then the runs are
        // merged (a comparison sort of everything cost most of a profile comparison).
        let mut level0 = self.levels[0].clone();
        level0.sort_unstable_by(f64::total_cmp);
        let mut all: Vec<(f64, u64)> = level0.into_iter().map(|v| (v, 1)).collect();
        for (h, items) in self.levels.iter().enumerate().skip(1) {
            let w = 1u64 << h;
            let mut out = Vec::with_capacity(all.len() + items.len());
            let (mut i, mut j) = (0, 0);
            while i < all.len() && j < items.len() {
                if all[i].0 <= items[j] {
                    out.push(all[i]);
                    i += 1;
                } else {
                    out.push((items[j], w));
                    j += 1;
                }
            }
            out.extend_from_slice(&all[i..]);
            out.extend(items[j..].iter().map(|&v| (v, w)));
            all = out;
        }
        all
    }

    /// Values and cumulative weights (a step CDF), for statistics between sketches.
    pub fn cdf_points(&self) -> (Vec<f64>, Vec<u64>) {
        let all = self.sorted_weighted();
        let mut cum = 0u64;
        let mut values = Vec::with_capacity(all.len());
        let mut weights = Vec::with_capacity(all.len());
        for (v, w) in all {
            cum += w;
            values.push(v);
            weights.push(cum);
        }
        (values, weights)
    }

    /// The value at normalised rank `q` in `[0, 1]` (inclusive rule: the smallest retained
    /// value whose cumulative weight reaches `q * n`); `q = 0` and `q = 1` give the exact
    /// min and max. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.n == 0 || q.is_nan() {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        if q == 0.0 {
            return Some(self.min);
        }
        if q == 1.0 {
            return Some(self.max);
        }
        let (values, cum) = self.cdf_points();
        let target = (q * self.n as f64).ceil() as u64;
        let idx = cum.partition_point(|&c| c < target).min(values.len() - 1);
        Some(values[idx])
    }

    /// Several quantiles with one sort of the retained items.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<Option<f64>> {
        if self.n == 0 {
            return vec![None; qs.len()];
        }
        let (values, cum) = self.cdf_points();
        qs.iter()
            .map(|&q| {
                if q.is_nan() {
                    return None;
                }
                let q = q.clamp(0.0, 1.0);
                if q == 0.0 {
                    return Some(self.min);
                }
                if q == 1.0 {
                    return Some(self.max);
                }
                let target = (q * self.n as f64).ceil() as u64;
                Some(values[cum.partition_point(|&c| c < target).min(values.len() - 1)])
            })
            .collect()
    }

    /// Approximate fraction of values `<= x` (or `< x` when `inclusive` is false).
    pub fn rank(&self, x: f64, inclusive: bool) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let mut below = 0u64;
        for (h, items) in self.levels.iter().enumerate() {
            let w = 1u64 << h;
            let c = items
                .iter()
                .filter(|&&v| if inclusive { v <= x } else { v < x })
                .count() as u64;
            below += c * w;
        }
        Some(below as f64 / self.n as f64)
    }
}

fn merge_sorted(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

impl Kll {
    /// True when the levels are valid (checked after decoding): at least one level, upper
    /// levels sorted, no NaN, weights adding up to `n`.
    pub fn is_consistent(&self) -> bool {
        if self.k < 8 || self.levels.is_empty() || self.levels.len() > 64 {
            return false;
        }
        let mut weight: u128 = 0;
        for (h, items) in self.levels.iter().enumerate() {
            // Folds without early exit vectorise; a NaN fails the order check as well.
            let has_nan = items.iter().fold(false, |acc, v| acc | v.is_nan());
            let unsorted = h > 0 && items.windows(2).fold(false, |acc, w| acc | (w[0] > w[1]));
            if has_nan || unsorted {
                return false;
            }
            weight += (items.len() as u128) << h;
        }
        weight == u128::from(self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn rank_error_within_bound() {
        let mut s = 42u64;
        let mut xs: Vec<f64> = (0..1_000_000).map(|_| lcg(&mut s)).collect();
        let mut k = Kll::default();
        k.update_slice(&xs);
        assert_eq!(k.count(), 1_000_000);
        xs.sort_unstable_by(f64::total_cmp);
        for q in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99] {
            let v = k.quantile(q).unwrap();
            let true_rank = xs.partition_point(|&x| x <= v) as f64 / xs.len() as f64;
            assert!(
                (true_rank - q).abs() <= k.rank_error(),
                "q={q} rank={true_rank}"
            );
        }
        assert_eq!(k.quantile(0.0), Some(xs[0]));
        assert_eq!(k.quantile(1.0), Some(xs[xs.len() - 1]));
        assert!(k.retained() < 2_000);
    }

    #[test]
    fn merge_keeps_bound_and_is_deterministic() {
        let mut s = 7u64;
        let xs: Vec<f64> = (0..200_000).map(|_| lcg(&mut s) * 100.0).collect();
        let build = || {
            let mut parts: Vec<Kll> = xs
                .chunks(10_000)
                .map(|c| {
                    let mut k = Kll::default();
                    k.update_slice(c);
                    k
                })
                .collect();
            let mut acc = parts.remove(0);
            for p in &parts {
                acc.merge(p).unwrap();
            }
            acc
        };
        let a = build();
        assert_eq!(a, build());
        let mut sorted = xs.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        for q in [0.05, 0.5, 0.95] {
            let v = a.quantile(q).unwrap();
            let r = sorted.partition_point(|&x| x <= v) as f64 / sorted.len() as f64;
            assert!((r - q).abs() <= a.rank_error(), "q={q} r={r}");
        }
    }

    #[test]
    fn sketches_of_different_k_do_not_merge() {
        let mut small = Kll::new(8);
        small.update_slice(&[1.0, 2.0]);
        let mut big = Kll::new(2000);
        big.update_slice(&[3.0]);
        let (before_small, before_big) = (small.clone(), big.clone());
        for (a, b) in [(&mut small, &before_big), (&mut big, &before_small)] {
            match a.merge(b) {
                Err(crate::DriftlineError::SchemaMismatch(msg)) => {
                    assert!(msg.contains("different k"), "{msg}");
                }
                other => panic!("expected a schema mismatch, got {other:?}"),
            }
        }
        assert_eq!((small, big), (before_small, before_big));
        // An empty sketch of another k is refused too: its k says what the profile is.
        assert!(Kll::new(8).merge(&Kll::new(200)).is_err());
    }

    #[test]
    fn small_inputs_are_exact() {
        let mut k = Kll::default();
        k.update_slice(&[3.0, 1.0, f64::NAN, 2.0]);
        assert_eq!(k.count(), 3);
        assert_eq!(k.quantile(0.5), Some(2.0));
        assert_eq!(Kll::default().quantile(0.5), None);
    }

    #[test]
    fn the_clean_path_builds_the_same_sketch() {
        let mut seed = 5u64;
        let xs: Vec<f64> = (0..100_000)
            .map(|_| lcg(&mut seed) * 100.0 - 50.0)
            .collect();
        let (lo, hi) = xs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        let mut a = Kll::default();
        let mut b = Kll::default();
        for part in xs.chunks(30_000) {
            a.update_slice(part);
            let (l, h) = part
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                });
            b.update_clean_slice(part, l, h);
        }
        assert_eq!(a, b);
        assert_eq!((b.min, b.max), (lo, hi));
    }
}
