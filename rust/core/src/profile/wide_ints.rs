//! Distinct-count hashes of 64-bit integer columns whose values reach 2^53.
//!
//! A numeric column is hashed by its values as doubles, so that `3` and `3.0` are one
//! value when an integer profile merges with a float one. Beyond 2^53 distinct integers
//! round to one double (ids from 2^60, `uint64` from 2^63, nanosecond timestamps): hashed
//! as doubles, 100,000 consecutive ids counted as a few hundred. Such a value is hashed by
//! its exact integer instead; every value below 2^53 in magnitude keeps its double's hash,
//! so profiles of ordinary integers are unchanged and still merge with older ones.
//!
//! # Complexity
//! O(n) over the column's integers, only for a chunk holding a value of magnitude 2^53 or
//! more (one pass over its doubles finds out).

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt64Type};
use arrow_array::ArrayRef;
use arrow_schema::DataType;

use crate::hash::{hash_bytes, hash_f64};

/// Magnitude from which integers are no longer all exact as doubles.
const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53

/// The hashes of the non-null values of `array` (whose doubles are `values`), when it is a
/// 64-bit integer column (integers, timestamps, durations) holding a value of magnitude
/// 2^53 or more; `None` otherwise (the doubles' hashes are exact).
pub fn wide_int_hashes(array: &ArrayRef, values: &[f64]) -> Option<Vec<u64>> {
    let signed = match array.data_type() {
        DataType::Int64 | DataType::Timestamp(..) | DataType::Duration(_) => true,
        DataType::UInt64 => false,
        _ => return None,
    };
    if !values.iter().any(|v| v.abs() >= EXACT) {
        return None;
    }
    let hash = |v: i128| {
        if v.unsigned_abs() < 1 << 53 {
            hash_f64(v as f64)
        } else {
            hash_bytes(&v.to_le_bytes())
        }
    };
    let out = if signed {
        // Timestamps and durations are i64 values underneath (the cast keeps them).
        let ints = arrow_cast::cast(array, &DataType::Int64).ok()?;
        let ints = ints.as_primitive::<Int64Type>();
        ints.iter().flatten().map(|v| hash(i128::from(v))).collect()
    } else {
        let ints = array.as_primitive::<UInt64Type>();
        ints.iter().flatten().map(|v| hash(i128::from(v))).collect()
    };
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use arrow_array::{Int64Array, TimestampNanosecondArray, UInt64Array};

    use super::*;

    fn doubles(a: &ArrayRef) -> Vec<f64> {
        crate::input::numeric_values("x", a).unwrap().0.into_owned()
    }

    #[test]
    fn small_values_keep_their_double_hashes() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(-3)]));
        assert!(wide_int_hashes(&a, &doubles(&a)).is_none());
    }

    #[test]
    fn wide_values_hash_apart_and_small_ones_as_doubles() {
        let base = 1i64 << 60;
        let mut v: Vec<Option<i64>> = (0..1000).map(|i| Some(base + i)).collect();
        v.push(None);
        v.push(Some(7));
        let a: ArrayRef = Arc::new(Int64Array::from(v));
        let h = wide_int_hashes(&a, &doubles(&a)).unwrap();
        assert_eq!(h.len(), 1001);
        assert_eq!(h.iter().collect::<HashSet<_>>().len(), 1001);
        assert_eq!(h[1000], hash_f64(7.0));
        let u: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX, u64::MAX - 1, 2]));
        let h = wide_int_hashes(&u, &doubles(&u)).unwrap();
        assert_eq!(h.iter().collect::<HashSet<_>>().len(), 3);
        assert_eq!(h[2], hash_f64(2.0));
        let t: ArrayRef = Arc::new(TimestampNanosecondArray::from(vec![
            1_700_000_000_000_000_000,
            1_700_000_000_000_000_001,
        ]));
        let h = wide_int_hashes(&t, &doubles(&t)).unwrap();
        assert_ne!(h[0], h[1]);
    }

    #[test]
    fn sliced_arrays_hash_their_own_values() {
        let base = 1i64 << 60;
        let a: ArrayRef = Arc::new(Int64Array::from(
            (0..10).map(|i| base + i).collect::<Vec<_>>(),
        ));
        let s = a.slice(3, 4);
        let want = wide_int_hashes(&a, &doubles(&a)).unwrap()[3..7].to_vec();
        assert_eq!(wide_int_hashes(&s, &doubles(&s)).unwrap(), want);
    }
}
