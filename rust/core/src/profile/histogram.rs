//! Histogram counts on given bin edges: the hot kernel of binned drift statistics.
//!
//! # Definition
//! `m` sorted, distinct edges `e_0 < ... < e_{m-1}` define `m + 1` bins: `(-inf, e_0)`,
//! `[e_0, e_1)`, ..., `[e_{m-1}, +inf]`. A value's bin is the number of edges `<= x`,
//! as `numpy.searchsorted(edges, x, side="right")` gives it; `-inf` falls in the first bin,
//! `+inf` in the last. NaN belongs to no bin (a profile counts it apart).
//!
//! # Complexity
//! O(n * m) compares for up to [`LINEAR_MAX_EDGES`] edges, done as `m` vectorised passes over
//! a block that stays in L1 (a compare and a subtract per value and edge, four or eight
//! values per instruction): memory speed for the usual 10 decile edges. Above that, a
//! binary search per value, O(n log m).

use serde::{Deserialize, Serialize};

/// Up to this many edges the linear, vectorised kernel is used.
pub const LINEAR_MAX_EDGES: usize = 32;
const BLOCK: usize = 2048;

/// Counts of values per bin on fixed edges (see the module docs for the bin rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The edges, sorted and distinct.
    pub edges: Vec<f64>,
    /// `edges.len() + 1` counts.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// An empty histogram on `edges` (which must be sorted, distinct and not NaN).
    pub fn new(edges: Vec<f64>) -> crate::Result<Self> {
        validate_edges(&edges)?;
        let counts = vec![0; edges.len() + 1];
        Ok(Self { edges, counts })
    }

    /// Adds the values of a slice (NaN ignored).
    pub fn add(&mut self, values: &[f64]) {
        add_counts(&self.edges, values, &mut self.counts);
    }

    /// Adds another histogram's counts; the edges must be identical.
    pub fn merge(&mut self, other: &Histogram) -> crate::Result<()> {
        if self.edges != other.edges {
            return Err(crate::DriftlineError::SchemaMismatch(
                "histograms with different bin edges cannot be merged".into(),
            ));
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        Ok(())
    }

    /// Total count.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// Checks that edges are finite-or-infinite numbers, sorted and distinct.
pub fn validate_edges(edges: &[f64]) -> crate::Result<()> {
    if edges.iter().any(|e| e.is_nan()) {
        return Err(crate::DriftlineError::param(
            "edges",
            "bin edges must not be NaN",
        ));
    }
    if edges.windows(2).any(|w| w[0] >= w[1]) {
        return Err(crate::DriftlineError::param(
            "edges",
            "bin edges must be strictly increasing",
        ));
    }
    Ok(())
}

/// Adds the bin counts of `values` on `edges` into `counts` (`edges.len() + 1` long).
pub fn add_counts(edges: &[f64], values: &[f64], counts: &mut [u64]) {
    debug_assert_eq!(counts.len(), edges.len() + 1);
    if edges.is_empty() {
        counts[0] += values.iter().filter(|v| !v.is_nan()).count() as u64;
        return;
    }
    if edges.len() > LINEAR_MAX_EDGES {
        for &v in values {
            if !v.is_nan() {
                counts[edges.partition_point(|&e| e <= v)] += 1;
            }
        }
        return;
    }
    let mut ge = [0u64; LINEAR_MAX_EDGES];
    let mut nan = 0u64;
    count_ge_dispatch(edges, values, &mut ge[..edges.len()], &mut nan);
    let n = values.len() as u64 - nan;
    let m = edges.len();
    counts[0] += n - ge[0];
    for j in 1..m {
        counts[j] += ge[j - 1] - ge[j];
    }
    counts[m] += ge[m - 1];
}

fn count_ge_dispatch(edges: &[f64], values: &[f64], ge: &mut [u64], nan: &mut u64) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { count_ge_avx2(edges, values, ge, nan) };
            return;
        }
    }
    count_ge_generic(edges, values, ge, nan);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn count_ge_avx2(edges: &[f64], values: &[f64], ge: &mut [u64], nan: &mut u64) {
    count_ge_generic(edges, values, ge, nan);
}

/// For each edge, the number of values `>= edge`, and the number of NaN (which compare
/// false with every edge and would otherwise land in the first bin).
#[inline(always)]
fn count_ge_generic(edges: &[f64], values: &[f64], ge: &mut [u64], nan: &mut u64) {
    for block in values.chunks(BLOCK) {
        for (j, &e) in edges.iter().enumerate() {
            ge[j] += count_block_ge(block, e);
        }
        *nan += block.iter().map(|&x| u64::from(x.is_nan())).sum::<u64>();
    }
}

#[inline(always)]
fn count_block_ge(block: &[f64], e: f64) -> u64 {
    // i64 lanes, accumulated per lane so that the loop vectorises (a compare mask is -1).
    let mut acc = [0i64; 8];
    let chunks = block.chunks_exact(8);
    let rem = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            acc[i] += i64::from(c[i] >= e);
        }
    }
    let mut total: i64 = acc.iter().sum();
    for &x in rem {
        total += i64::from(x >= e);
    }
    total as u64
}

/// Bin counts of the non-null values of numeric Arrow arrays on `edges`, in parallel on
/// driftline's pool (blocks of 1M values, counts summed in block order). Returns the
/// counts and the number of NaN values (which belong to no bin).
///
/// # Complexity
/// One pass over the values; see the module docs for the kernel.
pub fn bin_counts(
    column: &str,
    arrays: &[arrow_array::ArrayRef],
    edges: &[f64],
    threads: Option<usize>,
) -> crate::Result<(Vec<u64>, u64)> {
    use rayon::prelude::*;
    validate_edges(edges)?;
    const BLOCK_VALUES: usize = 1 << 20;
    crate::pool::install(threads, || {
        let values: Vec<std::borrow::Cow<'_, [f64]>> = arrays
            .iter()
            .map(|a| crate::input::numeric_values(column, a).map(|(v, _)| v))
            .collect::<crate::Result<_>>()?;
        let blocks: Vec<&[f64]> = values.iter().flat_map(|v| v.chunks(BLOCK_VALUES)).collect();
        let parts: Vec<(Vec<u64>, u64)> = blocks
            .par_iter()
            .map(|b| {
                let mut counts = vec![0u64; edges.len() + 1];
                add_counts(edges, b, &mut counts);
                let binned: u64 = counts.iter().sum();
                (counts, b.len() as u64 - binned)
            })
            .collect();
        let mut counts = vec![0u64; edges.len() + 1];
        let mut nan = 0;
        for (c, n) in parts {
            for (a, b) in counts.iter_mut().zip(c) {
                *a += b;
            }
            nan += n;
        }
        Ok((counts, nan))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(edges: &[f64], values: &[f64]) -> Vec<u64> {
        let mut c = vec![0; edges.len() + 1];
        for &v in values.iter().filter(|v| !v.is_nan()) {
            c[edges.iter().filter(|&&e| e <= v).count()] += 1;
        }
        c
    }

    #[test]
    fn matches_searchsorted_rule() {
        let values: Vec<f64> = (0..10_007)
            .map(|i| ((i * 7919) % 1000) as f64 / 10.0 - 50.0)
            .chain([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0])
            .collect();
        for m in [1usize, 3, 10, 32, 33, 100] {
            let edges: Vec<f64> = (0..m)
                .map(|j| -50.0 + 100.0 * j as f64 / m as f64)
                .collect();
            let mut h = Histogram::new(edges.clone()).unwrap();
            h.add(&values);
            assert_eq!(h.counts, reference(&edges, &values), "m={m}");
        }
    }

    #[test]
    fn rejects_bad_edges() {
        assert!(Histogram::new(vec![1.0, 1.0]).is_err());
        assert!(Histogram::new(vec![2.0, 1.0]).is_err());
        assert!(Histogram::new(vec![f64::NAN]).is_err());
    }
}
