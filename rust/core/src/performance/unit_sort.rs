//! Sorting the scores of the exact ROC AUC when they are probabilities: keys
//! `score.to_bits() << 1 | y` of scores in [0, 1] (the key order is the score order, then
//! negatives before positives), sorted by value buckets, alone or carrying a payload
//! ([`UnitKey`]), and the Mann-Whitney U of the sorted keys.
//!
//! # Complexity
//! O(n) for spread-out scores (a counting sort per level, an insertion sort of a few keys
//! per bucket); O(n log n) at worst (a comparison sort below [`MAX_DEPTH`] levels).

/// A record sorted by a key `score.to_bits() << 1 | y`.
pub trait UnitKey: Copy + Default {
    /// The sort key.
    fn key(&self) -> u64;
}

impl UnitKey for u64 {
    #[inline]
    fn key(&self) -> u64 {
        *self
    }
}

/// A key and its payload (the key first).
impl UnitKey for [u64; 2] {
    #[inline]
    fn key(&self) -> u64 {
        self[0]
    }
}

/// Sorts keys `score.to_bits() << 1 | y` of scores in [0, 1] (no -0.0) with a per-thread
/// scratch ([`UnitSorter`]).
pub fn sort_unit_keys(keys: &mut [u64]) {
    SORTER.with(|cell| cell.borrow_mut().sort(keys));
}

/// Sorts records by their keys, as [`sort_unit_keys`] (records with equal keys in any
/// order), with the caller's scratch.
pub fn sort_unit_records<T: UnitKey>(recs: &mut [T], scratch: &mut UnitSorter<T>) {
    scratch.sort(recs);
}

/// Twice the Mann-Whitney U of records sorted by key `score.to_bits() << 1 | y` (bit 63
/// of a key is ignored: a payload), the positives and the negatives: per run of equal
/// scores (its negatives sort first), each positive counts the negatives below it twice
/// and those of its run once.
pub fn u2_of_sorted<T: UnitKey>(keys: &[T]) -> (u128, u64, u64) {
    const MASK: u64 = !(1 << 63);
    let (mut u2, mut below, mut np) = (0u128, 0u64, 0u64);
    let mut i = 0;
    while i < keys.len() {
        let v = (keys[i].key() & MASK) >> 1;
        let (mut p, mut q) = (0u64, 0u64);
        while i < keys.len() && (keys[i].key() & MASK) >> 1 == v {
            if keys[i].key() & 1 == 1 {
                p += 1;
            } else {
                q += 1;
            }
            i += 1;
        }
        u2 += u128::from(p) * u128::from(2 * below + q);
        below += q;
        np += p;
    }
    (u2, np, below)
}

thread_local! {
    static SORTER: std::cell::RefCell<UnitSorter<u64>> = std::cell::RefCell::new(UnitSorter::default());
}

/// Most buckets of one level of [`UnitSorter`].
const MAX_BUCKETS: usize = 4096;
/// Levels of buckets before falling back to a comparison sort.
const MAX_DEPTH: usize = 3;

/// Sorts keys `score.to_bits() << 1 | y` of scores in [0, 1] by value buckets: a counting
/// sort on `(score - min) / (max - min)` cut into about n equal buckets, applied again
/// inside large buckets, and an insertion sort inside small ones. Scores that are spread
/// out (probabilities) sort in O(n); clustered ones fall back to a comparison sort after
/// [`MAX_DEPTH`] levels. The bucket of a score is monotone in the score (a rounded
/// subtraction and product of non-negative values), so the result is sorted by key.
pub struct UnitSorter<T> {
    tmp: Vec<T>,
    counts: Vec<u32>,
}

impl<T> Default for UnitSorter<T> {
    fn default() -> Self {
        Self {
            tmp: Vec::new(),
            counts: Vec::new(),
        }
    }
}

impl<T: UnitKey> UnitSorter<T> {
    fn sort(&mut self, keys: &mut [T]) {
        if self.tmp.len() < keys.len() {
            self.tmp.resize(keys.len(), T::default());
        }
        self.counts.resize((MAX_BUCKETS + 1) * MAX_DEPTH, 0);
        sort_level(keys, &mut self.tmp[..keys.len()], &mut self.counts, 0);
    }
}

fn sort_level<T: UnitKey>(keys: &mut [T], tmp: &mut [T], counts: &mut [u32], depth: usize) {
    let n = keys.len();
    if n <= SMALL {
        insertion_sort(keys);
        return;
    }
    // u32 bucket counts: longer inputs take the comparison sort.
    if depth >= MAX_DEPTH || n <= 64 || n > u32::MAX as usize {
        keys.sort_unstable_by_key(UnitKey::key);
        return;
    }
    let (mut kmin, mut kmax) = (u64::MAX, 0u64);
    for k in keys.iter() {
        kmin = kmin.min(k.key());
        kmax = kmax.max(k.key());
    }
    let val = |k: u64| f64::from_bits(k >> 1);
    let (lo, hi) = (val(kmin), val(kmax));
    let nb = n.next_power_of_two().min(MAX_BUCKETS);
    let scale = nb as f64 / (hi - lo);
    if kmin >> 1 == kmax >> 1 || !scale.is_finite() {
        keys.sort_unstable_by_key(UnitKey::key);
        return;
    }
    let bucket = |k: &T| (((val(k.key()) - lo) * scale) as usize).min(nb - 1);
    let (level, rest) = counts.split_at_mut(MAX_BUCKETS + 1);
    let c = &mut level[..=nb];
    c.iter_mut().for_each(|x| *x = 0);
    for k in keys.iter() {
        c[bucket(k) + 1] += 1;
    }
    for b in 0..nb {
        c[b + 1] += c[b];
    }
    // Place each key after the keys of lower buckets (c[b] is the next free slot of b).
    for k in keys.iter() {
        let b = bucket(k);
        tmp[c[b] as usize] = *k;
        c[b] += 1;
    }
    keys.copy_from_slice(tmp);
    // After placing, c[b] is the end of bucket b (and the start of b + 1). Large buckets
    // are sorted alone; then one insertion sort over the whole slice sorts the small ones,
    // in O(n + sum of their squared sizes): keys only move within their bucket.
    let mut start = 0usize;
    for &end in &c[..nb] {
        let end = end as usize;
        if end - start > SMALL {
            sort_level(&mut keys[start..end], &mut tmp[start..end], rest, depth + 1);
        }
        start = end;
    }
    insertion_sort(keys);
}

/// Buckets up to this size are left to the final insertion sort.
const SMALL: usize = 24;

fn insertion_sort<T: UnitKey>(v: &mut [T]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1].key() > x.key() {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::performance::auc::exact_auc_sorted;

    #[test]
    fn sorted_keys_give_the_exact_auc_on_spread_tied_and_clustered_scores() {
        let mut state = 11u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for (n, grid) in [(50, 10.0), (3000, 1000.0), (20000, 0.0), (5000, 3.0)] {
            let (mut pos, mut neg, mut keys) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..n {
                let u = (next() as f64) / (1u64 << 53) as f64;
                // Ties on a grid, or spread out; a cluster of tiny values in a few runs.
                let v = if grid > 0.0 {
                    (u * grid).round() / grid
                } else {
                    u
                };
                let v = if i % 7 == 0 { v * 1e-9 } else { v };
                let y = next() % 3 == 0;
                if y {
                    pos.push(v)
                } else {
                    neg.push(v)
                }
                keys.push(v.to_bits() << 1 | u64::from(y));
            }
            let want = exact_auc_sorted(&pos, &neg).unwrap();
            sort_unit_keys(&mut keys);
            assert!(keys.windows(2).all(|w| w[0] <= w[1]));
            let (u2, p, q) = u2_of_sorted(&keys);
            assert_eq!((p as usize, q as usize), (pos.len(), neg.len()));
            assert_eq!(u2 as f64 / (2.0 * p as f64 * q as f64), want);
        }
    }
}
