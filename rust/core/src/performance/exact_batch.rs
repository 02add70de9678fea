//! Adding a batch of floats to an [`ExactSum`] with float arithmetic that makes no rounding
//! error: the hot path of the per-segment sums, several times faster per value than
//! [`ExactSum::add`] and with the same result bit for bit.
//!
//! # Definition
//! Error-free extraction (Rump, Ogita and Oishi, 2008, "Accurate floating-point summation
//! part I", ExtractVector): with `sigma` a power of two at least `2 n max|x|`, each
//! `q = (sigma + x) - sigma` is `x` rounded to a multiple of `2^-53 sigma`, and
//! `r = x - q` is exact. The `q` are multiples of `2^-53 sigma` whose sums stay below
//! `sigma` in magnitude, so they add up in floats without any rounding; that sum goes into
//! the exact sum, and the remainders `r` (below `2^-52 sigma`) are extracted again with a
//! smaller `sigma`, until none is left. Each level takes about 43 bits of the values'
//! range, so values within 2^-30 of the batch's largest need two levels.
//!
//! # Assumptions
//! A batch with a non-finite value, a value near the overflow threshold or one whose
//! extraction would reach the subnormal range, or still not done after [`MAX_LEVELS`],
//! adds its (remaining) values one by one with [`ExactSum::add`]: exact as well.
//!
//! # Complexity
//! O(n) per level, four lanes at a time.

use crate::performance::exact::ExactSum;

/// Values per batch: `sigma = 2^(e + 1 + 9)` is then at least `2 n max|x|`.
pub const BATCH: usize = 256;
const LOG2_2N: i32 = 9;
/// Levels of extraction before the remaining values are added one by one.
const MAX_LEVELS: usize = 4;

/// `2^k` for `k` in the normal range.
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// The exponent `e` with `2^e <= x < 2^(e + 1)` of a positive normal `x`.
fn exponent(x: f64) -> i32 {
    ((x.to_bits() >> 52) & 0x7ff) as i32 - 1023
}

/// The largest magnitude, and whether every value is finite.
fn max_abs(xs: &[f64]) -> (f64, bool) {
    let mut m = [0f64; 4];
    // x * 0 is NaN exactly for a non-finite x.
    let mut nf = [0f64; 4];
    let mut it = xs.chunks_exact(4);
    for c in &mut it {
        for l in 0..4 {
            m[l] = m[l].max(c[l].abs());
            nf[l] += c[l] * 0.0;
        }
    }
    let mut out = m[0].max(m[1]).max(m[2].max(m[3]));
    let mut bad = (nf[0] + nf[1]) + (nf[2] + nf[3]);
    for &x in it.remainder() {
        out = out.max(x.abs());
        bad += x * 0.0;
    }
    (out, bad.is_nan())
}

/// One extraction level: adds the parts of `xs` above `2^-53 sigma` (an exact float sum),
/// leaves the remainders in `xs` and returns their largest magnitude.
fn extract(xs: &mut [f64], sigma: f64) -> (f64, f64) {
    let mut acc = [0f64; 4];
    let mut m = [0f64; 4];
    let mut it = xs.chunks_exact_mut(4);
    for c in &mut it {
        for l in 0..4 {
            let q = (sigma + c[l]) - sigma;
            let r = c[l] - q;
            acc[l] += q;
            m[l] = m[l].max(r.abs());
            c[l] = r;
        }
    }
    let mut tail = 0.0;
    let mut mt = 0f64;
    for x in it.into_remainder() {
        let q = (sigma + *x) - sigma;
        let r = *x - q;
        tail += q;
        mt = mt.max(r.abs());
        *x = r;
    }
    // Each partial sum is a multiple of 2^-53 sigma below sigma: exact, in any order.
    let sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail;
    (sum, m[0].max(m[1]).max(m[2].max(m[3])).max(mt))
}

impl ExactSum {
    /// Adds every value of `xs` (at most [`BATCH`]; overwritten with scratch values):
    /// the same exact sum as adding them one by one.
    pub fn add_batch(&mut self, xs: &mut [f64]) {
        debug_assert!(xs.len() <= BATCH);
        let (mut m, non_finite) = max_abs(xs);
        if !non_finite {
            for _ in 0..MAX_LEVELS {
                if m == 0.0 {
                    return;
                }
                // Near overflow or underflow the extraction is not error-free.
                if !(f64::MIN_POSITIVE * pow2(120)..=pow2(1000)).contains(&m) {
                    break;
                }
                let sigma = pow2(exponent(m) + 1 + LOG2_2N);
                let (sum, rest) = extract(xs, sigma);
                self.add(sum);
                m = rest;
            }
        }
        for &x in xs.iter() {
            if x != 0.0 {
                self.add(x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_by_one(v: &[f64]) -> ExactSum {
        let mut s = ExactSum::default();
        v.iter().for_each(|&x| s.add(x));
        s
    }

    fn batched(v: &[f64]) -> ExactSum {
        let mut s = ExactSum::default();
        for c in v.chunks(BATCH) {
            let mut c = c.to_vec();
            s.add_batch(&mut c);
        }
        s
    }

    #[test]
    fn batches_equal_one_by_one() {
        let mut state = 5u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state
        };
        let cases: Vec<Vec<f64>> = vec![
            // Spread-out magnitudes and signs.
            (0..1000)
                .map(|_| {
                    let u = (next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                    u * 10f64.powi((next() % 40) as i32 - 20)
                })
                .collect(),
            // Any bit pattern that is a finite double.
            (0..2000)
                .map(|_| f64::from_bits(next()))
                .filter(|x| x.is_finite())
                .collect(),
            vec![1e308, 1.0, -1e308, 1e308],
            vec![5e-324, -1e-310, 3.0, 1e-300],
            vec![f64::INFINITY, 1.0],
            vec![f64::NAN, 2.0],
            vec![0.1; 300],
            vec![-0.0, 0.0],
            (0..700).map(|i| 1e4 + f64::from(i) * 1e-7).collect(),
        ];
        for v in &cases {
            let (a, b) = (one_by_one(v), batched(v));
            assert!(
                a.value().to_bits() == b.value().to_bits()
                    || (a.value().is_nan() && b.value().is_nan()),
                "{} {}",
                a.value(),
                b.value()
            );
            assert_eq!(a, b);
        }
    }
}
