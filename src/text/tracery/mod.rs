//! Tracery grammars: a writer that makes its own posts from a grammar (`--process
//! tracery:FILE`), as the bots of Cheap Bots Done Quick and Blue Bots Done Quick do.
//!
//! A small engine of our own rather than the `tracery` crate (0.2.1, unmaintained since 2021):
//! farm needs limits a stranger's grammar cannot get past, choices that follow a seed of ours,
//! the hosts' shortcodes, and modifiers that inflect Russian words; the crate has none of them
//! and brings pest, regex and rand. The grammar's file format and rule syntax are read in
//! [`grammar`], modifiers in [`modifiers`], shortcodes in [`shortcodes`], one expansion in
//! `expand`.
//!
//! Limits: a grammar file of at most [`MAX_GRAMMAR_BYTES`]; one expansion at most
//! [`MAX_DEPTH`] rules deep, [`MAX_STEPS`] steps (tags, actions, modifiers, Russian words) and
//! [`MAX_PRODUCED`] bytes of text made along the way. A grammar that breaks a limit on any of
//! [`TRIALS`] seeds, that uses a rule nobody defines, or whose rules can never finish, is
//! refused when the writer is created; at run time a seed that breaks a limit is re-rolled.

mod expand;
pub mod grammar;
pub mod modifiers;
pub mod shortcodes;

use std::collections::{HashMap, HashSet};

use grammar::{parse_rule, short, symbols_pushed, symbols_used, Rule, Source};

use crate::model::PostMeta;

/// The largest grammar file farm reads.
pub const MAX_GRAMMAR_BYTES: usize = 256 * 1024;
/// How deep rules may nest in one expansion.
pub const MAX_DEPTH: usize = 64;
/// How many tags, actions, modifiers and Russian words one expansion may take.
pub const MAX_STEPS: usize = 20_000;
/// How much text one expansion may make along the way, bytes.
pub const MAX_PRODUCED: usize = 1024 * 1024;
/// How many seeds a grammar is tried with when the writer is created.
pub const TRIALS: u64 = 32;
/// The rule a post starts from.
pub const ORIGIN: &str = "origin";

/// A checked grammar, ready to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracery {
    source: Source,
    rules: HashMap<String, Vec<Rule>>,
}

/// A generated post: its text, and what its shortcodes said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The text, shortcodes taken out.
    pub text: String,
    /// Content warning, sensitive, language, labels.
    pub meta: PostMeta,
}

impl Tracery {
    /// Read and check a grammar file's text: its size, its JSON, every rule's syntax, that
    /// `origin` exists, that every rule it can reach is defined (or pushed by an action) and can
    /// finish, and its shortcodes. Errors name the rule.
    pub fn from_json(json: &str) -> Result<Tracery, String> {
        if json.len() > MAX_GRAMMAR_BYTES {
            return Err(format!(
                "the grammar is {} KiB; farm takes at most {} KiB",
                json.len().div_ceil(1024),
                MAX_GRAMMAR_BYTES / 1024
            ));
        }
        let source = Source::from_json(json)?;
        let mut rules = HashMap::new();
        for (symbol, texts) in &source.0 {
            if texts.is_empty() {
                return Err(format!("rule '{}' has no choices: give it at least one text", short(symbol)));
            }
            let mut parsed = Vec::with_capacity(texts.len());
            for (i, text) in texts.iter().enumerate() {
                let rule = parse_rule(text).map_err(|e| at(symbol, i, texts.len(), &e))?;
                shortcodes::check(text).map_err(|e| at(symbol, i, texts.len(), &e))?;
                parsed.push(rule);
            }
            rules.insert(symbol.clone(), parsed);
        }
        let t = Tracery { source, rules };
        t.check_symbols()?;
        Ok(t)
    }

    /// Generate with a few seeds, as the writer's runs will: a grammar that breaks a limit, uses
    /// a rule that is empty at that point, or makes a shortcode farm refuses, is refused now.
    pub fn try_out(&self) -> Result<(), String> {
        for trial in 0..TRIALS {
            self.generate(seed("trial", trial, 0)).map_err(|e| format!("tried out: {e}"))?;
        }
        Ok(())
    }

    /// One post from `origin`, its choices following `seed`.
    pub fn generate(&self, seed: u64) -> Result<Generated, String> {
        let raw = expand::Expander::new(&self.rules, seed).symbol(ORIGIN)?;
        let (text, meta) = shortcodes::extract(&crate::text::spec::unescape(&raw))?;
        Ok(Generated { text, meta })
    }

    /// The grammar as stored: compact JSON in the file's order, each value a list.
    pub fn to_json(&self) -> String {
        self.source.to_json()
    }

    /// The grammar as indented JSON, for `farm show`.
    pub fn to_pretty_json(&self) -> String {
        self.source.to_pretty_json()
    }

    /// The grammar in the file's order, for `--json` output.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// One line for `farm show`.
    pub fn describe(&self) -> String {
        let choices: usize = self.source.0.iter().map(|(_, v)| v.len()).sum();
        format!("tracery: a grammar of {} rules, {choices} choices, from '{ORIGIN}'", self.source.0.len())
    }

    /// Every rule reachable from `origin` is defined or pushed somewhere, and can finish: some
    /// choice of it uses only rules that can (rules pushed by actions count as able to).
    fn check_symbols(&self) -> Result<(), String> {
        if !self.rules.contains_key(ORIGIN) {
            return Err(format!("the grammar has no '{ORIGIN}' rule: posts start from it"));
        }
        let mut pushed = Vec::new();
        for list in self.rules.values() {
            list.iter().for_each(|r| symbols_pushed(r, &mut pushed));
        }
        let pushed: HashSet<String> = pushed.into_iter().collect();
        let uses = |r: &Rule| {
            let mut used = Vec::new();
            symbols_used(r, &mut used);
            used
        };
        // Reachable from origin, breadth first (the first error found is the nearest to it).
        let mut reach = vec![ORIGIN.to_string()];
        let mut seen: HashSet<String> = reach.iter().cloned().collect();
        let mut i = 0;
        while i < reach.len() {
            let symbol = reach[i].clone();
            i += 1;
            for rule in self.rules.get(&symbol).into_iter().flatten() {
                for used in uses(rule) {
                    if !self.rules.contains_key(&used) && !pushed.contains(&used) {
                        return Err(format!(
                            "rule '{}' uses #{}#, which no rule defines and no action pushes",
                            short(&symbol),
                            short(&used)
                        ));
                    }
                    if seen.insert(used.clone()) {
                        reach.push(used);
                    }
                }
            }
        }
        // Rules that can finish, found in time linear in the grammar: each choice counts the
        // rules it uses that are not known to finish yet; a rule finishes when one of its
        // choices gets to zero (rules pushed by actions finish: they are made of finished text).
        let mut finite: HashSet<&str> = pushed.iter().map(String::as_str).collect();
        let mut waiting: Vec<(&str, usize)> = Vec::new();
        let mut users: HashMap<String, Vec<usize>> = HashMap::new();
        let mut ready: Vec<&str> = Vec::new();
        for (symbol, list) in &self.rules {
            for rule in list {
                let mut open: Vec<String> =
                    uses(rule).into_iter().filter(|u| !finite.contains(u.as_str())).collect();
                open.sort();
                open.dedup();
                if open.is_empty() {
                    ready.push(symbol);
                }
                for u in open.iter() {
                    users.entry(u.clone()).or_default().push(waiting.len());
                }
                waiting.push((symbol, open.len()));
            }
        }
        while let Some(symbol) = ready.pop() {
            if !finite.insert(symbol) {
                continue;
            }
            for &choice in users.get(symbol).into_iter().flatten() {
                waiting[choice].1 -= 1;
                if waiting[choice].1 == 0 {
                    ready.push(waiting[choice].0);
                }
            }
        }
        let endless = self.source.0.iter().find(|(s, _)| seen.contains(s) && !finite.contains(s.as_str()));
        if let Some((symbol, _)) = endless {
            return Err(format!(
                "rule '{}' can never finish: each of its choices leads back to it; give it a choice without such #rules#",
                short(symbol)
            ));
        }
        Ok(())
    }
}

/// The place of an error: the rule, and which choice when there are several.
fn at(symbol: &str, i: usize, of: usize, e: &str) -> String {
    if of > 1 {
        format!("rule '{}', choice {}: {e}", short(symbol), i + 1)
    } else {
        format!("rule '{}': {e}", short(symbol))
    }
}

/// The seed of a grammar writer's post: from the writer's name, the post's number (its first post
/// is 1) and how many times it was re-rolled (a duplicate, or too long), so that a resend, a
/// preview and the run agree on every choice.
pub fn seed(writer: &str, number: u64, attempt: u32) -> u64 {
    crate::text::dedup::hash(&format!("tracery\u{0}{writer}\u{0}{number}\u{0}{attempt}"))
}

#[cfg(test)]
mod tests;
