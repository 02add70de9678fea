//! Rows regrouped by segment: a counting sort of one record per row by its segment code,
//! so that the per-segment work reads each segment's rows contiguously with its
//! accumulators in cache, instead of scattering every row's updates over the accumulators
//! of all segments.
//!
//! # Definition
//! The chunks are cut into a few contiguous blocks, four per worker thread; each block
//! counts its rows per segment, then places its records in segment order in a buffer of
//! its own (stable: row order within a segment). A segment's rows are the concatenation of
//! its slice of every block. Per-segment results that do not depend on the order of the
//! rows (counts, exact sums, sorted scores) are therefore the same for any number of
//! blocks, and so for any thread count.
//!
//! # Complexity
//! Two passes over the codes and one over the records, O(n + blocks x segments); memory
//! one record per row.

use rayon::prelude::*;

use crate::error::Result;

/// Records grouped by segment, per block.
pub struct Grouped<T> {
    /// Per block: the records in segment order and the start of each segment (`g + 1`).
    blocks: Vec<(Vec<T>, Vec<usize>)>,
}

impl<T> Grouped<T> {
    /// The records of segment `s`, as one slice per block.
    pub fn segment(&self, s: usize) -> impl Iterator<Item = &[T]> + '_ {
        self.blocks.iter().map(move |(b, st)| &b[st[s]..st[s + 1]])
    }

    /// Number of records of segment `s`.
    pub fn len_of(&self, s: usize) -> usize {
        self.blocks.iter().map(|(_, st)| st[s + 1] - st[s]).sum()
    }
}

/// Groups one record per row by segment: `codes[c][i]` is row `i` of chunk `c`'s segment
/// (below `g`), `records(c)` the records of chunk `c`'s rows, in row order.
///
/// # Errors
/// The first error of `records`, in chunk order.
pub fn group_rows<T, R, F>(codes: &[Vec<u32>], g: usize, records: F) -> Result<Grouped<T>>
where
    T: Copy + Default + Send + Sync,
    R: AsRef<[T]>,
    F: Fn(usize) -> Result<R> + Sync,
{
    let n = codes.len();
    // A few blocks per thread, so that a thread slowed down (a busy machine) does not hold
    // the others back; each block costs one count per segment.
    let per = n.div_ceil(4 * rayon::current_num_threads().max(1)).max(1);
    let starts: Vec<usize> = (0..n).step_by(per).collect();
    let blocks: Vec<Result<(Vec<T>, Vec<usize>)>> = starts
        .into_par_iter()
        .map(|from| {
            let to = (from + per).min(n);
            let mut start = vec![0usize; g + 1];
            for c in &codes[from..to] {
                for &k in c {
                    start[k as usize + 1] += 1;
                }
            }
            for s in 0..g {
                start[s + 1] += start[s];
            }
            let mut buf = vec![T::default(); start[g]];
            let mut next = start.clone();
            for (c, chunk_codes) in codes.iter().enumerate().take(to).skip(from) {
                let recs = records(c)?;
                for (&k, &r) in chunk_codes.iter().zip(recs.as_ref()) {
                    let at = &mut next[k as usize];
                    buf[*at] = r;
                    *at += 1;
                }
            }
            Ok((buf, start))
        })
        .collect();
    Ok(Grouped {
        blocks: blocks.into_iter().collect::<Result<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_stably_and_independently_of_blocks() {
        let codes = vec![vec![2u32, 0, 2, 1], vec![0, 2], vec![], vec![1, 1, 0]];
        let g = group_rows(&codes, 3, |c| {
            Ok((0..codes[c].len())
                .map(|i| (c * 10 + i) as u32)
                .collect::<Vec<_>>())
        })
        .unwrap();
        let seg = |s: usize| -> Vec<u32> { g.segment(s).flatten().copied().collect() };
        assert_eq!(seg(0), vec![1, 10, 32]);
        assert_eq!(seg(1), vec![3, 30, 31]);
        assert_eq!(seg(2), vec![0, 2, 11]);
        assert_eq!(g.len_of(2), 3);
    }
}
