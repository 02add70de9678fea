//! Binding of profiles: the `profile` function and the `Profile` class.

use std::collections::BTreeMap;
use std::sync::Arc;

use driftline_core::codec;
use driftline_core::profile::{
    quantile_edges, ColumnProfile, Profile, ProfileOptions, SketchConfig,
};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict};
use pyo3_arrow::PyRecordBatchReader;

use crate::errors::{driftline_exception, run_detached};
use crate::input::read_stream;

/// A mergeable profile held by the native module (wrapped by `driftline.Profile`).
#[pyclass(module = "driftline._native", name = "Profile", frozen)]
pub struct PyProfile {
    pub inner: Arc<Profile>,
}

impl PyProfile {
    pub fn new(p: Profile) -> Self {
        Self { inner: Arc::new(p) }
    }

    fn column<'a>(&'a self, py: Python<'_>, name: &str) -> PyResult<&'a ColumnProfile> {
        self.inner.column(name).ok_or_else(|| {
            driftline_exception(
                py,
                "SchemaError",
                format!(
                    "column '{name}' not found in the profile; columns: {}",
                    self.inner.column_names().join(", ")
                ),
            )
        })
    }

    /// The segments of `keys`, in order (a missing key is an error naming it).
    fn segments_of(&self, py: Python<'_>, keys: &[String]) -> PyResult<Vec<&Profile>> {
        keys.iter()
            .map(|k| {
                self.inner.segment(k).ok_or_else(|| {
                    driftline_exception(py, "DataError", format!("no segment '{k}'"))
                })
            })
            .collect()
    }

    /// Column `name` of every segment of `keys`.
    fn segment_columns<'a>(
        &'a self,
        py: Python<'_>,
        keys: &[String],
        name: &str,
    ) -> PyResult<Vec<&'a ColumnProfile>> {
        let segs = self.segments_of(py, keys)?;
        segs.iter()
            .zip(keys)
            .map(|(s, k)| {
                s.column(name).ok_or_else(|| {
                    driftline_exception(
                        py,
                        "SchemaError",
                        format!("column '{name}' not found in segment '{k}'"),
                    )
                })
            })
            .collect()
    }
}

#[pymethods]
impl PyProfile {
    #[getter]
    fn row_count(&self) -> u64 {
        self.inner.row_count
    }

    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner.columns.iter().map(|c| c.name.clone()).collect()
    }

    #[getter]
    fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }

    #[getter]
    fn schema_hash(&self) -> String {
        format!("{:016x}", self.inner.schema_hash())
    }

    #[getter]
    fn segment_by(&self) -> Option<String> {
        self.inner.segment_by.clone()
    }

    fn segment_keys(&self) -> Vec<String> {
        self.inner.segments.iter().map(|(k, _)| k.clone()).collect()
    }

    fn segment(&self, py: Python<'_>, key: &str) -> PyResult<PyProfile> {
        self.inner
            .segment(key)
            .map(|s| PyProfile::new(s.clone()))
            .ok_or_else(|| driftline_exception(py, "DataError", format!("no segment '{key}'")))
    }

    /// Rows of each segment of `keys`.
    fn segment_rows(&self, py: Python<'_>, keys: Vec<String>) -> PyResult<Vec<u64>> {
        Ok(self
            .segments_of(py, &keys)?
            .iter()
            .map(|s| s.row_count)
            .collect())
    }

    /// Column `name` over the segments of `keys`: a dict of lists, one entry per segment
    /// (`count`, `null_count`, `nan_count`, `finite_count`, `mean` (NaN without a finite
    /// value or for a categorical column), `m2`, `quantile_rank_error` (NaN without a
    /// sketch)), so that drift per segment reads thousands of segments in one call.
    fn segment_column_arrays<'py>(
        &self,
        py: Python<'py>,
        keys: Vec<String>,
        name: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let cols = self.segment_columns(py, &keys, name)?;
        let ints = |f: fn(&ColumnProfile) -> u64| cols.iter().map(|c| f(c)).collect::<Vec<u64>>();
        let floats = |f: fn(&ColumnProfile) -> f64| cols.iter().map(|c| f(c)).collect::<Vec<f64>>();
        let d = PyDict::new(py);
        d.set_item("count", ints(|c| c.count))?;
        d.set_item("null_count", ints(|c| c.null_count))?;
        d.set_item("nan_count", ints(|c| c.nan_count))?;
        d.set_item("finite_count", ints(|c| c.moments.n))?;
        d.set_item(
            "mean",
            floats(|c| {
                if c.quantiles.is_some() && c.moments.n > 0 {
                    c.moments.mean
                } else {
                    f64::NAN
                }
            }),
        )?;
        d.set_item("m2", floats(|c| c.moments.m2))?;
        d.set_item(
            "quantile_rank_error",
            floats(|c| c.quantiles.as_ref().map_or(f64::NAN, |k| k.rank_error())),
        )?;
        Ok(d)
    }

    /// [`Self::sketch_pair`] (no edges) of column `name` in every segment of `keys`, here
    /// (the reference) and in `other`, in parallel: lists of KS, Wasserstein, both sizes
    /// and both sides' exactness, one entry per segment.
    #[allow(clippy::type_complexity)]
    fn segment_sketch_pairs(
        &self,
        py: Python<'_>,
        other: &PyProfile,
        keys: Vec<String>,
        name: &str,
    ) -> PyResult<(Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<bool>, Vec<bool>)> {
        let a = self.segment_columns(py, &keys, name)?;
        let b = other.segment_columns(py, &keys, name)?;
        let pairs: Vec<_> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x.quantiles.as_ref(), y.quantiles.as_ref()))
            .collect();
        let all = run_detached(py, || Ok(driftline_core::stats::sketch_pairs(&pairs)))?;
        Ok((
            all.iter().map(|p| p.ks).collect(),
            all.iter().map(|p| p.wasserstein).collect(),
            all.iter().map(|p| p.n_ref).collect(),
            all.iter().map(|p| p.n_cur).collect(),
            all.iter().map(|p| p.ref_exact).collect(),
            all.iter().map(|p| p.cur_exact).collect(),
        ))
    }

    /// Scalars of one column as a dict.
    fn column_stats<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
        let c = self.column(py, name)?;
        let d = PyDict::new(py);
        d.set_item("name", &c.name)?;
        d.set_item("dtype", &c.dtype)?;
        d.set_item("kind", c.kind.as_str())?;
        d.set_item("count", c.count)?;
        d.set_item("null_count", c.null_count)?;
        d.set_item("nan_count", c.nan_count)?;
        d.set_item("pos_inf_count", c.pos_inf_count)?;
        d.set_item("neg_inf_count", c.neg_inf_count)?;
        d.set_item("min", c.min)?;
        d.set_item("max", c.max)?;
        let numeric = c.quantiles.is_some();
        d.set_item("finite_count", c.moments.n)?;
        d.set_item(
            "mean",
            (numeric && c.moments.n > 0).then_some(c.moments.mean),
        )?;
        d.set_item("m2", c.moments.m2)?;
        d.set_item("distinct", c.distinct_estimate())?;
        d.set_item("distinct_error", c.distinct.relative_error())?;
        d.set_item(
            "quantile_rank_error",
            c.quantiles.as_ref().map(|k| k.rank_error()),
        )?;
        if let Some(f) = &c.frequencies {
            d.set_item("frequencies_exact", f.is_exact())?;
            d.set_item("frequencies_other", f.other_count)?;
            d.set_item("frequencies_max_error", f.max_error)?;
        }
        if let Some(h) = &c.histogram {
            d.set_item("histogram_edges", h.edges.clone())?;
            d.set_item("histogram_counts", h.counts.clone())?;
        }
        Ok(d)
    }

    /// Category counts, most frequent first; None for numeric columns.
    fn frequencies(&self, py: Python<'_>, name: &str) -> PyResult<Option<Vec<(String, u64)>>> {
        Ok(self
            .column(py, name)?
            .frequencies
            .as_ref()
            .map(|f| f.sorted()))
    }

    /// Approximate quantiles from the column's sketch (None where there is no value).
    fn quantiles(&self, py: Python<'_>, name: &str, qs: Vec<f64>) -> PyResult<Vec<Option<f64>>> {
        let c = self.column(py, name)?;
        Ok(match &c.quantiles {
            Some(k) => k.quantiles(&qs),
            None => vec![None; qs.len()],
        })
    }

    /// Approximate fraction of values <= x.
    fn rank(&self, py: Python<'_>, name: &str, x: f64) -> PyResult<Option<f64>> {
        Ok(self
            .column(py, name)?
            .quantiles
            .as_ref()
            .and_then(|k| k.rank(x, true)))
    }

    /// The quantile sketch as a step CDF: sorted values and cumulative weights.
    fn cdf_points(&self, py: Python<'_>, name: &str) -> PyResult<(Vec<f64>, Vec<u64>)> {
        Ok(self
            .column(py, name)?
            .quantiles
            .as_ref()
            .map(|k| k.cdf_points())
            .unwrap_or_default())
    }

    /// One column's sketches here (the reference) and in `other` side by side: KS and
    /// Wasserstein from the step CDFs, counts on `edges`, sizes and exactness.
    #[allow(clippy::type_complexity)]
    fn sketch_pair(
        &self,
        py: Python<'_>,
        other: &PyProfile,
        name: &str,
        edges: Vec<f64>,
    ) -> PyResult<(f64, f64, Vec<f64>, Vec<f64>, f64, f64, bool, bool)> {
        let a = self.column(py, name)?.quantiles.as_ref();
        let b = other.column(py, name)?.quantiles.as_ref();
        let p = driftline_core::stats::sketch_pair(a, b, &edges);
        Ok((
            p.ks,
            p.wasserstein,
            p.ref_counts,
            p.cur_counts,
            p.n_ref,
            p.n_cur,
            p.ref_exact,
            p.cur_exact,
        ))
    }

    /// Edges at the `bins`-quantiles of a column (distinct, finite).
    fn quantile_edges(&self, py: Python<'_>, name: &str, bins: usize) -> PyResult<Vec<f64>> {
        Ok(quantile_edges(self.column(py, name)?, bins))
    }

    fn merge(&self, py: Python<'_>, other: &PyProfile) -> PyResult<PyProfile> {
        let a = self.inner.clone();
        let b = other.inner.clone();
        run_detached(py, move || {
            let mut m = (*a).clone();
            m.merge(&b)?;
            Ok(m)
        })
        .map(PyProfile::new)
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let p = self.inner.clone();
        let bytes = run_detached(py, move || codec::profile_to_bytes(&p))?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: PyBackedBytes) -> PyResult<PyProfile> {
        run_detached(py, move || codec::profile_from_bytes(&data)).map(PyProfile::new)
    }

    fn __eq__(&self, other: &PyProfile) -> bool {
        self.inner == other.inner
    }
}

/// Profiles Arrow data (anything with `__arrow_c_stream__`).
#[pyfunction]
#[pyo3(signature = (data, *, columns=None, categorical=None, edges=None, bins=None, segment_by=None, threads=None, kll_k=None, hll_p=None, freq_cap=None, expected_rows=None))]
#[allow(clippy::too_many_arguments)]
pub fn profile(
    py: Python<'_>,
    data: PyRecordBatchReader,
    columns: Option<Vec<String>>,
    categorical: Option<Vec<String>>,
    edges: Option<BTreeMap<String, Vec<f64>>>,
    bins: Option<usize>,
    segment_by: Option<String>,
    threads: Option<usize>,
    kll_k: Option<u16>,
    hll_p: Option<u8>,
    freq_cap: Option<usize>,
    expected_rows: Option<u64>,
) -> PyResult<PyProfile> {
    let (schema, batches) = read_stream(py, data)?;
    let defaults = SketchConfig::default();
    let opts = ProfileOptions {
        columns,
        categorical: categorical.unwrap_or_default(),
        edges: edges.unwrap_or_default(),
        bins,
        segment_by,
        sketch: SketchConfig {
            kll_k: kll_k.unwrap_or(defaults.kll_k),
            hll_p: hll_p.unwrap_or(defaults.hll_p),
            freq_cap: freq_cap.unwrap_or(defaults.freq_cap),
        },
        threads,
        expected_rows,
    };
    run_detached(py, move || {
        driftline_core::profile_batches(&schema, &batches, &opts)
    })
    .map(PyProfile::new)
}

/// Bin counts of one numeric column on `edges` (the histogram kernel alone).
#[pyfunction]
#[pyo3(signature = (data, edges, *, threads=None))]
pub fn histogram(
    py: Python<'_>,
    data: PyRecordBatchReader,
    edges: Vec<f64>,
    threads: Option<usize>,
) -> PyResult<(Vec<u64>, u64)> {
    let (schema, batches) = read_stream(py, data)?;
    let Some(field) = schema.fields().first().cloned() else {
        return Err(driftline_exception(
            py,
            "SchemaError",
            "histogram needs one numeric column".into(),
        ));
    };
    let arrays: Vec<_> = batches.iter().map(|b| b.column(0).clone()).collect();
    run_detached(py, move || {
        driftline_core::profile::histogram::bin_counts(field.name(), &arrays, &edges, threads)
    })
}

/// Merges profiles in the given order.
#[pyfunction]
pub fn merge_profiles(py: Python<'_>, profiles: Vec<PyRef<'_, PyProfile>>) -> PyResult<PyProfile> {
    let parts: Vec<Arc<Profile>> = profiles.iter().map(|p| p.inner.clone()).collect();
    run_detached(py, move || {
        let mut acc = Profile::default();
        for p in &parts {
            acc.merge(p)?;
        }
        Ok(acc)
    })
    .map(PyProfile::new)
}

/// Decodes serialised profiles and merges them in order, without a Python object per
/// partial; `first` numbers the partials in a refusal.
#[pyfunction]
#[pyo3(signature = (blobs, first=0))]
pub fn merge_profile_bytes(
    py: Python<'_>,
    blobs: Vec<PyBackedBytes>,
    first: usize,
) -> PyResult<PyProfile> {
    run_detached(py, move || codec::merge_profiles_from_bytes(&blobs, first)).map(PyProfile::new)
}

/// Registers the profile functions and class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyProfile>()?;
    m.add_function(wrap_pyfunction!(profile, m)?)?;
    m.add_function(wrap_pyfunction!(merge_profiles, m)?)?;
    m.add_function(wrap_pyfunction!(merge_profile_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(histogram, m)?)?;
    Ok(())
}
