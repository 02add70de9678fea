//! Arrow intake: anything with `__arrow_c_stream__` (pyarrow Table, RecordBatch and
//! RecordBatchReader, polars DataFrame, ...) is read through pyo3-arrow into record
//! batches, zero-copy. The batches are collected while attached (a producer's stream may
//! call back into Python) and the work then runs detached.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatchReader;

use crate::errors::driftline_exception;

/// Reads a whole stream into its schema and batches.
pub fn read_stream(
    py: Python<'_>,
    data: PyRecordBatchReader,
) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let reader = data.into_reader()?;
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
