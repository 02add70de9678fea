//! Reading many segments of a profile at once: the segments of a list of keys, and one
//! column's numbers or category counts over all of them, for the segment readers of
//! [`PyProfile`] (drift and segment tables over thousands of segments in one call).

use std::sync::Arc;

use arrow_array::builder::LargeStringBuilder;
use arrow_array::{ArrayRef, BooleanArray, UInt32Array, UInt64Array};
use driftline_core::prefetch::prefetch_value;
use driftline_core::profile::{ColumnProfile, Profile};
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::errors::driftline_exception;
use crate::profile::PyProfile;

impl PyProfile {
    /// The segments of `keys` in order, or every segment (sorted by key) for None; a
    /// missing key is an error naming it.
    pub(crate) fn segments_of<'a>(
        &'a self,
        py: Python<'_>,
        keys: Option<&'a [String]>,
    ) -> PyResult<Vec<(&'a str, &'a Profile)>> {
        let Some(keys) = keys else {
            return Ok(self
                .inner
                .segments
                .iter()
                .map(|(k, p)| (k.as_str(), p))
                .collect());
        };
        // Keys in the profile's own (sorted) order, the usual request, are found by
        // walking forward: one or two comparisons each, where a binary search would chase
        // the scattered key strings of 100k segments some 17 times per key. A key out of
        // order is looked up.
        let segs = &self.inner.segments;
        let mut at = 0;
        keys.iter()
            .map(|k| {
                while at < segs.len() && segs[at].0.as_str() < k.as_str() {
                    at += 1;
                }
                if at < segs.len() && segs[at].0 == *k {
                    at += 1;
                    return Ok((k.as_str(), &segs[at - 1].1));
                }
                self.inner
                    .segment(k)
                    .map(|p| (k.as_str(), p))
                    .ok_or_else(|| {
                        driftline_exception(py, "DataError", format!("no segment '{k}'"))
                    })
            })
            .collect()
    }

    /// Column `name` of the segments of `keys` (None: every segment).
    pub(crate) fn segment_columns<'a>(
        &'a self,
        py: Python<'_>,
        keys: Option<&'a [String]>,
        name: &str,
    ) -> PyResult<Vec<&'a ColumnProfile>> {
        self.segments_of(py, keys)?
            .into_iter()
            .map(|(k, s)| {
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

/// Segments ahead whose memory [`PyProfile::segment_column_arrays`] asks for.
const SEGMENTS_AHEAD: usize = 4;

/// The columns of `s` at the positions `hints` (those it has).
fn hinted<'a>(
    s: &'a Profile,
    hints: &'a [Option<usize>],
) -> impl Iterator<Item = &'a ColumnProfile> + 'a {
    hints
        .iter()
        .filter_map(|&h| h.and_then(|i| s.columns.get(i)))
}

/// The numbers of [`PyProfile::segment_column_arrays`] for one column of one segment.
fn column_numbers(c: &ColumnProfile) -> [f64; 10] {
    let numeric = c.quantiles.is_some();
    [
        c.count as f64,
        c.null_count as f64,
        c.nan_count as f64,
        c.moments.n as f64,
        if numeric && c.moments.n > 0 {
            c.moments.mean
        } else {
            f64::NAN
        },
        c.moments.m2,
        c.min.unwrap_or(f64::NAN),
        c.max.unwrap_or(f64::NAN),
        c.distinct_estimate(),
        c.quantiles.as_ref().map_or(f64::NAN, |k| k.rank_error()),
    ]
}

/// Each segment's numbers ([`column_numbers`]) of the columns `names`, found first at
/// their positions `hints` in the whole profile; an error names a column a segment lacks.
pub(crate) fn column_number_rows(
    segs: &[(&str, &Profile)],
    names: &[String],
    hints: &[Option<usize>],
) -> Result<Vec<Vec<[f64; 10]>>, String> {
    // One pass over the segments, in parallel: each segment's columns are read
    // together. The segments' profiles are scattered in memory, so a segment's column
    // structs are asked for two steps ahead and their heap memory one step ahead
    // (20k segments x 3 columns: 18.3 -> 17.0 ms, medians of alternated runs).
    let per_chunk = segs.par_chunks(512).map(|chunk| {
        let mut out = Vec::with_capacity(chunk.len());
        for (i, &(k, s)) in chunk.iter().enumerate() {
            if let Some(&(_, far)) = chunk.get(i + 2 * SEGMENTS_AHEAD) {
                hinted(far, hints).for_each(prefetch_value);
            }
            if let Some(&(_, near)) = chunk.get(i + SEGMENTS_AHEAD) {
                hinted(near, hints).for_each(ColumnProfile::prefetch_heap);
            }
            let row = names
                .iter()
                .zip(hints)
                .map(|(n, &h)| {
                    h.and_then(|i| s.columns.get(i))
                        .filter(|c| &c.name == n)
                        .or_else(|| s.column(n))
                        .map(column_numbers)
                        .ok_or_else(|| format!("column '{n}' not found in segment '{k}'"))
                })
                .collect::<std::result::Result<Vec<_>, String>>()?;
            out.push(row);
        }
        Ok(out)
    });
    let chunks: std::result::Result<Vec<Vec<_>>, String> = per_chunk.collect();
    chunks.map(|c| c.into_iter().flatten().collect())
}

/// Named columns of a table.
pub(crate) type Columns = Vec<(&'static str, ArrayRef)>;

/// The two tables of [`PyProfile::segment_frequencies`] for the columns `cols` (one per
/// segment): a row per (segment, kept category), and a row per segment.
pub(crate) fn frequency_tables(cols: &[&ColumnProfile]) -> (Columns, Columns) {
    let rows: usize = cols
        .iter()
        .map(|c| c.frequencies.as_ref().map_or(0, |f| f.len()))
        .sum();
    let mut seg = Vec::with_capacity(rows);
    let mut count = Vec::with_capacity(rows);
    let mut value = LargeStringBuilder::with_capacity(rows, rows * 8);
    let (mut exact, mut other, mut max_error) = (
        Vec::with_capacity(cols.len()),
        Vec::with_capacity(cols.len()),
        Vec::with_capacity(cols.len()),
    );
    for (i, c) in cols.iter().enumerate() {
        let f = c.frequencies.as_ref();
        exact.push(f.is_none_or(|f| f.is_exact()));
        other.push(f.map_or(0, |f| f.other_count));
        max_error.push(f.map_or(0, |f| f.max_error));
        for (v, n) in f.into_iter().flat_map(|f| f.iter()) {
            seg.push(i as u32);
            value.append_value(v);
            count.push(n);
        }
    }
    let long: Columns = vec![
        ("segment", Arc::new(UInt32Array::from(seg))),
        ("value", Arc::new(value.finish())),
        ("count", Arc::new(UInt64Array::from(count))),
    ];
    let per: Columns = vec![
        ("exact", Arc::new(BooleanArray::from(exact))),
        ("other", Arc::new(UInt64Array::from(other))),
        ("max_error", Arc::new(UInt64Array::from(max_error))),
    ];
    (long, per)
}
