//! One integer key column of a small value range, coded over all chunks at once: the
//! codes are the ranks of the values present (null first), read from a table indexed by
//! value, so no chunk builds its own dictionary and no per-chunk dictionary is merged.
//!
//! # Definition
//! The same codes and keys as [`crate::fairness::groups::code_columns`] gives one integer
//! column: dense, in sorted key order, null (when present) as the first group.
//!
//! # Complexity
//! Two parallel passes over the column (range and values present, a chunk at a time while
//! it is in cache; codes) and O(range) for the table, or three when a chunk's own range is
//! wide; used when the range is at most about four values per row.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType};
use arrow_schema::DataType;
use rayon::prelude::*;

use crate::fairness::groups::{Coded, KeyValue};

/// Codes column `j` of `chunks`, or `None` when it is not a signed integer column or an
/// unsigned one of at most 32 bits, when it holds no value, or when its range is large.
pub fn code_int_column(chunks: &[Vec<ArrayRef>], j: usize) -> Option<Coded> {
    let l = int_lookup(chunks, j)?;
    let codes = chunks
        .par_iter()
        .map(|c| {
            let mut out = Vec::new();
            l.codes_into(&c[j], &mut out);
            out
        })
        .collect();
    Some(Coded {
        codes,
        keys: l.keys,
    })
}

/// The code of every value of an integer column: its rank among the values present
/// (null first), read from a table indexed by value. Lets a pass code a chunk into a small
/// buffer of its own instead of writing every row's code out first.
pub struct IntLookup {
    /// The key tuple of each code, sorted (`[Null]` first when the column has nulls).
    pub keys: Vec<Vec<KeyValue>>,
    /// Smallest value.
    lo: i64,
    /// Code of value `lo + i`.
    rank: Vec<u32>,
    /// Codes an array of the column's type.
    code: fn(&IntLookup, &ArrayRef, &mut Vec<u32>),
    /// Per chunk, from its smallest value, the rows of each value, and its nulls (`None`
    /// when a chunk's range was too wide to count in its first pass).
    counts: Option<Vec<(i64, Vec<u32>, u32)>>,
}

impl IntLookup {
    /// Adds chunk `c`'s rows per code to `out` (indexed by code) and returns `true`, or
    /// returns `false` when the chunks' values were not counted.
    pub fn add_chunk_counts(&self, c: usize, out: &mut [usize]) -> bool {
        let Some(counts) = &self.counts else {
            return false;
        };
        let (lo, per_value, nulls) = &counts[c];
        // (A chunk without values has no counts, and its `lo` is not a value.)
        let at = lo.wrapping_sub(self.lo) as usize;
        for (i, &n) in per_value.iter().enumerate() {
            if n > 0 {
                out[self.rank[at + i] as usize] += n as usize;
            }
        }
        // Null is code 0.
        out[0] += *nulls as usize;
        true
    }

    /// Replaces `out` by the codes of `array`'s rows (an array of the coded column).
    pub fn codes_into(&self, array: &ArrayRef, out: &mut Vec<u32>) {
        out.clear();
        (self.code)(self, array, out);
    }
}

fn codes_of<T>(l: &IntLookup, array: &ArrayRef, out: &mut Vec<u32>)
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    let a = array.as_primitive::<T>();
    let at = |v: T::Native| -> u32 {
        let v: i64 = v.into();
        l.rank[(v - l.lo) as usize]
    };
    if a.null_count() == 0 {
        out.extend(a.values().iter().map(|&v| at(v)));
    } else {
        // Null is code 0: the first key.
        out.extend(a.iter().map(|v| v.map_or(0, at)));
    }
}

/// The lookup of column `j`, or `None` as [`code_int_column`].
pub fn int_lookup(chunks: &[Vec<ArrayRef>], j: usize) -> Option<IntLookup> {
    match chunks.first()?.get(j)?.data_type() {
        DataType::Int8 => lookup::<Int8Type>(chunks, j),
        DataType::Int16 => lookup::<Int16Type>(chunks, j),
        DataType::Int32 => lookup::<Int32Type>(chunks, j),
        DataType::Int64 => lookup::<Int64Type>(chunks, j),
        DataType::UInt8 => lookup::<UInt8Type>(chunks, j),
        DataType::UInt16 => lookup::<UInt16Type>(chunks, j),
        DataType::UInt32 => lookup::<UInt32Type>(chunks, j),
        _ => None,
    }
}

/// A chunk's range of values, whether it has nulls, its length, and the count of each
/// value in it (from its `lo`) when its range is at most [`LOCAL_SPAN`] values per row.
struct ChunkStats {
    lo: i64,
    hi: i64,
    any_null: bool,
    len: usize,
    present: Option<Vec<u32>>,
}

/// Largest range per row of a chunk whose values are counted in its first pass (the
/// counts then take at most two words per row, 8 bytes).
const LOCAL_SPAN: usize = 2;

fn lookup<T>(chunks: &[Vec<ArrayRef>], j: usize) -> Option<IntLookup>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64>,
{
    let col = |c: &Vec<ArrayRef>| c[j].as_primitive::<T>().clone();
    // Per chunk: its range and, while the chunk is in cache, the values present in it
    // (when that range is small against the chunk), so that the column is read once for
    // both.
    let stats: Vec<ChunkStats> = chunks
        .par_iter()
        .map(|c| {
            let a = col(c);
            let no_nulls = a.null_count() == 0;
            let (mut lo, mut hi) = (i64::MAX, i64::MIN);
            if no_nulls {
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
            let span = i128::from(hi) - i128::from(lo) + 1;
            let present = (hi >= lo && span <= (LOCAL_SPAN * a.len()) as i128).then(|| {
                let mut p = vec![0u32; span as usize];
                let mut mark = |v: T::Native| {
                    let v: i64 = v.into();
                    p[(v - lo) as usize] += 1;
                };
                if no_nulls {
                    a.values().iter().for_each(|&v| mark(v));
                } else {
                    a.iter().flatten().for_each(&mut mark);
                }
                p
            });
            ChunkStats {
                lo,
                hi,
                any_null: !no_nulls,
                len: a.len(),
                present,
            }
        })
        .collect();
    let lo = stats.iter().map(|s| s.lo).min()?;
    let hi = stats.iter().map(|s| s.hi).max()?;
    let any_null = stats.iter().any(|s| s.any_null);
    let rows: usize = stats.iter().map(|s| s.len).sum();
    if hi < lo {
        return None;
    }
    let range = (i128::from(hi) - i128::from(lo) + 1) as u128;
    if range > (rows as u128 * 4).max(1 << 16) || range > u128::from(u32::MAX) {
        return None;
    }
    let range = range as usize;
    let present = if stats.iter().all(|s| s.hi < s.lo || s.present.is_some()) {
        let mut all = vec![false; range];
        for s in &stats {
            if let Some(p) = &s.present {
                let at = (s.lo - lo) as usize;
                all[at..at + p.len()]
                    .iter_mut()
                    .zip(p)
                    .for_each(|(x, &y)| *x |= y > 0);
            }
        }
        all
    } else {
        chunks
            .par_iter()
            .map(|c| {
                let mut p = vec![false; range];
                for v in col(c).iter().flatten() {
                    let v: i64 = v.into();
                    p[(v - lo) as usize] = true;
                }
                p
            })
            .reduce(
                || vec![false; range],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x |= y);
                    a
                },
            )
    };
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
    // Each chunk's rows per code, when every chunk counted its values.
    let counts = stats
        .iter()
        .all(|s| s.present.is_some() || s.hi < s.lo)
        .then(|| {
            stats
                .into_iter()
                .map(|s| {
                    let nulls = (s.len
                        - s.present
                            .as_ref()
                            .map_or(0, |p| p.iter().map(|&c| c as usize).sum()))
                        as u32;
                    (s.lo, s.present.unwrap_or_default(), nulls)
                })
                .collect()
        });
    Some(IntLookup {
        keys,
        lo,
        rank,
        code: codes_of::<T>,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int64Array;
    use std::sync::Arc;

    /// Reference: the sorted distinct values' ranks, null first.
    fn reference(chunks: &[Vec<Option<i64>>]) -> (Vec<Vec<u32>>, Vec<Vec<KeyValue>>) {
        let mut distinct: Vec<Option<i64>> = chunks.iter().flatten().copied().collect();
        distinct.sort();
        distinct.dedup();
        let rank = |v: Option<i64>| distinct.binary_search(&v).unwrap() as u32;
        let codes = chunks
            .iter()
            .map(|c| c.iter().map(|&v| rank(v)).collect())
            .collect();
        let keys = distinct
            .iter()
            .map(|v| vec![v.map_or(KeyValue::Null, KeyValue::Int)])
            .collect();
        (codes, keys)
    }

    fn coded(chunks: &[Vec<Option<i64>>]) -> Option<Coded> {
        let arrays: Vec<Vec<ArrayRef>> = chunks
            .iter()
            .map(|c| vec![Arc::new(Int64Array::from(c.clone())) as ArrayRef])
            .collect();
        code_int_column(&arrays, 0)
    }

    #[test]
    fn codes_are_the_ranks_of_the_values_present_with_null_first() {
        let wide: Vec<Option<i64>> = (0..10).map(|i| Some(i * 1000 - 4000)).collect();
        let cases: Vec<Vec<Vec<Option<i64>>>> = vec![
            // Several chunks, values missing from the range, negative values.
            vec![
                (0..5000).map(|i| Some((i * 7) % 300 - 100)).collect(),
                vec![Some(-100), Some(450), Some(3)],
                vec![],
            ],
            // Nulls in one chunk only; a chunk of nulls alone.
            vec![
                vec![Some(5), None, Some(2)],
                vec![Some(9), Some(8)],
                vec![None, None],
            ],
            // A chunk whose own range is wide against its length (a pass of its own for
            // the values present), next to narrow ones.
            vec![(0..4000).map(|i| Some(i % 17)).collect(), wide.clone()],
            vec![wide],
        ];
        for (case, chunks) in cases.iter().enumerate() {
            let got = coded(chunks).unwrap();
            let (codes, keys) = reference(chunks);
            assert_eq!(got.codes, codes);
            assert_eq!(got.keys, keys);
            // The rows per code counted in the first pass, where every chunk was counted.
            let arrays: Vec<Vec<ArrayRef>> = chunks
                .iter()
                .map(|c| vec![Arc::new(Int64Array::from(c.clone())) as ArrayRef])
                .collect();
            let l = int_lookup(&arrays, 0).unwrap();
            for (c, chunk_codes) in codes.iter().enumerate() {
                let mut want = vec![0usize; keys.len()];
                chunk_codes.iter().for_each(|&k| want[k as usize] += 1);
                let mut got = vec![0usize; keys.len()];
                if l.add_chunk_counts(c, &mut got) {
                    assert_eq!(got, want, "case {case} chunk {c}");
                } else {
                    // Only a chunk whose own range is wide (against its length) leaves
                    // the counts out: the three-row chunk of case 0, the wide ones.
                    assert_ne!(case, 1);
                }
            }
        }
    }

    #[test]
    fn wide_ranges_and_all_null_columns_take_the_general_path() {
        assert!(coded(&[vec![Some(i64::MIN), Some(i64::MAX)]]).is_none());
        assert!(coded(&[vec![Some(0), Some(1 << 40)]]).is_none());
        assert!(coded(&[vec![None, None]]).is_none());
        assert!(coded(&[vec![]]).is_none());
    }
}
