//! Exact, order-independent sums of floats: the accumulator behind every float sum of the
//! performance and fairness partials (scores, Brier and log-loss terms, residuals).
//!
//! # Definition
//! A fixed-point superaccumulator (Neal, 2015, "Fast exact summation using small and large
//! superaccumulators"): every finite f64 is an integer multiple of 2^-1074, so a sum of
//! them is an integer in units of 2^-1074, held exactly as signed base-2^32 digits in
//! `i64` limbs. A value adds its 53-bit mantissa, shifted to its limb, as two limb updates
//! (a 32-bit low part and a high part below 2^53); carries are propagated every 512
//! additions. Only
//! the window of limbs the values touch is stored, usually 3 to 5. The value is the exact
//! sum rounded once, to nearest, so it does not depend on the order of the additions, on
//! how rows were split into chunks or partitions, or on the order partials were merged:
//! `merge(a, b)` and a single pass over `a ++ b` give the same bits.
//!
//! # Assumptions
//! +-inf and NaN are kept aside as flags (the sum is then inf or NaN, as IEEE addition
//! would give). Subnormal results may be rounded twice (deterministically).
//!
//! # Complexity
//! O(1) per addition (three limb updates), O(limbs) per merge. Measured on a 2-core
//! development machine: a few ns per added value against well under 1 ns for a float
//! `+=`, so float-heavy kernels pay for exactness (regression metrics of 5M rows: about
//! 0.06 s against 0.02 s with float sums; with 10,000 segments 0.15 s against 0.07 s).
//! Hot loops add whole batches instead ([`crate::performance::exact_batch`]): error-free
//! float extraction, about a third of the cost per value (0.7 ns against 2.1 ns), the same
//! bits.

use serde::{Deserialize, Serialize};

const DIGIT: u32 = 32;
const LOW: i64 = (1 << DIGIT) - 1;
/// Additions between two carry propagations: each adds less than 2^32 to a limb, so a limb
/// stays far below `i64::MAX`.
const PENDING_MAX: u32 = 1 << 30;
/// Additions to the inline window between two carry propagations: each adds less than
/// 2^53 to a limb, so 2^9 of them (and a merge of two such windows) stay below 2^63.
const WINDOW_PENDING: u32 = 1 << 9;
/// Limbs needed for any sum of fewer than 2^64 finite doubles, with headroom.
const MAX_LIMBS: usize = 72;

const POS_INF: u8 = 1;
const NEG_INF: u8 = 2;
const NAN: u8 = 4;

/// Inline limbs of [`ExactSum`]: values whose bits fall in this window (a span of 2^128,
/// placed one limb below the first value) need no allocation.
const W: usize = 6;
/// `lo` of an unused window.
const EMPTY: u32 = u32::MAX;

/// An exact sum of f64 values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExactSum {
    /// Index of the window's first limb ([`EMPTY`]: unused).
    lo: u32,
    /// Base-2^32 digits, limb `i` weighing 2^(32 (lo + i) - 1074).
    w: [i64; W],
    /// Additions to the window since its last carry propagation.
    pending: u32,
    /// Non-finite values met (bit flags).
    special: u8,
    /// Values outside the window, and the window's carries out of its top limb.
    spill: Option<Box<Wide>>,
}

impl Default for ExactSum {
    fn default() -> Self {
        Self {
            lo: EMPTY,
            w: [0; W],
            pending: 0,
            special: 0,
            spill: None,
        }
    }
}

impl PartialEq for ExactSum {
    /// Equal exact values (whatever the limb layout).
    fn eq(&self, other: &Self) -> bool {
        self.special == other.special && self.to_wide().canonical() == other.to_wide().canonical()
    }
}

impl ExactSum {
    /// Adds `x`.
    #[inline(always)]
    pub fn add(&mut self, x: f64) {
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as u32;
        let mut m = bits & ((1u64 << 52) - 1);
        if exp == 0x7ff {
            self.special |= if m != 0 {
                NAN
            } else if bits >> 63 == 1 {
                NEG_INF
            } else {
                POS_INF
            };
            return;
        }
        // x = m 2^(b - 1074), b the bit offset of m's lowest bit.
        let b = if exp == 0 {
            0
        } else {
            m |= 1 << 52;
            exp - 1
        };
        if m == 0 {
            return;
        }
        let (idx, sh) = (b / DIGIT, b % DIGIT);
        // m << sh = low + high 2^32 with low < 2^32 and high < 2^53: two limb updates
        // (Neal's small superaccumulator); the window's limbs absorb WINDOW_PENDING of them.
        let low = ((m << sh) as i64) & LOW;
        let high = (m >> (DIGIT - sh)) as i64;
        // Two's-complement negation without a branch: (d ^ s) - s, s = 0 or -1.
        let s = -((bits >> 63) as i64);
        let (low, high) = ((low ^ s) - s, (high ^ s) - s);
        if self.lo == EMPTY {
            self.lo = idx.saturating_sub(1).min((MAX_LIMBS - W) as u32);
        }
        let rel = idx.wrapping_sub(self.lo);
        if rel <= (W - 2) as u32 {
            let r = rel as usize;
            self.w[r] += low;
            self.w[r + 1] += high;
            self.pending += 1;
            if self.pending >= WINDOW_PENDING {
                self.normalize_cold();
            }
        } else {
            // Digits of at most 32 bits for the general form.
            let d = [low, ((high ^ s) - s) & LOW, ((high ^ s) - s) >> DIGIT];
            let d = [d[0], (d[1] ^ s) - s, (d[2] ^ s) - s];
            self.add_spilled(idx, d);
        }
    }

    /// The rare path of [`ExactSum::add`], kept out of line.
    #[cold]
    #[inline(never)]
    fn add_spilled(&mut self, idx: u32, d: [i64; 3]) {
        self.spill
            .get_or_insert_with(Box::default)
            .add_digits(idx, d);
    }

    #[cold]
    #[inline(never)]
    fn normalize_cold(&mut self) {
        self.normalize();
    }

    /// Propagates the window's carries (its top carry goes to the spill).
    fn normalize(&mut self) {
        for i in 0..W - 1 {
            let c = self.w[i] >> DIGIT;
            self.w[i] -= c << DIGIT;
            self.w[i + 1] += c;
        }
        let c = self.w[W - 1] >> DIGIT;
        if c != 0 {
            self.w[W - 1] -= c << DIGIT;
            let lo = self.lo;
            self.spill
                .get_or_insert_with(Box::default)
                .add_limb(lo + W as u32, c);
        }
        self.pending = 0;
    }

    /// The whole sum in the general form.
    fn to_wide(&self) -> Wide {
        let mut s = self.clone();
        if s.lo != EMPTY {
            s.normalize();
        }
        let mut out = s.spill.map(|b| *b).unwrap_or_default();
        if s.lo != EMPTY {
            for (i, &l) in s.w.iter().enumerate() {
                if l != 0 {
                    out.add_limb(s.lo + i as u32, l);
                }
            }
        }
        out.special = self.special;
        out
    }

    /// Adds the exact sum `o`.
    pub fn merge(&mut self, o: &ExactSum) {
        self.special |= o.special;
        if let Some(sp) = &o.spill {
            self.spill.get_or_insert_with(Box::default).merge(sp);
        }
        if o.lo == EMPTY {
            return;
        }
        if self.lo == EMPTY {
            self.lo = o.lo;
        }
        if self.lo == o.lo {
            // Limbs stay within (pending + 1) 2^53: normalise first when the two would not.
            if self.pending + o.pending + 2 > WINDOW_PENDING {
                self.normalize();
                let mut t = o.clone();
                t.spill = None;
                t.normalize();
                if let Some(c) = &t.spill {
                    self.spill.get_or_insert_with(Box::default).merge(c);
                }
                for (a, b) in self.w.iter_mut().zip(&t.w) {
                    *a += b;
                }
                self.pending = 1;
                return;
            }
            for (a, b) in self.w.iter_mut().zip(&o.w) {
                *a += b;
            }
            self.pending += o.pending + 1;
            return;
        }
        let mut t = o.clone();
        t.spill = None;
        t.normalize();
        let spill = self.spill.get_or_insert_with(Box::default);
        if let Some(c) = &t.spill {
            spill.merge(c);
        }
        for (i, &l) in t.w.iter().enumerate() {
            if l != 0 {
                spill.add_limb(t.lo + i as u32, l);
            }
        }
    }

    /// The sum, rounded once to the nearest f64.
    pub fn value(&self) -> f64 {
        if self.special != 0 || self.spill.is_some() {
            return self.to_wide().value();
        }
        if self.lo == EMPTY {
            return 0.0;
        }
        // Window only: canonical digits on the stack (two spare limbs take the carries).
        let mut d = [0i64; W + 2];
        d[..W].copy_from_slice(&self.w);
        carry(&mut d);
        let negative = d[W + 1] < 0;
        if negative {
            d.iter_mut().for_each(|l| *l = -*l);
            carry(&mut d);
        }
        let Some(top) = d.iter().rposition(|&l| l != 0) else {
            return 0.0;
        };
        let first = d.iter().position(|&l| l != 0).unwrap_or(0);
        round_digits(negative, self.lo + first as u32, &d[first..=top])
    }

    /// The sum as an unevaluated pair `hi + lo` (double-double), both rounded from the
    /// exact value: `hi` is [`ExactSum::value`], `lo` the rounded remainder.
    pub fn value_dd(&self) -> (f64, f64) {
        let hi = self.value();
        if !hi.is_finite() {
            return (hi, 0.0);
        }
        let mut r = self.clone();
        r.add(-hi);
        (hi, r.value())
    }

    /// Whether decoded bytes describe a sum this type could have built (window placement,
    /// carry headroom), so that arithmetic on it cannot overflow.
    pub fn is_consistent(&self) -> bool {
        let bound = (i64::from(self.pending.min(WINDOW_PENDING)) + 1) << 53;
        let window = if self.lo == EMPTY {
            self.w.iter().all(|&l| l == 0)
        } else {
            self.lo as usize + W <= MAX_LIMBS
                && self.w.iter().all(|l| l.unsigned_abs() <= bound as u64)
        };
        self.pending < WINDOW_PENDING
            && self.special <= (POS_INF | NEG_INF | NAN)
            && window
            && self
                .spill
                .as_ref()
                .is_none_or(|s| s.is_consistent() && s.special == 0)
    }

    /// Propagates carries and drops an empty spill (a smaller encoding of the same value).
    pub fn shrink(&mut self) {
        if self.lo != EMPTY {
            self.normalize();
        }
        if self
            .spill
            .as_ref()
            .is_some_and(|s| s.canonical().2.is_empty())
        {
            self.spill = None;
        }
    }
}

/// The general form: a window of limbs that grows as values need (the spill of
/// [`ExactSum`]'s inline window).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Wide {
    /// Index of the first stored limb.
    lo: u32,
    /// Base-2^32 digits, limb `i` weighing 2^(32 (lo + i) - 1074).
    limbs: Vec<i64>,
    /// Additions since the last carry propagation.
    pending: u32,
    /// Non-finite values met (bit flags).
    special: u8,
}

impl Wide {
    /// Makes sure limbs `from..to` are stored.
    #[inline]
    fn cover(&mut self, from: u32, to: u32) {
        if self.limbs.is_empty() {
            self.lo = from;
            self.limbs.resize((to - from) as usize, 0);
            return;
        }
        if from < self.lo {
            let extra = (self.lo - from) as usize;
            self.limbs.splice(0..0, std::iter::repeat_n(0, extra));
            self.lo = from;
        }
        let hi = self.lo + self.limbs.len() as u32;
        if to > hi {
            self.limbs.resize((to - self.lo) as usize, 0);
        }
    }

    /// Adds three digits (each |d| < 2^32) at limbs `idx..idx + 3`.
    #[inline]
    fn add_digits(&mut self, idx: u32, d: [i64; 3]) {
        self.cover(idx, idx + 3);
        let at = (idx - self.lo) as usize;
        for (l, v) in self.limbs[at..at + 3].iter_mut().zip(d) {
            *l += v;
        }
        self.pending += 1;
        if self.pending >= PENDING_MAX {
            self.normalize();
        }
    }

    /// Adds one limb value (|v| < 2^32) at limb `idx`.
    fn add_limb(&mut self, idx: u32, v: i64) {
        self.cover(idx, idx + 1);
        let at = (idx - self.lo) as usize;
        self.limbs[at] += v;
        self.pending += 1;
        if self.pending >= PENDING_MAX {
            self.normalize();
        }
    }

    /// Adds the exact sum `o`.
    fn merge(&mut self, o: &Wide) {
        self.special |= o.special;
        if o.limbs.is_empty() {
            return;
        }
        let (from, to) = (o.lo, o.lo + o.limbs.len() as u32);
        self.cover(from, to);
        let at = (from - self.lo) as usize;
        for (a, b) in self.limbs[at..].iter_mut().zip(&o.limbs) {
            *a += b;
        }
        self.pending += o.pending + 1;
        if self.pending >= PENDING_MAX {
            self.normalize();
        }
    }

    /// Propagates carries: every limb but the last in [0, 2^32), the last small and signed.
    fn normalize(&mut self) {
        let n = self.limbs.len();
        for i in 0..n.saturating_sub(1) {
            let c = self.limbs[i] >> DIGIT;
            self.limbs[i] -= c << DIGIT;
            self.limbs[i + 1] += c;
        }
        while let Some(&top) = self.limbs.last() {
            if (-(1i64 << 31)..(1i64 << 31)).contains(&top) {
                break;
            }
            let c = top >> DIGIT;
            let last = self.limbs.len() - 1;
            self.limbs[last] -= c << DIGIT;
            self.limbs.push(c);
        }
        self.pending = 0;
    }

    /// Sign and magnitude digits (all in [0, 2^32)), without leading or trailing zero
    /// limbs, and the index of the first one: the same for equal values.
    fn canonical(&self) -> (bool, u32, Vec<i64>) {
        let mut s = self.clone();
        s.normalize();
        let negative = s.limbs.last().is_some_and(|&t| t < 0);
        if negative {
            s.limbs.iter_mut().for_each(|l| *l = -*l);
            s.normalize();
        }
        let mut lo = s.lo;
        let mut limbs = s.limbs;
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        let lead = limbs.iter().take_while(|&&l| l == 0).count();
        limbs.drain(..lead);
        lo += lead as u32;
        if limbs.is_empty() {
            lo = 0;
        }
        (negative, lo, limbs)
    }

    /// The sum, rounded once to the nearest f64.
    fn value(&self) -> f64 {
        match self.special {
            0 => {}
            POS_INF => return f64::INFINITY,
            NEG_INF => return f64::NEG_INFINITY,
            _ => return f64::NAN,
        }
        let (negative, lo, d) = self.canonical();
        round_digits(negative, lo, &d)
    }

    /// Whether decoded bytes describe a sum this type could have built (limb count, carry
    /// headroom), so that arithmetic on it cannot overflow.
    fn is_consistent(&self) -> bool {
        if self.pending >= PENDING_MAX
            || self.limbs.len() > MAX_LIMBS
            || self.lo as usize + self.limbs.len() > MAX_LIMBS
            || self.special > (POS_INF | NEG_INF | NAN)
        {
            return false;
        }
        let bound = (i64::from(self.pending) + 2) << DIGIT;
        self.limbs.iter().all(|l| l.unsigned_abs() <= bound as u64)
    }
}

/// The value of canonical digits (all in [0, 2^32), the top one nonzero; none: zero),
/// the first weighing 2^(32 lo - 1074), rounded once to nearest.
fn round_digits(negative: bool, lo: u32, d: &[i64]) -> f64 {
    let Some(t) = d.len().checked_sub(1) else {
        return 0.0;
    };
    let get = |i: isize| -> u128 {
        if i < 0 {
            0
        } else {
            d[i as usize] as u128
        }
    };
    let t = t as isize;
    let mut x = (get(t) << 64) | (get(t - 1) << 32) | get(t - 2);
    // The lower limbs only decide the rounding: a sticky bit far below the 53 bits kept.
    if t >= 3 && d[..(t - 2) as usize].iter().any(|&l| l != 0) {
        x |= 1;
    }
    let e = i64::from(DIGIT) * (i64::from(lo) + t as i64 - 2) - 1074;
    let v = ldexp(x as f64, e);
    if negative {
        -v
    } else {
        v
    }
}

/// Propagates carries through `d` (its last limb absorbs the final carry).
fn carry(d: &mut [i64]) {
    for i in 0..d.len() - 1 {
        let c = d[i] >> DIGIT;
        d[i] -= c << DIGIT;
        d[i + 1] += c;
    }
}

/// `x * 2^e` without intermediate overflow or underflow.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    let step = 2f64.powi(600);
    while e > 600 {
        x *= step;
        e -= 600;
    }
    while e < -600 {
        x /= step;
        e += 600;
    }
    x * 2f64.powi(e as i32)
}

#[cfg(test)]
#[path = "exact_tests.rs"]
mod tests;
