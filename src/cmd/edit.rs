//! `farm edit NAME …`

use super::{finish, now, open_required, read_credentials, settings, Globals};
use crate::bot::registry::{apply, get, EditMode};
use crate::cli::EditArgs;
use crate::error::Result;

/// Change a bot's settings.
pub fn run(g: &Globals, a: EditArgs) -> Result<()> {
    let store = open_required(&g.dir)?;
    let mut bot = get(&store, &a.name)?;
    let s = settings(&a.net, &a.reader, &a.writer);
    if let Some(src) = &s.source {
        let reader = crate::bot::registry::get(&store, src)?;
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
    if a.credentials {
        bot.creds = read_credentials(&store, bot.platform, true)?;
    }
    store.put_bot(&bot)?;
    store.log(&bot.name, now()?, "edit", "settings changed")?;
    finish(&store)?;
    eprintln!("updated {}", bot.name);
    Ok(())
}
