//! Turning Arrow arrays into the plain `f64` samples and count vectors the kernels take.
//!
//! Policy, shared by every `dl.stats` function:
//! - nulls are dropped from samples (a sample is the set of observed values);
//! - NaN is refused with an error naming the argument (a NaN has no place in an
//!   ordering or a distribution, and silently dropping it would hide a data bug);
//! - integers and floats of any width are cast to `f64` (int64 beyond 2^53 rounds, as
//!   `numpy.asarray(x, dtype=float64)` does);
//! - an empty sample (after dropping nulls) is an error, never a NaN statistic.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::Array;
use arrow_schema::DataType;

use crate::{DriftlineError, Result};

/// The non-null values of a numeric Arrow array as `f64`, nulls dropped.
///
/// # Definition
/// Casts any integer, float or decimal array to Float64 and collects its valid slots, in
/// order. Offsets of sliced arrays are honoured.
///
/// # Assumptions
/// Errors with [`DriftlineError::InvalidData`] naming `name` when a value is NaN, and with
/// [`DriftlineError::UnsupportedType`] for a non-numeric type. Infinite values are kept;
/// each statistic says what it does with them.
///
/// # Complexity
/// O(n) time, one `Vec<f64>` of the non-null values.
pub fn values_f64(array: &dyn Array, name: &str) -> Result<Vec<f64>> {
    let dtype = array.data_type();
    let numeric = dtype.is_numeric() || matches!(dtype, DataType::Boolean);
    if !numeric {
        return Err(DriftlineError::UnsupportedType {
            column: name.to_string(),
            dtype: dtype.to_string(),
        });
    }
    let casted;
    let floats = if matches!(dtype, DataType::Float64) {
        array.as_primitive::<Float64Type>()
    } else {
        casted = arrow_cast::cast(array, &DataType::Float64)?;
        casted.as_primitive::<Float64Type>()
    };
    let mut out = Vec::with_capacity(floats.len() - floats.null_count());
    if floats.null_count() == 0 {
        out.extend_from_slice(floats.values());
    } else {
        out.extend(floats.iter().flatten());
    }
    check_no_nan(&out, name)?;
    Ok(out)
}

/// Errors when `values` holds a NaN, naming the argument and the first position.
pub fn check_no_nan(values: &[f64], name: &str) -> Result<()> {
    if let Some(pos) = values.iter().position(|v| v.is_nan()) {
        return Err(DriftlineError::data(
            name,
            format!("contains NaN (first at position {pos} after dropping nulls); drop or impute NaN first"),
        ));
    }
    Ok(())
}

/// Errors when `values` is empty.
pub fn check_not_empty(values: &[f64], name: &str) -> Result<()> {
    if values.is_empty() {
        return Err(DriftlineError::data(
            name,
            "is empty (no non-null values); a statistic needs at least one value",
        ));
    }
    Ok(())
}

/// Errors when `values` holds an infinite value.
pub fn check_finite(values: &[f64], name: &str, why: &str) -> Result<()> {
    if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
        return Err(DriftlineError::data(
            name,
            format!(
                "contains a non-finite value ({}) at position {pos}; {why}",
                values[pos]
            ),
        ));
    }
    Ok(())
}

/// Validates a vector of counts or probabilities: non-empty, finite, non-negative, with a
/// positive sum; returns the sum.
pub fn check_counts(values: &[f64], name: &str) -> Result<f64> {
    if values.is_empty() {
        return Err(DriftlineError::data(
            name,
            "is empty; need at least one bin",
        ));
    }
    let mut sum = 0.0;
    for (i, &v) in values.iter().enumerate() {
        if !v.is_finite() || v < 0.0 {
            return Err(DriftlineError::data(
                name,
                format!("entry {i} is {v}; counts and probabilities must be finite and >= 0"),
            ));
        }
        sum += v;
    }
    if sum <= 0.0 || !sum.is_finite() {
        return Err(DriftlineError::data(
            name,
            format!("sums to {sum}; need a positive, finite total"),
        ));
    }
    Ok(sum)
}

/// Errors unless the two count vectors have the same length.
pub fn check_same_len(a: &[f64], b: &[f64], name_a: &str, name_b: &str) -> Result<()> {
    if a.len() != b.len() {
        return Err(DriftlineError::data(
            format!("{name_a}/{name_b}"),
            format!(
                "length mismatch: {name_a} has {} bins, {name_b} has {}",
                a.len(),
                b.len()
            ),
        ));
    }
    Ok(())
}

/// Below this length a comparison sort beats the radix sort's fixed passes.
const RADIX_MIN_LEN: usize = 2048;

/// Sorts a sample ascending in place, with -0.0 made +0.0 first (so that the two zeros,
/// equal as numbers, are one value in every merge walk). NaN must have been refused.
///
/// # Complexity
/// O(n): an LSD radix sort on the order-preserving bit pattern of the f64 (11-bit digits,
/// at most 6 passes, passes where every key shares the digit skipped), O(n) extra memory.
/// Short inputs use pattern-defeating quicksort on `f64::total_cmp`.
pub fn sort_sample(values: &mut [f64]) {
    for v in values.iter_mut() {
        // -0.0 + 0.0 == +0.0; every other value is unchanged.
        *v += 0.0;
    }
    if values.len() < RADIX_MIN_LEN {
        values.sort_unstable_by(f64::total_cmp);
    } else {
        radix_sort(values);
    }
}

// Order-preserving map f64 -> u64: flip all bits of negatives, set the sign bit of the
// others; unsigned order of the keys is then the total order of the floats.
#[inline]
fn key_of(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

#[inline]
fn value_of(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

fn radix_sort(values: &mut [f64]) {
    const BITS: usize = 11;
    const PASSES: usize = 6;
    const MASK: u64 = (1 << BITS) - 1;
    let n = values.len();
    let mut keys: Vec<u64> = values.iter().map(|&x| key_of(x)).collect();
    let mut hist = vec![[0usize; 1 << BITS]; PASSES];
    for &k in &keys {
        for (p, h) in hist.iter_mut().enumerate() {
            h[((k >> (BITS * p)) & MASK) as usize] += 1;
        }
    }
    let mut buf = vec![0u64; n];
    for (p, h) in hist.iter().enumerate() {
        if h.contains(&n) {
            continue; // every key has the same digit here: the pass would not move anything
        }
        let mut offsets = [0usize; 1 << BITS];
        let mut acc = 0;
        for (o, &c) in offsets.iter_mut().zip(h.iter()) {
            *o = acc;
            acc += c;
        }
        for &k in &keys {
            let d = ((k >> (BITS * p)) & MASK) as usize;
            buf[offsets[d]] = k;
            offsets[d] += 1;
        }
        std::mem::swap(&mut keys, &mut buf);
    }
    for (v, &k) in values.iter_mut().zip(&keys) {
        *v = value_of(k);
    }
}

/// Sorts two samples, in parallel on the current rayon pool.
pub fn sort_pair(a: &mut [f64], b: &mut [f64]) {
    rayon::join(|| sort_sample(a), || sort_sample(b));
}

/// Values and their weights from two Arrow arrays of the same length: positions where the
/// value is null are dropped with their weight; a null weight is an error.
///
/// # Complexity
/// O(n).
pub fn weighted_values_f64(
    values: &dyn Array,
    weights: &dyn Array,
    name: &str,
    weights_name: &str,
) -> Result<(Vec<f64>, Vec<f64>)> {
    if values.len() != weights.len() {
        return Err(DriftlineError::data(
            weights_name,
            format!(
                "has {} entries but {name} has {}; weights pair with values one to one",
                weights.len(),
                values.len()
            ),
        ));
    }
    if weights.null_count() > 0 {
        return Err(DriftlineError::data(weights_name, "contains nulls"));
    }
    let w_all = values_f64(weights, weights_name)?;
    if values.null_count() == 0 {
        return Ok((values_f64(values, name)?, w_all));
    }
    let v_arr = arrow_cast::cast(values, &DataType::Float64)?;
    let v_arr = v_arr.as_primitive::<Float64Type>();
    let mut v = Vec::with_capacity(v_arr.len());
    let mut w = Vec::with_capacity(v_arr.len());
    for (x, wx) in v_arr.iter().zip(w_all) {
        if let Some(x) = x {
            v.push(x);
            w.push(wx);
        }
    }
    check_no_nan(&v, name)?;
    Ok((v, w))
}

/// A count or probability vector from an Arrow array: cast to `f64`, nulls refused (a
/// null would shift every later bin), values checked by [`check_counts`] later.
///
/// # Complexity
/// O(k).
pub fn counts_f64(array: &dyn Array, name: &str) -> Result<Vec<f64>> {
    if array.null_count() > 0 {
        return Err(DriftlineError::data(
            name,
            format!(
                "contains {} null(s); counts are positional, fill them with 0",
                array.null_count()
            ),
        ));
    }
    values_f64(array, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_orders_like_total_cmp() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut v: Vec<f64> = (0..10_000)
            .map(|i| match i % 7 {
                0 => f64::INFINITY,
                1 => f64::NEG_INFINITY,
                2 => -0.0,
                3 => (next() % 100) as f64 - 50.0,
                4 => f64::MIN_POSITIVE * (next() % 5) as f64,
                _ => f64::from_bits(next() >> 2) * if next() % 2 == 0 { 1.0 } else { -1.0 },
            })
            .collect();
        let mut want = v.clone();
        for x in want.iter_mut() {
            *x += 0.0;
        }
        want.sort_unstable_by(f64::total_cmp);
        sort_sample(&mut v);
        assert_eq!(
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}
