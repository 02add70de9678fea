//! Building Arrow result tables (a row per group or segment) from keys and metric values.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};

use crate::error::{DriftlineError, Result};
use crate::fairness::groups::{KeyValue, TemporalType};
use crate::fairness::key_types::KeyType;
use crate::performance::confusion::Value;

/// The type of a key column whose non-null values are all temporal of one type.
fn temporal_type<'k>(mut col: impl Iterator<Item = &'k KeyValue>) -> Option<TemporalType> {
    let mut found: Option<&TemporalType> = None;
    let one = col.all(|k| match k {
        KeyValue::Null => true,
        KeyValue::Temporal(_, t) => *found.get_or_insert(t) == t,
        _ => false,
    });
    found.filter(|_| one).cloned()
}

/// A key column as text (null for a null key).
fn strings<'k>(col: impl Iterator<Item = &'k KeyValue>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for k in col {
        match k {
            KeyValue::Null => b.append_null(),
            other => b.append_value(other.to_string()),
        }
    }
    Arc::new(b.finish())
}

/// A key column typed after its values (no known type): int64 when every non-null value
/// is an integer, uint64 when some exceed int64, the temporal type when all share one,
/// boolean when every one is a boolean, string otherwise.
fn inferred<'k>(col: impl Iterator<Item = &'k KeyValue> + Clone) -> ArrayRef {
    let all = |f: fn(&KeyValue) -> bool| col.clone().all(|k| matches!(k, KeyValue::Null) || f(k));
    if all(|k| matches!(k, KeyValue::Int(_))) {
        let mut b = Int64Builder::new();
        for k in col {
            match k {
                KeyValue::Int(i) => b.append_value(*i),
                _ => b.append_null(),
            }
        }
        Arc::new(b.finish())
    } else if all(|k| matches!(k, KeyValue::UInt(_) | KeyValue::Int(_))) {
        let mut b = UInt64Builder::new();
        for k in col {
            match k {
                KeyValue::Int(i) => b.append_value(*i as u64),
                KeyValue::UInt(u) => b.append_value(*u),
                _ => b.append_null(),
            }
        }
        Arc::new(b.finish())
    } else if let Some(t) = temporal_type(col.clone()) {
        // Keys of one temporal type: the column in that type.
        let values = col.clone().map(|k| match k {
            KeyValue::Temporal(v, _) => Some(*v),
            _ => None,
        });
        match t.array(values) {
            Ok(a) => a,
            Err(_) => strings(col),
        }
    } else if all(|k| matches!(k, KeyValue::Bool(_))) {
        let mut b = BooleanBuilder::new();
        for k in col {
            match k {
                KeyValue::Bool(v) => b.append_value(*v),
                _ => b.append_null(),
            }
        }
        Arc::new(b.finish())
    } else {
        strings(col)
    }
}

/// Columns under construction, kept in order.
pub struct TableBuilder {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
    /// The key columns' names, checked against the other columns' at the end.
    key_names: Vec<String>,
    /// The option that named the key columns (`segment_by`, `sensitive`), for errors.
    key_param: &'static str,
}

impl TableBuilder {
    /// An empty table whose key columns come from option `key_param` (`segment_by` or
    /// `sensitive`).
    pub fn new(key_param: &'static str) -> Self {
        Self {
            fields: Vec::new(),
            arrays: Vec::new(),
            key_names: Vec::new(),
            key_param,
        }
    }

    /// One column per key position, in its column's type (`types[j]`, see
    /// [`KeyType`]); a position without a known type, or whose keys do not fit it, is
    /// typed after its values: int64 when every non-null value is an integer, boolean
    /// when every one is a boolean, string otherwise.
    pub fn keys<K: AsRef<[KeyValue]>>(&mut self, names: &[String], types: &[KeyType], keys: &[K]) {
        for (j, name) in names.iter().enumerate() {
            let col = keys
                .iter()
                .map(|k| k.as_ref().get(j).unwrap_or(&KeyValue::Null));
            let typed = types.get(j).and_then(|t| t.column(col.clone()));
            let array = typed.unwrap_or_else(|| inferred(col));
            self.key_names.push(name.clone());
            self.push(name, array);
        }
    }

    /// A count column.
    pub fn counts(&mut self, name: &str, values: impl Iterator<Item = u64>) {
        let mut b = UInt64Builder::new();
        values.for_each(|v| b.append_value(v));
        self.push(name, Arc::new(b.finish()));
    }

    /// A boolean column.
    pub fn flags(&mut self, name: &str, values: impl Iterator<Item = bool>) {
        let mut b = BooleanBuilder::new();
        values.for_each(|v| b.append_value(v));
        self.push(name, Arc::new(b.finish()));
    }

    /// A metric column: undefined values are null.
    pub fn metric(&mut self, name: &str, values: impl Iterator<Item = Value>) {
        let mut b = Float64Builder::new();
        values.for_each(|v| b.append_option(v.ok()));
        self.push(name, Arc::new(b.finish()));
    }

    /// A string column (null for `None`).
    pub fn strings(&mut self, name: &str, values: impl Iterator<Item = Option<String>>) {
        let mut b = StringBuilder::new();
        values.for_each(|v| b.append_option(v));
        self.push(name, Arc::new(b.finish()));
    }

    fn push(&mut self, name: &str, array: ArrayRef) {
        self.fields
            .push(Field::new(name, array.data_type().clone(), true));
        self.arrays.push(array);
    }

    /// The finished table.
    ///
    /// # Errors
    /// A key column named like another column of the table (a result table cannot hold
    /// two columns of one name: polars refuses it), naming the option that gave the key;
    /// columns of different lengths (a bug).
    pub fn finish(self) -> Result<RecordBatch> {
        for (i, f) in self.fields.iter().enumerate() {
            if self.fields[..i].iter().any(|g| g.name() == f.name())
                && self.key_names.iter().any(|k| k == f.name())
            {
                return Err(DriftlineError::param(
                    self.key_param,
                    format!(
                        "column '{}' is named twice, or clashes with the result column of that name; rename it",
                        f.name()
                    ),
                ));
            }
        }
        RecordBatch::try_new(Arc::new(Schema::new(self.fields)), self.arrays)
            .map_err(|e| DriftlineError::Arrow(e.to_string()))
    }
}
