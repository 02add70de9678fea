//! The total sum of squares of a label about its mean (R2's denominator) from the exact
//! sums of the label and of its squares, without cancellation.
//!
//! # Definition
//! SST = sum (y - mean)^2 = (n S2 - S1^2) / n, with S1 = sum y and S2 = sum y^2 exact
//! ([`ExactSum`]; each square added as the exact pair `hi + lo`, see [`two_square`]).
//!
//! First in double-double arithmetic from the sums read as pairs: its error is a few
//! 2^-104 S2, so the result is kept when SST is at least 2^-40 S2 (a mean below about a
//! million times the spread), within 2^-60 of its value. Otherwise (the error would be
//! 2^-104 (mean / std)^2 relative: 1e-8 with a mean of 1e12 and a unit spread, 3e-3 at
//! 1e15) each sum is read as a non-overlapping expansion of doubles (its rounded value,
//! then the rounded remainder, ...); the products `n S2` and `S1^2` are formed term by term
//! as exact pairs (`two_prod`) and added into an [`ExactSum`], so `n S2 - S1^2` is exact
//! before one rounding, and SST is within two roundings of its true value whatever the
//! mean against the spread. Both paths are functions of the exact sums only, so merged
//! partials give the same bits.
//!
//! # Assumptions
//! The squares are exact for labels between about 1e-154 and 1e150 in magnitude (below,
//! they underflow, as the squared errors do; above, their low parts are dropped, a
//! relative error of 2^-53 each). Sums near the top of the double range are scaled by a
//! power of two first (exact but for terms some 2^-500 below the sums), so that the
//! products do not overflow.
//!
//! # Complexity
//! Per segment, at report time, not per row: a few double-double operations, and in the
//! exact path O(k^2) for sums of k expansion terms (usually 2 or 3).

use crate::performance::exact::ExactSum;

/// At most this many expansion terms: a sum's exact value spans at most about 2,300 bits,
/// 44 doubles of 53.
const MAX_TERMS: usize = 48;

/// `t * t` as an exact pair `hi + lo` (Veltkamp split, Dekker product).
#[inline]
pub(crate) fn two_square(t: f64) -> (f64, f64) {
    let hi = t * t;
    if !hi.is_finite() || t.abs() > 1e150 {
        return (hi, 0.0);
    }
    let c = 134_217_729.0 * t; // 2^27 + 1
    let th = c - (c - t);
    let tl = t - th;
    (hi, ((th * th - hi) + 2.0 * th * tl) + tl * tl)
}

/// `a * b` as an exact pair (barring overflow and underflow): a fused multiply-add gives
/// the rounding error of the product.
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// The exact value of `s` as doubles whose sum it is, largest first.
fn expansion(s: &ExactSum) -> Vec<f64> {
    let mut rest = s.clone();
    let mut out = Vec::with_capacity(4);
    while out.len() < MAX_TERMS {
        let x = rest.value();
        if x == 0.0 || !x.is_finite() {
            if out.is_empty() || x != 0.0 {
                out.push(x);
            }
            break;
        }
        out.push(x);
        // Subtracting a double from an exact sum is exact: the remainder is what is left.
        rest.add(-x);
    }
    out
}

/// `x * 2^e` for a scale `e` in [-2100, 2100], without intermediate overflow.
fn scale(x: f64, e: i32) -> f64 {
    let step = |k: i32| f64::from_bits(((k + 1023) as u64) << 52);
    let mut x = x;
    let mut e = e;
    while e > 1000 {
        x *= step(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= step(-1000);
        e += 1000;
    }
    x * step(e)
}

/// The binary exponent of `x` (finite, non-zero), `floor(log2 |x|)`.
fn exponent(x: f64) -> i32 {
    let e = ((x.to_bits() >> 52) & 0x7ff) as i32;
    if e == 0 {
        -1023
    } else {
        e - 1023
    }
}

/// SST of `n` labels whose exact sum is `sum_y` and whose squares sum exactly to `sum_y2`:
/// `max(0, (n S2 - S1^2) / n)`; infinite when the sum of squares overflowed.
pub fn sst(sum_y: &ExactSum, sum_y2: &ExactSum, n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let (s1, s2) = (sum_y.value_dd(), sum_y2.value_dd());
    if !(s1.0.is_finite() && s2.0.is_finite()) {
        return f64::INFINITY;
    }
    let q = dd_div(dd_mul(s1, s1), n as f64);
    let d = dd_add(s2, (-q.0, -q.1));
    let v = d.0 + d.1;
    // 2^-40: the double-double error (a few 2^-104 S2) is then below 2^-60 of SST.
    if v.is_finite() && v >= s2.0 * f64::from_bits((1023 - 40) << 52) {
        return v;
    }
    sst_exact(sum_y, sum_y2, n)
}

/// [`sst`] from the exact expansions of the sums (see the module docs).
fn sst_exact(sum_y: &ExactSum, sum_y2: &ExactSum, n: u64) -> f64 {
    let (s1, s2) = (expansion(sum_y), expansion(sum_y2));
    if !(s1[0].is_finite() && s2[0].is_finite()) {
        return f64::INFINITY;
    }
    let nf = n as f64; // exact: counts stay below 2^48
                       // Scale S1 by 2^-k and S2 by 2^-2k so that S1^2 and n S2 stay well inside the range;
                       // SST scales by 2^-2k, undone at the end.
    let e1 = if s1[0] == 0.0 { 0 } else { exponent(s1[0]) };
    let e2 = if s2[0] == 0.0 { 0 } else { exponent(s2[0]) };
    let k = 0.max(e1 - 450).max((e2 + 64 - 900 + 1) / 2);
    let mut d = ExactSum::default();
    for &b in &s2 {
        let (p, e) = two_prod(nf, scale(b, -2 * k));
        d.add(p);
        d.add(e);
    }
    let s1: Vec<f64> = s1.iter().map(|&a| scale(a, -k)).collect();
    for &a in &s1 {
        for &b in &s1 {
            let (p, e) = two_prod(a, b);
            d.add(-p);
            d.add(-e);
        }
    }
    // The exact n S2 - S1^2, rounded once, is at least 0 when the squares were exact.
    scale((d.value() / nf).max(0.0), 2 * k)
}

type Dd = (f64, f64);

fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn dd_add(a: Dd, b: Dd) -> Dd {
    let (s, e) = two_sum(a.0, b.0);
    let e = e + a.1 + b.1;
    two_sum(s, e)
}

fn dd_mul(a: Dd, b: Dd) -> Dd {
    let p = a.0 * b.0;
    let e = a.0.mul_add(b.0, -p) + (a.0 * b.1 + a.1 * b.0);
    two_sum(p, e)
}

fn dd_div(a: Dd, b: f64) -> Dd {
    let q1 = a.0 / b;
    let r = dd_add(a, (-(q1 * b), -q1.mul_add(b, -(q1 * b))));
    let q2 = r.0 / b;
    two_sum(q1, q2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(ys: &[f64]) -> (ExactSum, ExactSum) {
        let (mut s1, mut s2) = (ExactSum::default(), ExactSum::default());
        for &y in ys {
            s1.add(y);
            let (hi, lo) = two_square(y);
            s2.add(hi);
            s2.add(lo);
        }
        (s1, s2)
    }

    #[test]
    fn two_square_is_exact() {
        for t in [0.1, 3.0, -7.25e-3, 1e10 + 0.5, 123456.789, 1e-150, -1e150] {
            let (hi, lo) = two_square(t);
            assert_eq!(hi, t * t);
            assert_eq!(lo, t.mul_add(t, -hi), "{t}");
        }
    }

    #[test]
    fn no_cancellation_with_a_large_mean() {
        // Deviations -2..=2 around offsets up to 1e15 (each y exact): SST = n/5 * 10.
        for offset in [0.0, 1e8, 1e12, 1e15, -3e15] {
            let ys: Vec<f64> = (0..1000).map(|i| offset + f64::from(i % 5 - 2)).collect();
            let (s1, s2) = sums(&ys);
            assert_eq!(sst(&s1, &s2, 1000), 2000.0, "offset {offset}");
        }
        // A constant label: exactly 0.
        let (s1, s2) = sums(&[1e15 + 2.0; 7]);
        assert_eq!(sst(&s1, &s2, 7), 0.0);
    }

    #[test]
    fn both_paths_agree_where_the_fast_one_is_kept() {
        // A mean a few times the spread: the double-double path; within an ulp or two of
        // the exact one.
        let ys: Vec<f64> = (0..997).map(|i| 50.0 + f64::from(i % 13) * 0.37).collect();
        let (s1, s2) = sums(&ys);
        let (fast, exact) = (sst(&s1, &s2, 997), sst_exact(&s1, &s2, 997));
        assert!(
            (fast - exact).abs() <= 2.0 * f64::EPSILON * exact,
            "{fast} {exact}"
        );
    }

    #[test]
    fn large_sums_are_scaled_not_overflowed() {
        // S1^2 = 1e310 overflows unscaled; S2 = 1e304 does not. Pairs a, b around 1e149:
        // SST = n ((a - b) / 2)^2, (a - b) exact (Sterbenz).
        let (a, b) = (1.1e149, 0.9e149);
        let n = 1_000_000u32;
        let ys: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { a } else { b }).collect();
        let (s1, s2) = sums(&ys);
        let want = f64::from(n) * ((a - b) / 2.0) * ((a - b) / 2.0);
        let got = sst(&s1, &s2, u64::from(n));
        assert!((got - want).abs() <= want * 1e-13, "{got} {want}");
        // Squares that overflow: infinite.
        let (s1, s2) = sums(&[1e200, -1e200]);
        assert_eq!(sst(&s1, &s2, 2), f64::INFINITY);
        assert_eq!(sst(&ExactSum::default(), &ExactSum::default(), 0), 0.0);
    }
}
