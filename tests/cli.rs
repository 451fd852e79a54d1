//! The command line as a user meets it (#20 items 5, 12, 13): each `create` lists only its own
//! options, `create writer --help` documents the processor and filter syntax, global options
//! only where they apply, a man page that covers every command and names no missing page,
//! completions with the listed values and the farm's bot names.

mod support;
use std::process::Command;
use support::Farm;

/// The long options (`--name`) in a help text.
fn long_options(help: &str) -> Vec<String> {
    help.split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()).to_string())
        .collect()
}

#[test]
fn each_create_lists_only_its_own_options() {
    let f = Farm::new();
    let reader = f.run(&["create", "reader", "--help"]).ok().stdout;
    let writer = f.run(&["create", "writer", "--help"]).ok().stdout;
    let analyzer = f.run(&["create", "analyzer", "--help"]).ok().stdout;
    let writer_only = ["--source", "--template", "--process", "--filter", "--visibility"];
    let reader_only = ["--cap", "--keep-age", "--keep-max"];
    for o in writer_only {
        assert!(!long_options(&reader).contains(&o.to_string()), "reader help lists {o}");
        assert!(long_options(&writer).contains(&o.to_string()), "writer help lacks {o}");
    }
    for o in reader_only {
        assert!(!long_options(&writer).contains(&o.to_string()), "writer help lists {o}");
        assert!(long_options(&reader).contains(&o.to_string()), "reader help lacks {o}");
    }
    for o in writer_only.iter().chain(&reader_only).chain(&["--platform", "--api", "--auth-later"]) {
        assert!(!long_options(&analyzer).contains(&o.to_string()), "analyzer help lists {o}");
    }
    // The writer's help documents every processor and filter.
    for word in [
        "phrase:PATTERN",
        "nouns[:N]",
        "replace:FROM=TO",
        "markov[",
        "exec:COMMAND",
        "tracery:FILE",
        "no-retweets",
        "strip-hashtags",
        "blacklist=",
        "lang=",
    ] {
        assert!(writer.contains(word), "create writer --help lacks {word}");
    }
    // The options are still taken where they belong, and refused where they do not.
    f.run(&["create", "reader", "r", "--platform", "mastodon", "--cap", "5"]).code(64);
    f.run(&["create", "writer", "w", "--cap", "5"]).code(64);
    f.run(&["create", "reader", "r", "--template", "x {}"]).code(64);
}

#[test]
fn global_options_appear_only_where_they_apply() {
    let f = Farm::new();
    for cmd in [
        &["completions", "--help"][..],
        &["man", "--help"],
        &["show", "--help"],
        &["create", "reader", "--help"],
    ] {
        let help = f.run(cmd).ok().stdout;
        for o in ["--db", "--verbose"] {
            assert!(!long_options(&help).contains(&o.to_string()), "{cmd:?} lists {o}");
        }
    }
    assert!(long_options(&f.run(&["run", "--help"]).ok().stdout).contains(&"--verbose".into()));
    assert!(long_options(&f.run(&["--help"]).ok().stdout).contains(&"--db".into()));
    f.run(&["show", "x", "-v"]).code(64);
}

#[test]
fn the_man_page_covers_every_command_and_names_no_missing_page() {
    use clap::CommandFactory;
    let f = Farm::new();
    let man = f.run(&["man"]).ok().stdout;
    for section in [".SH COMMANDS", ".SH ENVIRONMENT", ".SH FILES", ".SH \"EXIT STATUS\""] {
        assert!(man.contains(section), "{section} missing");
    }
    for code in ["64", "65", "69", "70", "74", "75", "77", "78"] {
        assert!(man.contains(&format!("\\fB{code}\\fR")), "exit status {code} missing");
    }
    // Every command and subcommand has its section with all its long options.
    fn walk(cmd: &clap::Command, path: &str, man: &str) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = format!("{path} {}", sub.get_name());
            if sub.has_subcommands() {
                walk(sub, &path, man);
                continue;
            }
            let start = man.find(&format!(".SS \"{path}\"")).unwrap_or_else(|| panic!("{path} missing"));
            let end = man[start + 4..].find(".SS ").map_or(man.len(), |e| start + 4 + e);
            for arg in sub.get_arguments() {
                if let Some(long) = arg.get_long() {
                    let roff = format!("\\-\\-{}", long.replace('-', "\\-"));
                    assert!(man[start..end].contains(&roff), "{path}: --{long} missing");
                }
            }
        }
    }
    walk(&botfarm::cli::Cli::command(), "farm", &man);
    // No references to pages that do not exist (clap_mangen would name farm-create(1) …).
    assert!(!man.contains("farm\\-create") && !man.contains("farm-create"), "names a missing page");
    let refs = man.matches("(1)").count();
    assert_eq!(refs, 0, "the page names other man pages");
}

#[test]
fn completions_offer_the_listed_values() {
    let f = Farm::new();
    for shell in ["bash", "zsh", "fish"] {
        let s = f.run(&["completions", shell]).ok().stdout;
        for v in ["mastodon", "x-v1", "unlisted", "direct", "prometheus", "influx"] {
            assert!(s.contains(v), "{shell} completion lacks {v}");
        }
        assert!(s.contains("farm list --names"), "{shell} completes no bot names");
    }
}

/// What bash's completion offers for the words typed so far (the last one is being completed).
fn bash_complete(f: &Farm, words: &[&str]) -> Vec<String> {
    let script = f.run(&["completions", "bash"]).ok().stdout;
    let file = f.dir.path().join("farm.bash");
    std::fs::write(&file, script).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_farm")).parent().unwrap().to_path_buf();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let code = format!(
        // As bash calls it: the command, the word being completed, the word before it.
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _farm_with_bots farm {} {}; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        quoted.join(" "),
        words.len() - 1,
        quoted[words.len() - 1],
        quoted[words.len() - 2],
    );
    let out = Command::new("bash")
        .args(["-c", &code])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("FARM_DB", f.db())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

#[test]
fn bash_completes_bot_names_where_a_command_takes_a_bot() {
    let f = Farm::new();
    let env = [("FARM_ACCESS_TOKEN", "tok-123456789".to_string())];
    f.create(
        &["create", "reader", "news", "--platform", "mastodon", "--api", "https://mastodon.social"],
        &env,
    )
    .ok();
    f.create(&["create", "writer", "hp", "--source", "news"], &env).ok();
    assert_eq!(bash_complete(&f, &["farm", "show", ""]), vec!["hp", "news"]);
    assert_eq!(bash_complete(&f, &["farm", "pause", "n"]), vec!["news"]);
    assert_eq!(bash_complete(&f, &["farm", "run", "hp", ""]), vec!["hp", "news"]);
    assert_eq!(bash_complete(&f, &["farm", "edit", "hp", "--source", "n"]), vec!["news"]);
    // Not where a bot does not go: a new bot's name, the second word of `show`, options.
    assert!(bash_complete(&f, &["farm", "create", "reader", ""]).iter().all(|w| w != "news"));
    assert!(bash_complete(&f, &["farm", "show", "hp", ""]).iter().all(|w| w != "news"));
    assert!(bash_complete(&f, &["farm", "show", "--"]).iter().all(|w| w.starts_with("--")));
    // And the listed values of an option.
    assert_eq!(bash_complete(&f, &["farm", "edit", "hp", "--visibility", "un"]), vec!["unlisted"]);
}

#[test]
fn auth_later_reads_no_tokens_and_asks_nothing() {
    let f = Farm::new();
    let env = [("FARM_ACCESS_TOKEN", "tok-from-the-environment".to_string())];
    f.create(
        &["create", "reader", "r", "--platform", "mastodon", "--api", "https://m.example", "--auth-later"],
        &env,
    )
    .ok();
    let show = f.run(&["show", "r", "--json"]).ok().json();
    let token = show["credentials"]["access_token"].as_str().unwrap_or("");
    assert!(token.is_empty() || token == "(none)", "the token was taken: {show}");
}

#[test]
fn visibility_takes_exactly_what_help_lists_and_no_template_conflicts_with_template() {
    let f = Farm::new();
    let help = f.run(&["create", "writer", "--help"]).ok().stdout;
    let env = [("FARM_ACCESS_TOKEN", "tok-123456789".to_string())];
    f.create(&["create", "reader", "r", "--platform", "mastodon", "--api", "https://m.example"], &env).ok();
    for v in ["public", "unlisted", "private", "direct"] {
        assert!(help.contains(v), "help does not list {v}");
        f.create(&["create", "writer", &format!("w-{v}"), "--source", "r", "--visibility", v], &env).ok();
    }
    f.create(&["create", "writer", "w-bad", "--source", "r", "--visibility", "followers"], &env).code(64);
    f.run(&["edit", "w-public", "--no-template", "--template", "x {}"]).code(64);
}
