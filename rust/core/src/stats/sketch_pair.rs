//! Two quantile sketches side by side: what profile-against-profile drift needs of a
//! numeric column, in one pass over the two step CDFs.
//!
//! A KLL sketch is a weighted sample whose step CDF is within its rank error of the data's
//! CDF (exact when it kept every value). From the two CDFs this computes the KS statistic,
//! the Wasserstein-1 distance over the finite support, and both sides' counts on shared
//! bin edges, so that a comparison of stored profiles costs one native call per column.

use rayon::prelude::*;

use crate::sketch::Kll;
use crate::stats::ks::ks_statistic_from_cdfs;

/// The numbers drift needs from a pair of sketches of one column.
#[derive(Debug, Clone, PartialEq)]
pub struct SketchPair {
    /// `sup |F_ref - F_cur|` over the sketch values (NaN when a side is empty).
    pub ks: f64,
    /// `integral |F_ref - F_cur| dx` over the finite sketch values (NaN when a side is
    /// empty, 0 with fewer than two finite points). Weights of `-inf` count in `F` from
    /// the start; those of `+inf` never do.
    pub wasserstein: f64,
    /// Reference counts per bin: below the first edge, between edges, from the last edge.
    pub ref_counts: Vec<f64>,
    /// Current counts on the same bins.
    pub cur_counts: Vec<f64>,
    /// Values the reference sketch stands for.
    pub n_ref: f64,
    /// Values the current sketch stands for.
    pub n_cur: f64,
    /// The reference sketch kept every value (its CDF is the data's).
    pub ref_exact: bool,
    /// The current sketch kept every value.
    pub cur_exact: bool,
}

struct Cdf {
    values: Vec<f64>,
    cum: Vec<f64>,
    exact: bool,
}

impl Cdf {
    fn of(k: Option<&Kll>) -> Self {
        let (values, cum) = k.map(Kll::cdf_points).unwrap_or_default();
        let exact = cum.iter().zip(cum.iter().skip(1)).all(|(a, b)| b - a == 1)
            && cum.first().is_none_or(|&c| c == 1);
        Self {
            values,
            cum: cum.into_iter().map(|c| c as f64).collect(),
            exact,
        }
    }

    fn n(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    /// Counts of values below each edge and from the last edge on (`edges.len() + 1`).
    fn bin_counts(&self, edges: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(edges.len() + 1);
        let mut prev = 0.0;
        for &e in edges {
            let below = self.values.partition_point(|&v| v < e);
            let cum = if below == 0 { 0.0 } else { self.cum[below - 1] };
            out.push(cum - prev);
            prev = cum;
        }
        out.push(self.n() - prev);
        out
    }
}

/// Walks the union of both supports; at each finite point `x_i` (ascending) the gap
/// `|F_a(x_i) - F_b(x_i)|` is held until the next finite point.
fn wasserstein_over_finite(a: &Cdf, b: &Cdf) -> f64 {
    let (ta, tb) = (a.n(), b.n());
    let (n, m) = (a.values.len(), b.values.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    let mut prev: Option<(f64, f64)> = None;
    while i < n || j < m {
        let v = if j >= m || (i < n && a.values[i] <= b.values[j]) {
            a.values[i]
        } else {
            b.values[j]
        };
        while i < n && a.values[i] <= v {
            i += 1;
        }
        while j < m && b.values[j] <= v {
            j += 1;
        }
        if !v.is_finite() {
            continue;
        }
        if let Some((x, gap)) = prev {
            total += gap * (v - x);
        }
        let fa = if i == 0 { 0.0 } else { a.cum[i - 1] / ta };
        let fb = if j == 0 { 0.0 } else { b.cum[j - 1] / tb };
        prev = Some((v, (fa - fb).abs()));
    }
    total
}

/// Compares the sketches of one column (`None`: the column kept no sketch, as empty).
pub fn sketch_pair(reference: Option<&Kll>, current: Option<&Kll>, edges: &[f64]) -> SketchPair {
    let a = Cdf::of(reference);
    let b = Cdf::of(current);
    let (ks, wasserstein) = if a.values.is_empty() || b.values.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        let ks = ks_statistic_from_cdfs(&a.values, &a.cum, &b.values, &b.cum)
            .map(|s| s.statistic)
            .unwrap_or(f64::NAN);
        (ks, wasserstein_over_finite(&a, &b))
    };
    SketchPair {
        ks,
        wasserstein,
        ref_counts: a.bin_counts(edges),
        cur_counts: b.bin_counts(edges),
        n_ref: a.n(),
        n_cur: b.n(),
        ref_exact: a.exact,
        cur_exact: b.exact,
    }
}

/// [`sketch_pair`] of many pairs (no edges), in parallel: one column in every segment of
/// two segmented profiles, for drift per segment.
pub fn sketch_pairs(pairs: &[(Option<&Kll>, Option<&Kll>)]) -> Vec<SketchPair> {
    // A segment's sketches hold tens to a few thousand points: chunks of pairs keep each
    // task long enough to be worth a thread.
    pairs
        .par_iter()
        .with_min_len(64)
        .map(|&(a, b)| sketch_pair(a, b, &[]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kll(values: &[f64]) -> Kll {
        let mut k = Kll::new(200);
        for &v in values {
            k.update(v);
        }
        k
    }

    #[test]
    fn exact_sketches_give_the_empirical_statistics() {
        let a = kll(&[1.0, 2.0, 3.0, 4.0]);
        let b = kll(&[2.5, 3.5, 4.5, 5.5]);
        let p = sketch_pair(Some(&a), Some(&b), &[2.0, 4.0]);
        assert!(p.ref_exact && p.cur_exact);
        assert_eq!(p.ks, 0.5);
        // scipy.stats.wasserstein_distance([1, 2, 3, 4], [2.5, 3.5, 4.5, 5.5]) = 1.5
        assert!((p.wasserstein - 1.5).abs() < 1e-12);
        assert_eq!(p.ref_counts, vec![1.0, 2.0, 1.0]);
        assert_eq!(p.cur_counts, vec![0.0, 2.0, 2.0]);
        assert_eq!((p.n_ref, p.n_cur), (4.0, 4.0));
    }

    #[test]
    fn infinities_count_in_the_cdf_but_not_in_the_distance() {
        let a = kll(&[f64::NEG_INFINITY, 1.0, 2.0, f64::INFINITY]);
        let b = kll(&[1.0, 2.0]);
        let p = sketch_pair(Some(&a), Some(&b), &[]);
        // F_a(1) = 1/2, F_b(1) = 1/2: no gap over [1, 2].
        assert_eq!(p.wasserstein, 0.0);
        assert_eq!(p.ref_counts, vec![4.0]);
    }

    #[test]
    fn an_empty_side_gives_nan_and_zero_counts() {
        let a = kll(&[1.0]);
        let p = sketch_pair(Some(&a), None, &[0.0]);
        assert!(p.ks.is_nan() && p.wasserstein.is_nan());
        assert_eq!(p.cur_counts, vec![0.0, 0.0]);
        assert_eq!(p.n_cur, 0.0);
    }

    #[test]
    fn pairs_come_back_in_order() {
        let sketches: Vec<Kll> = (0..300)
            .map(|i| {
                kll(&(0..i % 40)
                    .map(|j| f64::from(j * i % 17))
                    .collect::<Vec<_>>())
            })
            .collect();
        let pairs: Vec<(Option<&Kll>, Option<&Kll>)> = (0..300)
            .map(|i| (Some(&sketches[i]), (i % 7 != 0).then(|| &sketches[299 - i])))
            .collect();
        let all = sketch_pairs(&pairs);
        assert_eq!(all.len(), pairs.len());
        for (p, &(a, b)) in all.iter().zip(&pairs) {
            let one = sketch_pair(a, b, &[]);
            assert_eq!(p.ks.to_bits(), one.ks.to_bits());
            assert_eq!(p.wasserstein.to_bits(), one.wasserstein.to_bits());
            assert_eq!((p.n_ref, p.n_cur), (one.n_ref, one.n_cur));
        }
    }
}
