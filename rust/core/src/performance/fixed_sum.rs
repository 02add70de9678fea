//! Exact sums of small non-negative floats in one 128-bit integer: the per-segment score,
//! Brier and log-loss sums of the binary one pass, where rows arrive in score order and
//! each row adds to its own segment's sums (no batch of one accumulator to hand to
//! [`crate::performance::exact_batch`]).
//!
//! # Definition
//! A value `x` in [[`MIN`], 2^6) is `m 2^(e - 52)` with an integer mantissa `m < 2^53`
//! and `e >= -58`, so it is an integer multiple of the unit 2^-110: [`FixedSum::add`] adds
//! `m << (e + 58)` (below 2^116) to a `u128`. After at most [`FixedSum::ADDS`] additions the
//! integer moves into an [`ExactSum`] as three doubles of at most 53 bits each (exact), so
//! the integer never overflows. Zero adds nothing. Any other value (subnormal, below
//! [`MIN`], at least 2^6, negative, non-finite) is refused and the caller adds it to an
//! [`ExactSum`] itself. An exact sum does not depend on how its values were split, so the
//! result equals [`ExactSum::add`] of every value, bit for bit.
//!
//! # Complexity
//! A few integer instructions per value, no branch on the data in the common case.

use crate::performance::exact::ExactSum;

/// Biased exponent of [`MIN`].
const E_MIN: u64 = 1023 - 58;
/// Smallest value the integer takes: 2^-58.
pub const MIN: f64 = f64::from_bits(E_MIN << 52);
/// Biased exponent of the first value refused above: 2^6.
const E_END: u64 = 1023 + 6;
/// Exponent of the unit, 2^-110.
const UNIT: i32 = -110;

/// An exact sum of values in [[`MIN`], 2^6), in units of 2^-110.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct FixedSum(pub u128);

impl FixedSum {
    /// Additions between two [`FixedSum::drain`]s: each adds below 2^116, so 2^11 of them
    /// stay below 2^127.
    pub const ADDS: u32 = 1 << 11;

    /// Adds `x` and returns `true`, or returns `false` (and adds nothing) when `x` is not
    /// zero and not in [[`MIN`], 2^6).
    #[inline(always)]
    pub fn add(&mut self, x: f64) -> bool {
        let bits = x.to_bits();
        // The sign bit is part of the exponent here: a negative value is out of range.
        let e = bits >> 52;
        let m = (bits & ((1 << 52) - 1)) | 1 << 52;
        let s = e.wrapping_sub(E_MIN);
        if s < E_END - E_MIN {
            // m << s (s < 64) as two words, without the general 128-bit shift.
            let (lo, hi) = (m << s, (m >> 1) >> (63 - s));
            self.0 += u128::from(hi) << 64 | u128::from(lo);
            true
        } else {
            bits == 0
        }
    }

    /// Moves the sum into `out` (exactly) and clears it.
    #[inline]
    pub fn drain(&mut self, out: &mut ExactSum) {
        let v = std::mem::take(&mut self.0);
        if v == 0 {
            return;
        }
        const MASK: u128 = (1 << 53) - 1;
        for shift in [0i32, 53, 106] {
            let part = (v >> shift) & MASK;
            if part != 0 {
                // A 53-bit integer times a power of two at least 2^-110: exact.
                out.add(part as f64 * pow2(UNIT + shift));
            }
        }
    }
}

/// `2^k` for `k` in the normal range.
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of every kind: typical scores, log-loss terms up to -ln(eps), the bounds of
    /// the range, tiny and subnormal values, and out-of-range ones.
    fn values(seed: u64, n: usize) -> Vec<f64> {
        let mut next = crate::performance::test_rng::lcg(seed);
        (0..n)
            .map(|_| {
                let u = next() as f64 / (1u64 << 53) as f64;
                match next() % 12 {
                    0 => 0.0,
                    1 => MIN,
                    2 => MIN * (1.0 - f64::EPSILON / 2.0),
                    3 => 64.0 - 64.0 * f64::EPSILON / 2.0,
                    4 => 64.0,
                    5 => f64::from_bits(next() % (1 << 52)),
                    6 => u * 1e-30,
                    7 => -u,
                    8 => -(f64::EPSILON.ln()) * u,
                    9 => f64::EPSILON,
                    _ => u,
                }
            })
            .collect()
    }

    #[test]
    fn sums_equal_exact_sums_bit_for_bit() {
        for (seed, n) in [(1u64, 10usize), (2, 5000), (3, 100_000)] {
            let xs = values(seed, n);
            let mut want = ExactSum::default();
            xs.iter().for_each(|&x| want.add(x));
            let (mut f, mut got, mut refused) = (FixedSum::default(), ExactSum::default(), 0);
            for (i, &x) in xs.iter().enumerate() {
                if !f.add(x) {
                    got.add(x);
                    refused += 1;
                }
                if i as u32 % FixedSum::ADDS == FixedSum::ADDS - 1 {
                    f.drain(&mut got);
                }
            }
            f.drain(&mut got);
            assert_eq!(got, want, "seed {seed}");
            assert_eq!(got.value().to_bits(), want.value().to_bits());
            assert!(refused > 0 && refused < n * 2 / 3, "seed {seed}: {refused}");
        }
    }

    #[test]
    fn the_range_is_exactly_min_to_64() {
        let mut f = FixedSum::default();
        assert!(f.add(0.0) && f.0 == 0);
        assert!(f.add(MIN) && f.0 == 1 << 52);
        assert!(!f.add(MIN * (1.0 - f64::EPSILON / 2.0)));
        assert!(f.add(64.0 * (1.0 - f64::EPSILON / 2.0)));
        for x in [64.0, -0.0, -1.0, f64::INFINITY, f64::NAN, 5e-324] {
            let before = f.0;
            assert!(!f.add(x), "{x}");
            assert_eq!(f.0, before);
        }
        // The most additions of the largest value do not overflow.
        let mut f = FixedSum::default();
        for _ in 0..FixedSum::ADDS {
            assert!(f.add(64.0 * (1.0 - f64::EPSILON / 2.0)));
        }
        let mut s = ExactSum::default();
        f.drain(&mut s);
        assert_eq!(
            s.value(),
            64.0 * (1.0 - f64::EPSILON / 2.0) * FixedSum::ADDS as f64
        );
    }
}
