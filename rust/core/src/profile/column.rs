//! The profile of one column and how a chunk of Arrow data is folded into it.

use arrow_array::ArrayRef;
use serde::{Deserialize, Serialize};

use super::dtype::merged_dtype;
use super::frequencies::Frequencies;
use super::histogram::Histogram;
use super::moments::Moments;
use crate::binary_text::binary_to_text;
use crate::hash::{hash_bytes, hash_f64};
use crate::input::{for_each_category, numeric_values, ColumnKind};
use crate::sketch::{Hll, Kll};
use crate::{DriftlineError, Result};

/// Sizes of the sketches and caps of a column profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SketchConfig {
    /// KLL parameter (200: about 1.3% rank error).
    pub kll_k: u16,
    /// HyperLogLog precision (12: 1.6% relative standard error).
    pub hll_p: u8,
    /// Categories counted exactly before the heavy-hitters summary takes over.
    pub freq_cap: usize,
}

impl Default for SketchConfig {
    fn default() -> Self {
        Self {
            kll_k: crate::sketch::kll::DEFAULT_K,
            hll_p: crate::sketch::hll::DEFAULT_PRECISION,
            freq_cap: super::frequencies::DEFAULT_CAP,
        }
    }
}

/// The mergeable summary of one column.
///
/// `count` is the number of non-null values (NaN and inf included); `moments` cover the
/// finite values only; `min`/`max` cover every non-NaN value (so they may be infinite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// Logical type name (see [`crate::input::logical_type_name`]).
    pub dtype: String,
    /// How the column is profiled.
    pub kind: ColumnKind,
    /// Non-null values.
    pub count: u64,
    /// Nulls.
    pub null_count: u64,
    /// NaN values (numeric columns).
    pub nan_count: u64,
    /// `+inf` values.
    pub pos_inf_count: u64,
    /// `-inf` values.
    pub neg_inf_count: u64,
    /// Smallest non-NaN value.
    pub min: Option<f64>,
    /// Largest non-NaN value.
    pub max: Option<f64>,
    /// Moments of the finite values.
    pub moments: Moments,
    /// Quantile sketch of the non-NaN values (numeric and boolean columns).
    pub quantiles: Option<Kll>,
    /// Distinct-count sketch of the non-null values.
    pub distinct: Hll,
    /// Category counts (categorical and boolean columns).
    pub frequencies: Option<Frequencies>,
    /// Exact counts on given bin edges, when edges were given.
    pub histogram: Option<Histogram>,
    /// Order-insensitive content hash of the non-null values (wrapping sum of value hashes).
    pub content_hash: u64,
}

/// Counts and extremes of a slice of floats, gathered in one pass.
struct Scan {
    nan: u64,
    pinf: u64,
    ninf: u64,
    /// Smallest non-NaN value (`+inf` when there is none).
    lo: f64,
    /// Largest non-NaN value (`-inf` when there is none).
    hi: f64,
    /// Largest finite absolute value (0 when there is none).
    max_abs_finite: f64,
}

impl Scan {
    /// Eight independent lanes: with one accumulator of each kind every iteration waits
    /// on the previous one; with lanes the loop vectorises (about 4x faster here).
    fn of(values: &[f64]) -> Self {
        const L: usize = 8;
        let mut nan = [0u64; L];
        let mut pinf = [0u64; L];
        let mut ninf = [0u64; L];
        let mut lo = [f64::INFINITY; L];
        let mut hi = [f64::NEG_INFINITY; L];
        let mut mabs = [0.0f64; L];
        let chunks = values.chunks_exact(L);
        let rest = chunks.remainder();
        for c in chunks {
            for l in 0..L {
                let v = c[l];
                nan[l] += u64::from(v.is_nan());
                pinf[l] += u64::from(v == f64::INFINITY);
                ninf[l] += u64::from(v == f64::NEG_INFINITY);
                lo[l] = if v < lo[l] { v } else { lo[l] };
                hi[l] = if v > hi[l] { v } else { hi[l] };
                let a = v.abs();
                // `a < inf` is false for NaN as well: only finite values count.
                mabs[l] = if a < f64::INFINITY && a > mabs[l] {
                    a
                } else {
                    mabs[l]
                };
            }
        }
        let mut out = Self {
            nan: nan.iter().sum(),
            pinf: pinf.iter().sum(),
            ninf: ninf.iter().sum(),
            lo: lo
                .iter()
                .fold(f64::INFINITY, |m, &v| if v < m { v } else { m }),
            hi: hi
                .iter()
                .fold(f64::NEG_INFINITY, |m, &v| if v > m { v } else { m }),
            max_abs_finite: mabs.iter().fold(0.0, |m, &v| if v > m { v } else { m }),
        };
        for &v in rest {
            out.nan += u64::from(v.is_nan());
            out.pinf += u64::from(v == f64::INFINITY);
            out.ninf += u64::from(v == f64::NEG_INFINITY);
            out.lo = if v < out.lo { v } else { out.lo };
            out.hi = if v > out.hi { v } else { out.hi };
            let a = v.abs();
            if a < f64::INFINITY && a > out.max_abs_finite {
                out.max_abs_finite = a;
            }
        }
        out
    }
}

impl ColumnProfile {
    /// An empty profile of a column.
    pub fn empty(
        name: &str,
        dtype: String,
        kind: ColumnKind,
        cfg: &SketchConfig,
        edges: Option<&[f64]>,
    ) -> Result<Self> {
        let numeric = matches!(kind, ColumnKind::Numeric | ColumnKind::Boolean);
        let categorical = matches!(kind, ColumnKind::Categorical | ColumnKind::Boolean);
        let histogram = match edges {
            Some(e) if numeric => Some(Histogram::new(e.to_vec()).map_err(|err| {
                DriftlineError::param("edges", format!("column '{name}': {err}"))
            })?),
            _ => None,
        };
        Ok(Self {
            name: name.to_string(),
            dtype,
            kind,
            count: 0,
            null_count: 0,
            nan_count: 0,
            pos_inf_count: 0,
            neg_inf_count: 0,
            min: None,
            max: None,
            moments: Moments::default(),
            quantiles: numeric.then(|| Kll::new(cfg.kll_k)),
            distinct: Hll::new(cfg.hll_p),
            frequencies: categorical.then(|| Frequencies::new(cfg.freq_cap)),
            histogram,
            content_hash: 0,
        })
    }

    /// Sizes the quantile sketch's intake for a column of about `n` values in all (large
    /// columns are sampled below the sketch's lowest level, within its error bound).
    pub fn expect_values(&mut self, n: u64) {
        if let Some(k) = self.quantiles.as_mut() {
            k.set_sample_level(crate::sketch::kll::sample_level(n, k.k()));
        }
    }

    /// Folds an Arrow array (a chunk of this column) into the profile.
    pub fn update(&mut self, array: &ArrayRef) -> Result<()> {
        match self.kind {
            ColumnKind::Null => {
                self.null_count += array.len() as u64;
            }
            ColumnKind::Numeric => {
                let (values, nulls) = numeric_values(&self.name, array)?;
                self.null_count += nulls;
                match super::wide_ints::wide_int_hashes(array, &values) {
                    None => self.update_numeric(&values, true),
                    Some(hashes) => {
                        self.update_numeric(&values, false);
                        self.distinct.insert_hashes(&hashes);
                        let sum = hashes.iter().fold(0u64, |s, &h| s.wrapping_add(h));
                        self.content_hash = self.content_hash.wrapping_add(sum);
                    }
                }
            }
            ColumnKind::Boolean => {
                let (values, nulls) = numeric_values(&self.name, array)?;
                self.null_count += nulls;
                // Hashes and distinct counts come from the categories ("true"/"false").
                self.update_numeric(&values, false);
                self.update_categories(array, false)?;
            }
            ColumnKind::Categorical => {
                let nulls = self.update_categories(array, true)?;
                self.null_count += nulls;
            }
        }
        Ok(())
    }

    /// Folds the non-null values of a numeric column (`hash`: also feed the distinct-count
    /// sketch and the content hash).
    pub fn update_numeric(&mut self, values: &[f64], hash: bool) {
        if values.is_empty() {
            return;
        }
        self.count += values.len() as u64;
        let Scan {
            nan,
            pinf,
            ninf,
            lo,
            hi,
            max_abs_finite,
        } = Scan::of(values);
        self.nan_count += nan;
        self.pos_inf_count += pinf;
        self.neg_inf_count += ninf;
        if nan < values.len() as u64 {
            self.min = Some(self.min.map_or(lo, |m| m.min(lo)));
            self.max = Some(self.max.map_or(hi, |m| m.max(hi)));
        }
        let moments = if nan + pinf + ninf == 0 {
            Moments::from_finite(values, max_abs_finite)
        } else {
            let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            Moments::from_finite(&finite, max_abs_finite)
        };
        self.moments.merge(&moments);
        if let Some(k) = self.quantiles.as_mut() {
            if nan == 0 {
                k.update_clean_slice(values, lo, hi);
            } else {
                k.update_slice(values);
            }
        }
        if let Some(h) = self.histogram.as_mut() {
            h.add(values);
        }
        if hash {
            let mut sum = 0u64;
            let mut hashes = [0u64; 256];
            let densified = self.distinct.begin_bulk(values.len());
            let mut floor = 0;
            for (i, block) in values.chunks(256).enumerate() {
                // The registers fill as the column goes: a fresh floor every 2,048 values
                // (a vectorised minimum over the registers) lets more hashes be dropped.
                if i % 8 == 0 {
                    floor = self.distinct.floor();
                }
                for (slot, &v) in hashes.iter_mut().zip(block) {
                    *slot = hash_f64(v);
                }
                let hs = &hashes[..block.len()];
                for &h in hs {
                    sum = sum.wrapping_add(h);
                }
                self.distinct.insert_hashes_above(hs, floor);
            }
            self.distinct.end_bulk(densified);
            self.content_hash = self.content_hash.wrapping_add(sum);
        }
    }

    fn update_categories(&mut self, array: &ArrayRef, count: bool) -> Result<u64> {
        let name = self.name.clone();
        // Binary values are named injectively (a lossy rendering would merge `b"\xff"`
        // and `b"\xfe"` into one category); strings are valid UTF-8 already.
        let binary = self.dtype == "binary";
        let mut added = 0u64;
        let freqs = self
            .frequencies
            .get_or_insert_with(|| Frequencies::new(super::frequencies::DEFAULT_CAP));
        let distinct = &mut self.distinct;
        let mut hash_sum = 0u64;
        let nulls = for_each_category(&name, array, |bytes, c| {
            let h = hash_bytes(bytes);
            distinct.insert_hash(h);
            hash_sum = hash_sum.wrapping_add(h.wrapping_mul(c));
            added += c;
            if binary {
                freqs.add(&binary_to_text(bytes), c);
            } else {
                freqs.add(&String::from_utf8_lossy(bytes), c);
            }
        })?;
        freqs.truncate();
        self.content_hash = self.content_hash.wrapping_add(hash_sum);
        if count {
            self.count += added;
        }
        Ok(nulls)
    }

    /// Merges the profile of more data of the same column.
    pub fn merge(&mut self, other: &ColumnProfile) -> Result<()> {
        // A column of Arrow's null type (a batch where it was all missing, typed by a
        // frame library that had nothing to go on) holds nulls only: it merges into any
        // kind, which the merged column keeps.
        if self.kind != other.kind && other.kind == ColumnKind::Null {
            self.null_count += other.null_count;
            self.content_hash = self.content_hash.wrapping_add(other.content_hash);
            return Ok(());
        }
        if self.kind != other.kind && self.kind == ColumnKind::Null {
            let (nulls, hash) = (self.null_count, self.content_hash);
            *self = other.clone();
            self.null_count += nulls;
            self.content_hash = self.content_hash.wrapping_add(hash);
            return Ok(());
        }
        if self.kind != other.kind {
            return Err(DriftlineError::SchemaMismatch(format!(
                "column '{}' is {} ({}) in one profile and {} ({}) in the other",
                self.name,
                self.kind.as_str(),
                self.dtype,
                other.kind.as_str(),
                other.dtype
            )));
        }
        // Everything that can refuse the merge is checked first, so a refused merge leaves
        // the profile as it was.
        let dtype = merged_dtype(&self.name, &self.dtype, &other.dtype)?;
        if let (Some(a), Some(b)) = (self.quantiles.as_ref(), other.quantiles.as_ref()) {
            if a.k() != b.k() {
                return Err(DriftlineError::SchemaMismatch(format!(
                    "column '{}': quantile sketches of different k ({} and {}) do not merge \
                     (the merged sketch would not keep the stated rank error); profile both \
                     sides with the same kll_k",
                    self.name,
                    a.k(),
                    b.k()
                )));
            }
        }
        if self.distinct.precision() != other.distinct.precision() {
            return Err(DriftlineError::SchemaMismatch(format!(
                "column '{}': distinct-count sketches of different precision ({} and {}); \
                 profile both sides with the same hll_p",
                self.name,
                self.distinct.precision(),
                other.distinct.precision()
            )));
        }
        self.dtype = dtype;
        self.count += other.count;
        self.null_count += other.null_count;
        self.nan_count += other.nan_count;
        self.pos_inf_count += other.pos_inf_count;
        self.neg_inf_count += other.neg_inf_count;
        self.min = opt_fold(self.min, other.min, f64::min);
        self.max = opt_fold(self.max, other.max, f64::max);
        self.moments.merge(&other.moments);
        match (self.quantiles.as_mut(), other.quantiles.as_ref()) {
            (Some(a), Some(b)) => a.merge(b)?,
            (None, Some(b)) => self.quantiles = Some(b.clone()),
            _ => {}
        }
        self.distinct.merge(&other.distinct)?;
        match (self.frequencies.as_mut(), other.frequencies.as_ref()) {
            (Some(a), Some(b)) => a.merge(b),
            (None, Some(b)) => self.frequencies = Some(b.clone()),
            _ => {}
        }
        // Histograms merge only on identical edges; otherwise the merged profile has none
        // (its quantile sketch still answers approximate bin masses).
        self.histogram = match (self.histogram.take(), other.histogram.as_ref()) {
            (Some(mut a), Some(b)) if a.edges == b.edges => {
                a.merge(b)?;
                Some(a)
            }
            (Some(a), None) if other.count + other.null_count == 0 => Some(a),
            (None, Some(b)) if self.count + self.null_count == 0 => Some(b.clone()),
            _ => None,
        };
        self.content_hash = self.content_hash.wrapping_add(other.content_hash);
        Ok(())
    }

    /// Brings sketches to their compact storage layout (after bulk updates).
    pub fn shrink(&mut self) {
        if let Some(k) = self.quantiles.as_mut() {
            k.shrink();
        }
    }

    /// Asks for the heap memory that reading this column's numbers touches (its name and
    /// its distinct-count registers): called a few segments ahead when thousands of
    /// segment profiles, scattered in memory, are read one after another.
    #[inline]
    pub fn prefetch_heap(&self) {
        crate::prefetch::prefetch(self.name.as_ptr());
        self.distinct.prefetch_registers();
    }

    /// Approximate number of distinct non-null values (exact for categorical columns whose
    /// frequencies are still exact).
    pub fn distinct_estimate(&self) -> f64 {
        match &self.frequencies {
            Some(f) if f.is_exact() && self.kind == ColumnKind::Categorical => f.len() as f64,
            _ => self.distinct.estimate().round(),
        }
    }
}

fn opt_fold(a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, None) => x,
        (None, y) => y,
    }
}
