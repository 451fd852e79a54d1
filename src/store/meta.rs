//! The `meta` tree: shared app keys, the prices of a network's calls, and the plain numbers
//! (ordinals, posts imported) kept there.

use super::{key2, sled_err, Store};
use crate::error::Result;
use crate::model::{AppKeys, Prices};

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

    /// The prices a platform's calls cost, as the operator set them (`farm app set x
    /// --read-price …`); every price unset when never set.
    pub fn prices(&self, platform: &str) -> Result<Prices> {
        Ok(self.get(&self.meta, format!("prices:{platform}").as_bytes())?.unwrap_or_default())
    }

    /// Store the prices of a platform's calls (not secrets: an export without secrets keeps them).
    pub fn set_prices(&self, platform: &str, prices: &Prices) -> Result<()> {
        self.put(&self.meta, format!("prices:{platform}").as_bytes(), prices)
    }

    /// How many posts were imported into a reader from files (`farm import-corpus`), in total.
    pub fn imported(&self, reader: &str) -> Result<u64> {
        Ok(self.meta_u64(&key2("imported", reader.as_bytes()))?.unwrap_or(0))
    }

    /// Count `n` more posts imported into a reader.
    pub fn add_imported(&self, reader: &str, n: u64) -> Result<()> {
        let total = self.imported(reader)?.saturating_add(n);
        self.meta.insert(key2("imported", reader.as_bytes()), &total.to_be_bytes()).map_err(sled_err)?;
        Ok(())
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
