//! Tests of the group coding.

use super::*;
use arrow_array::{DictionaryArray, Int64Array, StringArray, StringViewArray};
use std::sync::Arc;

fn chunks_of(cols: Vec<ArrayRef>, rows: usize) -> Chunks {
    let names: Vec<String> = (0..cols.len()).map(|i| format!("c{i}")).collect();
    let fields: Vec<arrow_schema::Field> = cols
        .iter()
        .zip(&names)
        .map(|(c, n)| arrow_schema::Field::new(n, c.data_type().clone(), true))
        .collect();
    let batch =
        arrow_array::RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), cols)
            .unwrap();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    Chunks::new(&[batch], &refs, rows).unwrap()
}

#[test]
fn codes_are_sorted_and_chunk_independent() {
    let s: ArrayRef = Arc::new(StringArray::from(vec![
        Some("b"),
        Some("a"),
        None,
        Some("b"),
        Some("c"),
    ]));
    for rows in [1, 2, 5] {
        let ch = chunks_of(vec![Arc::clone(&s)], rows);
        let coded = code_columns(&ch, &[0]).unwrap();
        let flat: Vec<u32> = coded.codes.concat();
        assert_eq!(flat, vec![2, 1, 0, 2, 3]);
        assert_eq!(coded.keys[0], vec![KeyValue::Null]);
    }
}

#[test]
fn intersection_and_types_agree() {
    let a: ArrayRef = Arc::new(StringViewArray::from(vec!["x", "y", "x", "y"]));
    let keys = StringArray::from(vec!["p", "q"]);
    let d: ArrayRef = Arc::new(
        DictionaryArray::<Int32Type>::try_new(
            arrow_array::Int32Array::from(vec![1, 1, 0, 1]),
            Arc::new(keys),
        )
        .unwrap(),
    );
    let i: ArrayRef = Arc::new(Int64Array::from(vec![i64::MIN, i64::MAX, 0, i64::MAX]));
    let ch = chunks_of(vec![a, d, i], 3);
    let coded = code_columns(&ch, &[0, 1, 2]).unwrap();
    assert_eq!(coded.keys.len(), 3);
    assert_eq!(coded.codes.concat(), vec![1, 2, 0, 2]);
    assert_eq!(
        coded.keys[0],
        vec![
            KeyValue::Str("x".into()),
            KeyValue::Str("p".into()),
            KeyValue::Int(0)
        ]
    );
}

#[test]
fn temporal_columns_group_by_value_and_keep_their_type() {
    use arrow_array::{Date32Array, DurationMillisecondArray, TimestampNanosecondArray};
    let day: ArrayRef = Arc::new(Date32Array::from(vec![
        Some(19_725),
        None,
        Some(-1),
        Some(19_725),
        Some(i32::MAX),
    ]));
    let ts: ArrayRef = Arc::new(
        TimestampNanosecondArray::from(vec![i64::MAX, i64::MIN, 0, i64::MAX, 0])
            .with_timezone("+01:00"),
    );
    let wait: ArrayRef = Arc::new(DurationMillisecondArray::from(vec![5, 5, 5, 5, 2000]));
    for rows in [1, 2, 5] {
        let ch = chunks_of(
            vec![Arc::clone(&day), Arc::clone(&ts), Arc::clone(&wait)],
            rows,
        );
        let coded = code_columns(&ch, &[0]).unwrap();
        assert_eq!(coded.codes.concat(), vec![2, 0, 1, 2, 3]);
        let t = TemporalType::Date32;
        let want: Vec<Vec<KeyValue>> = vec![
            vec![KeyValue::Null],
            vec![KeyValue::Temporal(-1, t.clone())],
            vec![KeyValue::Temporal(19_725, t.clone())],
            vec![KeyValue::Temporal(i64::from(i32::MAX), t)],
        ];
        assert_eq!(coded.keys, want);
        let coded = code_columns(&ch, &[1, 2]).unwrap();
        // (ts, wait) tuples in order: (MIN, 5), (0, 5), (0, 2000), (MAX, 5).
        assert_eq!(coded.codes.concat(), vec![3, 0, 1, 3, 2]);
        let shown: Vec<String> = coded.keys.iter().map(|k| k[0].to_string()).collect();
        assert_eq!(shown[1], "1970-01-01T01:00:00+01:00");
        assert_eq!(coded.keys[2][1].to_string(), "PT2S");
    }
    assert_eq!(
        KeyValue::Temporal(-1, TemporalType::Date32).to_string(),
        "1969-12-31"
    );
    assert_eq!(
        KeyValue::Temporal(19_725, TemporalType::Date32).to_string(),
        "2024-01-03"
    );
}

#[test]
fn an_empty_dictionary_is_one_null_group() {
    use arrow_array::Int32Array;
    let empty = Arc::new(StringArray::from(Vec::<&str>::new()));
    let nulls: ArrayRef = Arc::new(DictionaryArray::new(
        Int32Array::from(vec![None, None, None]),
        empty.clone(),
    ));
    assert_eq!(
        code_array(&nulls, "g").unwrap(),
        (vec![0, 0, 0], vec![KeyValue::Null])
    );
    let none: ArrayRef = Arc::new(DictionaryArray::new(
        Int32Array::from(Vec::<i32>::new()),
        empty,
    ));
    assert_eq!(code_array(&none, "g").unwrap(), (vec![], vec![]));
}
