//! The versioned binary format of profiles.
//!
//! ```text
//! magic  "DLPROF"   6 bytes
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

fn decode_err(message: impl Into<String>) -> DriftlineError {
    DriftlineError::Decode {
        what: "profile".into(),
        message: message.into(),
    }
}

/// Encodes a value with the header and checksum.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let body =
        postcard::to_allocvec(value).map_err(|e| decode_err(format!("encoding failed: {e}")))?;
    let mut out = Vec::with_capacity(body.len() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crate::hash::hash_bytes(&body).to_le_bytes());
    Ok(out)
}

/// Decodes bytes written by [`encode`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.len() < MAGIC.len() + 2 + 8 {
        return Err(decode_err(format!(
            "{} bytes is too short to be a driftline profile (truncated?)",
            bytes.len()
        )));
    }
    if &bytes[..MAGIC.len()] != MAGIC {
        return Err(decode_err("not a driftline profile (bad magic bytes)"));
    }
    let version = u16::from_le_bytes([bytes[6], bytes[7]]);
    if version != FORMAT_VERSION {
        return Err(decode_err(format!(
            "format version {version} is not supported by this driftline (it reads version {FORMAT_VERSION})"
        )));
    }
    let body = &bytes[8..bytes.len() - 8];
    let mut check = [0u8; 8];
    check.copy_from_slice(&bytes[bytes.len() - 8..]);
    if u64::from_le_bytes(check) != crate::hash::hash_bytes(body) {
        return Err(decode_err(
            "checksum mismatch: the bytes are truncated or corrupted",
        ));
    }
    postcard::from_bytes(body).map_err(|e| decode_err(format!("malformed body: {e}")))
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
