//! The two-sample Kolmogorov-Smirnov test: the statistic on raw samples, on sorted
//! samples, on two weighted step CDFs (what a quantile sketch gives) and on binned counts,
//! and its p-value by the method scipy uses for the sizes at hand.

use super::kolmogorov::{gcd, ks_2samp_exact_two_sided, kstwo_sf};
use super::sample::{check_not_empty, sort_pair};
use crate::{DriftlineError, Result};

/// Samples with at most this many values (the larger one) get the exact p-value in
/// [`KsMethod::Auto`], as in scipy (`MAX_AUTO_N`).
pub const KS_EXACT_MAX_N: usize = 10_000;

/// How the p-value of the two-sample test is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KsMethod {
    /// Exact when `max(n, m) <= 10_000`, otherwise asymptotic (scipy's `"auto"`).
    Auto,
    /// The exact null distribution (lattice-path counting).
    Exact,
    /// `kstwo.sf(D, round(n m / (n + m)))`: the finite-n one-sample distribution at the
    /// effective sample size.
    Asymp,
}

impl KsMethod {
    /// Parses `"auto"`, `"exact"` or `"asymp"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Self::Auto),
            "exact" => Ok(Self::Exact),
            "asymp" => Ok(Self::Asymp),
            other => Err(DriftlineError::param(
                "method",
                format!("'{other}' is not one of 'auto', 'exact', 'asymp'"),
            )),
        }
    }

    /// The name scipy uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Exact => "exact",
            Self::Asymp => "asymp",
        }
    }
}

/// The KS statistic and where it is reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsStatistic {
    /// `D = sup_x |F_a(x) - F_b(x)|`.
    pub statistic: f64,
    /// The value `x` where `D` is reached (scipy's `statistic_location`).
    pub location: f64,
    /// +1 when `F_a - F_b` reaches `D` there, -1 when `F_b - F_a` does.
    pub sign: i8,
}

/// Result of the two-sample test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    /// The statistic (in exact mode rounded to the lattice `h / lcm(n, m)`, as scipy).
    pub statistic: f64,
    /// Two-sided p-value.
    pub pvalue: f64,
    /// Where the statistic is reached.
    pub location: f64,
    /// Sign of `F_a - F_b` at `location`.
    pub sign: i8,
    /// The method that produced the p-value (`Exact` or `Asymp`, never `Auto`).
    pub method: KsMethod,
    /// Size of sample a.
    pub n_a: usize,
    /// Size of sample b.
    pub n_b: usize,
}

// Running extremum of F_a - F_b with scipy's tie-breaking: argmax/argmin over the
// concatenation [sorted a, sorted b] take the first position, i.e. the smallest value of
// a that reaches the extremum if any, else the smallest value of b.
#[derive(Clone, Copy)]
struct Extremum {
    value: f64,
    at: f64,
}

struct Tracker {
    max_a: Extremum,
    max_b: Extremum,
    min_a: Extremum,
    min_b: Extremum,
}

impl Tracker {
    fn new() -> Self {
        let lo = Extremum {
            value: f64::NEG_INFINITY,
            at: f64::NAN,
        };
        let hi = Extremum {
            value: f64::INFINITY,
            at: f64::NAN,
        };
        Self {
            max_a: lo,
            max_b: lo,
            min_a: hi,
            min_b: hi,
        }
    }

    #[inline]
    fn see(&mut self, diff: f64, at: f64, in_a: bool, in_b: bool) {
        if in_a {
            if diff > self.max_a.value {
                self.max_a = Extremum { value: diff, at };
            }
            if diff < self.min_a.value {
                self.min_a = Extremum { value: diff, at };
            }
        }
        if in_b {
            if diff > self.max_b.value {
                self.max_b = Extremum { value: diff, at };
            }
            if diff < self.min_b.value {
                self.min_b = Extremum { value: diff, at };
            }
        }
    }

    fn finish(self) -> KsStatistic {
        let max = if self.max_a.value >= self.max_b.value {
            self.max_a
        } else {
            self.max_b
        };
        let min = if self.min_a.value <= self.min_b.value {
            self.min_a
        } else {
            self.min_b
        };
        let min_s = (-min.value).clamp(0.0, 1.0);
        if min_s > max.value {
            KsStatistic {
                statistic: min_s,
                location: min.at,
                sign: -1,
            }
        } else {
            KsStatistic {
                statistic: max.value,
                location: max.at,
                sign: 1,
            }
        }
    }
}

/// The two-sample KS statistic of two sorted samples, by one merge walk.
///
/// # Definition
/// `D = max_x |F_a(x) - F_b(x)|` over the pooled values, `F` the right-continuous
/// empirical CDFs (`searchsorted(side="right") / n`). Ties within and across samples
/// are handled by evaluating after every copy of a value.
///
/// # Assumptions
/// Both slices sorted ascending, non-empty, without NaN (±inf is fine). `-0.0` and
/// `0.0` must not both appear unless adjacent (see [`super::sample::sort_sample`]).
///
/// # Complexity
/// O(n + m), no allocation.
///
/// # Reference
/// The statistic, location and sign of `scipy.stats.ks_2samp` (bit-identical: the CDF
/// differences are formed as `i / n - j / m` as scipy does).
pub fn ks_statistic_sorted(a: &[f64], b: &[f64]) -> KsStatistic {
    let (n, m) = (a.len(), b.len());
    let (nf, mf) = (n as f64, m as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut t = Tracker::new();
    while i < n || j < m {
        let v = if j >= m || (i < n && a[i] <= b[j]) {
            a[i]
        } else {
            b[j]
        };
        let in_a = i < n && a[i] == v;
        let in_b = j < m && b[j] == v;
        while i < n && a[i] <= v {
            i += 1;
        }
        while j < m && b[j] <= v {
            j += 1;
        }
        let diff = i as f64 / nf - j as f64 / mf;
        t.see(diff, v, in_a, in_b);
    }
    t.finish()
}

/// The KS distance between two step CDFs given as sorted support points and cumulative
/// weights (the form of a quantile sketch or a weighted sample).
///
/// # Definition
/// `F_a(x) = cw_a[i] / cw_a[last]` where `i` is the last index with `x_a[i] <= x`
/// (0 before the first point); `D = max_x |F_a(x) - F_b(x)|`.
///
/// # Assumptions
/// `x_*` sorted ascending without NaN, `cw_*` non-decreasing, same lengths as their
/// `x_*`, with a positive last entry. Errors otherwise.
///
/// # Complexity
/// O(n + m).
///
/// # Reference
/// Equals [`ks_statistic_sorted`] when `cw = 1, 2, ..., n`; the weighted two-sample KS
/// statistic (scipy has none; compare `ks_2samp` on replicated data).
pub fn ks_statistic_from_cdfs(
    x_a: &[f64],
    cw_a: &[f64],
    x_b: &[f64],
    cw_b: &[f64],
) -> Result<KsStatistic> {
    let ta = check_cdf(x_a, cw_a, "a")?;
    let tb = check_cdf(x_b, cw_b, "b")?;
    let (n, m) = (x_a.len(), x_b.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut t = Tracker::new();
    while i < n || j < m {
        let v = if j >= m || (i < n && x_a[i] <= x_b[j]) {
            x_a[i]
        } else {
            x_b[j]
        };
        let in_a = i < n && x_a[i] == v;
        let in_b = j < m && x_b[j] == v;
        while i < n && x_a[i] <= v {
            i += 1;
        }
        while j < m && x_b[j] <= v {
            j += 1;
        }
        let fa = if i == 0 { 0.0 } else { cw_a[i - 1] / ta };
        let fb = if j == 0 { 0.0 } else { cw_b[j - 1] / tb };
        t.see(fa - fb, v, in_a, in_b);
    }
    Ok(t.finish())
}

pub(crate) fn check_cdf(x: &[f64], cw: &[f64], name: &str) -> Result<f64> {
    if x.is_empty() || x.len() != cw.len() {
        return Err(DriftlineError::data(
            name,
            format!(
                "a step CDF needs as many cumulative weights as points and at least one: got {} points, {} weights",
                x.len(),
                cw.len()
            ),
        ));
    }
    if x.windows(2).any(|w| w[0] > w[1]) || x.iter().any(|v| v.is_nan()) {
        return Err(DriftlineError::data(
            name,
            "points must be sorted ascending, without NaN",
        ));
    }
    if cw.windows(2).any(|w| w[0].is_nan() || w[0] > w[1]) || cw[0] < 0.0 {
        return Err(DriftlineError::data(
            name,
            "cumulative weights must be non-negative and non-decreasing",
        ));
    }
    let total = cw[cw.len() - 1];
    if !(total > 0.0 && total.is_finite()) {
        return Err(DriftlineError::data(
            name,
            format!("total weight is {total}; need a positive, finite total"),
        ));
    }
    Ok(total)
}

/// The KS statistic of two histograms on the same bins.
///
/// # Definition
/// `D = max_k |C_a(k) / N_a - C_b(k) / N_b|`, `C` the cumulative counts over bins.
/// On bins this is a lower bound of the raw-data statistic (equal when every distinct
/// value has its own bin).
///
/// # Assumptions
/// Same length, counts finite, non-negative, positive totals; errors otherwise.
///
/// # Complexity
/// O(k).
///
/// # Reference
/// `scipy.stats.ks_2samp` on data with one value per bin.
pub fn ks_statistic_binned(counts_a: &[f64], counts_b: &[f64]) -> Result<f64> {
    super::sample::check_same_len(counts_a, counts_b, "a", "b")?;
    let ta = super::sample::check_counts(counts_a, "a")?;
    let tb = super::sample::check_counts(counts_b, "b")?;
    let (mut ca, mut cb, mut d) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in counts_a.iter().zip(counts_b) {
        ca += x;
        cb += y;
        d = d.max((ca / ta - cb / tb).abs());
    }
    Ok(d.min(1.0))
}

/// The two-sided p-value of a two-sample statistic `d` for sizes `n` and `m`.
///
/// # Definition
/// Exact: `P(D_{n,m} >= d)` under the null, with `d` first rounded to the lattice
/// `h / lcm(n, m)` (returned as the statistic). Asymptotic: `kstwo.sf(d, N)` with
/// `N = round_half_even(n m / (n + m))`. Auto: exact when `max(n, m) <= 10_000`.
/// When the exact recursion fails numerically, the asymptotic value is returned.
///
/// # Assumptions
/// `n, m >= 1`, `0 <= d <= 1`. For `Exact` with `(n/g) >= i32::MAX / (m/g)` the
/// asymptotic method is used (scipy warns and does the same).
///
/// # Complexity
/// See [`ks_2samp_exact_two_sided`] and [`kstwo_sf`].
///
/// # Reference
/// `scipy.stats.ks_2samp(..., alternative="two-sided", method=...)`.
pub fn ks_pvalue(d: f64, n: usize, m: usize, method: KsMethod) -> (f64, f64, KsMethod) {
    let mut d = d;
    let g = gcd(n as u64, m as u64);
    let (ng, mg) = ((n as u64 / g) as f64, (m as u64 / g) as f64);
    let use_exact = match method {
        KsMethod::Auto => n.max(m) <= KS_EXACT_MAX_N,
        KsMethod::Exact => ng < i32::MAX as f64 / mg,
        KsMethod::Asymp => false,
    };
    if use_exact {
        let lcm = (n as u64 / g) * m as u64;
        let h = (d * lcm as f64).round_ties_even();
        d = h / lcm as f64;
        if h == 0.0 {
            return (d, 1.0, KsMethod::Exact);
        }
        if let Some(p) = ks_2samp_exact_two_sided(n as u64, m as u64, h as u64) {
            return (d, p.clamp(0.0, 1.0), KsMethod::Exact);
        }
    }
    let (big, small) = if n >= m {
        (n as f64, m as f64)
    } else {
        (m as f64, n as f64)
    };
    let en = big * small / (big + small);
    let p = kstwo_sf(d, en.round_ties_even() as u64);
    (d, p.clamp(0.0, 1.0), KsMethod::Asymp)
}

/// The two-sample two-sided Kolmogorov-Smirnov test on raw samples.
///
/// # Definition
/// Statistic of [`ks_statistic_sorted`], p-value of [`ks_pvalue`].
///
/// # Assumptions
/// Non-empty samples without NaN (errors name `a` or `b`); ±inf allowed. The samples are
/// materialised and sorted (both at once on the rayon pool): O(n + m) memory.
///
/// # Complexity
/// O(n log n + m log m) for the sorts, O(n + m) for the walk, plus the p-value.
///
/// # Reference
/// `scipy.stats.ks_2samp(a, b)` (two-sided, `method="auto"` by default).
pub fn ks_2samp(mut a: Vec<f64>, mut b: Vec<f64>, method: KsMethod) -> Result<KsResult> {
    check_not_empty(&a, "a")?;
    check_not_empty(&b, "b")?;
    super::sample::check_no_nan(&a, "a")?;
    super::sample::check_no_nan(&b, "b")?;
    sort_pair(&mut a, &mut b);
    let s = ks_statistic_sorted(&a, &b);
    let (statistic, pvalue, used) = ks_pvalue(s.statistic, a.len(), b.len(), method);
    Ok(KsResult {
        statistic,
        pvalue,
        location: s.location,
        sign: s.sign,
        method: used,
        n_a: a.len(),
        n_b: b.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistic_of_disjoint_samples_is_one() {
        let r = ks_2samp(vec![1.0, 2.0, 3.0], vec![4.0, 5.0], KsMethod::Auto).unwrap();
        assert_eq!(r.statistic, 1.0);
        assert_eq!(r.sign, 1);
        assert_eq!(r.location, 3.0);
        assert_eq!(r.method, KsMethod::Exact);
    }

    #[test]
    fn identical_samples_give_zero_and_p_one() {
        let r = ks_2samp(vec![1.0; 5], vec![1.0; 3], KsMethod::Auto).unwrap();
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.pvalue, 1.0);
    }

    #[test]
    fn infinities_are_ordinary_values() {
        let a = vec![f64::NEG_INFINITY, 0.0, f64::INFINITY];
        let b = vec![f64::INFINITY, f64::INFINITY];
        let r = ks_2samp(a, b, KsMethod::Auto).unwrap();
        assert!((r.statistic - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn nan_and_empty_are_errors() {
        assert!(ks_2samp(vec![], vec![1.0], KsMethod::Auto).is_err());
        assert!(ks_2samp(vec![f64::NAN], vec![1.0], KsMethod::Auto).is_err());
    }

    #[test]
    fn cdf_form_matches_raw_form() {
        let a = [0.1, 0.4, 0.4, 0.9];
        let b = [0.2, 0.4, 1.5];
        let raw = ks_statistic_sorted(&a, &b);
        let cw_a = [1.0, 2.0, 3.0, 4.0];
        let cw_b = [1.0, 2.0, 3.0];
        let c = ks_statistic_from_cdfs(&a, &cw_a, &b, &cw_b).unwrap();
        assert!((raw.statistic - c.statistic).abs() < 1e-15);
        // Collapsed ties with weights give the same CDF.
        let c2 = ks_statistic_from_cdfs(&[0.1, 0.4, 0.9], &[1.0, 3.0, 4.0], &b, &cw_b).unwrap();
        assert!((raw.statistic - c2.statistic).abs() < 1e-15);
    }

    #[test]
    fn binned_equals_raw_when_bins_are_values() {
        let d = ks_statistic_binned(&[1.0, 2.0, 1.0, 0.0], &[0.0, 1.0, 1.0, 1.0]).unwrap();
        let raw = ks_statistic_sorted(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 4.0]);
        assert!((d - raw.statistic).abs() < 1e-15);
    }

    #[test]
    fn method_parse() {
        assert_eq!(KsMethod::parse("exact").unwrap(), KsMethod::Exact);
        assert!(KsMethod::parse("nope").is_err());
    }
}
