//! One integer key column of a small value range, coded over all chunks at once: the
//! codes are the ranks of the values present (null first), read from a table indexed by
//! value, so no chunk builds its own dictionary and no per-chunk dictionary is merged.
//!
//! # Definition
//! The same codes and keys as [`crate::fairness::groups::code_columns`] gives one integer
//! column: dense, in sorted key order, null (when present) as the first group.
//!
//! # Complexity
//! Three parallel passes over the column (range, values present, codes) and O(range) for
//! the table; used when the range is at most about four values per row.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType};
use arrow_schema::DataType;
use rayon::prelude::*;

use crate::fairness::groups::{Coded, KeyValue};

/// Codes column `j` of `chunks`, or `None` when it is not a signed integer column or an
/// unsigned one of at most 32 bits, when it holds no value, or when its range is large.
pub fn code_int_column(chunks: &[Vec<ArrayRef>], j: usize) -> Option<Coded> {
    match chunks.first()?.get(j)?.data_type() {
        DataType::Int8 => code::<Int8Type>(chunks, j),
        DataType::Int16 => code::<Int16Type>(chunks, j),
        DataType::Int32 => code::<Int32Type>(chunks, j),
        DataType::Int64 => code::<Int64Type>(chunks, j),
        DataType::UInt8 => code::<UInt8Type>(chunks, j),
        DataType::UInt16 => code::<UInt16Type>(chunks, j),
        DataType::UInt32 => code::<UInt32Type>(chunks, j),
        _ => None,
    }
}

fn code<T>(chunks: &[Vec<ArrayRef>], j: usize) -> Option<Coded>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    let col = |c: &Vec<ArrayRef>| c[j].as_primitive::<T>().clone();
    let stats: Vec<(i64, i64, bool, usize)> = chunks
        .par_iter()
        .map(|c| {
            let a = col(c);
            let (mut lo, mut hi) = (i64::MAX, i64::MIN);
            if a.null_count() == 0 {
                // Without nulls, the values buffer alone (a loop that vectorises).
                for &v in a.values().iter() {
                    let v: i64 = v.into();
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            } else {
                for v in a.iter().flatten() {
                    let v: i64 = v.into();
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
            (lo, hi, a.null_count() > 0, a.len())
        })
        .collect();
    let lo = stats.iter().map(|s| s.0).min()?;
    let hi = stats.iter().map(|s| s.1).max()?;
    let any_null = stats.iter().any(|s| s.2);
    let rows: usize = stats.iter().map(|s| s.3).sum();
    if hi < lo {
        return None;
    }
    let range = (i128::from(hi) - i128::from(lo) + 1) as u128;
    if range > (rows as u128 * 4).max(1 << 16) || range > u128::from(u32::MAX) {
        return None;
    }
    let range = range as usize;
    let present = chunks
        .par_iter()
        .map(|c| {
            let a = col(c);
            let mut p = vec![false; range];
            if a.null_count() == 0 {
                for &v in a.values().iter() {
                    let v: i64 = v.into();
                    p[(v - lo) as usize] = true;
                }
            } else {
                for v in a.iter().flatten() {
                    let v: i64 = v.into();
                    p[(v - lo) as usize] = true;
                }
            }
            p
        })
        .reduce(
            || vec![false; range],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x |= y);
                a
            },
        );
    let mut keys = Vec::new();
    if any_null {
        keys.push(vec![KeyValue::Null]);
    }
    let mut rank = vec![0u32; range];
    for (i, &p) in present.iter().enumerate() {
        if p {
            rank[i] = keys.len() as u32;
            keys.push(vec![KeyValue::Int(lo + i as i64)]);
        }
    }
    let codes = chunks
        .par_iter()
        .map(|c| {
            let a = col(c);
            let at = |v: T::Native| -> u32 {
                let v: i64 = v.into();
                rank[(v - lo) as usize]
            };
            if a.null_count() == 0 {
                a.values().iter().map(|&v| at(v)).collect()
            } else {
                // Null is code 0: the first key.
                a.iter().map(|v| v.map_or(0, at)).collect()
            }
        })
        .collect();
    Some(Coded { codes, keys })
}
