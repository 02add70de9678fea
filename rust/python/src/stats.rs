//! Bindings of the statistics kernels (`driftline-core::stats`) used by `driftline.stats`.
//!
//! Each function takes Arrow arrays through the PyCapsule interface, extracts every
//! argument while attached, then runs the conversion and the kernel with the GIL released
//! through [`run_detached`]; kernels that sort run on driftline's named rayon pool. Results are plain tuples; `driftline.stats` wraps them in
//! frozen dataclasses.

use driftline_core::pool;
use driftline_core::stats;
use driftline_core::stats::sample::{counts_f64, values_f64, weighted_values_f64};
use pyo3::prelude::*;
use pyo3_arrow::PyArray;

use crate::errors::run_detached;

/// `(statistic, pvalue, location, sign, method, n_a, n_b)` of the two-sample KS test.
type KsTuple = (f64, f64, f64, i8, &'static str, usize, usize);

#[pyfunction]
#[pyo3(name = "stats_ks_2samp")]
#[pyo3(signature = (a, b, method = "auto"))]
fn ks_2samp(py: Python<'_>, a: PyArray, b: PyArray, method: &str) -> PyResult<KsTuple> {
    let (a, b) = (a.array().clone(), b.array().clone());
    let method = method.to_string();
    run_detached(py, move || {
        let method = stats::KsMethod::parse(&method)?;
        let r = stats::ks_2samp(
            values_f64(a.as_ref(), "a")?,
            values_f64(b.as_ref(), "b")?,
            method,
        )?;
        Ok((
            r.statistic,
            r.pvalue,
            r.location,
            r.sign,
            r.method.as_str(),
            r.n_a,
            r.n_b,
        ))
    })
}

#[pyfunction]
#[pyo3(name = "stats_ks_pvalue")]
#[pyo3(signature = (d, n, m, method = "auto"))]
fn ks_pvalue(
    py: Python<'_>,
    d: f64,
    n: usize,
    m: usize,
    method: &str,
) -> PyResult<(f64, f64, &'static str)> {
    let method = method.to_string();
    run_detached(py, move || {
        let method = stats::KsMethod::parse(&method)?;
        if n == 0 || m == 0 || !(0.0..=1.0).contains(&d) {
            return Err(driftline_core::DriftlineError::param(
                "d, n, m",
                "need n >= 1, m >= 1 and 0 <= d <= 1",
            ));
        }
        let (d, p, used) = stats::ks_pvalue(d, n, m, method);
        Ok((d, p, used.as_str()))
    })
}

#[pyfunction]
#[pyo3(name = "stats_kstwo_sf")]
fn kstwo_sf(d: f64, n: u64) -> f64 {
    stats::kstwo_sf(d, n)
}

#[pyfunction]
#[pyo3(name = "stats_smirnov_sf")]
fn smirnov_sf(n: u64, d: f64) -> f64 {
    stats::smirnov_sf(n, d)
}

#[pyfunction]
#[pyo3(name = "stats_chi2_sf")]
fn chi2_sf(x: f64, df: f64) -> f64 {
    stats::chi2_sf(x, df)
}

#[pyfunction]
#[pyo3(name = "stats_wasserstein")]
#[pyo3(signature = (u_values, v_values, u_weights = None, v_weights = None))]
fn wasserstein(
    py: Python<'_>,
    u_values: PyArray,
    v_values: PyArray,
    u_weights: Option<PyArray>,
    v_weights: Option<PyArray>,
) -> PyResult<f64> {
    let (u, v) = (u_values.array().clone(), v_values.array().clone());
    let uw = u_weights.map(|w| w.array().clone());
    let vw = v_weights.map(|w| w.array().clone());
    run_detached(py, move || {
        let (u, uw) = match uw {
            Some(w) => {
                let (x, w) = weighted_values_f64(u.as_ref(), w.as_ref(), "u_values", "u_weights")?;
                (x, Some(w))
            }
            None => (values_f64(u.as_ref(), "u_values")?, None),
        };
        let (v, vw) = match vw {
            Some(w) => {
                let (x, w) = weighted_values_f64(v.as_ref(), w.as_ref(), "v_values", "v_weights")?;
                (x, Some(w))
            }
            None => (values_f64(v.as_ref(), "v_values")?, None),
        };
        pool::install(None, move || stats::wasserstein(u, v, uw, vw))?
    })
}

/// `(statistic, interior edges, reference counts, current counts)`.
type PsiTuple = (f64, Vec<f64>, Vec<f64>, Vec<f64>);

#[pyfunction]
#[pyo3(name = "stats_psi")]
#[pyo3(signature = (reference, current, bins = 10, epsilon = stats::PSI_EPSILON))]
fn psi(
    py: Python<'_>,
    reference: PyArray,
    current: PyArray,
    bins: usize,
    epsilon: f64,
) -> PyResult<PsiTuple> {
    let (r, c) = (reference.array().clone(), current.array().clone());
    run_detached(py, move || {
        let r = values_f64(r.as_ref(), "reference")?;
        let c = values_f64(c.as_ref(), "current")?;
        let out = pool::install(None, move || stats::psi(r, &c, bins, epsilon))??;
        Ok((
            out.statistic,
            out.edges,
            out.reference_counts,
            out.current_counts,
        ))
    })
}

#[pyfunction]
#[pyo3(name = "stats_psi_counts")]
#[pyo3(signature = (reference, current, epsilon = stats::PSI_EPSILON))]
fn psi_counts(py: Python<'_>, reference: PyArray, current: PyArray, epsilon: f64) -> PyResult<f64> {
    let (r, c) = (reference.array().clone(), current.array().clone());
    run_detached(py, move || {
        let r = counts_f64(r.as_ref(), "reference")?;
        let c = counts_f64(c.as_ref(), "current")?;
        stats::psi_counts(&r, &c, epsilon)
    })
}

#[pyfunction]
#[pyo3(name = "stats_chisquare")]
#[pyo3(signature = (observed, expected = None, ddof = 0))]
fn chisquare(
    py: Python<'_>,
    observed: PyArray,
    expected: Option<PyArray>,
    ddof: i64,
) -> PyResult<(f64, f64, f64)> {
    let o = observed.array().clone();
    let e = expected.map(|e| e.array().clone());
    run_detached(py, move || {
        let o = counts_f64(o.as_ref(), "observed")?;
        let e = e.map(|e| counts_f64(e.as_ref(), "expected")).transpose()?;
        let r = stats::chisquare(&o, e.as_deref(), ddof)?;
        Ok((r.statistic, r.pvalue, r.dof))
    })
}

#[pyfunction]
#[pyo3(name = "stats_chi2_contingency")]
#[pyo3(signature = (table, rows, cols, correction = true))]
fn chi2_contingency(
    py: Python<'_>,
    table: PyArray,
    rows: usize,
    cols: usize,
    correction: bool,
) -> PyResult<(f64, f64, usize, Vec<f64>)> {
    let t = table.array().clone();
    run_detached(py, move || {
        let t = counts_f64(t.as_ref(), "table")?;
        let r = stats::chi2_contingency(&t, rows, cols, correction)?;
        Ok((r.statistic, r.pvalue, r.dof, r.expected))
    })
}

fn two_counts(p: &PyArray, q: &PyArray) -> (arrow_array::ArrayRef, arrow_array::ArrayRef) {
    (p.array().clone(), q.array().clone())
}

#[pyfunction]
#[pyo3(name = "stats_jensen_shannon")]
#[pyo3(signature = (p, q, base = None))]
fn jensen_shannon(py: Python<'_>, p: PyArray, q: PyArray, base: Option<f64>) -> PyResult<f64> {
    let (p, q) = two_counts(&p, &q);
    run_detached(py, move || {
        stats::jensen_shannon(
            &counts_f64(p.as_ref(), "p")?,
            &counts_f64(q.as_ref(), "q")?,
            base,
        )
    })
}

#[pyfunction]
#[pyo3(name = "stats_kl_divergence")]
#[pyo3(signature = (p, q, base = None))]
fn kl_divergence(py: Python<'_>, p: PyArray, q: PyArray, base: Option<f64>) -> PyResult<f64> {
    let (p, q) = two_counts(&p, &q);
    run_detached(py, move || {
        stats::kl_divergence(
            &counts_f64(p.as_ref(), "p")?,
            &counts_f64(q.as_ref(), "q")?,
            base,
        )
    })
}

#[pyfunction]
#[pyo3(name = "stats_hellinger")]
fn hellinger(py: Python<'_>, p: PyArray, q: PyArray) -> PyResult<f64> {
    let (p, q) = two_counts(&p, &q);
    run_detached(py, move || {
        stats::hellinger(&counts_f64(p.as_ref(), "p")?, &counts_f64(q.as_ref(), "q")?)
    })
}

#[pyfunction]
#[pyo3(name = "stats_total_variation")]
fn total_variation(py: Python<'_>, p: PyArray, q: PyArray) -> PyResult<f64> {
    let (p, q) = two_counts(&p, &q);
    run_detached(py, move || {
        stats::total_variation(&counts_f64(p.as_ref(), "p")?, &counts_f64(q.as_ref(), "q")?)
    })
}

/// Adds the statistics functions to `driftline._native` (names prefixed `stats_`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ks_2samp, m)?)?;
    m.add_function(wrap_pyfunction!(ks_pvalue, m)?)?;
    m.add_function(wrap_pyfunction!(kstwo_sf, m)?)?;
    m.add_function(wrap_pyfunction!(smirnov_sf, m)?)?;
    m.add_function(wrap_pyfunction!(chi2_sf, m)?)?;
    m.add_function(wrap_pyfunction!(wasserstein, m)?)?;
    m.add_function(wrap_pyfunction!(psi, m)?)?;
    m.add_function(wrap_pyfunction!(psi_counts, m)?)?;
    m.add_function(wrap_pyfunction!(chisquare, m)?)?;
    m.add_function(wrap_pyfunction!(chi2_contingency, m)?)?;
    m.add_function(wrap_pyfunction!(jensen_shannon, m)?)?;
    m.add_function(wrap_pyfunction!(kl_divergence, m)?)?;
    m.add_function(wrap_pyfunction!(hellinger, m)?)?;
    m.add_function(wrap_pyfunction!(total_variation, m)?)?;
    Ok(())
}
