//! Distances and divergences between two discrete distributions given as count vectors
//! or probability vectors over the same bins (normalised internally).

use super::sample::{check_counts, check_same_len};
use crate::{DriftlineError, Result};

fn normalised(p: &[f64], q: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    check_same_len(p, q, "p", "q")?;
    let sp = check_counts(p, "p")?;
    let sq = check_counts(q, "q")?;
    Ok((
        p.iter().map(|x| x / sp).collect(),
        q.iter().map(|x| x / sq).collect(),
    ))
}

/// `x ln(x / y)` with the conventions of `scipy.special.rel_entr`: 0 when `x == 0`,
/// `+inf` when `x > 0` and `y == 0`.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

fn log_base(base: Option<f64>) -> Result<Option<f64>> {
    match base {
        None => Ok(None),
        Some(b) if b > 0.0 && b != 1.0 && b.is_finite() => Ok(Some(b.ln())),
        Some(b) => Err(DriftlineError::param(
            "base",
            format!("{b} is not a valid logarithm base (need a finite base > 0 and != 1)"),
        )),
    }
}

/// Jensen-Shannon distance.
///
/// # Definition
/// `sqrt((KL(p || m) + KL(q || m)) / 2)` with `m = (p + q) / 2`, natural logarithm unless
/// `base` is given. In `[0, sqrt(ln 2)]` (in `[0, 1]` with base 2).
///
/// # Assumptions
/// Same length, entries finite and non-negative, positive totals; `p` and `q` are
/// normalised to sum to 1. Errors otherwise.
///
/// # Complexity
/// O(k).
///
/// # Reference
/// `scipy.spatial.distance.jensenshannon(p, q, base)` (the distance, i.e. the square root
/// of the divergence).
pub fn jensen_shannon(p: &[f64], q: &[f64], base: Option<f64>) -> Result<f64> {
    let lb = log_base(base)?;
    let (p, q) = normalised(p, q)?;
    let mut left = 0.0;
    let mut right = 0.0;
    for (a, b) in p.iter().zip(&q) {
        let m = (a + b) / 2.0;
        left += rel_entr(*a, m);
        right += rel_entr(*b, m);
    }
    let mut js = left + right;
    if let Some(lb) = lb {
        js /= lb;
    }
    // Rounding can leave a tiny negative divergence for identical inputs.
    Ok((js / 2.0).max(0.0).sqrt())
}

/// Kullback-Leibler divergence `KL(p || q)`.
///
/// # Definition
/// `sum_i p_i ln(p_i / q_i)` (terms with `p_i == 0` are 0), natural logarithm unless
/// `base` is given. `+inf` when some `q_i == 0 < p_i`: smooth or use PSI's epsilon rule
/// when bins can be empty.
///
/// # Assumptions
/// As [`jensen_shannon`].
///
/// # Complexity
/// O(k).
///
/// # Reference
/// `scipy.stats.entropy(p, q, base)`.
pub fn kl_divergence(p: &[f64], q: &[f64], base: Option<f64>) -> Result<f64> {
    let lb = log_base(base)?;
    let (p, q) = normalised(p, q)?;
    let mut s: f64 = p.iter().zip(&q).map(|(a, b)| rel_entr(*a, *b)).sum();
    if let Some(lb) = lb {
        s /= lb;
    }
    Ok(s.max(0.0))
}

/// Hellinger distance.
///
/// # Definition
/// `H = sqrt(sum_i (sqrt(p_i) - sqrt(q_i))^2 / 2)`, in `[0, 1]` (equal to
/// `sqrt(1 - sum_i sqrt(p_i q_i))`, computed in the difference form to avoid cancellation
/// for close distributions).
///
/// # Assumptions
/// As [`jensen_shannon`].
///
/// # Complexity
/// O(k).
///
/// # Reference
/// Hellinger (1909); `numpy` one-liner `sqrt(sum((sqrt(p) - sqrt(q))**2) / 2)`.
pub fn hellinger(p: &[f64], q: &[f64]) -> Result<f64> {
    let (p, q) = normalised(p, q)?;
    let s: f64 = p
        .iter()
        .zip(&q)
        .map(|(a, b)| {
            let d = a.sqrt() - b.sqrt();
            d * d
        })
        .sum();
    Ok((s / 2.0).sqrt().min(1.0))
}

/// Total variation distance.
///
/// # Definition
/// `TV = sum_i |p_i - q_i| / 2`, in `[0, 1]`.
///
/// # Assumptions
/// As [`jensen_shannon`].
///
/// # Complexity
/// O(k).
///
/// # Reference
/// `0.5 * numpy.abs(p - q).sum()` on normalised vectors.
pub fn total_variation(p: &[f64], q: &[f64]) -> Result<f64> {
    let (p, q) = normalised(p, q)?;
    let s: f64 = p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum();
    Ok((s / 2.0).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scipy_examples() {
        // jensenshannon([1, 0, 0], [0, 1, 0], 2.0) == 1.0
        let d = jensen_shannon(&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], Some(2.0)).unwrap();
        assert!((d - 1.0).abs() < 1e-15);
        // jensenshannon([1.0, 0.0], [0.5, 0.5]) == 0.46450140402245893
        let d = jensen_shannon(&[1.0, 0.0], &[0.5, 0.5], None).unwrap();
        assert!((d - 0.464_501_404_022_458_93).abs() < 1e-15);
        assert_eq!(
            kl_divergence(&[1.0, 1.0], &[1.0, 0.0], None).unwrap(),
            f64::INFINITY
        );
    }

    #[test]
    fn bounds() {
        assert!((hellinger(&[1.0, 0.0], &[0.0, 1.0]).unwrap() - 1.0).abs() < 1e-15);
        assert!((total_variation(&[3.0, 1.0], &[1.0, 3.0]).unwrap() - 0.5).abs() < 1e-15);
        assert!(jensen_shannon(&[1.0], &[1.0, 2.0], None).is_err());
        assert!(jensen_shannon(&[1.0, -1.0], &[1.0, 2.0], None).is_err());
        assert!(jensen_shannon(&[1.0], &[1.0], Some(1.0)).is_err());
    }
}
