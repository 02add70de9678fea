//! The first Wasserstein (earth mover's) distance between two one-dimensional
//! distributions: on raw samples (optionally weighted), on sorted samples and on two
//! step CDFs (sorted support points with cumulative weights, as a quantile sketch gives).

use super::ks::check_cdf;
use super::sample::{check_finite, check_not_empty, sort_pair};
use crate::{DriftlineError, Result};

// The merge walk shared by every form: integrate |F_u - F_v| over the pooled support.
// `fu(i)` / `fv(j)` give the CDF after the first i (j) points.
fn walk<FU, FV>(u: &[f64], v: &[f64], fu: FU, fv: FV) -> f64
where
    FU: Fn(usize) -> f64,
    FV: Fn(usize) -> f64,
{
    let (n, m) = (u.len(), v.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    // Value of the current pooled point; the integral accumulates from one distinct value
    // to the next: |F_u(x) - F_v(x)| * (next - x).
    let mut prev: Option<(f64, f64)> = None;
    while i < n || j < m {
        let x = if j >= m || (i < n && u[i] <= v[j]) {
            u[i]
        } else {
            v[j]
        };
        if let Some((px, pdiff)) = prev {
            total += pdiff * (x - px);
        }
        while i < n && u[i] <= x {
            i += 1;
        }
        while j < m && v[j] <= x {
            j += 1;
        }
        prev = Some((x, (fu(i) - fv(j)).abs()));
    }
    total
}

/// Wasserstein-1 distance of two sorted, unweighted samples.
///
/// # Definition
/// `W1 = ∫ |F_u(x) - F_v(x)| dx`, `F` the empirical CDFs.
///
/// # Assumptions
/// Sorted ascending, non-empty, finite (the caller checks; see [`wasserstein`]).
///
/// # Complexity
/// O(n + m).
///
/// # Reference
/// `scipy.stats.wasserstein_distance(u, v)`.
pub fn wasserstein_sorted(u: &[f64], v: &[f64]) -> f64 {
    let (nf, mf) = (u.len() as f64, v.len() as f64);
    walk(u, v, |i| i as f64 / nf, |j| j as f64 / mf)
}

/// Wasserstein-1 distance between two step CDFs given as sorted points and cumulative
/// weights.
///
/// # Definition
/// `W1 = ∫ |F_u(x) - F_v(x)| dx` with `F(x) = cw[i] / cw[last]`, `i` the last point
/// `<= x`.
///
/// # Assumptions
/// Points sorted ascending and finite, cumulative weights non-negative, non-decreasing,
/// with a positive total; errors otherwise.
///
/// # Complexity
/// O(n + m).
///
/// # Reference
/// `scipy.stats.wasserstein_distance(u, v, u_weights, v_weights)` with the weights
/// being the differences of `cw`.
pub fn wasserstein_from_cdfs(x_u: &[f64], cw_u: &[f64], x_v: &[f64], cw_v: &[f64]) -> Result<f64> {
    let tu = check_cdf(x_u, cw_u, "u")?;
    let tv = check_cdf(x_v, cw_v, "v")?;
    check_finite(x_u, "u", "the Wasserstein distance needs finite support")?;
    check_finite(x_v, "v", "the Wasserstein distance needs finite support")?;
    Ok(walk(
        x_u,
        x_v,
        |i| if i == 0 { 0.0 } else { cw_u[i - 1] / tu },
        |j| if j == 0 { 0.0 } else { cw_v[j - 1] / tv },
    ))
}

fn check_weights(w: &[f64], n: usize, name: &str) -> Result<()> {
    if w.len() != n {
        return Err(DriftlineError::data(
            name,
            format!("has {} weights for {n} values", w.len()),
        ));
    }
    for (i, &x) in w.iter().enumerate() {
        if !x.is_finite() || x < 0.0 {
            return Err(DriftlineError::data(
                name,
                format!("weight {i} is {x}; weights must be finite and non-negative"),
            ));
        }
    }
    if w.iter().sum::<f64>() <= 0.0 {
        return Err(DriftlineError::data(
            name,
            "weights must sum to a positive value",
        ));
    }
    Ok(())
}

fn sorted_cumulative(values: Vec<f64>, weights: Vec<f64>) -> (Vec<f64>, Vec<f64>) {
    let mut pairs: Vec<(f64, f64)> = values.into_iter().map(|v| v + 0.0).zip(weights).collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    pairs
        .into_iter()
        .map(|(v, w)| {
            acc += w;
            (v, acc)
        })
        .unzip()
}

/// Wasserstein-1 distance between two samples, optionally weighted.
///
/// # Definition
/// `W1 = ∫ |F_u(x) - F_v(x)| dx`, `F` the (weighted) empirical CDFs.
///
/// # Assumptions
/// Non-empty samples; NaN and ±inf are errors (an infinite value makes the distance
/// infinite or undefined; scipy returns nan). Weights, when given, pair one to one with
/// the values, are finite and non-negative and sum to a positive value. The samples are
/// materialised and sorted.
///
/// # Complexity
/// O(n log n + m log m).
///
/// # Reference
/// `scipy.stats.wasserstein_distance(u_values, v_values, u_weights, v_weights)`.
pub fn wasserstein(
    mut u: Vec<f64>,
    mut v: Vec<f64>,
    u_weights: Option<Vec<f64>>,
    v_weights: Option<Vec<f64>>,
) -> Result<f64> {
    check_not_empty(&u, "u_values")?;
    check_not_empty(&v, "v_values")?;
    super::sample::check_no_nan(&u, "u_values")?;
    super::sample::check_no_nan(&v, "v_values")?;
    let why = "the Wasserstein distance is undefined with infinite values";
    check_finite(&u, "u_values", why)?;
    check_finite(&v, "v_values", why)?;
    if u_weights.is_none() && v_weights.is_none() {
        sort_pair(&mut u, &mut v);
        return Ok(wasserstein_sorted(&u, &v));
    }
    let (nu, nv) = (u.len(), v.len());
    let uw = u_weights.unwrap_or_else(|| vec![1.0; nu]);
    let vw = v_weights.unwrap_or_else(|| vec![1.0; nv]);
    check_weights(&uw, nu, "u_weights")?;
    check_weights(&vw, nv, "v_weights")?;
    let ((xu, cu), (xv, cv)) =
        rayon::join(|| sorted_cumulative(u, uw), || sorted_cumulative(v, vw));
    wasserstein_from_cdfs(&xu, &cu, &xv, &cv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_of_a_point_mass() {
        let d = wasserstein(vec![0.0], vec![2.5], None, None).unwrap();
        assert!((d - 2.5).abs() < 1e-15);
    }

    #[test]
    fn scipy_doc_examples() {
        // scipy docs: wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0
        let d = wasserstein(vec![0.0, 1.0, 3.0], vec![5.0, 6.0, 8.0], None, None).unwrap();
        assert!((d - 5.0).abs() < 1e-12);
        // wasserstein_distance([0, 1], [0, 1], [3, 1], [2, 2]) == 0.25
        let d = wasserstein(
            vec![0.0, 1.0],
            vec![0.0, 1.0],
            Some(vec![3.0, 1.0]),
            Some(vec![2.0, 2.0]),
        )
        .unwrap();
        assert!((d - 0.25).abs() < 1e-12);
    }

    #[test]
    fn infinite_values_are_refused() {
        assert!(wasserstein(vec![f64::INFINITY], vec![1.0], None, None).is_err());
        assert!(wasserstein(vec![1.0], vec![1.0], Some(vec![-1.0]), None).is_err());
    }
}
