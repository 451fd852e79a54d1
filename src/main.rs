//! The `farm` binary: parse arguments, run the command, map the error to an exit code.
//! The store is flushed and closed inside the command, before we return: never
//! `process::exit` with the database open.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    botfarm::store::private_umask();
    let cli = match botfarm::cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 64,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match botfarm::cmd::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout went away (`farm log | head -1`): not a failure.
        Err(_) if botfarm::out::closed() => ExitCode::SUCCESS,
        Err(e) => {
            if !e.message.is_empty() {
                // One line, whatever data the message quotes.
                eprintln!("farm: {}", botfarm::error::printable(&e.message));
            }
            ExitCode::from(e.kind.exit_code())
        }
    }
}
