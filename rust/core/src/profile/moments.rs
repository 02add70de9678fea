//! Count, mean and sum of squared deviations of the finite values, merged with Chan's
//! formulas (Chan, Golub and LeVeque, 1979).
//!
//! # Numerics
//! A chunk's mean is computed on values scaled by a power of two when their magnitude could
//! overflow a sum (|x| > 1e300), so a column of 1e308 has mean 1e308 and variance 0 where a
//! plain sum gives inf. The merged mean is a weighted average (no `mean_b - mean_a`
//! overflow). A variance beyond f64's range is reported as inf, the truth rounded.

use serde::{Deserialize, Serialize};

/// Mergeable first and second moments of the finite values of a column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Moments {
    /// Number of finite values.
    pub n: u64,
    /// Their mean (0 when `n == 0`).
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    /// Moments of a slice of finite values (the caller removes NaN and inf).
    ///
    /// Two passes over the slice: the mean, then the squared deviations from it, which is
    /// exact to a few ulps for any slice that fits in cache.
    pub fn from_finite(values: &[f64], max_abs: f64) -> Self {
        let n = values.len();
        if n == 0 {
            return Self::default();
        }
        // Scale by a power of two (exact) when a sum could overflow.
        let scale = if max_abs > 1e300 { 2f64.powi(-64) } else { 1.0 };
        // Summing deviations from the first value keeps a constant column exact and
        // reduces rounding when values share a large offset.
        let shift = values[0] * scale;
        let mean_scaled = shift + sum_lanes(values, scale, shift) / n as f64;
        let mean = mean_scaled / scale;
        let m2 = if scale == 1.0 {
            sq_dev_lanes(values, mean, 1.0)
        } else {
            sq_dev_lanes(values, mean_scaled, scale) / (scale * scale)
        };
        Self {
            n: n as u64,
            mean,
            m2,
        }
    }

    /// Chan's parallel merge.
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let (na, nb, nf) = (self.n as f64, other.n as f64, n as f64);
        let delta = other.mean - self.mean;
        let mean = self.mean * (na / nf) + other.mean * (nb / nf);
        let m2 = if delta.is_finite() {
            self.m2 + other.m2 + delta * delta * (na * nb / nf)
        } else {
            // The means are so far apart that their difference overflows: so does the variance.
            f64::INFINITY
        };
        *self = Self { n, mean, m2 };
    }

    /// Population variance (ddof = 0); `None` without values.
    pub fn variance(&self, ddof: u64) -> Option<f64> {
        (self.n > ddof).then(|| self.m2 / (self.n - ddof) as f64)
    }
}

/// Sum with eight independent accumulators: vectorisable and with the error growth of a
/// pairwise sum at the top level.
fn sum_lanes(values: &[f64], scale: f64, shift: f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let rem = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            acc[i] += c[i] * scale - shift;
        }
    }
    let mut tail = 0.0;
    for &v in rem {
        tail += v * scale - shift;
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

fn sq_dev_lanes(values: &[f64], mean: f64, scale: f64) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let rem = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            let d = c[i] * scale - mean;
            acc[i] += d * d;
        }
    }
    let mut tail = 0.0;
    for &v in rem {
        let d = v * scale - mean;
        tail += d * d;
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_matches_whole() {
        let xs: Vec<f64> = (0..1000).map(|i| (i as f64).sin() * 1e3 + 5.0).collect();
        let whole = Moments::from_finite(&xs, 1e4);
        let mut a = Moments::from_finite(&xs[..317], 1e4);
        a.merge(&Moments::from_finite(&xs[317..], 1e4));
        assert!((a.mean - whole.mean).abs() < 1e-9);
        assert!((a.m2 - whole.m2).abs() / whole.m2 < 1e-12);
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let xs = vec![1e308; 100];
        let m = Moments::from_finite(&xs, 1e308);
        assert_eq!(m.mean, 1e308);
        assert_eq!(m.m2, 0.0);
    }
}
