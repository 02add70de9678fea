//! Rank error of the quantile sketch as a profile builds it (16 stripes of 65,536-value
//! chunks, merged, shrunk), with and without the sampler: the measurement behind
//! `sketch::kll::sampler::SAMPLER_SHARE`.
//! `cargo run --release -p driftline-core --example kll_error -- [n] [trials]`.
use driftline_core::sketch::Kll;

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed
}

fn normal(seed: &mut u64) -> f64 {
    // Box-Muller on two uniforms.
    let u = ((lcg(seed) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let v = (lcg(seed) >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn max_error(xs: &[f64], level: u8) -> f64 {
    let stripes = 16usize;
    let per = xs.len().div_ceil(stripes);
    let mut acc: Option<Kll> = None;
    for stripe in xs.chunks(per) {
        let mut k = Kll::default();
        k.set_sample_level(level);
        for chunk in stripe.chunks(65_536) {
            let lo = chunk.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = chunk.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            k.update_clean_slice(chunk, lo, hi);
        }
        match acc.as_mut() {
            Some(a) => a.merge(&k).expect("every part has the same k"),
            None => acc = Some(k),
        }
    }
    let mut k = acc.unwrap();
    k.shrink();
    let mut sorted = xs.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len() as f64;
    (1..100)
        .map(|i| {
            let q = f64::from(i) / 100.0;
            let v = k.quantile(q).unwrap();
            let r = sorted.partition_point(|&x| x <= v) as f64 / n;
            (r - q).abs()
        })
        .fold(0.0, f64::max)
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let n = args.first().copied().unwrap_or(1_000_000) as usize;
    let trials = args.get(1).copied().unwrap_or(40) as usize;
    println!(
        "n = {n}, {trials} trials, chosen level {}",
        driftline_core::sketch::kll::sample_level(n as u64, 200)
    );
    for level in 0..=6u8 {
        let mut errs: Vec<f64> = (0..trials)
            .map(|t| {
                let mut seed = 1000 + t as u64;
                let xs: Vec<f64> = (0..n).map(|_| normal(&mut seed)).collect();
                max_error(&xs, level)
            })
            .collect();
        errs.sort_unstable_by(f64::total_cmp);
        let mean = errs.iter().sum::<f64>() / errs.len() as f64;
        println!(
            "level {level}: mean max error {:.4}%, worst {:.4}%",
            mean * 100.0,
            errs[errs.len() - 1] * 100.0
        );
    }
}
