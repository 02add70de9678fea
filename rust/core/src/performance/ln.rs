//! The natural logarithm of the log-loss terms: branch-free, so that a loop over a batch
//! vectorises, and the same bits on every machine, thread count and batch split.
//!
//! # Definition
//! [`ln`] is fdlibm's `__ieee754_log` (Sun Microsystems, 1993) without its branches:
//! x = 2^k (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)), s = f / (2 + f), and
//! ln x = k ln2_hi + (f - (f^2/2 - s (f^2/2 + R(s^2))) + k ln2_lo), R the Lg1..Lg7
//! polynomial, ln 2 split in two parts so that k ln2_hi is exact. fdlibm's two
//! expressions of the last sum (one for 1 + f near sqrt(2), one elsewhere) are both
//! computed and one is selected; its short cut for |f| < 2^-20 is left out (the general
//! expression is as accurate there), and k = 0 needs no case of its own. Only plain
//! IEEE additions, multiplications and one division are used (no `mul_add`, which Rust
//! never forms on its own), so the result does not depend on the target CPU's features.
//!
//! [`log_loss_terms`] computes the terms `-ln(clamp(p or 1 - p, eps, 1 - eps))` of a batch
//! with the same operations as the scalar [`log_loss_term`]: a row's term does not depend
//! on the batch it falls in.
//!
//! # Domain
//! Positive normal x (2^-1022 <= x < infinity); the log-loss callers pass values in
//! [`f64::EPSILON`, 1 - `f64::EPSILON`]. NaN gives NaN; zero, negative, subnormal and
//! infinite inputs give meaningless finite values.
//!
//! # Accuracy
//! fdlibm bounds the error below 1 ulp. Measured against `f64::ln` (glibc's `log`,
//! correctly rounded in practice) on 10M uniform and 10M log-uniform values over
//! [2^-52, 1], 1M bit-uniform positive normals, plus the edge values (see the tests): at
//! most 1 ulp; the results differ from `f64::ln` (by 1 ulp) in 7.3% of the uniform
//! values, 1.3% of the log-uniform ones and 0.1% of the bit-uniform ones.
//!
//! # Why
//! The log-loss term is computed once per scored row; the libm call was ~10% of the
//! binary performance pass. Here a batch of 256 terms is computed four lanes at a time
//! (AVX2; eight at a time where the CPU has AVX-512, the same operations and so the same
//! bits), and the result is fixed by the code above, not by the platform's libm. On the
//! 2-core x86-64-v3 development machine (`examples/ln_speed.rs`, 10M values, shared and
//! noisy) [`log_loss_terms`] over batches of 256 takes ~2.7-4 ns a term against
//! ~4.2-6.5 ns for the term with `f64::ln` row by row; called alone in a scalar loop,
//! [`ln`] (~6-9 ns) is slower than glibc's table-driven `log` (~4-6 ns), so the hot
//! paths call the batch form.
//! With AVX-512 the batch takes 3.1-3.3 ns a term against 4.9 ns in four lanes (same run,
//! 2026-12-07), and the binary pass with 10k segments 5% less time.
//!
//! # Complexity
//! O(1) per value: about 30 floating-point operations, one of them a division.
//!
//! [`log_loss_term`]: crate::performance::confusion::log_loss_term

use crate::performance::confusion::log_loss_term;

// fdlibm's constants, by their bits (its decimal literals round to these).
const LN2_HI: f64 = f64::from_bits(0x3FE62E42_FEE00000);
const LN2_LO: f64 = f64::from_bits(0x3DEA39EF_35793C76);
const LG1: f64 = f64::from_bits(0x3FE55555_55555593);
const LG2: f64 = f64::from_bits(0x3FD99999_9997FA04);
const LG3: f64 = f64::from_bits(0x3FD24924_94229359);
const LG4: f64 = f64::from_bits(0x3FCC71C5_1D8E78AF);
const LG5: f64 = f64::from_bits(0x3FC74664_96CB03DE);
const LG6: f64 = f64::from_bits(0x3FC39A09_D078C69F);
const LG7: f64 = f64::from_bits(0x3FC2F112_DF3E5244);

/// 2^52 + 1023: subtracted from 2^52 + e (e the biased exponent) it gives e - 1023.
const EXP_BIAS: f64 = 4_503_599_627_371_519.0;

/// The natural logarithm of a positive normal `x`, within 1 ulp (see the module docs).
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    // The top 20 bits of the mantissa, as in fdlibm's high word.
    let hm = (bits >> 32) & 0x000f_ffff;
    // 0x10_0000 when the mantissa is at least sqrt(2) - 1: then x is halved (its
    // exponent set to -1 instead of 0) and k is one more.
    let i = (hm + 0x9_5f64) & 0x10_0000;
    let m = f64::from_bits((hm | (i ^ 0x3ff0_0000)) << 32 | (bits & 0xffff_ffff));
    // k = exponent - 1023 + i / 2^20, converted to f64 through the mantissa of 2^52
    // (exact, and integer-to-float conversion of 64-bit lanes needs AVX-512).
    let e = (bits >> 52) + (i >> 20);
    let dk = f64::from_bits(0x4330_0000_0000_0000 | e) - EXP_BIAS;
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    // fdlibm's test `(hx - 0x6147a) | (0x6b851 - hx) > 0`: 1 + f far enough from 1 that
    // f^2/2 is subtracted apart for accuracy.
    let far = (0x6_147a..=0x6_b851).contains(&hm);
    let near_sum = (s * (f - r) - dk * LN2_LO) - f;
    let far_sum = (hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f;
    let y = dk * LN2_HI - if far { far_sum } else { near_sum };
    // x != x: NaN in, NaN out (the bit manipulation above would give a finite value).
    #[allow(clippy::eq_op)]
    if x != x {
        x
    } else {
        y
    }
}

/// Writes the log-loss term of every `(p[i], y[i])` to `out[i]`: the same bits as
/// [`log_loss_term`] row by row. The three slices must have the same length.
pub fn log_loss_terms(p: &[f64], y: &[bool], out: &mut [f64]) {
    assert!(p.len() == y.len() && p.len() == out.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (checked just above).
        unsafe { terms_avx512(p, y, out) };
        return;
    }
    terms(p, y, out);
}

/// The loop of [`log_loss_terms`], inlined into each instruction-set variant.
#[inline(always)]
fn terms(p: &[f64], y: &[bool], out: &mut [f64]) {
    for ((o, &p), &y) in out.iter_mut().zip(p).zip(y) {
        *o = log_loss_term(p, y);
    }
}

/// [`terms`] eight lanes at a time. The same IEEE operations in wider registers (no
/// fused multiply-add is ever formed), so the same bits as the four-lane build.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
unsafe fn terms_avx512(p: &[f64], y: &[bool], out: &mut [f64]) {
    terms(p, y, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in ulps between two finite doubles of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        let (a, b) = (a.to_bits() as i64, b.to_bits() as i64);
        assert!((a < 0) == (b < 0) || a == b);
        a.abs_diff(b)
    }

    struct Rng(u64);
    impl Rng {
        // splitmix64
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        /// Uniform on [0, 1) with 53 random bits.
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Max ulp error and count of results not bit-equal to `f64::ln`.
    fn check(xs: impl Iterator<Item = f64>) -> (u64, usize, usize) {
        let (mut worst, mut differ, mut n) = (0, 0, 0);
        for x in xs {
            let (got, want) = (ln(x), x.ln());
            if got != want {
                differ += 1;
                let u = ulps(got, want);
                assert!(u <= 1, "ln({x:e}) = {got:e}, f64::ln {want:e}: {u} ulps");
                worst = worst.max(u);
            }
            n += 1;
        }
        (worst, differ, n)
    }

    const N: usize = 10_000_000;
    const LO: f64 = f64::EPSILON; // 2^-52

    #[test]
    fn within_one_ulp_uniform() {
        let mut r = Rng(1);
        let (worst, differ, n) = check((0..N).map(|_| (LO + (1.0 - LO) * r.unit()).clamp(LO, 1.0)));
        eprintln!(
            "uniform: max {worst} ulp, {differ} of {n} differ ({:.4}%)",
            100.0 * differ as f64 / n as f64
        );
    }

    #[test]
    fn within_one_ulp_log_uniform() {
        let mut r = Rng(2);
        // 2^(-52 u), u uniform on [0, 1].
        let (worst, differ, n) = check((0..N).map(|_| (-52.0 * r.unit()).exp2().clamp(LO, 1.0)));
        eprintln!(
            "log-uniform: max {worst} ulp, {differ} of {n} differ ({:.4}%)",
            100.0 * differ as f64 / n as f64
        );
    }

    #[test]
    fn within_one_ulp_above_one() {
        // Not used by the log loss, but the domain is every positive normal.
        let mut r = Rng(3);
        let (worst, differ, n) = check((0..N / 10).map(|_| {
            let (lo, hi) = (f64::MIN_POSITIVE.to_bits(), f64::MAX.to_bits());
            f64::from_bits(lo + r.next() % (hi - lo))
        }));
        eprintln!("all normals: max {worst} ulp, {differ} of {n} differ");
    }

    #[test]
    fn within_one_ulp_next_to_one() {
        // fdlibm has a short cut for |f| < 2^-20, left out here: the general expression
        // must stay within 1 ulp where ln x ~ x - 1 (the terms of p near 1 - eps).
        let mut r = Rng(5);
        let (worst, differ, n) = check((0..N / 10).map(|_| {
            let d = (-20.0 - 33.0 * r.unit()).exp2();
            if r.next() & 1 == 1 {
                1.0 + d
            } else {
                1.0 - d
            }
        }));
        eprintln!("next to 1: max {worst} ulp, {differ} of {n} differ");
    }

    #[test]
    fn edge_values() {
        let mut xs = vec![
            f64::EPSILON,
            1.0 - f64::EPSILON,
            1.0 - f64::EPSILON / 2.0,
            0.5,
            1.0,
            2.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            std::f64::consts::FRAC_1_SQRT_2,
            std::f64::consts::SQRT_2,
        ];
        // Neighbours of sqrt(2)/2 and of every power of two in [2^-60, 2^10].
        let mut centres = vec![std::f64::consts::FRAC_1_SQRT_2, std::f64::consts::SQRT_2];
        centres.extend((-60..=10).map(|e| 2f64.powi(e)));
        for c in centres {
            for d in 1..=64u64 {
                xs.push(f64::from_bits(c.to_bits() + d));
                xs.push(f64::from_bits(c.to_bits() - d));
            }
            xs.push(c);
        }
        // fdlibm's switch points between its two expressions, 1 + f near 1.38 and 1.42.
        for hm in [
            0x6_1479u64,
            0x6_147a,
            0x6_147b,
            0x6_b850,
            0x6_b851,
            0x6_b852,
        ] {
            for lo in [0, 1, 0xffff_ffff] {
                for e in [1021u64, 1022, 1023] {
                    xs.push(f64::from_bits(e << 52 | hm << 32 | lo));
                }
            }
        }
        let (worst, _, _) = check(xs.iter().copied());
        assert!(worst <= 1);
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(2.0), std::f64::consts::LN_2);
        assert!(ln(f64::NAN).is_nan());
    }

    #[test]
    fn batch_equals_scalar() {
        let mut r = Rng(4);
        let n = 1000;
        let p: Vec<f64> = (0..n)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => 1.0,
                2 => f64::EPSILON * r.unit(),
                _ => r.unit(),
            })
            .collect();
        let y: Vec<bool> = (0..n).map(|_| r.next() & 1 == 1).collect();
        let mut out = vec![0.0; n];
        // Uneven batch boundaries: each term must not depend on its batch.
        let mut start = 0;
        for len in [1, 3, 256, 17, 255].iter().cycle() {
            let end = (start + len).min(n);
            log_loss_terms(&p[start..end], &y[start..end], &mut out[start..end]);
            start = end;
            if start == n {
                break;
            }
        }
        // The four-lane loop as well: on a CPU with AVX-512 `log_loss_terms` ran the
        // eight-lane one above, and both must give the scalar bits.
        let mut narrow = vec![0.0; n];
        terms(&p, &y, &mut narrow);
        for i in 0..n {
            assert_eq!(out[i].to_bits(), log_loss_term(p[i], y[i]).to_bits());
            assert_eq!(narrow[i].to_bits(), out[i].to_bits());
            let q = if y[i] { p[i] } else { 1.0 - p[i] };
            let want = -q.clamp(f64::EPSILON, 1.0 - f64::EPSILON).ln();
            assert!(ulps(out[i], want) <= 1);
        }
    }
}
