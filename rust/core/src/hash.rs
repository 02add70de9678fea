//! Fixed-seed hashing shared by every mergeable sketch and by the dataset fingerprint.
//!
//! The seeds are constants: a sketch built on one worker must hash a value exactly as a
//! sketch built on another, and a fingerprint must not change between runs. (The default
//! hashers of std, hashbrown and ahash are seeded per process and would break both.)

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seed of every driftline hash (format version 1).
pub const SEED: u64 = 0xD21F_71E0_0000_0001;

/// Mixes a 64-bit word into a well-distributed hash (the murmur3/splitmix64 finaliser with
/// the seed folded in first).
#[inline(always)]
pub fn hash_u64(x: u64) -> u64 {
    let mut z = x ^ SEED;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a float by value: `-0.0` hashes as `0.0` and every NaN as one canonical NaN, so
/// equal values (as `==` and the profile's NaN count see them) hash equally.
#[inline(always)]
pub fn hash_f64(x: f64) -> u64 {
    let bits = if x == 0.0 {
        0
    } else if x.is_nan() {
        0x7FF8_0000_0000_0000
    } else {
        x.to_bits()
    };
    hash_u64(bits)
}

/// Hash of a byte string (strings, binary values, category names).
#[inline(always)]
pub fn hash_bytes(b: &[u8]) -> u64 {
    xxh3_64_with_seed(b, SEED)
}
