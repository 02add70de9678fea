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
