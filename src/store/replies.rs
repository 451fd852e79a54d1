//! A writer's reply state (`replies`: name → [`ReplyState`]): its mention cursor, the mentions
//! waiting for an answer, and what the loop guard counts ([`crate::bot::reply`]).

use super::{sled_err, Store};
use crate::error::Result;
use crate::model::ReplyState;

impl Store {
    /// A writer's reply state (empty when it never read its mentions).
    pub fn replies(&self, name: &str) -> Result<ReplyState> {
        Ok(self.get(&self.replies, name.as_bytes())?.unwrap_or_default())
    }

    /// Save a writer's reply state.
    pub fn put_replies(&self, name: &str, rs: &ReplyState) -> Result<()> {
        self.put(&self.replies, name.as_bytes(), rs)
    }

    /// Forget a writer's reply state (the bot is destroyed, or moved to another account).
    pub fn forget_replies(&self, name: &str) -> Result<()> {
        self.replies.remove(name.as_bytes()).map_err(sled_err)?;
        Ok(())
    }
}
