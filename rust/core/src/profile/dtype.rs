//! The type of a column whose profiles are merged: equal types stay; numbers of different
//! types are promoted to a common type; anything else is refused.
//!
//! # Definition
//! The promotion is the one `pyarrow.unify_schemas(..., promote_options="permissive")`
//! applies (and so the one the Parquet reader applies to files whose schemas differ):
//! * integers of one sign: the wider; a signed and an unsigned one: a signed integer wide
//!   enough for both when there is one (`int8` and `uint8` give `int16`), else `int64`;
//! * floats: the wider; an integer and a float: a float at least twice as wide as the
//!   integer (`int8` and `float16` give `float16`, `int32` and `float32` give `float64`),
//!   at most `float64`;
//! * a decimal and a float: the float; two decimals: the larger scale and the larger
//!   number of integer digits, in the wider decimal type that holds that precision; an
//!   integer and a decimal: the integer counts as a decimal of scale 0 with as many digits
//!   as Arrow gives it (2, 4, 9 or 18, and 19 for `uint64`).
//!
//! Temporal types (dates, times, timestamps, durations) merge only with the same type,
//! unit and time zone: their values count different units (milliseconds and nanoseconds,
//! days and milliseconds), so a merged minimum, mean or quantile would mix them. Strings
//! and binary, or text and numbers, do not merge either.
//!
//! # Assumptions
//! Type names are those of [`crate::input::logical_type_name`]. The profile reads every
//! number as `f64`, so the merged type names the data; it does not change the statistics.
//! The rule is symmetric, so `a.merge(b)` and `b.merge(a)` have the same type.

use crate::{DriftlineError, Result};

/// A numeric type, parsed from its logical name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int {
        signed: bool,
        bits: u32,
    },
    Float {
        bits: u32,
    },
    Decimal {
        bits: u32,
        precision: i64,
        scale: i64,
    },
}

impl Num {
    fn parse(name: &str) -> Option<Self> {
        let int = |signed: bool, rest: &str| match rest {
            "8" | "16" | "32" | "64" => rest.parse().ok().map(|bits| Num::Int { signed, bits }),
            _ => None,
        };
        if let Some(rest) = name.strip_prefix("uint") {
            return int(false, rest);
        }
        if let Some(rest) = name.strip_prefix("int") {
            return int(true, rest);
        }
        match name {
            "float16" => return Some(Num::Float { bits: 16 }),
            "float32" => return Some(Num::Float { bits: 32 }),
            "float64" => return Some(Num::Float { bits: 64 }),
            _ => {}
        }
        let rest = name.strip_prefix("decimal")?;
        let (bits, args) = rest.split_once('(')?;
        let (p, s) = args.strip_suffix(')')?.split_once(',')?;
        let bits: u32 = bits.parse().ok()?;
        max_precision(bits)?;
        Some(Num::Decimal {
            bits,
            precision: p.trim().parse().ok()?,
            scale: s.trim().parse().ok()?,
        })
    }

    fn name(self) -> String {
        match self {
            Num::Int { signed: true, bits } => format!("int{bits}"),
            Num::Int {
                signed: false,
                bits,
            } => format!("uint{bits}"),
            Num::Float { bits } => format!("float{bits}"),
            Num::Decimal {
                bits,
                precision,
                scale,
            } => format!("decimal{bits}({precision}, {scale})"),
        }
    }
}

/// Largest precision of a decimal of `bits` bits.
fn max_precision(bits: u32) -> Option<i64> {
    match bits {
        32 => Some(9),
        64 => Some(18),
        128 => Some(38),
        256 => Some(76),
        _ => None,
    }
}

/// The decimal digits Arrow gives an integer when promoting it to a decimal.
fn integer_digits(signed: bool, bits: u32) -> i64 {
    match (signed, bits) {
        (_, 8) => 2,
        (_, 16) => 4,
        (_, 32) => 9,
        (true, _) => 18,
        (false, _) => 19,
    }
}

/// Two decimals as one: the larger scale and integer digits, in the narrowest decimal
/// type at least as wide as both that holds the precision (at most `decimal256(76, s)`).
fn decimal(bits: u32, integer: i64, scale: i64) -> Num {
    let precision = (integer + scale).clamp(1, 76);
    let bits = [32, 64, 128, 256]
        .into_iter()
        .find(|&b| b >= bits && max_precision(b).is_some_and(|m| precision <= m))
        .unwrap_or(256);
    Num::Decimal {
        bits,
        precision,
        scale,
    }
}

fn promote(a: Num, b: Num) -> Num {
    use Num::*;
    match (a, b) {
        (
            Int {
                signed: sa,
                bits: ba,
            },
            Int {
                signed: sb,
                bits: bb,
            },
        ) => {
            if sa == sb {
                Int {
                    signed: sa,
                    bits: ba.max(bb),
                }
            } else {
                // A signed type twice as wide as the unsigned one holds both.
                let (s, u) = if sa { (ba, bb) } else { (bb, ba) };
                Int {
                    signed: true,
                    bits: s.max((2 * u).min(64)),
                }
            }
        }
        (Float { bits: x }, Float { bits: y }) => Float { bits: x.max(y) },
        (Int { bits: i, .. }, Float { bits: f }) | (Float { bits: f }, Int { bits: i, .. }) => {
            Float {
                bits: f.max(2 * i).min(64),
            }
        }
        (Decimal { .. }, Float { bits }) | (Float { bits }, Decimal { .. }) => Float { bits },
        (
            Decimal {
                bits: b1,
                precision: p1,
                scale: s1,
            },
            Decimal {
                bits: b2,
                precision: p2,
                scale: s2,
            },
        ) => decimal(b1.max(b2), (p1 - s1).max(p2 - s2), s1.max(s2)),
        (
            Int { signed, bits: ib },
            Decimal {
                bits,
                precision,
                scale,
            },
        )
        | (
            Decimal {
                bits,
                precision,
                scale,
            },
            Int { signed, bits: ib },
        ) => decimal(
            bits,
            integer_digits(signed, ib).max(precision - scale),
            scale,
        ),
    }
}

/// The type of column `column` once profiles typed `a` and `b` are merged.
///
/// # Errors
/// [`DriftlineError::SchemaMismatch`] naming the column when the types differ and are not
/// both numeric (temporal types of different units or time zones, strings and binary,
/// text and numbers).
pub fn merged_dtype(column: &str, a: &str, b: &str) -> Result<String> {
    if a == b {
        return Ok(a.to_string());
    }
    if let (Some(x), Some(y)) = (Num::parse(a), Num::parse(b)) {
        return Ok(promote(x, y).name());
    }
    let temporal = |t: &str| {
        [
            "date32",
            "date64",
            "time32(",
            "time64(",
            "timestamp(",
            "duration(",
        ]
        .iter()
        .any(|p| t.starts_with(p))
    };
    let why = if temporal(a) || temporal(b) {
        "temporal values of different types, units or time zones count different units, \
         so their minimum, mean and quantiles cannot be merged"
    } else {
        "their values cannot be compared as one type"
    };
    Err(DriftlineError::SchemaMismatch(format!(
        "column '{column}' is {a} in one profile and {b} in the other: {why}; cast one side \
         to the other's type before profiling"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(a: &str, b: &str) -> String {
        let ab = merged_dtype("c", a, b).unwrap();
        assert_eq!(
            ab,
            merged_dtype("c", b, a).unwrap(),
            "{a} + {b} is not symmetric"
        );
        ab
    }

    #[test]
    fn numbers_promote_as_arrow_permissive_unification() {
        // Expected values: pyarrow 26's unify_schemas(promote_options="permissive").
        for (a, b, want) in [
            ("int64", "float64", "float64"),
            ("int32", "int64", "int64"),
            ("int8", "uint8", "int16"),
            ("int16", "uint8", "int16"),
            ("int32", "uint32", "int64"),
            ("int64", "uint64", "int64"),
            ("uint8", "uint64", "uint64"),
            ("int8", "float16", "float16"),
            ("int16", "float16", "float32"),
            ("int32", "float32", "float64"),
            ("float16", "float32", "float32"),
            ("float64", "decimal128(10, 2)", "float64"),
            ("float32", "decimal256(40, 2)", "float32"),
            ("int16", "decimal32(5, 2)", "decimal32(6, 2)"),
            ("int32", "decimal32(5, 2)", "decimal64(11, 2)"),
            ("int64", "decimal128(10, 2)", "decimal128(20, 2)"),
            ("uint64", "decimal128(10, 2)", "decimal128(21, 2)"),
            ("int64", "decimal64(12, 3)", "decimal128(21, 3)"),
            ("decimal64(12, 3)", "decimal128(10, 2)", "decimal128(12, 3)"),
            (
                "decimal128(38, 10)",
                "decimal256(40, 2)",
                "decimal256(48, 10)",
            ),
            ("float64", "float64", "float64"),
        ] {
            assert_eq!(m(a, b), want, "{a} + {b}");
        }
    }

    #[test]
    fn temporal_types_and_text_merge_only_with_themselves() {
        assert_eq!(m("timestamp(ms)", "timestamp(ms)"), "timestamp(ms)");
        for (a, b) in [
            ("timestamp(ms)", "timestamp(ns)"),
            ("timestamp(ns, \"utc\")", "timestamp(ns)"),
            ("date32", "date64"),
            ("duration(s)", "duration(ms)"),
            ("int64", "timestamp(ms)"),
            ("string", "binary"),
            ("string", "int64"),
        ] {
            for (x, y) in [(a, b), (b, a)] {
                match merged_dtype("t", x, y) {
                    Err(DriftlineError::SchemaMismatch(msg)) => {
                        assert!(msg.starts_with(&format!("column 't' is {x} ")), "{msg}");
                    }
                    other => panic!("{x} + {y}: expected a schema error, got {other:?}"),
                }
            }
        }
    }
}
