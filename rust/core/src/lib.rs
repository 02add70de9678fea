//! driftline-core: the computation core of driftline.
//!
//! Everything here is a mergeable summary (a monoid) over Arrow data: profiles of columns,
//! drift statistics between two profiles or two samples, fairness and performance
//! accumulators. The crate never touches Python; `driftline-python` binds it.

pub mod binary_text;
mod byte_counts;
pub mod codec;
pub mod error;
pub mod fairness;
pub mod hash;
pub mod input;
pub mod performance;
pub mod pool;
pub mod prefetch;
pub mod profile;
pub mod scratch;
pub mod sketch;
pub mod stats;

pub use error::{DriftlineError, Result};
pub use profile::{profile_batches, ColumnProfile, Profile, ProfileOptions};
