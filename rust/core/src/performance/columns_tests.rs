//! Tests of reading the performance columns.

use super::*;
use arrow_array::{Int64Array, Int8Array, UInt64Array};

#[test]
fn integer_labels_encode_in_their_own_type() {
    let a: ArrayRef = Arc::new(Int64Array::from(vec![i64::MIN, i64::MAX, i64::MIN]));
    let (codes, other) = encode_binary(&a, "y", &Positive::Int(i64::MAX)).unwrap();
    assert_eq!(
        (codes, other),
        (vec![0, 1, 0], Some(Other::Int(i128::from(i64::MIN))))
    );
    let a: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX, 3, u64::MAX]));
    let (codes, other) = encode_binary(&a, "y", &Positive::Int(3)).unwrap();
    assert_eq!(
        (codes, other),
        (vec![0, 1, 0], Some(Other::Int(i128::from(u64::MAX))))
    );
    // All positive, then all one other value.
    let a: ArrayRef = Arc::new(Int8Array::from(vec![1, 1]));
    assert_eq!(
        encode_binary(&a, "y", &Positive::Int(1)).unwrap(),
        (vec![1, 1], None)
    );
    let a: ArrayRef = Arc::new(Int8Array::from(vec![-4, -4]));
    let (codes, other) = encode_binary(&a, "y", &Positive::Int(1)).unwrap();
    assert_eq!((codes, other), (vec![0, 0], Some(Other::Int(-4))));
    // A positive value the type cannot hold matches no row: one other value is fine,
    // two are not binary.
    let (codes, _) = encode_binary(&a, "y", &Positive::Int(1000)).unwrap();
    assert_eq!(codes, vec![0, 0]);
    let a: ArrayRef = Arc::new(Int8Array::from(vec![-4, 5]));
    let err = encode_binary(&a, "y", &Positive::Int(1000)).unwrap_err();
    assert!(err.to_string().contains("not binary"), "{err}");
    // A third value, in the fast path's input, is named.
    let a: ArrayRef = Arc::new(Int64Array::from(vec![0, 1, 0, 7]));
    let err = encode_binary(&a, "y", &Positive::Int(1)).unwrap_err();
    assert!(err.to_string().contains('7'), "{err}");
}

#[test]
fn an_integer_and_a_float_of_equal_value_are_one_other_value() {
    let p = Positive::Int(1);
    let mut acc = Some(Other::Int(0));
    merge_other("y", &p, &mut acc, Some(Other::Float(0.0))).unwrap();
    merge_other("y", &p, &mut acc, Some(Other::Float(-0.0))).unwrap();
    assert!(merge_other("y", &p, &mut acc, Some(Other::Float(0.5))).is_err());
    assert!(merge_other("y", &p, &mut acc, Some(Other::Int(2))).is_err());
    let mut acc = Some(Other::Float(2.0));
    merge_other("y", &p, &mut acc, Some(Other::Int(2))).unwrap();
    assert!(merge_other("y", &p, &mut acc, Some(Other::Str("2".into()))).is_err());
    // Beyond 2^53 only the exact integer value matches.
    let big = 1i128 << 60;
    assert!(Other::Int(big).same(&Other::Float(big as f64)));
    assert!(!Other::Int(big + 1).same(&Other::Float(big as f64)));
    assert!(!Other::Int(0).same(&Other::Float(f64::NAN)));
    assert!(!Other::Int(i128::MAX).same(&Other::Float(f64::INFINITY)));
}
