//! Bin edges of a numeric column from its quantile sketch: the reference's bins, on which
//! both sides of a drift comparison are counted.

use super::ColumnProfile;
use crate::sketch::Kll;

/// Edges at the `bins`-quantiles of a column's sketch: distinct, finite, sorted.
///
/// # Definition
/// The sketch's `i / bins` quantiles for `i = 1 .. bins - 1`, infinite ones dropped and
/// ties merged. When that leaves fewer than `bins - 1` edges, or the top edge is the
/// maximum, two edges are added: the smallest finite value and the next double above the
/// largest finite value (bins are closed on the left, so values below the reference's
/// finite support, and values above it, each get a bin of their own); a column whose
/// every value is infinite gets `-f64::MAX` and `f64::MAX`, which part `-inf`, the finite
/// values and `+inf`.
///
/// # Assumptions
/// Ties and infinities are what merge quantiles: a constant column has one distinct
/// quantile, a mostly `-inf` one none, a two-valued one two. Without the added edges
/// such a reference leaves its whole mass in an outer bin (a constant `v` gives the bins
/// `< v` and `>= v`), and a current column moved above its maximum, or below its
/// minimum, would be counted in the same bin as the reference: the binned statistics
/// would see no change. Continuous columns keep their `bins - 1` quantile edges.
///
/// # Complexity
/// O(sketch size) for the quantiles; the added edges read the sketch's points once.
pub fn quantile_edges(column: &ColumnProfile, bins: usize) -> Vec<f64> {
    let Some(k) = &column.quantiles else {
        return Vec::new();
    };
    let qs: Vec<f64> = (1..bins.max(1)).map(|i| i as f64 / bins as f64).collect();
    let mut edges: Vec<f64> = k
        .quantiles(&qs)
        .into_iter()
        .flatten()
        .filter(|e| e.is_finite())
        .collect();
    edges.sort_unstable_by(f64::total_cmp);
    edges.dedup();
    if qs.is_empty() {
        return edges;
    }
    let support = finite_support(column, k);
    let top_is_max = support.is_some_and(|(_, hi)| edges.last() == Some(&hi));
    if edges.len() < qs.len() || top_is_max {
        let (lo, above) = match support {
            // No finite double lies above f64::MAX: only +inf exceeds it, and it shares
            // the last bin with the maximum (edges are finite).
            Some((lo, hi)) => (lo, (hi < f64::MAX).then(|| hi.next_up())),
            // Every value infinite: the extreme finite doubles keep -inf, the finite
            // values and +inf (with f64::MAX) apart.
            None if !k.is_empty() => (-f64::MAX, Some(f64::MAX)),
            None => return edges,
        };
        edges.push(lo);
        edges.extend(above);
        edges.sort_unstable_by(f64::total_cmp);
        edges.dedup();
    }
    edges
}

/// The smallest and largest finite values: the profile's exact min and max when finite,
/// else the sketch's extreme finite points (`None` when every value is infinite).
fn finite_support(column: &ColumnProfile, k: &Kll) -> Option<(f64, f64)> {
    let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
    let (lo, hi) = (finite(column.min), finite(column.max));
    if let (Some(lo), Some(hi)) = (lo, hi) {
        return Some((lo, hi));
    }
    let (points, _) = k.cdf_points();
    let lo = lo.or_else(|| points.iter().copied().find(|v| v.is_finite()))?;
    let hi = hi.or_else(|| points.iter().rev().copied().find(|v| v.is_finite()))?;
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ColumnKind;
    use crate::profile::SketchConfig;

    fn column(values: &[f64]) -> ColumnProfile {
        let cfg = SketchConfig::default();
        let mut c =
            ColumnProfile::empty("x", "float64".into(), ColumnKind::Numeric, &cfg, None).unwrap();
        c.update_numeric(values, true);
        c
    }

    #[test]
    fn continuous_columns_keep_their_quantile_edges() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let edges = quantile_edges(&column(&values), 4);
        assert_eq!(edges.len(), 3);
        assert!(edges.iter().all(|&e| e > 0.0 && e < 999.0));
    }

    #[test]
    fn a_constant_column_gets_edges_around_its_value() {
        for bins in [2, 10] {
            let edges = quantile_edges(&column(&[0.0; 100]), bins);
            assert_eq!(edges, vec![0.0, f64::from_bits(1)], "bins = {bins}");
        }
        let edges = quantile_edges(&column(&[f64::MAX; 10]), 10);
        assert_eq!(edges, vec![f64::MAX]);
    }

    #[test]
    fn two_values_and_infinities_keep_the_support_apart() {
        let two: Vec<f64> = (0..100).map(|i| f64::from(i % 2)).collect();
        assert_eq!(
            quantile_edges(&column(&two), 10),
            vec![0.0, 1.0, 1.0f64.next_up()]
        );
        let mut mostly = vec![f64::NEG_INFINITY; 95];
        mostly.extend([1.0, 2.0, 3.0, 4.0, 5.0]);
        mostly.push(f64::INFINITY);
        assert_eq!(
            quantile_edges(&column(&mostly), 10),
            vec![1.0, 5.0f64.next_up()]
        );
        let apart = vec![-f64::MAX, f64::MAX];
        assert_eq!(quantile_edges(&column(&[f64::INFINITY; 5]), 10), apart);
        assert_eq!(quantile_edges(&column(&[f64::NEG_INFINITY; 5]), 2), apart);
        assert!(quantile_edges(&column(&[]), 10).is_empty());
    }
}
