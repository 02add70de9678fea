//! The binary task's one pass with segments and the exact ROC AUC: the rows sorted once by
//! score, overall, then regrouped by segment in that order, so that every segment's rows
//! arrive already sorted and its AUC is one walk, with no sort of its own.
//!
//! # Definition
//! Each row is packed by [`onepass::records`]. A parallel counting sort
//! ([`counting_sort`]) places `[score key, segment | prediction << 32]` by score bucket
//! ([`BUCKETS`] equal buckets over [0, 1], then one for the rows without a score); each
//! bucket is sorted by key ([`sort_unit_records`]) and walked for the overall calibration
//! bins, score histogram and share of twice the Mann-Whitney U (the buckets add up in
//! order, as in [`onepass::overall`]). A second counting sort of the sorted rows by
//! segment, over contiguous ranges in score order, is stable: each segment's rows come
//! out in score order (the rows without a score last), and the segment's counts, exact
//! score sums and twice U are one pass over them. Counts and exact sums do not depend on
//! the order of the rows, and the U of a sorted run does not depend on how equal keys
//! are ordered: every count and sum equals the chunk-by-chunk pass's bit for bit.
//!
//! # Complexity
//! O(n + blocks x (buckets + segments)) to place the rows twice, plus the sort of each
//! score bucket (O(n) for spread-out scores); memory three words per row.

use rayon::prelude::*;

use crate::error::Result;
use crate::performance::confusion::{BinaryCounts, Value};
use crate::performance::counting::counting_sort;
use crate::performance::onepass::{
    auc_value, calibrate_sorted, combine, Group, Overall, ScoreBatch, BINS_PER_BUCKET, BUCKETS,
    NO_SCORE, NULL_ROW, Y, YHAT,
};
use crate::performance::unit_sort::{sort_unit_records, u2_of_sorted, UnitSorter};

/// Bit of a per-segment key holding the prediction (a score key uses the 63 bits below).
const PRED: u64 = 1 << 63;

/// The score bucket of a packed row ([`BUCKETS`]: no score, or a null label or prediction).
#[inline]
fn bucket_of(r: u64) -> usize {
    let low = r & !(Y | YHAT);
    if low >= NO_SCORE {
        BUCKETS
    } else {
        // p * 4096 is exact: the bucket's histogram bins are 2b and 2b + 1.
        ((f64::from_bits(low) * BUCKETS as f64) as usize).min(BUCKETS - 1)
    }
}

/// The sort key `score bits << 1 | y` of a packed row (its marker for rows without one).
#[inline]
fn score_key(r: u64) -> u64 {
    (r & !(Y | YHAT)) << 1 | r >> 63
}

/// Sorts bucket `b`'s rows by key and walks them: calibration bins, histogram, and the
/// bucket's share of twice U.
fn walk_bucket(b: usize, rows: &mut [[u64; 2]], sorter: &mut UnitSorter<[u64; 2]>) -> Group {
    let mut out = Group::default();
    if b == BUCKETS {
        return out;
    }
    sort_unit_records(rows, sorter);
    calibrate_sorted(rows, b * BINS_PER_BUCKET, &mut out.cal, &mut out.hist);
    (out.u2, out.pos, out.neg) = u2_of_sorted(rows);
    out
}

/// One segment's counts, score sums and exact AUC, from its keys in score order
/// (`prediction << 63 | score key`).
fn evaluate_segment(keys: &[u64]) -> (BinaryCounts, Value) {
    let mut c = BinaryCounts::default();
    let mut flat = [0u64; 4];
    let mut batch = ScoreBatch::default();
    let mut scored = 0usize;
    for &k in keys {
        let key = k & !PRED;
        let low = key >> 1;
        if low == NULL_ROW {
            c.n_null += 1;
            continue;
        }
        let y = key & 1;
        // Index y * 2 + yhat, as in `count_binary`.
        flat[(y << 1 | k >> 63) as usize] += 1;
        if low == NO_SCORE {
            continue;
        }
        batch.push(&mut c, y == 1, f64::from_bits(low));
        scored += 1;
    }
    batch.flush(&mut c);
    (c.tn, c.fp, c.fn_, c.tp) = (flat[0], flat[1], flat[2], flat[3]);
    // The scored rows come first (the rows without a score sort into the last bucket).
    let (u2, pos, neg) = u2_of_sorted(&keys[..scored]);
    (c, auc_value(u2, pos, neg))
}

/// Blocks of a pass: a few per thread, so that a thread slowed down (a busy machine) does
/// not hold the others back.
fn block_count(items: usize) -> usize {
    (4 * rayon::current_num_threads().max(1)).min(items.max(1))
}

/// The overall results (without score sums: the segments' add up to them) and every
/// segment's counts, score sums and exact AUC, from packed rows and segment codes.
///
/// # Errors
/// None in practice (an internal inconsistency of the counting sort).
pub fn segmented(
    recs: &[Vec<u64>],
    codes: &[Vec<u32>],
    g: usize,
) -> Result<(Overall, Vec<BinaryCounts>, Vec<Value>)> {
    // By score bucket, over contiguous blocks of chunks.
    let n_chunks = recs.len();
    let blocks = block_count(n_chunks);
    let per = n_chunks.div_ceil(blocks).max(1);
    let chunk_range = |b: usize| (b * per).min(n_chunks)..((b + 1) * per).min(n_chunks);
    let mut by_score = counting_sort(
        blocks,
        BUCKETS + 1,
        |b, counts| {
            for c in chunk_range(b) {
                recs[c].iter().for_each(|&r| counts[bucket_of(r)] += 1);
            }
        },
        |b, placer| {
            for c in chunk_range(b) {
                for (&r, &s) in recs[c].iter().zip(&codes[c]) {
                    let pred = (r >> 62) & 1;
                    placer.put(bucket_of(r), [score_key(r), u64::from(s) | pred << 32]);
                }
            }
        },
    )?;
    let buckets: Vec<Group> = by_score
        .groups_mut()
        .into_par_iter()
        .enumerate()
        .map_init(UnitSorter::default, |sorter, (b, rows)| {
            walk_bucket(b, rows, sorter)
        })
        .collect();
    let all = combine(&buckets);
    // By segment, over contiguous ranges of the rows in score order: stable, so each
    // segment's rows stay in score order.
    let rows = by_score.items();
    let blocks = block_count(rows.len());
    let per = rows.len().div_ceil(blocks).max(1);
    let range = |b: usize| &rows[(b * per).min(rows.len())..((b + 1) * per).min(rows.len())];
    let by_segment = counting_sort(
        blocks,
        g,
        |b, counts| {
            range(b)
                .iter()
                .for_each(|r| counts[r[1] as u32 as usize] += 1)
        },
        |b, placer| {
            for r in range(b) {
                placer.put(r[1] as u32 as usize, r[0] | (r[1] >> 32) << 63);
            }
        },
    )?;
    drop(by_score);
    let per_segment: Vec<(BinaryCounts, Value)> = (0..g)
        .into_par_iter()
        .with_min_len(16)
        .map(|s| evaluate_segment(by_segment.group(s)))
        .collect();
    let (counts, aucs) = per_segment.into_iter().unzip();
    Ok((all, counts, aucs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::performance::auc::exact_auc;
    use crate::performance::binary::BinaryChunk;
    use crate::performance::columns::NULL_CODE;
    use crate::performance::confusion::count_binary;
    use crate::performance::onepass::{overall, records};
    use arrow_array::{Array, ArrayRef, Float64Array};
    use std::sync::Arc;

    /// Chunks of random rows: scores on a coarse grid (ties across buckets and segments),
    /// spread out, at exactly 0 and 1, missing; null labels and predictions.
    fn chunks(seed: u64, sizes: &[usize], g: u32) -> (Vec<BinaryChunk>, Vec<Vec<u32>>) {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        let (mut enc, mut codes) = (Vec::new(), Vec::new());
        for &n in sizes {
            let (mut y, mut yhat, mut s, mut c) = (vec![], vec![], vec![], vec![]);
            for _ in 0..n {
                let u = next() as f64 / (1u64 << 53) as f64;
                let v = match next() % 10 {
                    0 => None,
                    1 => Some(0.0),
                    2 => Some(1.0),
                    3..=5 => Some((u * 20.0).round() / 20.0),
                    _ => Some(u),
                };
                y.push(if next() % 50 == 0 {
                    NULL_CODE
                } else {
                    (next() % 2) as u8
                });
                yhat.push(if next() % 60 == 0 {
                    NULL_CODE
                } else {
                    (next() % 2) as u8
                });
                s.push(v);
                c.push((next() % u64::from(g)) as u32);
            }
            let score: ArrayRef = Arc::new(Float64Array::from(s));
            enc.push(BinaryChunk {
                y,
                yhat,
                score: Some(score),
            });
            codes.push(c);
        }
        (enc, codes)
    }

    #[test]
    fn segments_equal_the_chunk_by_chunk_counts_and_each_segments_exact_auc() {
        for (seed, sizes, g) in [
            (1u64, vec![3000usize, 17, 0, 2500], 7u32),
            (2, vec![40_000], 300),
            (3, vec![5, 1], 3),
            (4, vec![20_000, 20_000], 1),
        ] {
            let (enc, codes) = chunks(seed, &sizes, g);
            let recs: Vec<Vec<u64>> = enc.iter().map(records).collect();
            let (all, counts, aucs) = segmented(&recs, &codes, g as usize).unwrap();
            // Counts and exact sums: the chunk-by-chunk pass, merged.
            let mut want = vec![BinaryCounts::default(); g as usize];
            let (mut pos, mut neg) = (vec![vec![]; g as usize], vec![vec![]; g as usize]);
            for (e, c) in enc.iter().zip(&codes) {
                let s = e.score.as_ref().unwrap();
                let s = s.as_any().downcast_ref::<Float64Array>().unwrap();
                for (w, got) in
                    want.iter_mut()
                        .zip(count_binary(c, Some(&e.y), &e.yhat, Some(s), g as usize))
                {
                    *w += &got;
                }
                for (i, &k) in c.iter().enumerate() {
                    if e.y[i] == NULL_CODE || e.yhat[i] == NULL_CODE || s.is_null(i) {
                        continue;
                    }
                    let k = k as usize;
                    if e.y[i] == 1 {
                        pos[k].push(s.value(i))
                    } else {
                        neg[k].push(s.value(i))
                    }
                }
            }
            assert_eq!(counts, want, "seed {seed}");
            for k in 0..g as usize {
                let reference = exact_auc(pos[k].clone(), neg[k].clone());
                assert_eq!(aucs[k], reference, "seed {seed} segment {k}");
            }
            // Overall: the unsegmented pass's calibration, histogram and AUC.
            let plain = overall(&recs, true).unwrap();
            assert_eq!(all.cal, plain.cal);
            assert_eq!(all.hist.pos, plain.hist.pos);
            assert_eq!(all.hist.neg, plain.hist.neg);
            assert_eq!(all.auc, plain.auc);
            let mut total = BinaryCounts::default();
            counts.iter().for_each(|c| total += c);
            assert_eq!(total, plain.counts);
        }
    }
}
