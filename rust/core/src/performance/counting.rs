//! A parallel, stable counting sort into one buffer: records of several blocks placed by
//! group, each group contiguous, the blocks' records in block order within a group.
//!
//! # Definition
//! Each block first counts its records per group; a block's records of group `k` then go
//! to `[start_k + (records of k in earlier blocks), ...)` of one shared buffer, so that
//! group `k` is `buf[start_k..start_{k+1}]`, in block order and, within a block, in the
//! order the block emits them. The blocks run in parallel and write disjoint ranges.
//!
//! # Assumptions
//! A block emits exactly the records it counted, group by group. Every write is checked
//! against the block's range of that group (a block that emits more than it counted
//! panics, a bug); a block that emits fewer records than it counted is reported as an
//! error. The buffer is a [`Scratch`] of plain data: a slot never written would hold a
//! value (zero or a previous pass's), never uninitialised memory.
//!
//! # Complexity
//! O(n + blocks x groups): a counting pass and a placing pass per block.

use rayon::prelude::*;

use crate::error::{DriftlineError, Result};
use crate::scratch::Scratch;
use bytemuck::Pod;

/// Records grouped into one buffer: group `k` is `items[starts[k]..starts[k + 1]]`.
pub struct Sorted<T: Pod> {
    /// The records, group after group.
    items: Scratch<T>,
    /// Start of each group, and the end (`groups + 1` entries).
    pub starts: Vec<usize>,
}

impl<T: Pod> Sorted<T> {
    /// Every record, group after group.
    pub fn items(&self) -> &[T] {
        self.items.as_slice()
    }

    /// The records of group `k`.
    pub fn group(&self, k: usize) -> &[T] {
        &self.items()[self.starts[k]..self.starts[k + 1]]
    }

    /// Every group as its own mutable slice, in group order.
    pub fn groups_mut(&mut self) -> Vec<&mut [T]> {
        let mut out = Vec::with_capacity(self.starts.len().saturating_sub(1));
        let mut rest = self.items.as_mut_slice();
        for w in self.starts.windows(2) {
            let (head, tail) = rest.split_at_mut(w[1] - w[0]);
            out.push(head);
            rest = tail;
        }
        out
    }
}

/// Where a block places its records: the next free slot and the end of its range, per
/// group; with write combining, each group's records a few cache lines at a time.
pub struct Placer<'a, T> {
    out: SharedOut<T>,
    next: &'a mut [usize],
    end: &'a [usize],
    /// Write combining: [`BUF_LINES`] cache lines of records per group, and per group
    /// the records held ([`DIRECT`]: none, the group's next slot is not at a line's start
    /// yet).
    lines: Vec<T>,
    held: Vec<u8>,
}

/// Bytes of a cache line.
const LINE: usize = crate::prefetch::LINE_BYTES;
/// Cache lines a group's buffer holds before they are written, one after the other.
/// Several consecutive lines per write keep the memory's open rows busy: a C loop placing
/// 10M 16-byte rows into 10k groups on two threads took 26.5 ms with one line, 21 with
/// two and 19 with four (the buffers then outgrow the L2 cache, which costs less).
const BUF_LINES: usize = 4;
/// A group whose records are written one by one until its next slot starts a line.
const DIRECT: u8 = u8::MAX;
/// Groups written through line buffers: from more than [`COMBINE_MIN_GROUPS`] (up to
/// that many groups' lines stay in the L1 cache as they are written, and direct writes
/// are as fast: a C loop placing 10M 16-byte rows took 16 ms either way into 1024 groups,
/// but 40 ms direct against 15-20 buffered into 2048) to [`COMBINE_MAX_GROUPS`] (their
/// buffers, 4 MiB, then stay in the L3 cache).
const COMBINE_MIN_GROUPS: usize = 1024;
const COMBINE_MAX_GROUPS: usize = 16_384;

impl<'a, T: Pod> Placer<'a, T> {
    fn new(out: SharedOut<T>, next: &'a mut [usize], end: &'a [usize]) -> Self {
        let size = std::mem::size_of::<T>();
        let combine =
            LINE % size == 0 && next.len() > COMBINE_MIN_GROUPS && next.len() <= COMBINE_MAX_GROUPS;
        let (lines, held) = if combine {
            let held = next
                .iter()
                .map(|&at| if out.starts_line(at) { 0 } else { DIRECT })
                .collect();
            (
                vec![T::zeroed(); next.len() * (BUF_LINES * LINE / size)],
                held,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Self {
            out,
            next,
            end,
            lines,
            held,
        }
    }

    /// Places `item` as the block's next record of group `k`.
    ///
    /// # Panics
    /// When the block emits more records of `k` than it counted (a bug).
    #[inline(always)]
    pub fn put(&mut self, k: usize, item: T) {
        let mut slots = self.slots();
        slots.put(k, item);
    }

    /// Places `items[i]` as the block's next record of group `keys[i]`, in order. The
    /// loop runs over the placer's arrays taken out once (a loop of [`Placer::put`] would
    /// reload them after every write through the shared buffer's pointer).
    ///
    /// # Panics
    /// When the block emits more records of a group than it counted (a bug).
    #[inline]
    pub fn put_all(&mut self, keys: &[u32], items: &[T]) {
        let mut slots = self.slots();
        for (&k, &item) in keys.iter().zip(items) {
            slots.put(k as usize, item);
        }
    }

    fn slots(&mut self) -> Slots<'_, T> {
        Slots {
            out: self.out,
            next: self.next,
            end: self.end,
            lines: &mut self.lines,
            held: &mut self.held,
        }
    }

    /// Writes the records still held in the line buffers.
    fn finish(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let per = BUF_LINES * LINE / std::mem::size_of::<T>();
        for k in 0..self.next.len() {
            let h = self.held[k];
            if h == DIRECT || h == 0 {
                continue;
            }
            let h = h as usize;
            let from = self.next[k];
            assert!(from + h <= self.end[k], "{OVERFLOW}");
            self.next[k] = from + h;
            for (i, item) in self.lines[k * per..k * per + h].iter().enumerate() {
                // SAFETY: the slots `from..from + h` lie in this block's range of group
                // `k` (checked above).
                unsafe { self.out.0.add(from + i).write(*item) };
            }
        }
        fence();
    }
}

/// A placer's arrays, borrowed apart from it for the placing loop.
struct Slots<'s, T> {
    out: SharedOut<T>,
    next: &'s mut [usize],
    end: &'s [usize],
    lines: &'s mut [T],
    held: &'s mut [u8],
}

impl<T: Pod> Slots<'_, T> {
    /// See [`Placer::put`]. A line-buffered group's `next` stays at the start of its
    /// line until the line is written (its slot is `next + held`), so a row touches only
    /// its group's held count and line; the range is checked when the line is written.
    #[inline(always)]
    fn put(&mut self, k: usize, item: T) {
        if self.held.is_empty() {
            self.write(k, item);
            return;
        }
        let per = BUF_LINES * LINE / std::mem::size_of::<T>();
        let h = self.held[k];
        if h == DIRECT {
            let at = self.write(k, item);
            if self.out.starts_line(at + 1) {
                self.held[k] = 0;
            }
            return;
        }
        let h = h as usize;
        self.lines[k * per + h] = item;
        if h + 1 < per {
            self.held[k] = (h + 1) as u8;
            return;
        }
        self.held[k] = 0;
        let at = self.next[k];
        assert!(at + per <= self.end[k], "{OVERFLOW}");
        self.next[k] = at + per;
        let lines = &self.lines[k * per..(k + 1) * per];
        let dst = self.out.0.wrapping_add(at).cast::<u8>();
        for l in 0..BUF_LINES {
            // SAFETY: the slots `at..at + per` lie in this block's range of group `k`
            // (checked above), and each destination is a whole cache line (64-byte
            // aligned: the group left the direct mode at a line's start, and moves whole
            // lines at a time).
            unsafe { stream_line(dst.add(l * LINE), lines.as_ptr().cast::<u8>().add(l * LINE)) };
        }
    }

    /// Writes `item` to group `k`'s next slot, without buffering, and returns the slot.
    #[inline(always)]
    fn write(&mut self, k: usize, item: T) -> usize {
        let at = self.next[k];
        assert!(at < self.end[k], "{OVERFLOW}");
        self.next[k] = at + 1;
        // SAFETY: `at` lies in this block's range of group `k` (checked above), which no
        // other block writes, and within the buffer (the ranges partition it).
        unsafe { self.out.0.add(at).write(item) };
        at
    }
}

/// The panic of a block that places more records of a group than it counted (a bug).
const OVERFLOW: &str = "a block placed more records than it counted";

/// Copies one 64-byte line to a 64-byte aligned destination, bypassing the caches (no
/// read of the line it replaces).
///
/// # Safety
/// `dst` is 64-byte aligned and valid for 64 bytes of writes; `src` for 64 bytes of reads.
#[inline]
unsafe fn stream_line(dst: *mut u8, src: *const u8) {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx"))]
    {
        use std::arch::x86_64::{__m256i, _mm256_loadu_si256, _mm256_stream_si256};
        // SAFETY: the caller's contract; AVX is enabled at compile time.
        unsafe {
            let a = _mm256_loadu_si256(src.cast::<__m256i>());
            let b = _mm256_loadu_si256(src.add(32).cast::<__m256i>());
            _mm256_stream_si256(dst.cast::<__m256i>(), a);
            _mm256_stream_si256(dst.add(32).cast::<__m256i>(), b);
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx")))]
    // SAFETY: the caller's contract.
    unsafe {
        std::ptr::copy_nonoverlapping(src, dst, LINE)
    };
}

/// Orders the streaming stores before the block's completion is seen by other threads.
fn fence() {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx"))]
    // SAFETY: an SSE2 fence, always available on x86-64.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

/// The buffer's base pointer, shared by the blocks (each writes its own ranges only).
struct SharedOut<T>(*mut T);

impl<T> SharedOut<T> {
    /// Whether slot `at` starts a cache line.
    fn starts_line(self, at: usize) -> bool {
        // SAFETY: only the address is computed (slots up to the buffer's end included).
        (unsafe { self.0.add(at) } as usize) % LINE == 0
    }
}

impl<T> Clone for SharedOut<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedOut<T> {}
// SAFETY: blocks write disjoint ranges (checked by `Placer::put`); `T: Send` moves values.
unsafe impl<T: Send> Sync for SharedOut<T> {}
unsafe impl<T: Send> Send for SharedOut<T> {}

/// Sorts the records of `blocks` blocks into `groups` groups: `count(b, counts)` adds
/// block `b`'s records per group to `counts`; `place(b, placer)` then puts each of them,
/// in order, with [`Placer::put`]. Either may fail (bad data met while reading it).
///
/// # Errors
/// The first error of `count`, else of `place` (in block order); a block that placed
/// fewer records than it counted (a bug).
pub fn counting_sort<T, C, P>(blocks: usize, groups: usize, count: C, place: P) -> Result<Sorted<T>>
where
    T: Pod + Send + Sync,
    C: Fn(usize, &mut [usize]) -> Result<()> + Sync,
    P: Fn(usize, &mut Placer<'_, T>) -> Result<()> + Sync,
{
    let counts: Vec<Result<Vec<usize>>> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let mut c = vec![0usize; groups];
            count(b, &mut c)?;
            Ok(c)
        })
        .collect();
    let counts = counts.into_iter().collect::<Result<Vec<_>>>()?;
    // Group-major offsets: group k's slots are taken by block 0, then block 1, ...
    let mut starts = Vec::with_capacity(groups + 1);
    let mut next: Vec<Vec<usize>> = vec![vec![0; groups]; blocks];
    let mut at = 0usize;
    for k in 0..groups {
        starts.push(at);
        for b in 0..blocks {
            next[b][k] = at;
            at += counts[b][k];
        }
    }
    starts.push(at);
    let ends: Vec<Vec<usize>> = (0..blocks)
        .map(|b| (0..groups).map(|k| next[b][k] + counts[b][k]).collect())
        .collect();
    let mut items: Scratch<T> = Scratch::new(at);
    let out = SharedOut(items.as_mut_slice().as_mut_ptr());
    let complete: Vec<Result<bool>> = next
        .into_par_iter()
        .enumerate()
        .map(|(b, mut nx)| {
            let mut placer = Placer::new(out, &mut nx, &ends[b]);
            let placed = place(b, &mut placer);
            placer.finish();
            drop(placer);
            placed.map(|()| nx == ends[b])
        })
        .collect();
    let complete = complete.into_iter().collect::<Result<Vec<bool>>>()?;
    if complete.iter().any(|c| !c) {
        return Err(DriftlineError::data(
            "",
            "internal: a block placed fewer records than it counted",
        ));
    }
    Ok(Sorted { items, starts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sort_blocks<T: Pod + Send + Sync>(
        blocks: &[Vec<(usize, T)>],
        groups: usize,
    ) -> Result<Sorted<T>> {
        sort_blocks_by(blocks, groups, false)
    }

    /// With `all`, each block's records are placed by `put_all` in runs of 1 to 300.
    fn sort_blocks_by<T: Pod + Send + Sync>(
        blocks: &[Vec<(usize, T)>],
        groups: usize,
        all: bool,
    ) -> Result<Sorted<T>> {
        counting_sort(
            blocks.len(),
            groups,
            |b, c| {
                blocks[b].iter().for_each(|&(k, _)| c[k] += 1);
                Ok(())
            },
            |b, p| {
                if !all {
                    blocks[b].iter().for_each(|&(k, v)| p.put(k, v));
                    return Ok(());
                }
                let (mut at, mut run) = (0, 1);
                while at < blocks[b].len() {
                    let part = &blocks[b][at..(at + run).min(blocks[b].len())];
                    let keys: Vec<u32> = part.iter().map(|&(k, _)| k as u32).collect();
                    let items: Vec<T> = part.iter().map(|&(_, v)| v).collect();
                    p.put_all(&keys, &items);
                    at += part.len();
                    run = run % 300 + 7;
                }
                Ok(())
            },
        )
    }

    #[test]
    fn groups_stably_in_block_order() {
        let blocks: Vec<Vec<(usize, u64)>> = vec![
            vec![(2, 0), (0, 1), (2, 2), (1, 3)],
            vec![(0, 10), (2, 11)],
            vec![],
            vec![(1, 30), (1, 31), (0, 32)],
        ];
        let s = sort_blocks(&blocks, 4).unwrap();
        assert_eq!(s.group(0), &[1, 10, 32]);
        assert_eq!(s.group(1), &[3, 30, 31]);
        assert_eq!(s.group(2), &[0, 2, 11]);
        assert!(s.group(3).is_empty());
        assert_eq!(s.starts, vec![0, 3, 6, 9, 9]);
    }

    /// Many records per group, so that whole cache lines are combined and streamed, with
    /// group runs that start at any offset; against a stable sort by group.
    fn check_large<T: Pod + Send + Sync + PartialEq + std::fmt::Debug>(make: fn(u64) -> T) {
        let mut state = 3u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 20
        };
        // Direct writes (up to COMBINE_MIN_GROUPS), line buffers (dozens of records per
        // group and block: buffers written whole, and left part full), and direct again
        // (more than COMBINE_MAX_GROUPS); records placed one by one and in runs.
        for (groups, all) in [1usize, 5, 37, 1500, 3000, 20_000]
            .into_iter()
            .flat_map(|g| [(g, false), (g, true)])
        {
            let blocks: Vec<Vec<(usize, T)>> = (0..7)
                .map(|b| {
                    (0..(b * 20_011 + 17))
                        .map(|_| {
                            let k = (next() as usize) % groups;
                            (k, make(next()))
                        })
                        .collect()
                })
                .collect();
            let s = sort_blocks_by(&blocks, groups, all).unwrap();
            let mut want: Vec<(usize, T)> = blocks.concat();
            want.sort_by_key(|&(k, _)| k);
            let want: Vec<T> = want.into_iter().map(|(_, v)| v).collect();
            assert_eq!(s.items(), &want[..], "{groups} groups, put_all {all}");
        }
    }

    #[test]
    fn large_groups_of_one_and_two_words_equal_a_stable_sort() {
        check_large::<u64>(|x| x);
        check_large::<[u64; 2]>(|x| [x, !x]);
    }

    #[test]
    fn a_block_that_places_fewer_records_is_an_error() {
        let r = counting_sort::<u64, _, _>(
            2,
            3,
            |_, c| {
                c[1] += 1;
                Ok(())
            },
            |b, p| {
                if b == 0 {
                    p.put(1, 7)
                }
                Ok(())
            },
        );
        assert!(r.is_err());
    }

    #[test]
    fn a_failing_block_is_the_error() {
        let r = counting_sort::<u64, _, _>(
            3,
            2,
            |_, c| {
                c[0] += 1;
                Ok(())
            },
            |b, p| {
                p.put(0, 1);
                if b >= 1 {
                    return Err(DriftlineError::data("x", format!("block {b}")));
                }
                Ok(())
            },
        );
        assert!(r.err().expect("an error").to_string().contains("block 1"));
        let r = counting_sort::<u64, _, _>(
            2,
            2,
            |b, _| {
                if b == 1 {
                    return Err(DriftlineError::data("y", "counting"));
                }
                Ok(())
            },
            |_, _| Ok(()),
        );
        assert!(r.err().expect("an error").to_string().contains("counting"));
    }

    /// Counts 40 records of group 7 of `groups`, then places 72, by `put` or by
    /// `put_all`: the placer must panic before writing past the block's range (72 fill
    /// a second four-line buffer of 8-byte records past the count, whatever the records
    /// written one by one before the group's first line starts).
    fn place_too_many(groups: usize, all: bool) {
        let _ = counting_sort::<u64, _, _>(
            1,
            groups,
            |_, c| {
                c[7] += 40;
                Ok(())
            },
            |_, p| {
                let items: Vec<u64> = (0..72).collect();
                if all {
                    p.put_all(&[7; 72], &items);
                } else {
                    items.iter().for_each(|&x| p.put(7, x));
                }
                Ok(())
            },
        );
    }

    #[test]
    #[should_panic(expected = "more records than it counted")]
    fn a_block_that_places_more_records_in_a_run_panics() {
        place_too_many(8, true);
    }

    #[test]
    #[should_panic(expected = "more records than it counted")]
    fn a_block_that_places_more_records_panics() {
        place_too_many(8, false);
    }

    #[test]
    #[should_panic(expected = "more records than it counted")]
    fn a_block_that_places_more_records_through_line_buffers_panics() {
        // 3000 groups: written through line buffers, checked a line at a time.
        place_too_many(3000, false);
    }
}
