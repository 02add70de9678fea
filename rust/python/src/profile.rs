//! Binding of profiles: the `profile` function and the `Profile` class.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, UInt64Array};
use driftline_core::codec;
use driftline_core::profile::{
    quantile_edges, ColumnProfile, Profile, ProfileOptions, SketchConfig,
};
use driftline_core::stats::SketchPair;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict};
use pyo3_arrow::PyRecordBatch;
use rayon::prelude::*;

use crate::errors::{driftline_exception, run_detached, to_py_err};
use crate::input::{read_stream, validate_batches};
use crate::segment_readers::{column_number_rows, frequency_tables};

/// A mergeable profile held by the native module (wrapped by `driftline.Profile`).
#[pyclass(module = "driftline._native", name = "Profile", frozen)]
pub struct PyProfile {
    pub inner: Arc<Profile>,
}

/// A profile of many segments is freed on every thread: 100k segments' sketches freed
/// one by one take about as long as the pass that made them.
impl Drop for PyProfile {
    fn drop(&mut self) {
        if let Some(p) = Arc::get_mut(&mut self.inner) {
            if p.segments.len() >= 1024 {
                let segments = std::mem::take(&mut p.segments);
                segments.into_par_iter().with_min_len(256).for_each(drop);
            }
        }
    }
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
}

/// A pyarrow RecordBatch of named columns.
pub(crate) fn record_batch(py: Python<'_>, columns: Vec<(&str, ArrayRef)>) -> PyResult<Py<PyAny>> {
    let batch = RecordBatch::try_from_iter(columns).map_err(|e| to_py_err(py, e.into()))?;
    Ok(PyRecordBatch::new(batch).into_pyarrow(py)?.unbind())
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

    /// Rows of each segment of `keys` (None: every segment, sorted by key).
    #[pyo3(signature = (keys=None))]
    fn segment_rows(&self, py: Python<'_>, keys: Option<Vec<String>>) -> PyResult<Vec<u64>> {
        Ok(self
            .segments_of(py, keys.as_deref())?
            .iter()
            .map(|(_, s)| s.row_count)
            .collect())
    }

    /// Every segment's key and rows, sorted by key: a pyarrow RecordBatch with the
    /// columns `segment` (string) and `rows`.
    fn segment_index(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let segs = &self.inner.segments;
        let keys: ArrayRef = Arc::new(StringArray::from_iter_values(
            segs.iter().map(|(k, _)| k.as_str()),
        ));
        let rows: ArrayRef = Arc::new(UInt64Array::from_iter_values(
            segs.iter().map(|(_, p)| p.row_count),
        ));
        record_batch(py, vec![("segment", keys), ("rows", rows)])
    }

    /// Columns `names` over the segments of `keys` (None: every segment, sorted by key):
    /// a pyarrow RecordBatch per name with a row per segment and the columns `count`,
    /// `null_count`, `nan_count`, `finite_count` (integers), `mean` (NaN without a finite
    /// value or for a categorical column), `m2`, `min`, `max` (NaN without a value),
    /// `distinct` (estimate) and `quantile_rank_error` (NaN without a sketch), so that
    /// drift and segment tables read thousands of segments in one call.
    #[pyo3(signature = (keys, names))]
    fn segment_column_arrays(
        &self,
        py: Python<'_>,
        keys: Option<Vec<String>>,
        names: Vec<String>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let segs = self.segments_of(py, keys.as_deref())?;
        // Where each column sits in the whole profile: a segment's columns are in the
        // same order, so the name is checked there first.
        let hints: Vec<Option<usize>> = names
            .iter()
            .map(|n| self.inner.columns.iter().position(|c| &c.name == n))
            .collect();
        let rows = py.detach(|| column_number_rows(&segs, &names, &hints));
        let rows = rows.map_err(|m| driftline_exception(py, "SchemaError", m))?;
        let fields = [
            "count",
            "null_count",
            "nan_count",
            "finite_count",
            "mean",
            "m2",
            "min",
            "max",
            "distinct",
            "quantile_rank_error",
        ];
        (0..names.len())
            .map(|c| {
                let columns = fields
                    .iter()
                    .enumerate()
                    .map(|(j, &f)| -> (&str, ArrayRef) {
                        let v = rows.iter().map(|r| r[c][j]);
                        // Counts as integers (exact below 2^53, which every count is).
                        if j < 4 {
                            (
                                f,
                                Arc::new(UInt64Array::from_iter_values(v.map(|x| x as u64))),
                            )
                        } else {
                            (f, Arc::new(Float64Array::from_iter_values(v)))
                        }
                    })
                    .collect();
                record_batch(py, columns)
            })
            .collect()
    }

    /// [`Self::sketch_pair`] (no edges) of column `name` in every segment of `keys`, here
    /// (the reference) and in `other`, in parallel: a pyarrow RecordBatch with a row per
    /// segment and the columns `ks`, `wasserstein`, `n_ref`, `n_cur`, `ref_exact`,
    /// `cur_exact`.
    fn segment_sketch_pairs(
        &self,
        py: Python<'_>,
        other: &PyProfile,
        keys: Vec<String>,
        name: &str,
    ) -> PyResult<Py<PyAny>> {
        let a = self.segment_columns(py, Some(&keys), name)?;
        let b = other.segment_columns(py, Some(&keys), name)?;
        let pairs: Vec<_> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x.quantiles.as_ref(), y.quantiles.as_ref()))
            .collect();
        let all = run_detached(py, || Ok(driftline_core::stats::sketch_pairs(&pairs)))?;
        let floats = |f: fn(&SketchPair) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values(all.iter().map(f)))
        };
        let flags = |f: fn(&SketchPair) -> bool| -> ArrayRef {
            Arc::new(BooleanArray::from(all.iter().map(f).collect::<Vec<bool>>()))
        };
        record_batch(
            py,
            vec![
                ("ks", floats(|p| p.ks)),
                ("wasserstein", floats(|p| p.wasserstein)),
                ("n_ref", floats(|p| p.n_ref)),
                ("n_cur", floats(|p| p.n_cur)),
                ("ref_exact", flags(|p| p.ref_exact)),
                ("cur_exact", flags(|p| p.cur_exact)),
            ],
        )
    }

    /// Category counts of column `name` over the segments of `keys`, for thousands of
    /// segments in one call: two pyarrow RecordBatches. The first has a row per (segment,
    /// kept category): `segment` (the segment's position in `keys`, uint32), `value`
    /// (string) and `count` (uint64), in no particular order. The second has a row per
    /// segment: `exact` (every count exact), `other` (values of dropped categories) and
    /// `max_error` (bound on a count's undercount); a segment whose column keeps no
    /// category counts has no rows in the first and is exact with zeros in the second.
    fn segment_frequencies(
        &self,
        py: Python<'_>,
        keys: Vec<String>,
        name: &str,
    ) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let cols = self.segment_columns(py, Some(&keys), name)?;
        let (long, per) = py.detach(|| frequency_tables(&cols));
        Ok((record_batch(py, long)?, record_batch(py, per)?))
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
    data: &Bound<'_, PyAny>,
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
        validate_batches(&batches)?;
        driftline_core::profile_batches(&schema, &batches, &opts)
    })
    .map(PyProfile::new)
}

/// Bin counts of one numeric column on `edges` (the histogram kernel alone).
#[pyfunction]
#[pyo3(signature = (data, edges, *, threads=None))]
pub fn histogram(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
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
        validate_batches(&batches)?;
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
