//! The one error type of the core. Every variant names what went wrong and, where there is
//! one, the column it concerns, so the binding can raise a precise Python exception.

use thiserror::Error;

/// Errors raised by driftline's core.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum DriftlineError {
    /// A column has a type the operation cannot handle.
    #[error("column '{column}': unsupported type {dtype}")]
    UnsupportedType {
        /// Column name.
        column: String,
        /// The Arrow type found.
        dtype: String,
    },
    /// A column named by the caller is absent from the data.
    #[error("column '{column}' not found; available columns: {available}")]
    UnknownColumn {
        /// Column name asked for.
        column: String,
        /// Comma-separated names present.
        available: String,
    },
    /// Several columns of the data carry the name the caller asked for.
    #[error("column '{column}' appears {count} times in the data; column names must be unique")]
    DuplicateColumn {
        /// The repeated name.
        column: String,
        /// Columns carrying it.
        count: usize,
    },
    /// Two inputs that must share a schema do not.
    #[error("schema mismatch: {0}")]
    SchemaMismatch(String),
    /// Data that cannot be used as given (wrong lengths, values out of the domain).
    #[error("column '{column}': {message}")]
    InvalidData {
        /// Column name, or an empty string when the problem is not tied to one.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// An option or argument outside its domain.
    #[error("invalid parameter '{name}': {message}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// Bytes that are not a driftline serialisation, are truncated, corrupted, or of an
    /// incompatible format version.
    #[error("cannot decode {what}: {message}")]
    Decode {
        /// What was being decoded (a profile, a partial result).
        what: String,
        /// Why it failed.
        message: String,
    },
    /// An Arrow error while reading input.
    #[error("arrow: {0}")]
    Arrow(String),
}

impl DriftlineError {
    /// Shorthand for [`DriftlineError::InvalidData`].
    pub fn data(column: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidData {
            column: column.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`DriftlineError::InvalidParameter`].
    pub fn param(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name: name.into(),
            message: message.into(),
        }
    }
}

impl From<arrow_schema::ArrowError> for DriftlineError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        Self::Arrow(e.to_string())
    }
}

/// Result alias of the core.
pub type Result<T, E = DriftlineError> = std::result::Result<T, E>;
