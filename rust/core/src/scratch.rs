//! Large scratch buffers of the grouping passes: kept for the next call, and allocated so
//! that scattering into them does not thrash the TLB.
//!
//! # Definition
//! A counting sort of 10M rows writes a buffer of a few hundred MB. Fresh from the
//! kernel, every page of it faults and is zeroed on first touch, which costs about as
//! much as the sort itself; so a buffer, once its pass is done, goes back to a small
//! process-wide cache ([`Scratch`] returns it on drop) and the next pass of a similar size
//! reuses it. The cache keeps at most [`KEEP`] buffers and [`KEEP_BYTES`] bytes (the most
//! recently returned), so a process holds at most that much between calls.
//!
//! A counting sort writes each row to one of thousands of places at once (one per score
//! bucket or segment). With 4 KiB pages those places sit on thousands of different pages,
//! more than the TLB holds, and nearly every write walks the page tables. On Linux a new
//! buffer of at least [`HUGE_FROM`] bytes is therefore advised to use transparent huge
//! pages (`madvise(MADV_HUGEPAGE)`, effective where the kernel's setting is `madvise` or
//! `always`). The advice changes no content; elsewhere, or if the kernel declines, the
//! buffer is an ordinary one.
//!
//! # Assumptions
//! A reused buffer holds the values of its last use: the passes write every slot they
//! read (the counting sort checks it), and its element types are plain data
//! ([`bytemuck::Pod`]), for which any bits are a valid value.

use std::sync::Mutex;

use bytemuck::Pod;

/// Buffers from this size on are advised to use huge pages.
pub const HUGE_FROM: usize = 8 << 20;
/// Most buffers kept between calls.
pub const KEEP: usize = 2;
/// Most bytes kept between calls.
pub const KEEP_BYTES: usize = 768 << 20;

/// Buffers returned by finished passes (words of 8 bytes, so that any [`Pod`] type of
/// alignment up to 8 can view them).
static CACHE: Mutex<Vec<Vec<u64>>> = Mutex::new(Vec::new());

/// A buffer of `len` values of `T`, from the cache when one is large enough (and not more
/// than twice as large), returned to the cache when dropped.
pub struct Scratch<T: Pod> {
    words: Vec<u64>,
    /// Words in use (the buffer may be longer).
    used: usize,
    _t: std::marker::PhantomData<T>,
}

impl<T: Pod> Scratch<T> {
    /// A buffer of `len` values (their contents unspecified: zero or a previous pass's).
    pub fn new(len: usize) -> Self {
        // Whole words: the element types are 8-byte words or arrays of them.
        assert!(
            std::mem::size_of::<T>() % 8 == 0 && std::mem::align_of::<T>() <= 8,
            "scratch buffers hold whole 8-byte words"
        );
        let words = len * std::mem::size_of::<T>() / 8;
        let reused = {
            let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
            let fit = cache
                .iter()
                .enumerate()
                .filter(|(_, b)| b.len() >= words && b.len() <= 2 * words.max(1 << 16))
                .min_by_key(|(_, b)| b.len())
                .map(|(i, _)| i);
            fit.map(|i| cache.swap_remove(i))
        };
        let buffer = reused.unwrap_or_else(|| {
            let mut v = vec![0u64; words];
            advise_huge(&mut v);
            v
        });
        Self {
            used: words,
            words: buffer,
            _t: std::marker::PhantomData,
        }
    }

    /// The values.
    pub fn as_slice(&self) -> &[T] {
        bytemuck::cast_slice(&self.words[..self.used])
    }

    /// The values, writable.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        bytemuck::cast_slice_mut(&mut self.words[..self.used])
    }
}

impl<T: Pod> Drop for Scratch<T> {
    fn drop(&mut self) {
        let words = std::mem::take(&mut self.words);
        if words.len() * 8 < HUGE_FROM || words.len() * 8 > KEEP_BYTES {
            return;
        }
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache.push(words);
        // Keep the most recent ones within the limits.
        while cache.len() > KEEP || cache.iter().map(|b| b.len() * 8).sum::<usize>() > KEEP_BYTES {
            cache.remove(0);
        }
    }
}

/// Frees every cached buffer (a long-running process that will not group large inputs
/// again can give the memory back).
pub fn release() {
    CACHE.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

#[cfg(target_os = "linux")]
fn advise_huge(v: &mut [u64]) {
    const HUGE: usize = 2 << 20;
    let bytes = std::mem::size_of_val(v);
    if bytes < HUGE_FROM {
        return;
    }
    let start = v.as_mut_ptr() as usize;
    // Only whole huge pages inside the buffer.
    let (from, to) = (
        (start + HUGE - 1) & !(HUGE - 1),
        (start + bytes) & !(HUGE - 1),
    );
    if to > from {
        // SAFETY: [from, to) lies inside the buffer `v` owns; MADV_HUGEPAGE is advice that
        // keeps the contents, and a refusal (an error return) changes nothing.
        unsafe {
            libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_: &mut [u64]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_reused_for_a_similar_size_and_views_any_pod_type() {
        release();
        let n = HUGE_FROM / 16 + 10;
        let mut a: Scratch<[u64; 2]> = Scratch::new(n);
        a.as_mut_slice()[n - 1] = [7, 9];
        let ptr = a.as_slice().as_ptr() as usize;
        drop(a);
        let b: Scratch<u64> = Scratch::new(2 * n);
        assert_eq!(b.as_slice().as_ptr() as usize, ptr);
        assert_eq!(b.as_slice().len(), 2 * n);
        assert_eq!(b.as_slice()[2 * n - 1], 9);
        drop(b);
        // Far smaller: a new buffer, the large one stays cached.
        let c: Scratch<[f64; 2]> = Scratch::new(10);
        assert_ne!(c.as_slice().as_ptr() as usize, ptr);
        release();
    }
}
