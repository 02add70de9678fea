//! Times the profile kernels on one column of 1M float64 values:
//! `cargo run --release -p driftline-core --example kernels`.
use std::time::Instant;

use driftline_core::hash::hash_f64;
use driftline_core::profile::{Histogram, Moments};
use driftline_core::sketch::{Hll, Kll};

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
    let t = Instant::now();
    let m = Moments::from_finite(&xs, 1.0);
    println!("moments {:?} {:?}", t.elapsed(), m.n);
    sort_only(&xs);
    let t = Instant::now();
    let mut k = Kll::default();
    k.update_slice(&xs);
    println!("kll {:?} {}", t.elapsed(), k.retained());
    let t = Instant::now();
    let mut h = Hll::default();
    let hs: Vec<u64> = xs.iter().map(|&x| hash_f64(x)).collect();
    h.insert_hashes(&hs);
    println!("hll {:?} {}", t.elapsed(), h.estimate());
    let edges: Vec<f64> = (1..10).map(|i| i as f64 / 10.0).collect();
    let mut hist = Histogram::new(edges).unwrap();
    let t = Instant::now();
    hist.add(&xs);
    println!("hist {:?} {:?}", t.elapsed(), hist.counts);
}

#[allow(dead_code)]
fn sort_only(xs: &[f64]) {
    let t = Instant::now();
    let mut total = 0u64;
    for block in xs.chunks(2048) {
        let mut keys: Vec<u64> = block.iter().map(|x| x.to_bits()).collect();
        keys.sort_unstable();
        total = total.wrapping_add(keys[0]);
    }
    println!("sort-only {:?} {}", t.elapsed(), total);
}
