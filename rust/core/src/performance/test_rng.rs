//! A seeded generator for the tests: the same random values on every run and machine,
//! without a dependency.

/// A 64-bit linear congruential generator from `seed` (Knuth's MMIX constants), yielding
/// the top 53 bits of its state.
pub(crate) fn lcg(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 11
    }
}
