//! `driftline._native`: registration of the Python module. Each submodule binds one part
//! of the core; this file only wires them together.

use pyo3::prelude::*;

mod errors;
mod fairness;
mod input;
mod partials;
mod performance;
mod profile;
mod stats;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    profile::register(m)?;
    stats::register(m)?;
    partials::register(m)?;
    m.add_function(wrap_pyfunction!(fairness::fairness, m)?)?;
    m.add_function(wrap_pyfunction!(performance::performance, m)?)?;
    m.add_function(wrap_pyfunction!(performance::roc_auc, m)?)?;
    m.add_function(wrap_pyfunction!(performance::estimate_performance, m)?)?;
    Ok(())
}
