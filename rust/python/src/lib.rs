//! `driftline._native`: registration of the Python module. Each submodule binds one part
//! of the core; this file only wires them together.

use pyo3::prelude::*;

mod errors;
mod input;
mod profile;
mod stats;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    profile::register(m)?;
    stats::register(m)?;
    Ok(())
}
