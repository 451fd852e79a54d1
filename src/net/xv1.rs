//! Client placeholder.
use super::*;

/// Client for this platform.
pub struct XV1 {
    ep: Endpoint,
}

impl XV1 {
    /// Make a client.
    pub fn new(ep: Endpoint) -> Self {
        XV1 { ep }
    }
    fn todo<T>(&self) -> NetResult<T> {
        Err(NetError::new(NetErrorKind::Refused, format!("{} not implemented yet", self.ep.kind.name())))
    }
}

impl Platform for XV1 {
    fn verify(&mut self) -> NetResult<Account> {
        self.todo()
    }
    fn home_timeline(&mut self, _since: Option<&str>, _cap: usize) -> NetResult<Timeline> {
        self.todo()
    }
    fn post(&mut self, _text: &str, _key: &str) -> NetResult<Posted> {
        self.todo()
    }
    fn own_posts(&mut self, _cap: usize) -> NetResult<Vec<OwnPost>> {
        self.todo()
    }
    fn delete(&mut self, _id: u64) -> NetResult<()> {
        self.todo()
    }
    fn length_rule(&mut self) -> NetResult<LengthRule> {
        self.todo()
    }
    fn account_id(&self) -> Option<String> {
        self.ep.account_id.clone()
    }
}
