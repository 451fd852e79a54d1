//! A writer's text pipeline: filters, then processors, then the template, turning one source post
//! into the text to post (or nothing).
//!
//! # Spec grammar
//!
//! ```text
//! --template TEXT      literal text; {} (or {0}) is replaced by the processed text, {title}
//!                      {link} {author} {text} {categories} by the source post's fields (see
//!                      [`super::template`]; a post without one is skipped); {{ }} are braces
//! --process SPEC       repeatable; the processors run in order, each on the previous one's output
//! --filter SPEC        repeatable; applied to the source post before any processor
//!
//! SPEC     = NAME [":" ITEM {";" ITEM}]
//! ITEM     = KEY "=" VALUE | POSITIONAL (first item only)
//! VALUE    = text; "\" escapes the next character (\; \| \, \=); "@PATH" is replaced by the
//!            file's content when the writer is created (the content is stored, not the path);
//!            in such files a line starting with # is a comment
//!
//! phrase:PATTERN[;min-len=2][;blacklist=W,W..|@FILE][;default-blacklist=yes|no]
//!        [;pairs=W W|W W..|@FILE][;cap=title|keep|lower]
//!     the first run of consecutive words matching PATTERN: one group of OpenCorpora grammemes
//!     per word, e.g. "ADJF,nomn NOUN,nomn" (each word needs some analysis with all of its
//!     group's grammemes). Words are Russian ([а-яё-]); blacklisted words (compared as written
//!     and by normal form; the default list is the original's pronouns and determiners) and
//!     blacklisted sequences (pairs, one per line in a file) are never taken.
//! nouns[:N][;inflect=WORD][;place=before|after][;min-len=2][;cap=first|title|lower]
//!     N nouns (words that are nouns in every analysis) in dictionary form, in an order fixed by
//!     the run's seed, joined by ", "; with inflect, WORD (a verb, put in the past tense, or an
//!     adjective) agrees with the first noun: nouns:1;inflect=заебать -> "Заебала кошка".
//!     Fewer than N nouns: skip.
//! replace:FROM=TO|FROM=TO..|@FILE[;unmatched=skip|keep]
//!     whole-word replacement, case kept (Кот -> Пёс, КОТ -> ПЁС); a file has one FROM<TAB>TO or
//!     FROM = TO a line, # comments. A post where nothing matched is skipped unless unmatched=keep.
//! markov[:order=2][;tries=50][;max-len=280][;min-words=3][;max-overlap=15][;max-overlap-pct=70][;seed=N]
//!     a new sentence from a word chain (order 1-3) over the reader's recent posts (cleaned by the
//!     filters); sentences that copy the corpus (a run of max-overlap words, or max-overlap-pct %
//!     of the sentence) are rejected; after `tries` failures the run is skipped.
//! exec:COMMAND[;timeout=10s]
//!     everything after "exec:" is a shell command (sh -c); the text goes to its stdin, its stdout
//!     (trimmed) is the result, empty output skips; FARM_POST_ID and FARM_POST_AUTHOR are set.
//!     A non-zero exit (78), the timeout (75) or a failure to start it (74) is an error for this
//!     writer, never a skip. It runs in a process group of its own, killed when it exits or
//!     times out: what it leaves in the background does not outlive it.
//!
//! tracery:FILE
//!     a writer that makes its own posts from a Tracery grammar (a JSON file, read when the writer
//!     is created or edited and stored with it; see `super::tracery`): it has no reader and no
//!     filters, is the first step, and the steps after it (not markov) change its text.
//!
//! filters: no-retweets, no-replies, no-links, no-mentions (each also =yes/=no), strip-urls,
//!          strip-mentions (also a leading "RT @x:"), strip-hashtags, blacklist=W,W..|@FILE, lang=ru
//! ```
//!
//! Without processors and template the post's text (after the filters) is posted as it is.
//! Results containing one of the run's boring words are skipped; processors with a choice
//! (phrase, nouns, markov) prefer results with one of its hot words.

use serde::{Deserialize, Serialize};

use crate::error::FarmError;
use crate::net::Post;

use super::exec::Exec;
use super::filters::{self, Filters};
use super::markov::Markov;
use super::nouns::Nouns;
use super::phrase::Phrase;
use super::replace::Replace;
use super::spec;
use super::template::{Fill, Template};
use super::tracery::Tracery;
use super::words;
use crate::model::PostMeta;

/// The spec grammar for `--help`.
pub const HELP: &str = "\
Writer text options:
  --template TEXT    text around the result: {} (or {0}) is the result, {{ and }} are braces;
                     the source post's fields: {title} {link} {author} {text} (after the
                     filters) {categories} (as hashtags); a post without such a field is skipped
  --process SPEC     a processor (repeatable, run in order): NAME[:ITEM;ITEM...]
  --filter SPEC      a filter on the source post (repeatable)
  In values \\ escapes the next character; @PATH is replaced by the file's content at create time
  (lines starting with # in it are comments).

Processors:
  phrase:PATTERN[;min-len=2][;blacklist=W,W..|@FILE][;default-blacklist=no][;pairs=W W|W W..|@FILE]
         [;cap=title|keep|lower]
      first run of words matching PATTERN, one group of OpenCorpora grammemes per word:
      phrase:ADJF,nomn NOUN,nomn;pairs=доброе утро  (\"тайная комната\" -> \"Тайная Комната\")
  nouns[:N][;inflect=WORD][;place=before|after][;min-len=2][;cap=first|title|lower]
      N nouns in dictionary form; WORD (verb or adjective) agrees with the first:
      nouns:1;inflect=заебать  (\"кошка\" -> \"Заебала кошка\")
  replace:FROM=TO|FROM=TO..|@FILE[;unmatched=skip|keep]
      whole words, case kept; file lines: FROM<TAB>TO or FROM = TO
  markov[:order=2][;tries=50][;max-len=280][;min-words=3][;max-overlap=15][;max-overlap-pct=70][;seed=N]
      new sentence from the reader's recent posts; skips when nothing new comes out
  exec:COMMAND[;timeout=10s]
      text on stdin of `sh -c COMMAND`, its stdout is the result (empty: skip)
  tracery:FILE
      posts made from a Tracery grammar (CBDQ/BBDQ JSON), stored with the writer; no --source,
      no filters; first step (later steps change its text)

Filters:
  no-retweets, no-replies, no-links, no-mentions  (each also =yes or =no)
  strip-urls, strip-mentions, strip-hashtags, blacklist=W,W..|@FILE, lang=ru
";

/// A writer's whole processing configuration, as stored in the bot record. Self-contained: any
/// files (blacklists, replace tables) are read at create/edit time and their content is stored, so
/// an exported farm works on another machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WriterSpec {
    /// The `--template`, if any.
    pub template: Option<String>,
    /// The `--process` specs, in order, file references resolved.
    pub process: Vec<String>,
    /// The `--filter` specs, in order, file references resolved.
    pub filters: Vec<String>,
    /// A grammar writer's Tracery grammar (compact JSON), when `process` starts with
    /// [`TRACERY`].
    pub grammar: Option<String>,
}

/// The step of a grammar writer, first in its `process`; the grammar is kept beside it.
pub const TRACERY: &str = "tracery";

impl WriterSpec {
    /// Build from CLI values: `--template`, repeatable `--process SPEC`, repeatable `--filter SPEC`;
    /// resolves `@path` file references into content; validates everything (errors are usage
    /// errors with a one-line message that shows the right syntax).
    pub fn from_cli(
        template: Option<String>,
        process: &[String],
        filters: &[String],
    ) -> Result<WriterSpec, FarmError> {
        let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"));
        if let Some(t) = &template {
            let parsed = Template::parse(t).map_err(|e| FarmError::usage(format!("--template: {e}")))?;
            if !process.is_empty() && !parsed.uses_result() {
                return Err(FarmError::usage(
                    "--template has no {} for the processors' result; add {} or drop the --process steps",
                ));
            }
        }
        let mut spec = WriterSpec { template, ..WriterSpec::default() };
        for p in process {
            let usage = |e: String| FarmError::usage(format!("--process '{}': {e}", one_line(p)));
            if name_of(p) == TRACERY {
                // A bare `tracery` is the step of a grammar already stored (see `check`).
                if let Some(grammar) = read_grammar(p).map_err(usage)? {
                    spec.grammar = Some(grammar);
                }
                spec.process.push(TRACERY.to_string());
                continue;
            }
            let resolved = if name_of(p) == "exec" {
                p.clone()
            } else {
                spec::resolve_files(p, &read).map_err(usage)?
            };
            Processor::parse(&resolved, true).map_err(usage)?;
            spec.process.push(resolved);
        }
        for f in filters {
            let usage = |e: String| FarmError::usage(format!("--filter '{}': {e}", one_line(f)));
            let resolved = filters::resolve_files(f, &read).map_err(usage)?;
            filters::parse(&resolved).map_err(usage)?;
            spec.filters.push(resolved);
        }
        if spec.grammar.is_some() {
            spec.check()?;
        }
        Ok(spec)
    }

    /// Whether this is a grammar writer's spec (its first step is [`TRACERY`]).
    pub fn is_generator(&self) -> bool {
        self.process.iter().any(|p| p == TRACERY)
    }

    /// Check how a grammar fits with the other settings: one `tracery` step, the first, with its
    /// grammar; no `markov` (it learns from a reader's posts) and no filters (they pick them).
    pub fn check(&self) -> Result<(), FarmError> {
        let usage = |e: &str| Err(FarmError::usage(e.to_string()));
        let steps = self.process.iter().filter(|p| *p == TRACERY).count();
        if steps == 0 {
            return match self.grammar {
                None => Ok(()),
                Some(_) => Err(FarmError::software("a grammar is stored without its tracery step")),
            };
        }
        if steps > 1 || self.process[0] != TRACERY {
            return usage("--process tracery:FILE makes the text, so it comes first, once; the steps after it change its text (--reset-process to start over)");
        }
        if self.grammar.is_none() {
            return usage("--process tracery needs its grammar file: --process tracery:FILE");
        }
        if self.process.iter().any(|p| name_of(p) == "markov") {
            return usage(
                "a grammar writer has no reader, so no posts for markov to learn from; drop --process markov",
            );
        }
        if !self.filters.is_empty() {
            return usage("a grammar writer has no reader, so no posts for filters to pick; drop the --filter options (--reset-filters)");
        }
        Ok(())
    }

    /// Human one-line-per-item description for `farm show`.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match &self.template {
            Some(t) => lines.push(format!("template: {}", one_line(t))),
            None => lines.push("template: none (the result itself)".to_string()),
        }
        if self.process.is_empty() {
            lines.push("process: none (the post's text)".to_string());
        }
        for p in &self.process {
            if p == TRACERY {
                match self.grammar.as_deref().map(Tracery::from_json) {
                    Some(Ok(g)) => lines.push(format!("process: {}", g.describe())),
                    Some(Err(e)) => lines.push(format!("process: tracery, invalid ({e})")),
                    None => lines.push("process: tracery, its grammar is missing".to_string()),
                }
                continue;
            }
            match Processor::parse(p, false) {
                Ok(proc) => lines.push(format!("process: {}", proc.describe())),
                Err(e) => lines.push(format!("process: invalid ({e})")),
            }
        }
        for f in &self.filters {
            match filters::parse(f) {
                Ok(Some(filter)) => lines.extend(Filters { list: vec![filter] }.describe()),
                Ok(None) => lines.push(format!("filter: {} (off)", one_line(f))),
                Err(e) => lines.push(format!("filter: invalid ({e})")),
            }
        }
        lines
    }
}

/// What a pipeline run may use besides the post: the corpus for markov, a seed for every random
/// choice, and word feedback (boring words are avoided, hot words preferred).
pub struct Ctx<'a> {
    /// The reader's cached posts (called only by processors that need them); the writer's
    /// filters are applied to them, so e.g. `lang=en` keeps Russian posts out of a Markov chain.
    pub corpus: &'a dyn Fn() -> Vec<Post>,
    /// The seed for this run's random choices.
    pub seed: u64,
    /// Words that make a result be skipped.
    pub boring: &'a [String],
    /// Words that make a result preferred.
    pub hot: &'a [String],
}

/// One processor step.
#[derive(Debug, Clone, PartialEq)]
enum Processor {
    Phrase(Phrase),
    Nouns(Nouns),
    Replace(Replace),
    Markov(Markov),
    Exec(Exec),
}

impl Processor {
    /// Parse a resolved spec; `check` validates against the dictionary too (at create time).
    fn parse(spec_text: &str, check: bool) -> Result<Processor, String> {
        match name_of(spec_text) {
            "phrase" => Phrase::parse(spec_text).map(Processor::Phrase),
            "nouns" => Nouns::parse(spec_text, check).map(Processor::Nouns),
            "replace" => Replace::parse(spec_text).map(Processor::Replace),
            "markov" => Markov::parse(spec_text).map(Processor::Markov),
            "exec" => Exec::parse(spec_text).map(Processor::Exec),
            TRACERY => Err("tracery makes the text, so it comes first, once".into()),
            other => Err(format!(
                "unknown processor '{other}'; use phrase:PATTERN, nouns:N, replace:FROM=TO, markov, exec:COMMAND or tracery:FILE"
            )),
        }
    }

    fn describe(&self) -> String {
        match self {
            Processor::Phrase(p) => p.describe(),
            Processor::Nouns(n) => n.describe(),
            Processor::Replace(r) => r.describe(),
            Processor::Markov(m) => m.describe(),
            Processor::Exec(e) => e.describe(),
        }
    }
}

/// A ready-to-run writer pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// A grammar writer's grammar, which makes the text the processors start from.
    generator: Option<Tracery>,
    template: Option<Template>,
    processors: Vec<Processor>,
    filters: Filters,
}

impl Pipeline {
    /// Parse a stored spec. Cheap: the morphology dictionary is loaded on the first run that needs it.
    pub fn new(spec: &WriterSpec) -> Result<Pipeline, FarmError> {
        let config = |what: &str, e: String| FarmError::config(format!("writer {what}: {e}"));
        let unresolved = |path: &str| {
            Err(format!("the file reference @{path} was never read; set the writer's options again"))
        };
        let template = match &spec.template {
            Some(t) => Some(Template::parse(t).map_err(|e| config("template", e))?),
            None => None,
        };
        let mut processors = Vec::new();
        let mut steps = spec.process.as_slice();
        let mut generator = None;
        if let Some((first, rest)) = steps.split_first().filter(|(first, _)| *first == TRACERY) {
            let grammar = spec.grammar.as_deref().ok_or_else(|| {
                FarmError::config("writer grammar: it is missing; give it again with --process tracery:FILE")
            })?;
            generator = Some(Tracery::from_json(grammar).map_err(|e| config(first, e))?);
            steps = rest;
        }
        for p in steps {
            let what = format!("process '{}'", one_line(p));
            if name_of(p) != "exec" {
                spec::resolve_files(p, &unresolved).map_err(|e| config(&what, e))?;
            }
            processors.push(Processor::parse(p, false).map_err(|e| config(&what, e))?);
        }
        for f in &spec.filters {
            filters::resolve_files(f, &unresolved)
                .map_err(|e| config(&format!("filter '{}'", one_line(f)), e))?;
        }
        let filters = Filters::parse(&spec.filters).map_err(|e| config("filter", e))?;
        Ok(Pipeline { generator, template, processors, filters })
    }

    /// Turn one source post into the text to post, or `None` to skip it. `ctx` gives the corpus
    /// for markov, a seed, and word feedback. Errors are this writer's: an `exec` command that
    /// fails (configuration, exit 78), runs past its timeout (try again, 75) or cannot be started
    /// (I/O, 74); never a silent skip.
    pub fn run(&self, post: &Post, ctx: &mut Ctx) -> Result<Option<String>, FarmError> {
        let Some(text) = self.filters.apply(post) else { return Ok(None) };
        self.finish(post, text, ctx)
    }

    /// One roll of a grammar writer: a text from its grammar, its choices following `ctx.seed`,
    /// through the processors after it and the template. A seed that breaks one of the
    /// grammar's limits is [`Roll::Failed`] (the next seed may not).
    pub fn generate(&self, ctx: &mut Ctx) -> Result<Roll, FarmError> {
        let Some(grammar) = &self.generator else {
            return Err(FarmError::software("a writer without a grammar asked to generate"));
        };
        let made = match grammar.generate(ctx.seed) {
            Ok(made) => made,
            Err(why) => return Ok(Roll::Failed(why)),
        };
        let post = Post { text: made.text.clone(), ..Post::default() };
        Ok(match self.finish(&post, made.text, ctx)? {
            Some(text) => Roll::Text(text, made.meta),
            None => Roll::Nothing,
        })
    }

    /// Whether this is a grammar writer's pipeline.
    pub fn is_generator(&self) -> bool {
        self.generator.is_some()
    }

    /// The processors and the template on `text` (made from `post`).
    fn finish(&self, post: &Post, mut text: String, ctx: &mut Ctx) -> Result<Option<String>, FarmError> {
        // What the filters left (a grammar's text): the template's `{text}`.
        let filtered = text.clone();
        for processor in &self.processors {
            let out = match processor {
                Processor::Phrase(p) => choose(p.candidates(&text), ctx.boring, ctx.hot),
                Processor::Nouns(n) => {
                    n.run(&text, ctx.seed, ctx.boring, ctx.hot).map_err(FarmError::config)?
                }
                Processor::Replace(r) => r.apply(&text),
                Processor::Markov(m) => {
                    let mut corpus: Vec<String> =
                        (ctx.corpus)().iter().filter_map(|p| self.filters.apply(p)).collect();
                    if !corpus.contains(&text) {
                        corpus.push(text.clone());
                    }
                    m.generate(&corpus, ctx.seed, ctx.boring, ctx.hot)
                }
                Processor::Exec(e) => {
                    let env =
                        [("FARM_POST_ID", post.id.to_string()), ("FARM_POST_AUTHOR", post.author.clone())];
                    e.run(&text, &env).map_err(|err| err.to_farm_error(&e.command))?
                }
            };
            match out {
                Some(t) if !t.trim().is_empty() => text = t,
                _ => return Ok(None),
            }
        }
        if words::mentions_any(&text, ctx.boring) {
            return Ok(None);
        }
        Ok(match &self.template {
            // A post without a field the template uses is skipped.
            Some(t) => t.render(&Fill { result: &text, filtered: &filtered, post }),
            None => Some(text),
        })
    }

    /// Whether a run calls `ctx.corpus` (a `markov` processor is used).
    pub fn needs_corpus(&self) -> bool {
        self.processors.iter().any(|p| matches!(p, Processor::Markov(_)))
    }

    /// Whether a run loads the morphology dictionary (`phrase` or `nouns` is used).
    pub fn needs_morphology(&self) -> bool {
        self.processors.iter().any(|p| matches!(p, Processor::Phrase(_) | Processor::Nouns(_)))
    }
}

/// What one roll of a grammar writer gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roll {
    /// A text, and what its shortcodes said for the post.
    Text(String, PostMeta),
    /// Nothing: a later processor skipped it, or it has a boring word.
    Nothing,
    /// The grammar broke a limit with this seed (the reason, naming the rule).
    Failed(String),
}

/// The grammar of a `tracery:FILE` spec (also `tracery:@FILE`, or the JSON itself when it starts
/// with `{`), read, checked and tried out, as compact JSON; `None` for a bare `tracery`. The file
/// is read no further than the size limit: a stranger's file is hostile input.
fn read_grammar(spec_text: &str) -> Result<Option<String>, String> {
    let arg = spec_text.split_once(':').map_or("", |(_, a)| a.trim());
    if arg.is_empty() {
        return Ok(None);
    }
    let json = if arg.starts_with('{') {
        arg.to_string()
    } else {
        let path = arg.strip_prefix('@').unwrap_or(arg);
        read_limited(path, super::tracery::MAX_GRAMMAR_BYTES)?
    };
    let grammar = Tracery::from_json(&json)?;
    grammar.try_out()?;
    Ok(Some(grammar.to_json()))
}

/// A file's text, refused past `limit` bytes (reading stops there).
fn read_limited(path: &str, limit: usize) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {path}: {e}"))?;
    if bytes.len() > limit {
        return Err(format!("{path} is larger than {} KiB, too large for a grammar", limit / 1024));
    }
    String::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8 text"))
}

/// The first candidate without a boring word, preferring one with a hot word.
fn choose(candidates: Vec<String>, boring: &[String], hot: &[String]) -> Option<String> {
    let fine: Vec<String> = candidates.into_iter().filter(|c| !words::mentions_any(c, boring)).collect();
    let hot_one = fine.iter().position(|c| words::mentions_any(c, hot));
    fine.into_iter().nth(hot_one.unwrap_or(0))
}

/// The processor or filter name of a spec: the text before `:` or `;`.
fn name_of(spec_text: &str) -> &str {
    spec_text.split([':', ';']).next().unwrap_or("").trim()
}

/// The spec on one line (inlined file content has new lines), shortened for messages.
fn one_line(s: &str) -> String {
    let flat: String = s.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    if flat.chars().count() > 80 {
        format!("{}…", flat.chars().take(79).collect::<String>())
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str) -> Post {
        Post {
            id: 7,
            author: "ann".into(),
            text: text.into(),
            created_at: 0,
            is_repost: false,
            is_reply: false,
            has_links: false,
            lang: None,
            ..Default::default()
        }
    }

    fn run(spec: &WriterSpec, text: &str) -> Option<String> {
        let no_corpus = Vec::new;
        let mut ctx = Ctx { corpus: &no_corpus, seed: 1, boring: &[], hot: &[] };
        Pipeline::new(spec).unwrap().run(&post(text), &mut ctx).unwrap()
    }

    #[test]
    fn plain_text_passes_through() {
        let spec = WriterSpec::default();
        assert_eq!(run(&spec, "  hello  world ").as_deref(), Some("hello  world"));
        assert!(!Pipeline::new(&spec).unwrap().needs_morphology());
    }

    #[test]
    fn unknown_processor_is_a_usage_error() {
        let err = WriterSpec::from_cli(None, &["shout".into()], &[]).unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Usage);
        assert!(err.message.contains("unknown processor 'shout'"), "{}", err.message);
    }

    #[test]
    fn unresolved_file_is_a_config_error() {
        let spec = WriterSpec { process: vec!["replace:@table.tsv".into()], ..WriterSpec::default() };
        let err = Pipeline::new(&spec).unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Config);
        assert!(err.message.contains("@table.tsv"));
    }
}
