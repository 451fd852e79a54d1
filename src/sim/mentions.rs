//! What the fake knows of mentions, for every network's notifications: which live posts mention
//! an account or answer one of its posts, the first post of a thread, and which accounts are
//! marked as bots ([`super::FakeNet::set_bot`]).

use super::state::State;

/// How far up a reply chain the fake looks for a thread's first post (a hostile chain may be
/// deeper: the post that far up stands for the root).
const ROOT_WALK: usize = 100_000;

impl State {
    /// Whether `text` mentions `@handle` (case-insensitive), not as part of a longer handle.
    fn names(text: &str, handle: &str) -> bool {
        let lower = text.to_lowercase();
        let want = format!("@{}", handle.to_lowercase());
        let handle_char = |c: char| c.is_alphanumeric() || "_-@".contains(c);
        lower.match_indices(&want).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let mut after = lower[at + want.len()..].chars();
            let ends = match after.next() {
                None => true,
                // A full stop ends the handle unless a longer handle goes on after it.
                Some('.') => !after.next().is_some_and(handle_char),
                Some(c) => !handle_char(c),
            };
            ends && !before.is_some_and(handle_char)
        })
    }

    /// The live posts that mention `handle` in their text or answer one of `user`'s posts,
    /// ascending; `user`'s own posts only with `own` (X lists a post that names its author).
    pub(crate) fn mentions_of(&self, user: &str, handle: &str, own: bool) -> Vec<u64> {
        self.posts
            .values()
            .filter(|p| !p.deleted && p.repost_of.is_none() && (own || p.author != user))
            .filter(|p| {
                let answers =
                    p.in_reply_to.and_then(|r| self.posts.get(&r)).is_some_and(|r| r.author == user);
                answers || Self::names(&p.text, handle)
            })
            .map(|p| p.id)
            .collect()
    }

    /// The first post of the thread of post `id` (itself when it answers nothing).
    pub(crate) fn root_of(&self, id: u64) -> u64 {
        let mut at = id;
        for _ in 0..ROOT_WALK {
            match self.posts.get(&at).and_then(|p| p.in_reply_to) {
                Some(parent) if self.posts.contains_key(&parent) => at = parent,
                _ => break,
            }
        }
        at
    }

    /// Whether `name`'s account is marked as a bot.
    pub(crate) fn is_bot(&self, name: &str) -> bool {
        self.bots.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_is_named_whole() {
        assert!(State::names("hi @w how are you", "w"));
        assert!(State::names("@W.", "w"));
        assert!(State::names("hey @w.test!", "w.test"));
        assert!(!State::names("hi @w.test", "w"));
        assert!(!State::names("hi @w2", "w"));
        assert!(!State::names("mail a@w.org", "w.org"));
        assert!(!State::names("@w@other.example", "w"));
    }
}
