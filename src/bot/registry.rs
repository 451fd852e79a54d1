//! Creating, changing and destroying bots: the rules the registry commands share.

use super::analyzer::{self, BORING_KEY, HOT_KEY, MIN_AGE_KEY, REPOST_WEIGHT_KEY};
use super::slots::{self, SlotOpts};
use crate::clock;
use crate::error::{FarmError, Result};
use crate::model::{normalize_name, Bot, BotState, ReaderOpts, Role};
use crate::net::{Credentials, PlatformKind};
use crate::store::Store;
use crate::text::pipeline::{WriterSpec, TRACERY};

/// Settings given on the command line for `create` or `edit`; `None` = unchanged / default.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Settings {
    /// `--platform`.
    pub platform: Option<String>,
    /// `--api`.
    pub api: Option<String>,
    /// `--every`.
    pub every: Option<String>,
    /// `--source`.
    pub source: Option<String>,
    /// `--template`.
    pub template: Option<String>,
    /// `--process` specs.
    pub process: Vec<String>,
    /// `--filter` specs.
    pub filters: Vec<String>,
    /// `--visibility`.
    pub visibility: Option<String>,
    /// `--lang` (writers; empty: none).
    pub lang: Option<String>,
    /// `--long` (writers): `skip`, `cut` or `thread`.
    pub long: Option<String>,
    /// `--warning` (writers; empty: none).
    pub warning: Option<String>,
    /// `--sensitive` (writers).
    pub sensitive: Option<bool>,
    /// `--label` (writers; comma-separated, empty: none).
    pub label: Option<String>,
    /// `--warnings skip|carry` (writers).
    pub warnings: Option<String>,
    /// `--reply` and the `--reply-*` options (writers).
    pub reply: super::reply::ReplySettings,
    /// `--cap`.
    pub cap: Option<u32>,
    /// `--keep-age`.
    pub keep_age: Option<String>,
    /// `--keep-max`.
    pub keep_max: Option<u32>,
    /// `--at`, `--tz`, `--days`, `--jitter`, `--missed` (writers' time slots).
    pub slots: SlotOpts,
    /// `--follow` (readers): accounts to follow.
    pub follow: Vec<String>,
    /// `--unfollow` (readers): accounts to stop following.
    pub unfollow: Vec<String>,
    /// `--home` / `--no-home` (readers with followed accounts).
    pub home: Option<bool>,
    /// `--reposts` / `--no-reposts` (readers with followed accounts).
    pub reposts: Option<bool>,
    /// `--plc` (Bluesky readers).
    pub plc: Option<String>,
}

/// Parse a `--platform` value.
pub fn parse_platform(s: &str) -> Result<PlatformKind> {
    PlatformKind::parse(s).ok_or_else(|| {
        FarmError::usage(format!(
            "unknown platform {s:?}; use one of: x, x-v1, mastodon, bluesky, feed, corpus"
        ))
    })
}

/// Check an `--api` URL and drop a trailing slash: the base URL of an instance or API host,
/// `https://` (plain `http://` only to this machine, for a local test server), a host, an
/// optional port, and a path only for a proxy. Refused with a hint: a profile page, the API's
/// own path (`/api/v1`, `/2`), credentials in the URL (never repeated in the message), a query,
/// a bad port. A feed's URL (`feed`) is the feed itself: any path and query are kept, and plain
/// `http://` is allowed (a feed carries no credentials).
pub fn parse_api(s: &str) -> Result<String> {
    parse_url(s, false)
}

/// [`parse_api`], or with `feed` the URL of a feed.
pub fn parse_url(s: &str, feed: bool) -> Result<String> {
    let t = s.trim();
    let eg = "use e.g. https://mastodon.social or https://api.x.com";
    let (scheme, rest) = match t.split_once("://") {
        Some((sc @ ("https" | "http"), rest)) => (sc, rest),
        _ => {
            let rest = t.split_once("://").map_or(t, |(_, r)| r);
            if authority(rest).contains('@') {
                return Err(userinfo());
            }
            return Err(FarmError::usage(format!(
                "--api {s:?} is not an API URL: it starts with https://; {eg}"
            )));
        }
    };
    let auth = authority(rest);
    if auth.contains('@') {
        return Err(userinfo());
    }
    let tail = &rest[auth.len()..];
    let bad = |why: String| Err(FarmError::usage(format!("--api {t}: {why}")));
    if !feed && tail.contains(['?', '#']) {
        // Not repeated: a query may hold a token.
        return Err(FarmError::usage(format!(
            "--api takes a base URL, without a query or fragment (?…, #…); {eg}"
        )));
    }
    let (host, port) = match auth.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((ip, after)) => (format!("[{ip}]"), after.strip_prefix(':')),
            None => return bad("an IPv6 address needs its closing ]".into()),
        },
        None => match auth.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (auth.to_string(), None),
        },
    };
    if host.is_empty() || host == "[]" {
        return bad(format!("no host; {eg}"));
    }
    let host_ok = match host.strip_prefix('[') {
        Some(v6) => v6.trim_end_matches(']').parse::<std::net::Ipv6Addr>().is_ok(),
        None => host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
    };
    if !host_ok {
        return bad(format!("{host:?} is not a host name; {eg}"));
    }
    if let Some(p) = port {
        if !p.parse::<u16>().is_ok_and(|p| p > 0) {
            return bad(format!("bad port {p:?}: a port is a number from 1 to 65535 (or leave it out)"));
        }
    }
    if feed {
        // The feed's own URL, path and query as given (a fragment is never sent).
        return Ok(format!("{scheme}://{auth}{}", tail.split('#').next().unwrap_or_default()));
    }
    let path = tail.trim_end_matches('/');
    let base = format!("{scheme}://{auth}");
    let segments: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
    if segments.iter().any(|x| x.starts_with('@')) || segments.first() == Some(&"users") {
        return bad(format!("that is a profile page; give the instance alone: --api {base}"));
    }
    if let Some(i) = segments.iter().position(|x| matches!(*x, "api" | "2" | "1.1")) {
        let suffix = format!("/{}", segments[i..].join("/"));
        return bad(format!("leave out {suffix}: farm adds the API's paths itself; --api {base}"));
    }
    if scheme == "http" && !crate::net::http::is_loopback(&host) {
        return bad(format!(
            "plain http:// would send the credentials unencrypted; use https://{auth} (http:// is only for a test server on this machine)"
        ));
    }
    Ok(format!("{base}{path}"))
}

/// The authority of a URL without its scheme: up to the first `/`, `?` or `#`.
fn authority(rest: &str) -> &str {
    rest.split(['/', '?', '#']).next().unwrap_or_default()
}

/// The error for `user:password@` in `--api`; the URL is not repeated, it holds a secret.
fn userinfo() -> FarmError {
    FarmError::usage(
        "--api must not carry credentials (user:password@): they would show in `ps`, logs and `farm show`; give the URL without them, and the token in FARM_ACCESS_TOKEN",
    )
}

/// Whom a bot's credentials belong to: X (v2 and v1.1 are the same accounts, whatever the API
/// host), or one Mastodon instance (its host and port). Credentials never go to another.
pub fn account_home(platform: PlatformKind, api: &str) -> String {
    if platform.uses_oauth1() {
        return "x".into();
    }
    let rest = api.split_once("://").map_or(api, |(_, r)| r);
    format!("mastodon {}", authority(rest).to_ascii_lowercase())
}

/// The writer setting `--lang` sets: the language of a post whose source has none.
pub const LANG_KEY: &str = "lang";
/// The writer setting `--warning` sets: the content warning of its posts.
pub const WARNING_KEY: &str = "warning";
/// The writer setting `--sensitive` sets (`yes`): its posts are marked sensitive.
pub const SENSITIVE_KEY: &str = "sensitive";
/// The writer setting `--label` sets: Bluesky self-labels of its posts, comma-separated.
pub const LABELS_KEY: &str = "labels";
/// The writer setting `--warnings` sets (`carry`; unset: skip): what it does with a source post
/// that has a content warning.
pub const WARNINGS_KEY: &str = "warnings";

/// The writer setting that holds a grammar writer's Tracery grammar (compact JSON, read from
/// `--process tracery:FILE`).
pub const GRAMMAR_KEY: &str = "tracery";

/// The setting that says what a writer does with a text too long for its network: `cut` (at a
/// word, with "…"); without it, the text is skipped.
pub const LONG_KEY: &str = "long";

/// The longest `--warning`: Mastodon's own cap on a content warning is the post's length.
const MAX_WARNING: usize = 200;

/// Check a `--lang` value: a BCP 47 tag (a language of 2 or 3 letters then subtags of 1 to 8
/// letters or digits: `en`, `pt-BR`, `zh-Hant`, `es-419`), kept in its usual case; not one of
/// the codes that name no language (`und`, `zxx`).
pub fn parse_lang(v: &str) -> Result<String> {
    let plain = !v.contains('_') && v.trim() == v;
    crate::model::lang_tag(v).filter(|_| plain).ok_or_else(|| {
        FarmError::usage(format!(
            "--lang {v:?} is not a language tag; use e.g. en, pt-BR or zh-Hant (BCP 47)"
        ))
    })
}

/// Check a `--label` value: Bluesky self-labels that warn about the content, comma-separated.
fn parse_labels(v: &str) -> Result<String> {
    let known = crate::net::bluesky::CONTENT_LABELS;
    let mut labels: Vec<&str> = Vec::new();
    for l in v.split(',').map(str::trim).filter(|l| !l.is_empty()) {
        if !known.contains(&l) {
            return Err(FarmError::usage(format!(
                "--label {l:?} is not a content label; use {}",
                known.join(", ")
            )));
        }
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    Ok(labels.join(","))
}

/// Check a `--warning` value: one line, at most [`MAX_WARNING`] characters.
pub fn parse_warning(v: &str) -> Result<String> {
    let w = v.trim();
    if w.contains(['\n', '\r']) || w.chars().count() > MAX_WARNING {
        return Err(FarmError::usage(format!(
            "--warning is one line of at most {MAX_WARNING} characters, e.g. --warning 'politics'"
        )));
    }
    Ok(w.to_string())
}

fn parse_visibility(v: &str) -> Result<String> {
    match v {
        "public" | "unlisted" | "private" | "direct" => Ok(v.to_string()),
        _ => Err(FarmError::usage(format!(
            "unknown visibility {v:?}; use public, unlisted, private or direct"
        ))),
    }
}

/// Check that `source` names an existing bot of `want` role; returns its normalised name.
fn check_source(store: &Store, source: &str, want: Role, for_role: Role) -> Result<Bot> {
    let name = normalize_name(source)?;
    let bot = store.bot(&name)?.ok_or_else(|| {
        FarmError::usage(format!(
            "there is no bot {name:?} to use as --source; create the {} first",
            want.name()
        ))
    })?;
    if bot.role != want {
        return Err(FarmError::usage(format!(
            "{name} is a {}, but a {} needs a {} as its source",
            bot.role.name(),
            for_role.name(),
            want.name()
        )));
    }
    Ok(bot)
}

/// Build a new bot from settings (does not store it). Credentials are given separately.
pub fn new_bot(
    store: &Store,
    role: Role,
    raw_name: &str,
    s: &Settings,
    creds: Credentials,
    now: i64,
) -> Result<Bot> {
    let name = normalize_name(raw_name)?;
    if store.bot(&name)?.is_some() {
        return Err(FarmError::usage(format!(
            "a bot named {name} already exists; pick another name or `farm edit {name}`"
        )));
    }
    let mut source = None;
    let mut platform = s.platform.as_deref().map(parse_platform).transpose()?;
    let feed = platform == Some(PlatformKind::Feed);
    let mut api = s.api.as_deref().map(|a| parse_url(a, feed)).transpose()?;
    match role {
        Role::Reader => {
            if s.source.is_some() {
                return Err(FarmError::usage("a reader has no --source; it reads its own home timeline"));
            }
        }
        // A grammar writer has no reader ([`apply`] checks the grammar).
        Role::Writer if s.source.is_none() => {
            if !s.process.iter().any(|p| p.split([':', ';']).next() == Some(TRACERY)) {
                return Err(needs_source());
            }
        }
        Role::Writer => {
            let src = s.source.as_deref().unwrap_or_default();
            let reader = check_source(store, src, Role::Reader, Role::Writer)?;
            // A writer posts on the reader's network unless told otherwise.
            if platform.is_none() {
                platform = Some(reader.platform);
                if api.is_none() {
                    api = Some(reader.api.clone());
                }
            }
            source = Some(reader.name);
        }
        Role::Analyzer => {
            let src =
                s.source.as_deref().ok_or_else(|| FarmError::usage("an analyzer needs --writer WRITER"))?;
            let writer = check_source(store, src, Role::Writer, Role::Analyzer)?;
            platform = Some(writer.platform);
            api = Some(writer.api.clone());
            source = Some(writer.name);
        }
    }
    let platform = platform
        .ok_or_else(|| FarmError::usage("--platform is required: x, x-v1, mastodon, bluesky or feed"))?;
    if platform == PlatformKind::Feed && role != Role::Reader {
        return Err(FarmError::usage(
            "a feed can only be read; give the writer its own network: --platform mastodon --api https://your.instance",
        ));
    }
    if platform == PlatformKind::Corpus && role != Role::Reader {
        return Err(FarmError::usage(
            "a corpus only holds posts for writers; give the writer its own network: --platform mastodon --api https://your.instance",
        ));
    }
    // A Mastodon reader that follows accounts defaults to the first one's instance.
    let first_instance = match (platform, s.follow.first()) {
        (PlatformKind::Mastodon, Some(f)) if api.is_none() => {
            super::follow::instance_api(&super::follow::parse_spec(platform, f, None)?)
        }
        _ => None,
    };
    let api = match api.or(first_instance) {
        Some(a) => a,
        None => platform.default_api().map(str::to_string).ok_or_else(|| {
            FarmError::usage("Mastodon has no default API URL; pass --api https://your.instance")
        })?,
    };
    let every = clock::parse_duration(s.every.as_deref().unwrap_or(if role == Role::Analyzer {
        "1d"
    } else {
        "1h"
    }))?;
    let mut bot = Bot {
        name,
        role,
        platform,
        api,
        every,
        paused: false,
        source,
        creds,
        template: None,
        process: Vec::new(),
        filters: Vec::new(),
        visibility: None,
        reader: ReaderOpts::default(),
        created_at: now,
        settings: Vec::new(),
    };
    apply(&mut bot, s, EditMode::default())?;
    super::reply::apply(&mut bot, &s.reply, now)?;
    Ok(bot)
}

/// Refuse the options a corpus reader has no use for: it calls no API and reads nothing, so it
/// has no `--api`, no fetch cap and no retention (it keeps every post it imported).
fn corpus_options(bot: &Bot, s: &Settings) -> Result<()> {
    let given: Vec<&str> = [
        ("--api", s.api.is_some()),
        ("--cap", s.cap.is_some()),
        ("--keep-age", s.keep_age.is_some()),
        ("--keep-max", s.keep_max.is_some()),
        ("--home", s.home.is_some()),
        ("--reposts", s.reposts.is_some()),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(flag, _)| *flag)
    .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(FarmError::usage(format!(
        "{} is a corpus reader: it calls no API and keeps every post imported into it, so {} does \
         not apply; fill it with `farm import-corpus {} FILE`",
        bot.name,
        given.join(" and "),
        bot.name
    )))
}

/// How list-valued options are combined on edit.
#[derive(Debug, Default, Clone, Copy)]
pub struct EditMode {
    /// Remove the template.
    pub no_template: bool,
    /// Replace processing steps instead of appending.
    pub reset_process: bool,
    /// Replace filters instead of appending.
    pub reset_filters: bool,
}

/// Apply settings to a bot (used by create and edit); validates everything first.
/// A new `--platform` without `--api` moves the bot to that platform's default API.
pub fn apply(bot: &mut Bot, s: &Settings, mode: EditMode) -> Result<()> {
    if bot.role == Role::Analyzer && (s.platform.is_some() || s.api.is_some()) {
        return Err(FarmError::usage(format!(
            "{} is an analyzer: it calls with its writer {}'s account; change the writer's --platform and --api",
            bot.name,
            bot.source.as_deref().unwrap_or_default()
        )));
    }
    if let Some(p) = &s.platform {
        let p = parse_platform(p)?;
        if p != bot.platform && s.api.is_none() {
            bot.api = p.default_api().map(str::to_string).ok_or_else(|| {
                FarmError::usage(format!(
                    "--platform {} has no default API URL; pass --api https://your.instance too",
                    p.name()
                ))
            })?;
        }
        bot.platform = p;
    }
    if bot.platform == PlatformKind::Corpus {
        corpus_options(bot, s)?;
    }
    if let Some(a) = &s.api {
        bot.api = parse_url(a, bot.platform == PlatformKind::Feed)?;
    }
    if let Some(e) = &s.every {
        bot.every = clock::parse_duration(e)?;
    }
    apply_slots(bot, s)?;
    let writer_only = s.template.is_some()
        || !s.process.is_empty()
        || !s.filters.is_empty()
        || s.visibility.is_some()
        || s.lang.is_some()
        || s.long.is_some()
        || s.warning.is_some()
        || s.sensitive.is_some()
        || s.label.is_some()
        || s.warnings.is_some()
        || mode.no_template
        || mode.reset_process
        || mode.reset_filters;
    if writer_only && bot.role != Role::Writer {
        return Err(FarmError::usage(format!(
            "{} is a {}; --template, --process, --filter, --visibility, --lang, --warning, --sensitive, --label, --warnings and --long are for writers",
            bot.name,
            bot.role.name()
        )));
    }
    let reader_only = s.cap.is_some()
        || s.keep_age.is_some()
        || s.keep_max.is_some()
        || !s.follow.is_empty()
        || !s.unfollow.is_empty()
        || s.home.is_some()
        || s.reposts.is_some()
        || s.plc.is_some();
    if reader_only && bot.role != Role::Reader {
        return Err(FarmError::usage(format!(
            "{} is a {}; --cap, --keep-*, --follow, --unfollow, --home, --reposts and --plc are for readers",
            bot.name,
            bot.role.name()
        )));
    }
    for f in s.follow.iter().chain(&s.unfollow) {
        super::follow::parse_spec(bot.platform, f, Some(&bot.api))?;
    }
    let yes = |on: bool| on.then(|| "yes".to_string());
    if let Some(h) = s.home {
        bot.set_setting(super::follow::HOME_KEY, yes(h));
    }
    if let Some(r) = s.reposts {
        bot.set_setting(super::follow::REPOSTS_KEY, yes(r));
    }
    if let Some(p) = &s.plc {
        if bot.platform != PlatformKind::Bluesky {
            return Err(FarmError::usage(format!(
                "{} is on {}; --plc is for Bluesky readers (where a DID is resolved)",
                bot.name,
                bot.platform.name()
            )));
        }
        bot.set_setting(super::follow::PLC_KEY, Some(parse_api(p).map_err(|e| e.context("--plc"))?));
    }
    if let Some(v) = &s.visibility {
        bot.visibility = Some(parse_visibility(v)?);
    }
    // What a writer's posts carry: an empty value removes the setting.
    if let Some(l) = &s.lang {
        let l = if l.is_empty() { None } else { Some(parse_lang(l)?) };
        bot.set_setting(LANG_KEY, l);
    }
    if let Some(w) = &s.warning {
        bot.set_setting(WARNING_KEY, Some(parse_warning(w)?).filter(|w| !w.is_empty()));
    }
    if let Some(on) = s.sensitive {
        bot.set_setting(SENSITIVE_KEY, on.then(|| "yes".to_string()));
    }
    if let Some(l) = &s.label {
        bot.set_setting(LABELS_KEY, Some(parse_labels(l)?).filter(|l| !l.is_empty()));
    }
    if let Some(w) = &s.warnings {
        let carry = match w.as_str() {
            "skip" => false,
            "carry" => true,
            _ => return Err(FarmError::usage(format!("--warnings {w:?}: use skip or carry"))),
        };
        bot.set_setting(WARNINGS_KEY, carry.then(|| "carry".to_string()));
    }
    match s.long.as_deref() {
        None => {}
        Some("skip") => bot.set_setting(LONG_KEY, None),
        Some(how @ ("cut" | "thread")) => bot.set_setting(LONG_KEY, Some(how.into())),
        Some(other) => return Err(FarmError::usage(format!("--long {other:?}: use skip, cut or thread"))),
    }
    if let Some(c) = s.cap {
        if c == 0 || c > 3200 {
            return Err(FarmError::usage("--cap must be between 1 and 3200 (the X timeline horizon)"));
        }
        bot.reader.cap = c;
    }
    if let Some(a) = &s.keep_age {
        bot.reader.max_age = clock::parse_duration(a)?;
    }
    if let Some(m) = s.keep_max {
        if m == 0 {
            return Err(FarmError::usage("--keep-max must be at least 1"));
        }
        bot.reader.max_count = m;
    }
    if bot.role == Role::Writer {
        let template = if mode.no_template { None } else { s.template.clone().or(bot.template.clone()) };
        let mut process = if mode.reset_process { Vec::new() } else { bot.process.clone() };
        let mut filters = if mode.reset_filters { Vec::new() } else { bot.filters.clone() };
        // Newly given specs are validated (and their @file references read) here.
        let fresh = WriterSpec::from_cli(None, &s.process, &s.filters)?;
        let mut grammar =
            if mode.reset_process { None } else { bot.setting(GRAMMAR_KEY).map(str::to_string) };
        if let Some(new) = fresh.grammar {
            // A new grammar replaces the one the writer has, in its place.
            if grammar.replace(new).is_some() {
                process.retain(|p| p != TRACERY);
                process.insert(0, TRACERY.to_string());
            }
        }
        let has_step = process.iter().any(|p| p == TRACERY);
        process.extend(fresh.process.into_iter().filter(|p| !(has_step && p == TRACERY)));
        filters.extend(fresh.filters);
        let mut spec = WriterSpec::from_cli(template, &process, &filters)?;
        spec.grammar = grammar;
        spec.check()?;
        match (spec.is_generator(), &bot.source) {
            (true, Some(reader)) => {
                return Err(FarmError::usage(format!(
                    "{}: a writer has a reader ({reader}) or a grammar, not both: a grammar writer makes its own posts; drop --source, or drop the grammar with --reset-process",
                    bot.name
                )))
            }
            (false, None) => return Err(needs_source()),
            (true, None) if s.warnings.is_some() => {
                return Err(FarmError::usage(format!(
                    "{}: --warnings is about a source post's content warning, and a grammar writer has no source posts; its grammar's {{cut …}} or --warning set its own",
                    bot.name
                )))
            }
            _ => {}
        }
        bot.template = spec.template;
        bot.process = spec.process;
        bot.filters = spec.filters;
        bot.set_setting(GRAMMAR_KEY, spec.grammar);
    }
    Ok(())
}

/// Time slots on create and edit: `--at` gives a writer slots (its interval becomes the
/// shortest gap between them, for the back-off after failures), `--tz`, `--days`, `--jitter` and
/// `--missed` change them, `--every` takes them away. Only writers have slots: a reader reads
/// whatever is new whenever it runs, and an analyzer scores at its interval.
fn apply_slots(bot: &mut Bot, s: &Settings) -> Result<()> {
    let o = &s.slots;
    if !o.any() {
        if s.every.is_some() {
            bot.set_setting(slots::KEY, None);
        }
        return Ok(());
    }
    if bot.role != Role::Writer {
        return Err(FarmError::usage(format!(
            "{} is a {}; --at, --tz, --days, --jitter and --missed are for writers (give it an --every)",
            bot.name,
            bot.role.name()
        )));
    }
    if s.every.is_some() {
        return Err(FarmError::usage(
            "--every and the time slots (--at, --tz, --days, --jitter, --missed) exclude each other: --every runs by interval, --at at set times",
        ));
    }
    // A stored schedule that cannot be read is replaced by one given whole.
    let current = slots::of(bot).ok().flatten();
    let new = slots::edit(current.as_ref(), o)?;
    bot.every = new.shortest_gap();
    bot.set_setting(slots::KEY, Some(new.to_setting()));
    Ok(())
}

/// After `create` or `edit` stored `bot` (`before`: as it was, `None` for a new bot): when its
/// time slots are new or changed, slots up to `now` are not owed (the first one to post for is
/// the next to come), so the state records them as served.
pub fn start_slots(store: &Store, before: Option<&Bot>, bot: &Bot, now: i64) -> Result<()> {
    let key = |b: &Bot| b.setting(slots::KEY).map(str::to_string);
    if key(bot).is_none() || before.map(key) == Some(key(bot)) {
        return Ok(());
    }
    let mut st = store.state(&bot.name)?;
    st.slot_done = st.slot_done.max(now);
    store.put_state(&bot.name, &st)
}

/// The error for a writer with neither a reader nor a grammar.
fn needs_source() -> FarmError {
    FarmError::usage(
        "a writer needs --source READER (the reader whose posts it turns into new ones) or a grammar to make its own: --process tracery:FILE",
    )
}

/// Follow and stop following accounts as `s` says (`--follow`, `--unfollow`; checked by
/// [`apply`] first): a new record for each account not followed yet, none for one no longer
/// followed (its cached posts stay). An `--unfollow` names an account by what `--follow` gave
/// or by its name now. Returns one line per change, for the event log; refused (nothing
/// changed) when an `--unfollow` names no followed account.
pub fn apply_follows(store: &Store, bot: &Bot, s: &Settings) -> Result<Vec<String>> {
    use super::follow::parse_spec;
    let follows = store.follows(&bot.name)?;
    let wanted: Vec<String> =
        s.follow.iter().map(|f| parse_spec(bot.platform, f, Some(&bot.api))).collect::<Result<_>>()?;
    let mut gone = Vec::new();
    for u in &s.unfollow {
        let spec = parse_spec(bot.platform, u, Some(&bot.api))?;
        let found = follows.iter().find(|f| f.spec == spec || f.handle.eq_ignore_ascii_case(&spec));
        let Some(f) = found else {
            return Err(FarmError::usage(format!(
                "{} does not follow {u}; `farm show {}` lists the accounts it follows",
                bot.name, bot.name
            )));
        };
        gone.push(f.spec.clone());
    }
    let mut lines = Vec::new();
    for spec in &gone {
        store.remove_follow(&bot.name, spec)?;
        lines.push(format!("unfollowed {spec}"));
    }
    let mut added = Vec::new();
    for spec in wanted {
        let known = follows.iter().any(|x| x.spec == spec && !gone.contains(&x.spec));
        if !known && !added.iter().any(|a: &crate::model::Followed| a.spec == spec) {
            lines.push(format!("follows {spec}"));
            added.push(crate::model::Followed::new(&spec));
        }
    }
    store.put_follows(&bot.name, &added)?;
    Ok(lines)
}

/// An analyzer's settings given on the command line (`create analyzer`, `edit`); `None` =
/// unchanged / default.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AnalyzerSettings {
    /// `--min-age`.
    pub min_age: Option<String>,
    /// `--repost-weight`.
    pub repost_weight: Option<i64>,
    /// `--boring-below`.
    pub boring_below: Option<i64>,
    /// `--hot-above`.
    pub hot_above: Option<i64>,
}

/// The default `--boring-below` and `--hot-above`.
pub const DEFAULT_THRESHOLDS: (i64, i64) = (-10, 10);

/// A writer's thresholds (boring below, hot above), set through its analyzer.
pub fn thresholds(writer: &Bot) -> (i64, i64) {
    let get = |key: &str, default: i64| writer.setting(key).and_then(|v| v.parse().ok()).unwrap_or(default);
    (get(BORING_KEY, DEFAULT_THRESHOLDS.0), get(HOT_KEY, DEFAULT_THRESHOLDS.1))
}

/// Apply analyzer settings, all checked first: the minimum age and the repost weight (0 to
/// 1000) are the analyzer's, the thresholds its writer's (the writer's feedback reads them),
/// and boring stays below hot.
pub fn apply_analyzer(analyzer: &mut Bot, writer: &mut Bot, a: &AnalyzerSettings) -> Result<()> {
    let min_age = check_analyzer(a)?;
    let (boring, hot) = thresholds(writer);
    let (boring, hot) = (a.boring_below.unwrap_or(boring), a.hot_above.unwrap_or(hot));
    if boring >= hot {
        return Err(FarmError::usage(format!(
            "--boring-below ({boring}) must be lower than --hot-above ({hot})"
        )));
    }
    if let Some(m) = min_age {
        analyzer.set_setting(MIN_AGE_KEY, Some(m.to_string()));
    }
    if let Some(w) = a.repost_weight {
        analyzer.set_setting(REPOST_WEIGHT_KEY, Some(w.to_string()));
    }
    if let Some(b) = a.boring_below {
        writer.set_setting(BORING_KEY, Some(b.to_string()));
    }
    if let Some(h) = a.hot_above {
        writer.set_setting(HOT_KEY, Some(h.to_string()));
    }
    Ok(())
}

/// Check the analyzer settings that need no bot (before anything is opened); returns the
/// minimum age in seconds, if given.
pub fn check_analyzer(a: &AnalyzerSettings) -> Result<Option<u64>> {
    let min_age = a.min_age.as_deref().map(clock::parse_duration).transpose()?;
    if a.repost_weight.is_some_and(|w| !(0..=1000).contains(&w)) {
        return Err(FarmError::usage("--repost-weight must be between 0 and 1000"));
    }
    Ok(min_age)
}

/// What an analyzer does, in words: "posts older than 1d, score = likes + 3 × reposts, boring
/// below -10, hot above 10".
pub fn describe_analyzer(analyzer: &Bot, writer: &Bot) -> String {
    let o = analyzer::Opts::of(analyzer);
    let (boring, hot) = thresholds(writer);
    format!(
        "posts older than {}, score = likes + {} × reposts, boring below {boring}, hot above {hot}",
        clock::format_duration(o.min_age),
        o.repost_weight
    )
}

/// A bot moved to another account (another network or instance, see [`account_home`]): what
/// the farm learned from the old one goes, so the new one starts afresh. Its account id,
/// cursor, length rule, rate-limit hold and failures are forgotten; an unconfirmed post (made
/// on the old account) is dropped; a reader's cached posts go and its writers start from the
/// new ones (post ids of two networks do not compare); an analyzer of a writer forgets the
/// account id too. Returns the line for the event log.
pub fn start_afresh(store: &Store, bot: &Bot) -> Result<String> {
    let mut st = store.state(&bot.name)?;
    let mut line = format!("new account ({} at {}): starts afresh", bot.platform.name(), bot.api);
    if let Some(p) = st.pending.take() {
        line.push_str(&format!("; dropped the unconfirmed post made on the old account: {}", p.text));
    }
    if bot.role == Role::Reader {
        let (dropped, _) = store.prune_posts(&bot.name, 0, |_| true)?;
        if dropped > 0 {
            line.push_str(&format!("; dropped {dropped} cached posts of the old account"));
        }
        for w in dependents(store, &bot.name)? {
            let mut ws = store.state(&w.name)?;
            ws.consumed = 0;
            store.put_state(&w.name, &ws)?;
            store.note_consumed(&w.name, &bot.name, 0)?;
        }
    }
    for a in dependents(store, &bot.name)?.iter().filter(|b| b.role == Role::Analyzer) {
        forget_account_id(store, &a.name)?;
    }
    let st = BotState {
        account_id: None,
        cursor: None,
        length_rule: None,
        limited_until: None,
        fails: 0,
        failing_since: None,
        last_error: None,
        cached: 0,
        ..st
    };
    store.put_state(&bot.name, &st)?;
    // The old account's mentions are not this one's.
    store.forget_replies(&bot.name)?;
    Ok(line)
}

/// Forget the platform account id a bot learned (its credentials changed: maybe another user).
pub fn forget_account_id(store: &Store, name: &str) -> Result<()> {
    let mut st = store.state(name)?;
    if st.account_id.take().is_some() {
        store.put_state(name, &st)?;
    }
    Ok(())
}

/// The writer spec of a bot, as the text pipeline wants it.
pub fn writer_spec(bot: &Bot) -> WriterSpec {
    WriterSpec {
        template: bot.template.clone(),
        process: bot.process.clone(),
        filters: bot.filters.clone(),
        grammar: bot.setting(GRAMMAR_KEY).map(str::to_string),
    }
}

/// Bots that use `name` as their source.
pub fn dependents(store: &Store, name: &str) -> Result<Vec<Bot>> {
    Ok(store.bots()?.into_iter().filter(|b| b.source.as_deref() == Some(name)).collect())
}

/// Delete a bot and everything the farm keeps for it. An analyzer's word scores on its writer go
/// too (the writer stops skipping and preferring words), unless another analyzer scores the same
/// writer.
pub fn destroy(store: &Store, bot: &Bot) -> Result<()> {
    store.destroy_bot(&bot.name)?;
    if let (Role::Analyzer, Some(writer)) = (bot.role, bot.source.as_deref()) {
        let scored_by_another = dependents(store, writer)?.iter().any(|b| b.role == Role::Analyzer);
        if !scored_by_another {
            store.clear_scores(writer)?;
        }
    }
    Ok(())
}

/// Look up a bot by a user-given name, with a clear error when it does not exist.
pub fn get(store: &Store, raw: &str) -> Result<Bot> {
    let name = normalize_name(raw)?;
    store
        .bot(&name)?
        .ok_or_else(|| FarmError::usage(format!("there is no bot named {name}; see `farm list`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_urls_are_checked() {
        for (given, want) in [
            ("https://mastodon.social", "https://mastodon.social"),
            ("https://mastodon.social/", "https://mastodon.social"),
            (" https://Mastodon.Social ", "https://Mastodon.Social"),
            ("https://api.x.com", "https://api.x.com"),
            ("https://example.com:8443", "https://example.com:8443"),
            ("https://proxy.example/x", "https://proxy.example/x"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.1.2.3", "http://127.1.2.3"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://[::1]:9", "http://[::1]:9"),
        ] {
            assert_eq!(parse_api(given).unwrap(), want, "{given}");
        }
        for (bad, words) in [
            ("https://mastodon.social/@someone", "profile"),
            ("https://mastodon.social/users/someone", "profile"),
            ("https://mastodon.social/api/v1", "leave out /api/v1"),
            ("https://mastodon.social/api/v2/", "leave out /api/v2"),
            ("https://api.x.com/2", "leave out /2"),
            ("https://api.x.com/1.1", "leave out /1.1"),
            ("http://mastodon.social", "https://"),
            ("http://10.0.0.1", "https://"),
            ("https://bob:hunter2@mastodon.social", "credentials"),
            ("https://bob@mastodon.social", "credentials"),
            ("https://mastodon.social:99999", "port"),
            ("https://mastodon.social:0", "port"),
            ("https://mastodon.social:", "port"),
            ("https://mastodon.social:http", "port"),
            ("https://", "no host"),
            ("https:///api", "no host"),
            ("https://exa mple.com", "host"),
            ("https://mastodon.social?access_token=hunter2", "query"),
            ("https://mastodon.social#top", "query"),
            ("mastodon.social", "https://"),
            ("ftp://mastodon.social", "https://"),
        ] {
            let e = parse_api(bad).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::Usage, "{bad}");
            assert!(e.message.contains(words), "{bad}: {}", e.message);
            assert!(!e.message.contains("hunter2"), "{}", e.message);
        }
    }

    #[test]
    fn credentials_belong_to_a_network_and_an_instance() {
        use PlatformKind::*;
        let home = |p, api: &str| account_home(p, api);
        assert_eq!(home(X, "https://api.x.com"), home(XV1, "https://proxy.example"));
        assert_ne!(home(X, "https://api.x.com"), home(Mastodon, "https://api.x.com"));
        assert_eq!(home(Mastodon, "https://m.social"), home(Mastodon, "https://M.social/"));
        assert_ne!(home(Mastodon, "https://m.social"), home(Mastodon, "https://fosstodon.org"));
        assert_ne!(home(Mastodon, "http://127.0.0.1:1"), home(Mastodon, "http://127.0.0.1:2"));
    }
}
