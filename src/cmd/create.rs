//! `farm create reader|writer NAME …`

use super::{finish, now, open, read_credentials, settings, Globals};
use crate::bot::registry::{new_bot, parse_platform};
use crate::bot::Role;
use crate::cli::{CreateArgs, CreateCmd};
use crate::error::Result;

/// Create a bot.
pub fn run(g: &Globals, c: CreateCmd) -> Result<()> {
    let (role, a): (Role, CreateArgs) = match c {
        CreateCmd::Reader(a) => (Role::Reader, a),
        CreateCmd::Writer(a) => (Role::Writer, a),
        CreateCmd::Analyzer(a) => return super::best::create_analyzer(g, a),
    };
    create(g, role, &a.name, settings(&a.opts), a.auth_later)
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
    crate::bot::model::normalize_name(name)?;
    if let Some(p) = &s.platform {
        parse_platform(p)?;
    }
    let store = open(&g.dir)?;
    let now = now()?;
    // Build once with empty credentials to validate everything, then read the secrets.
    let probe = new_bot(&store, role, name, &s, Default::default(), now)?;
    let creds = if role == Role::Analyzer {
        // An analyzer reads the writer's own posts with the writer's credentials.
        Default::default()
    } else {
        read_credentials(&store, probe.platform, !auth_later)?
    };
    let mut bot = probe;
    bot.creds = creds;
    store.put_bot(&bot)?;
    store.log(&bot.name, now, "create", &format!("created {} on {}", role.name(), bot.platform.name()))?;
    finish(&store)?;
    eprintln!(
        "created {} {} ({}, every {})",
        role.name(),
        bot.name,
        bot.platform.name(),
        crate::clock::format_duration(bot.every)
    );
    Ok(())
}
