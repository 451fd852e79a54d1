//! `farm completions bash|zsh|fish`: shell completions from the clap definitions, plus the
//! names of the farm's bots where a command takes one (`farm show <TAB>`, `--source <TAB>`).
//!
//! clap's generators complete commands, options and the listed values of `--platform`,
//! `--visibility` and `--format`; bot names are not known until the shell asks, so each script
//! gets a small function that runs `farm list --names --wait 0` (with the same `FARM_DB`) at that
//! moment. A farm busy with a run, or none at all, completes no names and prints nothing at once.

use crate::cli::Cli;
use crate::error::{FarmError, Result};
use clap::CommandFactory;
use clap_complete::Shell;

/// The commands whose first argument is an existing bot.
const ONE_BOT: &[&str] = &[
    "show", "edit", "pause", "resume", "destroy", "post", "tweet", "preview", "log", "stats", "auth", "best",
    "prune",
];
/// The commands that take any number of existing bots.
const SOME_BOTS: &[&str] = &["run", "check"];

/// Print completions for a shell.
pub fn run(shell: Shell) -> Result<()> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "farm", &mut out);
    let script = String::from_utf8(out).map_err(|e| FarmError::software(format!("completions: {e}")))?;
    let script = match shell {
        Shell::Bash => bash(script),
        Shell::Zsh => zsh(&script),
        Shell::Fish => fish(script),
        _ => script,
    };
    crate::out::write_str(&script)
}

/// bash: a wrapper around clap's `_farm` that offers bot names for a command's bot argument
/// and after `--source`/`--writer`, registered in its place.
fn bash(mut script: String) -> String {
    script.push_str(&format!(
        r#"
# Bot names (farm's own addition to the generated completion above).
_farm_bots() {{ farm list --names --wait 0 2>/dev/null; }}
_farm_with_bots() {{
    _farm "$@"
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" cmd="" pos=0 i
    case "$prev" in
        --source|--writer) COMPREPLY=( $(compgen -W "$(_farm_bots)" -- "$cur") ); return 0 ;;
    esac
    [[ "$cur" == -* ]] && return 0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --db) ((i++)) ;;
            -*) ;;
            *) if [[ -z "$cmd" ]]; then cmd="${{COMP_WORDS[i]}}"; else ((pos++)); fi ;;
        esac
    done
    case "$cmd" in
        {some}) ;;
        {one}) ((pos == 0)) || return 0 ;;
        *) return 0 ;;
    esac
    COMPREPLY=( $(compgen -W "$(_farm_bots)" -- "$cur") )
}}
complete -F _farm_with_bots -o bashdefault -o default farm
"#,
        some = SOME_BOTS.join("|"),
        one = ONE_BOT.join("|"),
    ));
    script
}

/// zsh: the bot arguments (positionals described as bots, `--source`, `--writer`) complete with
/// `_farm_bots` instead of `_default`.
fn zsh(script: &str) -> String {
    let mut out = String::with_capacity(script.len() + 512);
    for line in script.lines() {
        let positional_bot = line.trim_start().starts_with('\'')
            && [":name -- Bot", ":names -- Bot", ":names -- Only these bots", ":name -- Writer"]
                .iter()
                .any(|m| line.contains(m));
        let option_bot = line.contains(":READER:_default'") || line.contains(":WRITER:_default'");
        if (positional_bot || option_bot) && line.contains(":_default'") {
            out.push_str(&line.replace(":_default'", ":_farm_bots'"));
        } else {
            if line.starts_with("if [ \"$funcstack[1]\" = \"_farm\" ]") {
                out.push_str(
                    "(( $+functions[_farm_bots] )) ||\n_farm_bots() {\n    local -a bots\n    bots=(${(f)\"$(farm list --names --wait 0 2>/dev/null)\"})\n    _describe -t bots 'bot' bots\n}\n\n",
                );
            }
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// fish: one more candidate source for the bot arguments.
fn fish(mut script: String) -> String {
    let bots = "-f -a '(farm list --names --wait 0 2>/dev/null)' -d bot";
    script.push_str("\n# Bot names (farm's own addition).\n");
    script.push_str(&format!(
        "complete -c farm -n '__fish_farm_using_subcommand {} {}' {bots}\n",
        ONE_BOT.join(" "),
        SOME_BOTS.join(" ")
    ));
    script.push_str(&format!(
        "complete -c farm -n '__fish_farm_using_subcommand create edit' -l source {bots}\n"
    ));
    script.push_str(&format!("complete -c farm -n '__fish_farm_using_subcommand create' -l writer {bots}\n"));
    script
}
