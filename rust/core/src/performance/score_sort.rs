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
    for (r, s) in src.iter().zip(subs.iter_mut()) {
        let k = sub(r);
        *s = k as u16;
        counts[k + 1] += 1;
    }
    // Whether a sub-bucket needs a sort of its own (checked while the counts add up).
    let mut large = false;
    for k in 0..nb {
        large |= counts[k + 1] as usize > SMALL;
        counts[k + 1] += counts[k];
    }
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
