//! Command-line definitions (clap derive): one enum of commands, help text with examples.

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Parser, Subcommand, ValueHint};
use std::path::PathBuf;

/// farm: run a whole farm of social-media bots from cron.
#[derive(Parser, Debug)]
#[command(
    name = "farm",
    version,
    about = "Run a whole farm of social-media bots (X, Mastodon, Bluesky) from cron: one binary, one data directory.",
    after_help = "Examples:\n  farm create reader news --platform mastodon --api https://mastodon.social\n  farm create writer hp --source news --template 'Гарри Поттер и {}'\n  farm run            # from cron: */10 * * * * /usr/local/bin/farm run\n  farm stats"
)]
pub struct Cli {
    /// Data directory, given before the command: `farm --db DIR stats` (default: $FARM_DB, else
    /// $XDG_DATA_HOME/farm, else ~/.local/share/farm).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub db: Option<PathBuf>,
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
        #[arg(long, conflicts_with = "names")]
        json: bool,
        /// Only the names, one per line (for scripts and shell completion).
        #[arg(long)]
        names: bool,
        /// Waiting for a running `farm run`.
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Show one bot's configuration and state (secrets masked).
    #[command(after_help = "Example:\n  farm show @hp")]
    Show {
        /// Bot name (`@name` or `name`).
        #[arg(value_name = "BOT")]
        name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Waiting for a running `farm run`.
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Change a bot's settings (only the options given change).
    #[command(
        after_help = "Examples:\n  farm edit hp --every 2h\n  FARM_ACCESS_TOKEN=… farm edit news --credentials\n  FARM_ACCESS_TOKEN=… farm edit news --platform mastodon --api https://mastodon.social --credentials\n  farm edit hp-rates --min-age 2d --hot-above 5\n  farm edit poets --follow @carol@example.social --unfollow @bob@fosstodon.org"
    )]
    Edit(Box<EditArgs>),
    /// Pause a bot: `farm run` skips it until resumed.
    Pause {
        /// Bot name.
        #[arg(value_name = "BOT")]
        name: String,
    },
    /// Resume a paused bot.
    Resume {
        /// Bot name.
        #[arg(value_name = "BOT")]
        name: String,
    },
    /// Delete a bot and all it cached.
    #[command(after_help = "Example:\n  farm destroy oldbot --yes")]
    Destroy {
        /// Bot name.
        #[arg(value_name = "BOT")]
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
        after_help = "Examples:\n  farm run                 # from cron, every 10 minutes\n  farm run hp --force -v   # run one bot now (a writer: once per --every)\n  farm run --dry-run -v    # what would be posted"
    )]
    Run(RunArgs),
    /// Post a text by hand as a bot, through the same checks (length, dedup, rate limit).
    #[command(
        alias = "tweet",
        after_help = "Examples:\n  farm post hp Гарри Поттер и Тайная Комната\n  farm post echo --warning spoilers --lang en The butler did it"
    )]
    Post {
        /// Bot name.
        #[arg(value_name = "BOT")]
        name: String,
        /// A content warning (default: a writer's --warning): Mastodon `spoiler_text`, a
        /// Bluesky self-label, none on X.
        #[arg(long, value_name = "TEXT")]
        warning: Option<String>,
        /// The post's language, BCP 47 (default: a writer's --lang).
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
        /// The words to post.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Show the next texts a writer would post, without any API call.
    #[command(after_help = "Example:\n  farm preview hp -n 5")]
    Preview {
        /// Writer name.
        #[arg(value_name = "WRITER")]
        name: String,
        /// How many.
        #[arg(short, default_value_t = 5)]
        n: usize,
    },
    /// Recent events of one bot or of all bots.
    #[command(after_help = "Examples:\n  farm log hp -n 50\n  farm log --json")]
    Log {
        /// Bot name (all bots when omitted).
        #[arg(value_name = "BOT")]
        name: Option<String>,
        /// How many events.
        #[arg(short, default_value_t = 20)]
        n: usize,
        /// Machine-readable output: the events, oldest first, with RFC 3339 times and whole
        /// messages.
        #[arg(long)]
        json: bool,
        /// Waiting for a running `farm run`.
        #[command(flatten)]
        wait: WaitArg,
    },
    /// A table of all bots: role, schedule, activity, errors.
    #[command(after_help = "Examples:\n  farm stats\n  farm stats --json")]
    Stats {
        /// One bot's per-day history instead of the table.
        #[arg(value_name = "BOT")]
        name: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Waiting for a running `farm run`.
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Get user tokens for a bot interactively (X PIN flow or Mastodon app authorisation).
    #[command(after_help = "Example:\n  farm auth hp")]
    Auth {
        /// Bot name.
        #[arg(value_name = "BOT")]
        name: String,
        /// Only mark the bot's account as a bot (Mastodon's `bot` flag, Bluesky's `bot`
        /// self-label), with the tokens it has; no new login.
        #[arg(long)]
        mark_bot: bool,
    },
    /// Verify bots' credentials with one call each (in parallel, without holding up `farm run`).
    #[command(after_help = "Examples:\n  farm check hp news\n  farm check --json")]
    Check {
        /// Bots to check (all when omitted).
        #[arg(value_name = "BOT")]
        names: Vec<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Show the whole product working: a simulated day of a small farm on a fake network.
    #[command(
        after_help = "Examples:\n  farm demo\n  farm demo --keep /tmp/demo-farm   # then: farm --db /tmp/demo-farm stats"
    )]
    Demo {
        /// Leave the demo farm in DIR to explore (it must not exist yet).
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        keep: Option<PathBuf>,
        /// Simulated hours (default 24).
        #[arg(long, default_value_t = 24)]
        hours: u32,
    },
    /// Check the data directory, credentials, clock and scheduler, and say what to fix.
    #[command(
        after_help = "Examples:\n  farm doctor\n  farm doctor --offline   # no API calls\n  farm doctor --json"
    )]
    Doctor {
        /// Make no API calls.
        #[arg(long)]
        offline: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
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
    /// Load posts from a file into a corpus reader: text (one post a line), an X archive's
    /// tweets.js or a Mastodon outbox.json.
    #[command(
        after_help = "Examples:\n  farm create reader corpus --platform corpus\n  farm import-corpus corpus tweets.js\n  farm import-corpus corpus outbox.json --dry-run\n  farm import-corpus corpus lines.txt --format lines"
    )]
    ImportCorpus(ImportCorpusArgs),
    /// Rebuild the database to give disk space back (sled never shrinks by itself).
    #[command(after_help = "Example:\n  farm compact")]
    Compact {
        /// Print nothing on success (for cron): no summary line, no progress.
        #[arg(long, short)]
        quiet: bool,
        /// Waiting for a running `farm run`.
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Metrics for InfluxDB or Prometheus.
    #[command(
        after_help = "Examples:\n  farm metrics --format prometheus --output /var/lib/node_exporter/farm.prom\n  farm metrics --push 'http://localhost:8086/write?db=farm'"
    )]
    Metrics(MetricsArgs),
    /// The best-scoring phrases and the hot and boring words of a writer (from its analyzer).
    #[command(after_help = "Examples:\n  farm best hp -n 20\n  farm best hp --json")]
    Best {
        /// Writer name.
        #[arg(value_name = "WRITER")]
        name: String,
        /// How many phrases.
        #[arg(short, default_value_t = 20)]
        n: usize,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Waiting for a running `farm run`.
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Delete a writer's own posts older than a given age that got no engagement (asks first).
    #[command(
        after_help = "Examples:\n  farm prune hp --older-than 30d --dry-run\n  farm prune hp --older-than 30d --yes"
    )]
    Prune {
        /// Writer name.
        #[arg(value_name = "WRITER")]
        name: String,
        /// Only posts older than this.
        #[arg(long, value_name = "DURATION")]
        older_than: String,
        /// List what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (needed when stdin is not a terminal, e.g. from cron).
        #[arg(long, short, conflicts_with = "dry_run")]
        yes: bool,
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
    /// Waiting for a running `farm run`.
    #[command(flatten)]
    pub wait: WaitArg,
}

/// `--wait`, for the commands that only read the farm or maintain it: they wait for a running
/// `farm run` to finish instead of failing at once.
#[derive(Args, Debug, Clone)]
pub struct WaitArg {
    /// How long to wait for a running `farm run` (or another farm command) to let go of the data
    /// directory before giving up with exit 75: 30s, 2m…; 0 gives up at once.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub wait: String,
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

/// `farm import-corpus …`
#[derive(Args, Debug)]
pub struct ImportCorpusArgs {
    /// The corpus reader (`farm create reader NAME --platform corpus`).
    #[arg(value_name = "READER")]
    pub reader: String,
    /// The file (at most 256 MiB; read twice, so a file, not a pipe).
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: PathBuf,
    /// The file's format (default: told by its content).
    #[arg(long, value_parser = PossibleValuesParser::new([
        PossibleValue::new("lines").help("UTF-8 text, one post a line"),
        PossibleValue::new("x-archive").help("an X archive's tweets.js"),
        PossibleValue::new("outbox").help("a Mastodon export's outbox.json"),
    ]))]
    pub format: Option<String>,
    /// Check the file and count what would be imported; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `farm metrics …`
#[derive(Args, Debug)]
pub struct MetricsArgs {
    /// The format.
    #[arg(long, default_value = "influx", value_parser = PossibleValuesParser::new([
        PossibleValue::new("influx").help("InfluxDB line protocol"),
        PossibleValue::new("prometheus").help("Prometheus text exposition format"),
    ]))]
    pub format: String,
    /// Write to this file atomically (temp file + rename) instead of stdout (`-`: stdout).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: Option<std::path::PathBuf>,
    /// POST the influx lines to this URL (InfluxDB 1.x /write?db= or 2.x /api/v2/write; token from FARM_INFLUX_TOKEN).
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub push: Option<String>,
    /// Say where the lines were pushed.
    #[arg(short, long)]
    pub verbose: bool,
    /// Waiting for a running `farm run`.
    #[command(flatten)]
    pub wait: WaitArg,
}

/// `farm create …`
#[derive(Subcommand, Debug)]
pub enum CreateCmd {
    /// A reader: reads its home timeline and caches the posts for writers.
    #[command(
        after_help = "Examples:\n  FARM_ACCESS_TOKEN=… FARM_ACCESS_SECRET=… farm create reader @news --platform x\n  FARM_ACCESS_TOKEN=… farm create reader feed --platform mastodon --api https://mastodon.social\n  farm create reader poets --platform mastodon --follow @alice@mastodon.social --follow @bob@fosstodon.org\n  farm create reader sky --platform bluesky --follow alice.bsky.social"
    )]
    Reader(ReaderArgs),
    /// A writer: turns a reader's posts into new posts, or makes its own from a grammar.
    #[command(
        after_help = "Examples:\n  farm create writer hp --source news --template 'Гарри Поттер и {}' --process 'phrase:ADJF,nomn NOUN,nomn'\n  farm create writer echo --source news --platform mastodon --api https://mastodon.social --filter no-links\n\n`farm create writer --help` lists the processors and filters.",
        after_long_help = WRITER_SYNTAX
    )]
    Writer(Box<WriterArgs>),
    /// An analyzer: scores a writer's posts by engagement and feeds hot and boring words back.
    #[command(after_help = "Example:\n  farm create analyzer hp-rates --writer hp --every 1d")]
    Analyzer(AnalyzerArgs),
}

/// `farm create analyzer NAME --writer WRITER …`
#[derive(Args, Debug)]
pub struct AnalyzerArgs {
    /// Name of the new analyzer.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The writer whose posts it scores (it uses the writer's credentials).
    #[arg(long, value_name = "WRITER")]
    pub writer: String,
    /// Interval between runs (default 1d).
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// Analyzer settings.
    #[command(flatten)]
    pub analyzer: AnalyzerOpts,
}

/// Options only analyzers have (`create analyzer`, `edit`).
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Analyzer options")]
pub struct AnalyzerOpts {
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

/// The processor and filter syntax, for `farm create writer --help` (the README's "Writers:
/// processing" has the same with examples).
const WRITER_SYNTAX: &str = "\
Filters (--filter SPEC, repeatable) run first on the source post, then the processors (--process
SPEC, repeatable) in order, then --template ({} is the result; the source post's {title},
{link}, {author}, {text} and {categories} too, e.g. --template '{title} {link}'; a post without
such a field is skipped). `@PATH` in a value is replaced by the file's content when the writer is
created.

Processors:
  phrase:PATTERN[;min-len=2][;blacklist=W,W…|@FILE][;default-blacklist=no][;pairs=W W|…|@FILE][;cap=title|keep|lower]
      the first run of Russian words matching OpenCorpora grammemes, one group per word,
      e.g. phrase:'ADJF,nomn NOUN,nomn'
  nouns[:N][;inflect=WORD][;place=before|after][;min-len=2][;cap=first|title|lower]
      N nouns in their dictionary form; inflect=VERB puts a verb in the past tense before them
  replace:FROM=TO|…|@FILE[;unmatched=skip|keep]
      whole-word search and replace, case kept
  markov[:order=1..3][;tries=50][;max-len=280][;min-words=3][;max-overlap=15][;max-overlap-pct=70][;seed=N]
      a new sentence from a word chain over the reader's cached posts
  exec:COMMAND[;timeout=10s]
      the text on the stdin of `sh -c COMMAND`, its stdout is the result (empty: skip)
  tracery:FILE
      a writer that makes its own posts from a Tracery grammar (Cheap Bots Done Quick's JSON),
      stored with it: no --source, no filters; first, the steps after it change its text

Filters:
  no-retweets  no-replies  no-links  no-mentions      skip such posts (each also =no)
  strip-urls  strip-mentions  strip-hashtags          remove them from the text
  blacklist=W,W…|@FILE                                skip posts with these words
  lang=ru                                             only posts in this language

Examples:
  farm create writer hp --source news --template 'Гарри Поттер и {}' --process 'phrase:ADJF,nomn NOUN,nomn'
  farm create writer echo --source news --platform mastodon --api https://mastodon.social --filter no-links
  farm create writer owls --platform bluesky --process tracery:owls.json";

/// `--platform` values (`twitter` and `twitter-v1` are accepted too).
fn platforms() -> PossibleValuesParser {
    PossibleValuesParser::new([
        PossibleValue::new("x").help("X API v2").alias("twitter"),
        PossibleValue::new("x-v1").help("legacy X API v1.1").alias("twitter-v1"),
        PossibleValue::new("mastodon").help("Mastodon (--api is the instance)"),
        PossibleValue::new("bluesky").help("Bluesky (--api defaults to https://bsky.social)").alias("bsky"),
        PossibleValue::new("feed")
            .help("an RSS, Atom or JSON feed, read only (--api is the feed's URL)")
            .aliases(["rss", "atom"]),
        PossibleValue::new("corpus")
            .help("a reader of no network, filled from files by `farm import-corpus`"),
    ])
}

/// Options every reader and writer has.
#[derive(Args, Debug, Default, Clone)]
pub struct NetOpts {
    /// Network (default for a writer: its reader's).
    #[arg(long, value_parser = platforms())]
    pub platform: Option<String>,
    /// API base URL: the instance or API host, without /api/v1 or /2 (default https://api.x.com
    /// for X, also when --platform changes to X; required for Mastodon).
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub api: Option<String>,
    /// Interval between runs: 10m, 1h, 1d… (default 1h).
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
}

/// Options only readers have.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Reader options")]
pub struct ReaderOpts {
    /// Most posts fetched per run (default 200).
    #[arg(long, value_name = "N")]
    pub cap: Option<u32>,
    /// Drop cached posts older than this (default 30d).
    #[arg(long, value_name = "DURATION")]
    pub keep_age: Option<String>,
    /// Keep at most this many cached posts (default 5000).
    #[arg(long, value_name = "N")]
    pub keep_max: Option<u32>,
    /// Read this public account's posts (repeatable): @user@instance (Mastodon), a handle or DID
    /// (Bluesky), @user (X). Mastodon and Bluesky need no credentials for it.
    #[arg(long, value_name = "ACCOUNT")]
    pub follow: Vec<String>,
    /// With --follow: read the home timeline too (needs the account's credentials).
    #[arg(long)]
    pub home: bool,
    /// With --follow: read the accounts' reposts (boosts, retweets) too.
    #[arg(long)]
    pub reposts: bool,
    /// Bluesky: the PLC directory where followed accounts' DIDs are resolved (default
    /// https://plc.directory).
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub plc: Option<String>,
}

/// Options only writers have.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Writer options")]
pub struct WriterOpts {
    /// The reader to take posts from (none for a grammar writer, --process tracery:FILE).
    #[arg(long, value_name = "READER")]
    pub source: Option<String>,
    /// Template: `{}` is the processed text; `{title}`, `{link}`, `{author}`, `{text}`,
    /// `{categories}` the source post's fields.
    #[arg(long, value_name = "TEXT")]
    pub template: Option<String>,
    /// A processing step (repeatable); see `farm create writer --help`.
    #[arg(long = "process", value_name = "SPEC")]
    pub process: Vec<String>,
    /// A filter applied before processing (repeatable): no-retweets, no-replies, no-links…
    #[arg(long = "filter", value_name = "SPEC")]
    pub filter: Vec<String>,
    /// Mastodon: visibility of posts (default unlisted).
    #[arg(long, value_parser = ["public", "unlisted", "private", "direct"])]
    pub visibility: Option<String>,
    /// The language of posts whose source post has none (BCP 47: en, pt-BR, zh-Hant; '' for
    /// none): Mastodon `language`, Bluesky `langs`.
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// A text longer than the network allows: skip it (default), cut it at a word, ending
    /// with "…", or post it as a thread (at most 10 posts, each answering the one before).
    #[arg(long, value_name = "WHAT", value_parser = ["skip", "cut", "thread"])]
    pub long: Option<String>,
    /// A content warning on every post ('' for none): Mastodon `spoiler_text`, a Bluesky
    /// self-label; X has none.
    #[arg(long, value_name = "TEXT")]
    pub warning: Option<String>,
    /// Mark posts sensitive (`--sensitive=no` to stop): Mastodon `sensitive`, a Bluesky
    /// self-label.
    #[arg(long, value_name = "yes|no", num_args = 0..=1, default_missing_value = "yes", hide_possible_values = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub sensitive: Option<bool>,
    /// Bluesky self-labels on every post: porn, sexual, nudity, graphic-media (comma-separated;
    /// '' for none); on Mastodon they become the content warning.
    #[arg(long, value_name = "LABELS")]
    pub label: Option<String>,
    /// A source post with a content warning: skip it (the default) or carry the warning along.
    #[arg(long, value_parser = ["skip", "carry"])]
    pub warnings: Option<String>,
    /// Post at these times of day instead of --every: 09:00,13:30,21:00 (see --tz, --days).
    #[arg(long, value_name = "HH:MM,…", conflicts_with = "every")]
    pub at: Option<String>,
    /// The time zone of --at and --days, an IANA name: Europe/Moscow, America/New_York (default UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// The weekdays of --at: mon-fri, sat,sun, weekdays, weekends (default daily).
    #[arg(long, value_name = "DAYS")]
    pub days: Option<String>,
    /// Move each slot later by up to this much, the same for a slot on every run: 10m (default 0).
    #[arg(long, value_name = "DURATION")]
    pub jitter: Option<String>,
    /// Slots that passed while farm was not running: skip them, post once for the latest, or
    /// post for each of the last day, one per run (default once).
    #[arg(long, value_parser = ["skip", "once", "all"])]
    pub missed: Option<String>,
    /// Replies to mentions (listed last: their heading applies to what follows).
    #[command(flatten)]
    pub reply: ReplyOpts,
}

/// Options of a writer that answers its mentions.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Reply options")]
pub struct ReplyOpts {
    /// Answer mentions: `mentions` (and post as usual), `only` (answer, post nothing else) or
    /// `off` (default).
    #[arg(long, value_name = "MODE", value_parser = ["mentions", "only", "off"])]
    pub reply: Option<String>,
    /// Loop guard: at most N replies in one thread (default 4).
    #[arg(long, value_name = "N")]
    pub reply_thread_max: Option<u32>,
    /// Loop guard: at most N replies to one account an hour (default 3).
    #[arg(long, value_name = "N")]
    pub reply_per_hour: Option<u32>,
    /// Mentions older than this are not answered (default 1d).
    #[arg(long, value_name = "DURATION")]
    pub reply_horizon: Option<String>,
    /// Accounts marked as bots that are answered anyway: handles, comma-separated ("" for none).
    #[arg(long, value_name = "HANDLES")]
    pub reply_allow_bots: Option<String>,
}

/// `farm create reader NAME …`
#[derive(Args, Debug)]
pub struct ReaderArgs {
    /// Name of the new bot (`@name` or `name`).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Create without user tokens (none are read from the environment or asked for); add them
    /// later with `farm auth NAME`. X app keys are still taken from the environment.
    #[arg(long)]
    pub auth_later: bool,
    /// Network settings.
    #[command(flatten)]
    pub net: NetOpts,
    /// Reader settings (listed last: their heading applies to what follows).
    #[command(flatten)]
    pub reader: ReaderOpts,
}

/// `farm create writer NAME …`
#[derive(Args, Debug)]
pub struct WriterArgs {
    /// Name of the new bot (`@name` or `name`).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Create without user tokens (none are read from the environment or asked for); add them
    /// later with `farm auth NAME`. X app keys are still taken from the environment.
    #[arg(long)]
    pub auth_later: bool,
    /// Network settings.
    #[command(flatten)]
    pub net: NetOpts,
    /// Writer settings (listed last: their heading applies to what follows).
    #[command(flatten)]
    pub writer: WriterOpts,
}

/// `farm edit NAME …`
#[derive(Args, Debug)]
pub struct EditArgs {
    /// Bot name.
    #[arg(value_name = "BOT")]
    pub name: String,
    /// Replace the credentials from the environment (or a prompt); needed when --platform or
    /// --api moves the bot to another network or Mastodon instance.
    #[arg(long)]
    pub credentials: bool,
    /// Drop the user tokens (none are read or asked for): the bot needs auth until `farm auth
    /// BOT`. X app keys are still taken from the environment.
    #[arg(long, conflicts_with = "credentials")]
    pub auth_later: bool,
    /// Network settings.
    #[command(flatten)]
    pub net: NetOpts,
    /// Reader settings.
    #[command(flatten)]
    pub reader: ReaderOpts,
    /// Writer settings (the options below come under its heading).
    #[command(flatten)]
    pub writer: WriterOpts,
    /// Remove the template.
    #[arg(long, conflicts_with = "template")]
    pub no_template: bool,
    /// Replace the processing steps with those given by --process (none clears them).
    #[arg(long)]
    pub reset_process: bool,
    /// Replace the filters with those given by --filter (none clears them).
    #[arg(long)]
    pub reset_filters: bool,
    /// Stop reading this followed account (repeatable); its cached posts stay.
    #[arg(long, value_name = "ACCOUNT")]
    pub unfollow: Vec<String>,
    /// A reader with followed accounts: stop reading the home timeline.
    #[arg(long, conflicts_with = "home")]
    pub no_home: bool,
    /// A reader with followed accounts: stop reading their reposts.
    #[arg(long, conflicts_with = "reposts")]
    pub no_reposts: bool,
    /// Analyzer settings (last: their heading applies to what follows).
    #[command(flatten)]
    pub analyzer: AnalyzerOpts,
}

/// `farm app …`
#[derive(Subcommand, Debug)]
pub enum AppCmd {
    /// Store app keys from FARM_CONSUMER_KEY / FARM_CONSUMER_SECRET (or a prompt), or the prices
    /// the bill in `farm stats` is estimated at.
    #[command(
        after_help = "Examples:\n  FARM_CONSUMER_KEY=… FARM_CONSUMER_SECRET=… farm app set x\n  farm app set x --read-price 0.005 --post-price 0.015 --link-post-price 0.2   # only the prices\n  farm app set x --read-price default"
    )]
    Set {
        /// Platform (only `x`).
        platform: String,
        /// US dollars X bills per post read (default 0.005, X's price on 2026-12-06; `default`
        /// goes back to it). With a price and no keys in the environment, only the prices change.
        #[arg(long, value_name = "USD", allow_hyphen_values = true)]
        read_price: Option<String>,
        /// US dollars per post made without a link (default 0.015).
        #[arg(long, value_name = "USD", allow_hyphen_values = true)]
        post_price: Option<String>,
        /// US dollars per post made with a link (default 0.200).
        #[arg(long, value_name = "USD", allow_hyphen_values = true)]
        link_post_price: Option<String>,
    },
    /// Show stored app keys (masked) and the prices bills are estimated at.
    Show,
}

/// `farm run …`
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Only these bots (all when omitted).
    #[arg(value_name = "BOT")]
    pub names: Vec<String>,
    /// Do everything except network writes and state changes; print what would be posted.
    #[arg(long)]
    pub dry_run: bool,
    /// Bots run in parallel.
    #[arg(long, short, default_value_t = 4)]
    pub jobs: usize,
    /// Run the named bots now, whatever their schedule or back-off; a writer still posts at most
    /// once per --every (`farm post` posts a text by hand).
    #[arg(long)]
    pub force: bool,
    /// Print one line per bot, also for those with nothing to do.
    #[arg(short, long)]
    pub verbose: bool,
}
