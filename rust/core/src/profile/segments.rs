//! Per-segment profiles in the same pass: rows are grouped by the key column (one gather
//! per column and batch, by a counting sort on segment ids), then each segment's rows are a
//! zero-copy slice folded into that segment's column profile.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::DataType;
use hashbrown::HashMap;
use rayon::prelude::*;

use super::{ColumnProfile, Profile, ProfileOptions, Target};
use crate::binary_text::binary_to_text;
use crate::fairness::groups::KeyValue;
use crate::{DriftlineError, Result};

/// The name of the segment of rows whose key is null (a real key of this text is refused).
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

/// The segment ids of any key column named as text, with a dictionary of the names.
///
/// A row's key is null when the key column says so (its validity, not the text): the
/// rows form the segment [`NULL_SEGMENT`], and a real key of that text is refused rather
/// than merged with them. Strings are their own names, binary keys are named by
/// [`crate::binary_text::binary_to_text`] (UTF-8 kept, other bytes escaped, so distinct
/// byte strings stay distinct segments), other types as the cast to text writes them.
///
/// # Errors
/// A key column that cannot be named as text, or a key equal to [`NULL_SEGMENT`].
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
        let column = batch.column(key_index);
        let mut seg = Vec::with_capacity(column.len());
        for_each_key_text(column, key_name, |key| {
            let name = match key {
                None => NULL_SEGMENT,
                Some(NULL_SEGMENT) => {
                    return Err(DriftlineError::data(
                        key_name,
                        format!(
                            "the segment key '{NULL_SEGMENT}' is reserved for the segment of \
                             rows whose key is null; rename that value before segmenting by \
                             this column"
                        ),
                    ))
                }
                Some(name) => name,
            };
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
            Ok(())
        })?;
        out.push(seg);
    }
    Ok((names, out, rows_per_segment))
}

/// Calls `f` with each row's key as text, `None` for a null key (see
/// [`text_segment_ids`]).
fn for_each_key_text(
    column: &ArrayRef,
    key_name: &str,
    mut f: impl FnMut(Option<&str>) -> Result<()>,
) -> Result<()> {
    let unsupported = |e: &dyn std::fmt::Display| DriftlineError::UnsupportedType {
        column: key_name.to_string(),
        dtype: format!("{} as a segment key ({e})", column.data_type()),
    };
    let column: ArrayRef = match column.data_type() {
        // An empty dictionary has every key null (and nothing to decode).
        DataType::Dictionary(_, value) if column.as_any_dictionary().values().is_empty() => {
            arrow_array::new_null_array(value, column.len())
        }
        DataType::Dictionary(_, value) => {
            arrow_cast::cast(column, value).map_err(|e| unsupported(&e))?
        }
        _ => Arc::clone(column),
    };
    match column.data_type() {
        DataType::Utf8 => column.as_string::<i32>().iter().try_for_each(f),
        DataType::LargeUtf8 => column.as_string::<i64>().iter().try_for_each(f),
        DataType::Utf8View => column.as_string_view().iter().try_for_each(f),
        DataType::Binary => column
            .as_binary::<i32>()
            .iter()
            .try_for_each(|v| f(v.map(binary_to_text).as_deref())),
        DataType::LargeBinary => column
            .as_binary::<i64>()
            .iter()
            .try_for_each(|v| f(v.map(binary_to_text).as_deref())),
        DataType::BinaryView => column
            .as_binary_view()
            .iter()
            .try_for_each(|v| f(v.map(binary_to_text).as_deref())),
        _ => {
            let text = arrow_cast::cast(&column, &DataType::Utf8).map_err(|e| unsupported(&e))?;
            let text = text.as_string::<i32>();
            // Arrow's null type has no validity buffer: its logical nulls say every row.
            let nulls = column.logical_nulls();
            (0..column.len()).try_for_each(|i| {
                if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                    f(None)
                } else if text.is_null(i) {
                    Err(unsupported(&"a value has no text form"))
                } else {
                    f(Some(text.value(i)))
                }
            })
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{BinaryArray, DictionaryArray, Int32Array, NullArray, StringArray};

    fn segments_of(key: ArrayRef) -> Result<Vec<(String, u64)>> {
        let schema = arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "k",
            key.data_type().clone(),
            true,
        )]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![key])?;
        let (names, _, rows) = text_segment_ids(&[batch], 0, "k")?;
        let mut out: Vec<(String, u64)> = names.into_iter().zip(rows).collect();
        out.sort();
        Ok(out)
    }

    fn pairs(v: &[(&str, u64)]) -> Vec<(String, u64)> {
        v.iter().map(|&(k, n)| (k.to_string(), n)).collect()
    }

    #[test]
    fn binary_keys_stay_distinct_and_nulls_come_from_validity() {
        let key: ArrayRef = Arc::new(BinaryArray::from(vec![
            Some(&b"\xff"[..]),
            Some(b"\xfe"),
            Some(b"a"),
            None,
            Some(b"\xff"),
        ]));
        assert_eq!(
            segments_of(key).unwrap(),
            pairs(&[("\\xfe", 1), ("\\xff", 2), ("__null__", 1), ("a", 1)])
        );
    }

    #[test]
    fn a_real_key_named_like_the_null_segment_is_refused() {
        for key in [
            Arc::new(StringArray::from(vec![Some("__null__"), None, Some("a")])) as ArrayRef,
            Arc::new(BinaryArray::from(vec![Some(&b"__null__"[..])])),
        ] {
            match segments_of(key) {
                Err(DriftlineError::InvalidData { column, message }) => {
                    assert_eq!(column, "k");
                    assert!(message.contains("'__null__' is reserved"), "{message}");
                }
                other => panic!("expected a data error, got {other:?}"),
            }
        }
    }

    #[test]
    fn empty_dictionaries_and_the_null_type_are_the_null_segment() {
        let empty = Arc::new(StringArray::from(Vec::<&str>::new()));
        let dict: ArrayRef = Arc::new(DictionaryArray::new(
            Int32Array::from(vec![None, None]),
            empty,
        ));
        assert_eq!(segments_of(dict).unwrap(), pairs(&[("__null__", 2)]));
        let null: ArrayRef = Arc::new(NullArray::new(3));
        assert_eq!(segments_of(null).unwrap(), pairs(&[("__null__", 3)]));
        let values = Arc::new(StringArray::from(vec![Some("b"), None]));
        let dict: ArrayRef = Arc::new(DictionaryArray::new(
            Int32Array::from(vec![Some(0), Some(1), None, Some(0)]),
            values,
        ));
        assert_eq!(
            segments_of(dict).unwrap(),
            pairs(&[("__null__", 2), ("b", 2)])
        );
    }
}
