//! The versioned binary format of profiles and of the performance and fairness partials.
//!
//! ```text
//! magic  "DLPROF"   6 bytes ("DLPERF": performance partial, "DLFAIR": fairness partial)
//! format u16 LE     FORMAT_VERSION; a reader refuses any other
//! body   postcard   the serde encoding of the value
//! check  u64 LE     xxh3 (driftline's seed) of the body
//! ```
//! Truncated, corrupted or foreign bytes fail with [`DriftlineError::Decode`] saying which
//! of the three it is; a decoded value is checked for internal consistency before use.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::profile::Profile;
use crate::{DriftlineError, Result};

/// Leading bytes of every serialised profile.
pub const MAGIC: &[u8; 6] = b"DLPROF";
/// Current format version.
pub const FORMAT_VERSION: u16 = 1;

/// One kind of serialised value: its magic bytes, format version and name in errors.
#[derive(Debug, Clone, Copy)]
pub struct Envelope {
    /// Leading bytes (6).
    pub magic: &'static [u8; 6],
    /// Format version; a reader refuses any other.
    pub version: u16,
    /// What the bytes hold, for error messages ("profile", "performance partial" ...).
    pub what: &'static str,
}

/// The envelope of profiles.
pub const PROFILE: Envelope = Envelope {
    magic: MAGIC,
    version: FORMAT_VERSION,
    what: "profile",
};

fn decode_err(message: impl Into<String>) -> DriftlineError {
    PROFILE.error(message)
}

impl Envelope {
    /// A [`DriftlineError::Decode`] about this kind of value.
    pub fn error(&self, message: impl Into<String>) -> DriftlineError {
        DriftlineError::Decode {
            what: self.what.into(),
            message: message.into(),
        }
    }

    /// Encodes a value with the header and checksum.
    pub fn encode<T: Serialize>(&self, value: &T) -> Result<Vec<u8>> {
        let body = postcard::to_allocvec(value)
            .map_err(|e| self.error(format!("encoding failed: {e}")))?;
        let mut out = Vec::with_capacity(body.len() + 16);
        out.extend_from_slice(self.magic);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&crate::hash::hash_bytes(&body).to_le_bytes());
        Ok(out)
    }

    /// Decodes bytes written by [`Envelope::encode`].
    pub fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        let what = self.what;
        let m = self.magic.len();
        if bytes.len() < m + 2 + 8 {
            return Err(self.error(format!(
                "{} bytes is too short to be a driftline {what} (truncated?)",
                bytes.len()
            )));
        }
        if &bytes[..m] != self.magic {
            let known = [
                (MAGIC, "profile"),
                (b"DLPERF", "performance partial"),
                (b"DLFAIR", "fairness partial"),
            ];
            let found = known.iter().find(|(k, _)| &bytes[..m] == *k);
            return Err(self.error(match found {
                Some((_, other)) => format!("these bytes hold a driftline {other}, not a {what}"),
                None => format!("not a driftline {what} (bad magic bytes)"),
            }));
        }
        let version = u16::from_le_bytes([bytes[m], bytes[m + 1]]);
        if version != self.version {
            return Err(self.error(format!(
                "format version {version} is not supported by this driftline (it reads {what} version {})",
                self.version
            )));
        }
        let body = &bytes[m + 2..bytes.len() - 8];
        let mut check = [0u8; 8];
        check.copy_from_slice(&bytes[bytes.len() - 8..]);
        if u64::from_le_bytes(check) != crate::hash::hash_bytes(body) {
            return Err(self.error("checksum mismatch: the bytes are truncated or corrupted"));
        }
        postcard::from_bytes(body).map_err(|e| self.error(format!("malformed body: {e}")))
    }
}

/// Encodes a value with the profile header and checksum.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    PROFILE.encode(value)
}

/// Decodes bytes written by [`encode`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    PROFILE.decode(bytes)
}

/// Serialises a profile.
pub fn profile_to_bytes(p: &Profile) -> Result<Vec<u8>> {
    let mut compact = p.clone();
    compact.shrink();
    encode(&compact)
}

/// Deserialises and checks a profile.
pub fn profile_from_bytes(bytes: &[u8]) -> Result<Profile> {
    let p: Profile = decode(bytes)?;
    check_profile(&p)?;
    Ok(p)
}

/// Decodes serialised profiles and merges them in the given order.
///
/// `first` is the position of `blobs[0]` among all the partials being merged, so that a
/// refusal names the partial (`partial profile #12: ...`) whatever the chunking.
pub fn merge_profiles_from_bytes<B: AsRef<[u8]>>(blobs: &[B], first: usize) -> Result<Profile> {
    let mut acc = Profile::default();
    for (i, blob) in blobs.iter().enumerate() {
        let p = profile_from_bytes(blob.as_ref()).map_err(|e| match e {
            DriftlineError::Decode { what, message } => DriftlineError::Decode {
                what: format!("partial {what} #{}", first + i),
                message,
            },
            other => other,
        })?;
        acc.merge(&p)?;
    }
    Ok(acc)
}

fn check_profile(p: &Profile) -> Result<()> {
    for c in &p.columns {
        if !c.distinct.is_consistent() {
            return Err(decode_err(format!(
                "column '{}': inconsistent distinct-count sketch",
                c.name
            )));
        }
        if let Some(h) = &c.histogram {
            if h.counts.len() != h.edges.len() + 1
                || crate::profile::histogram::validate_edges(&h.edges).is_err()
            {
                return Err(decode_err(format!(
                    "column '{}': inconsistent histogram",
                    c.name
                )));
            }
        }
        if let Some(k) = &c.quantiles {
            if !k.is_consistent() {
                return Err(decode_err(format!(
                    "column '{}': inconsistent quantile sketch",
                    c.name
                )));
            }
        }
    }
    for (_, s) in &p.segments {
        check_profile(s)?;
    }
    Ok(())
}
