//! Creating, changing and destroying bots: the rules the registry commands share.

use super::model::{normalize_name, Bot, ReaderOpts, Role};
use crate::clock;
use crate::error::{FarmError, Result};
use crate::net::{Credentials, PlatformKind};
use crate::store::Store;
use crate::text::pipeline::WriterSpec;

/// Settings given on the command line for `create` or `edit`; `None` = unchanged / default.
#[derive(Debug, Default, Clone)]
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
        FarmError::usage(format!("unknown platform {s:?}; use one of: x, x-v1, mastodon, bluesky"))
    })
}

/// Check an `--api` URL and drop a trailing slash.
pub fn parse_api(s: &str) -> Result<String> {
    let t = s.trim().trim_end_matches('/');
    let rest = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(t.to_string()),
        _ => Err(FarmError::usage(format!("{s:?} is not an API URL; use e.g. https://mastodon.social"))),
    }
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
    let mut api = s.api.as_deref().map(parse_api).transpose()?;
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
pub fn apply(bot: &mut Bot, s: &Settings, mode: EditMode) -> Result<()> {
    if let Some(p) = &s.platform {
        bot.platform = parse_platform(p)?;
    }
    if let Some(a) = &s.api {
        bot.api = parse_api(a)?;
    }
    if let Some(e) = &s.every {
        bot.every = clock::parse_duration(e)?;
    }
    let writer_only = s.template.is_some()
        || !s.process.is_empty()
        || !s.filters.is_empty()
        || s.visibility.is_some()
        || mode.no_template
        || mode.reset_process
        || mode.reset_filters;
    if writer_only && bot.role != Role::Writer {
        return Err(FarmError::usage(format!(
            "{} is a {}; --template, --process, --filter and --visibility are for writers",
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
