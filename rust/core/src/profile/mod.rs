//! Mergeable profiles of tables: one [`ColumnProfile`] per column, optionally per segment.
//!
//! `profile(a).merge(profile(b))` equals `profile(a ++ b)` exactly for counts, moments (to
//! rounding), frequencies below their cap and histograms, and within the sketches' stated
//! bounds for quantiles and distinct counts, whatever the order and grouping of the merges.

pub mod column;
mod dtype;
mod edges;
pub mod frequencies;
pub mod histogram;
pub mod moments;
mod segments;
mod wide_ints;

use std::collections::BTreeMap;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::Schema;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use column::{ColumnProfile, SketchConfig};
pub use edges::quantile_edges;
pub use frequencies::Frequencies;
pub use histogram::Histogram;
pub use moments::Moments;

use crate::input::{kind_of, logical_type_name, ColumnKind};
use crate::{DriftlineError, Result};

/// Rows per unit of work: small enough to spread a table over the cores and to keep a
/// chunk's floats in L2 between the passes of the moments, large enough to amortise the
/// per-chunk set-up.
pub const CHUNK_ROWS: usize = 65_536;
/// Each column's chunks are folded in at most this many contiguous stripes, then the
/// stripes are merged in order. The count depends on the data's shape only (see
/// [`stripes`]), so the result does not depend on the number of threads.
const STRIPES: usize = 16;
/// Chunks a stripe holds at least: sketches fed several chunks in a row work less per
/// value (the distinct-count sketch skips hashes below its filled registers).
const CHUNKS_PER_STRIPE: usize = 4;
/// Units of work (columns x stripes) a profile aims for, so that narrow tables still
/// spread over many cores.
const TARGET_UNITS: usize = 32;

/// What to profile and how.
#[derive(Debug, Clone, Default)]
pub struct ProfileOptions {
    /// Columns to profile (default: all, in schema order).
    pub columns: Option<Vec<String>>,
    /// Numeric columns to treat as categories as well.
    pub categorical: Vec<String>,
    /// Given histogram edges per column (a reference's edges).
    pub edges: BTreeMap<String, Vec<f64>>,
    /// For numeric columns without given edges: a second pass histogram on `bins` quantile
    /// bins of the data itself (in-memory data only).
    pub bins: Option<usize>,
    /// Key column: profile each of its values separately as well.
    pub segment_by: Option<String>,
    /// Sketch sizes and caps.
    pub sketch: SketchConfig,
    /// Worker threads (default: `DRIFTLINE_MAX_THREADS` or the CPU count).
    pub threads: Option<usize>,
    /// Rows the profile will summarise once merged with others (a caller profiling a file
    /// row group by row group passes the file's rows): large inputs feed their quantile
    /// sketches through a sampler sized for this many values (see
    /// [`crate::sketch::kll::sample_level`]). Default: the rows of this call.
    pub expected_rows: Option<u64>,
}

/// The profile of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Profile {
    /// Rows seen.
    pub row_count: u64,
    /// One profile per column, in schema order.
    pub columns: Vec<ColumnProfile>,
    /// The key column of the segments, if segmented.
    pub segment_by: Option<String>,
    /// Per-segment profiles, sorted by key.
    pub segments: Vec<(String, Profile)>,
}

/// A column chosen for profiling: its index, name, kind and logical type.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub index: usize,
    pub name: String,
    pub kind: ColumnKind,
    pub dtype: String,
}

pub(crate) fn resolve_targets(schema: &Schema, opts: &ProfileOptions) -> Result<Vec<Target>> {
    let find = |name: &str| crate::input::find_column(schema, name);
    for name in opts
        .categorical
        .iter()
        .chain(opts.edges.keys())
        .chain(opts.segment_by.iter())
    {
        find(name)?;
    }
    let indices: Vec<usize> = match &opts.columns {
        Some(cols) => {
            let indices = cols.iter().map(|c| find(c)).collect::<Result<Vec<_>>>()?;
            if let Some(c) = cols
                .iter()
                .enumerate()
                .find_map(|(i, c)| cols[..i].contains(c).then_some(c))
            {
                return Err(DriftlineError::param(
                    "columns",
                    format!("column '{c}' is named twice"),
                ));
            }
            indices
        }
        None => {
            // One pass over the names (a table may have thousands of columns).
            let mut seen = std::collections::HashSet::with_capacity(schema.fields().len());
            for f in schema.fields() {
                if !seen.insert(f.name().as_str()) {
                    find(f.name())?; // names the column and how often it appears
                }
            }
            (0..schema.fields().len()).collect()
        }
    };
    indices
        .into_iter()
        .filter(|&i| {
            opts.segment_by.as_deref() != Some(schema.field(i).name().as_str())
                || opts.columns.is_some()
        })
        .map(|i| {
            let f = schema.field(i);
            let categorical = opts.categorical.iter().any(|c| c == f.name());
            Ok(Target {
                index: i,
                name: f.name().clone(),
                kind: kind_of(f.name(), f.data_type(), categorical)?,
                dtype: logical_type_name(f.data_type()),
            })
        })
        .collect()
}

fn check_batches(schema: &Schema, batches: &[RecordBatch]) -> Result<()> {
    for b in batches {
        let bs = b.schema();
        if bs.fields().len() != schema.fields().len()
            || bs
                .fields()
                .iter()
                .zip(schema.fields())
                .any(|(a, b)| a.name() != b.name() || a.data_type() != b.data_type())
        {
            return Err(DriftlineError::SchemaMismatch(format!(
                "a batch has schema {bs} where {schema} was expected"
            )));
        }
    }
    Ok(())
}

/// Row ranges `(batch, offset, len)` of at most [`CHUNK_ROWS`] rows.
fn chunks(batches: &[RecordBatch]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        let mut off = 0;
        while off < batch.num_rows() {
            let len = CHUNK_ROWS.min(batch.num_rows() - off);
            out.push((b, off, len));
            off += len;
        }
    }
    out
}

fn stripes(n: usize, columns: usize) -> Vec<std::ops::Range<usize>> {
    let s = n
        .div_ceil(CHUNKS_PER_STRIPE)
        .max(TARGET_UNITS.div_ceil(columns.max(1)))
        .min(STRIPES)
        .min(n)
        .max(1);
    (0..s).map(|i| (i * n / s)..((i + 1) * n / s)).collect()
}

/// Profiles in-memory Arrow data.
///
/// # Complexity
/// One pass over the data (two when `bins` asks for quantile-bin histograms), parallel over
/// columns and chunks on driftline's pool.
pub fn profile_batches(
    schema: &Schema,
    batches: &[RecordBatch],
    opts: &ProfileOptions,
) -> Result<Profile> {
    check_batches(schema, batches)?;
    let targets = resolve_targets(schema, opts)?;
    crate::pool::install(opts.threads, || {
        let mut profile = profile_targets(&targets, batches, opts)?;
        if let Some(key) = &opts.segment_by {
            let key_index = crate::input::find_column(schema, key)?;
            let seg_targets: Vec<Target> = targets
                .iter()
                .filter(|t| t.index != key_index)
                .cloned()
                .collect();
            profile.segments =
                segments::profile_segments(&seg_targets, key_index, key, batches, opts)?;
            profile.segment_by = Some(key.clone());
        }
        Ok(profile)
    })?
}

/// `expected` rows scaled by the share `present / rows` of rows holding a value (all of
/// them when there is no row).
fn values_share(expected: u64, present: u64, rows: u64) -> u64 {
    if rows == 0 {
        return expected;
    }
    (u128::from(expected) * u128::from(present) / u128::from(rows)) as u64
}

fn profile_targets(
    targets: &[Target],
    batches: &[RecordBatch],
    opts: &ProfileOptions,
) -> Result<Profile> {
    let chunks = chunks(batches);
    let stripes = stripes(chunks.len(), targets.len());
    let units: Vec<(usize, usize)> = (0..targets.len())
        .flat_map(|t| (0..stripes.len()).map(move |s| (t, s)))
        .collect();
    let row_count: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
    let expected = opts.expected_rows.unwrap_or(0).max(row_count);
    // The sampler's level follows the values a column's sketch will see, not the rows: a
    // column with 8,000 values in 4M rows must not be sampled one in 32.
    let expected_values: Vec<u64> = targets
        .iter()
        .map(|t| {
            let present: u64 = batches
                .iter()
                .map(|b| {
                    let c = b.column(t.index);
                    (c.len() - c.null_count()) as u64
                })
                .sum();
            values_share(expected, present, row_count)
        })
        .collect();
    let partials: Vec<Result<ColumnProfile>> = units
        .par_iter()
        .map(|&(t, s)| {
            let target = &targets[t];
            let edges = opts.edges.get(&target.name).map(Vec::as_slice);
            let mut acc = ColumnProfile::empty(
                &target.name,
                target.dtype.clone(),
                target.kind,
                &opts.sketch,
                edges,
            )?;
            acc.expect_values(expected_values[t]);
            for &(b, off, len) in &chunks[stripes[s].clone()] {
                let array: ArrayRef = batches[b].column(target.index).slice(off, len);
                acc.update(&array)?;
            }
            Ok(acc)
        })
        .collect();
    let mut columns = Vec::with_capacity(targets.len());
    let mut iter = partials.into_iter();
    for _ in targets {
        let mut acc: Option<ColumnProfile> = None;
        for _ in 0..stripes.len() {
            let part = iter
                .next()
                .ok_or_else(|| DriftlineError::data("", "internal: missing partial"))??;
            match acc.as_mut() {
                Some(a) => a.merge(&part)?,
                None => acc = Some(part),
            }
        }
        if let Some(mut a) = acc {
            a.shrink();
            columns.push(a);
        }
    }
    if let Some(bins) = opts.bins {
        quantile_histograms(targets, batches, &chunks, &mut columns, bins, opts)?;
    }
    Ok(Profile {
        row_count,
        columns,
        segment_by: None,
        segments: Vec::new(),
    })
}

fn quantile_histograms(
    targets: &[Target],
    batches: &[RecordBatch],
    chunks: &[(usize, usize, usize)],
    columns: &mut [ColumnProfile],
    bins: usize,
    opts: &ProfileOptions,
) -> Result<()> {
    let todo: Vec<(usize, Vec<f64>)> = columns
        .iter()
        .enumerate()
        .filter(|(t, c)| {
            c.histogram.is_none()
                && !opts.edges.contains_key(&targets[*t].name)
                && c.kind == ColumnKind::Numeric
        })
        .map(|(t, c)| (t, quantile_edges(c, bins)))
        .collect();
    // Exact counts: any split gives the same result.
    let stripes = stripes(chunks.len(), todo.len());
    let units: Vec<(usize, usize)> = (0..todo.len())
        .flat_map(|i| (0..stripes.len()).map(move |s| (i, s)))
        .collect();
    let partials: Vec<Result<Vec<u64>>> = units
        .par_iter()
        .map(|&(i, s)| {
            let (t, edges) = &todo[i];
            let target = &targets[*t];
            let mut counts = vec![0u64; edges.len() + 1];
            for &(b, off, len) in &chunks[stripes[s].clone()] {
                let array: ArrayRef = batches[b].column(target.index).slice(off, len);
                let (values, _) = crate::input::numeric_values(&target.name, &array)?;
                histogram::add_counts(edges, &values, &mut counts);
            }
            Ok(counts)
        })
        .collect();
    let mut iter = partials.into_iter();
    for (t, edges) in todo {
        let mut h = Histogram::new(edges)?;
        for _ in 0..stripes.len() {
            let c = iter
                .next()
                .ok_or_else(|| DriftlineError::data("", "internal: missing partial"))??;
            for (a, b) in h.counts.iter_mut().zip(c) {
                *a += b;
            }
        }
        columns[t].histogram = Some(h);
    }
    Ok(())
}

impl Profile {
    /// The profile of a column by name.
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The profile of a segment by key (segments are sorted by key).
    pub fn segment(&self, key: &str) -> Option<&Profile> {
        self.segments
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.segments[i].1)
    }

    /// Names of the profiled columns.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn is_identity(&self) -> bool {
        self.row_count == 0 && self.columns.is_empty() && self.segments.is_empty()
    }

    /// Merges the profile of more data with the same columns (matched by name).
    pub fn merge(&mut self, other: &Profile) -> Result<()> {
        if other.is_identity() {
            return Ok(());
        }
        if self.is_identity() {
            *self = other.clone();
            return Ok(());
        }
        let mine: Vec<&str> = self.column_names();
        let theirs: Vec<&str> = other.column_names();
        let missing: Vec<&str> = mine
            .iter()
            .filter(|c| !theirs.contains(c))
            .copied()
            .collect();
        let extra: Vec<&str> = theirs
            .iter()
            .filter(|c| !mine.contains(c))
            .copied()
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(DriftlineError::SchemaMismatch(format!(
                "profiles have different columns (only in the first: [{}]; only in the second: [{}])",
                missing.join(", "),
                extra.join(", ")
            )));
        }
        if self.segment_by != other.segment_by
            && !other.segments.is_empty()
            && !self.segments.is_empty()
        {
            return Err(DriftlineError::SchemaMismatch(format!(
                "profiles segmented by different keys ({:?} and {:?})",
                self.segment_by, other.segment_by
            )));
        }
        for col in self.columns.iter_mut() {
            if let Some(o) = other.column(&col.name) {
                col.merge(o)?;
            }
        }
        self.row_count += other.row_count;
        if !other.segments.is_empty() {
            self.segment_by = other.segment_by.clone();
            let mut map: BTreeMap<String, Profile> =
                std::mem::take(&mut self.segments).into_iter().collect();
            for (k, p) in &other.segments {
                match map.get_mut(k) {
                    Some(mine) => mine.merge(p)?,
                    None => {
                        map.insert(k.clone(), p.clone());
                    }
                }
            }
            self.segments = map.into_iter().collect();
        }
        Ok(())
    }

    /// Brings every sketch to its compact storage layout.
    pub fn shrink(&mut self) {
        for c in &mut self.columns {
            c.shrink();
        }
        for (_, s) in &mut self.segments {
            s.shrink();
        }
    }

    /// Hash of the schema: column names and logical types, in order.
    pub fn schema_hash(&self) -> u64 {
        let mut buf = Vec::new();
        for c in &self.columns {
            buf.extend_from_slice(c.name.as_bytes());
            buf.push(0);
            buf.extend_from_slice(c.dtype.as_bytes());
            buf.push(0);
        }
        crate::hash::hash_bytes(&buf)
    }

    /// The dataset fingerprint: 32 hex digits, the schema hash then the content hash.
    ///
    /// The content hash covers the row count and, per column, the multiset of its values
    /// (hashed by value, summed), its null count and its logical type: stable across any
    /// chunking or partitioning and under merges; insensitive to the order of rows.
    pub fn fingerprint(&self) -> String {
        let mut buf = Vec::new();
        buf.extend_from_slice(&self.row_count.to_le_bytes());
        for c in &self.columns {
            buf.extend_from_slice(c.name.as_bytes());
            buf.push(0);
            buf.extend_from_slice(&c.null_count.to_le_bytes());
            buf.extend_from_slice(&c.content_hash.to_le_bytes());
        }
        format!(
            "{:016x}{:016x}",
            self.schema_hash(),
            crate::hash::hash_bytes(&buf)
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Float64Array, Int32Array, StringArray};
    use arrow_schema::{DataType, Field};

    use super::*;

    fn batch(xs: &[Option<f64>], cs: &[Option<&str>], ks: &[i32]) -> (Arc<Schema>, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Float64, true),
            Field::new("c", DataType::Utf8, true),
            Field::new("k", DataType::Int32, false),
        ]));
        let b = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Float64Array::from(xs.to_vec())),
                Arc::new(StringArray::from(cs.to_vec())),
                Arc::new(Int32Array::from(ks.to_vec())),
            ],
        )
        .unwrap();
        (schema, b)
    }

    #[test]
    fn merge_of_halves_equals_whole() {
        let xs: Vec<Option<f64>> = (0..1000)
            .map(|i| (i % 7 != 0).then_some(i as f64 * 0.5))
            .collect();
        let cs: Vec<Option<&str>> = (0..1000)
            .map(|i| ["a", "b", "c"].get(i % 4))
            .map(|o| o.copied())
            .collect();
        let ks: Vec<i32> = (0..1000).map(|i| i % 13).collect();
        let (schema, whole) = batch(&xs, &cs, &ks);
        let opts = ProfileOptions {
            edges: [("x".to_string(), vec![10.0, 100.0])].into_iter().collect(),
            ..Default::default()
        };
        let all = profile_batches(&schema, std::slice::from_ref(&whole), &opts).unwrap();
        let mut a = profile_batches(&schema, &[whole.slice(0, 321)], &opts).unwrap();
        let b = profile_batches(&schema, &[whole.slice(321, 679)], &opts).unwrap();
        a.merge(&b).unwrap();
        assert_eq!(a.fingerprint(), all.fingerprint());
        let (x1, x2) = (a.column("x").unwrap(), all.column("x").unwrap());
        assert_eq!(
            (x1.count, x1.null_count, x1.min, x1.max),
            (x2.count, x2.null_count, x2.min, x2.max)
        );
        assert_eq!(x1.histogram, x2.histogram);
        assert!((x1.moments.mean - x2.moments.mean).abs() < 1e-12);
        assert_eq!(
            a.column("c")
                .unwrap()
                .frequencies
                .as_ref()
                .unwrap()
                .sorted(),
            all.column("c")
                .unwrap()
                .frequencies
                .as_ref()
                .unwrap()
                .sorted()
        );
    }

    #[test]
    fn segments_partition_the_rows() {
        let xs: Vec<Option<f64>> = (0..500).map(|i| Some(i as f64)).collect();
        let cs: Vec<Option<&str>> = vec![Some("z"); 500];
        let ks: Vec<i32> = (0..500).map(|i| i % 5).collect();
        let (schema, b) = batch(&xs, &cs, &ks);
        let opts = ProfileOptions {
            segment_by: Some("k".into()),
            ..Default::default()
        };
        let p = profile_batches(&schema, &[b], &opts).unwrap();
        assert_eq!(p.segments.len(), 5);
        assert_eq!(
            p.segments.iter().map(|(_, s)| s.row_count).sum::<u64>(),
            500
        );
        let (key, s0) = &p.segments[0];
        assert_eq!(key, "0");
        assert_eq!(s0.column("x").unwrap().min, Some(0.0));
        assert!(s0.column("k").is_none());
    }

    #[test]
    fn unknown_columns_and_bad_types_are_named() {
        let (schema, b) = batch(&[Some(1.0)], &[Some("a")], &[1]);
        let opts = ProfileOptions {
            columns: Some(vec!["nope".into()]),
            ..Default::default()
        };
        let err = profile_batches(&schema, &[b], &opts).unwrap_err();
        assert!(err.to_string().contains("'nope'"), "{err}");
    }
}
