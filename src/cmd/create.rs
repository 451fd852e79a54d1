//! `farm create reader|writer NAME …`

use super::{finish, now, open, read_credentials, settings, Globals};
use crate::bot::registry::{new_bot, parse_platform};
use crate::bot::Role;
use crate::cli::CreateCmd;
use crate::error::Result;

/// Create a bot.
pub fn run(g: &Globals, c: CreateCmd) -> Result<()> {
    match c {
        CreateCmd::Reader(a) => {
            create(g, Role::Reader, &a.name, settings(&a.net, &a.reader, &Default::default()), a.auth_later)
        }
        CreateCmd::Writer(a) => {
            create(g, Role::Writer, &a.name, settings(&a.net, &Default::default(), &a.writer), a.auth_later)
        }
        CreateCmd::Analyzer(a) => super::best::create_analyzer(g, a),
    }
}

/// Create a bot of `role` (shared with `farm create analyzer`).
pub fn create(
    g: &Globals,
    role: Role,
    name: &str,
    s: crate::bot::registry::Settings,
    auth_later: bool,
) -> Result<()> {
    // Validate names and options before touching the disk.
    crate::model::normalize_name(name)?;
    if let Some(p) = &s.platform {
        parse_platform(p)?;
    }
    let now = now()?;
    // Validate everything with empty credentials, then let go of the farm while the secrets are
    // read: a prompt waits for a person, and `farm run` must go on meanwhile.
    let (bot_name, platform, shared_keys, public_only) = {
        let store = open(&g.dir)?;
        let probe = new_bot(&store, role, name, &s, Default::default(), now)?;
        let public_only = crate::bot::follow::public_only(&probe, !s.follow.is_empty());
        (probe.name, probe.platform, store.app_keys("x")?.is_some(), public_only)
    };
    let creds = if role == Role::Analyzer {
        // An analyzer reads the writer's own posts with the writer's credentials.
        Default::default()
    } else {
        // `--auth-later`: no user tokens now, from neither the environment nor a prompt
        // (`farm auth NAME` adds them); X app keys are still taken, `farm auth` needs them. A
        // reader of public accounts only needs none.
        read_credentials(shared_keys, &bot_name, platform, !auth_later && !public_only)?
    };
    let store = open(&g.dir)?;
    // Validated again: the farm may have changed while the secrets were read.
    let mut bot = new_bot(&store, role, name, &s, Default::default(), now)?;
    bot.creds = creds;
    store.put_bot(&bot)?;
    crate::bot::registry::start_slots(&store, None, &bot, now)?;
    store.log(&bot.name, now, "create", &format!("created {} on {}", role.name(), bot.platform.name()))?;
    for line in crate::bot::registry::apply_follows(&store, &bot, &s)? {
        store.log(&bot.name, now, "follow", &line)?;
    }
    finish(&store)?;
    eprintln!(
        "created {} {} ({}, {})",
        role.name(),
        bot.name,
        bot.platform.name(),
        crate::bot::slots::schedule_text(&bot)
    );
    if !s.follow.is_empty() {
        super::show::cost_note(&bot);
    }
    Ok(())
}
