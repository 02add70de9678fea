//! `driftline._native`: registration of the Python module. Each submodule binds one part
//! of the core; this file only wires them together.

use pyo3::prelude::*;

// The module's own allocations (per-segment sketches and accumulators, result tables)
// come from mimalloc: many small objects per segment are two to three times slower to
// allocate and free with the system allocator, and large pass buffers are reused
// instead of faulted in again on every call. Arrow buffers handed to Python carry their
// release callback, so they are freed by this allocator too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod errors;
mod fairness;
mod input;
mod partials;
mod performance;
mod profile;
mod segment_readers;
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
