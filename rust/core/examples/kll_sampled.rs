//! Profiles the sampled quantile-sketch intake alone (for `perf record`):
//! `cargo run --release -p driftline-core --example kll_sampled`.
use driftline_core::sketch::Kll;

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
    let mut total = 0usize;
    for _ in 0..300 {
        let mut k = Kll::default();
        k.set_sample_level(3);
        for part in xs.chunks(65_536) {
            k.update_clean_slice(part, 0.0, 1.0);
        }
        total += k.retained();
    }
    println!("{total}");
}
