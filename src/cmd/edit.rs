//! `farm edit NAME …`

use super::{finish, now, open_required, read_credentials, settings, Globals};
use crate::bot::model::Bot;
use crate::bot::registry::{apply, get, EditMode};
use crate::cli::EditArgs;
use crate::error::Result;
use crate::store::Store;

/// Change a bot's settings. New credentials are read (perhaps from a prompt) with the farm
/// closed, so `farm run` goes on meanwhile; the change is then made on the farm as it is.
pub fn run(g: &Globals, a: EditArgs) -> Result<()> {
    let mut store = open_required(&g.dir)?;
    let mut bot = edited(&store, &a)?;
    if a.credentials {
        let shared_keys = store.app_keys("x")?.is_some();
        drop(store);
        let creds = read_credentials(shared_keys, bot.platform, true)?;
        store = open_required(&g.dir)?;
        bot = edited(&store, &a)?;
        bot.creds = creds;
    }
    store.put_bot(&bot)?;
    store.log(&bot.name, now()?, "edit", "settings changed")?;
    finish(&store)?;
    eprintln!("updated {}", bot.name);
    Ok(())
}

/// The bot with the settings of `a` applied (not stored yet).
fn edited(store: &Store, a: &EditArgs) -> Result<Bot> {
    let mut bot = get(store, &a.name)?;
    let s = settings(&a.net, &a.reader, &a.writer);
    if let Some(src) = &s.source {
        let reader = crate::bot::registry::get(store, src)?;
        if bot.role != crate::bot::Role::Writer || reader.role != crate::bot::Role::Reader {
            return Err(crate::error::FarmError::usage(format!(
                "--source must name a reader, and only writers have one ({} is a {}, {} is a {})",
                bot.name,
                bot.role.name(),
                reader.name,
                reader.role.name()
            )));
        }
        bot.source = Some(reader.name);
    }
    let mode = EditMode {
        no_template: a.no_template,
        reset_process: a.reset_process,
        reset_filters: a.reset_filters,
    };
    apply(&mut bot, &s, mode)?;
    Ok(bot)
}
