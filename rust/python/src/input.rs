//! Arrow intake: anything with `__arrow_c_stream__` (pyarrow Table, RecordBatch and
//! RecordBatchReader, polars DataFrame, ...) is read through pyo3-arrow into record
//! batches, zero-copy. The batches are collected while attached (a producer's stream may
//! call back into Python) and the work then runs detached.
//!
//! # Untrusted buffers
//!
//! The C Data Interface hands over raw pointers without their lengths: arrow-rs takes a
//! fixed-width buffer's length from the array's length and a string buffer's from its last
//! offset, so an array whose offsets point past its data (a corrupt IPC body read without
//! validation) is imported as if the memory were there, and reading it is a segfault. Two
//! checks close that gap before any kernel runs:
//!
//! - a pyarrow Table or RecordBatch, which knows its real buffer sizes, is asked to
//!   `validate()` itself first (O(columns): sizes and the first and last offsets);
//! - every imported column then passes a structural validation ([`validate_batches`]):
//!   arrow-rs's `validate` (buffer counts, sizes, alignment) and `validate_values`
//!   (offsets in order and in bounds, dictionary keys within their values), recursively
//!   through children.
//!
//! Strings are not checked for valid UTF-8 here: arrow-rs's check (`validate_full`) made
//! a profile of long strings four times slower, while the offsets alone cost 1-4% (1M
//! rows x 25 columns). The server checks UTF-8 too, on the bodies it reads, with pyarrow's
//! full validation.

use arrow_array::{Array, OffsetSizeTrait, RecordBatch};
use arrow_data::ArrayData;
use arrow_schema::{ArrowError, DataType, SchemaRef};
use driftline_core::DriftlineError;
use pyo3::exceptions::PyException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatchReader;

use crate::errors::driftline_exception;

/// Reads a whole stream into its schema and batches, after asking a pyarrow producer to
/// validate its buffers (see the module docs). The caller runs [`validate_batches`] on
/// them, detached, before any kernel.
pub fn read_stream(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    validate_producer(py, data)?;
    let reader = data.extract::<PyRecordBatchReader>()?.into_reader()?;
    let schema = reader.schema();
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| {
            driftline_exception(py, "DataError", format!("reading Arrow data: {e}"))
        })?;
        batches.push(batch);
    }
    Ok((schema, batches))
}

/// Asks a pyarrow Table or RecordBatch to check its buffers against its offsets and
/// lengths: only the producer knows how large its buffers really are. Other producers
/// (streams, polars) are trusted for sizes; their contents are still checked by
/// [`validate_batches`].
fn validate_producer(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
    let kind = data.get_type();
    let from_pyarrow = kind
        .module()
        .is_ok_and(|m| m.to_str().is_ok_and(|m| m.starts_with("pyarrow")));
    if !from_pyarrow {
        return Ok(());
    }
    let Ok(validate) = data.getattr(intern!(py, "validate")) else {
        return Ok(()); // a RecordBatchReader: its batches get the structural check only
    };
    match validate.call0() {
        Ok(_) => Ok(()),
        // An Arrow error (ArrowInvalid and kin) is the data's fault; anything that is not
        // an Exception (KeyboardInterrupt) goes through unchanged.
        Err(e) if e.is_instance_of::<PyException>(py) => Err(driftline_exception(
            py,
            "DataError",
            format!("invalid Arrow data: {}", e.value(py)),
        )),
        Err(e) => Err(e),
    }
}

/// Checks every column of `batches` with arrow-rs's structural validation (see the module
/// docs): a corrupt array becomes a `DataError` naming its column, never an out-of-bounds
/// read in a kernel.
///
/// # Complexity
///
/// O(1) per fixed-width column; O(rows) for offsets (strings, binaries, lists) and
/// dictionary keys. No UTF-8 check.
pub fn validate_batches(batches: &[RecordBatch]) -> driftline_core::Result<()> {
    for batch in batches {
        let schema = batch.schema();
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            validate_array(column.as_ref()).map_err(|e| {
                DriftlineError::data(field.name().as_str(), format!("invalid Arrow data: {e}"))
            })?;
        }
    }
    Ok(())
}

/// Structural validation of one array and its children: `ArrayData::validate` (buffer
/// counts, sizes and alignment, the first and last offsets), every offset of strings and
/// binaries, and `validate_values` for the other types (list offsets, dictionary keys
/// within the dictionary, union type ids), without `validate_full`'s UTF-8 pass, which
/// costs more than the profile itself on long strings.
fn validate_array(array: &dyn Array) -> Result<(), ArrowError> {
    validate_data(&array.to_data())
}

fn validate_data(data: &ArrayData) -> Result<(), ArrowError> {
    data.validate()?;
    // Null counts and the nullability of children (`validate_nulls`) are not checked:
    // they concern what a value means, not where it lies, and pyarrow does not enforce
    // them either.
    match data.data_type() {
        DataType::Utf8 | DataType::Binary => check_offsets::<i32>(data)?,
        DataType::LargeUtf8 | DataType::LargeBinary => check_offsets::<i64>(data)?,
        _ => data.validate_values()?,
    }
    for child in data.child_data() {
        validate_data(child)?;
    }
    Ok(())
}

/// Every offset of a string or binary array in order and within its data buffer: the
/// first is not negative, none is below the one before it and the last is within the data.
/// The pass has no early exit, so that it vectorises; a failure is located with a second.
fn check_offsets<O: OffsetSizeTrait>(data: &ArrayData) -> Result<(), ArrowError> {
    if data.is_empty() {
        return Ok(()); // an empty array may have no offsets at all
    }
    let values = data.buffers()[1].len();
    let range = data.offset()..data.offset() + data.len() + 1;
    let Some(offsets) = data.buffer::<O>(0).get(range) else {
        return Err(ArrowError::InvalidArgumentError(format!(
            "{} offsets for {} values",
            data.buffer::<O>(0).len(),
            data.len()
        )));
    };
    let in_order = offsets
        .windows(2)
        .fold(true, |ok, pair| ok & (pair[0] <= pair[1]));
    let first = offsets[0].to_usize();
    let last = offsets[offsets.len() - 1].to_usize();
    if in_order && first.is_some() && last.is_some_and(|l| l <= values) {
        return Ok(());
    }
    let at = offsets
        .windows(2)
        .position(|pair| pair[0] > pair[1])
        .map_or(String::new(), |i| {
            format!(" (offset {} < offset {i})", i + 1)
        });
    Err(ArrowError::InvalidArgumentError(format!(
        "offsets must not be negative, decrease or point past the {values} bytes of data{at}"
    )))
}
