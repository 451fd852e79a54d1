//! The farm's secrets (every bot's credentials and the shared app keys), gathered once per open
//! store and again after a bot or the app keys change, to mask them in the event messages and
//! last errors the store writes and reads back (see [`crate::secret`]).

use super::codec::decode;
use super::{sled_err, Store};
use crate::error::Result;
use crate::model::AppKeys;
use crate::secret::Secrets;
use std::sync::Arc;

impl Store {
    /// Every secret the farm holds: the credentials of each bot and the stored app keys.
    pub fn secrets(&self) -> Result<Arc<Secrets>> {
        let mut known = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = known.as_ref() {
            return Ok(Arc::clone(s));
        }
        let mut s = Secrets::new();
        for bot in self.bots()? {
            s.add_creds(&bot.creds);
        }
        for v in self.meta.scan_prefix(b"app:").values() {
            s.add_app_keys(&decode::<AppKeys>(&v.map_err(sled_err)?)?);
        }
        let s = Arc::new(s);
        *known = Some(Arc::clone(&s));
        Ok(s)
    }

    /// `text` with every secret of the farm masked ([`Secrets::scrub`]).
    pub fn scrub(&self, text: &str) -> Result<String> {
        Ok(self.secrets()?.scrub(text))
    }

    /// [`Store::scrub`] for an optional text.
    pub fn scrub_opt(&self, text: &Option<String>) -> Result<Option<String>> {
        match text {
            Some(t) => self.scrub(t).map(Some),
            None => Ok(None),
        }
    }

    /// Forget the gathered secrets: a bot or the app keys changed.
    pub(super) fn secrets_changed(&self) {
        *self.secrets.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
