//! Mergeable fairness partials: the per-group accumulators of one part of the data, to be
//! serialised, shipped and merged, then turned into the same report as one pass.
//!
//! # Definition
//! A partial holds the spec, the group keys met (segment values then sensitive values,
//! sorted), the key columns' types ([`KeyType`], unified on merge) and per group the binary confusion counts with exact score sums, or the
//! regression error sums. `merge` matches groups by value and adds, so merging the
//! partials of any split of the rows, in any order, gives exactly the one-pass report.
//! A group absent from one partial is simply absent there (no rows).
//!
//! Bytes: [`ENVELOPE`] (magic `DLFAIR`, a format version, postcard, an xxh3 checksum).
//!
//! # Complexity
//! Merge: O(groups).

use arrow_array::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::codec::Envelope;
use crate::error::{DriftlineError, Result};
use crate::fairness::groups::KeyValue;
use crate::fairness::key_types::{unify_all, KeyType};
use crate::fairness::{accumulate, finish, Acc, Report, Spec};
use crate::performance::columns::{merge_other, Other};
use crate::performance::partial::{scatter, union_sorted};
use crate::performance::regression::RegressionSums;

/// The envelope of fairness partials.
pub const ENVELOPE: Envelope = Envelope {
    magic: b"DLFAIR",
    // 2: the key columns' types; the positive class may be an unsigned integer.
    version: 2,
    what: "fairness partial",
};

/// The mergeable accumulators of a fairness evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessPartial {
    /// What was measured (the report options included).
    pub spec: Spec,
    /// Group keys, sorted.
    pub keys: Vec<Vec<KeyValue>>,
    /// The key columns' types: segment columns, then sensitive columns.
    pub key_types: Vec<KeyType>,
    /// Accumulators in key order.
    pub acc: Acc,
    /// The one non-positive prediction value met (binary).
    pub other_prediction: Option<Other>,
    /// The one non-positive label value met (binary).
    pub other_label: Option<Other>,
}

impl FairnessPartial {
    /// Accumulates `batches` as `spec` says.
    ///
    /// # Errors
    /// As [`crate::fairness::evaluate`].
    pub fn compute(batches: &[RecordBatch], spec: &Spec) -> Result<Self> {
        if spec.sensitive.is_empty() {
            return Err(DriftlineError::param(
                "sensitive",
                "name at least one column",
            ));
        }
        let a = accumulate(batches, spec)?;
        Ok(Self {
            spec: spec.clone(),
            keys: a.keys,
            key_types: a.key_types,
            acc: a.acc,
            other_prediction: a.other_prediction,
            other_label: a.other_label,
        })
    }

    /// Adds `other`, groups matched by value.
    ///
    /// # Errors
    /// Partials of different specs, or binary columns holding a different second value in
    /// each partial.
    pub fn merge(&self, other: &Self) -> Result<Self> {
        if self.spec != other.spec {
            return Err(DriftlineError::param(
                "other",
                format!(
                    "cannot merge fairness partials of different evaluations: {:?} and {:?}",
                    self.spec, other.spec
                ),
            ));
        }
        let (keys, ia, ib) = union_sorted(&self.keys, &other.keys);
        let n = keys.len();
        let acc = match (&self.acc, &other.acc) {
            (Acc::Binary(a), Acc::Binary(b)) => {
                let mut out = scatter(a, &ia, n);
                for (i, c) in b.iter().enumerate() {
                    out[ib[i]] += c;
                }
                Acc::Binary(out)
            }
            (Acc::Regression(a), Acc::Regression(b)) => {
                let mut out = scatter(a, &ia, n);
                for (i, s) in b.iter().enumerate() {
                    out[ib[i]].merge(s);
                }
                Acc::Regression(out)
            }
            _ => {
                return Err(DriftlineError::param(
                    "other",
                    "cannot merge fairness partials of different tasks",
                ))
            }
        };
        let s = &self.spec;
        let mut op = self.other_prediction.clone();
        merge_other(
            &s.prediction,
            &s.positive,
            &mut op,
            other.other_prediction.clone(),
        )?;
        let mut ol = self.other_label.clone();
        if let Some(label) = &s.label {
            merge_other(label, &s.positive, &mut ol, other.other_label.clone())?;
        }
        Ok(Self {
            spec: self.spec.clone(),
            keys,
            key_types: unify_all(&self.key_types, &other.key_types),
            acc,
            other_prediction: op,
            other_label: ol,
        })
    }

    /// Adds `other` in place; with the same groups without reallocating.
    ///
    /// # Errors
    /// As [`FairnessPartial::merge`].
    pub fn merge_from(&mut self, other: &Self) -> Result<()> {
        if self.spec != other.spec || self.keys != other.keys {
            *self = self.merge(other)?;
            return Ok(());
        }
        let s = &self.spec;
        merge_other(
            &s.prediction,
            &s.positive,
            &mut self.other_prediction,
            other.other_prediction.clone(),
        )?;
        if let Some(label) = &s.label {
            merge_other(
                label,
                &s.positive,
                &mut self.other_label,
                other.other_label.clone(),
            )?;
        }
        match (&mut self.acc, &other.acc) {
            (Acc::Binary(a), Acc::Binary(b)) => a.iter_mut().zip(b).for_each(|(x, y)| *x += y),
            (Acc::Regression(a), Acc::Regression(b)) => {
                a.iter_mut().zip(b).for_each(|(x, y)| x.merge(y));
            }
            _ => *self = self.merge(other)?,
        }
        self.key_types = unify_all(&self.key_types, &other.key_types);
        Ok(())
    }

    /// The report, exactly as [`crate::fairness::evaluate`] gives it on all the rows.
    ///
    /// # Errors
    /// An unknown reference group; Arrow errors (a bug).
    pub fn report(&self) -> Result<Report> {
        finish(&self.spec, &self.keys, &self.key_types, &self.acc)
    }

    /// Serialises the partial.
    ///
    /// # Errors
    /// Encoding failures (a bug).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        ENVELOPE.encode(self)
    }

    /// Deserialises and checks a partial.
    ///
    /// # Errors
    /// [`DriftlineError::Decode`]: not a fairness partial, another format version,
    /// truncated or corrupted bytes, or an inconsistent content.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let p: Self = ENVELOPE.decode(bytes)?;
        let width = p.spec.segment_by.len() + p.spec.sensitive.len();
        let sorted = p.keys.windows(2).all(|w| w[0] < w[1]);
        let ok = sorted
            && p.keys.iter().all(|k| k.len() == width)
            && p.key_types.len() == width
            && p.key_types.iter().all(KeyType::is_consistent)
            && match &p.acc {
                Acc::Binary(c) => c.len() == p.keys.len() && c.iter().all(|c| c.is_consistent()),
                Acc::Regression(s) => {
                    s.len() == p.keys.len() && s.iter().all(RegressionSums::is_consistent)
                }
            };
        if !ok {
            return Err(ENVELOPE.error("inconsistent content: groups and accumulators disagree"));
        }
        Ok(p)
    }
}
