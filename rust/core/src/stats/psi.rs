//! The population stability index (PSI) on binned counts and on raw samples binned on
//! the reference's quantiles.

use super::sample::{check_counts, check_not_empty, check_same_len};
use crate::{DriftlineError, Result};

/// The proportion that replaces an empty bin's zero proportion in PSI (Evidently's and
/// most scorecard tools' convention).
pub const PSI_EPSILON: f64 = 1e-4;

/// Population stability index of two count vectors over the same bins.
///
/// # Definition
/// `PSI = sum_i (c_i - r_i) ln(c_i / r_i)` with `r_i`, `c_i` the reference and current
/// proportions. Empty-bin rule: a proportion that is exactly 0 is replaced by `epsilon`
/// (default [`PSI_EPSILON`] = 1e-4), without renormalising; each term stays `>= 0`, so
/// `PSI >= 0`, and an empty bin on both sides contributes 0.
///
/// # Assumptions
/// Same length, finite non-negative counts, positive totals; `epsilon > 0`.
///
/// # Complexity
/// O(k).
///
/// # Reference
/// Siddiqi (2006), *Credit Risk Scorecards*; the epsilon rule of Evidently's `psi`.
pub fn psi_counts(reference: &[f64], current: &[f64], epsilon: f64) -> Result<f64> {
    if !(epsilon > 0.0 && epsilon.is_finite()) {
        return Err(DriftlineError::param(
            "epsilon",
            format!("{epsilon}; need a small positive number"),
        ));
    }
    check_same_len(reference, current, "reference", "current")?;
    let sr = check_counts(reference, "reference")?;
    let sc = check_counts(current, "current")?;
    let mut psi = 0.0;
    for (r, c) in reference.iter().zip(current) {
        let mut r = r / sr;
        let mut c = c / sc;
        if r == 0.0 {
            r = epsilon;
        }
        if c == 0.0 {
            c = epsilon;
        }
        psi += (c - r) * (c / r).ln();
    }
    Ok(psi.max(0.0))
}

/// Quantile of a sorted sample by linear interpolation (numpy's default `"linear"`
/// method, including its two-sided interpolation formula, so edges match numpy bit for
/// bit).
///
/// # Assumptions
/// `sorted` ascending and non-empty, `q` in `[0, 1]`.
///
/// # Complexity
/// O(1).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = (n - 1) as f64 * q;
    let lo = virtual_index.floor();
    let gamma = virtual_index - lo;
    let lo = (lo as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if diff.is_infinite() && a.is_finite() && b.is_finite() {
        // `b - a` overflows (values near the float64 limits; numpy then gives +-inf, out
        // of order): the weighted mean of the two does not, and is the same point.
        return a * (1.0 - gamma) + b * gamma;
    }
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// The interior bin edges of `bins` quantile bins of a sorted reference sample.
///
/// # Definition
/// `numpy.quantile(reference, i / bins)` for `i = 1 .. bins-1`, duplicates removed. When
/// ties merged some of them, or the top edge is the reference's largest finite value, two
/// edges are added: the smallest finite value and the next double above the largest, so
/// that current values below or above the reference's support are not counted with its
/// mass. The outer edges are -inf and +inf, so every value of any sample falls in a bin.
/// Bins are closed on the left: value `x` is in bin `#(edges <= x)`.
///
/// # Assumptions
/// `sorted` ascending, non-empty, no NaN; `bins >= 1`. An edge interpolated next to an
/// infinite value is infinite or NaN: NaN edges are an error.
///
/// # Complexity
/// O(bins).
pub fn quantile_edges(sorted: &[f64], bins: usize) -> Result<Vec<f64>> {
    if bins == 0 {
        return Err(DriftlineError::param("bins", "need at least one bin"));
    }
    check_not_empty(sorted, "reference")?;
    let mut edges: Vec<f64> = (1..bins)
        .map(|i| quantile_sorted(sorted, i as f64 / bins as f64))
        .collect();
    if edges.iter().any(|e| e.is_nan()) {
        return Err(DriftlineError::data(
            "reference",
            "a quantile edge is undefined (infinite values in the reference)",
        ));
    }
    edges.dedup();
    // Ties merged quantiles, or the top edge is the maximum: the bins would leave the
    // reference's whole mass in one outer bin, where a current sample moved beyond its
    // range is counted too (a constant reference gives a PSI of 0 against any current).
    // The finite support gets bins of its own, as the drift comparison's edges do.
    let lo = sorted.iter().copied().find(|v| v.is_finite());
    let hi = sorted.iter().rev().copied().find(|v| v.is_finite());
    if let (Some(lo), Some(hi)) = (lo, hi) {
        if edges.len() < bins - 1 || edges.last() == Some(&hi) {
            edges.push(lo);
            // No finite double lies above f64::MAX: only +inf, which shares its bin.
            edges.extend((hi < f64::MAX).then(|| hi.next_up()));
            edges.sort_unstable_by(f64::total_cmp);
            edges.dedup();
        }
    }
    Ok(edges)
}

/// Counts of `values` in the bins delimited by the interior `edges` (`edges.len() + 1`
/// bins, left-closed, the outer ones unbounded).
///
/// # Complexity
/// O(n log k).
pub fn bin_counts(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0.0; edges.len() + 1];
    for v in values {
        counts[edges.partition_point(|e| e <= v)] += 1.0;
    }
    counts
}

/// PSI of raw samples with their binning.
#[derive(Debug, Clone, PartialEq)]
pub struct PsiResult {
    /// The index.
    pub statistic: f64,
    /// Interior edges (the outer edges are -inf and +inf).
    pub edges: Vec<f64>,
    /// Reference counts per bin.
    pub reference_counts: Vec<f64>,
    /// Current counts per bin.
    pub current_counts: Vec<f64>,
}

/// PSI of two raw samples on `bins` quantile bins of the reference.
///
/// # Definition
/// Edges by [`quantile_edges`] on the reference (equal-frequency bins; ties may merge
/// bins), counts by [`bin_counts`], index by [`psi_counts`] with `epsilon`.
///
/// # Assumptions
/// Non-empty samples without NaN (errors name `reference` / `current`); current values
/// outside the reference range fall in the end bins. The reference is materialised and
/// sorted.
///
/// # Complexity
/// O(n log n + m log bins).
///
/// # Reference
/// The test suite checks it against `numpy.quantile` + `numpy.searchsorted` + the
/// formula.
pub fn psi(
    mut reference: Vec<f64>,
    current: &[f64],
    bins: usize,
    epsilon: f64,
) -> Result<PsiResult> {
    check_not_empty(&reference, "reference")?;
    check_not_empty(current, "current")?;
    super::sample::check_no_nan(&reference, "reference")?;
    super::sample::check_no_nan(current, "current")?;
    super::sample::sort_sample(&mut reference);
    let edges = quantile_edges(&reference, bins)?;
    let (reference_counts, current_counts) = rayon::join(
        || bin_counts(&reference, &edges),
        || bin_counts(current, &edges),
    );
    let statistic = psi_counts(&reference_counts, &current_counts, epsilon)?;
    Ok(PsiResult {
        statistic,
        edges,
        reference_counts,
        current_counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_is_zero_and_empty_bins_are_handled() {
        assert_eq!(
            psi_counts(&[1.0, 2.0, 0.0], &[2.0, 4.0, 0.0], PSI_EPSILON).unwrap(),
            0.0
        );
        let p = psi_counts(&[10.0, 0.0], &[5.0, 5.0], PSI_EPSILON).unwrap();
        let want = (0.5 - 1.0) * (0.5f64).ln() + (0.5 - 1e-4) * (0.5f64 / 1e-4).ln();
        assert!((p - want).abs() < 1e-12);
    }

    #[test]
    fn quantiles_match_numpy_linear() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&x, 0.5), 2.5);
        assert_eq!(quantile_sorted(&x, 1.0), 4.0);
        assert_eq!(quantile_sorted(&x, 0.0), 1.0);
    }

    #[test]
    fn edges_near_the_float_limits_are_finite_and_in_order() {
        let x = [-1e308, -1e308, 0.0, 1e308, f64::MAX];
        // numpy.quantile overflows here; the points themselves are finite.
        assert_eq!(quantile_sorted(&x, 0.375), -1e308 * 0.5 + 0.0 * 0.5);
        // -1e308 + 0.3 (2e308), exact up to rounding.
        let q = quantile_sorted(&[-1e308, 1e308], 0.3);
        assert!((q + 4e307).abs() <= 4e307 * 4.0 * f64::EPSILON, "{q:e}");
        let edges = quantile_edges(&x, 10).unwrap();
        assert!(edges.iter().all(|e| e.is_finite()), "{edges:?}");
        assert!(edges.windows(2).all(|w| w[0] < w[1]), "{edges:?}");
        assert_eq!(quantile_sorted(&[-1e308, 1e308], 0.0), -1e308);
        assert_eq!(quantile_sorted(&[-1e308, 1e308], 1.0), 1e308);
    }

    #[test]
    fn raw_psi_of_same_sample_is_zero() {
        let a: Vec<f64> = (0..1000).map(|i| (i % 37) as f64).collect();
        let r = psi(a.clone(), &a, 10, PSI_EPSILON).unwrap();
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.reference_counts.iter().sum::<f64>(), 1000.0);
    }
}
