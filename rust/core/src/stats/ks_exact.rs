//! The exact null distribution of the two-sample Kolmogorov-Smirnov statistic `D_{n,m}`
//! by lattice-path counting, as scipy's `ks_2samp(method="exact")` computes it.

/// Exact `P(D_{n,m} >= h / lcm(n, m))` of the two-sample two-sided statistic, under the
/// null hypothesis of one continuous distribution.
///
/// # Definition
/// The share of monotone lattice paths from (0,0) to (n,m) that touch or cross the
/// band `|x/n - y/m| >= h / lcm(n,m)`.
///
/// # Assumptions
/// `n, m >= 1`, `h >= 1` (h = 0 means D = 0 and p = 1). With ties in the data the test
/// is conservative, as in scipy. Returns `None` when the float recursion left [0, 1]
/// (scipy then falls back to the asymptotic method, and so does [`super::ks`]).
///
/// # Complexity
/// O(n) when `n == m`; otherwise O(max(n,m) * band width) time and O(min(n,m)) memory.
///
/// # Reference
/// scipy `_compute_prob_outside_square` (n == m) and `_compute_outer_prob_inside_method`;
/// Hodges (1958), Arkiv för Matematik 3(43); Viehmann (2021), arXiv:2102.08037.
pub fn ks_2samp_exact_two_sided(n: u64, m: u64, h: u64) -> Option<f64> {
    if h == 0 {
        return Some(1.0);
    }
    let p = if n == m {
        prob_outside_square(n as i64, h as i64)
    } else {
        let g = gcd(n, m);
        outer_prob_inside(n as i64, m as i64, g as i64, h as i64)
    };
    (p.is_finite() && (0.0..=1.0).contains(&p)).then_some(p)
}

/// Greatest common divisor.
pub fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `P(D_{n,n} >= h/n)`: 2 * (A0 (1 - A1 (1 - A2 (...)))) with A_k = C(2n, n-kh)/C(2n, n)
/// ratios, evaluated Horner-like to avoid the cancellation of the alternating sum.
fn prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0;
    let mut k = n / h;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// 1 - (share of paths staying strictly inside |nx/g - my/g| < h), by the column
/// recursion of Viehmann that carries 1 - p directly; one sliding column of the table.
fn outer_prob_inside(m: i64, n: i64, g: i64, h: i64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let mg = m / g;
    let ng = n / g;
    let ceil_div = |a: i64, b: i64| -> i64 { (a + b - 1).div_euclid(b) };
    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for x in a.iter_mut().take(maxj as usize) {
        *x = 0.0;
    }
    for i in 1..=m {
        let lastminj = minj;
        let lastlen = curlen;
        minj = ((ng * i - h).div_euclid(mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            let src = (jj + minj - lastminj) as usize;
            let prev = a.get(src).copied().unwrap_or(1.0);
            val = (prev * fi + val * j as f64) / (fi + j as f64);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let from = (maxj - minj) as usize;
            let to = (from + (lastlen - curlen) as usize).min(a.len());
            for x in a[from..to].iter_mut() {
                *x = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}
