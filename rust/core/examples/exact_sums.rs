//! Times the exact sums on 10M rows of gamma(2, 10)-distributed labels and predictions
//! (median of 5 runs, single-threaded): `RegressionSums::add_rows` in ns per row, and
//! `ExactSum::add_batch` per 256-value chunk, `ExactSum::add` one by one and a plain float
//! sum in ns per value:
//! `cargo run --release -p driftline-core --example exact_sums`.
use std::time::Instant;

use driftline_core::performance::exact::ExactSum;
use driftline_core::performance::exact_batch::BATCH;
use driftline_core::performance::regression::RegressionSums;

const N: usize = 10_000_000;

fn median(label: &str, n: usize, mut f: impl FnMut()) {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    println!(
        "{label:>16}: {:6.2} ns/value ({:6.1} ms)",
        t[2] * 1e9 / n as f64,
        t[2] * 1e3
    );
}

fn main() {
    let mut s = 7u64;
    let mut unit = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    // Gamma(2, 10): the sum of two exponentials of mean 10.
    let mut gamma = || -10.0 * (unit().ln() + unit().ln());
    let t: Vec<f64> = (0..N).map(|_| gamma()).collect();
    let p: Vec<f64> = t.iter().map(|&y| 0.5 * y + 0.5 * gamma()).collect();

    median("add_rows", N, || {
        let mut r = RegressionSums::default();
        r.add_rows(&t, &p);
        std::hint::black_box(&r);
    });
    let mut reference = ExactSum::default();
    median("add_batch", N, || {
        let mut e = ExactSum::default();
        let mut buf = [0f64; BATCH];
        for c in t.chunks(BATCH) {
            buf[..c.len()].copy_from_slice(c);
            e.add_batch(&mut buf[..c.len()]);
        }
        reference = std::hint::black_box(e);
    });
    median("add one by one", N, || {
        let mut e = ExactSum::default();
        for &x in &t {
            e.add(x);
        }
        assert!(std::hint::black_box(e) == reference);
    });
    median("float sum", N, || {
        std::hint::black_box(t.iter().sum::<f64>());
    });
}
