//! Arrow intake: how each Arrow type is read by the profile.
//!
//! * Numbers (every integer width, float16/32/64, decimal) are read as `f64`; temporal
//!   types (date, time, timestamp, duration) as their integer count of units, the unit kept
//!   in the column's type name.
//! * Strings (`string`, `large_string`, `string_view`), binary of the three layouts and
//!   dictionary-encoded strings and binary (polars categoricals) are categories; a binary
//!   value is named by [`crate::binary_text::binary_to_text`] (UTF-8 kept, other bytes
//!   escaped `\xNN`, so distinct byte strings stay distinct categories).
//! * A dictionary whose dictionary is empty (all-null categoricals) is all nulls.
//! * Booleans are both: numeric 0/1 (mean = share of true) and categories "false"/"true".
//! * The `null` type is a column of nulls.
//!
//! Nulls are removed here (and counted), so the kernels see dense slices.

use std::borrow::Cow;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, Schema};

use crate::byte_counts::{count_byte_array, count_bytes};
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
            let Some(keys) = dictionary_keys(dict) else {
                return Ok(array.len() as u64);
            };
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
                // Binary values go as bytes: a cast to text would null the non-UTF-8 ones.
                Binary => values
                    .as_binary::<i32>()
                    .iter()
                    .enumerate()
                    .for_each(|(k, v)| {
                        if let Some(v) = v {
                            visit(v, k)
                        }
                    }),
                LargeBinary => values
                    .as_binary::<i64>()
                    .iter()
                    .enumerate()
                    .for_each(|(k, v)| {
                        if let Some(v) = v {
                            visit(v, k)
                        }
                    }),
                BinaryView => values
                    .as_binary_view()
                    .iter()
                    .enumerate()
                    .for_each(|(k, v)| {
                        if let Some(v) = v {
                            visit(v, k)
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

/// Each row's key of a dictionary array as an index into its values; `None` when the
/// dictionary is empty. Arrow allows an empty dictionary only when every key is null (a
/// polars categorical or a dictionary-encoded column with nothing but nulls), so such a
/// column is all nulls; arrow's `normalized_keys` would assert on it.
pub fn dictionary_keys(dict: &dyn arrow_array::AnyDictionaryArray) -> Option<Vec<usize>> {
    (!dict.values().is_empty()).then(|| dict.normalized_keys())
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

    fn categories_of(array: &ArrayRef) -> (BTreeMap<Vec<u8>, u64>, u64) {
        let mut got = BTreeMap::new();
        let nulls = for_each_category("c", array, |b, c| {
            *got.entry(b.to_vec()).or_default() += c;
        })
        .unwrap();
        (got, nulls)
    }

    #[test]
    fn an_empty_dictionary_is_all_nulls() {
        use arrow_array::{DictionaryArray, Int32Array, StringArray};
        use std::sync::Arc;
        for keys in [
            Int32Array::from(vec![None, None, None]),
            Int32Array::from(Vec::<i32>::new()),
        ] {
            let n = keys.len() as u64;
            let dict = DictionaryArray::new(keys, Arc::new(StringArray::from(Vec::<&str>::new())));
            let array: ArrayRef = Arc::new(dict);
            let (got, nulls) = categories_of(&array);
            assert!(got.is_empty());
            assert_eq!(nulls, n);
            assert!(dictionary_keys(array.as_any_dictionary()).is_none());
        }
    }

    #[test]
    fn a_dictionary_of_binary_keeps_every_byte_string() {
        use arrow_array::{BinaryArray, DictionaryArray, Int8Array};
        use std::sync::Arc;
        let values = BinaryArray::from(vec![&b"\xff"[..], b"\xfe", b"a"]);
        let keys = Int8Array::from(vec![Some(0), Some(1), Some(0), None, Some(2)]);
        let array: ArrayRef = Arc::new(DictionaryArray::new(keys, Arc::new(values)));
        let (got, nulls) = categories_of(&array);
        let want: BTreeMap<Vec<u8>, u64> = [
            (b"\xff".to_vec(), 2),
            (b"\xfe".to_vec(), 1),
            (b"a".to_vec(), 1),
        ]
        .into();
        assert_eq!((got, nulls), (want, 1));
    }
}
