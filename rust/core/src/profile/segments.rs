//! Per-segment profiles in the same pass: rows are grouped by the key column (one gather
//! per column and batch, by a counting sort on segment ids), then each segment's rows are a
//! zero-copy slice folded into that segment's column profile.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::DataType;
use hashbrown::HashMap;
use rayon::prelude::*;

use super::{ColumnProfile, Profile, ProfileOptions, Target};
use crate::fairness::groups::KeyValue;
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
    let (names, seg_ids, rows_per_segment) = match int_segment_ids(batches, key_index) {
        Some(coded) => coded,
        None => text_segment_ids(batches, key_index, key_name)?,
    };
    let groups: Vec<BatchGroups> = seg_ids
        .par_iter()
        .map(|seg| group_rows(seg, names.len()))
        .collect();
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
            for a in accs.iter_mut().flatten() {
                a.shrink();
            }
            Ok(accs)
        })
        .collect();
    let per_column: Vec<Vec<Option<ColumnProfile>>> =
        per_column.into_iter().collect::<Result<_>>()?;
    // Each segment takes its column profiles by move: with 100k segments, cloning them
    // and then freeing the originals cost more than the pass.
    let mut columns: Vec<_> = per_column.into_iter().map(Vec::into_iter).collect();
    let mut out: Vec<(String, Profile)> = Vec::with_capacity(n_segments);
    for (sid, name) in names.into_iter().enumerate() {
        let cols = columns
            .iter_mut()
            .zip(targets)
            .map(|(accs, t)| match accs.next().flatten() {
                Some(c) => Ok(c),
                None => ColumnProfile::empty(&t.name, t.dtype.clone(), t.kind, &opts.sketch, None),
            })
            .collect::<Result<Vec<_>>>()?;
        out.push((
            name,
            Profile {
                row_count: rows_per_segment[sid],
                columns: cols,
                segment_by: None,
                segments: Vec::new(),
            },
        ));
    }
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Segment names, each batch's segment ids and the rows per segment.
type SegmentIds = (Vec<String>, Vec<Vec<u32>>, Vec<u64>);

/// The segment ids of an integer key column of a small range, read from a table indexed
/// by value in parallel (pieces of each batch coded on every thread); `None` for other
/// key columns. The names are the values as text, as the cast to text writes them.
fn int_segment_ids(batches: &[RecordBatch], key_index: usize) -> Option<SegmentIds> {
    const PIECE: usize = 1 << 16;
    let mut pieces: Vec<Vec<ArrayRef>> = Vec::new();
    let mut per_batch = Vec::with_capacity(batches.len());
    for b in batches {
        let col = b.column(key_index);
        let n = col.len().div_ceil(PIECE);
        per_batch.push(n);
        pieces.extend((0..n).map(|p| {
            let start = p * PIECE;
            vec![col.slice(start, PIECE.min(col.len() - start))]
        }));
    }
    let coded = crate::fairness::int_keys::code_int_column(&pieces, 0)?;
    let names: Vec<String> = coded
        .keys
        .iter()
        .map(|k| match k.first() {
            None | Some(KeyValue::Null) => NULL_SEGMENT.to_string(),
            Some(v) => v.to_string(),
        })
        .collect();
    let mut rows = vec![0u64; names.len()];
    let mut codes = coded.codes.into_iter();
    let ids = per_batch
        .into_iter()
        .map(|n| {
            let ids: Vec<u32> = codes.by_ref().take(n).flatten().collect();
            for &c in &ids {
                rows[c as usize] += 1;
            }
            ids
        })
        .collect();
    Some((names, ids, rows))
}

/// The segment ids of any key column cast to text, with a dictionary of the names.
///
/// # Errors
/// A key column that cannot be cast to text.
fn text_segment_ids(
    batches: &[RecordBatch],
    key_index: usize,
    key_name: &str,
) -> Result<SegmentIds> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(batches.len());
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
        out.push(seg);
    }
    Ok((names, out, rows_per_segment))
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
