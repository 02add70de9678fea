//! Regression error sums: the mergeable accumulator behind MAE, RMSE, MAPE, sMAPE, R2 and
//! the mean error, per group or segment.
//!
//! # Definition
//! With the residual `e = y - yhat` over the complete rows (label and prediction present):
//! MAE = mean |e|, RMSE = sqrt(mean e^2) (scikit-learn `root_mean_squared_error`),
//! MAPE = mean |e| / max(|y|, eps) with eps the f64 machine epsilon (scikit-learn's
//! `mean_absolute_percentage_error`, a fraction, not a percentage), sMAPE = mean
//! 2|e| / (|y| + |yhat|) with 0 where both are 0 (a fraction in [0, 2]), R2 = 1 - SSE / SST
//! with scikit-learn's `force_finite` convention (1 when both are 0, 0 when only SST is),
//! mean error = mean e (positive: the model under-predicts).
//!
//! # Assumptions
//! Every sum is exact ([`ExactSum`]), so merged partials give the same bits as one pass,
//! whatever the split. SST = (n sum y^2 - (sum y)^2) / n comes from the exact sums of y
//! and of y^2 (each square added as an exact pair `hi + lo`), evaluated exactly before one
//! rounding ([`crate::performance::sst`]): it does not cancel when the mean is large
//! against the spread. sMAPE's term is computed so that it does not overflow near the top
//! of the double range (see `sape`).
//!
//! # Complexity
//! O(1) per row; merge O(1) per group. [`RegressionSums::add_rows`] adds its eight exact
//! sums a batch at a time ([`ExactSum::add_batch`]): about 46 ms for 10M rows on one core
//! of the 2-core development machine (`examples/exact_sums.rs`; 128 ms with the
//! earlier batch extraction).

use serde::{Deserialize, Serialize};

use crate::performance::columns::SegmentCodes;
use crate::performance::confusion::{ratio, Value};
use crate::performance::exact::ExactSum;
use crate::performance::exact_batch::BATCH;
use crate::performance::sst::two_square;

/// Why the mean error is undefined: residuals of both signs overflowed to infinity.
const OPPOSITE_INFINITIES: &str =
    "undefined: residuals overflowed the double range to both +inf and -inf";
/// Why R2 is undefined: a sum of squares overflowed.
const SQUARES_OVERFLOW: &str =
    "undefined: the squared errors or the label's squares overflow the double range";

/// Error sums of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegressionSums {
    /// Complete rows.
    pub n: u64,
    /// Rows left out because the label or the prediction is null.
    pub n_null: u64,
    /// Sum of residuals `y - yhat`.
    pub sum_err: ExactSum,
    /// Sum of absolute residuals.
    pub sum_abs: ExactSum,
    /// Sum of squared residuals.
    pub sum_sq: ExactSum,
    /// Sum of absolute percentage errors.
    pub sum_ape: ExactSum,
    /// Sum of symmetric absolute percentage errors.
    pub sum_sape: ExactSum,
    /// Sum of the label.
    pub sum_y: ExactSum,
    /// Sum of the label's squares (exact products).
    pub sum_y2: ExactSum,
    /// Sum of the rounding errors of those squares (kept apart: they sit 53 bits below
    /// the squares, outside the squares' inline window).
    pub sum_y2_lo: ExactSum,
}

impl RegressionSums {
    /// Adds one complete row.
    #[inline]
    pub fn add(&mut self, t: f64, p: f64) {
        self.n += 1;
        let e = t - p;
        let a = e.abs();
        self.sum_err.add(e);
        self.sum_abs.add(a);
        self.sum_sq.add(e * e);
        self.sum_ape.add(a / t.abs().max(f64::EPSILON));
        self.sum_sape.add(sape(t, p, a));
        self.sum_y.add(t);
        // t^2 = hi + lo exactly (barring overflow and underflow), by Dekker's product: a
        // fused multiply-add is a libm call on targets built without FMA.
        let (hi, lo) = two_square(t);
        self.sum_y2.add(hi);
        self.sum_y2_lo.add(lo);
    }

    /// Adds complete rows, labels `t` and predictions `p` (same length): as [`Self::add`]
    /// row by row, with the same exact sums, a batch of rows at a time.
    pub fn add_rows(&mut self, t: &[f64], p: &[f64]) {
        let mut buf = [[0f64; BATCH]; 8];
        for (tc, pc) in t.chunks(BATCH).zip(p.chunks(BATCH)) {
            let k = tc.len().min(pc.len());
            let mut huge = false;
            for i in 0..k {
                huge |= write_terms(&mut buf, i, tc[i], pc[i]);
            }
            if huge {
                fix_huge_sape(&mut buf[4], tc.iter().zip(pc).map(|(&t, &p)| (t, p)));
            }
            self.n += k as u64;
            self.add_buffers(&mut buf, k);
        }
    }

    /// Adds rows `[label, prediction]`, a row whose label is NaN (the grouped pass's mark
    /// of a null label or prediction) counted in `n_null`: as [`Self::add`] for the
    /// others, a batch of rows at a time.
    pub fn add_pairs(&mut self, rows: &[[f64; 2]]) {
        let mut buf = [[0f64; BATCH]; 8];
        for chunk in rows.chunks(BATCH) {
            let mut nulls = 0u64;
            let mut huge = false;
            for (i, &[t, p]) in chunk.iter().enumerate() {
                let null = t.is_nan();
                nulls += u64::from(null);
                // A null row adds 0 to every sum, which leaves it unchanged.
                let (t, p) = if null { (0.0, 0.0) } else { (t, p) };
                huge |= write_terms(&mut buf, i, t, p);
            }
            if huge {
                fix_huge_sape(&mut buf[4], chunk.iter().map(|&[t, p]| (t, p)));
            }
            self.n += chunk.len() as u64 - nulls;
            self.n_null += nulls;
            self.add_buffers(&mut buf, chunk.len());
        }
    }

    /// Adds the first `k` terms of each buffer to its sum.
    fn add_buffers(&mut self, buf: &mut [[f64; BATCH]; 8], k: usize) {
        let sums = [
            &mut self.sum_err,
            &mut self.sum_abs,
            &mut self.sum_sq,
            &mut self.sum_ape,
            &mut self.sum_sape,
            &mut self.sum_y,
            &mut self.sum_y2,
            &mut self.sum_y2_lo,
        ];
        for (s, b) in sums.into_iter().zip(buf.iter_mut()) {
            s.add_batch(&mut b[..k]);
        }
    }

    /// Merges `o` into `self`.
    pub fn merge(&mut self, o: &RegressionSums) {
        self.n += o.n;
        self.n_null += o.n_null;
        self.sum_err.merge(&o.sum_err);
        self.sum_abs.merge(&o.sum_abs);
        self.sum_sq.merge(&o.sum_sq);
        self.sum_ape.merge(&o.sum_ape);
        self.sum_sape.merge(&o.sum_sape);
        self.sum_y.merge(&o.sum_y);
        self.sum_y2.merge(&o.sum_y2);
        self.sum_y2_lo.merge(&o.sum_y2_lo);
    }

    /// Whether every exact sum decoded from bytes is well formed.
    pub fn is_consistent(&self) -> bool {
        use crate::performance::confusion::MAX_COUNT;
        self.n < MAX_COUNT
            && self.n_null < MAX_COUNT
            && [
                &self.sum_err,
                &self.sum_abs,
                &self.sum_sq,
                &self.sum_ape,
                &self.sum_sape,
                &self.sum_y,
                &self.sum_y2,
                &self.sum_y2_lo,
            ]
            .iter()
            .all(|s| s.is_consistent())
    }

    /// Mean absolute error.
    pub fn mae(&self) -> Value {
        ratio(self.sum_abs.value(), self.n as f64, "no rows")
    }
    /// Root mean squared error.
    pub fn rmse(&self) -> Value {
        ratio(self.sum_sq.value(), self.n as f64, "no rows").map(f64::sqrt)
    }
    /// Mean absolute percentage error (a fraction).
    pub fn mape(&self) -> Value {
        ratio(self.sum_ape.value(), self.n as f64, "no rows")
    }
    /// Symmetric mean absolute percentage error (a fraction in [0, 2]).
    pub fn smape(&self) -> Value {
        ratio(self.sum_sape.value(), self.n as f64, "no rows")
    }
    /// Mean residual `y - yhat`. Undefined when residuals overflowed the double range
    /// to both infinities (their sum is no number).
    pub fn mean_error(&self) -> Value {
        let sum = self.sum_err.value();
        if sum.is_nan() {
            return Err(OPPOSITE_INFINITIES);
        }
        ratio(sum, self.n as f64, "no rows")
    }
    /// Mean of the label.
    pub fn y_mean(&self) -> Value {
        ratio(self.sum_y.value(), self.n as f64, "no rows")
    }
    /// Total sum of squares of the label about its mean, `sum (y - mean)^2`, from the
    /// exact sums without cancellation ([`crate::performance::sst`]).
    pub fn sst(&self) -> f64 {
        let mut y2 = self.sum_y2.clone();
        y2.merge(&self.sum_y2_lo);
        crate::performance::sst::sst(&self.sum_y, &y2, self.n)
    }
    /// Coefficient of determination. Undefined when the squared errors or the label's
    /// squares overflowed the double range (their ratio is then unknown), unless every
    /// error is zero.
    pub fn r2(&self) -> Value {
        if self.n == 0 {
            return Err("no rows");
        }
        if self.n == 1 {
            // As scikit-learn's r2_score: one row has no spread to explain.
            return Err("one row: R2 needs at least two");
        }
        let sst = self.sst();
        let sse = self.sum_sq.value();
        if sse == 0.0 {
            return Ok(1.0);
        }
        if !(sse.is_finite() && sst.is_finite()) {
            return Err(SQUARES_OVERFLOW);
        }
        if sst == 0.0 {
            // A constant label: as scikit-learn's r2_score (force_finite).
            return Ok(0.0);
        }
        Ok(1.0 - sse / sst)
    }
}

/// Row `i`'s term of each sum (the terms of [`RegressionSums::add`]); whether `|t| + |p|`
/// overflowed, leaving a wrong sMAPE term for [`fix_huge_sape`] to rewrite.
#[inline]
fn write_terms(buf: &mut [[f64; BATCH]; 8], i: usize, t: f64, p: f64) -> bool {
    let e = t - p;
    let a = e.abs();
    let den = t.abs() + p.abs();
    let (hi, lo) = two_square(t);
    buf[0][i] = e;
    buf[1][i] = a;
    buf[2][i] = e * e;
    buf[3][i] = a / t.abs().max(f64::EPSILON);
    // The row loop vectorises: the rare overflowing denominator is only flagged here (a
    // branch or a select per row costs 10-25% of the pass) and fixed after the batch.
    buf[4][i] = sape_finite(a, den);
    buf[5][i] = t;
    buf[6][i] = hi;
    buf[7][i] = lo;
    den > f64::MAX
}

/// sMAPE's term `2 |t - p| / (|t| + |p|)` from `a = |t - p|` and `den = |t| + |p|` when
/// `den` is finite; 0 when both values are 0 (adding 0 leaves an exact sum unchanged, as
/// skipping the row does).
#[inline(always)]
fn sape_finite(a: f64, den: f64) -> f64 {
    // `2 (a / den)`, not `2 a / den`: `2 a` overflows for `a` above half the double range,
    // and both give the same bits otherwise (the ratio is in [2^-55, 1], or 0).
    if den > 0.0 {
        2.0 * (a / den)
    } else {
        0.0
    }
}

/// sMAPE's term of a row (`a = |t - p|`), right up to the top of the double range.
#[inline(always)]
fn sape(t: f64, p: f64, a: f64) -> f64 {
    let den = t.abs() + p.abs();
    if den <= f64::MAX {
        sape_finite(a, den)
    } else {
        sape_of_halves(t, p)
    }
}

/// sMAPE's term where `|t| + |p|` overflows (both near the top of the double range, where
/// `|t - p|` may overflow too): from the halves of `t` and `p`, exact there, as the term
/// is a ratio.
fn sape_of_halves(t: f64, p: f64) -> f64 {
    let (t, p) = (0.5 * t, 0.5 * p);
    2.0 * ((t - p).abs() / (t.abs() + p.abs()))
}

/// Rewrites the sMAPE terms of a batch's rows whose `|t| + |p|` overflowed (see
/// [`write_terms`]). Out of the row loop: such rows are rare.
#[cold]
#[inline(never)]
fn fix_huge_sape(terms: &mut [f64; BATCH], rows: impl Iterator<Item = (f64, f64)>) {
    for (term, (t, p)) in terms.iter_mut().zip(rows) {
        // Null rows (NaN) compare false: left as written.
        if t.abs() + p.abs() > f64::MAX {
            *term = sape_of_halves(t, p);
        }
    }
}

/// Adds the rows of one chunk (`y`, `yhat` as `Float64`) to the sums of their groups.
pub fn add_chunk(
    out: &mut [RegressionSums],
    // Empty: every row is group 0.
    codes: &[u32],
    y: &arrow_array::Float64Array,
    yhat: &arrow_array::Float64Array,
) {
    use arrow_array::Array;
    let (yv, pv) = (y.values(), yhat.values());
    let has_nulls = y.null_count() > 0 || yhat.null_count() > 0;
    if !has_nulls && out.len() == 1 {
        out[0].add_rows(yv, pv);
        return;
    }
    for i in 0..yv.len() {
        let g = codes.get(i).map_or(0, |&k| k as usize);
        if has_nulls && (y.is_null(i) || yhat.is_null(i)) {
            out[g].n_null += 1;
            continue;
        }
        out[g].add(yv[i], pv[i]);
    }
}

/// Regression sums by group over every chunk: columns `pred` and `label` of each chunk,
/// `codes[c]` the rows' groups. A contiguous block of chunks per thread goes into one
/// accumulator, merged at the end: the sums are exact, so the blocks do not change the
/// result, and only one accumulator per thread is allocated.
///
/// # Errors
/// A NaN, an infinite value or a non-numeric column, naming it (the first in row order).
pub fn sum_chunks(
    chunks: &crate::performance::columns::Chunks,
    (pred, prediction): (usize, &str),
    (label, label_name): (usize, &str),
    codes: &SegmentCodes<'_>,
    groups: usize,
) -> crate::error::Result<Vec<RegressionSums>> {
    use crate::performance::columns::values;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    use rayon::prelude::*;
    if groups >= GROUPED_FROM {
        return sum_grouped(
            chunks,
            (pred, prediction),
            (label, label_name),
            codes,
            groups,
        );
    }
    let n = chunks.chunks.len();
    let per = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
    let starts: Vec<usize> = (0..n).step_by(per).collect();
    let parts: Vec<crate::error::Result<Vec<RegressionSums>>> = starts
        .into_par_iter()
        .map(|start| {
            let mut acc = vec![RegressionSums::default(); groups];
            let mut buf = Vec::new();
            for c in start..(start + per).min(n) {
                let chunk = &chunks.chunks[c];
                let p = values(&chunk[pred], prediction)?;
                let y = values(&chunk[label], label_name)?;
                // One segment: no codes (every row is segment 0).
                let codes: &[u32] = match codes {
                    SegmentCodes::One => &[],
                    _ => codes.of_chunk(chunks, c, &mut buf),
                };
                add_chunk(
                    &mut acc,
                    codes,
                    y.as_primitive::<Float64Type>(),
                    p.as_primitive::<Float64Type>(),
                );
            }
            Ok(acc)
        })
        .collect();
    let mut out: Option<Vec<RegressionSums>> = None;
    for part in parts {
        let part = part?;
        match out.as_mut() {
            None => out = Some(part),
            Some(acc) => acc.iter_mut().zip(&part).for_each(|(a, b)| a.merge(b)),
        }
    }
    Ok(out.unwrap_or_else(|| vec![RegressionSums::default(); groups]))
}

/// Places rows without nulls, `[label, prediction]` by segment; whether one is NaN or
/// infinite (refused). A function of its own: the loop is the pass's hot path and
/// compiles alone.
#[inline(never)]
fn place_pairs(
    codes: &[u32],
    y: &[f64],
    p: &[f64],
    placer: &mut crate::performance::counting::Placer<'_, [f64; 2]>,
) -> bool {
    let mut bad = false;
    for ((&k, &t), &q) in codes.iter().zip(y).zip(p) {
        // One compare each, as the NaN test it replaces: NaN is not finite either.
        bad |= !t.is_finite() | !q.is_finite();
        placer.put(k as usize, [t, q]);
    }
    bad
}

/// Groups from which the rows are first grouped by segment: each row then updates
/// accumulators already in cache, where with thousands of groups (some kilobytes of exact
/// sums each) nearly every row would miss the cache.
const GROUPED_FROM: usize = 256;

/// [`sum_chunks`] through rows grouped by segment: a counting sort of `[label,
/// prediction]` per row (NaN for a row with a null: NaN is refused in the data, so it
/// marks nothing else), each segment's rows then one contiguous run.
///
/// # Errors
/// As [`sum_chunks`]: a NaN or an infinite value names the first column holding one, in
/// row order.
fn sum_grouped(
    chunks: &crate::performance::columns::Chunks,
    (pred, prediction): (usize, &str),
    (label, label_name): (usize, &str),
    codes: &SegmentCodes<'_>,
    groups: usize,
) -> crate::error::Result<Vec<RegressionSums>> {
    use crate::performance::columns::{to_f64, values};
    use crate::performance::counting::counting_sort;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    use arrow_array::{Array, ArrayRef};
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    // Read as floats; NaN and +-inf (refused) are looked for while placing the rows, not
    // in a pass of its own: the data is read once.
    let cols: Vec<crate::error::Result<(ArrayRef, ArrayRef)>> = chunks
        .chunks
        .par_iter()
        .map(|c| {
            Ok((
                to_f64(&c[label], label_name)?,
                to_f64(&c[pred], prediction)?,
            ))
        })
        .collect();
    let cols = cols.into_iter().collect::<crate::error::Result<Vec<_>>>()?;
    let n = cols.len();
    // One block per thread: each block starts its line buffers cold and writes the
    // partial lines at both ends of each of its ranges row by row, so fewer blocks place
    // faster (10M rows into 10k segments: 35 ms against 39-40 with four per thread).
    let blocks = rayon::current_num_threads().clamp(1, n.max(1));
    let per = n.div_ceil(blocks).max(1);
    let range = |b: usize| (b * per).min(n)..((b + 1) * per).min(n);
    let nan_seen = AtomicBool::new(false);
    let rows = counting_sort(
        blocks,
        groups,
        |b, counts| {
            let mut buf = Vec::new();
            for c in range(b) {
                if let SegmentCodes::Lookup(l, _) = codes {
                    // Counted when the lookup was built: no pass over the column.
                    if l.add_chunk_counts(c, counts) {
                        continue;
                    }
                }
                let codes = codes.of_chunk(chunks, c, &mut buf);
                codes.iter().for_each(|&k| counts[k as usize] += 1);
            }
            Ok(())
        },
        |b, placer| {
            let mut nan = false;
            let mut buf = Vec::new();
            for c in range(b) {
                let codes = codes.of_chunk(chunks, c, &mut buf);
                let (y, p) = (
                    cols[c].0.as_primitive::<Float64Type>(),
                    cols[c].1.as_primitive::<Float64Type>(),
                );
                let (yv, pv) = (y.values(), p.values());
                if y.null_count() == 0 && p.null_count() == 0 {
                    nan |= place_pairs(codes, yv, pv, placer);
                } else {
                    for (i, &k) in codes.iter().enumerate() {
                        let null = y.is_null(i) || p.is_null(i);
                        let row = if null { [f64::NAN; 2] } else { [yv[i], pv[i]] };
                        nan |= !null && !(row[0].is_finite() & row[1].is_finite());
                        placer.put(k as usize, row);
                    }
                }
            }
            if nan {
                nan_seen.store(true, Ordering::Relaxed);
            }
            Ok(())
        },
    )?;
    if nan_seen.load(Ordering::Relaxed) {
        // The error names the first column with a NaN or an infinity, in row order.
        for c in &chunks.chunks {
            values(&c[label], label_name)?;
            values(&c[pred], prediction)?;
        }
    }
    Ok((0..groups)
        .into_par_iter()
        .with_min_len(16)
        .map(|s| {
            let mut acc = RegressionSums::default();
            acc.add_pairs(rows.group(s));
            acc
        })
        .collect())
}

#[cfg(test)]
#[path = "regression_tests.rs"]
mod tests;
