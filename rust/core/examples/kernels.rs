//! Times the profile kernels on one column of 1M float64 values (best of 10 runs, in
//! nanoseconds per value): `cargo run --release -p driftline-core --example kernels`.
use std::time::Instant;

use driftline_core::hash::hash_f64;
use driftline_core::profile::{ColumnProfile, Histogram, Moments, SketchConfig};
use driftline_core::sketch::{Hll, Kll};

fn best(label: &str, n: usize, mut f: impl FnMut()) {
    let mut b = f64::INFINITY;
    for _ in 0..10 {
        let t = Instant::now();
        f();
        b = b.min(t.elapsed().as_secs_f64());
    }
    println!("{label:>12}: {:6.2} ns/value", b * 1e9 / n as f64);
}

fn main() {
    let mut s = 1u64;
    let xs: Vec<f64> = (0..1_000_000)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let n = xs.len();
    best("moments", n, || {
        std::hint::black_box(Moments::from_finite(&xs, 1.0));
    });
    best("kll", n, || {
        let mut k = Kll::default();
        k.update_clean_slice(&xs, 0.0, 1.0);
        std::hint::black_box(k.retained());
    });
    best("kll sampled", n, || {
        let mut k = Kll::default();
        k.set_sample_level(driftline_core::sketch::kll::sample_level(n as u64, 200));
        for part in xs.chunks(65_536) {
            k.update_clean_slice(part, 0.0, 1.0);
        }
        std::hint::black_box(k.retained());
    });
    best("hash+hll", n, || {
        let mut h = Hll::default();
        let mut hashes = [0u64; 256];
        for block in xs.chunks(256) {
            for (slot, &v) in hashes.iter_mut().zip(block) {
                *slot = hash_f64(v);
            }
            h.insert_hashes(&hashes[..block.len()]);
        }
        std::hint::black_box(h.estimate());
    });
    let edges: Vec<f64> = (1..10).map(|i| i as f64 / 10.0).collect();
    best("histogram", n, || {
        let mut hist = Histogram::new(edges.clone()).unwrap();
        hist.add(&xs);
        std::hint::black_box(hist.counts[0]);
    });
    let cfg = SketchConfig::default();
    best("column", n, || {
        let mut c = ColumnProfile::empty(
            "x",
            "float64".into(),
            driftline_core::input::ColumnKind::Numeric,
            &cfg,
            None,
        )
        .unwrap();
        c.expect_values(n as u64);
        for part in xs.chunks(65_536) {
            c.update_numeric(part, true);
        }
        std::hint::black_box(c.count);
    });
}
