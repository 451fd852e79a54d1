//! The `meta` tree: shared app keys, and the plain numbers (ordinals) kept there.

use super::{sled_err, Store};
use crate::error::Result;
use crate::model::AppKeys;

impl Store {
    /// Shared app keys of a platform.
    pub fn app_keys(&self, platform: &str) -> Result<Option<AppKeys>> {
        self.get(&self.meta, format!("app:{platform}").as_bytes())
    }

    /// Store shared app keys.
    pub fn set_app_keys(&self, platform: &str, keys: &AppKeys) -> Result<()> {
        self.secrets_changed();
        self.put(&self.meta, format!("app:{platform}").as_bytes(), keys)
    }

    pub(super) fn meta_u64(&self, key: &[u8]) -> Result<Option<u64>> {
        Ok(self
            .meta
            .get(key)
            .map_err(sled_err)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes))
    }
}
