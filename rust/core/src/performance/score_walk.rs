//! The walk of the binary one pass: each range of score buckets sorted a bucket at a time
//! and walked once, in score order, for the overall calibration bins, histogram and exact
//! ROC AUC and for every segment's counts, exact score sums and exact ROC AUC.
//!
//! # Definition
//! Twice the Mann-Whitney U counts, for each positive, twice the negatives of lower score
//! and once those of equal score. Walking the rows in score order (negatives before
//! positives at equal scores), a positive adds `2 neg - run`: `neg` the negatives seen so
//! far, `run` those of them with its score (the last run of negatives, if it has that
//! score). Kept per segment, the same walk gives every segment's U without grouping the
//! rows by segment. The buckets are cut into a few ranges of about equal rows, walked in
//! parallel, each from zero; a range's positives also outrank every negative of the
//! ranges below, so the ranges add up in order: `U += U_r + 2 pos_r below`. The score,
//! Brier and log-loss sums of a segment go into [`FixedSum`]s (values outside their range
//! into [`ExactSum`]s): exact, so they equal the chunk-by-chunk pass's bit for bit.
//!
//! # Complexity
//! O(n) for spread-out scores (a counting sort of each bucket by value, then an insertion
//! sort of a few rows per sub-bucket; larger sub-buckets a comparison sort), memory
//! 128 bytes per segment per range.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::error::Result;
use crate::performance::auc::{bin_of, ScoreHistogram, HIST_BINS};
use crate::performance::calibration::{CalBatch, CalibrationBins};
use crate::performance::columns::NULL_CODE;
use crate::performance::confusion::{BinaryCounts, Value};
use crate::performance::counting::Sorted;
use crate::performance::exact::ExactSum;
use crate::performance::exact_batch::BATCH;
use crate::performance::fixed_sum::FixedSum;
use crate::performance::ln::log_loss_terms;
use crate::performance::onepass::{OnePass, BINS_PER_BUCKET, BUCKETS, NULL, PRED};
use crate::performance::score_sort::{sort_by_score, SortBufs};

/// The exact ROC AUC of twice U, the positives and the negatives.
pub(crate) fn auc_value(u2: u128, pos: u64, neg: u64) -> Value {
    if pos == 0 {
        return Err("no positive labels: ROC AUC is undefined with one class");
    }
    if neg == 0 {
        return Err("no negative labels: ROC AUC is undefined with one class");
    }
    Ok(u2 as f64 / (2.0 * pos as f64 * neg as f64))
}

/// Per segment, the confusion counts of the rows without a score: `[tn, fp, fn, tp,
/// null]` (allocated at the first such row).
#[derive(Default)]
pub struct Unscored {
    groups: usize,
    counts: Vec<[u64; 5]>,
}

impl Unscored {
    /// No rows yet, of `groups` segments.
    pub fn new(groups: usize) -> Self {
        Self {
            groups,
            counts: Vec::new(),
        }
    }

    /// Counts a row of segment `seg` with label `y` and prediction `p` (0, 1, null).
    #[inline]
    pub fn add(&mut self, seg: u32, y: u8, p: u8) {
        if self.counts.is_empty() {
            self.counts = vec![[0; 5]; self.groups];
        }
        let at = if y == NULL_CODE || p == NULL_CODE {
            4
        } else {
            usize::from(y << 1 | p)
        };
        self.counts[seg as usize][at] += 1;
    }
}

/// One segment's state in a range: two cache lines.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct SegState {
    /// Score, Brier and log-loss sums.
    sums: [FixedSum; 3],
    /// Twice U.
    u2: u128,
    /// Rows by `y * 2 + prediction`: tn, fp, fn, tp.
    flat: [u64; 4],
    n_null: u64,
    /// The negatives of the last score met by a negative, and that score's bits + 1
    /// (0: none yet).
    run: u64,
    last: u64,
    /// Additions to `sums` since they were last drained.
    adds: u32,
}

/// What a range of buckets adds up to.
struct RangeOut {
    segs: Vec<SegState>,
    /// Per segment met with values outside the fixed sums' range, or drained: exact sums.
    exact: HashMap<u32, [ExactSum; 3]>,
    /// Values outside the fixed sums' range not yet in `exact`: segment, sum, value.
    rare: Vec<(u32, u8, f64)>,
    cal: CalibrationBins,
    /// Histogram bins `[bin][y]` of the range, from its first bucket's first bin.
    hist: Vec<[u64; 2]>,
    first_bin: usize,
    u2: u128,
    pos: u64,
    neg: u64,
    run: u64,
    last: u64,
}

/// Values kept in `rare` before they go into the exact sums.
const RARE_MAX: usize = 1 << 14;

impl RangeOut {
    fn new(groups: usize, buckets: std::ops::Range<usize>) -> Self {
        Self {
            segs: vec![SegState::default(); groups],
            exact: HashMap::new(),
            rare: Vec::new(),
            cal: CalibrationBins::default(),
            hist: vec![[0; 2]; buckets.len() * BINS_PER_BUCKET],
            first_bin: buckets.start * BINS_PER_BUCKET,
            u2: 0,
            pos: 0,
            neg: 0,
            run: 0,
            last: 0,
        }
    }

    fn fold_rare(&mut self) {
        for &(s, k, x) in &self.rare {
            self.exact.entry(s).or_default()[usize::from(k)].add(x);
        }
        self.rare.clear();
    }

    /// Walks bucket `b`'s rows, sorted by key, a batch at a time. Kept out of line so that
    /// a profile tells the walk from the sort.
    #[inline(never)]
    fn walk_sorted(&mut self, b: usize, rows: &[[u64; 2]], cal: &mut CalBatch) {
        let mut bt = Batch::default();
        let hist = b * BINS_PER_BUCKET - self.first_bin;
        for block in rows.chunks(BATCH) {
            let k = block.len();
            let mut flags = 0u64;
            for (i, r) in block.iter().enumerate() {
                bt.p[i] = f64::from_bits(r[0] >> 1);
                bt.y[i] = r[0] & 1 == 1;
                flags |= r[1];
            }
            // A batch at a time: the logarithm vectorises.
            log_loss_terms(&bt.p[..k], &bt.y[..k], &mut bt.ll[..k]);
            if flags & NULL != 0 {
                self.walk_rows(block, &bt, cal);
                continue;
            }
            // No null: the overall results a loop each, then the segments.
            self.ranks(block);
            let pos = bt.y[..k].iter().filter(|&&y| y).count();
            self.add_hist(b, hist, &bt.p[..k], &bt.y[..k]);
            cal.add_block(&mut self.cal, &bt.p[..k], &bt.y[..k], pos);
            if self.segs.len() == 1 {
                self.one_segment(block, &mut bt, pos);
            } else {
                for (i, r) in block.iter().enumerate() {
                    if let Some(ahead) = block.get(i + PREFETCH) {
                        prefetch(&self.segs[ahead[1] as u32 as usize]);
                    }
                    self.segment_row(r, bt.p[i], bt.ll[i]);
                }
            }
            if self.rare.len() >= RARE_MAX {
                self.fold_rare();
            }
        }
    }

    /// Adds a batch of bucket `b`'s sorted scores to the histogram (its bins from
    /// `hist` on): each bin's rows are consecutive, cut where the scores reach the bin's
    /// lower bound (`j / HIST_BINS`, exact).
    #[inline]
    fn add_hist(&mut self, b: usize, hist: usize, p: &[f64], y: &[bool]) {
        let mut from = 0;
        for j in 0..BINS_PER_BUCKET {
            let to = if j + 1 == BINS_PER_BUCKET {
                p.len()
            } else {
                let bound = (b * BINS_PER_BUCKET + j + 1) as f64 / HIST_BINS as f64;
                from + p[from..].partition_point(|&v| v < bound)
            };
            let pos = y[from..to].iter().filter(|&&y| y).count();
            self.hist[hist + j] = add2(self.hist[hist + j], to - from - pos, pos);
            from = to;
        }
    }

    /// Twice U of a batch without null rows, overall.
    #[inline]
    fn ranks(&mut self, block: &[[u64; 2]]) {
        let (mut u2, mut neg, mut run, mut last) = (0u128, self.neg, self.run, self.last);
        let mut pos = 0u64;
        for r in block {
            let (yv, v1) = (r[0] & 1, (r[0] >> 1) + 1);
            let same = u64::from(last == v1);
            u2 += u128::from(yv * (2 * neg - same * run));
            // A negative starts or extends the run of its score.
            run = if yv == 1 { run } else { same * run + 1 };
            last = if yv == 1 { last } else { v1 };
            neg += 1 - yv;
            pos += yv;
        }
        (self.u2, self.neg, self.run, self.last) = (self.u2 + u2, neg, run, last);
        self.pos += pos;
    }

    /// The one segment of a pass without segments: its counts and sums a batch at a time
    /// (its U is the overall one, set when the range ends).
    fn one_segment(&mut self, block: &[[u64; 2]], bt: &mut Batch, pos: usize) {
        let k = block.len();
        let pred = block.iter().filter(|r| r[1] & PRED != 0).count();
        let tp = block
            .iter()
            .filter(|r| r[1] & PRED != 0 && r[0] & 1 == 1)
            .count();
        let st = &mut self.segs[0];
        // tn, fp, fn, tp.
        st.flat[3] += tp as u64;
        st.flat[2] += (pos - tp) as u64;
        st.flat[1] += (pred - tp) as u64;
        st.flat[0] += (k - pos - (pred - tp)) as u64;
        for i in 0..k {
            let d = bt.p[i] - f64::from(u8::from(bt.y[i]));
            bt.brier[i] = d * d;
        }
        let e = self.exact.entry(0).or_default();
        e[0].add_batch(&mut bt.p[..k]);
        e[1].add_batch(&mut bt.brier[..k]);
        e[2].add_batch(&mut bt.ll[..k]);
    }

    /// Adds a row without null to its segment: counts, sums and twice U.
    #[inline(always)]
    fn segment_row(&mut self, r: &[u64; 2], p: f64, ll: f64) {
        let seg = r[1] as u32;
        let (yv, v1) = (r[0] & 1, (r[0] >> 1) + 1);
        let st = &mut self.segs[seg as usize];
        st.flat[(yv << 1 | (r[1] & PRED) >> 32) as usize] += 1;
        let d = p - yv as f64;
        for (j, x) in [p, d * d, ll].into_iter().enumerate() {
            if !st.sums[j].add(x) {
                self.rare.push((seg, j as u8, x));
            }
        }
        let same = u64::from(st.last == v1);
        let neg = st.flat[0] + st.flat[1];
        st.u2 += u128::from(yv * (2 * neg - same * st.run));
        st.run = if yv == 1 { st.run } else { same * st.run + 1 };
        st.last = if yv == 1 { st.last } else { v1 };
        st.adds += 1;
        if st.adds == FixedSum::ADDS {
            st.adds = 0;
            let e = self.exact.entry(seg).or_default();
            for (f, e) in st.sums.iter_mut().zip(e.iter_mut()) {
                f.drain(e);
            }
        }
    }

    /// A batch with null rows, row by row.
    fn walk_rows(&mut self, block: &[[u64; 2]], bt: &Batch, cal: &mut CalBatch) {
        for (i, r) in block.iter().enumerate() {
            if r[1] & NULL != 0 {
                self.segs[r[1] as u32 as usize].n_null += 1;
                continue;
            }
            let (yv, pv) = (r[0] & 1, bt.p[i]);
            cal.add(&mut self.cal, pv, yv);
            self.hist[bin_of(pv) - self.first_bin][yv as usize] += 1;
            self.ranks(std::slice::from_ref(r));
            self.segment_row(r, pv, bt.ll[i]);
        }
    }
}

/// `[neg, pos]` plus `(neg, pos)`.
fn add2(h: [u64; 2], neg: usize, pos: usize) -> [u64; 2] {
    [h[0] + neg as u64, h[1] + pos as u64]
}

/// A batch of rows' scores, labels and terms.
struct Batch {
    p: [f64; BATCH],
    y: [bool; BATCH],
    ll: [f64; BATCH],
    brier: [f64; BATCH],
}

impl Default for Batch {
    fn default() -> Self {
        Self {
            p: [0.0; BATCH],
            y: [false; BATCH],
            ll: [0.0; BATCH],
            brier: [0.0; BATCH],
        }
    }
}

/// Rows ahead whose segment state is fetched: the states of thousands of segments do not
/// stay in the core's cache, and each row's would otherwise stall the walk.
const PREFETCH: usize = 12;

/// Asks for both cache lines of a segment's state.
#[inline(always)]
fn prefetch(st: &SegState) {
    let p = (st as *const SegState).cast::<u8>();
    crate::prefetch::prefetch(p);
    crate::prefetch::prefetch(p.wrapping_add(crate::prefetch::LINE_BYTES));
}

/// Sorts bucket `b`'s rows by key into `dst` ([`sort_by_score`] over the bucket's scores).
fn sort_bucket(b: usize, src: &[[u64; 2]], dst: &mut [[u64; 2]], bufs: &mut SortBufs) {
    let interval = (b as f64 / BUCKETS as f64, 1.0 / BUCKETS as f64);
    sort_by_score(
        src,
        dst,
        interval,
        bufs,
        |r| f64::from_bits(r[0] >> 1),
        |r| r[0],
    );
}

/// Rows of a range at least (fewer rows walk in one range).
const RANGE_MIN_ROWS: usize = 1 << 16;

/// Cuts the buckets into ranges of about equal rows: bucket bounds, first 0, last
/// [`BUCKETS`].
fn ranges(starts: &[usize]) -> Vec<usize> {
    cut_ranges(BUCKETS, |b| starts[b + 1] - starts[b], starts[BUCKETS])
}

/// Cuts `buckets` buckets of `rows_of(b)` rows each (`total` in all) into ranges of about
/// equal rows, two per thread and at least [`RANGE_MIN_ROWS`] each (fewer rows walk in
/// one range): bucket bounds, first 0, last `buckets`.
pub(crate) fn cut_ranges(
    buckets: usize,
    rows_of: impl Fn(usize) -> usize,
    total: usize,
) -> Vec<usize> {
    let r = (2 * rayon::current_num_threads().max(1))
        .min(total / RANGE_MIN_ROWS)
        .max(1);
    let mut bounds = vec![0usize];
    let (mut b, mut seen) = (0usize, 0usize);
    for k in 1..r {
        let target = total * k / r;
        while b < buckets && seen < target {
            seen += rows_of(b);
            b += 1;
        }
        if b > *bounds.last().unwrap_or(&0) && b < buckets {
            bounds.push(b);
        }
    }
    bounds.push(buckets);
    bounds
}

/// Walks the placed rows (grouped by bucket) and adds up the ranges, with the counts of
/// the rows without a score.
///
/// # Errors
/// None in practice; kept for the pass's signature.
pub fn walk(placed: Sorted<[u64; 2]>, groups: usize, unscored: &[Unscored]) -> Result<OnePass> {
    let starts = &placed.starts;
    let items = placed.items();
    let bounds = ranges(starts);
    let outs: Vec<RangeOut> = bounds
        .par_windows(2)
        .map_init(
            || (Vec::<[u64; 2]>::new(), SortBufs::default()),
            |(tmp, bufs), w| {
                let mut out = RangeOut::new(groups, w[0]..w[1]);
                let mut cal = CalBatch::default();
                for b in w[0]..w[1] {
                    let rows = &items[starts[b]..starts[b + 1]];
                    if tmp.len() < rows.len() {
                        tmp.resize(rows.len(), [0; 2]);
                    }
                    let dst = &mut tmp[..rows.len()];
                    sort_bucket(b, rows, dst, bufs);
                    out.walk_sorted(b, dst, &mut cal);
                }
                if groups == 1 {
                    // The one segment's U is the overall one.
                    out.segs[0].u2 = out.u2;
                }
                cal.flush(&mut out.cal);
                out.fold_rare();
                out
            },
        )
        .collect();
    drop(placed);
    let mut cal = CalibrationBins::default();
    let mut hist = ScoreHistogram::default();
    let (mut u2, mut pos, mut below) = (0u128, 0u64, 0u64);
    for r in &outs {
        cal.merge(&r.cal);
        for (i, h) in r.hist.iter().enumerate() {
            hist.pos[r.first_bin + i] += h[1];
            hist.neg[r.first_bin + i] += h[0];
        }
        // Each positive of this range also outranks every negative of the lower ranges.
        u2 += r.u2 + 2 * u128::from(r.pos) * u128::from(below);
        pos += r.pos;
        below += r.neg;
    }
    let per_segment: Vec<(BinaryCounts, Value)> = (0..groups)
        .into_par_iter()
        .with_min_len(64)
        .map(|s| segment(s, &outs, unscored))
        .collect();
    let (counts, aucs) = per_segment.into_iter().unzip();
    Ok(OnePass {
        counts,
        aucs,
        cal,
        hist,
        auc: auc_value(u2, pos, below),
        other_prediction: None,
        other_label: None,
    })
}

/// Segment `s`'s counts, exact sums and ROC AUC over the ranges, in order.
fn segment(s: usize, outs: &[RangeOut], unscored: &[Unscored]) -> (BinaryCounts, Value) {
    let mut c = BinaryCounts::default();
    let (mut u2, mut pos, mut below) = (0u128, 0u64, 0u64);
    for r in outs {
        let st = &r.segs[s];
        let (p, q) = (st.flat[2] + st.flat[3], st.flat[0] + st.flat[1]);
        u2 += st.u2 + 2 * u128::from(p) * u128::from(below);
        below += q;
        pos += p;
        c.tn += st.flat[0];
        c.fp += st.flat[1];
        c.fn_ += st.flat[2];
        c.tp += st.flat[3];
        c.n_null += st.n_null;
        c.score_n += p + q;
        let mut sums = st.sums;
        sums[0].drain(&mut c.score_sum);
        sums[1].drain(&mut c.brier_sum);
        sums[2].drain(&mut c.log_loss_sum);
        if let Some(e) = r.exact.get(&(s as u32)) {
            c.score_sum.merge(&e[0]);
            c.brier_sum.merge(&e[1]);
            c.log_loss_sum.merge(&e[2]);
        }
    }
    for u in unscored.iter().filter(|u| !u.counts.is_empty()) {
        let k = u.counts[s];
        c.tn += k[0];
        c.fp += k[1];
        c.fn_ += k[2];
        c.tp += k[3];
        c.n_null += k[4];
    }
    (c, auc_value(u2, pos, below))
}

#[cfg(test)]
#[path = "score_walk_tests.rs"]
mod tests;
