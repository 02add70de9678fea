//! Mergeable sketches: quantiles (KLL) and distinct counts (HyperLogLog).

pub mod hll;
pub mod kll;
mod radix;

pub use hll::Hll;
pub use kll::Kll;
