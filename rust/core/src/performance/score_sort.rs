//! Sorting a few thousand records by key in cache, where the key orders the records by a
//! score in a known interval: the score buckets and segments of the binary one pass.
//!
//! # Definition
//! A counting sort on the score's place in the interval (monotone in the score: a
//! rounded subtraction and product of non-negative values), a comparison sort of the
//! sub-buckets that stay large, and an insertion sort of the whole (records only move
//! within their sub-bucket). The key must order the records by score first, so that the
//! sub-buckets are in key order too.
//!
//! # Complexity
//! O(n) for spread-out scores; O(n log n) at worst (all in one sub-bucket).

use crate::prefetch::for_each_streamed;

/// A thread's buffers for [`sort_by_score`]: the sub-buckets' counts, and each record's
/// sub-bucket (at most [`MAX_SUB`], so a `u16`).
#[derive(Default)]
pub struct SortBufs {
    counts: Vec<u32>,
    subs: Vec<u16>,
}

/// Sub-buckets of a sort, at most.
const MAX_SUB: usize = 1 << 13;
/// Sub-buckets up to this size are left to the final insertion sort.
const SMALL: usize = 16;

/// Sorts `src` by `key` into `dst` (of the same length), for records whose `score` lies
/// in `[lo, lo + width]` (a score above, such as a marker sorted last, goes to the last
/// sub-bucket; `key` must order the records by score first).
pub fn sort_by_score<T: Copy>(
    src: &[T],
    dst: &mut [T],
    (lo, width): (f64, f64),
    bufs: &mut SortBufs,
    score: impl Fn(&T) -> f64,
    key: impl Fn(&T) -> u64 + Copy,
) {
    let n = src.len();
    if n <= 2 * SMALL {
        dst.copy_from_slice(src);
        insertion_sort(dst, key);
        return;
    }
    let nb = n.next_power_of_two().min(MAX_SUB);
    let scale = nb as f64 / width;
    let sub = |r: &T| (((score(r) - lo) * scale) as usize).min(nb - 1);
    let counts = &mut bufs.counts;
    counts.clear();
    counts.resize(nb + 1, 0);
    // Each record's sub-bucket, kept for the placing loop.
    let subs = &mut bufs.subs;
    subs.clear();
    subs.resize(n, 0);
    // The records are cold in memory (the previous bucket's in-cache work stopped the
    // hardware's streams): asked for ahead, this pass takes a quarter of the time.
    for_each_streamed(src, |i, r| subs[i] = sub(r) as u16);
    for &k in subs.iter() {
        counts[usize::from(k) + 1] += 1;
    }
    // Starts of the sub-buckets, the running sum in a register (a sum through memory
    // waits on a store per sub-bucket); and whether one needs a sort of its own.
    let (mut at, mut most) = (0u32, 0u32);
    for c in counts.iter_mut() {
        most = most.max(*c);
        at += *c;
        *c = at;
    }
    let large = most as usize > SMALL;
    for (r, &k) in src.iter().zip(subs.iter()) {
        let k = k as usize;
        dst[counts[k] as usize] = *r;
        counts[k] += 1;
    }
    // counts[k] is now the end of sub-bucket k.
    if large {
        let mut start = 0usize;
        for &end in &counts[..nb] {
            let end = end as usize;
            if end - start > SMALL {
                dst[start..end].sort_unstable_by_key(key);
            }
            start = end;
        }
    }
    insertion_sort(dst, key);
}

/// Insertion sort by key, for records nearly in order: a record already after its
/// predecessor costs one comparison and no write.
fn insertion_sort<T: Copy>(v: &mut [T], key: impl Fn(&T) -> u64) {
    for i in 1..v.len() {
        let k = key(&v[i]);
        if key(&v[i - 1]) <= k {
            continue;
        }
        let x = v[i];
        let mut j = i;
        while j > 0 && key(&v[j - 1]) > k {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::performance::test_rng::lcg;

    /// Sorts `scores` (with a payload each) and checks the result against a comparison
    /// sort of the same records.
    fn check(scores: &[f64], (lo, width): (f64, f64)) {
        let src: Vec<[u64; 2]> = scores
            .iter()
            .enumerate()
            .map(|(i, &s)| [s.to_bits() << 1 | (i as u64 & 1), i as u64])
            .collect();
        let mut dst = vec![[0u64; 2]; src.len()];
        let mut bufs = SortBufs::default();
        sort_by_score(
            &src,
            &mut dst,
            (lo, width),
            &mut bufs,
            |r| f64::from_bits(r[0] >> 1),
            |r| r[0],
        );
        let mut want = src.clone();
        want.sort_by_key(|r| r[0]);
        let keys = |v: &[[u64; 2]]| v.iter().map(|r| r[0]).collect::<Vec<_>>();
        assert_eq!(keys(&dst), keys(&want));
        let mut ids: Vec<u64> = dst.iter().map(|r| r[1]).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            (0..src.len() as u64).collect::<Vec<_>>(),
            "a record lost"
        );
    }

    #[test]
    fn equals_a_comparison_sort_on_spread_tied_and_clustered_scores() {
        let mut next = lcg(7);
        for n in [0, 1, 2, 31, 33, 100, 5_000, 40_000] {
            let spread: Vec<f64> = (0..n)
                .map(|_| next() as f64 / (1u64 << 53) as f64)
                .collect();
            check(&spread, (0.0, 1.0));
            // Few distinct values: long runs of ties in one sub-bucket.
            let tied: Vec<f64> = (0..n).map(|_| (next() % 3) as f64 / 4.0).collect();
            check(&tied, (0.0, 1.0));
            // All in a sliver of the interval: one sub-bucket holds nearly everything.
            let clustered: Vec<f64> = (0..n)
                .map(|_| 0.5 + (next() % 1000) as f64 * 1e-12)
                .collect();
            check(&clustered, (0.0, 1.0));
        }
    }

    #[test]
    fn a_score_above_the_interval_goes_last() {
        let mut next = lcg(11);
        let mut scores: Vec<f64> = (0..1000)
            .map(|_| 0.25 + (next() % 1000) as f64 / 4000.0)
            .collect();
        scores.extend([2.0, 3.0, 0.5]);
        check(&scores, (0.25, 0.25));
    }
}
