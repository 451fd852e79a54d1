//! What the v2 and v1.1 handlers share about tweets: the text X shows for a stored post
//! (retweets rendered as `RT @author: …`, with entities) and the duplicate-text rule.

use crate::sim::state::{Net, PostRec, State};
use crate::sim::text::{self, XText};

/// The text of a post as X shows it, plus (type, id) references.
pub(super) fn x_text_of(st: &State, p: &PostRec) -> (XText, Vec<(&'static str, u64)>) {
    if let Some(orig_id) = p.repost_of {
        let (author, body) =
            st.posts.get(&orig_id).map(|o| (o.author.clone(), o.text.clone())).unwrap_or_default();
        (text::x_retweet(&author, &text::x_render(&body)), vec![("retweeted", orig_id)])
    } else {
        let refs = p.in_reply_to.map(|r| vec![("replied_to", r)]).unwrap_or_default();
        (text::x_render(&p.text), refs)
    }
}

/// How long X refuses the same text again. X does not document it; it is observed to be about a
/// day, so the fake forgets a text after 24 hours and a client that resends later posts twice.
const DUPLICATE_SECS: i64 = 86_400;

/// Whether `user` posted the same text (trimmed) less than [`DUPLICATE_SECS`] ago.
pub(super) fn is_duplicate(st: &State, user: &str, text: &str) -> bool {
    let now = st.now();
    st.own_ids(user, Some(Net::X)).iter().any(|id| {
        st.posts.get(id).is_some_and(|p| p.text.trim() == text.trim() && now - p.created_at < DUPLICATE_SECS)
    })
}
