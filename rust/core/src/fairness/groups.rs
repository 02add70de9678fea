//! Group keys: dense codes for the rows of one or several sensitive (or segment) columns.
//!
//! # Definition
//! Each distinct value of a column (null included, as its own group) gets a code; with
//! several columns a group is a distinct tuple of values (their intersection). Codes are
//! dense, `0..n_groups`, and follow the sorted order of the key tuples (null first), so the
//! output is deterministic and ordered like fairlearn's `MetricFrame.by_group`.
//!
//! # Assumptions
//! Columns are string (`string`, `large_string`, `string_view`), integer, boolean,
//! temporal (date, timestamp, time, duration: grouped by the integer Arrow stores, and
//! given back in their own type), or dictionary-encoded with such values. Floats are
//! refused: a continuous column is not a group.
//!
//! # Complexity
//! One hash lookup per row and column (a direct table for integers of a small range), done
//! per chunk in parallel; then a merge of the per-chunk dictionaries, whose size is the
//! number of distinct values only.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use hashbrown::HashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{DriftlineError, Result};
pub use crate::fairness::temporal::{TemporalType, Unit};
use crate::performance::columns::Chunks;

/// One value of a group key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KeyValue {
    /// A null value (its own group).
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer (and unsigned ones up to `i64::MAX`).
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A string.
    Str(String),
    /// A temporal value: the integer Arrow stores (days, seconds, ... by its type) and
    /// its type.
    Temporal(i64, TemporalType),
}

impl std::fmt::Display for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => write!(f, "null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::UInt(u) => write!(f, "{u}"),
            Self::Str(s) => write!(f, "{s}"),
            Self::Temporal(v, t) => match t.show(*v) {
                Some(s) => write!(f, "{s}"),
                None => write!(f, "{v}"),
            },
        }
    }
}

/// Rows coded by group.
#[derive(Debug, Clone)]
pub struct Coded {
    /// Per chunk, the group code of each row.
    pub codes: Vec<Vec<u32>>,
    /// The key tuple of each group, in code order (sorted).
    pub keys: Vec<Vec<KeyValue>>,
}

/// Codes the rows of `chunks` by the columns at `cols` (indices into each chunk).
///
/// # Errors
/// An unsupported column type, or more than `u32::MAX` groups.
pub fn code_columns(chunks: &Chunks, cols: &[usize]) -> Result<Coded> {
    let n_chunks = chunks.chunks.len();
    if cols.is_empty() {
        let codes = chunks
            .chunks
            .iter()
            .map(|c| vec![0u32; c.first().map_or(0, |a| a.len())])
            .collect();
        return Ok(Coded {
            codes,
            keys: vec![Vec::new()],
        });
    }
    if let [j] = cols {
        if let Some(coded) = crate::fairness::int_keys::code_int_column(&chunks.chunks, *j) {
            return Ok(coded);
        }
    }
    let mut per_col: Vec<(Vec<Vec<u32>>, Vec<KeyValue>)> = Vec::with_capacity(cols.len());
    for &j in cols {
        // An integer column of a small range (a segment id) is coded from a table indexed
        // by value, without per-chunk dictionaries to merge.
        if let Some(c) = crate::fairness::int_keys::code_int_column(&chunks.chunks, j) {
            let keys = c.keys.into_iter().flatten().collect();
            per_col.push((c.codes, keys));
            continue;
        }
        let name = &chunks.names[j];
        let locals: Vec<Result<(Vec<u32>, Vec<KeyValue>)>> = (0..n_chunks)
            .into_par_iter()
            .map(|c| code_array(&chunks.chunks[c][j], name))
            .collect();
        let mut locals_ok = Vec::with_capacity(n_chunks);
        for l in locals {
            locals_ok.push(l?);
        }
        per_col.push(globalise(locals_ok));
    }
    if per_col.len() == 1 {
        let Some((codes, keys)) = per_col.pop() else {
            return Err(DriftlineError::param("sensitive", "no column"));
        };
        return Ok(Coded {
            codes,
            keys: keys.into_iter().map(|k| vec![k]).collect(),
        });
    }
    intersect(per_col)
}

/// Turns per-chunk local codes into global codes in sorted key order.
fn globalise(locals: Vec<(Vec<u32>, Vec<KeyValue>)>) -> (Vec<Vec<u32>>, Vec<KeyValue>) {
    let mut index: HashMap<KeyValue, u32> = HashMap::new();
    let mut keys: Vec<KeyValue> = Vec::new();
    let mut remaps: Vec<Vec<u32>> = Vec::with_capacity(locals.len());
    for (_, uniq) in &locals {
        let remap = uniq
            .iter()
            .map(|k| {
                *index.entry_ref(k).or_insert_with(|| {
                    keys.push(k.clone());
                    (keys.len() - 1) as u32
                })
            })
            .collect();
        remaps.push(remap);
    }
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.sort_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
    let mut rank = vec![0u32; keys.len()];
    for (r, &o) in order.iter().enumerate() {
        rank[o as usize] = r as u32;
    }
    let sorted: Vec<KeyValue> = order.iter().map(|&o| keys[o as usize].clone()).collect();
    let codes = locals
        .into_par_iter()
        .zip(remaps.into_par_iter())
        .map(|((mut codes, _), remap)| {
            for c in &mut codes {
                *c = rank[remap[*c as usize] as usize];
            }
            codes
        })
        .collect();
    (codes, sorted)
}

/// Intersects several coded columns into one code per distinct tuple present.
fn intersect(per_col: Vec<(Vec<Vec<u32>>, Vec<KeyValue>)>) -> Result<Coded> {
    // Mixed radix: the combined code orders tuples lexicographically, as the keys sort.
    let mut strides = vec![1u64; per_col.len()];
    let mut total: u128 = 1;
    for j in (0..per_col.len()).rev() {
        strides[j] = total as u64;
        total *= per_col[j].1.len().max(1) as u128;
        if total > u64::MAX as u128 {
            return Err(DriftlineError::param(
                "sensitive",
                "too many distinct value combinations to intersect",
            ));
        }
    }
    let n_chunks = per_col[0].0.len();
    let combined: Vec<Vec<u64>> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let len = per_col[0].0[c].len();
            let mut out = vec![0u64; len];
            for (j, (codes, _)) in per_col.iter().enumerate() {
                let s = strides[j];
                for (o, &k) in out.iter_mut().zip(&codes[c]) {
                    *o += k as u64 * s;
                }
            }
            out
        })
        .collect();
    let present: Vec<u64> = if total <= 1 << 22 {
        let mut seen = vec![false; total as usize];
        for chunk in &combined {
            for &k in chunk {
                seen[k as usize] = true;
            }
        }
        (0..total as u64).filter(|&k| seen[k as usize]).collect()
    } else {
        let sets: Vec<Vec<u64>> = combined
            .par_iter()
            .map(|chunk| {
                let mut v = chunk.clone();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let mut all: Vec<u64> = sets.into_iter().flatten().collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    if present.len() > u32::MAX as usize {
        return Err(DriftlineError::param("sensitive", "more than 2^32 groups"));
    }
    let codes: Vec<Vec<u32>> = if total <= 1 << 22 {
        let mut dense = vec![0u32; total as usize];
        for (i, &k) in present.iter().enumerate() {
            dense[k as usize] = i as u32;
        }
        combined
            .into_par_iter()
            .map(|chunk| chunk.into_iter().map(|k| dense[k as usize]).collect())
            .collect()
    } else {
        let index: HashMap<u64, u32> = present
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i as u32))
            .collect();
        combined
            .into_par_iter()
            .map(|chunk| chunk.into_iter().map(|k| index[&k]).collect())
            .collect()
    };
    // A key tuple per group: with 100k segments times the sensitive groups, allocating
    // them is worth the threads.
    let keys = present
        .par_iter()
        .with_min_len(1 << 12)
        .map(|&k| {
            per_col
                .iter()
                .enumerate()
                .map(|(j, (_, keys))| {
                    let c = (k / strides[j]) % keys.len().max(1) as u64;
                    keys[c as usize].clone()
                })
                .collect()
        })
        .collect();
    Ok(Coded { codes, keys })
}

/// Codes one chunk of one column: local codes in first-appearance order and the keys.
pub fn code_array(array: &ArrayRef, column: &str) -> Result<(Vec<u32>, Vec<KeyValue>)> {
    let n = array.len();
    macro_rules! ints {
        ($t:ty, $conv:expr) => {{
            let a = array.as_primitive::<$t>();
            if a.null_count() == 0 {
                // Fast path: read the values buffer, no validity checks.
                code_ints(a.values().iter().map(|&v| Some($conv(v))), n, 0)
            } else {
                code_ints(a.iter().map(|v| v.map($conv)), n, a.null_count())
            }
        }};
    }
    let to_key_i = |v: i128| {
        if v <= i64::MAX as i128 {
            KeyValue::Int(v as i64)
        } else {
            KeyValue::UInt(v as u64)
        }
    };
    let (codes, raw_keys): (Vec<u32>, Vec<KeyValue>) = match array.data_type() {
        DataType::Int8 => ints!(Int8Type, |v| v as i128),
        DataType::Int16 => ints!(Int16Type, |v| v as i128),
        DataType::Int32 => ints!(Int32Type, |v| v as i128),
        DataType::Int64 => ints!(Int64Type, |v| v as i128),
        DataType::UInt8 => ints!(UInt8Type, |v| v as i128),
        DataType::UInt16 => ints!(UInt16Type, |v| v as i128),
        DataType::UInt32 => ints!(UInt32Type, |v| v as i128),
        DataType::UInt64 => ints!(UInt64Type, |v| v as i128),
        DataType::Boolean => {
            let a = array.as_boolean();
            let mut first = [u32::MAX; 3];
            let mut keys = Vec::new();
            let codes = a
                .iter()
                .map(|v| {
                    let slot = match v {
                        None => 0,
                        Some(false) => 1,
                        Some(true) => 2,
                    };
                    if first[slot] == u32::MAX {
                        first[slot] = keys.len() as u32;
                        keys.push(match v {
                            None => KeyValue::Null,
                            Some(b) => KeyValue::Bool(b),
                        });
                    }
                    first[slot]
                })
                .collect();
            return Ok((codes, keys));
        }
        // Arrow's null type: one group, null.
        DataType::Null => {
            return Ok((
                vec![0; n],
                if n > 0 { vec![KeyValue::Null] } else { vec![] },
            ))
        }
        DataType::Utf8 => return Ok(code_strings(array.as_string::<i32>().iter(), n)),
        DataType::LargeUtf8 => return Ok(code_strings(array.as_string::<i64>().iter(), n)),
        DataType::Utf8View => return Ok(code_strings(array.as_string_view().iter(), n)),
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let Some(norm) = crate::input::dictionary_keys(dict) else {
                // An empty dictionary (every key null): one group, null.
                return Ok((
                    vec![0; n],
                    if n > 0 { vec![KeyValue::Null] } else { vec![] },
                ));
            };
            let (value_codes, value_keys) = code_array(dict.values(), column)?;
            let keys_arr = dict.keys();
            // A null key or a null value is the null group; unused dictionary values make
            // no group.
            let mut first = vec![u32::MAX; value_keys.len() + 1];
            let mut keys = Vec::new();
            let null_slot = value_keys.len();
            let slot_of = |i: usize| -> usize {
                if keys_arr.is_null(i) {
                    null_slot
                } else {
                    value_codes[norm[i]] as usize
                }
            };
            let codes = (0..n)
                .map(|i| {
                    let s = slot_of(i);
                    let s = if s != null_slot && value_keys[s] == KeyValue::Null {
                        null_slot
                    } else {
                        s
                    };
                    if first[s] == u32::MAX {
                        first[s] = keys.len() as u32;
                        keys.push(if s == null_slot {
                            KeyValue::Null
                        } else {
                            value_keys[s].clone()
                        });
                    }
                    first[s]
                })
                .collect();
            return Ok((codes, keys));
        }
        other => {
            if let Some(t) = TemporalType::of(other) {
                // Grouped by the stored integer; each key keeps the type.
                let ints = arrow_cast::cast(array, &DataType::Int64)?;
                let (codes, keys) = code_array(&ints, column)?;
                let keys = keys
                    .into_iter()
                    .map(|k| match k {
                        KeyValue::Int(v) => KeyValue::Temporal(v, t.clone()),
                        other => other,
                    })
                    .collect();
                return Ok((codes, keys));
            }
            let hint = if other.is_floating() {
                "; a continuous column is not a group: bin it, or cast whole numbers to an integer type"
            } else {
                ""
            };
            return Err(DriftlineError::UnsupportedType {
                column: column.to_string(),
                dtype: format!(
                    "{other} (group columns must be string, integer, boolean, temporal or dictionary{hint})"
                ),
            });
        }
    };
    Ok((
        codes,
        raw_keys
            .into_iter()
            .map(|k| match k {
                KeyValue::UInt(u) => to_key_i(u as i128),
                KeyValue::Int(i) => to_key_i(i as i128),
                other => other,
            })
            .collect(),
    ))
}

/// Codes integers: a direct table when the range is small, a hash map otherwise.
fn code_ints(
    it: impl Iterator<Item = Option<i128>> + Clone,
    n: usize,
    null_count: usize,
) -> (Vec<u32>, Vec<KeyValue>) {
    let mut keys = Vec::new();
    let mut null_code = u32::MAX;
    let key_of = |v: i128| {
        if v <= i64::MAX as i128 {
            KeyValue::Int(v as i64)
        } else {
            KeyValue::UInt(v as u64)
        }
    };
    let (mut lo, mut hi) = (i128::MAX, i128::MIN);
    for v in it.clone().flatten() {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let mut codes = Vec::with_capacity(n);
    if hi >= lo && hi - lo < (n as i128 * 4).max(1 << 16) {
        let mut table = vec![u32::MAX; (hi - lo + 1) as usize];
        for v in it {
            let code = match v {
                Some(v) => {
                    let slot = &mut table[(v - lo) as usize];
                    if *slot == u32::MAX {
                        *slot = keys.len() as u32;
                        keys.push(key_of(v));
                    }
                    *slot
                }
                None => {
                    if null_code == u32::MAX {
                        null_code = keys.len() as u32;
                        keys.push(KeyValue::Null);
                    }
                    null_code
                }
            };
            codes.push(code);
        }
    } else {
        let mut index: HashMap<i128, u32> = HashMap::new();
        for v in it {
            let code = match v {
                Some(v) => *index.entry(v).or_insert_with(|| {
                    keys.push(key_of(v));
                    (keys.len() - 1) as u32
                }),
                None => {
                    if null_code == u32::MAX {
                        null_code = keys.len() as u32;
                        keys.push(KeyValue::Null);
                    }
                    null_code
                }
            };
            codes.push(code);
        }
    }
    let _ = null_count;
    (codes, keys)
}

/// Codes strings with a hash map borrowing the array's bytes.
fn code_strings<'a>(
    it: impl Iterator<Item = Option<&'a str>>,
    n: usize,
) -> (Vec<u32>, Vec<KeyValue>) {
    let mut index: HashMap<&'a str, u32> = HashMap::new();
    let mut keys = Vec::new();
    let mut null_code = u32::MAX;
    let mut codes = Vec::with_capacity(n);
    let mut last: Option<(&str, u32)> = None;
    for v in it {
        let code = match v {
            Some(s) => match last {
                // Runs of equal values are common (sorted or grouped data): skip the hash.
                Some((l, c)) if l == s => c,
                _ => {
                    let c = *index.entry(s).or_insert_with(|| {
                        keys.push(KeyValue::Str(s.to_string()));
                        (keys.len() - 1) as u32
                    });
                    last = Some((s, c));
                    c
                }
            },
            None => {
                if null_code == u32::MAX {
                    null_code = keys.len() as u32;
                    keys.push(KeyValue::Null);
                }
                null_code
            }
        };
        codes.push(code);
    }
    (codes, keys)
}

/// Maps the groups of `from` onto the sorted union of both key lists: returns the union
/// and, for each side, the position of each of its groups in the union.
pub fn union_keys(
    a: &[Vec<KeyValue>],
    b: &[Vec<KeyValue>],
) -> (Vec<Vec<KeyValue>>, Vec<usize>, Vec<usize>) {
    let mut all: Vec<Vec<KeyValue>> = a.iter().chain(b.iter()).cloned().collect();
    all.sort();
    all.dedup();
    let pos = |k: &Vec<KeyValue>| all.binary_search(k).unwrap_or(0);
    let ma = a.iter().map(pos).collect();
    let mb = b.iter().map(pos).collect();
    (all, ma, mb)
}

#[cfg(test)]
#[path = "groups_tests.rs"]
mod tests;
