//! Per-segment profiles in the same pass: rows are grouped by the key column (one gather
//! per column and batch, by a counting sort on segment ids), then each segment's rows are a
//! zero-copy slice folded into that segment's column profile.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::DataType;
use rayon::prelude::*;

use super::{ColumnProfile, Profile, ProfileOptions, Target};
use crate::{DriftlineError, Result};

/// The name of the segment of rows whose key is null.
pub const NULL_SEGMENT: &str = "__null__";

struct BatchGroups {
    /// Row indices grouped by segment.
    order: UInt32Array,
    /// `(segment id, start, len)` runs in `order`.
    runs: Vec<(u32, usize, usize)>,
}

pub(crate) fn profile_segments(
    targets: &[Target],
    key_index: usize,
    key_name: &str,
    batches: &[RecordBatch],
    opts: &ProfileOptions,
) -> Result<Vec<(String, Profile)>> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut groups = Vec::with_capacity(batches.len());
    let mut rows_per_segment: Vec<u64> = Vec::new();
    for batch in batches {
        let key = arrow_cast::cast(batch.column(key_index), &DataType::Utf8).map_err(|e| {
            DriftlineError::UnsupportedType {
                column: key_name.to_string(),
                dtype: format!(
                    "{} as a segment key ({e})",
                    batch.column(key_index).data_type()
                ),
            }
        })?;
        let key = key.as_string::<i32>();
        let mut seg = Vec::with_capacity(key.len());
        for v in key.iter() {
            let name = v.unwrap_or(NULL_SEGMENT);
            let id = match ids.get(name) {
                Some(&id) => id,
                None => {
                    let id = names.len() as u32;
                    ids.insert(name.to_string(), id);
                    names.push(name.to_string());
                    rows_per_segment.push(0);
                    id
                }
            };
            rows_per_segment[id as usize] += 1;
            seg.push(id);
        }
        groups.push(group_rows(&seg, names.len()));
    }
    let n_segments = names.len();
    let per_column: Vec<Result<Vec<Option<ColumnProfile>>>> = targets
        .par_iter()
        .map(|target| {
            let edges = opts.edges.get(&target.name).map(Vec::as_slice);
            let mut accs: Vec<Option<ColumnProfile>> = vec![None; n_segments];
            for (batch, g) in batches.iter().zip(&groups) {
                let gathered: ArrayRef =
                    arrow_select::take::take(batch.column(target.index), &g.order, None)?;
                for &(sid, start, len) in &g.runs {
                    let acc = match &mut accs[sid as usize] {
                        Some(a) => a,
                        slot => slot.insert(ColumnProfile::empty(
                            &target.name,
                            target.dtype.clone(),
                            target.kind,
                            &opts.sketch,
                            edges,
                        )?),
                    };
                    acc.update(&gathered.slice(start, len))?;
                }
            }
            Ok(accs)
        })
        .collect();
    let per_column: Vec<Vec<Option<ColumnProfile>>> =
        per_column.into_iter().collect::<Result<_>>()?;
    let mut out: Vec<(String, Profile)> = names
        .iter()
        .enumerate()
        .map(|(sid, name)| {
            let columns = per_column
                .iter()
                .zip(targets)
                .map(|(accs, t)| match &accs[sid] {
                    Some(c) => {
                        let mut c = c.clone();
                        c.shrink();
                        Ok(c)
                    }
                    None => {
                        ColumnProfile::empty(&t.name, t.dtype.clone(), t.kind, &opts.sketch, None)
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            Ok((
                name.clone(),
                Profile {
                    row_count: rows_per_segment[sid],
                    columns,
                    segment_by: None,
                    segments: Vec::new(),
                },
            ))
        })
        .collect::<Result<_>>()?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Counting sort of the rows of one batch by segment id.
fn group_rows(seg: &[u32], n_segments: usize) -> BatchGroups {
    let mut counts = vec![0usize; n_segments];
    for &s in seg {
        counts[s as usize] += 1;
    }
    let mut starts = vec![0usize; n_segments];
    let mut acc = 0;
    let mut runs = Vec::new();
    for (s, &c) in counts.iter().enumerate() {
        starts[s] = acc;
        if c > 0 {
            runs.push((s as u32, acc, c));
        }
        acc += c;
    }
    let mut order = vec![0u32; seg.len()];
    for (row, &s) in seg.iter().enumerate() {
        order[starts[s as usize]] = row as u32;
        starts[s as usize] += 1;
    }
    BatchGroups {
        order: UInt32Array::from(order),
        runs,
    }
}
