//! Versioned, size-limited encoding of every value farm stores.
//!
//! Each stored value is one version byte followed by a bincode body. bincode is not
//! self-describing, so a changed struct must get a new version number and a migration in
//! [`Stored::migrate`]; a version newer than this binary knows is refused with a clear error
//! instead of being misread.

use crate::error::{FarmError, Result};
use bincode::Options;
use serde::{de::DeserializeOwned, Serialize};

/// Largest value farm will decode (1 MiB): a corrupt length prefix can't make it allocate more.
pub const MAX_VALUE: u64 = 1 << 20;

pub(super) fn options() -> impl Options {
    bincode::DefaultOptions::new().with_limit(MAX_VALUE).reject_trailing_bytes()
}

/// A type that farm stores, with its current format version.
pub trait Stored: Serialize + DeserializeOwned {
    /// The current version byte written before the body.
    const VERSION: u8;
    /// What the value is, for error messages ("bot", "post"…).
    const WHAT: &'static str;
    /// Decode a body written with an older version `v` (< VERSION). The default refuses.
    fn migrate(v: u8, _body: &[u8]) -> Result<Self> {
        Err(FarmError::data(format!(
            "a stored {} has format version {v}, which this farm cannot read (it reads {}); \
             restore a backup made by a matching farm version",
            Self::WHAT,
            Self::VERSION
        )))
    }
}

/// Encode a value with its version byte.
pub fn encode<T: Stored>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![T::VERSION];
    options()
        .serialize_into(&mut out, value)
        .map_err(|e| FarmError::software(format!("could not encode a {}: {e}", T::WHAT)))?;
    Ok(out)
}

/// Decode a value, checking its version byte and the size limit.
pub fn decode<T: Stored>(bytes: &[u8]) -> Result<T> {
    let (&v, body) = bytes
        .split_first()
        .ok_or_else(|| FarmError::data(format!("a stored {} is empty; the database is damaged", T::WHAT)))?;
    if v > T::VERSION {
        return Err(FarmError::data(format!(
            "a stored {} has format version {v}, newer than this farm understands ({}); upgrade farm",
            T::WHAT,
            T::VERSION
        )));
    }
    if v < T::VERSION {
        return T::migrate(v, body);
    }
    decode_body(body, T::WHAT)
}

/// Decode a bare bincode body with the size limit (used by migrations).
pub fn decode_body<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    options().deserialize(body).map_err(|e| {
        FarmError::data(format!("a stored {what} could not be decoded ({e}); the database is damaged or was written by another program"))
    })
}
