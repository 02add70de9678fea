//! driftline-core: the computation core of driftline.
//!
//! Everything here is a mergeable summary (a monoid) over Arrow data: profiles of columns,
//! drift statistics between two profiles or two samples, fairness and performance
//! accumulators. The crate never touches Python; `driftline-python` binds it.

pub mod error;

pub use error::{DriftlineError, Result};
pub mod fairness;
pub mod performance;
