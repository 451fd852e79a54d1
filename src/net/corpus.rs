//! The client of a corpus reader (`--platform corpus`): a reader with no network, filled from
//! files by `farm import-corpus`. `farm run` never calls it (a corpus reader never runs); a
//! command that would (`farm check`, `farm post`) gets a refusal that says so.

use super::*;

/// The client of a corpus reader: every call is refused, none is made.
pub struct Offline;

/// The error for any call: a corpus has no network to call.
fn no_network() -> NetError {
    NetError::new(
        NetErrorKind::NoAccess,
        "a corpus reader has no network: fill it with `farm import-corpus READER FILE`; a writer \
         from it posts on its own network (--platform mastodon, --api …)",
    )
}

impl Platform for Offline {
    fn verify(&mut self) -> NetResult<Account> {
        Err(no_network())
    }
    fn home_timeline(&mut self, _since: Option<&str>, _cap: usize) -> NetResult<Timeline> {
        Err(no_network())
    }
    fn post(&mut self, _text: &str, _key: &str, _meta: &PostMeta) -> NetResult<Posted> {
        Err(no_network())
    }
    fn own_posts(&mut self, _cap: usize) -> NetResult<Vec<OwnPost>> {
        Err(no_network())
    }
    fn delete(&mut self, _id: u64) -> NetResult<()> {
        Err(no_network())
    }
    fn length_rule(&mut self) -> NetResult<LengthRule> {
        Err(no_network())
    }
    fn account_id(&self) -> Option<String> {
        None
    }
}
