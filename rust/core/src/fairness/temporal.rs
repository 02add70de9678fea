//! The types of temporal group keys (date, timestamp, time, duration): a segment or
//! sensitive column of such a type is grouped by the integers Arrow stores, and each key
//! keeps the type, so that result tables give the column back in its own type and
//! partials keep it through their bytes.

use arrow_array::ArrayRef;
use arrow_schema::{DataType, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The type of a temporal group key, kept with each key so that a result table gives
/// the column back in its own type (and a partial keeps it through its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TemporalType {
    /// Days since the epoch.
    Date32,
    /// Milliseconds since the epoch.
    Date64,
    /// A timestamp of a unit, with its time zone.
    Timestamp(Unit, Option<String>),
    /// A time of day in seconds or milliseconds.
    Time32(Unit),
    /// A time of day in microseconds or nanoseconds.
    Time64(Unit),
    /// A duration.
    Duration(Unit),
}

/// A time unit of [`TemporalType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Unit {
    /// Seconds.
    Second,
    /// Milliseconds.
    Millisecond,
    /// Microseconds.
    Microsecond,
    /// Nanoseconds.
    Nanosecond,
}

impl Unit {
    fn of(u: &TimeUnit) -> Self {
        match u {
            TimeUnit::Second => Self::Second,
            TimeUnit::Millisecond => Self::Millisecond,
            TimeUnit::Microsecond => Self::Microsecond,
            TimeUnit::Nanosecond => Self::Nanosecond,
        }
    }

    fn arrow(self) -> TimeUnit {
        match self {
            Self::Second => TimeUnit::Second,
            Self::Millisecond => TimeUnit::Millisecond,
            Self::Microsecond => TimeUnit::Microsecond,
            Self::Nanosecond => TimeUnit::Nanosecond,
        }
    }
}

impl TemporalType {
    /// The temporal type of an Arrow type, `None` for any other type.
    pub fn of(dt: &DataType) -> Option<Self> {
        Some(match dt {
            DataType::Date32 => Self::Date32,
            DataType::Date64 => Self::Date64,
            DataType::Timestamp(u, tz) => {
                Self::Timestamp(Unit::of(u), tz.as_ref().map(|t| t.to_string()))
            }
            DataType::Time32(u) => Self::Time32(Unit::of(u)),
            DataType::Time64(u) => Self::Time64(Unit::of(u)),
            DataType::Duration(u) => Self::Duration(Unit::of(u)),
            _ => return None,
        })
    }

    /// The Arrow type.
    pub fn data_type(&self) -> DataType {
        match self {
            Self::Date32 => DataType::Date32,
            Self::Date64 => DataType::Date64,
            Self::Timestamp(u, tz) => DataType::Timestamp(u.arrow(), tz.as_deref().map(Into::into)),
            Self::Time32(u) => DataType::Time32(u.arrow()),
            Self::Time64(u) => DataType::Time64(u.arrow()),
            Self::Duration(u) => DataType::Duration(u.arrow()),
        }
    }

    /// The stored integer `v` as Arrow shows it (ISO 8601), `None` if it cannot.
    pub fn show(&self, v: i64) -> Option<String> {
        let a = self.array(std::iter::once(Some(v))).ok()?;
        let opts = arrow_cast::display::FormatOptions::default();
        let fmt = arrow_cast::display::ArrayFormatter::try_new(a.as_ref(), &opts).ok()?;
        Some(fmt.value(0).to_string())
    }

    /// An array of this type from the stored integers (null for `None`).
    ///
    /// # Errors
    /// A value out of the type's range (an `i32` type given a wider integer: a bug).
    pub fn array(&self, values: impl Iterator<Item = Option<i64>>) -> Result<ArrayRef> {
        let ints: ArrayRef = std::sync::Arc::new(arrow_array::Int64Array::from_iter(values));
        let dt = self.data_type();
        // Date32 and Time32 store 32-bit integers: narrowed first (checked), then viewed.
        let ints = match dt {
            DataType::Date32 | DataType::Time32(_) => {
                arrow_cast::cast_with_options(&ints, &DataType::Int32, &strict())?
            }
            _ => ints,
        };
        Ok(arrow_cast::cast_with_options(&ints, &dt, &strict())?)
    }
}

/// Casts that fail rather than give null on a value out of range.
fn strict() -> arrow_cast::CastOptions<'static> {
    arrow_cast::CastOptions {
        safe: false,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fairness::groups::KeyValue;
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    use arrow_array::Array;

    #[test]
    fn temporal_keys_make_a_column_of_their_type() {
        use crate::performance::table::TableBuilder;
        let t = TemporalType::Timestamp(Unit::Microsecond, Some("Europe/Paris".into()));
        let keys = vec![
            vec![KeyValue::Null],
            vec![KeyValue::Temporal(0, t.clone())],
            vec![KeyValue::Temporal(86_400_000_000, t.clone())],
        ];
        let mut b = TableBuilder::new("segment_by");
        b.keys(&["when".to_string()], &[], &keys);
        let batch = b.finish().unwrap();
        let col = batch.column(0);
        assert_eq!(col.data_type(), &t.data_type());
        let col = col.as_primitive::<TimestampMicrosecondType>();
        assert!(col.is_null(0));
        assert_eq!(col.values()[1..].to_vec(), vec![0, 86_400_000_000]);
        // Each type round-trips through its array.
        for t in [
            TemporalType::Date32,
            TemporalType::Date64,
            TemporalType::Time32(Unit::Second),
            TemporalType::Time64(Unit::Nanosecond),
            TemporalType::Duration(Unit::Millisecond),
            TemporalType::Timestamp(Unit::Second, None),
        ] {
            let a = t.array([Some(7), None].into_iter()).unwrap();
            assert_eq!(a.data_type(), &t.data_type());
            assert_eq!(TemporalType::of(a.data_type()), Some(t.clone()));
            assert_eq!(a.null_count(), 1);
        }
        // A value a 32-bit type cannot hold is an error, not a wrapped value.
        assert!(TemporalType::Date32
            .array([Some(1i64 << 40)].into_iter())
            .is_err());
    }
}
