//! The prediction and label of the multiclass task as class columns: classes are discrete
//! values (integer, string, boolean, temporal or dictionary), grouped like segment keys.
//!
//! # Definition
//! A float column holding only whole numbers (a pandas integer column with a missing
//! value arrives as float64) is read as int64, so that `2.0` is class `2`, as the binary
//! task matches `positive=1` against `1.0`. Any other float is refused, naming the column:
//! floats are measurements, and values that print alike (`0.1 + 0.2` and `0.3`) would be
//! different classes.
//!
//! # Complexity
//! O(rows) for a float column (checked, then cast); other columns pass through zero-copy.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;

use crate::error::{DriftlineError, Result};
use crate::performance::columns::{decode_dictionary, to_f64, Chunks};

/// Columns 0 (prediction) and 1 (label) of `chunks` as class columns.
///
/// # Errors
/// A float value that is not a whole number (or NaN, or beyond the int64 range), naming
/// the column.
pub fn class_columns(chunks: &Chunks) -> Result<Chunks> {
    let mut out = Vec::with_capacity(chunks.chunks.len());
    for chunk in &chunks.chunks {
        let mut cols = Vec::with_capacity(2);
        for (j, array) in chunk.iter().take(2).enumerate() {
            cols.push(as_class(array, &chunks.names[j])?);
        }
        out.push(cols);
    }
    Ok(Chunks {
        names: chunks.names.iter().take(2).cloned().collect(),
        chunks: out,
        types: chunks.types.iter().take(2).cloned().collect(),
    })
}

fn is_float(dt: &DataType) -> bool {
    match dt {
        DataType::Dictionary(_, v) => v.is_floating(),
        other => other.is_floating(),
    }
}

/// One chunk's column as classes: unchanged unless it is a float column.
fn as_class(array: &ArrayRef, column: &str) -> Result<ArrayRef> {
    if !is_float(array.data_type()) {
        return Ok(Arc::clone(array));
    }
    let f = to_f64(&decode_dictionary(array, column)?, column)?;
    // 2^63 is exact as a double; every whole double below it in magnitude fits an i64.
    let end = 2f64.powi(63);
    let whole = |v: f64| v.fract() == 0.0 && v.abs() < end;
    if let Some(v) = f
        .as_primitive::<Float64Type>()
        .iter()
        .flatten()
        .find(|&v| !whole(v))
    {
        return Err(DriftlineError::data(
            column,
            format!(
                "float value {v} as a class; a multiclass label or prediction is a class, \
                 read from a float column only when every value is a whole number (floats \
                 that print alike may differ); round or cast it to an integer type, or map \
                 it to strings"
            ),
        ));
    }
    Ok(arrow_cast::cast(&f, &DataType::Int64)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{Field, Schema};

    fn chunks(p: ArrayRef, y: ArrayRef) -> Chunks {
        let schema = Schema::new(vec![
            Field::new("p", p.data_type().clone(), true),
            Field::new("y", y.data_type().clone(), true),
        ]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![p, y]).unwrap();
        Chunks::new(&[batch], &["p", "y"], 2).unwrap()
    }

    #[test]
    fn whole_floats_are_integer_classes_and_others_are_refused() {
        let p: ArrayRef = Arc::new(Float64Array::from(vec![Some(2.0), None, Some(-1.0)]));
        let y: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c"]));
        let c = class_columns(&chunks(p, Arc::clone(&y))).unwrap();
        let got: Vec<Option<i64>> = c
            .chunks
            .iter()
            .flat_map(|ch| ch[0].as_primitive::<arrow_array::types::Int64Type>().iter())
            .collect();
        assert_eq!(got, vec![Some(2), None, Some(-1)]);
        assert_eq!(c.chunks[0][1].data_type(), &DataType::Utf8);
        let p: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
        let y: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.5, 3.0]));
        let err = class_columns(&chunks(p, y)).unwrap_err().to_string();
        assert!(err.contains("'y'") && err.contains("2.5"), "{err}");
    }
}
