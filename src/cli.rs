//! Command-line definitions (clap derive): one enum of commands, help text with examples.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// farm: run a whole farm of social-media bots from cron.
#[derive(Parser, Debug)]
#[command(
    name = "farm",
    version,
    about = "Run a whole farm of social-media bots (X, Mastodon) from cron: one binary, one data directory.",
    after_help = "Examples:\n  farm create reader news --platform mastodon --api https://botsin.space\n  farm create writer hp --source news --template 'Гарри Поттер и {}'\n  farm run            # from cron: */10 * * * * farm run\n  farm stats"
)]
pub struct Cli {
    /// Data directory (default: $FARM_DB, else $XDG_DATA_HOME/farm, else ~/.local/share/farm).
    #[arg(long, global = true, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Print one line per action.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// All commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a reader, writer or analyzer bot.
    #[command(subcommand)]
    Create(CreateCmd),
    /// List bots.
    #[command(after_help = "Example:\n  farm list --json")]
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Show one bot's configuration and state (secrets masked).
    #[command(after_help = "Example:\n  farm show @hp")]
    Show {
        /// Bot name (`@name` or `name`).
        name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Change a bot's settings (only the options given change).
    #[command(
        after_help = "Examples:\n  farm edit hp --every 2h\n  FARM_ACCESS_TOKEN=… farm edit news --credentials"
    )]
    Edit(EditArgs),
    /// Pause a bot: `farm run` skips it until resumed.
    Pause {
        /// Bot name.
        name: String,
    },
    /// Resume a paused bot.
    Resume {
        /// Bot name.
        name: String,
    },
    /// Delete a bot and all it cached.
    #[command(after_help = "Example:\n  farm destroy oldbot --yes")]
    Destroy {
        /// Bot name.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
        /// Destroy a reader even though writers use it.
        #[arg(long)]
        force: bool,
    },
    /// Shared app keys (X consumer key and secret, inherited by bots that have none).
    #[command(subcommand)]
    App(AppCmd),
    /// Do whatever is due and exit (the cron job).
    #[command(
        after_help = "Examples:\n  farm run                 # from cron, every 10 minutes\n  farm run hp --force -v   # run one bot now\n  farm run --dry-run -v    # what would be posted"
    )]
    Run(RunArgs),
    /// Post a text by hand as a bot, through the same checks (length, dedup, rate limit).
    #[command(alias = "tweet", after_help = "Example:\n  farm post hp Гарри Поттер и Тайная Комната")]
    Post {
        /// Bot name.
        name: String,
        /// The words to post.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Show the next texts a writer would post, without any API call.
    #[command(after_help = "Example:\n  farm preview hp -n 5")]
    Preview {
        /// Writer name.
        name: String,
        /// How many.
        #[arg(short, default_value_t = 5)]
        n: usize,
    },
    /// Recent events of one bot or of all bots.
    #[command(after_help = "Example:\n  farm log hp -n 50")]
    Log {
        /// Bot name (all bots when omitted).
        name: Option<String>,
        /// How many events.
        #[arg(short, default_value_t = 20)]
        n: usize,
    },
    /// A table of all bots: role, schedule, activity, errors.
    #[command(after_help = "Examples:\n  farm stats\n  farm stats --json")]
    Stats {
        /// One bot's per-day history instead of the table.
        name: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Get user tokens for a bot interactively (X PIN flow or Mastodon app authorisation).
    #[command(after_help = "Example:\n  farm auth hp")]
    Auth {
        /// Bot name.
        name: String,
    },
    /// Verify bots' credentials with one call each.
    #[command(after_help = "Example:\n  farm check hp news")]
    Check {
        /// Bots to check (all when omitted).
        names: Vec<String>,
    },
    /// Show the whole product working: a simulated day of a small farm on a fake network.
    #[command(
        after_help = "Examples:\n  farm demo\n  farm demo --keep /tmp/demo-farm   # then: farm --db /tmp/demo-farm stats"
    )]
    Demo {
        /// Leave the demo farm in DIR to explore (it must not exist yet).
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// Simulated hours (default 24).
        #[arg(long, default_value_t = 24)]
        hours: u32,
    },
    /// Check the data directory, credentials, clock and scheduler, and say what to fix.
    #[command(after_help = "Examples:\n  farm doctor\n  farm doctor --offline   # no API calls")]
    Doctor {
        /// Make no API calls.
        #[arg(long)]
        offline: bool,
    },
    /// Print shell completions.
    #[command(
        after_help = "Examples:\n  farm completions bash > /etc/bash_completion.d/farm\n  farm completions zsh > ~/.zfunc/_farm\n  farm completions fish > ~/.config/fish/completions/farm.fish"
    )]
    Completions {
        /// bash, zsh or fish.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:\n  farm man | man -l -")]
    Man,
    /// Write the whole farm to one tar file (`-` for stdout).
    #[command(
        after_help = "Examples:\n  farm export backup.tar\n  farm export --gzip - > farm.tar.gz\n  farm export --no-secrets shared.tar"
    )]
    Export(ExportArgs),
    /// Load a farm from an export file (into an empty data dir, or `--replace`).
    #[command(after_help = "Examples:\n  farm import backup.tar\n  farm import --replace farm.tar.gz")]
    Import(ImportArgs),
    /// Rebuild the database to give disk space back (sled never shrinks by itself).
    #[command(after_help = "Example:\n  farm compact")]
    Compact {
        /// Print nothing on success (for cron): no summary line, no progress.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Metrics for InfluxDB or Prometheus.
    #[command(
        after_help = "Examples:\n  farm metrics --format prometheus --output /var/lib/node_exporter/farm.prom\n  farm metrics --push 'http://localhost:8086/write?db=farm'"
    )]
    Metrics(MetricsArgs),
    /// The best-scoring phrases and the hot and boring words of a writer (from its analyzer).
    #[command(after_help = "Example:\n  farm best hp -n 20")]
    Best {
        /// Writer name.
        name: String,
        /// How many phrases.
        #[arg(short, default_value_t = 20)]
        n: usize,
    },
    /// Delete a writer's own posts older than a given age that got no engagement.
    #[command(after_help = "Example:\n  farm prune hp --older-than 30d --dry-run")]
    Prune {
        /// Writer name.
        name: String,
        /// Only posts older than this.
        #[arg(long, value_name = "DURATION")]
        older_than: String,
        /// List what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `farm export …`
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Output file, or `-` for stdout.
    pub file: String,
    /// Leave credentials and app keys out (for sharing a farm's configuration).
    #[arg(long)]
    pub no_secrets: bool,
    /// Compress with gzip.
    #[arg(long, short = 'z')]
    pub gzip: bool,
    /// Print nothing on success (for cron): no summary line, no progress.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `farm import …`
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The export file (`.tar` or `.tar.gz`, detected by content), or `-` for stdin.
    pub file: String,
    /// Replace an existing farm (the old one is kept as a dated backup).
    #[arg(long)]
    pub replace: bool,
}

/// `farm metrics …`
#[derive(Args, Debug)]
pub struct MetricsArgs {
    /// influx (line protocol) or prometheus (text exposition format).
    #[arg(long, default_value = "influx", value_name = "influx|prometheus")]
    pub format: String,
    /// Write to this file atomically (temp file + rename) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// POST the influx lines to this URL (InfluxDB 1.x /write?db= or 2.x /api/v2/write; token from FARM_INFLUX_TOKEN).
    #[arg(long, value_name = "URL")]
    pub push: Option<String>,
}

/// `farm create …`
#[derive(Subcommand, Debug)]
pub enum CreateCmd {
    /// A reader: reads its home timeline and caches the posts for writers.
    #[command(
        after_help = "Examples:\n  FARM_ACCESS_TOKEN=… FARM_ACCESS_SECRET=… farm create reader @news --platform x\n  FARM_ACCESS_TOKEN=… farm create reader feed --platform mastodon --api https://mastodon.social"
    )]
    Reader(CreateArgs),
    /// A writer: turns a reader's posts into new posts.
    #[command(
        after_help = "Examples:\n  farm create writer hp --source news --template 'Гарри Поттер и {}' --process 'phrase:ADJF,nomn NOUN,nomn'\n  farm create writer echo --source news --platform mastodon --api https://example.social --filter no-links"
    )]
    Writer(CreateArgs),
    /// An analyzer: scores a writer's posts by engagement and feeds hot and boring words back.
    #[command(after_help = "Example:\n  farm create analyzer hp-rates --writer hp --every 1d")]
    Analyzer(AnalyzerArgs),
}

/// `farm create analyzer NAME --writer WRITER …`
#[derive(Args, Debug)]
pub struct AnalyzerArgs {
    /// Analyzer name.
    pub name: String,
    /// The writer whose posts it scores (it uses the writer's credentials).
    #[arg(long, value_name = "WRITER")]
    pub writer: String,
    /// Interval between runs (default 1d).
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// Posts younger than this are not scored yet (default 1d).
    #[arg(long, value_name = "DURATION")]
    pub min_age: Option<String>,
    /// Score = likes + N × reposts (default 3, as the original).
    #[arg(long, value_name = "N")]
    pub repost_weight: Option<i64>,
    /// Words scoring below this are boring: the writer skips them (default -10).
    #[arg(long, value_name = "SCORE", allow_hyphen_values = true)]
    pub boring_below: Option<i64>,
    /// Words scoring above this are hot: the writer prefers them (default 10).
    #[arg(long, value_name = "SCORE", allow_hyphen_values = true)]
    pub hot_above: Option<i64>,
}

/// Options shared by `create` and `edit`.
#[derive(Args, Debug, Default, Clone)]
pub struct BotOpts {
    /// Network: x (API v2), x-v1 (legacy v1.1) or mastodon.
    #[arg(long, value_name = "x|x-v1|mastodon")]
    pub platform: Option<String>,
    /// API base URL (default https://api.x.com for X; required for Mastodon).
    #[arg(long, value_name = "URL")]
    pub api: Option<String>,
    /// Interval between runs: 10m, 1h, 1d… (default 1h).
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// Writers: the reader to take posts from.
    #[arg(long, value_name = "READER")]
    pub source: Option<String>,
    /// Writers: template with `{}` filled by the processed text.
    #[arg(long, value_name = "TEXT")]
    pub template: Option<String>,
    /// Writers: a processing step (repeatable).
    #[arg(long = "process", value_name = "SPEC")]
    pub process: Vec<String>,
    /// Writers: a filter applied before processing (repeatable): no-retweets, no-replies, no-links…
    #[arg(long = "filter", value_name = "SPEC")]
    pub filter: Vec<String>,
    /// Mastodon writers: visibility of posts (default unlisted).
    #[arg(long, value_name = "public|unlisted|private")]
    pub visibility: Option<String>,
    /// Readers: most posts fetched per run (default 200).
    #[arg(long, value_name = "N")]
    pub cap: Option<u32>,
    /// Readers: drop cached posts older than this (default 30d).
    #[arg(long, value_name = "DURATION")]
    pub keep_age: Option<String>,
    /// Readers: keep at most this many cached posts (default 5000).
    #[arg(long, value_name = "N")]
    pub keep_max: Option<u32>,
}

/// `farm create reader|writer NAME …`
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Bot name (`@name` or `name`).
    pub name: String,
    /// Settings.
    #[command(flatten)]
    pub opts: BotOpts,
    /// Create without credentials; add them later with `farm auth NAME`.
    #[arg(long)]
    pub auth_later: bool,
}

/// `farm edit NAME …`
#[derive(Args, Debug)]
pub struct EditArgs {
    /// Bot name.
    pub name: String,
    /// Settings to change.
    #[command(flatten)]
    pub opts: BotOpts,
    /// Replace the credentials from the environment (or a prompt).
    #[arg(long)]
    pub credentials: bool,
    /// Writers: remove the template.
    #[arg(long)]
    pub no_template: bool,
    /// Writers: replace the processing steps with those given by --process (none clears them).
    #[arg(long)]
    pub reset_process: bool,
    /// Writers: replace the filters with those given by --filter (none clears them).
    #[arg(long)]
    pub reset_filters: bool,
}

/// `farm app …`
#[derive(Subcommand, Debug)]
pub enum AppCmd {
    /// Store app keys from FARM_CONSUMER_KEY / FARM_CONSUMER_SECRET (or a prompt).
    #[command(after_help = "Example:\n  FARM_CONSUMER_KEY=… FARM_CONSUMER_SECRET=… farm app set x")]
    Set {
        /// Platform (only `x`).
        platform: String,
    },
    /// Show stored app keys (masked).
    Show,
}

/// `farm run …`
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Only these bots (all when omitted).
    pub names: Vec<String>,
    /// Do everything except network writes and state changes; print what would be posted.
    #[arg(long)]
    pub dry_run: bool,
    /// Bots run in parallel.
    #[arg(long, short, default_value_t = 4)]
    pub jobs: usize,
    /// Ignore the schedule for the named bots.
    #[arg(long)]
    pub force: bool,
}
