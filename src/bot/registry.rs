//! Creating, changing and destroying bots: the rules the registry commands share.

use super::analyzer::{self, BORING_KEY, HOT_KEY, MIN_AGE_KEY, REPOST_WEIGHT_KEY};
use crate::clock;
use crate::error::{FarmError, Result};
use crate::model::{normalize_name, Bot, BotState, ReaderOpts, Role};
use crate::net::{Credentials, PlatformKind};
use crate::store::Store;
use crate::text::pipeline::WriterSpec;

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
    /// `--lang` (Bluesky writers).
    pub lang: Option<String>,
    /// `--cap`.
    pub cap: Option<u32>,
    /// `--keep-age`.
    pub keep_age: Option<String>,
    /// `--keep-max`.
    pub keep_max: Option<u32>,
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
    if scheme == "http" && !loopback(&host) {
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

/// Whether `host` is this machine: `localhost`, `127.x.x.x` or `[::1]`.
fn loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host == "[::1]"
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

/// The writer setting `--lang` sets: the language of a Bluesky post whose source has none.
pub const LANG_KEY: &str = "lang";

/// Check a `--lang` value: a BCP 47 tag as Bluesky's `langs` takes it, a language of 2 or 3
/// letters then subtags of 1 to 8 letters or digits (`en`, `pt-BR`, `zh-Hant`, `es-419`).
fn parse_lang(v: &str) -> Result<String> {
    let mut parts = v.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !ok || v.len() > 35 {
        return Err(FarmError::usage(format!(
            "--lang {v:?} is not a language tag; use e.g. en, pt-BR or zh-Hant (BCP 47)"
        )));
    }
    Ok(v.to_string())
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
        Role::Writer => {
            let src = s.source.as_deref().ok_or_else(|| {
                FarmError::usage(
                    "a writer needs --source READER: the reader whose posts it turns into new ones",
                )
            })?;
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
    let platform = platform.ok_or_else(|| FarmError::usage("--platform is required: x, x-v1 or mastodon"))?;
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
    let api = match api {
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
    let writer_only = s.template.is_some()
        || !s.process.is_empty()
        || !s.filters.is_empty()
        || s.visibility.is_some()
        || s.lang.is_some()
        || mode.no_template
        || mode.reset_process
        || mode.reset_filters;
    if writer_only && bot.role != Role::Writer {
        return Err(FarmError::usage(format!(
            "{} is a {}; --template, --process, --filter, --visibility and --lang are for writers",
            bot.name,
            bot.role.name()
        )));
    }
    let reader_only = s.cap.is_some() || s.keep_age.is_some() || s.keep_max.is_some();
    if reader_only && bot.role != Role::Reader {
        return Err(FarmError::usage(format!(
            "{} is a {}; --cap and --keep-* are for readers",
            bot.name,
            bot.role.name()
        )));
    }
    if let Some(v) = &s.visibility {
        bot.visibility = Some(parse_visibility(v)?);
    }
    if let Some(l) = &s.lang {
        if bot.platform != PlatformKind::Bluesky {
            return Err(FarmError::usage(format!(
                "{} is on {}; --lang is for Bluesky writers (the other networks take no post language)",
                bot.name,
                bot.platform.name()
            )));
        }
        bot.set_setting(LANG_KEY, Some(parse_lang(l)?));
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
        process.extend(fresh.process);
        filters.extend(fresh.filters);
        let spec = WriterSpec::from_cli(template, &process, &filters)?;
        bot.template = spec.template;
        bot.process = spec.process;
        bot.filters = spec.filters;
    }
    Ok(())
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
    WriterSpec { template: bot.template.clone(), process: bot.process.clone(), filters: bot.filters.clone() }
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
