//! Bindings of the mergeable fairness and performance partials: compute one from a table,
//! serialise, merge (one or many at once, in the core) and turn into a report dict.

use driftline_core::fairness::partial::FairnessPartial;
use driftline_core::fairness::FairnessTask;
use driftline_core::performance::partial::PerformancePartial;
use driftline_core::performance::Task;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use pyo3_arrow::PyTable;

use crate::errors::run_detached;
use crate::fairness::{fair_report_dict, fair_spec};
use crate::input::validate_batches;
use crate::performance::{batches, perf_report_dict, perf_spec};

/// Merges partials left to right into the first (`merge_from` of the core type), taking
/// each as it comes so only two are alive at once.
fn fold<T>(
    items: impl Iterator<Item = driftline_core::Result<T>>,
    merge_from: impl Fn(&mut T, &T) -> driftline_core::Result<()>,
) -> driftline_core::Result<Option<T>> {
    let mut acc: Option<T> = None;
    for p in items {
        let p = p?;
        match acc.as_mut() {
            None => acc = Some(p),
            Some(a) => merge_from(a, &p)?,
        }
    }
    Ok(acc)
}

macro_rules! partial_class {
    ($py_name:ident, $name:literal, $core:ty, $report_dict:ident, $task:ident) => {
        /// A mergeable partial (native).
        #[pyclass(name = $name, module = "driftline._native", frozen)]
        pub struct $py_name {
            inner: $core,
        }

        #[pymethods]
        impl $py_name {
            /// The versioned, checksummed bytes of the partial.
            fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
                let p = &self.inner;
                let bytes = run_detached(py, || p.to_bytes())?;
                Ok(PyBytes::new(py, &bytes))
            }

            /// Reads bytes written by `to_bytes`.
            #[staticmethod]
            fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
                let inner = run_detached(py, || <$core>::from_bytes(data))?;
                Ok(Self { inner })
            }

            /// The merge of `self` and `other`.
            fn merge(&self, py: Python<'_>, other: &Self) -> PyResult<Self> {
                let (a, b) = (&self.inner, &other.inner);
                let inner = run_detached(py, || a.merge(b))?;
                Ok(Self { inner })
            }

            /// Decodes and merges serialised partials in order (None when there is none);
            /// a refused one is named by its position.
            #[staticmethod]
            fn merge_bytes(
                py: Python<'_>,
                blobs: Vec<Bound<'_, PyBytes>>,
            ) -> PyResult<Option<Self>> {
                let blobs: Vec<&[u8]> = blobs.iter().map(|b| b.as_bytes()).collect();
                let merged = run_detached(py, || {
                    let decoded = blobs.iter().enumerate().map(|(i, b)| {
                        <$core>::from_bytes(b).map_err(|e| match e {
                            driftline_core::DriftlineError::Decode { what, message } => {
                                driftline_core::DriftlineError::Decode {
                                    what: format!("{what} #{i}"),
                                    message,
                                }
                            }
                            other => other,
                        })
                    });
                    fold(decoded, |a, b| a.merge_from(b))
                })?;
                Ok(merged.map(|inner| Self { inner }))
            }

            /// Merges partials in order (None when there is none).
            #[staticmethod]
            fn merge_all(py: Python<'_>, parts: Vec<PyRef<'_, Self>>) -> PyResult<Option<Self>> {
                let items: Vec<&$core> = parts.iter().map(|p| &p.inner).collect();
                let merged = run_detached(py, || {
                    let Some((first, rest)) = items.split_first() else {
                        return Ok(None);
                    };
                    let mut acc = (*first).clone();
                    for p in rest {
                        acc.merge_from(p)?;
                    }
                    Ok(Some(acc))
                })?;
                Ok(merged.map(|inner| Self { inner }))
            }

            /// The report dict (as the one-pass function returns).
            fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                let p = &self.inner;
                let report = run_detached(py, || p.report())?;
                $report_dict(py, report)
            }

            /// The task: "binary", "multiclass" or "regression".
            #[getter]
            fn task(&self) -> &'static str {
                $task(&self.inner)
            }

            /// Number of groups (fairness) or segments (performance) held.
            #[getter]
            fn n_keys(&self) -> usize {
                self.inner.keys.len()
            }
        }
    };
}

fn perf_task(p: &PerformancePartial) -> &'static str {
    match p.spec.task {
        Task::Binary => "binary",
        Task::Multiclass => "multiclass",
        Task::Regression => "regression",
    }
}

fn fair_task(p: &FairnessPartial) -> &'static str {
    match p.spec.task {
        FairnessTask::Binary => "binary",
        FairnessTask::Regression => "regression",
    }
}

partial_class!(
    PyPerformancePartial,
    "PerformancePartial",
    PerformancePartial,
    perf_report_dict,
    perf_task
);
partial_class!(
    PyFairnessPartial,
    "FairnessPartial",
    FairnessPartial,
    fair_report_dict,
    fair_task
);

/// The performance partial of a table.
#[pyfunction]
#[pyo3(signature = (data, *, prediction, label, score, task, positive, segment_by, class_scores=Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub fn performance_partial<'py>(
    py: Python<'py>,
    data: PyTable,
    prediction: String,
    label: String,
    score: Option<String>,
    task: String,
    positive: Bound<'py, PyAny>,
    segment_by: Vec<String>,
    class_scores: Vec<(Bound<'py, PyAny>, String)>,
) -> PyResult<PyPerformancePartial> {
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
    let inner = run_detached(py, || {
        validate_batches(&batches)?;
        PerformancePartial::compute(&batches, &spec)
    })?;
    Ok(PyPerformancePartial { inner })
}

/// The fairness partial of a table.
#[pyfunction]
#[pyo3(signature = (data, *, prediction, label, sensitive, score, positive, reference_group, min_group_size, task, segment_by))]
#[allow(clippy::too_many_arguments)]
pub fn fairness_partial<'py>(
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
) -> PyResult<PyFairnessPartial> {
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
    let batches = batches(data);
    let inner = run_detached(py, || {
        validate_batches(&batches)?;
        FairnessPartial::compute(&batches, &spec)
    })?;
    Ok(PyFairnessPartial { inner })
}

/// Registers the partial classes and functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPerformancePartial>()?;
    m.add_class::<PyFairnessPartial>()?;
    m.add_function(wrap_pyfunction!(performance_partial, m)?)?;
    m.add_function(wrap_pyfunction!(fairness_partial, m)?)?;
    Ok(())
}
