//! Tests of the exact sums: exactness, order and split independence, the inline window.
use super::super::exact::*;

fn sum(v: &[f64]) -> ExactSum {
    let mut s = ExactSum::default();
    v.iter().for_each(|&x| s.add(x));
    s
}

#[test]
fn exact_where_floats_are_not() {
    assert_eq!(sum(&[1e308, 1.0, -1e308]).value(), 1.0);
    assert_eq!(sum(&[0.1, 0.2, 0.3]).value(), 0.6);
    assert_eq!(sum(&[0.1, 0.2, -0.3]).value(), 2.7755575615628914e-17);
    assert_eq!(sum(&[5e-324, 5e-324]).value(), 1e-323);
    assert_eq!(sum(&[-2.5, 1.0]).value(), -1.5);
    assert_eq!(sum(&[]).value(), 0.0);
    assert_eq!(sum(&[1e308, 1e308]).value(), f64::INFINITY);
    assert!(sum(&[f64::INFINITY, f64::NEG_INFINITY]).value().is_nan());
    assert_eq!(
        sum(&[f64::MAX, -f64::MAX, f64::MIN_POSITIVE]).value(),
        f64::MIN_POSITIVE
    );
}

#[test]
fn order_and_split_do_not_matter() {
    let mut state = 3u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let m = ((state >> 11) as f64) / (1u64 << 53) as f64 - 0.5;
        m * 10f64.powi(((state >> 3) % 40) as i32 - 20)
    };
    let v: Vec<f64> = (0..5000).map(|_| next()).collect();
    let whole = sum(&v);
    let mut rev = v.clone();
    rev.reverse();
    assert_eq!(sum(&rev).value().to_bits(), whole.value().to_bits());
    for cut in [0, 1, 77, 2500, 4999] {
        let mut a = sum(&v[..cut]);
        let b = sum(&v[cut..]);
        a.merge(&b);
        assert_eq!(a, whole);
        assert_eq!(a.value().to_bits(), whole.value().to_bits());
        let mut s = a.clone();
        s.shrink();
        assert!(s.is_consistent());
        assert_eq!(s.value().to_bits(), whole.value().to_bits());
    }
    let (hi, lo) = whole.value_dd();
    assert_eq!(hi, whole.value());
    assert!(lo.abs() <= hi.abs() * f64::EPSILON);
}

#[test]
fn window_value_equals_general_value() {
    let mut state = 5u64;
    for round in 0..200 {
        let mut s = ExactSum::default();
        for _ in 0..(round % 37 + 1) {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let m = ((state >> 11) as f64) / (1u64 << 53) as f64 - 0.6;
            s.add(m * 2f64.powi(((state >> 5) % 20) as i32 - 10));
        }
        assert!(s.spill.is_none());
        assert_eq!(s.value().to_bits(), s.to_wide().value().to_bits());
    }
}

#[test]
fn many_additions_carry() {
    let mut s = ExactSum::default();
    for _ in 0..3_000_000 {
        s.add(4294967295.0);
    }
    assert_eq!(s.value(), 4294967295.0 * 3_000_000.0);
}

#[test]
fn merges_of_full_windows_carry() {
    let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
    for i in 0..500 {
        a.add(f64::MAX / 4.0 * 0.99);
        b.add(-(f64::from(i) + 0.5) * 1e300);
    }
    let mut c = a.clone();
    c.merge(&b);
    c.merge(&b);
    assert!(c.is_consistent());
    let mut want = ExactSum::default();
    for i in 0..500 {
        want.add(f64::MAX / 4.0 * 0.99);
        want.add(-(f64::from(i) + 0.5) * 1e300);
        want.add(-(f64::from(i) + 0.5) * 1e300);
    }
    assert_eq!(c, want);
    assert_eq!(c.value().to_bits(), want.value().to_bits());
    let mut x = ExactSum::default();
    for _ in 0..1000 {
        x.add(-0.1);
    }
    let mut y = x.clone();
    y.merge(&x);
    assert_eq!(y.value(), -200.00000000000001);
}
