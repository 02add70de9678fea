//! The types of group key columns (segment and sensitive columns): taken from the input's
//! Arrow types, kept in partials, and used to give the key columns of result tables back
//! in their own type, whatever the rows hold (none, or only nulls).
//!
//! # Definition
//! A key column keeps its input type: boolean, each integer width and signedness, string
//! (any string type, or a dictionary of strings: given back as `string`), temporal
//! ([`TemporalType`]), or Arrow's null type. A dictionary column takes its value type.
//! When two partials saw different types for one column (an `int32` partition and an
//! `int64` one), [`KeyType::unify`] picks the type holding both, and where there is none
//! (a string partition and an integer one) the column is typed after its values
//! ([`KeyType::Infer`], the rule of a table without a known schema).

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Int64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, NullArray};
use arrow_schema::DataType;
use serde::{Deserialize, Serialize};

use crate::fairness::groups::KeyValue;
use crate::fairness::temporal::TemporalType;

/// The type of a group key column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyType {
    /// Arrow's null type: every key is null.
    Null,
    /// Boolean.
    Bool,
    /// A signed integer of 8, 16, 32 or 64 bits.
    Int(u8),
    /// An unsigned integer of 8, 16, 32 or 64 bits.
    UInt(u8),
    /// Text (`string`, `large_string`, `string_view`), given back as `string`.
    Str,
    /// A date, timestamp, time or duration of one unit (and time zone).
    Temporal(TemporalType),
    /// Unknown (no schema seen, or partials of incompatible types): typed after the values.
    Infer,
}

impl KeyType {
    /// The key type of a column of Arrow type `dt`.
    pub fn of(dt: &DataType) -> Self {
        match dt {
            DataType::Null => Self::Null,
            DataType::Boolean => Self::Bool,
            DataType::Int8 => Self::Int(8),
            DataType::Int16 => Self::Int(16),
            DataType::Int32 => Self::Int(32),
            DataType::Int64 => Self::Int(64),
            DataType::UInt8 => Self::UInt(8),
            DataType::UInt16 => Self::UInt(16),
            DataType::UInt32 => Self::UInt(32),
            DataType::UInt64 => Self::UInt(64),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Self::Str,
            DataType::Dictionary(_, value) => Self::of(value),
            other => TemporalType::of(other).map_or(Self::Infer, Self::Temporal),
        }
    }

    /// The type holding the keys of both `self` and `o` (the same column seen in two
    /// partials): the wider integer, the one that is not all null, or [`KeyType::Infer`]
    /// when no type holds both.
    pub fn unify(&self, o: &Self) -> Self {
        match (self, o) {
            (a, b) if a == b => a.clone(),
            (Self::Null | Self::Infer, x) | (x, Self::Null | Self::Infer) => x.clone(),
            (Self::Int(a), Self::Int(b)) => Self::Int(*a.max(b)),
            (Self::UInt(a), Self::UInt(b)) => Self::UInt(*a.max(b)),
            // A signed type holds an unsigned one of half its width or less.
            (Self::Int(s), Self::UInt(u)) | (Self::UInt(u), Self::Int(s)) => match u {
                64 => Self::Infer,
                _ => Self::Int((*s).max(u * 2)),
            },
            _ => Self::Infer,
        }
    }

    /// Whether a partial's decoded type is one this type could have built.
    pub fn is_consistent(&self) -> bool {
        match self {
            Self::Int(w) | Self::UInt(w) => matches!(w, 8 | 16 | 32 | 64),
            _ => true,
        }
    }

    /// The Arrow type of the column, `None` for [`KeyType::Infer`].
    fn data_type(&self) -> Option<DataType> {
        Some(match self {
            Self::Null => DataType::Null,
            Self::Bool => DataType::Boolean,
            Self::Int(8) => DataType::Int8,
            Self::Int(16) => DataType::Int16,
            Self::Int(32) => DataType::Int32,
            Self::Int(_) => DataType::Int64,
            Self::UInt(8) => DataType::UInt8,
            Self::UInt(16) => DataType::UInt16,
            Self::UInt(32) => DataType::UInt32,
            Self::UInt(_) => DataType::UInt64,
            Self::Str => DataType::Utf8,
            Self::Temporal(t) => t.data_type(),
            Self::Infer => return None,
        })
    }

    /// The column of `keys` in this type; `None` for [`KeyType::Infer`] or when a key
    /// does not fit the type (then the caller types the column after its values).
    pub fn column<'k>(&self, keys: impl Iterator<Item = &'k KeyValue> + Clone) -> Option<ArrayRef> {
        let dt = self.data_type()?;
        let strict = arrow_cast::CastOptions {
            safe: false,
            ..Default::default()
        };
        match self {
            Self::Null => {
                let n = keys.clone().count();
                keys.into_iter()
                    .all(|k| matches!(k, KeyValue::Null))
                    .then(|| Arc::new(NullArray::new(n)) as ArrayRef)
            }
            Self::Bool => {
                let mut b = BooleanBuilder::new();
                for k in keys {
                    match k {
                        KeyValue::Null => b.append_null(),
                        KeyValue::Bool(v) => b.append_value(*v),
                        _ => return None,
                    }
                }
                Some(Arc::new(b.finish()))
            }
            Self::Int(_) => {
                let mut b = Int64Builder::new();
                for k in keys {
                    match k {
                        KeyValue::Null => b.append_null(),
                        KeyValue::Int(v) => b.append_value(*v),
                        _ => return None,
                    }
                }
                // Narrowed with a checked cast: a key out of range is a mismatch.
                arrow_cast::cast_with_options(&(Arc::new(b.finish()) as ArrayRef), &dt, &strict)
                    .ok()
            }
            Self::UInt(_) => {
                let mut b = UInt64Builder::new();
                for k in keys {
                    match k {
                        KeyValue::Null => b.append_null(),
                        KeyValue::Int(v) => b.append_value(u64::try_from(*v).ok()?),
                        KeyValue::UInt(v) => b.append_value(*v),
                        _ => return None,
                    }
                }
                arrow_cast::cast_with_options(&(Arc::new(b.finish()) as ArrayRef), &dt, &strict)
                    .ok()
            }
            Self::Str => {
                let mut b = StringBuilder::new();
                for k in keys {
                    match k {
                        KeyValue::Null => b.append_null(),
                        KeyValue::Str(s) => b.append_value(s),
                        _ => return None,
                    }
                }
                Some(Arc::new(b.finish()))
            }
            Self::Temporal(t) => {
                let values: Option<Vec<Option<i64>>> = keys
                    .map(|k| match k {
                        KeyValue::Null => Some(None),
                        KeyValue::Temporal(v, kt) if kt == t => Some(Some(*v)),
                        _ => None,
                    })
                    .collect();
                t.array(values?.into_iter()).ok()
            }
            Self::Infer => None,
        }
    }
}

/// The key types of columns `cols` of a table whose column types are `types` (empty
/// when no batch was seen: every key then [`KeyType::Infer`]).
pub fn key_types(types: &[DataType], cols: impl Iterator<Item = usize>) -> Vec<KeyType> {
    cols.map(|j| types.get(j).map_or(KeyType::Infer, KeyType::of))
        .collect()
}

/// Unifies two partials' key types column by column (see [`KeyType::unify`]).
pub fn unify_all(a: &[KeyType], b: &[KeyType]) -> Vec<KeyType> {
    a.iter().zip(b).map(|(x, y)| x.unify(y)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fairness::temporal::Unit;
    use arrow_array::Array;

    #[test]
    fn types_follow_the_input_and_unify() {
        let d = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8View));
        assert_eq!(KeyType::of(&d), KeyType::Str);
        assert_eq!(KeyType::of(&DataType::UInt16), KeyType::UInt(16));
        assert_eq!(KeyType::of(&DataType::Float64), KeyType::Infer);
        assert_eq!(KeyType::Int(8).unify(&KeyType::Int(32)), KeyType::Int(32));
        assert_eq!(KeyType::UInt(16).unify(&KeyType::Int(8)), KeyType::Int(32));
        assert_eq!(KeyType::UInt(64).unify(&KeyType::Int(8)), KeyType::Infer);
        assert_eq!(KeyType::Null.unify(&KeyType::Str), KeyType::Str);
        assert_eq!(KeyType::Str.unify(&KeyType::Bool), KeyType::Infer);
    }

    #[test]
    fn columns_keep_the_type_and_refuse_keys_that_do_not_fit() {
        let keys = [KeyValue::Null, KeyValue::Int(-3), KeyValue::Int(100)];
        let a = KeyType::Int(8).column(keys.iter()).unwrap();
        assert_eq!(a.data_type(), &DataType::Int8);
        assert!(KeyType::UInt(8).column(keys.iter()).is_none());
        let big = [KeyValue::Int(1000)];
        assert!(KeyType::Int(8).column(big.iter()).is_none());
        let u = [KeyValue::UInt(u64::MAX), KeyValue::Int(0)];
        let a = KeyType::UInt(64).column(u.iter()).unwrap();
        assert_eq!(a.data_type(), &DataType::UInt64);
        // No keys at all: an empty column of the type.
        let t = TemporalType::Timestamp(Unit::Millisecond, Some("UTC".into()));
        let a = KeyType::Temporal(t.clone())
            .column(std::iter::empty())
            .unwrap();
        assert_eq!((a.len(), a.data_type()), (0, &t.data_type()));
        let a = KeyType::Null.column([KeyValue::Null].iter()).unwrap();
        assert_eq!((a.len(), a.data_type()), (1, &DataType::Null));
    }
}
