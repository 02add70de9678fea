//! Tests of the regression error sums.
use super::*;

#[test]
fn rows_in_batches_equal_row_by_row() {
    let t: Vec<f64> = (0..1000)
        .map(|i| 1e4 + f64::from(i % 17) * 0.37 - 3.0)
        .collect();
    let p: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(i, &x)| x * (1.0 + (i % 5) as f64 * 1e-3) - 0.0)
        .collect();
    let (mut a, mut b) = (RegressionSums::default(), RegressionSums::default());
    t.iter().zip(&p).for_each(|(&x, &y)| a.add(x, y));
    b.add_rows(&t, &p);
    assert_eq!(a, b);
    assert_eq!(a.r2().unwrap().to_bits(), b.r2().unwrap().to_bits());
}

#[test]
fn pairs_equal_rows_and_count_nan_marked_rows_as_null() {
    let t: Vec<f64> = (0..700).map(|i| 3.0 + f64::from(i % 23) * 1.7).collect();
    let p: Vec<f64> = t.iter().map(|&x| x * 0.97 + 0.4).collect();
    let mut pairs: Vec<[f64; 2]> = t.iter().zip(&p).map(|(&a, &b)| [a, b]).collect();
    // Null rows interleaved, across batch boundaries.
    for at in [0, 255, 256, 300, 300, 702] {
        pairs.insert(at, [f64::NAN; 2]);
    }
    let (mut a, mut b) = (RegressionSums::default(), RegressionSums::default());
    a.add_rows(&t, &p);
    a.n_null = 6;
    b.add_pairs(&pairs);
    assert_eq!(a, b);
    assert_eq!(a.r2().unwrap().to_bits(), b.r2().unwrap().to_bits());
}

#[test]
fn overflowing_squares_and_residuals_are_undefined_not_zero() {
    let mut s = RegressionSums::default();
    for (t, p) in [(1e308, -1e308), (-1e308, 1e308), (1.0, 1.5), (2.0, 2.5)] {
        s.add(t, p);
    }
    // The residuals +-2e308 overflow: infinite errors, both infinities in their sum.
    assert_eq!(s.mae(), Ok(f64::INFINITY));
    assert_eq!(s.rmse(), Ok(f64::INFINITY));
    assert_eq!(s.r2(), Err(SQUARES_OVERFLOW));
    assert_eq!(s.mean_error(), Err(OPPOSITE_INFINITIES));
    // Labels whose squares overflow, predicted exactly: R2 is 1; predicted with an
    // error, R2 is unknown.
    let mut exact = RegressionSums::default();
    let mut off = RegressionSums::default();
    for t in [1e200, -3e200, 5e200] {
        exact.add(t, t);
        off.add(t, t * 0.5);
    }
    assert_eq!(exact.r2(), Ok(1.0));
    assert_eq!(off.r2(), Err(SQUARES_OVERFLOW));
    assert_eq!(off.mean_error(), Ok((1e200 - 3e200 + 5e200) * 0.5 / 3.0));
    // One row: undefined. A constant label: 1 when predicted exactly, else 0
    // (scikit-learn's conventions).
    let mut c = RegressionSums::default();
    c.add(2.0, 2.0);
    assert!(c.r2().is_err());
    c.add(2.0, 2.0);
    assert_eq!(c.r2(), Ok(1.0));
    c.add(2.0, 3.0);
    assert_eq!(c.r2(), Ok(0.0));
}

#[test]
fn sst_does_not_cancel() {
    let mut s = RegressionSums::default();
    for i in 0..1000 {
        let y = 1e8 + f64::from(i % 10);
        s.add(y, y);
    }
    // Deviations 0..9 around 4.5, 100 times each: 100 * sum (k - 4.5)^2 = 8250.
    assert!((s.sst() - 8250.0).abs() < 1e-6, "{}", s.sst());
}

#[test]
fn smape_terms_do_not_overflow_near_the_top_of_the_range() {
    // |t| + |p| (and |t - p|) overflow: the term is still 2 |t - p| / (|t| + |p|).
    let mut s = RegressionSums::default();
    s.add(1e308, -1e308);
    assert_eq!(s.smape(), Ok(2.0));
    let (t, p) = ([1.0e308, 1.5e308, -1.7e308], [1.1e308, 1.4e308, 0.9e308]);
    let (mut a, mut b) = (RegressionSums::default(), RegressionSums::default());
    t.iter().zip(&p).for_each(|(&x, &y)| a.add(x, y));
    b.add_rows(&t, &p);
    assert_eq!(a, b);
    // The grouped pass's rows, with a null row (NaN) among them.
    let mut pairs: Vec<[f64; 2]> = t.iter().zip(&p).map(|(&x, &y)| [x, y]).collect();
    pairs.insert(1, [f64::NAN; 2]);
    let mut c = RegressionSums::default();
    c.add_pairs(&pairs);
    b.n_null = 1;
    assert_eq!(b, c);
    // In exact terms: 0.2 / 2.1, 0.2 / 2.9 and 2 * 2.6 / 2.6.
    let want = (0.2 / 2.1 + 0.2 / 2.9 + 2.0) / 3.0;
    let got = a.smape().unwrap();
    assert!(
        (got - want).abs() <= 4.0 * f64::EPSILON * want,
        "{got} {want}"
    );
    // Subnormal values keep their exact terms (halving them would not).
    let mut tiny = RegressionSums::default();
    tiny.add(5e-324, 0.0);
    tiny.add(0.0, 0.0);
    assert_eq!(tiny.smape(), Ok(1.0));
}
