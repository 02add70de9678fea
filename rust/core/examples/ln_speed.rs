//! Times the natural logarithm of the log-loss terms on 10M values in (0, 1), in
//! nanoseconds per value (median of 3 runs): `f64::ln` (the platform's libm), the
//! branch-free scalar `ln` in a loop, and `log_loss_terms` over batches of 256 (as the
//! binary one pass calls it):
//! `cargo run --release -p driftline-core --example ln_speed`.
use std::hint::black_box;
use std::time::Instant;

use driftline_core::performance::confusion::log_loss_term;
use driftline_core::performance::ln::{ln, log_loss_terms};

const N: usize = 10_000_000;
const BATCH: usize = 256;

fn median(label: &str, mut f: impl FnMut() -> f64) {
    let mut t = [0.0; 3];
    let mut check = 0.0;
    for s in &mut t {
        let start = Instant::now();
        check += f();
        *s = start.elapsed().as_secs_f64();
    }
    t.sort_by(f64::total_cmp);
    println!(
        "{label:>28}: {:5.2} ns/value  (runs {:.1} {:.1} {:.1} ms; checksum {check:.6e})",
        t[1] * 1e9 / N as f64,
        t[0] * 1e3,
        t[1] * 1e3,
        t[2] * 1e3,
    );
}

fn main() {
    let mut s = 1u64;
    let xs: Vec<f64> = (0..N)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let ys: Vec<bool> = xs.iter().map(|&x| x.to_bits() & 2 == 0).collect();
    let clamped: Vec<f64> = xs
        .iter()
        .map(|&x| x.clamp(f64::EPSILON, 1.0 - f64::EPSILON))
        .collect();
    let xs = black_box(xs);
    let clamped = black_box(clamped);
    let mut out = vec![0.0; N];

    median("f64::ln", || clamped.iter().map(|&x| x.ln()).sum());
    median("ln (scalar loop)", || clamped.iter().map(|&x| ln(x)).sum());
    median("ln into a slice", || {
        for (o, &x) in out.iter_mut().zip(clamped.iter()) {
            *o = ln(x);
        }
        black_box(&out)[N - 1]
    });
    median("log_loss_term, f64::ln", || {
        // The term as it was before `ln`: the libm call per row.
        let eps = f64::EPSILON;
        xs.iter()
            .zip(&ys)
            .map(|(&p, &y)| -(if y { p } else { 1.0 - p }).clamp(eps, 1.0 - eps).ln())
            .sum()
    });
    median("log_loss_term (scalar)", || {
        xs.iter().zip(&ys).map(|(&p, &y)| log_loss_term(p, y)).sum()
    });
    median("log_loss_terms (256 batch)", || {
        let mut buf = [0.0; BATCH];
        let mut acc = 0.0;
        for (p, y) in xs.chunks(BATCH).zip(ys.chunks(BATCH)) {
            let o = &mut buf[..p.len()];
            log_loss_terms(p, y, o);
            acc += black_box(&*o)[0];
        }
        acc
    });
}
