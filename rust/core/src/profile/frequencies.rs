//! Category frequencies: exact up to a cap, then a heavy-hitters summary with its error.
//!
//! # Definition
//! Below `cap` distinct categories the counts are exact. Past it, only the `cap` most
//! frequent are kept (the Misra-Gries/"frequent items" family): every kept count is a lower
//! bound and the true count of any category, kept or not, is at most its kept count plus
//! `max_error`; `other_count` is the number of values whose category was dropped. Merging
//! adds counts and errors, then truncates again, so the bound holds after any merges.
//!
//! # Complexity
//! One hash-table lookup per value (the value's hash is computed once and reused by the
//! distinct-count sketch and the fingerprint); memory O(cap).

use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

/// Default number of categories kept exactly.
pub const DEFAULT_CAP: usize = 10_000;

/// Mergeable category counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frequencies {
    #[serde(with = "sorted_map")]
    counts: HashMap<String, u64>,
    cap: usize,
    /// Values whose category was dropped by truncation.
    pub other_count: u64,
    /// Upper bound on the undercount of any category (0 while exact).
    pub max_error: u64,
}

mod sorted_map {
    //! Serialised as a list sorted by category, so equal maps give equal bytes.
    use hashbrown::HashMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(m: &HashMap<String, u64>, s: S) -> Result<S::Ok, S::Error> {
        let mut v: Vec<(&String, &u64)> = m.iter().collect();
        v.sort_unstable();
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<String, u64>, D::Error> {
        let v: Vec<(String, u64)> = Deserialize::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

impl Frequencies {
    /// Empty counts keeping at most `cap` categories exactly.
    pub fn new(cap: usize) -> Self {
        Self {
            counts: HashMap::new(),
            cap: cap.max(1),
            other_count: 0,
            max_error: 0,
        }
    }

    /// True while every count is exact.
    pub fn is_exact(&self) -> bool {
        self.max_error == 0 && self.other_count == 0
    }

    /// Number of categories kept.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when no category is kept.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Count of one category (a lower bound once truncated).
    pub fn get(&self, category: &str) -> u64 {
        self.counts.get(category).copied().unwrap_or(0)
    }

    /// Adds `count` occurrences of `category`.
    pub fn add(&mut self, category: &str, count: u64) {
        if let Some(c) = self.counts.get_mut(category) {
            *c += count;
        } else {
            self.counts.insert(category.to_owned(), count);
        }
    }

    /// Categories with their counts, most frequent first (ties by name).
    pub fn sorted(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self.counts.iter().map(|(k, &c)| (k.clone(), c)).collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// Iterates the kept categories in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts.iter().map(|(k, &c)| (k.as_str(), c))
    }

    /// Drops all but the `cap` most frequent categories, recording the error.
    pub fn truncate(&mut self) {
        if self.counts.len() <= self.cap {
            return;
        }
        let sorted = self.sorted();
        let mut largest_dropped = 0;
        for (k, c) in &sorted[self.cap..] {
            self.counts.remove(k);
            self.other_count += c;
            largest_dropped = largest_dropped.max(*c);
        }
        self.max_error += largest_dropped;
    }

    /// Adds another summary's counts (caps must agree; the smaller wins).
    pub fn merge(&mut self, other: &Frequencies) {
        for (k, &c) in &other.counts {
            self.add(k, c);
        }
        self.other_count += other.other_count;
        self.max_error += other.max_error;
        self.cap = self.cap.min(other.cap);
        self.truncate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_below_cap_and_bounded_above() {
        let mut f = Frequencies::new(3);
        for (k, c) in [("a", 10), ("b", 5), ("c", 3), ("d", 1)] {
            f.add(k, c);
        }
        f.truncate();
        assert_eq!(f.len(), 3);
        assert_eq!(f.other_count, 1);
        assert_eq!(f.max_error, 1);
        assert_eq!(f.get("a"), 10);
    }
}
