//! Column intake shared by the fairness and performance kernels: look columns up by name,
//! cut the input into fixed-size chunks (the unit of parallel work and of the fixed
//! reduction order), and read labels, predictions and scores as plain Rust values.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use rayon::prelude::*;

use crate::error::{DriftlineError, Result};

/// Rows per chunk. Chunk boundaries depend only on the input, never on the thread count,
/// so every per-chunk partial and the ordered fold over them are reproducible.
pub const CHUNK_ROWS: usize = 1 << 16;

/// The named columns of an input, cut into chunks: `chunks[c][j]` is column `j` of chunk `c`.
#[derive(Debug, Clone)]
pub struct Chunks {
    /// Column names, in the order asked for.
    pub names: Vec<String>,
    /// Per chunk, one array per column (zero-copy slices of the input).
    pub chunks: Vec<Vec<ArrayRef>>,
    /// Each column's Arrow type, from the first batch's schema (a table's batches share
    /// one); empty without a batch. Kept so that a result gives a key column back in its
    /// own type even when no row holds a value.
    pub types: Vec<DataType>,
}

impl Chunks {
    /// Selects `names` from `batches` and slices them into chunks of at most `chunk_rows`.
    ///
    /// # Errors
    /// [`DriftlineError::UnknownColumn`] when a name is absent.
    pub fn new(batches: &[RecordBatch], names: &[&str], chunk_rows: usize) -> Result<Self> {
        let chunk_rows = chunk_rows.max(1);
        let mut chunks = Vec::new();
        let mut types = Vec::new();
        for batch in batches {
            let schema = batch.schema();
            let mut cols = Vec::with_capacity(names.len());
            for name in names {
                let idx = crate::input::find_column(&schema, name)?;
                cols.push(Arc::clone(batch.column(idx)));
            }
            if types.is_empty() {
                types = cols.iter().map(|c| c.data_type().clone()).collect();
            }
            let rows = batch.num_rows();
            let mut offset = 0;
            while offset < rows {
                let len = chunk_rows.min(rows - offset);
                chunks.push(cols.iter().map(|c| c.slice(offset, len)).collect());
                offset += len;
            }
        }
        if batches.is_empty() || chunks.is_empty() {
            // Keep the schema check meaningful for empty inputs: names must still exist.
            if let Some(batch) = batches.first() {
                for name in names {
                    crate::input::find_column(&batch.schema(), name)?;
                }
            }
        }
        Ok(Self {
            names: names.iter().map(|s| (*s).to_string()).collect(),
            chunks,
            types,
        })
    }

    /// The key types of columns `cols` (segment or sensitive columns).
    pub fn key_types(
        &self,
        cols: impl Iterator<Item = usize>,
    ) -> Vec<crate::fairness::key_types::KeyType> {
        crate::fairness::key_types::key_types(&self.types, cols)
    }

    /// Number of rows over all chunks.
    pub fn rows(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.first().map_or(0, |a| a.len()))
            .sum()
    }
}

/// Maps every chunk to a partial in parallel and folds the partials in chunk order with
/// `merge`, a bounded number at a time, so the result never depends on the thread count
/// and at most a few partials are alive at once.
pub fn ordered_fold<T, M, F>(n_chunks: usize, init: T, map: M, mut merge: F) -> Result<T>
where
    T: Send,
    M: Fn(usize) -> Result<T> + Sync + Send,
    F: FnMut(&mut T, T) -> Result<()>,
{
    let wave = (rayon::current_num_threads() * 2).max(2);
    let mut acc = init;
    let mut start = 0;
    while start < n_chunks {
        let end = (start + wave).min(n_chunks);
        let partials: Vec<Result<T>> = (start..end).into_par_iter().map(&map).collect();
        for p in partials {
            merge(&mut acc, p?)?;
        }
        start = end;
    }
    Ok(acc)
}

/// Splits the chunks into one contiguous block per thread, folds each block's chunks
/// into an accumulator of its own (`init`, then `add` for each chunk in order) in
/// parallel, and merges the blocks' accumulators in block order. For accumulators that
/// are large (one per group of many groups) and merge exactly (counts, exact sums): each
/// is allocated once per thread instead of once per chunk.
///
/// # Errors
/// The first error of `add` or `merge`, in chunk order.
pub fn block_fold<T, I, A, F>(n_chunks: usize, init: I, add: A, mut merge: F) -> Result<T>
where
    T: Send,
    I: Fn() -> T + Sync + Send,
    A: Fn(&mut T, usize) -> Result<()> + Sync + Send,
    F: FnMut(&mut T, T) -> Result<()>,
{
    let blocks = rayon::current_num_threads().clamp(1, n_chunks.max(1));
    let per = n_chunks.div_ceil(blocks).max(1);
    let parts: Vec<Result<T>> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let mut acc = init();
            for c in (b * per).min(n_chunks)..((b + 1) * per).min(n_chunks) {
                add(&mut acc, c)?;
            }
            Ok(acc)
        })
        .collect();
    let mut parts = parts.into_iter();
    let mut acc = match parts.next() {
        Some(first) => first?,
        None => init(),
    };
    for p in parts {
        merge(&mut acc, p?)?;
    }
    Ok(acc)
}

/// The value that counts as the positive class of a binary label or prediction.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Positive {
    /// A boolean column's positive value.
    Bool(bool),
    /// An integer (also matched against float columns holding integral values).
    Int(i64),
    /// An integer above `i64::MAX` (a `uint64` column's value).
    UInt(u64),
    /// A float value.
    Float(f64),
    /// A string value.
    Str(String),
}

impl std::fmt::Display for Positive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::UInt(u) => write!(f, "{u}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Str(s) => write!(f, "'{s}'"),
        }
    }
}

/// Code of a null in the output of [`encode_binary`].
pub const NULL_CODE: u8 = 2;

/// A non-positive value met in a binary column, remembered to check there is only one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Other {
    /// Integer or boolean.
    Int(i128),
    /// Float.
    Float(f64),
    /// String.
    Str(String),
}

impl std::fmt::Display for Other {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Str(s) => write!(f, "'{s}'"),
        }
    }
}

impl Other {
    /// The same value, across types: an integer and a float of equal value are one
    /// (parts of one column may come as int64 from one partition and float64 from another,
    /// where a null made the frame library widen it).
    pub fn same(&self, o: &Other) -> bool {
        match (self, o) {
            (Self::Int(i), Self::Float(x)) | (Self::Float(x), Self::Int(i)) => {
                // Below 2^127 in magnitude, `x as i128` is exact for an integral float.
                x.fract() == 0.0 && x.abs() < 1.7e38 && *x as i128 == *i
            }
            _ => self == o,
        }
    }
}

fn not_binary(column: &str, positive: &Positive, a: &Other, b: &Other) -> DriftlineError {
    DriftlineError::data(
        column,
        format!("not binary: besides the positive value {positive} it holds {a} and {b}"),
    )
}

/// Checks that two chunks saw the same non-positive value.
pub fn merge_other(
    column: &str,
    positive: &Positive,
    acc: &mut Option<Other>,
    other: Option<Other>,
) -> Result<()> {
    match (acc.as_ref(), other) {
        (_, None) => Ok(()),
        (None, Some(o)) => {
            *acc = Some(o);
            Ok(())
        }
        (Some(a), Some(o)) if a.same(&o) => Ok(()),
        (Some(a), Some(o)) => Err(not_binary(column, positive, a, &o)),
    }
}

fn mismatch(column: &str, positive: &Positive, dtype: &DataType) -> DriftlineError {
    DriftlineError::param(
        "positive",
        format!("positive={positive} cannot match column '{column}' of type {dtype}; pass a positive value of the column's type"),
    )
}

/// Encodes a binary column as one byte per row: 1 for `positive`, 0 for the one other
/// value, [`NULL_CODE`] for null. Returns the codes and the other value met, if any.
///
/// # Errors
/// A NaN, a third distinct value, a `positive` of another type than the column, or an
/// unsupported type.
pub fn encode_binary(
    array: &ArrayRef,
    column: &str,
    positive: &Positive,
) -> Result<(Vec<u8>, Option<Other>)> {
    let array = decode_dictionary(array, column)?;
    let n = array.len();
    let mut out = vec![NULL_CODE; n];
    let mut other: Option<Other> = None;
    let dtype = array.data_type().clone();
    if dtype == DataType::Null {
        // Arrow's null type: every row null (counted in `n_null`).
        return Ok((out, None));
    }
    macro_rules! check_other {
        ($val:expr) => {{
            let v = $val;
            match &other {
                None => other = Some(v),
                Some(o) if *o == v => {}
                Some(o) => return Err(not_binary(column, positive, o, &v)),
            }
        }};
    }
    macro_rules! ints {
        ($t:ty, $n:ty) => {{
            let a = array.as_primitive::<$t>();
            let p: i128 = match positive {
                Positive::Int(p) => *p as i128,
                Positive::UInt(p) => *p as i128,
                Positive::Bool(b) => *b as i128,
                Positive::Float(x) if x.fract() == 0.0 => *x as i128,
                _ => return Err(mismatch(column, positive, &dtype)),
            };
            let mut last_other: Option<i128> = None;
            if a.null_count() == 0 {
                // Fast path without branches on the (random) labels: the first non-positive
                // value is the other one, and any third value sends the chunk to the loop
                // below, which names it.
                // Compared in the column's own type (the loop vectorises); a positive
                // value the type cannot hold matches no row, which the loop below handles.
                let vals = a.values();
                if let Ok(p) = <$n>::try_from(p) {
                    let first = vals.iter().copied().find(|&v| v != p);
                    let o = first.unwrap_or(p);
                    let mut third = false;
                    for (out, &v) in out.iter_mut().zip(vals.iter()) {
                        *out = u8::from(v == p);
                        third |= (v != p) & (v != o);
                    }
                    if !third {
                        if let Some(o) = first {
                            check_other!(Other::Int(o as i128));
                        }
                        return Ok((out, other));
                    }
                }
                for (o, &v) in out.iter_mut().zip(a.values().iter()) {
                    let v = v as i128;
                    if v == p {
                        *o = 1;
                    } else {
                        *o = 0;
                        if last_other != Some(v) {
                            check_other!(Other::Int(v));
                            last_other = Some(v);
                        }
                    }
                }
                return Ok((out, other));
            }
            for (i, v) in a.iter().enumerate() {
                if let Some(v) = v {
                    let v = v as i128;
                    if v == p {
                        out[i] = 1;
                    } else {
                        out[i] = 0;
                        if last_other != Some(v) {
                            check_other!(Other::Int(v));
                            last_other = Some(v);
                        }
                    }
                }
            }
        }};
    }
    use arrow_array::types::*;
    match &dtype {
        DataType::Int8 => ints!(Int8Type, i8),
        DataType::Int16 => ints!(Int16Type, i16),
        DataType::Int32 => ints!(Int32Type, i32),
        DataType::Int64 => ints!(Int64Type, i64),
        DataType::UInt8 => ints!(UInt8Type, u8),
        DataType::UInt16 => ints!(UInt16Type, u16),
        DataType::UInt32 => ints!(UInt32Type, u32),
        DataType::UInt64 => ints!(UInt64Type, u64),
        DataType::Boolean => {
            let p = match positive {
                Positive::Bool(b) => *b,
                Positive::Int(1) => true,
                Positive::Int(0) => false,
                _ => return Err(mismatch(column, positive, &dtype)),
            };
            let a = array.as_boolean();
            for (i, v) in a.iter().enumerate() {
                if let Some(v) = v {
                    out[i] = u8::from(v == p);
                }
            }
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let p = match positive {
                Positive::Int(p) => *p as f64,
                Positive::UInt(p) => *p as f64,
                Positive::Float(x) => *x,
                Positive::Bool(b) => f64::from(u8::from(*b)),
                Positive::Str(_) => return Err(mismatch(column, positive, &dtype)),
            };
            let a = to_f64(&array, column)?;
            let a = a.as_primitive::<Float64Type>();
            let mut last_other = f64::NAN;
            for (i, v) in a.iter().enumerate() {
                if let Some(v) = v {
                    if v.is_nan() {
                        return Err(DriftlineError::data(column, format!("NaN at row {i} of a chunk; a label or prediction must not be NaN (use null for a missing value)")));
                    }
                    if v == p {
                        out[i] = 1;
                    } else {
                        out[i] = 0;
                        if v != last_other {
                            check_other!(Other::Float(v));
                            last_other = v;
                        }
                    }
                }
            }
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let Positive::Str(p) = positive else {
                return Err(mismatch(column, positive, &dtype));
            };
            let mut go = |i: usize, v: Option<&str>| -> Result<()> {
                if let Some(v) = v {
                    if v == p {
                        out[i] = 1;
                    } else {
                        out[i] = 0;
                        if other
                            .as_ref()
                            .is_none_or(|o| !matches!(o, Other::Str(s) if s == v))
                        {
                            check_other!(Other::Str(v.to_string()));
                        }
                    }
                }
                Ok(())
            };
            match &dtype {
                DataType::Utf8 => {
                    for (i, v) in array.as_string::<i32>().iter().enumerate() {
                        go(i, v)?;
                    }
                }
                DataType::LargeUtf8 => {
                    for (i, v) in array.as_string::<i64>().iter().enumerate() {
                        go(i, v)?;
                    }
                }
                _ => {
                    for (i, v) in array.as_string_view().iter().enumerate() {
                        go(i, v)?;
                    }
                }
            }
        }
        other_type => {
            return Err(DriftlineError::UnsupportedType {
                column: column.to_string(),
                dtype: other_type.to_string(),
            })
        }
    }
    Ok((out, other))
}

/// Materialises a dictionary-encoded column into its value type (labels and predictions
/// are read once; group columns are coded without this).
pub fn decode_dictionary(array: &ArrayRef, column: &str) -> Result<ArrayRef> {
    match array.data_type() {
        DataType::Dictionary(_, value) => arrow_cast::cast(array, value)
            .map_err(|e| DriftlineError::data(column, format!("cannot decode dictionary: {e}"))),
        _ => Ok(Arc::clone(array)),
    }
}

/// Reads a numeric column as `Float64` (zero-copy when it already is).
///
/// # Errors
/// [`DriftlineError::UnsupportedType`] for non-numeric columns.
pub fn to_f64(array: &ArrayRef, column: &str) -> Result<ArrayRef> {
    let array = decode_dictionary(array, column)?;
    let dt = array.data_type();
    if dt == &DataType::Float64 {
        return Ok(array);
    }
    if dt == &DataType::Null {
        // Arrow's null type (nothing in it yet, e.g. labels to come): every row null.
        return Ok(arrow_array::new_null_array(&DataType::Float64, array.len()));
    }
    if dt.is_numeric() || dt == &DataType::Boolean {
        return arrow_cast::cast(&array, &DataType::Float64)
            .map_err(|e| DriftlineError::data(column, format!("cannot read as float: {e}")));
    }
    Err(DriftlineError::UnsupportedType {
        column: column.to_string(),
        dtype: dt.to_string(),
    })
}

/// Reads a score column: floats in [0, 1]; nulls stay null (the row is left out of the
/// score metrics only).
///
/// # Errors
/// A NaN or a value outside [0, 1], naming the column.
pub fn scores(array: &ArrayRef, column: &str) -> Result<ArrayRef> {
    let a = to_f64(array, column)?;
    let p = a.as_primitive::<Float64Type>();
    // Validity is ignored here: a null slot's value is only checked, never used.
    let bad = p.values().iter().any(|v| !(0.0..=1.0).contains(v));
    if !bad {
        return Ok(a);
    }
    for v in p.iter().flatten() {
        if v.is_nan() {
            return Err(DriftlineError::data(
                column,
                "NaN score; scores must be probabilities in [0, 1] (use null for a missing value)",
            ));
        }
        if !(0.0..=1.0).contains(&v) {
            return Err(DriftlineError::data(
                column,
                format!("score {v} outside [0, 1]; pass the probability of the positive class"),
            ));
        }
    }
    Ok(a)
}

/// Reads a regression target or prediction: finite floats, nulls kept, NaN and +-inf
/// rejected (as scikit-learn's regression metrics reject them: an error of an infinite
/// value is no number, and a metric of it would be NaN).
///
/// # Errors
/// A NaN or an infinite value, naming the column.
pub fn values(array: &ArrayRef, column: &str) -> Result<ArrayRef> {
    let a = to_f64(array, column)?;
    let p = a.as_primitive::<Float64Type>();
    let bad = if p.null_count() == 0 {
        // Without nulls, the values buffer alone (a loop that vectorises).
        p.values().iter().any(|v| !v.is_finite())
    } else {
        p.iter().flatten().any(|v| !v.is_finite())
    };
    if bad {
        let nan = p.iter().flatten().any(f64::is_nan);
        return Err(DriftlineError::data(
            column,
            if nan {
                "NaN value; use null for a missing value"
            } else {
                "infinite value; a regression label or prediction must be finite (use null for a missing value)"
            },
        ));
    }
    Ok(a)
}

/// Reads a ranking score: any finite or infinite float, nulls kept, NaN rejected (ROC AUC
/// only needs the order, so the score need not be a probability).
///
/// # Errors
/// A NaN, naming the column.
pub fn scores_any(array: &ArrayRef, column: &str) -> Result<ArrayRef> {
    let a = to_f64(array, column)?;
    if a.as_primitive::<Float64Type>()
        .iter()
        .flatten()
        .any(f64::is_nan)
    {
        return Err(DriftlineError::data(
            column,
            "NaN score; use null for a missing value",
        ));
    }
    Ok(a)
}

/// Where a pass finds each row's segment.
pub enum SegmentCodes<'a> {
    /// One segment: every row's code is 0.
    One,
    /// Written out, per chunk.
    Rows(&'a [Vec<u32>]),
    /// Looked up from column `.1` of each chunk, a chunk at a time.
    Lookup(&'a crate::fairness::int_keys::IntLookup, usize),
}

impl SegmentCodes<'_> {
    /// The codes of chunk `c`'s rows (`buf`: scratch for the lookup and for one segment).
    pub fn of_chunk<'s>(
        &'s self,
        chunks: &'s Chunks,
        c: usize,
        buf: &'s mut Vec<u32>,
    ) -> &'s [u32] {
        match self {
            Self::One => {
                let n = chunks.chunks[c].first().map_or(0, |a| a.len());
                buf.clear();
                buf.resize(n, 0);
                buf
            }
            Self::Rows(codes) => &codes[c],
            Self::Lookup(l, j) => {
                l.codes_into(&chunks.chunks[c][*j], buf);
                buf
            }
        }
    }
}

#[cfg(test)]
#[path = "columns_tests.rs"]
mod tests;
