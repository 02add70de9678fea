//! The binary task's one pass with the exact ROC AUC, overall and per segment: the rows
//! placed by score bucket straight from the input columns, then each range of buckets
//! sorted and walked once ([`crate::performance::score_walk`]).
//!
//! # Definition
//! A first parallel pass over the score column checks it (no NaN, in [0, 1]) and counts
//! the scored rows per score bucket ([`BUCKETS`] equal buckets over [0, 1]). A second one
//! encodes the label and the prediction and looks up the segment a chunk at a time (while
//! the chunk is in cache), and places every scored row, `[score bits << 1 | y, segment |
//! prediction << 32 | null << 33]`, in its bucket with a counting sort
//! ([`counting_sort`]); a row without a score is counted on the spot (confusion counts
//! only). A row with a null label or prediction keeps its place but is marked: it counts
//! in `n_null` and in nothing else. Every count and exact sum is independent of the order
//! of the rows, so each equals the chunk-by-chunk pass's bit for bit.
//!
//! # Complexity
//! Two reads of the score column and one of the others; the placed rows (16 bytes each)
//! written once and read once by the walk.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef};
use std::sync::Mutex;

use crate::error::Result;
use crate::performance::auc::{ScoreHistogram, HIST_BINS};
use crate::performance::calibration::CalibrationBins;
use crate::performance::columns::{
    self, encode_binary, merge_other, Chunks, Other, Positive, SegmentCodes, NULL_CODE,
};
use crate::performance::confusion::{BinaryCounts, Value};
use crate::performance::counting::counting_sort;
use crate::performance::score_walk::{walk, Unscored};

/// Score buckets of the pass (a power of two: the histogram's bins split them). Few
/// enough that a bucket's sort runs in the L2 cache, and that the counting sort's line
/// buffers (a few lines per bucket) stay in it too.
pub const BUCKETS: usize = 2048;
/// Histogram bins per score bucket.
pub(crate) const BINS_PER_BUCKET: usize = HIST_BINS / BUCKETS;
/// Payload bit of a placed row: its prediction is positive.
pub(crate) const PRED: u64 = 1 << 32;
/// Payload bit of a placed row: its label or prediction is null.
pub(crate) const NULL: u64 = 1 << 33;

/// The score bucket of a score in [0, 1] (`p * BUCKETS` is exact: the bucket's histogram
/// bins are `b * BINS_PER_BUCKET ..` the next bucket's first).
#[inline]
pub(crate) fn bucket_of(p: f64) -> usize {
    ((p * BUCKETS as f64) as usize).min(BUCKETS - 1)
}

/// The columns of the binary task: indices into each chunk, and names for the errors.
pub struct BinaryColumns<'a> {
    /// Prediction column.
    pub prediction: (usize, &'a str),
    /// Label column.
    pub label: (usize, &'a str),
    /// Score column, if any.
    pub score: Option<(usize, &'a str)>,
    /// The positive class.
    pub positive: &'a Positive,
}

/// What the one pass adds up to.
pub struct OnePass {
    /// Per segment, confusion counts and exact score sums.
    pub counts: Vec<BinaryCounts>,
    /// Per segment, the exact ROC AUC.
    pub aucs: Vec<Value>,
    /// Calibration bins of every scored row.
    pub cal: CalibrationBins,
    /// Score histogram of every scored row.
    pub hist: ScoreHistogram,
    /// The exact ROC AUC of every scored row.
    pub auc: Value,
    /// The non-positive value met in the prediction.
    pub other_prediction: Option<Other>,
    /// The non-positive value met in the label.
    pub other_label: Option<Other>,
}

/// What a block of chunks met besides its placed rows.
#[derive(Default)]
struct BlockExtra {
    /// Per chunk, the non-positive values of the prediction and the label.
    others: Vec<(Option<Other>, Option<Other>)>,
    /// Counts of the rows without a score.
    unscored: Unscored,
}

/// Blocks of a pass: one per thread. Each block starts the placer's line buffers (a few
/// lines per score bucket) cold and writes the partial lines at both ends of each of its
/// buckets row by row, so fewer blocks place faster (10M rows: 48.5 ms against 50-51 ms
/// with four blocks per thread, in alternated runs).
fn block_count(items: usize) -> usize {
    rayon::current_num_threads().clamp(1, items.max(1))
}

/// The one pass over `chunks` with `groups` segments coded by `codes`.
///
/// # Errors
/// A NaN or out-of-range score, a label or prediction that is not binary, each naming
/// its column.
pub fn one_pass(
    chunks: &Chunks,
    cols: &BinaryColumns<'_>,
    codes: &SegmentCodes<'_>,
    groups: usize,
) -> Result<OnePass> {
    let n = chunks.chunks.len();
    let blocks = block_count(n);
    let per = n.div_ceil(blocks).max(1);
    let range = |b: usize| (b * per).min(n)..((b + 1) * per).min(n);
    let extras: Vec<Mutex<BlockExtra>> = (0..blocks).map(|_| Mutex::default()).collect();
    let placed = counting_sort(
        blocks,
        BUCKETS,
        |b, counts| {
            if let Some((j, name)) = cols.score {
                for c in range(b) {
                    count_scores(&chunks.chunks[c][j], name, counts)?;
                }
            }
            Ok(())
        },
        |b, placer| {
            let mut extra = BlockExtra {
                unscored: Unscored::new(groups),
                ..BlockExtra::default()
            };
            let mut buf = Vec::new();
            for c in range(b) {
                let chunk = &chunks.chunks[c];
                let (yhat, op) =
                    encode_binary(&chunk[cols.prediction.0], cols.prediction.1, cols.positive)?;
                let (y, ol) = encode_binary(&chunk[cols.label.0], cols.label.1, cols.positive)?;
                extra.others.push((op, ol));
                let codes = codes.of_chunk(chunks, c, &mut buf);
                let Some((j, name)) = cols.score else {
                    for i in 0..y.len() {
                        extra.unscored.add(codes[i], y[i], yhat[i]);
                    }
                    continue;
                };
                let s = columns::to_f64(&chunk[j], name)?;
                place_chunk(&y, &yhat, &s, codes, &mut extra.unscored, |k, r| {
                    placer.put_all(k, r)
                });
            }
            *extras[b].lock().unwrap_or_else(|e| e.into_inner()) = extra;
            Ok(())
        },
    )?;
    let (mut other_p, mut other_l) = (None, None);
    let mut unscored = Vec::with_capacity(blocks);
    for e in extras {
        let e = e.into_inner().unwrap_or_else(|e| e.into_inner());
        for (op, ol) in e.others {
            merge_other(cols.prediction.1, cols.positive, &mut other_p, op)?;
            merge_other(cols.label.1, cols.positive, &mut other_l, ol)?;
        }
        unscored.push(e.unscored);
    }
    let mut out = walk(placed, groups, &unscored)?;
    out.other_prediction = other_p;
    out.other_label = other_l;
    Ok(out)
}

/// Checks a chunk's scores (no NaN, in [0, 1]) and counts its scored rows per bucket.
///
/// # Errors
/// A NaN or a score outside [0, 1], naming the column.
fn count_scores(array: &ArrayRef, name: &str, counts: &mut [usize]) -> Result<()> {
    let a = columns::to_f64(array, name)?;
    let s = a.as_primitive::<Float64Type>();
    let mut bad = false;
    match s.nulls().filter(|n| n.null_count() > 0) {
        None => {
            // The buckets of a batch first (a loop that vectorises), then their counts.
            let mut ks = [0u16; PLACE_BATCH];
            for batch in s.values().chunks(PLACE_BATCH) {
                for (k, &v) in ks.iter_mut().zip(batch) {
                    bad |= !(0.0..=1.0).contains(&v);
                    *k = bucket_of(v) as u16;
                }
                for &k in &ks[..batch.len()] {
                    counts[usize::from(k)] += 1;
                }
            }
        }
        Some(nulls) => {
            for i in nulls.valid_indices() {
                let v = s.values()[i];
                bad |= !(0.0..=1.0).contains(&v);
                counts[bucket_of(v)] += 1;
            }
        }
    }
    if bad {
        // Names the first bad value (this pass only found that there is one).
        columns::scores(&a, name)?;
    }
    Ok(())
}

/// Places a chunk's scored rows with `put(bucket, row)` and counts its rows without a
/// score in `unscored`.
fn place_chunk(
    y: &[u8],
    yhat: &[u8],
    s: &ArrayRef,
    codes: &[u32],
    unscored: &mut Unscored,
    mut put: impl FnMut(&[u32], &[[u64; 2]]),
) {
    let s = s.as_primitive::<Float64Type>();
    let values = s.values();
    let row = |i: usize| {
        let (t, p) = (y[i], yhat[i]);
        // Adding +0.0 turns -0.0 into +0.0 (clear sign bit); no sum changes.
        let v = values[i] + 0.0;
        let null = t == NULL_CODE || p == NULL_CODE;
        let key = v.to_bits() << 1 | u64::from(t & 1);
        let pay = u64::from(codes[i]) | u64::from(p & 1) << 32 | u64::from(null) << 33;
        (bucket_of(v) as u32, [key, pay])
    };
    match s.nulls().filter(|n| n.null_count() > 0) {
        None => {
            let mut ks = [0u32; PLACE_BATCH];
            let mut rows = [[0u64; 2]; PLACE_BATCH];
            let mut i = 0;
            while i < y.len() {
                let k = PLACE_BATCH.min(y.len() - i);
                for j in 0..k {
                    (ks[j], rows[j]) = row(i + j);
                }
                put(&ks[..k], &rows[..k]);
                i += k;
            }
        }
        Some(nulls) => {
            for i in 0..y.len() {
                if nulls.is_valid(i) {
                    let (k, r) = row(i);
                    put(&[k], &[r]);
                } else {
                    unscored.add(codes[i], y[i], yhat[i]);
                }
            }
        }
    }
}

/// Rows whose buckets and records are made before they are placed.
const PLACE_BATCH: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::performance::auc_sort::exact_auc;
    use crate::performance::confusion::count_binary;
    use arrow_array::{Float64Array, Int64Array};
    use std::sync::Arc;

    /// Chunks of random rows: scores on a coarse grid (ties across buckets, ranges and
    /// segments), spread out, tiny (outside the fixed sums' range), at exactly 0 and 1,
    /// missing; null labels and predictions; and the segment codes.
    fn chunks(seed: u64, sizes: &[usize], g: u32, nulls: bool) -> (Chunks, Vec<Vec<u32>>) {
        let mut next = crate::performance::test_rng::lcg(seed);
        let (mut out, mut codes) = (Vec::new(), Vec::new());
        for &n in sizes {
            let (mut y, mut p, mut s, mut c) = (vec![], vec![], vec![], vec![]);
            for _ in 0..n {
                let u = next() as f64 / (1u64 << 53) as f64;
                let v = match next() % 12 {
                    0 if nulls => None,
                    1 => Some(0.0),
                    2 => Some(1.0),
                    3 => Some(u * 1e-25),
                    4..=6 => Some((u * 20.0).round() / 20.0),
                    _ => Some(u),
                };
                let null_y = nulls && next() % 50 == 0;
                let null_p = nulls && next() % 60 == 0;
                y.push((!null_y).then(|| (next() % 2) as i64));
                p.push((!null_p).then(|| (next() % 2) as i64));
                s.push(v);
                c.push((next() % u64::from(g)) as u32);
            }
            out.push(vec![
                Arc::new(Int64Array::from(p)) as ArrayRef,
                Arc::new(Int64Array::from(y)) as ArrayRef,
                Arc::new(Float64Array::from(s)) as ArrayRef,
            ]);
            codes.push(c);
        }
        let names = vec!["p".into(), "y".into(), "s".into()];
        let types = Vec::new();
        (
            Chunks {
                names,
                chunks: out,
                types,
            },
            codes,
        )
    }

    /// The test chunks' columns: prediction, label, score.
    fn columns_of(positive: &Positive) -> BinaryColumns<'_> {
        BinaryColumns {
            prediction: (0, "p"),
            label: (1, "y"),
            score: Some((2, "s")),
            positive,
        }
    }

    /// Against the chunk-by-chunk counts and exact sums, a per-segment `exact_auc`, and
    /// the calibration bins and histogram row by row.
    #[test]
    fn the_pass_equals_the_chunk_by_chunk_counts_and_each_segments_exact_auc() {
        let positive = Positive::Int(1);
        let cols = columns_of(&positive);
        for (seed, sizes, g, nulls) in [
            (1u64, vec![3000usize, 17, 0, 2500], 7u32, true),
            (2, vec![40_000], 300, true),
            (3, vec![5, 1], 3, true),
            // One segment (its sums a batch at a time), and several ranges.
            (4, vec![65_536, 65_536, 65_536, 50_000], 1, false),
            (5, vec![65_536, 65_536, 65_536, 50_000], 1, true),
            (6, vec![65_536, 65_536, 65_536, 9], 40, false),
            // Thousands of rows per segment and range: the fixed sums are drained.
            (7, vec![65_536, 65_536, 65_536], 2, true),
        ] {
            let (ch, codes) = chunks(seed, &sizes, g, nulls);
            let got = one_pass(&ch, &cols, &SegmentCodes::Rows(&codes), g as usize).unwrap();
            let mut want = vec![BinaryCounts::default(); g as usize];
            let (mut pos, mut neg) = (vec![vec![]; g as usize], vec![vec![]; g as usize]);
            let (mut all_pos, mut all_neg) = (vec![], vec![]);
            let (mut cal, mut hist) = (CalibrationBins::default(), ScoreHistogram::default());
            for (c, k) in ch.chunks.iter().zip(&codes) {
                let (yhat, _) = encode_binary(&c[0], "p", &positive).unwrap();
                let (y, _) = encode_binary(&c[1], "y", &positive).unwrap();
                let s = c[2].as_any().downcast_ref::<Float64Array>().unwrap();
                let counts = count_binary(k, Some(&y), &yhat, Some(s), g as usize);
                for (w, got) in want.iter_mut().zip(counts) {
                    *w += &got;
                }
                for (i, &k) in k.iter().enumerate() {
                    if y[i] == NULL_CODE || yhat[i] == NULL_CODE || s.is_null(i) {
                        continue;
                    }
                    let (v, k) = (s.value(i), k as usize);
                    cal.add(v, y[i] == 1);
                    let bin = crate::performance::auc::bin_of(v);
                    if y[i] == 1 {
                        pos[k].push(v);
                        all_pos.push(v);
                        hist.pos[bin] += 1;
                    } else {
                        neg[k].push(v);
                        all_neg.push(v);
                        hist.neg[bin] += 1;
                    }
                }
            }
            assert_eq!(got.counts, want, "seed {seed}");
            for (a, b) in got.counts.iter().zip(&want) {
                assert_eq!(
                    a.log_loss_sum.value().to_bits(),
                    b.log_loss_sum.value().to_bits()
                );
                assert_eq!(a.brier_sum.value().to_bits(), b.brier_sum.value().to_bits());
            }
            for k in 0..g as usize {
                let reference = exact_auc(&pos[k], &neg[k]).unwrap();
                assert_eq!(got.aucs[k], reference, "seed {seed} segment {k}");
            }
            assert_eq!(
                got.auc,
                exact_auc(&all_pos, &all_neg).unwrap(),
                "seed {seed}"
            );
            assert_eq!(got.cal, cal, "seed {seed}");
            assert_eq!(got.hist.pos, hist.pos, "seed {seed}");
            assert_eq!(got.hist.neg, hist.neg, "seed {seed}");
        }
    }

    #[test]
    fn bad_scores_and_labels_name_their_column() {
        let positive = Positive::Int(1);
        let cols = columns_of(&positive);
        for (s, y, want) in [
            (f64::NAN, 1, "NaN score"),
            (1.5, 1, "outside [0, 1]"),
            (-1e-300, 1, "outside [0, 1]"),
            (0.5, 7, "y"),
        ] {
            let chunk = vec![
                Arc::new(Int64Array::from(vec![1, 0, 1])) as ArrayRef,
                Arc::new(Int64Array::from(vec![0, 1, y])) as ArrayRef,
                Arc::new(Float64Array::from(vec![0.2, 0.3, s])) as ArrayRef,
            ];
            let ch = Chunks {
                names: vec!["p".into(), "y".into(), "s".into()],
                chunks: vec![chunk],
                types: Vec::new(),
            };
            let err = one_pass(&ch, &cols, &SegmentCodes::One, 1)
                .err()
                .expect("an error")
                .to_string();
            assert!(err.contains(want), "{err}");
        }
    }
}
