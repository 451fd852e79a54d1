//! `farm app set x` / `farm app show`: X app keys shared by many bots.

use super::{open, open_existing, prompt_secret, Globals};
use crate::cli::AppCmd;
use crate::error::{FarmError, Result};
use crate::model::AppKeys;

/// Store or show shared app keys.
pub fn run(g: &Globals, c: AppCmd) -> Result<()> {
    match c {
        AppCmd::Set { platform } => {
            if platform != "x" {
                return Err(FarmError::usage(format!("only X has app keys; got {platform:?}")));
            }
            let env = crate::config::env_creds();
            let key = match env.consumer_key {
                Some(k) => Some(k),
                None => prompt_secret("consumer key (FARM_CONSUMER_KEY)")?,
            };
            let secret = match env.consumer_secret {
                Some(s) => Some(s),
                None => prompt_secret("consumer secret (FARM_CONSUMER_SECRET)")?,
            };
            let (Some(consumer_key), Some(consumer_secret)) = (key, secret) else {
                return Err(FarmError::config(
                    "missing app keys: set FARM_CONSUMER_KEY and FARM_CONSUMER_SECRET",
                ));
            };
            let store = open(&g.dir)?;
            store.set_app_keys("x", &AppKeys { consumer_key, consumer_secret })?;
            store.flush()?;
            eprintln!("stored the X app keys; X bots without their own keys use them");
            Ok(())
        }
        AppCmd::Show => {
            let keys = match open_existing(&g.dir)? {
                Some(s) => s.app_keys("x")?,
                None => None,
            };
            match keys {
                Some(k) => crate::outln!(
                    "x: consumer key {}, consumer secret {}",
                    crate::net::mask(&k.consumer_key),
                    crate::net::mask(&k.consumer_secret)
                )?,
                None => crate::outln!("x: no app keys stored")?,
            }
            Ok(())
        }
    }
}
