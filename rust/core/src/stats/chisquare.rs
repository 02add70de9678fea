//! Pearson's chi-square tests: goodness of fit of observed counts to expected counts,
//! and independence in a contingency table (reference vs current counts per category).

use statrs::function::gamma::gamma_ur;

use crate::{DriftlineError, Result};

/// Relative tolerance of the check that observed and expected totals agree: the square
/// root of the f64 epsilon, as scipy.
pub const SUM_RTOL: f64 = 1.490_116_119_384_765_6e-8;

/// Survival function of the chi-square distribution with `df` degrees of freedom.
///
/// # Definition
/// `P(X >= x) = Q(df / 2, x / 2)`, the regularised upper incomplete gamma function.
///
/// # Assumptions
/// `df > 0`; `x <= 0` gives 1, `x = inf` gives 0, NaN gives NaN.
///
/// # Complexity
/// O(1) (series or continued fraction of statrs).
///
/// # Reference
/// `scipy.stats.chi2.sf(x, df)` (`scipy.special.chdtrc`); statrs `gamma_ur`.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    gamma_ur(df / 2.0, x / 2.0)
}

/// Statistic, p-value and degrees of freedom of a chi-square test.
#[derive(Debug, Clone, PartialEq)]
pub struct ChiSquareResult {
    /// Pearson's statistic `sum (O - E)^2 / E`.
    pub statistic: f64,
    /// `chi2_sf(statistic, dof)`.
    pub pvalue: f64,
    /// Degrees of freedom.
    pub dof: f64,
}

fn check_observed(values: &[f64], name: &str) -> Result<f64> {
    if values.is_empty() {
        return Err(DriftlineError::data(
            name,
            "is empty; need at least one category",
        ));
    }
    let mut sum = 0.0;
    for (i, &v) in values.iter().enumerate() {
        if !v.is_finite() || v < 0.0 {
            return Err(DriftlineError::data(
                name,
                format!("entry {i} is {v}; frequencies must be finite and >= 0"),
            ));
        }
        sum += v;
    }
    Ok(sum)
}

/// Pearson's chi-square goodness-of-fit test.
///
/// # Definition
/// `X^2 = sum_i (O_i - E_i)^2 / E_i`, p-value `P(chi2_{k-1-ddof} >= X^2)`. Without
/// `expected`, every `E_i` is the mean of the observed counts.
///
/// # Assumptions
/// Observed finite and non-negative, expected finite and positive, same length; the two
/// totals agree to a relative tolerance of [`SUM_RTOL`] (scipy's `sum_check`), since the
/// test compares frequencies of the same sample size: rescale `expected` yourself if it
/// holds proportions. `k - 1 - ddof >= 1`. Errors otherwise.
///
/// # Complexity
/// O(k).
///
/// # Reference
/// `scipy.stats.chisquare(f_obs, f_exp, ddof)`.
pub fn chisquare(observed: &[f64], expected: Option<&[f64]>, ddof: i64) -> Result<ChiSquareResult> {
    let k = observed.len();
    let obs_sum = check_observed(observed, "observed")?;
    let dof = k as i64 - 1 - ddof;
    if dof < 1 {
        return Err(DriftlineError::param(
            "ddof",
            format!(
                "{k} categories with ddof={ddof} leave {dof} degrees of freedom; need at least 1"
            ),
        ));
    }
    let statistic = match expected {
        Some(exp) => {
            super::sample::check_same_len(observed, exp, "observed", "expected")?;
            let exp_sum = check_observed(exp, "expected")?;
            if let Some(i) = exp.iter().position(|&e| e <= 0.0) {
                return Err(DriftlineError::data(
                    "expected",
                    format!("entry {i} is 0; expected frequencies must be positive"),
                ));
            }
            let rel = (obs_sum - exp_sum).abs() / obs_sum.min(exp_sum);
            if rel > SUM_RTOL || rel.is_nan() {
                return Err(DriftlineError::data(
                    "expected",
                    format!(
                        "sums to {exp_sum} but observed sums to {obs_sum} (relative difference {rel:e} > {SUM_RTOL:e}); \
                         the totals must agree, as in scipy.stats.chisquare: rescale expected to the observed total"
                    ),
                ));
            }
            observed
                .iter()
                .zip(exp)
                .map(|(o, e)| (o - e) * (o - e) / e)
                .sum::<f64>()
        }
        None => {
            if obs_sum <= 0.0 {
                return Err(DriftlineError::data(
                    "observed",
                    "sums to 0; the uniform expectation would be 0 in every category",
                ));
            }
            let e = obs_sum / k as f64;
            observed.iter().map(|o| (o - e) * (o - e) / e).sum::<f64>()
        }
    };
    let dof = dof as f64;
    Ok(ChiSquareResult {
        statistic,
        pvalue: chi2_sf(statistic, dof),
        dof,
    })
}

/// Result of the contingency-table test.
#[derive(Debug, Clone, PartialEq)]
pub struct ContingencyResult {
    /// Pearson's statistic (after Yates' correction when it applies).
    pub statistic: f64,
    /// `chi2_sf(statistic, dof)`.
    pub pvalue: f64,
    /// `(rows - 1) * (cols - 1)`.
    pub dof: usize,
    /// Expected frequencies under independence, row-major.
    pub expected: Vec<f64>,
}

/// Pearson's chi-square test of independence on an `r x c` contingency table.
///
/// # Definition
/// `E_ij = R_i C_j / N`; `X^2 = sum (O_ij - E_ij)^2 / E_ij` with
/// `dof = (r - 1)(c - 1)`. With `correction` and `dof == 1`, Yates' continuity
/// correction moves each `O_ij` by `min(0.5, |E_ij - O_ij|)` towards `E_ij` first. For
/// drift, the table is 2 x k: reference counts and current counts per category.
///
/// # Assumptions
/// `table` row-major with `rows * cols` finite, non-negative entries; every expected
/// frequency positive (a category absent from both rows is an error naming it: drop it).
/// `dof == 0` gives statistic 0 and p-value 1, as scipy.
///
/// # Complexity
/// O(r c).
///
/// # Reference
/// `scipy.stats.chi2_contingency(table, correction=True)` (its default: Yates only
/// when `dof == 1`).
pub fn chi2_contingency(
    table: &[f64],
    rows: usize,
    cols: usize,
    correction: bool,
) -> Result<ContingencyResult> {
    if rows == 0 || cols == 0 || table.len() != rows * cols {
        return Err(DriftlineError::data(
            "table",
            format!("needs rows x cols entries and at least one of each: got {} entries for {rows} x {cols}", table.len()),
        ));
    }
    let total = check_observed(table, "table")?;
    let row_sums: Vec<f64> = (0..rows)
        .map(|i| table[i * cols..(i + 1) * cols].iter().sum())
        .collect();
    let col_sums: Vec<f64> = (0..cols)
        .map(|j| (0..rows).map(|i| table[i * cols + j]).sum())
        .collect();
    let mut expected = Vec::with_capacity(rows * cols);
    for (i, r) in row_sums.iter().enumerate() {
        for (j, c) in col_sums.iter().enumerate() {
            let e = r * c / total;
            if e.is_nan() || e <= 0.0 {
                return Err(DriftlineError::data(
                    "table",
                    format!("the expected frequency at ({i}, {j}) is zero: row {i} or column {j} is all zero; drop it"),
                ));
            }
            expected.push(e);
        }
    }
    let dof = (rows - 1) * (cols - 1);
    if dof == 0 {
        return Ok(ContingencyResult {
            statistic: 0.0,
            pvalue: 1.0,
            dof,
            expected,
        });
    }
    let yates = correction && dof == 1;
    let statistic = table
        .iter()
        .zip(&expected)
        .map(|(&o, &e)| {
            let o = if yates {
                let diff = e - o;
                o + diff.abs().min(0.5) * diff.signum() * f64::from(u8::from(diff != 0.0))
            } else {
                o
            };
            (o - e) * (o - e) / e
        })
        .sum::<f64>();
    Ok(ContingencyResult {
        statistic,
        pvalue: chi2_sf(statistic, dof as f64),
        dof,
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi2_sf_known_values() {
        // chi2.sf(3.84145882069412, 1) == 0.05
        assert!((chi2_sf(3.841_458_820_694_124, 1.0) - 0.05).abs() < 1e-12);
        assert_eq!(chi2_sf(0.0, 3.0), 1.0);
    }

    #[test]
    fn uniform_expectation() {
        // scipy.stats.chisquare([16, 18, 16, 14, 12, 12]) -> statistic 2.0
        let r = chisquare(&[16.0, 18.0, 16.0, 14.0, 12.0, 12.0], None, 0).unwrap();
        assert!((r.statistic - 2.0).abs() < 1e-12);
        assert_eq!(r.dof, 5.0);
    }

    #[test]
    fn sums_must_agree() {
        assert!(chisquare(&[1.0, 2.0], Some(&[1.0, 1.0]), 0).is_err());
        assert!(chisquare(&[1.0, 2.0], Some(&[1.5, 1.5]), 0).is_ok());
    }

    #[test]
    fn contingency_zero_column_is_an_error() {
        assert!(chi2_contingency(&[1.0, 0.0, 2.0, 0.0], 2, 2, true).is_err());
        let r = chi2_contingency(&[10.0, 20.0, 30.0, 40.0], 2, 2, false).unwrap();
        assert_eq!(r.dof, 1);
    }
}
