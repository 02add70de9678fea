//! The one mapping from core errors to Python exceptions, and the helper that runs core
//! work with the GIL released and never lets a panic cross into Python.
//!
//! The exception classes are defined in `driftline.exceptions` (pure Python, so the
//! registry can raise them without the native module); this module looks them up.

use std::panic::{catch_unwind, AssertUnwindSafe};

use driftline_core::DriftlineError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

/// Builds the Python exception of `driftline.exceptions` named `class` with `message`.
pub fn driftline_exception(py: Python<'_>, class: &str, message: String) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let module = py.import("driftline.exceptions")?;
        let cls = module.getattr(class)?;
        let instance = cls.call1((PyString::new(py, &message),))?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|_| PyValueError::new_err(message))
}

/// Converts a core error into the matching `driftline.exceptions` class.
pub fn to_py_err(py: Python<'_>, err: DriftlineError) -> PyErr {
    let class = match &err {
        DriftlineError::UnsupportedType { .. }
        | DriftlineError::UnknownColumn { .. }
        | DriftlineError::DuplicateColumn { .. }
        | DriftlineError::SchemaMismatch(_) => "SchemaError",
        DriftlineError::InvalidParameter { .. } => "InvalidParameter",
        DriftlineError::Decode { .. } => "DecodeError",
        DriftlineError::InvalidData { .. } | DriftlineError::Arrow(_) => "DataError",
        _ => "DriftlineError",
    };
    driftline_exception(py, class, err.to_string())
}

/// Runs `work` with the GIL released; a core error becomes its Python exception and a
/// panic becomes a `RuntimeError` naming it as a bug, never an abort of the interpreter.
pub fn run_detached<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> driftline_core::Result<T> + Send,
{
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(work)));
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(to_py_err(py, err)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(PyRuntimeError::new_err(format!(
                "driftline internal error (please report): {what}"
            )))
        }
    }
}
