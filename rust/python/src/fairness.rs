//! Bindings of `driftline.fairness`: per-group rates and the fairlearn and AIF360
//! aggregates.

use driftline_core::fairness::{self as core, FairnessTask, Spec};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use pyo3_arrow::{PyRecordBatch, PyTable};

use crate::errors::{run_detached, to_py_err};
use crate::input::validate_batches;
use crate::performance::{extract_key, extract_positive, key_to_py, metrics_to_py};

/// Builds a core spec from the Python arguments.
#[allow(clippy::too_many_arguments)]
pub fn fair_spec<'py>(
    py: Python<'py>,
    prediction: String,
    label: Option<String>,
    sensitive: Vec<String>,
    score: Option<String>,
    positive: &Bound<'py, PyAny>,
    reference_group: Option<Bound<'py, PyAny>>,
    min_group_size: u64,
    task: String,
    segment_by: Vec<String>,
) -> PyResult<Spec> {
    let task = match task.as_str() {
        "binary" => FairnessTask::Binary,
        "regression" => FairnessTask::Regression,
        other => {
            return Err(to_py_err(
                py,
                driftline_core::DriftlineError::param(
                    "task",
                    format!("'{other}'; expected 'binary' or 'regression'"),
                ),
            ))
        }
    };
    let reference_group = match reference_group {
        None => None,
        Some(r) if r.is_instance_of::<PyTuple>() || r.is_instance_of::<PyList>() => Some(
            r.try_iter()?
                .map(|v| extract_key(&v?))
                .collect::<PyResult<Vec<_>>>()?,
        ),
        Some(r) => Some(vec![extract_key(&r)?]),
    };
    Ok(Spec {
        prediction,
        label,
        sensitive,
        score,
        positive: extract_positive(positive)?,
        reference_group,
        min_group_size,
        task,
        segment_by,
    })
}

/// A core report as the dict the Python layer reads.
pub fn fair_report_dict<'py>(
    py: Python<'py>,
    report: core::Report,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let (values, reasons) = metrics_to_py(py, &report.aggregates)?;
    out.set_item("aggregates", values)?;
    out.set_item("reasons", reasons)?;
    out.set_item(
        "by_group",
        PyRecordBatch::new(report.by_group).into_pyarrow(py)?,
    )?;
    let key =
        |k: &Vec<driftline_core::fairness::groups::KeyValue>| -> PyResult<Bound<'py, PyTuple>> {
            let items = k
                .iter()
                .map(|v| key_to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, items)
        };
    match &report.reference_group {
        Some(r) => out.set_item("reference_group", key(r)?)?,
        None => out.set_item("reference_group", py.None())?,
    }
    let small = report
        .small_groups
        .iter()
        .map(key)
        .collect::<PyResult<Vec<_>>>()?;
    out.set_item("small_groups", small)?;
    match report.segments {
        Some(t) => out.set_item("segments", PyRecordBatch::new(t).into_pyarrow(py)?)?,
        None => out.set_item("segments", py.None())?,
    }
    Ok(out)
}

/// Fairness report of a table.
#[pyfunction]
#[pyo3(signature = (data, *, prediction, label, sensitive, score, positive, reference_group, min_group_size, task, segment_by))]
#[allow(clippy::too_many_arguments)]
pub fn fairness<'py>(
    py: Python<'py>,
    data: PyTable,
    prediction: String,
    label: Option<String>,
    sensitive: Vec<String>,
    score: Option<String>,
    positive: Bound<'py, PyAny>,
    reference_group: Option<Bound<'py, PyAny>>,
    min_group_size: u64,
    task: String,
    segment_by: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = fair_spec(
        py,
        prediction,
        label,
        sensitive,
        score,
        &positive,
        reference_group,
        min_group_size,
        task,
        segment_by,
    )?;
    let batches = crate::performance::batches(data);
    let report = run_detached(py, || {
        validate_batches(&batches)?;
        core::evaluate(&batches, &spec)
    })?;
    fair_report_dict(py, report)
}
