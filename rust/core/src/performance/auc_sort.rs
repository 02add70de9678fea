//! The exact ROC AUC of many scores of any range: the positives' and the negatives'
//! scores placed by value bucket in one parallel counting sort, then each bucket sorted in
//! cache and its pairs counted, the buckets walked in parallel.
//!
//! # Definition
//! The scores' finite range `[lo, hi]` is cut into [`BUCKETS`] equal buckets; a score's
//! bucket, `(x / 2 - lo / 2) * scale` rounded down and clamped (halved so that the range
//! of the largest doubles does not overflow), is monotone in the score, infinities
//! included: every score of a bucket is at most every score of the next. A score is kept
//! as its order-preserving key ([`auc::key`]: -0.0 and 0.0 one key). The counting sort
//! groups the negatives' keys by bucket, then the positives'. In each bucket the two
//! classes' keys are sorted and their pairs counted as in [`auc::u2_sorted_keys`]; a
//! positive also outranks every negative of the buckets below, so twice U adds up over
//! the buckets in order: `U2 += U2_b + 2 pos_b neg_below`. Integer counts throughout: the
//! result does not depend on the split into blocks or threads.
//!
//! # Complexity
//! O(n) for spread-out scores: three reads of the scores (range, count, place), the keys
//! written once and read once, each bucket sorted in cache ([`sort_by_score`]). A bucket
//! holding more than [`RADIX_FROM`] keys (scores bunched in a small part of their range)
//! is radix sorted, so skewed data costs no more than one radix sort of every key.

use rayon::prelude::*;

use crate::error::Result;
use crate::performance::auc::{self, key, radix_sort, u2_sorted_keys};
use crate::performance::confusion::Value;
use crate::performance::counting::counting_sort;
use crate::performance::score_sort::{sort_by_score, SortBufs};
use crate::performance::score_walk::{auc_value, cut_ranges};

/// Value buckets of each class.
const BUCKETS: usize = 2048;
/// Keys placed together.
const BATCH: usize = 256;
/// Keys of a bucket from which it is radix sorted rather than by value in cache.
const RADIX_FROM: usize = 1 << 17;
/// Scores from which the sort goes through buckets (fewer: one comparison sort).
const BUCKETED_FROM: usize = 1 << 16;

/// Labelled scores read in blocks: a pass calls [`ScoredRows::each`] on every block, in
/// parallel, and must see the same rows in the same order each time.
pub trait ScoredRows: Sync {
    /// Blocks of rows.
    fn blocks(&self) -> usize;
    /// Calls `f(y, score)` for every row of block `b` with a label `y` (0 or 1) and a
    /// score (not NaN), in order.
    fn each(&self, b: usize, f: impl FnMut(usize, f64));
}

/// The positives' and the negatives' scores, each cut into `parts` blocks.
struct Classes<'a> {
    pos: &'a [f64],
    neg: &'a [f64],
    parts: usize,
}

impl ScoredRows for Classes<'_> {
    fn blocks(&self) -> usize {
        2 * self.parts
    }

    fn each(&self, b: usize, mut f: impl FnMut(usize, f64)) {
        let (v, y, part) = if b < self.parts {
            (self.neg, 0, b)
        } else {
            (self.pos, 1, b - self.parts)
        };
        let per = v.len().div_ceil(self.parts).max(1);
        let from = (part * per).min(v.len());
        for &x in &v[from..(from + per).min(v.len())] {
            f(y, x);
        }
    }
}

/// Exact ROC AUC of the positives' and negatives' scores (no NaN).
///
/// # Errors
/// None in practice: a counting sort that placed fewer keys than it counted (a bug).
pub fn exact_auc(pos: &[f64], neg: &[f64]) -> Result<Value> {
    if pos.len() + neg.len() < BUCKETED_FROM {
        return Ok(auc::exact_auc_sorted(pos, neg));
    }
    let parts = rayon::current_num_threads().max(1);
    exact_auc_rows(&Classes { pos, neg, parts })
}

/// Exact ROC AUC of the labelled scores of `rows`.
///
/// # Errors
/// As [`exact_auc`].
pub fn exact_auc_rows(rows: &impl ScoredRows) -> Result<Value> {
    let blocks = rows.blocks();
    // The range of the finite scores.
    let (lo, hi) = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            rows.each(b, |_, x| {
                if x.is_finite() {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            });
            (lo, hi)
        })
        .reduce(
            || (f64::INFINITY, f64::NEG_INFINITY),
            |a, b| (a.0.min(b.0), a.1.max(b.1)),
        );
    let width = hi * 0.5 - lo * 0.5;
    // No finite score, or one value: every score in bucket 0 (its sort orders them).
    let scale = if width > 0.0 {
        BUCKETS as f64 / width
    } else {
        0.0
    };
    let half_lo = if lo.is_finite() { lo * 0.5 } else { 0.0 };
    // NaN is refused upstream; an infinity lands in the first or last bucket.
    let place = move |x: f64| (x * 0.5 - half_lo) * scale;
    let bucket = move |x: f64| (place(x) as usize).min(BUCKETS - 1);
    let sorted = counting_sort::<u64, _, _>(
        blocks,
        2 * BUCKETS,
        |b, counts| {
            rows.each(b, |y, x| counts[y * BUCKETS + bucket(x)] += 1);
            Ok(())
        },
        |b, placer| {
            // A batch of groups and keys at a time: the placer's loop runs over its arrays
            // taken out once.
            let (mut groups, mut keys, mut k) = ([0u32; BATCH], [0u64; BATCH], 0);
            rows.each(b, |y, x| {
                groups[k] = (y * BUCKETS + bucket(x)) as u32;
                keys[k] = key(x);
                k += 1;
                if k == BATCH {
                    placer.put_all(&groups, &keys);
                    k = 0;
                }
            });
            placer.put_all(&groups[..k], &keys[..k]);
            Ok(())
        },
    )?;
    let starts = &sorted.starts;
    let items = sorted.items();
    let rows_of =
        |b: usize| (starts[b + 1] - starts[b]) + (starts[BUCKETS + b + 1] - starts[BUCKETS + b]);
    let bounds = cut_ranges(BUCKETS, rows_of, starts[2 * BUCKETS]);
    let outs: Vec<(u128, u64, u64)> = bounds
        .par_windows(2)
        .map_init(
            || (Vec::new(), Vec::new(), SortBufs::default()),
            |(tn, tp, bufs), w| {
                let (mut u2, mut pos, mut neg) = (0u128, 0u64, 0u64);
                for b in w[0]..w[1] {
                    let n = sort_bucket(&items[starts[b]..starts[b + 1]], b, place, tn, bufs);
                    let p = sort_bucket(
                        &items[starts[BUCKETS + b]..starts[BUCKETS + b + 1]],
                        b,
                        place,
                        tp,
                        bufs,
                    );
                    u2 += u2_sorted_keys(p, n) + 2 * p.len() as u128 * u128::from(neg);
                    pos += p.len() as u64;
                    neg += n.len() as u64;
                }
                (u2, pos, neg)
            },
        )
        .collect();
    let (mut u2, mut pos, mut below) = (0u128, 0u64, 0u64);
    for (r_u2, r_pos, r_neg) in outs {
        // Each positive of this range also outranks every negative of the lower ranges.
        u2 += r_u2 + 2 * u128::from(r_pos) * u128::from(below);
        pos += r_pos;
        below += r_neg;
    }
    Ok(auc_value(u2, pos, below))
}

/// Sorts bucket `b`'s keys into `tmp` and returns them: by value in cache
/// ([`sort_by_score`] over `place`, which maps the bucket's scores to `[b, b + 1]`), or a
/// radix sort when the bucket is large.
fn sort_bucket<'t>(
    keys: &[u64],
    b: usize,
    place: impl Fn(f64) -> f64,
    tmp: &'t mut Vec<u64>,
    bufs: &mut SortBufs,
) -> &'t [u64] {
    tmp.clear();
    if keys.len() > RADIX_FROM {
        tmp.extend_from_slice(keys);
        radix_sort(tmp);
        return tmp;
    }
    tmp.resize(keys.len(), 0);
    sort_by_score(
        keys,
        tmp,
        (b as f64, 1.0),
        bufs,
        |&k| place(auc::score_of_key(k)),
        |&k| k,
    );
    tmp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::performance::test_rng::lcg;

    /// Twice U by brute force over the pairs.
    fn brute(pos: &[f64], neg: &[f64]) -> Value {
        let mut u2 = 0u128;
        for &a in pos {
            for &b in neg {
                u2 += if a > b {
                    2
                } else if a == b {
                    1
                } else {
                    0
                };
            }
        }
        auc_value(u2, pos.len() as u64, neg.len() as u64)
    }

    /// Random scores of a kind: spread, ties on a grid, bunched, extreme, infinite.
    fn scores(next: &mut impl FnMut() -> u64, n: usize, kind: u64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
                match kind {
                    0 => u * 2.0 - 0.5,
                    1 => (u * 40.0).round() / 8.0 - 2.0,
                    // Nearly all in one bucket, a few far away.
                    2 => match next() % 1000 {
                        0 => 1e300,
                        1 => -1e300,
                        _ => 0.5 + u * 1e-9,
                    },
                    3 => match next() % 7 {
                        0 => f64::INFINITY,
                        1 => f64::NEG_INFINITY,
                        2 => -0.0,
                        3 => 0.0,
                        4 => f64::MAX,
                        5 => f64::MIN,
                        _ => u - 0.5,
                    },
                    _ => 7.25,
                }
            })
            .collect()
    }

    #[test]
    fn equals_the_pairs_counted_one_by_one() {
        let mut next = lcg(11);
        for (np, nn, kind) in [
            (40_000usize, 30_000usize, 0u64),
            (35_000, 35_000, 1),
            (50_000, 20_000, 2),
            // One bucket past the radix sort's threshold.
            (140_000, 10_000, 2),
            (30_000, 40_000, 3),
            (36_000, 36_000, 4),
            (70_000, 1, 0),
        ] {
            let pos = scores(&mut next, np, kind);
            let neg: Vec<f64> = scores(&mut next, nn, kind)
                .into_iter()
                .map(|x| if kind == 0 { x - 0.1 } else { x })
                .collect();
            // The pairs by brute force on a sample of each class, against the same sample.
            let (sp, sn) = (&pos[..np.min(3000)], &neg[..nn.min(3000)]);
            let small = Classes {
                pos: sp,
                neg: sn,
                parts: 3,
            };
            assert_eq!(
                exact_auc_rows(&small).unwrap(),
                brute(sp, sn),
                "kind {kind}"
            );
            // Every score: the same as the comparison sort of each class.
            assert_eq!(
                exact_auc(&pos, &neg).unwrap(),
                auc::exact_auc_sorted(&pos, &neg),
                "kind {kind}, {np} + {nn} scores"
            );
        }
    }

    #[test]
    fn one_class_is_undefined() {
        let pos = vec![0.5; 70_000];
        assert!(exact_auc(&pos, &[]).unwrap().is_err());
        assert!(exact_auc(&[], &pos).unwrap().is_err());
        assert!(exact_auc(&[], &[]).unwrap().is_err());
    }
}
