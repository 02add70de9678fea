//! Bindings of `driftline.performance`: model performance, overall and per segment, the
//! exact ROC AUC alone, and confidence-based performance estimation.

use driftline_core::fairness::groups::KeyValue;
use driftline_core::performance::cbpe::{estimate_batches, Method};
use driftline_core::performance::columns::Positive;
use driftline_core::performance::confusion::Value;
use driftline_core::performance::{self as core, Spec, Task};
use driftline_core::DriftlineError;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDate, PyDict, PyFloat, PyInt, PyString, PyTime};
use pyo3_arrow::{PyArray, PyRecordBatch, PyTable};

use crate::errors::{run_detached, to_py_err};

/// Reads the `positive=` option: a bool, an int (up to the uint64 range), a float or a
/// string.
pub fn extract_positive(obj: &Bound<'_, PyAny>) -> PyResult<Positive> {
    if obj.is_instance_of::<PyBool>() {
        return Ok(Positive::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Positive::Int(i));
        }
        // Above int64: a uint64 column's value.
        return obj.extract::<u64>().map(Positive::UInt).map_err(|_| {
            to_py_err(
                obj.py(),
                DriftlineError::param(
                    "positive",
                    format!(
                        "{obj} is outside the int64 and uint64 ranges: no integer column holds it"
                    ),
                ),
            )
        });
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Positive::Float(obj.extract()?));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Positive::Str(obj.extract()?));
    }
    Err(PyTypeError::new_err(
        "positive must be a bool, an int, a float or a str",
    ))
}

/// Reads one group-key value.
pub fn extract_key(obj: &Bound<'_, PyAny>) -> PyResult<KeyValue> {
    if obj.is_none() {
        return Ok(KeyValue::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(KeyValue::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(KeyValue::Int(i));
        }
        return Ok(KeyValue::UInt(obj.extract()?));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(KeyValue::Str(obj.extract()?));
    }
    // A date or datetime names a temporal group by its ISO text (matched against the
    // groups' text).
    if obj.is_instance_of::<PyDate>() || obj.is_instance_of::<PyTime>() {
        return Ok(KeyValue::Str(obj.call_method0("isoformat")?.extract()?));
    }
    Err(PyTypeError::new_err(
        "a group value must be None, a bool, an int, a str, a date or a datetime",
    ))
}

/// A group-key value as a Python object.
pub fn key_to_py<'py>(py: Python<'py>, k: &KeyValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match k {
        KeyValue::Null => py.None().into_bound(py),
        KeyValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        KeyValue::Int(i) => i.into_pyobject(py)?.into_any(),
        KeyValue::UInt(u) => u.into_pyobject(py)?.into_any(),
        KeyValue::Str(s) => PyString::new(py, s).into_any(),
        // A date, datetime, time or timedelta, as pyarrow gives a value of its type.
        KeyValue::Temporal(v, t) => {
            let a = t
                .array(std::iter::once(Some(*v)))
                .map_err(|e| to_py_err(py, e))?;
            let arr = PyArray::from_array_ref(a).into_pyobject(py)?;
            py.import("pyarrow")?
                .getattr("array")?
                .call1((arr,))?
                .call_method0("to_pylist")?
                .get_item(0)?
        }
    })
}

/// Fills `values` (name -> float or None) and `reasons` (name -> why undefined).
pub fn metrics_to_py<'py>(
    py: Python<'py>,
    metrics: &[(&'static str, Value)],
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let values = PyDict::new(py);
    let reasons = PyDict::new(py);
    for (name, v) in metrics {
        match v {
            Ok(x) => values.set_item(name, x)?,
            Err(why) => {
                values.set_item(name, py.None())?;
                reasons.set_item(name, why)?;
            }
        }
    }
    Ok((values, reasons))
}

/// The record batches of a table; one empty batch of its schema when it has none (no
/// rows), so that the kernels still see the column types (a segment or group key column
/// keeps its type in the result even then).
pub fn batches(data: PyTable) -> Vec<arrow_array::RecordBatch> {
    let (mut batches, schema) = data.into_inner();
    if batches.is_empty() {
        batches.push(arrow_array::RecordBatch::new_empty(schema));
    }
    batches
}

/// Builds a core spec from the Python arguments (`class_scores`: (class, column) pairs).
#[allow(clippy::too_many_arguments)]
pub fn perf_spec(
    py: Python<'_>,
    prediction: String,
    label: String,
    score: Option<String>,
    class_scores: Vec<(Bound<'_, PyAny>, String)>,
    task: String,
    positive: &Bound<'_, PyAny>,
    segment_by: Vec<String>,
) -> PyResult<Spec> {
    let task: Task = task.parse().map_err(|e| to_py_err(py, e))?;
    let mut class_scores = class_scores
        .into_iter()
        .map(|(k, c)| Ok((extract_key(&k)?, c)))
        .collect::<PyResult<Vec<_>>>()?;
    class_scores.sort();
    if class_scores.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(PyValueError::new_err("score: a class is named twice"));
    }
    Ok(Spec {
        prediction,
        label,
        score,
        class_scores,
        positive: extract_positive(positive)?,
        task,
        segment_by,
    })
}

/// A core report as the dict the Python layer reads.
pub fn perf_report_dict<'py>(
    py: Python<'py>,
    report: core::Report,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let (values, reasons) = metrics_to_py(py, &report.metrics)?;
    out.set_item("metrics", values)?;
    out.set_item("reasons", reasons)?;
    let classes: Vec<Bound<'py, PyAny>> = report
        .classes
        .iter()
        .map(|k| key_to_py(py, k))
        .collect::<PyResult<_>>()?;
    out.set_item("classes", classes)?;
    out.set_item("auc_mode", report.auc_mode)?;
    match report.segments {
        Some(t) => out.set_item("segments", PyRecordBatch::new(t).into_pyarrow(py)?)?,
        None => out.set_item("segments", py.None())?,
    }
    Ok(out)
}

/// Overall (and per-segment) performance metrics.
#[pyfunction]
#[pyo3(signature = (data, *, prediction, label, score, task, positive, segment_by, class_scores=Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub fn performance<'py>(
    py: Python<'py>,
    data: PyTable,
    prediction: String,
    label: String,
    score: Option<String>,
    task: String,
    positive: Bound<'py, PyAny>,
    segment_by: Vec<String>,
    class_scores: Vec<(Bound<'py, PyAny>, String)>,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = perf_spec(
        py,
        prediction,
        label,
        score,
        class_scores,
        task,
        &positive,
        segment_by,
    )?;
    let batches = batches(data);
    let report = run_detached(py, || core::evaluate(&batches, &spec))?;
    perf_report_dict(py, report)
}

/// Exact ROC AUC of a label and a score column.
#[pyfunction]
#[pyo3(signature = (data, *, label, score, positive))]
pub fn roc_auc(
    py: Python<'_>,
    data: PyTable,
    label: String,
    score: String,
    positive: Bound<'_, PyAny>,
) -> PyResult<f64> {
    let positive = extract_positive(&positive)?;
    let batches = batches(data);
    let label2 = label.clone();
    run_detached(py, move || {
        core::roc_auc(&batches, &label, &score, &positive)?
            .map_err(|why| DriftlineError::data(label2, why))
    })
}

/// Confidence-based performance estimation of unlabeled data.
#[pyfunction]
#[pyo3(signature = (reference, current, *, prediction, label, score, positive, method))]
#[allow(clippy::too_many_arguments)]
pub fn estimate_performance<'py>(
    py: Python<'py>,
    reference: PyTable,
    current: PyTable,
    prediction: String,
    label: String,
    score: String,
    positive: Bound<'py, PyAny>,
    method: String,
) -> PyResult<Bound<'py, PyDict>> {
    let method = match method.as_str() {
        "isotonic" => Method::Isotonic,
        "histogram" => Method::Histogram,
        other => {
            return Err(to_py_err(
                py,
                DriftlineError::param(
                    "calibration",
                    format!("'{other}'; expected 'isotonic' or 'histogram'"),
                ),
            ))
        }
    };
    let positive = extract_positive(&positive)?;
    let (r, c) = (batches(reference), batches(current));
    let est = run_detached(py, || {
        estimate_batches(&r, &c, &prediction, &label, &score, &positive, method)
    })?;
    let metrics = [
        ("n", Ok(est.n as f64)),
        ("accuracy", est.accuracy()),
        ("precision", est.precision()),
        ("recall", est.recall()),
        ("f1", est.f1()),
        ("roc_auc", est.roc_auc),
        ("tp", Ok(est.tp)),
        ("fp", Ok(est.fp)),
        ("tn", Ok(est.tn)),
        ("fn", Ok(est.fn_)),
    ];
    let out = PyDict::new(py);
    let (values, reasons) = metrics_to_py(py, &metrics)?;
    out.set_item("metrics", values)?;
    out.set_item("reasons", reasons)?;
    Ok(out)
}
