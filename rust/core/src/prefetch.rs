//! Software prefetch for loops that read memory the hardware prefetcher does not fetch
//! in time: a stream that starts cold (a score bucket's rows, read right after the
//! previous bucket's in-cache work reset the prefetcher's streams) or random places
//! known a few rows ahead (a segment's state).
//!
//! # Definition
//! [`prefetch`] asks for the cache line holding an address, to the first-level cache. It
//! is a hint: it never faults, whatever the address, and changes no value. Elsewhere than
//! on x86-64 it does nothing.

/// How far ahead a streaming loop asks for its input: a page. Measured on the exact-AUC
/// bucket sort (10M rows): 1 KiB ahead gave 66 ms for the first pass, 4 KiB 21 ms,
/// 16 KiB 22 ms, none 84 ms.
pub const STREAM_AHEAD_BYTES: usize = 4096;

/// Bytes in a cache line.
pub const LINE_BYTES: usize = 64;

/// Asks for the cache line holding `p` (any address: out of bounds is harmless).
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint that never faults; nothing is read into Rust.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Asks for every cache line of `*v` (a struct read soon, whose memory is cold).
#[inline(always)]
pub fn prefetch_value<T>(v: &T) {
    let p = (v as *const T).cast::<u8>();
    let mut at = 0;
    while at < std::mem::size_of::<T>() {
        prefetch(p.wrapping_add(at));
        at += LINE_BYTES;
    }
}

/// Calls `f` on each element of `items` in order, asking [`STREAM_AHEAD_BYTES`] ahead for
/// the input once per cache line: for a loop whose input is cold in memory.
#[inline(always)]
pub fn for_each_streamed<T>(items: &[T], mut f: impl FnMut(usize, &T)) {
    let size = std::mem::size_of::<T>().max(1);
    let per_line = (LINE_BYTES / size).max(1);
    let ahead = STREAM_AHEAD_BYTES / size;
    let base = items.as_ptr();
    for (c, line) in items.chunks(per_line).enumerate() {
        let i = c * per_line;
        prefetch(base.wrapping_add(i + ahead));
        for (j, x) in line.iter().enumerate() {
            f(i + j, x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetching_any_value_or_address_changes_nothing() {
        let big = [7u8; 1000];
        prefetch_value(&big);
        prefetch_value(&());
        prefetch(std::ptr::null::<u64>());
        prefetch(big.as_ptr().wrapping_add(1 << 40));
        assert!(big.iter().all(|&b| b == 7));
    }

    #[test]
    fn visits_every_element_once_in_order() {
        for n in [0usize, 1, 3, 4, 5, 63, 64, 65, 1000, 5000] {
            let v: Vec<[u64; 2]> = (0..n as u64).map(|i| [i, 2 * i]).collect();
            let mut seen = Vec::new();
            for_each_streamed(&v, |i, x| {
                assert_eq!(x, &v[i]);
                seen.push(i);
            });
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            // Elements larger than a line, and of one byte.
            let big = vec![[0u8; 100]; n];
            let mut count = 0;
            for_each_streamed(&big, |i, _| {
                assert_eq!(i, count);
                count += 1;
            });
            assert_eq!(count, n);
            let bytes = vec![1u8; n];
            let mut sum = 0usize;
            for_each_streamed(&bytes, |_, &b| sum += usize::from(b));
            assert_eq!(sum, n);
        }
    }
}
