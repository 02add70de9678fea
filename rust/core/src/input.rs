//! Arrow intake: how each Arrow type is read by the profile.
//!
//! * Numbers (every integer width, float16/32/64, decimal) are read as `f64`; temporal
//!   types (date, time, timestamp, duration) as their integer count of units, the unit kept
//!   in the column's type name.
//! * Strings (`string`, `large_string`, `string_view`), binary of the three layouts and
//!   dictionary-encoded strings (polars categoricals) are categories; binary values that are
//!   not UTF-8 are named by their lossy UTF-8 rendering.
//! * Booleans are both: numeric 0/1 (mean = share of true) and categories "false"/"true".
//! * The `null` type is a column of nulls.
//!
//! Nulls are removed here (and counted), so the kernels see dense slices.

use std::borrow::Cow;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, Schema};

use crate::{DriftlineError, Result};

/// The index of the column `name` in `schema`.
///
/// # Errors
/// [`DriftlineError::UnknownColumn`] when no column has that name, and a schema error when
/// several do: which one was meant cannot be told, so none is picked.
pub fn find_column(schema: &Schema, name: &str) -> Result<usize> {
    let mut found = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name() == name)
        .map(|(i, _)| i);
    match (found.next(), found.count()) {
        (Some(i), 0) => Ok(i),
        (Some(_), more) => Err(DriftlineError::DuplicateColumn {
            column: name.to_string(),
            count: more + 1,
        }),
        (None, _) => Err(DriftlineError::UnknownColumn {
            column: name.to_string(),
            available: schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// How a column is profiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ColumnKind {
    /// Numbers (and temporal values as numbers).
    Numeric,
    /// Categories (strings, dictionaries, or numbers declared categorical).
    Categorical,
    /// Booleans: numeric 0/1 and categories.
    Boolean,
    /// Arrow's `null` type: nothing but nulls.
    Null,
}

impl ColumnKind {
    /// Lower-case name (`numeric`, `categorical`, `boolean`, `null`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Numeric => "numeric",
            Self::Categorical => "categorical",
            Self::Boolean => "boolean",
            Self::Null => "null",
        }
    }
}

/// The kind of a column of type `dt`, or an error naming the column.
pub fn kind_of(column: &str, dt: &DataType, categorical: bool) -> Result<ColumnKind> {
    use DataType::*;
    let kind = match dt {
        Null => ColumnKind::Null,
        Boolean => ColumnKind::Boolean,
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float16 | Float32
        | Float64 | Decimal32(..) | Decimal64(..) | Decimal128(..) | Decimal256(..) | Date32
        | Date64 | Time32(_) | Time64(_) | Timestamp(..) | Duration(_) => {
            if categorical {
                ColumnKind::Categorical
            } else {
                ColumnKind::Numeric
            }
        }
        Utf8 | LargeUtf8 | Utf8View | Binary | LargeBinary | BinaryView => ColumnKind::Categorical,
        Dictionary(_, v) => match v.as_ref() {
            Utf8 | LargeUtf8 | Utf8View | Binary | LargeBinary | BinaryView => {
                ColumnKind::Categorical
            }
            other => {
                return kind_of(column, other, true).map(|_| ColumnKind::Categorical);
            }
        },
        other => {
            return Err(DriftlineError::UnsupportedType {
                column: column.to_string(),
                dtype: other.to_string(),
            })
        }
    };
    Ok(kind)
}

/// A logical type name: the string layouts and dictionaries of strings are all `string`,
/// the binary layouts `binary`; other types keep Arrow's name (with units and time zone).
pub fn logical_type_name(dt: &DataType) -> String {
    use DataType::*;
    match dt {
        Utf8 | LargeUtf8 | Utf8View => "string".into(),
        Binary | LargeBinary | BinaryView => "binary".into(),
        Dictionary(_, v) => logical_type_name(v),
        other => other.to_string().to_lowercase(),
    }
}

/// The non-null values of a numeric, temporal, decimal or boolean array as `f64`, and the
/// number of nulls. Borrows a float64 array without nulls; copies otherwise.
pub fn numeric_values<'a>(column: &str, array: &'a ArrayRef) -> Result<(Cow<'a, [f64]>, u64)> {
    use DataType::*;
    let nulls = array.null_count() as u64;
    let values: Cow<'a, [f64]> = match array.data_type() {
        Float64 => {
            let a = array.as_primitive::<Float64Type>();
            if nulls == 0 {
                Cow::Borrowed(a.values().as_ref())
            } else {
                Cow::Owned(valid_values(a, |v| v))
            }
        }
        Float32 => prim::<Float32Type>(array, |v| v as f64),
        Float16 => prim::<Float16Type>(array, |v| v.to_f64()),
        Int8 => prim::<Int8Type>(array, |v| v as f64),
        Int16 => prim::<Int16Type>(array, |v| v as f64),
        Int32 => prim::<Int32Type>(array, |v| v as f64),
        // i64 and u64 beyond 2^53 round to the nearest double, as numpy's float64 does.
        Int64 => prim::<Int64Type>(array, |v| v as f64),
        UInt8 => prim::<UInt8Type>(array, |v| v as f64),
        UInt16 => prim::<UInt16Type>(array, |v| v as f64),
        UInt32 => prim::<UInt32Type>(array, |v| v as f64),
        UInt64 => prim::<UInt64Type>(array, |v| v as f64),
        Date32 => prim::<Date32Type>(array, |v| v as f64),
        Date64 => prim::<Date64Type>(array, |v| v as f64),
        Time32(arrow_schema::TimeUnit::Second) => prim::<Time32SecondType>(array, |v| v as f64),
        Time32(_) => prim::<Time32MillisecondType>(array, |v| v as f64),
        Time64(arrow_schema::TimeUnit::Microsecond) => {
            prim::<Time64MicrosecondType>(array, |v| v as f64)
        }
        Time64(_) => prim::<Time64NanosecondType>(array, |v| v as f64),
        Timestamp(..) | Duration(_) => {
            let ints = arrow_cast::cast(array, &Int64)?;
            Cow::Owned(
                ints.as_primitive::<Int64Type>()
                    .iter()
                    .flatten()
                    .map(|v| v as f64)
                    .collect(),
            )
        }
        Decimal32(..) | Decimal64(..) | Decimal128(..) | Decimal256(..) => {
            let f = arrow_cast::cast(array, &Float64)?;
            Cow::Owned(f.as_primitive::<Float64Type>().iter().flatten().collect())
        }
        Boolean => {
            let b = array.as_boolean();
            Cow::Owned(
                b.iter()
                    .flatten()
                    .map(|v| if v { 1.0 } else { 0.0 })
                    .collect(),
            )
        }
        other => {
            return Err(DriftlineError::UnsupportedType {
                column: column.to_string(),
                dtype: other.to_string(),
            })
        }
    };
    Ok((values, nulls))
}

fn prim<'a, T: ArrowPrimitiveType>(
    array: &'a ArrayRef,
    f: impl Fn(T::Native) -> f64,
) -> Cow<'a, [f64]> {
    Cow::Owned(valid_values(array.as_primitive::<T>(), f))
}

/// The non-null values of a primitive array, converted: copied run by run of valid slots
/// (a test per value and a growing vector cost several times more).
fn valid_values<T: ArrowPrimitiveType>(
    a: &PrimitiveArray<T>,
    f: impl Fn(T::Native) -> f64,
) -> Vec<f64> {
    let values = a.values();
    let mut out = Vec::with_capacity(a.len() - a.null_count());
    match a.nulls().filter(|n| n.null_count() > 0) {
        None => out.extend(values.iter().map(|&v| f(v))),
        Some(nulls) => {
            for (start, end) in nulls.valid_slices() {
                out.extend(values[start..end].iter().map(|&v| f(v)));
            }
        }
    }
    out
}

/// Calls `f` with each category of a categorical or boolean array and how many times it
/// occurs in the array (dictionaries are counted by key first, so each distinct string is
/// visited once); returns the number of nulls.
pub fn for_each_category(
    column: &str,
    array: &ArrayRef,
    mut f: impl FnMut(&[u8], u64),
) -> Result<u64> {
    use DataType::*;
    match array.data_type() {
        Utf8 => count_byte_array(array.as_string::<i32>(), &mut f),
        LargeUtf8 => count_byte_array(array.as_string::<i64>(), &mut f),
        Utf8View => count_bytes(
            array.as_string_view().iter().map(|o| o.map(str::as_bytes)),
            &mut f,
        ),
        Binary => count_byte_array(array.as_binary::<i32>(), &mut f),
        LargeBinary => count_byte_array(array.as_binary::<i64>(), &mut f),
        BinaryView => count_bytes(array.as_binary_view().iter(), &mut f),
        Boolean => {
            let b = array.as_boolean();
            let nulls = b.null_count() as u64;
            let t = b.true_count() as u64;
            let fl = b.len() as u64 - nulls - t;
            if fl > 0 {
                f(b"false", fl);
            }
            if t > 0 {
                f(b"true", t);
            }
            Ok(nulls)
        }
        Dictionary(..) => {
            let dict = array.as_any_dictionary();
            let values = dict.values();
            let keys = dict.normalized_keys();
            let mut per_key = vec![0u64; values.len()];
            let key_nulls = dict.keys().logical_nulls();
            let mut nulls = 0u64;
            for (i, &k) in keys.iter().enumerate() {
                let valid = key_nulls.as_ref().is_none_or(|n| n.is_valid(i)) && values.is_valid(k);
                if valid {
                    per_key[k] += 1;
                } else {
                    nulls += 1;
                }
            }
            let mut dict_err = None;
            let mut visit = |bytes: &[u8], key: usize| {
                if per_key[key] > 0 {
                    f(bytes, per_key[key]);
                }
            };
            match values.data_type() {
                Utf8 => values
                    .as_string::<i32>()
                    .iter()
                    .enumerate()
                    .for_each(|(k, v)| {
                        if let Some(v) = v {
                            visit(v.as_bytes(), k)
                        }
                    }),
                LargeUtf8 => values
                    .as_string::<i64>()
                    .iter()
                    .enumerate()
                    .for_each(|(k, v)| {
                        if let Some(v) = v {
                            visit(v.as_bytes(), k)
                        }
                    }),
                Utf8View => values
                    .as_string_view()
                    .iter()
                    .enumerate()
                    .for_each(|(k, v)| {
                        if let Some(v) = v {
                            visit(v.as_bytes(), k)
                        }
                    }),
                _ => match arrow_cast::cast(values, &Utf8) {
                    Ok(s) => s.as_string::<i32>().iter().enumerate().for_each(|(k, v)| {
                        if let Some(v) = v {
                            visit(v.as_bytes(), k)
                        }
                    }),
                    Err(e) => dict_err = Some(e),
                },
            }
            if let Some(e) = dict_err {
                return Err(DriftlineError::UnsupportedType {
                    column: column.to_string(),
                    dtype: format!("{} ({e})", array.data_type()),
                });
            }
            Ok(nulls)
        }
        dt if kind_of(column, dt, true)? == ColumnKind::Categorical => {
            // Numbers declared categorical: their decimal rendering names the category.
            let s = arrow_cast::cast(array, &Utf8)?;
            count_bytes(
                s.as_string::<i32>().iter().map(|o| o.map(str::as_bytes)),
                &mut f,
            )
        }
        other => Err(DriftlineError::UnsupportedType {
            column: column.to_string(),
            dtype: other.to_string(),
        }),
    }
}

/// [`count_bytes`] over a string or binary array, walking its offsets directly when it
/// has no nulls (no validity test and no option per value).
fn count_byte_array<T: arrow_array::types::ByteArrayType>(
    a: &arrow_array::GenericByteArray<T>,
    f: &mut impl FnMut(&[u8], u64),
) -> Result<u64>
where
    T::Native: AsRef<[u8]>,
{
    use arrow_buffer::ArrowNativeType;
    if a.null_count() == 0 {
        let data = a.value_data();
        let offsets = a.value_offsets();
        count_bytes(
            offsets
                .windows(2)
                .map(|w| Some(&data[w[0].as_usize()..w[1].as_usize()])),
            f,
        )
    } else {
        count_bytes(
            (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).as_ref())),
            f,
        )
    }
}

/// Counts byte strings with one hash-table lookup each, then reports each distinct one.
///
/// The table's own hash need not be stable (the stable hash is taken once per distinct
/// string by the caller). A string of up to 15 bytes is held in the table as two words
/// that encode it exactly (its bytes and its length), hashed with one folded multiply and
/// compared as two integers; a longer one is keyed by xxh3 and compared byte for byte.
/// Entries are 32 bytes, so a thousand categories stay within the first cache levels. The
/// hash is keyed per process so that crafted inputs cannot pile strings onto one bucket.
fn count_bytes<'a>(
    iter: impl Iterator<Item = Option<&'a [u8]>>,
    f: &mut impl FnMut(&[u8], u64),
) -> Result<u64> {
    struct Entry {
        words: (u64, u64),
        count: u64,
        /// Index of the string in `seen`.
        slot: usize,
    }
    let mut table: hashbrown::HashTable<Entry> = hashbrown::HashTable::new();
    let mut seen: Vec<&'a [u8]> = Vec::new();
    let mut nulls = 0u64;
    let key = table_key();
    for v in iter {
        let Some(bytes) = v else {
            nulls += 1;
            continue;
        };
        let words = words_of(bytes, key.0);
        let hash = fold(words, key);
        let found = if words.1 == LONG {
            table.find_mut(hash, |e| e.words == words && seen[e.slot] == bytes)
        } else {
            table.find_mut(hash, |e| e.words == words)
        };
        match found {
            Some(e) => e.count += 1,
            None => {
                let entry = Entry {
                    words,
                    count: 1,
                    slot: seen.len(),
                };
                table.insert_unique(hash, entry, |e| fold(e.words, key));
                seen.push(bytes);
            }
        }
    }
    for e in table.iter() {
        f(seen[e.slot], e.count);
    }
    Ok(nulls)
}

/// Second word of a string longer than 15 bytes (no short string's second word has a
/// top byte above 15).
const LONG: u64 = u64::MAX;

/// This process's random key of the table hash.
fn table_key() -> (u64, u64) {
    use std::hash::BuildHasher;
    static KEY: std::sync::OnceLock<(u64, u64)> = std::sync::OnceLock::new();
    *KEY.get_or_init(|| {
        let s = std::collections::hash_map::RandomState::new();
        (s.hash_one(1u64) | 1, s.hash_one(2u64) | 1)
    })
}

/// Two words that encode a string of up to 15 bytes exactly: its first eight bytes, then
/// the rest with the length in the top byte (overlapping loads, no per-byte loop). A
/// longer string gets its keyed xxh3 and [`LONG`].
#[inline(always)]
fn words_of(b: &[u8], key: u64) -> (u64, u64) {
    let n = b.len();
    let load8 = |s: &[u8]| u64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
    let load4 = |s: &[u8]| u64::from(u32::from_le_bytes(s.try_into().unwrap_or([0; 4])));
    let len = (n as u64) << 56;
    match n {
        0 => (0, len),
        1..=3 => (
            u64::from(b[0])
                | u64::from(b[n / 2]) << (8 * (n / 2))
                | u64::from(b[n - 1]) << (8 * (n - 1)),
            len,
        ),
        4..=7 => (load4(&b[..4]) | load4(&b[n - 4..]) << (8 * (n - 4)), len),
        8 => (load8(b), len),
        9..=15 => (load8(&b[..8]), load8(&b[n - 8..]) >> (8 * (16 - n)) | len),
        _ => (xxhash_rust::xxh3::xxh3_64_with_seed(b, key), LONG),
    }
}

/// The table hash of a string's words: one folded multiply.
#[inline(always)]
fn fold(words: (u64, u64), key: (u64, u64)) -> u64 {
    let p = u128::from(words.0 ^ key.0) * u128::from(words.1 ^ key.1);
    (p as u64) ^ ((p >> 64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn finds_a_column_once_and_refuses_a_missing_or_repeated_name() {
        use arrow_schema::Field;
        let schema = Schema::new(vec![
            Field::new("a", DataType::Float64, true),
            Field::new("b", DataType::Utf8, true),
            Field::new("a", DataType::Int64, true),
        ]);
        assert_eq!(find_column(&schema, "b").unwrap(), 1);
        match find_column(&schema, "a") {
            Err(DriftlineError::DuplicateColumn { column, count }) => {
                assert_eq!((column.as_str(), count), ("a", 2));
            }
            other => panic!("expected a duplicate-column error, got {other:?}"),
        }
        match find_column(&schema, "z") {
            Err(DriftlineError::UnknownColumn { column, available }) => {
                assert_eq!((column.as_str(), available.as_str()), ("z", "a, b, a"));
            }
            other => panic!("expected an unknown-column error, got {other:?}"),
        }
    }

    #[test]
    fn counts_strings_of_every_length_exactly() {
        // Near-duplicates of every length up to 40: each differs from another in one byte,
        // at the start, the middle or the end, so the short keys must hold every byte.
        let mut seed = 17u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let mut base: Vec<Vec<u8>> = Vec::new();
        for len in 0..=40usize {
            let s: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            base.push(s.clone());
            for pos in [0, len / 2, len.saturating_sub(1)] {
                if len > 0 {
                    let mut t = s.clone();
                    t[pos] ^= 0x20;
                    base.push(t);
                }
            }
            let mut z = s.clone();
            z.push(0);
            base.push(z);
        }
        // Zero bytes: a string and the same string with trailing zeros are distinct.
        for k in 0..20usize {
            let mut z = vec![b'a'];
            z.resize(1 + k, 0);
            base.push(z);
            base.push(vec![0; k]);
        }
        let rows: Vec<Option<&[u8]>> = (0..20_000)
            .map(|i| (i % 13 != 0).then(|| base[next() % base.len()].as_slice()))
            .collect();
        let mut want: BTreeMap<&[u8], u64> = BTreeMap::new();
        for r in rows.iter().flatten() {
            *want.entry(*r).or_default() += 1;
        }
        let mut got: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let nulls = count_bytes(rows.iter().copied(), &mut |b: &[u8], c| {
            assert!(got.insert(b.to_vec(), c).is_none(), "reported twice");
        })
        .unwrap();
        assert_eq!(nulls, rows.iter().filter(|r| r.is_none()).count() as u64);
        let want: BTreeMap<Vec<u8>, u64> = want.into_iter().map(|(k, v)| (k.to_vec(), v)).collect();
        assert_eq!(got, want);
    }
}
