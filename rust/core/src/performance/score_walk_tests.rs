//! Tests of the score walk's bucket sort.

use super::*;

/// Rows of bucket `b`: `n` scores spread over the bucket, with repeats, a cluster
/// inside one sub-bucket, and the bucket's bounds; labels and payloads at random.
fn rows(b: usize, n: usize, seed: u64) -> Vec<[u64; 2]> {
    let mut next = crate::performance::test_rng::lcg(seed);
    let (lo, width) = (b as f64 / BUCKETS as f64, 1.0 / BUCKETS as f64);
    let mut out: Vec<[u64; 2]> = Vec::with_capacity(n);
    for i in 0..n {
        let u = next() as f64 / (1u64 << 53) as f64;
        let p = match next() % 8 {
            0 if i > 0 => f64::from_bits(out[(next() as usize) % i][0] >> 1),
            1 => lo + width * 0.25 + u * 1e-12,
            2 => lo,
            3 if b == BUCKETS - 1 => 1.0,
            3 if b == 0 => u * 1e-300,
            _ => lo + u * width,
        };
        assert_eq!(crate::performance::onepass::bucket_of(p), b);
        out.push([p.to_bits() << 1 | (next() & 1), next()]);
    }
    out
}

#[test]
fn a_bucket_sorts_by_key_and_keeps_its_rows() {
    let mut bufs = SortBufs::default();
    for (b, n) in [
        (0usize, 0usize),
        (0, 1),
        (7, 2),
        (BUCKETS / 2, 31),
        (BUCKETS / 2, 32),
        (BUCKETS / 2, 33),
        (0, 500),
        (BUCKETS - 1, 500),
        (1000, 5000),
        (1000, 9000),
        (BUCKETS - 1, 70_000),
    ] {
        let src = rows(b, n, (b * 31 + n) as u64);
        let mut dst = vec![[0u64; 2]; n];
        sort_bucket(b, &src, &mut dst, &mut bufs);
        assert!(
            dst.windows(2).all(|w| w[0][0] <= w[1][0]),
            "bucket {b}, {n} rows: not in key order"
        );
        let (mut got, mut want) = (dst.clone(), src.clone());
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "bucket {b}, {n} rows: rows lost or changed");
    }
}
