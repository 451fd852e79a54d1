//! The format version of every record farm stores ([`crate::model`]), and the migrations from
//! older versions. A changed record gets a new version here and a branch in its `migrate`.

use super::codec::{decode_body, Stored};
use crate::error::{FarmError, Result};
use crate::model::{
    AppKeys, Bot, BotState, CachedPost, Counters, Event, Followed, Post, Prices, RateInfo, ReplyState,
};

impl Stored for Bot {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "bot";
}

impl Stored for BotState {
    const VERSION: u8 = 4;
    const WHAT: &'static str = "bot state";
    fn migrate(v: u8, body: &[u8]) -> Result<Self> {
        match v {
            1 => Ok(decode_body::<BotStateV2<PendingV1>>(body, Self::WHAT)?.into()),
            2 => Ok(decode_body::<BotStateV2<PendingV3>>(body, Self::WHAT)?.into()),
            3 => Ok(decode_body::<BotStateV3>(body, Self::WHAT)?.into()),
            _ => Err(FarmError::data(format!(
                "a stored bot state has format version {v}, which this farm cannot read"
            ))),
        }
    }
}

/// A pending post as farms before issue #22 stored it: no [`crate::model::PostMeta`].
#[derive(serde::Deserialize)]
struct PendingV1 {
    text: String,
    hash: u64,
    key: String,
    source_id: u64,
    created: i64,
    attempts: u32,
}

impl From<PendingV1> for crate::model::Pending {
    fn from(p: PendingV1) -> Self {
        crate::model::Pending {
            text: p.text,
            hash: p.hash,
            key: p.key,
            source_id: p.source_id,
            created: p.created,
            attempts: p.attempts,
            meta: Default::default(),
            thread: None,
        }
    }
}

/// A pending post as farms before threads (`--long thread`, issue #23) stored it: no
/// [`crate::model::Thread`].
#[derive(serde::Deserialize)]
struct PendingV3 {
    text: String,
    hash: u64,
    key: String,
    source_id: u64,
    created: i64,
    attempts: u32,
    meta: crate::model::PostMeta,
}

impl From<PendingV3> for crate::model::Pending {
    fn from(p: PendingV3) -> Self {
        crate::model::Pending {
            text: p.text,
            hash: p.hash,
            key: p.key,
            source_id: p.source_id,
            created: p.created,
            attempts: p.attempts,
            meta: p.meta,
            thread: None,
        }
    }
}

/// Format versions 1 and 2 of a bot state, before time slots (issue #23): the same fields
/// without `slot_done` and `slots_missed`, with a [`PendingV1`] (version 1) or a [`PendingV3`]
/// (version 2).
#[derive(serde::Deserialize)]
struct BotStateV2<P> {
    last_ok: i64,
    last_attempt: i64,
    fails: u32,
    failing_since: Option<i64>,
    last_error: Option<String>,
    cursor: Option<String>,
    consumed: u64,
    pending: Option<P>,
    last_post_at: i64,
    total: u64,
    cached: u64,
    account_id: Option<String>,
    length_rule: Option<(crate::model::LengthRule, i64)>,
    limited_until: Option<i64>,
}

impl<P: Into<crate::model::Pending>> From<BotStateV2<P>> for BotState {
    fn from(s: BotStateV2<P>) -> BotState {
        BotState {
            last_ok: s.last_ok,
            last_attempt: s.last_attempt,
            fails: s.fails,
            failing_since: s.failing_since,
            last_error: s.last_error,
            cursor: s.cursor,
            consumed: s.consumed,
            pending: s.pending.map(Into::into),
            last_post_at: s.last_post_at,
            total: s.total,
            cached: s.cached,
            account_id: s.account_id,
            length_rule: s.length_rule,
            limited_until: s.limited_until,
            slot_done: 0,
            slots_missed: 0,
        }
    }
}

/// Format version 3 of a bot state, before threads (issue #23): version 2's fields then
/// `slot_done` and `slots_missed` (the stored form has no framing around the nested fields),
/// with a [`PendingV3`].
#[derive(serde::Deserialize)]
struct BotStateV3 {
    old: BotStateV2<PendingV3>,
    slot_done: i64,
    slots_missed: u64,
}

impl From<BotStateV3> for BotState {
    fn from(s: BotStateV3) -> BotState {
        BotState { slot_done: s.slot_done, slots_missed: s.slots_missed, ..s.old.into() }
    }
}

impl Stored for AppKeys {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "app keys";
}

impl Stored for Event {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "event";
}

impl Stored for Counters {
    const VERSION: u8 = 2;
    const WHAT: &'static str = "counters";
    fn migrate(v: u8, body: &[u8]) -> Result<Self> {
        match v {
            1 => Ok(decode_body::<CountersV1>(body, Self::WHAT)?.into()),
            _ => Err(FarmError::data(format!(
                "stored counters have format version {v}, which this farm cannot read"
            ))),
        }
    }
}

/// Format version 1 of counters: before they counted the posts read and the posts made with a
/// link (issue #22, what a source costs).
#[derive(serde::Deserialize)]
struct CountersV1 {
    posts: u32,
    fetched: u32,
    calls: u32,
    errors: u32,
}

impl From<CountersV1> for Counters {
    /// The posts read were not counted: a reader's posts fetched (an analyzer's scored) are
    /// what its calls returned, near enough; the posts with a link are not known (0).
    fn from(c: CountersV1) -> Counters {
        Counters {
            posts: c.posts,
            fetched: c.fetched,
            calls: c.calls,
            errors: c.errors,
            read: c.fetched,
            link_posts: 0,
        }
    }
}

impl Stored for Prices {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "prices";
}

/// A cached source post as schema-3 farms stored it (format version 1 of a posts-tree value, and
/// the post inside version 2): the fields [`Post`] had before it kept titles, links, categories
/// and content warnings. Read only by the migrations.
#[derive(serde::Deserialize, serde::Serialize)]
struct PostV1 {
    id: u64,
    author: String,
    text: String,
    created_at: i64,
    is_repost: bool,
    is_reply: bool,
    has_links: bool,
    lang: Option<String>,
}

impl From<PostV1> for Post {
    fn from(p: PostV1) -> Post {
        Post {
            id: p.id,
            author: p.author,
            text: p.text,
            created_at: p.created_at,
            is_repost: p.is_repost,
            is_reply: p.is_reply,
            has_links: p.has_links,
            lang: p.lang,
            ..Post::default()
        }
    }
}

/// The bytes a schema-3 farm stored for `post` (a bare version-1 post, the fields it did not have
/// dropped): for tests that build an old farm to migrate.
#[doc(hidden)]
pub fn legacy_post_v1(post: &Post) -> Vec<u8> {
    let p = PostV1 {
        id: post.id,
        author: post.author.clone(),
        text: post.text.clone(),
        created_at: post.created_at,
        is_repost: post.is_repost,
        is_reply: post.is_reply,
        has_links: post.has_links,
        lang: post.lang.clone(),
    };
    let mut out = vec![1];
    out.extend(bincode::Options::serialize(super::codec::options(), &p).expect("a post encodes"));
    out
}

/// Format version 2 of a posts-tree value: an ordinal and a [`PostV1`].
#[derive(serde::Deserialize)]
struct CachedPostV2 {
    ord: u64,
    post: PostV1,
}

impl Stored for RateInfo {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "rate-limit state";
}

impl Stored for ReplyState {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "reply state";
}

impl Stored for Followed {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "followed account";
}

impl Stored for CachedPost {
    const VERSION: u8 = 3;
    const WHAT: &'static str = "cached post";
    fn migrate(v: u8, body: &[u8]) -> Result<Self> {
        match v {
            1 => Ok(CachedPost { ord: 0, post: decode_body::<PostV1>(body, Self::WHAT)?.into() }),
            2 => {
                let old: CachedPostV2 = decode_body(body, Self::WHAT)?;
                Ok(CachedPost { ord: old.ord, post: old.post.into() })
            }
            _ => Err(FarmError::data(format!(
                "a stored cached post has format version {v}, which this farm cannot read"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stored record, one of each kind with every field set, encoded: the bytes must not
    /// change when a type moves or a field is renamed, or existing farms could not be read.
    fn golden() -> Vec<(&'static str, Vec<u8>)> {
        use crate::model::Pending;
        use crate::model::{Call, Credentials, LengthRule, PlatformKind, ReaderOpts, Role};
        use crate::store::codec::encode;
        let post = Post {
            id: 1_900_000_000_000_000_001,
            author: "someone".into(),
            text: "Гарри Поттер и Тайная Комната".into(),
            created_at: 1_767_225_600,
            is_repost: true,
            is_reply: false,
            has_links: true,
            lang: Some("ru".into()),
            warning: Some("spoilers".into()),
            sensitive: true,
            title: Some("Новости".into()),
            link: Some("https://example.org/1".into()),
            categories: vec!["books".into()],
        };
        let bot = Bot {
            name: "hp".into(),
            role: Role::Writer,
            platform: PlatformKind::XV1,
            api: "https://api.x.com".into(),
            every: 3600,
            paused: true,
            source: Some("news".into()),
            creds: Credentials {
                consumer_key: "ck".into(),
                consumer_secret: "cs".into(),
                access_token: "at".into(),
                access_secret: "as".into(),
            },
            template: Some("Гарри Поттер и {}".into()),
            process: vec!["phrase".into()],
            filters: vec!["no-links".into()],
            visibility: Some("unlisted".into()),
            reader: ReaderOpts::default(),
            created_at: 1_767_225_600,
            settings: vec![("k".into(), "v".into())],
        };
        let state = BotState {
            last_ok: 1,
            last_attempt: 2,
            fails: 3,
            failing_since: Some(4),
            last_error: Some("e".into()),
            cursor: Some("5".into()),
            consumed: 6,
            pending: Some(Pending {
                text: "t".into(),
                hash: 7,
                key: "k".into(),
                source_id: 8,
                created: 9,
                attempts: 10,
                meta: crate::model::PostMeta {
                    warning: Some("cw".into()),
                    sensitive: true,
                    lang: Some("ru".into()),
                    labels: vec!["nudity".into()],
                    reply_to: Some(crate::model::ReplyTo {
                        parent: crate::model::PostRef { id: "at://p".into(), cid: Some("c1".into()) },
                        root: crate::model::PostRef { id: "at://r".into(), cid: None },
                        visibility: Some("unlisted".into()),
                    }),
                },
                thread: Some(crate::model::Thread { part: 2, rest: vec!["r3".into(), "r4".into()] }),
            }),
            last_post_at: 11,
            total: 12,
            cached: 13,
            account_id: Some("14".into()),
            length_rule: Some((LengthRule { max: 500, url_len: 23 }, 15)),
            limited_until: Some(16),
            slot_done: 19,
            slots_missed: 20,
        };
        let rate = RateInfo { call: Call::OwnPosts, limit: Some(75), remaining: 0, reset: 17 };
        let replies = ReplyState {
            cursor: Some("19".into()),
            waiting: vec![crate::model::Mention {
                post: crate::model::PostRef { id: "at://m".into(), cid: Some("c2".into()) },
                root: Some(crate::model::PostRef { id: "at://r".into(), cid: Some("c3".into()) }),
                in_reply_to: Some("at://p".into()),
                author: "ann.test".into(),
                author_id: "did:plc:ann".into(),
                author_is_bot: true,
                text: "@hp привет".into(),
                created_at: 20,
                visibility: Some("direct".into()),
                lang: Some("ru".into()),
            }],
            done: vec!["21".into()],
            threads: vec![("22".into(), 23, 24)],
            own: vec![("25".into(), "22".into())],
            recent: vec![("26".into(), 27)],
            counts: crate::model::ReplyCounts {
                seen: 1,
                answered: 2,
                bot: 3,
                thread: 4,
                account: 5,
                itself: 6,
                farm: 7,
                old: 8,
                flood: 9,
                nothing: 10,
                gone: 11,
            },
        };
        let followed = Followed {
            spec: "alice@example.social".into(),
            id: Some("109".into()),
            handle: "alice2@example.social".into(),
            home: Some("https://example.social".into()),
            cursor: Some("110".into()),
            status: crate::model::SourceStatus::Renamed { from: "alice@example.social".into() },
            last_error: Some("e".into()),
            last_read: 19,
            checked_at: 20,
            fetched: 21,
            held_until: Some(22),
            read_from: 23,
        };
        let counters = Counters { posts: 19, fetched: 20, calls: 21, errors: 22, read: 23, link_posts: 24 };
        let prices = Prices { read: Some(5_000), post: None, link_post: Some(200_000) };
        vec![
            ("replies", encode(&replies).unwrap()),
            ("bot", encode(&bot).unwrap()),
            ("state", encode(&state).unwrap()),
            ("cached", encode(&CachedPost { ord: 18, post }).unwrap()),
            ("rate", encode(&rate).unwrap()),
            ("followed", encode(&followed).unwrap()),
            ("counters", encode(&counters).unwrap()),
            ("prices", encode(&prices).unwrap()),
        ]
    }

    #[test]
    fn stored_bytes_do_not_change() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        for (what, bytes) in golden() {
            let want = GOLDEN.iter().find(|(w, _)| *w == what).map(|(_, h)| *h).unwrap_or("");
            assert_eq!(hex(&bytes), want, "the stored form of a {what} changed");
        }
    }

    /// Cached posts written by older farms (format versions 1 and 2, recorded from their encoder)
    /// still read, with the fields they did not have left empty.
    #[test]
    fn old_cached_posts_migrate() {
        let unhex = |h: &str| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect::<Vec<u8>>()
        };
        let want = Post {
            id: 1_900_000_000_000_000_001,
            author: "someone".into(),
            text: "Гарри Поттер и Тайная Комната".into(),
            created_at: 1_767_225_600,
            is_repost: true,
            is_reply: false,
            has_links: true,
            lang: Some("ru".into()),
            ..Post::default()
        };
        for (hex, ord) in [(OLD_POST_V1, 0), (OLD_CACHED_V2, 18)] {
            let got: CachedPost = crate::store::codec::decode(&unhex(hex)).unwrap();
            assert_eq!(got, CachedPost { ord, post: want.clone() });
        }
        // A bot state of format version 1 (before posts carried metadata) keeps its pending post.
        let st: BotState = crate::store::codec::decode(&unhex(OLD_STATE_V1)).unwrap();
        let p = st.pending.unwrap();
        assert_eq!((p.text.as_str(), p.key.as_str(), p.source_id, p.attempts), ("t", "k", 8, 10));
        assert_eq!(p.meta, crate::model::PostMeta::default());
        assert_eq!((st.consumed, st.limited_until), (6, Some(16)));
        // One of version 2 (before time slots) keeps its post's metadata, and owes no slot.
        let st: BotState = crate::store::codec::decode(&unhex(OLD_STATE_V2)).unwrap();
        let p = st.pending.unwrap();
        assert_eq!((p.text.as_str(), p.meta.labels.as_slice()), ("t", &["nudity".to_string()][..]));
        assert_eq!((st.consumed, st.limited_until, st.slot_done, st.slots_missed), (6, Some(16), 0, 0));
        // One of version 3 (before threads) keeps its slots, and its pending post is no thread.
        let st: BotState = crate::store::codec::decode(&unhex(OLD_STATE_V3)).unwrap();
        let p = st.pending.unwrap();
        assert_eq!((p.text.as_str(), p.meta.labels.as_slice()), ("t", &["nudity".to_string()][..]));
        assert_eq!(p.thread, None);
        assert_eq!((st.consumed, st.limited_until, st.slot_done, st.slots_missed), (6, Some(16), 19, 20));
        // Counters of format version 1 (before the posts read and made with a link were
        // counted): the posts fetched stand in for the posts read.
        let c: Counters = crate::store::codec::decode(&unhex(OLD_COUNTERS_V1)).unwrap();
        assert_eq!(c, Counters { posts: 19, fetched: 20, calls: 21, errors: 22, read: 20, link_posts: 0 });
    }

    /// Version-1 counters (posts 19, fetched 20, calls 21, errors 22), as farms wrote them
    /// before issue #22.
    const OLD_COUNTERS_V1: &str = "0113141516";

    /// A version-1 bot state, as farms wrote it before issue #22.
    const OLD_STATE_V1: &str = "0102040301080101650101350601017407016b08120a160c0d0102313401fbf401171e0120";

    /// A version-2 bot state, as farms wrote it before issue #23 (time slots).
    const OLD_STATE_V2: &str = "0202040301080101650101350601017407016b08120a01026377010102727501066e7564697479010661743a2f2f70010263310661743a2f2f72000108756e6c6973746564160c0d0102313401fbf401171e0120";

    /// A version-3 bot state, as farms wrote it before threads (issue #23).
    const OLD_STATE_V3: &str = "0302040301080101650101350601017407016b08120a01026377010102727501066e7564697479010661743a2f2f70010263310661743a2f2f72000108756e6c6973746564160c0d0102313401fbf401171e01202614";

    /// A posts-tree value as schema-3 farms wrote it (a bare version-1 post).
    const OLD_POST_V1: &str = "01fd01003ef1ee275e1a07736f6d656f6e6536d093d0b0d180d180d0b820d09fd0bed182d182d0b5d18020d0b820d0a2d0b0d0b9d0bdd0b0d18f20d09ad0bed0bcd0bdd0b0d182d0b0fc0072abd201000101027275";
    /// A version-2 cached post (ordinal 18), as farms wrote it before issue #22.
    const OLD_CACHED_V2: &str = "0212fd01003ef1ee275e1a07736f6d656f6e6536d093d0b0d180d180d0b820d09fd0bed182d182d0b5d18020d0b820d0a2d0b0d0b9d0bdd0b0d18f20d09ad0bed0bcd0bdd0b0d182d0b0fc0072abd201000101027275";

    /// Recorded from the encoder (issue #14; cached posts at format version 3, followed accounts
    /// at 1, counters at 2 and prices, issue #22; bot states at format version 4, issue #23).
    #[rustfmt::skip]
    const GOLDEN: &[(&str, &str)] = &[
        ("bot", "0102687001011168747470733a2f2f6170692e782e636f6dfb100e0101046e65777302636b026373026174026173011dd093d0b0d180d180d0b820d09fd0bed182d182d0b5d18020d0b8207b7d010670687261736501086e6f2d6c696e6b730108756e6c6973746564c8fc008d2700fb8813fc80f40300fc0072abd201016b0176"),
        ("state", "0402040301080101650101350601017407016b08120a01026377010102727501066e7564697479010661743a2f2f70010263310661743a2f2f72000108756e6c6973746564010202027233027234160c0d0102313401fbf401171e01202614"),
        ("cached", "0312fd01003ef1ee275e1a07736f6d656f6e6536d093d0b0d180d180d0b820d09fd0bed182d182d0b5d18020d0b820d0a2d0b0d0b9d0bdd0b0d18f20d09ad0bed0bcd0bdd0b0d182d0b0fc0072abd201000101027275010873706f696c65727301010ed09dd0bed0b2d0bed181d182d0b8011568747470733a2f2f6578616d706c652e6f72672f310105626f6f6b73"),
        ("rate", "0103014b0022"),
        // A writer's reply state, format version 1 (issue #24).
        ("replies", "0101023139010661743a2f2f6d01026332010661743a2f2f7201026333010661743a2f2f7008616e6e2e746573740b6469643a706c633a616e6e011040687020d0bfd180d0b8d0b2d0b5d18228010664697265637401027275010232310102323217300102323502323201023236360102030405060708090a0b"),
        ("followed", "0114616c696365406578616d706c652e736f6369616c010331303915616c69636532406578616d706c652e736f6369616c011668747470733a2f2f6578616d706c652e736f6369616c01033131300214616c696365406578616d706c652e736f6369616c010165262815012c2e"),
        ("counters", "02131415161718"),
        ("prices", "0101fb88130001fc400d0300"),
    ];
}
