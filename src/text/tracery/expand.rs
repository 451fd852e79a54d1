//! One expansion of a grammar: symbols' stacks of choices, the seeded random choices, and the
//! limits that make a hostile grammar fail cleanly instead of hanging or eating the memory.

use std::collections::HashMap;
use std::rc::Rc;

use super::grammar::{parse_rule, short, Action, Part, Rule, Tag};
use super::modifiers::word_count;
use super::{MAX_DEPTH, MAX_PRODUCED, MAX_STEPS};
use crate::text::rng::Rng;

/// A symbol's choices: the grammar's own, or a list pushed by an action.
enum Choices<'g> {
    Grammar(&'g [Rule]),
    Pushed(Rc<Vec<Rule>>),
}

/// One rule chosen from [`Choices`] (a pushed list is kept alive while it is expanded).
enum Chosen<'g> {
    Grammar(&'g Rule),
    Pushed(Rc<Vec<Rule>>, usize),
}

/// The state of one expansion.
pub struct Expander<'g> {
    rules: &'g HashMap<String, Vec<Rule>>,
    rng: Rng,
    stacks: HashMap<String, Vec<Choices<'g>>>,
    steps: usize,
    produced: usize,
}

impl<'g> Expander<'g> {
    /// An expansion of `rules` whose choices follow `seed`.
    pub fn new(rules: &'g HashMap<String, Vec<Rule>>, seed: u64) -> Expander<'g> {
        Expander { rules, rng: Rng::new(seed), stacks: HashMap::new(), steps: 0, produced: 0 }
    }

    /// Expand `symbol`: the finished text, escapes still in it.
    pub fn symbol(&mut self, symbol: &str) -> Result<String, String> {
        self.symbol_at(symbol, 0)
    }

    /// Count one step of work, and `bytes` of text made; fail past the limits.
    fn spend(&mut self, symbol: &str, steps: usize, bytes: usize) -> Result<(), String> {
        self.steps += steps;
        self.produced += bytes;
        if self.steps > MAX_STEPS {
            return Err(format!(
                "expanding '{symbol}' took more than {MAX_STEPS} steps: the grammar grows without end"
            ));
        }
        if self.produced > MAX_PRODUCED {
            return Err(format!(
                "expanding '{symbol}' made more than {} KiB of text: the grammar grows without end",
                MAX_PRODUCED / 1024
            ));
        }
        Ok(())
    }

    fn rule(&mut self, rule: &Rule, depth: usize, within: &str) -> Result<String, String> {
        let mut out = String::new();
        for part in &rule.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Tag(tag) => out.push_str(&self.tag(tag, depth)?),
                Part::Action(a) => self.act(a, depth, within)?,
            }
        }
        self.spend(within, 0, out.len())?;
        Ok(out)
    }

    fn tag(&mut self, tag: &Tag, depth: usize) -> Result<String, String> {
        let symbol = tag.symbol.as_str();
        if depth >= MAX_DEPTH {
            return Err(format!(
                "'{symbol}' is nested more than {MAX_DEPTH} rules deep: a recursion that does not end soon enough"
            ));
        }
        self.spend(symbol, 1, 0)?;
        for a in &tag.actions {
            self.act(a, depth + 1, symbol)?;
        }
        let mut text = match self.choose(symbol)? {
            Chosen::Grammar(rule) => self.rule(rule, depth + 1, symbol)?,
            Chosen::Pushed(list, i) => self.rule(&list[i], depth + 1, symbol)?,
        };
        for m in &tag.mods {
            let noun = match m.kind.symbol_param(&m.params) {
                Some(s) => Some(self.symbol_at(s, depth + 1)?),
                None => None,
            };
            let words = if m.kind.is_russian() { word_count(&text) } else { 0 };
            self.spend(symbol, 1 + words, 0)?;
            text = m.kind.apply(&text, &m.params, noun.as_deref());
            self.spend(symbol, 0, text.len())?;
        }
        // A tag's pushes last for the tag only.
        for a in &tag.actions {
            if let Action::Push(target, _) = a {
                self.stack(target).pop();
            }
        }
        Ok(text)
    }

    fn symbol_at(&mut self, symbol: &str, depth: usize) -> Result<String, String> {
        let tag = Tag { actions: Vec::new(), symbol: symbol.to_string(), mods: Vec::new() };
        self.tag(&tag, depth)
    }

    fn act(&mut self, action: &Action, depth: usize, within: &str) -> Result<(), String> {
        self.spend(within, 1, 0)?;
        match action {
            Action::Push(target, rules) => {
                let mut pushed = Vec::with_capacity(rules.len());
                for r in rules {
                    let text = self.rule(r, depth + 1, within)?;
                    // What an action pushes is read again as a rule when chosen, as in Tracery;
                    // escapes are kept, so it is plain text unless a modifier made tags.
                    pushed.push(parse_rule(&text).map_err(|e| format!("a text pushed to '{target}': {e}"))?);
                }
                self.stack(target).push(Choices::Pushed(Rc::new(pushed)));
            }
            Action::Pop(target) => {
                self.stack(target).pop();
            }
            Action::Run(rule) => {
                self.rule(rule, depth + 1, within)?;
            }
        }
        Ok(())
    }

    fn stack(&mut self, symbol: &str) -> &mut Vec<Choices<'g>> {
        let rules = self.rules;
        self.stacks.entry(symbol.to_string()).or_insert_with(|| {
            rules.get(symbol).map(|r| vec![Choices::Grammar(r.as_slice())]).unwrap_or_default()
        })
    }

    fn choose(&mut self, symbol: &str) -> Result<Chosen<'g>, String> {
        let top = match self.stack(symbol).last() {
            Some(Choices::Grammar(r)) if !r.is_empty() => Choices::Grammar(r),
            Some(Choices::Pushed(p)) if !p.is_empty() => Choices::Pushed(Rc::clone(p)),
            _ => {
                return Err(format!(
                    "'{}' has no choices here (no such rule, or popped more often than pushed)",
                    short(symbol)
                ))
            }
        };
        Ok(match top {
            Choices::Grammar(r) => Chosen::Grammar(&r[self.rng.below(r.len() as u64) as usize]),
            Choices::Pushed(p) => {
                let i = self.rng.below(p.len() as u64) as usize;
                Chosen::Pushed(p, i)
            }
        })
    }
}
