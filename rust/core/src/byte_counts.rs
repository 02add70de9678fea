//! Counting byte strings (the categories of a string or binary chunk) with one hash-table
//! lookup each: the kernel under [`crate::input::for_each_category`].

use arrow_array::Array;

use crate::Result;

/// [`count_bytes`] over a string or binary array, walking its offsets directly when it
/// has no nulls (no validity test and no option per value).
pub(crate) fn count_byte_array<T: arrow_array::types::ByteArrayType>(
    a: &arrow_array::GenericByteArray<T>,
    f: &mut impl FnMut(&[u8], u64),
) -> Result<u64>
where
    T::Native: AsRef<[u8]>,
{
    use arrow_buffer::ArrowNativeType;
    if a.null_count() == 0 {
        let data = a.value_data();
        let offsets = a.value_offsets();
        count_bytes(
            offsets
                .windows(2)
                .map(|w| Some(&data[w[0].as_usize()..w[1].as_usize()])),
            f,
        )
    } else {
        count_bytes(
            (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).as_ref())),
            f,
        )
    }
}

/// Counts byte strings with one hash-table lookup each, then reports each distinct one.
///
/// The table's own hash need not be stable (the stable hash is taken once per distinct
/// string by the caller). A string of up to 15 bytes is held in the table as two words
/// that encode it exactly (its bytes and its length), hashed with one folded multiply and
/// compared as two integers; a longer one is keyed by xxh3 and compared byte for byte.
/// Entries are 32 bytes, so a thousand categories stay within the first cache levels. The
/// hash is keyed per process so that crafted inputs cannot pile strings onto one bucket.
pub(crate) fn count_bytes<'a>(
    iter: impl Iterator<Item = Option<&'a [u8]>>,
    f: &mut impl FnMut(&[u8], u64),
) -> Result<u64> {
    struct Entry {
        words: (u64, u64),
        count: u64,
        /// Index of the string in `seen`.
        slot: usize,
    }
    let mut table: hashbrown::HashTable<Entry> = hashbrown::HashTable::new();
    let mut seen: Vec<&'a [u8]> = Vec::new();
    let mut nulls = 0u64;
    let key = table_key();
    for v in iter {
        let Some(bytes) = v else {
            nulls += 1;
            continue;
        };
        let words = words_of(bytes, key.0);
        let hash = fold(words, key);
        let found = if words.1 == LONG {
            table.find_mut(hash, |e| e.words == words && seen[e.slot] == bytes)
        } else {
            table.find_mut(hash, |e| e.words == words)
        };
        match found {
            Some(e) => e.count += 1,
            None => {
                let entry = Entry {
                    words,
                    count: 1,
                    slot: seen.len(),
                };
                table.insert_unique(hash, entry, |e| fold(e.words, key));
                seen.push(bytes);
            }
        }
    }
    for e in table.iter() {
        f(seen[e.slot], e.count);
    }
    Ok(nulls)
}

/// Second word of a string longer than 15 bytes (no short string's second word has a
/// top byte above 15).
const LONG: u64 = u64::MAX;

/// This process's random key of the table hash.
fn table_key() -> (u64, u64) {
    use std::hash::BuildHasher;
    static KEY: std::sync::OnceLock<(u64, u64)> = std::sync::OnceLock::new();
    *KEY.get_or_init(|| {
        let s = std::collections::hash_map::RandomState::new();
        (s.hash_one(1u64) | 1, s.hash_one(2u64) | 1)
    })
}

/// Two words that encode a string of up to 15 bytes exactly: its first eight bytes, then
/// the rest with the length in the top byte (overlapping loads, no per-byte loop). A
/// longer string gets its keyed xxh3 and [`LONG`].
#[inline(always)]
fn words_of(b: &[u8], key: u64) -> (u64, u64) {
    let n = b.len();
    let load8 = |s: &[u8]| u64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
    let load4 = |s: &[u8]| u64::from(u32::from_le_bytes(s.try_into().unwrap_or([0; 4])));
    let len = (n as u64) << 56;
    match n {
        0 => (0, len),
        1..=3 => (
            u64::from(b[0])
                | u64::from(b[n / 2]) << (8 * (n / 2))
                | u64::from(b[n - 1]) << (8 * (n - 1)),
            len,
        ),
        4..=7 => (load4(&b[..4]) | load4(&b[n - 4..]) << (8 * (n - 4)), len),
        8 => (load8(b), len),
        9..=15 => (load8(&b[..8]), load8(&b[n - 8..]) >> (8 * (16 - n)) | len),
        _ => (xxhash_rust::xxh3::xxh3_64_with_seed(b, key), LONG),
    }
}

/// The table hash of a string's words: one folded multiply.
#[inline(always)]
fn fold(words: (u64, u64), key: (u64, u64)) -> u64 {
    let p = u128::from(words.0 ^ key.0) * u128::from(words.1 ^ key.1);
    (p as u64) ^ ((p >> 64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn counts_strings_of_every_length_exactly() {
        // Near-duplicates of every length up to 40: each differs from another in one byte,
        // at the start, the middle or the end, so the short keys must hold every byte.
        let mut seed = 17u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let mut base: Vec<Vec<u8>> = Vec::new();
        for len in 0..=40usize {
            let s: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            base.push(s.clone());
            for pos in [0, len / 2, len.saturating_sub(1)] {
                if len > 0 {
                    let mut t = s.clone();
                    t[pos] ^= 0x20;
                    base.push(t);
                }
            }
            let mut z = s.clone();
            z.push(0);
            base.push(z);
        }
        // Zero bytes: a string and the same string with trailing zeros are distinct.
        for k in 0..20usize {
            let mut z = vec![b'a'];
            z.resize(1 + k, 0);
            base.push(z);
            base.push(vec![0; k]);
        }
        let rows: Vec<Option<&[u8]>> = (0..20_000)
            .map(|i| (i % 13 != 0).then(|| base[next() % base.len()].as_slice()))
            .collect();
        let mut want: BTreeMap<&[u8], u64> = BTreeMap::new();
        for r in rows.iter().flatten() {
            *want.entry(*r).or_default() += 1;
        }
        let mut got: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let nulls = count_bytes(rows.iter().copied(), &mut |b: &[u8], c| {
            assert!(got.insert(b.to_vec(), c).is_none(), "reported twice");
        })
        .unwrap();
        assert_eq!(nulls, rows.iter().filter(|r| r.is_none()).count() as u64);
        let want: BTreeMap<Vec<u8>, u64> = want.into_iter().map(|(k, v)| (k.to_vec(), v)).collect();
        assert_eq!(got, want);
    }
}
