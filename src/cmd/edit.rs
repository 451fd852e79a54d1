//! `farm edit NAME …`: change only what is given. A bot moved to another account (another
//! network, or another Mastodon instance) needs new credentials (`--credentials`) or none
//! (`--auth-later`), and starts afresh there ([`start_afresh`]). Nothing given is an error;
//! settings equal to the current ones change nothing and say so.

use super::{analyzer_settings, finish, now, open_required, read_credentials, settings, Globals};
use crate::bot::registry::{
    account_home, apply, apply_analyzer, check_analyzer, dependents, forget_account_id, get, start_afresh,
    start_slots, EditMode,
};
use crate::bot::{Bot, Role};
use crate::cli::EditArgs;
use crate::error::{FarmError, Result};
use crate::store::Store;

/// What an edit changes, worked out from the stored bots (nothing stored yet).
struct Edit {
    /// The bot as stored.
    before: Bot,
    /// The bot with the edit applied (credentials not yet read).
    bot: Bot,
    /// An analyzer's writer before and after its thresholds change, when they do.
    writer: Option<(Bot, Bot)>,
    /// Whether the bot moves to another account (another network or instance).
    moved: bool,
}

/// Change a bot's settings.
pub fn run(g: &Globals, a: EditArgs) -> Result<()> {
    let mut s = settings(&a.net, &a.reader, &a.writer);
    s.unfollow = a.unfollow.clone();
    if a.no_home {
        s.home = Some(false);
    }
    if a.no_reposts {
        s.reposts = Some(false);
    }
    let an = analyzer_settings(&a.analyzer);
    let mode = EditMode {
        no_template: a.no_template,
        reset_process: a.reset_process,
        reset_filters: a.reset_filters,
    };
    let flags = a.credentials || a.auth_later || mode.no_template || mode.reset_process || mode.reset_filters;
    if s == Default::default() && an == Default::default() && !flags {
        return Err(FarmError::usage(format!(
            "nothing to change: give the settings to change, e.g. farm edit {} --every 2h (see farm edit --help)",
            a.name.trim_start_matches('@')
        )));
    }
    check_analyzer(&an)?;
    let mut store = open_required(&g.dir)?;
    let mut e = edited(&store, &a, &s, &an, mode)?;
    if a.credentials && !e.moved {
        refuse_unconfirmed(&store, &e.bot)?;
    }
    if a.credentials || a.auth_later {
        let shared_keys = store.app_keys("x")?.is_some();
        let creds = if a.credentials {
            // New tokens may need a prompt, which waits for a person: with the farm closed.
            drop(store);
            let creds = read_credentials(shared_keys, &e.bot.name, e.bot.platform, true)?;
            store = open_required(&g.dir)?;
            e = edited(&store, &a, &s, &an, mode)?;
            creds
        } else {
            read_credentials(shared_keys, &e.bot.name, e.bot.platform, false)?
        };
        e.bot.creds = creds;
    }
    let Edit { before, bot, writer, moved } = e;
    let now = now()?;
    // Followed accounts belong to a network: a reader moved to another one follows none there.
    let dropped = bot.platform != before.platform && store.has_follows(&bot.name)?;
    if dropped {
        store.clear_follows(&bot.name)?;
        store.log(&bot.name, now, "follow", "no longer follows the accounts of its old network")?;
    }
    let followed = crate::bot::registry::apply_follows(&store, &bot, &s)?;
    for line in &followed {
        store.log(&bot.name, now, "follow", line)?;
    }
    if bot == before && writer.is_none() && followed.is_empty() {
        eprintln!("{}: nothing changed", bot.name);
        return Ok(());
    }
    store.put_bot(&bot)?;
    start_slots(&store, Some(&before), &bot, now)?;
    if let Some((_, w)) = &writer {
        store.put_bot(w)?;
        store.log(&w.name, now, "edit", &format!("thresholds changed through {}", bot.name))?;
    }
    if bot.platform != before.platform || bot.api != before.api {
        // The analyzers of a writer call with its account: their copy follows.
        for mut dep in dependents(&store, &bot.name)?.into_iter().filter(|d| d.role == Role::Analyzer) {
            dep.platform = bot.platform;
            dep.api = bot.api.clone();
            store.put_bot(&dep)?;
        }
    }
    if moved {
        let line = start_afresh(&store, &bot)?;
        store.log(&bot.name, now, "edit", &line)?;
    } else if bot.creds != before.creds {
        // Maybe another user of the same network: learn the account id again.
        forget_account_id(&store, &bot.name)?;
    }
    store.log(&bot.name, now, "edit", "settings changed")?;
    finish(&store)?;
    eprintln!("updated {}", bot.name);
    if !s.follow.is_empty() {
        super::show::cost_note(&bot);
    }
    Ok(())
}

/// New credentials on the same network may be another account's: an unconfirmed post (which
/// may have gone out on the old one) is settled first, never resent with them.
fn refuse_unconfirmed(store: &Store, bot: &Bot) -> Result<()> {
    let Some(p) = store.state(&bot.name)?.pending else { return Ok(()) };
    Err(super::post::unconfirmed(bot, &p, " on the current account", "change the credentials"))
}

/// The edit `a` of the stored bot, checked: a source that is a reader, analyzer options only
/// for analyzers, new credentials (or none) for a bot that moves to another account, none for
/// an analyzer.
fn edited(
    store: &Store,
    a: &EditArgs,
    s: &crate::bot::registry::Settings,
    an: &crate::bot::registry::AnalyzerSettings,
    mode: EditMode,
) -> Result<Edit> {
    let mut bot = get(store, &a.name)?;
    let before = bot.clone();
    if let Some(src) = &s.source {
        let reader = get(store, src)?;
        if bot.role != Role::Writer || reader.role != Role::Reader {
            return Err(FarmError::usage(format!(
                "--source must name a reader, and only writers have one ({} is a {}, {} is a {})",
                bot.name,
                bot.role.name(),
                reader.name,
                reader.role.name()
            )));
        }
        bot.source = Some(reader.name);
    }
    apply(&mut bot, s, mode)?;
    crate::bot::reply::apply(&mut bot, &s.reply, super::now()?)?;
    // An analyzer's thresholds are its writer's settings: (the writer before, after).
    let mut writer = None;
    if *an != Default::default() {
        if bot.role != Role::Analyzer {
            return Err(FarmError::usage(format!(
                "{} is a {}; --min-age, --repost-weight, --boring-below and --hot-above are for analyzers",
                bot.name,
                bot.role.name()
            )));
        }
        let w = get(store, bot.source.as_deref().unwrap_or_default())?;
        let mut changed = w.clone();
        apply_analyzer(&mut bot, &mut changed, an)?;
        writer = Some((w, changed)).filter(|(w, changed)| w != changed);
    }
    // Credentials belong to one account: never sent to another. A reader of public accounts
    // only has none to send.
    let moved = account_home(before.platform, &before.api) != account_home(bot.platform, &bot.api);
    let public = crate::bot::follow::public_only(&bot, store.has_follows(&bot.name)? || !s.follow.is_empty())
        && bot.creds == Default::default();
    if moved && !a.credentials && !a.auth_later && !public {
        return Err(FarmError::usage(format!(
            "{} moves to another account ({} at {}): its credentials stay behind; add --credentials (the new ones from the environment) or --auth-later (then `farm auth {}`)",
            bot.name,
            bot.platform.name(),
            bot.api,
            bot.name
        )));
    }
    if (a.credentials || a.auth_later) && bot.role == Role::Analyzer {
        let w = bot.source.as_deref().unwrap_or_default();
        return Err(FarmError::usage(format!(
            "{} is an analyzer: it calls with its writer {w}'s credentials; change those (farm edit {w} --credentials)",
            bot.name
        )));
    }
    Ok(Edit { before, bot, writer, moved })
}
