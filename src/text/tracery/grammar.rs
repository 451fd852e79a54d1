//! The edge of the Tracery format: a grammar file (a JSON object of rules) and the rule syntax
//! inside its texts, parsed into our own types. Everything a rule can say is checked here, so a
//! mistake is found when the writer is created, not at 3 a.m.
//!
//! The syntax is Tracery's (galaxykate/tracery, as CBDQ's v21/tracery runs it):
//!
//! ```text
//! "origin": ["#greeting.capitalize#, #name#!"]     a choice of texts; repeat one to weigh it
//! "greeting": "hello"                              one text is a list of one
//! #symbol#                                         a random choice of that rule, expanded
//! #symbol.mod.mod(a,b)#                            modifiers, applied in order
//! [name:#rule#]  [name:a,b]                        push: expand now, then `name` means that
//! [name:POP]                                       pop what was pushed last
//! [#rule#]                                         expand for its pushes only (no text)
//! #[name:#rule#]symbol#                            push for this tag, popped after it
//! \#  \[  \]  \\                                   a literal character
//! ```

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::modifiers::Mod;

/// A grammar as its file gives it: symbols and their texts, in the file's order (a symbol given
/// twice keeps its first place and its last texts, as JavaScript reads such a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source(pub Vec<(String, Vec<String>)>);

/// One text of a rule, parsed: plain text, tags and actions in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The parts, in order.
    pub parts: Vec<Part>,
}

/// A piece of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text, escapes (`\#`) still in it: they are removed from the finished post only,
    /// so text pushed by an action stays literal when it is read again as a rule.
    Text(String),
    /// `#…#`: a symbol expanded, with its actions and modifiers.
    Tag(Tag),
    /// `[…]` outside a tag: done when reached, leaves no text.
    Action(Action),
}

/// `#[actions]symbol.modifiers#`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Actions done before the symbol is expanded; their pushes are popped after it.
    pub actions: Vec<Action>,
    /// The symbol.
    pub symbol: String,
    /// Modifiers, applied in order to the expansion.
    pub mods: Vec<Modifier>,
}

/// `[target:rules]`, `[target:POP]` or `[rule]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Expand each text now and push the results as the symbol's new choices.
    Push(String, Vec<Rule>),
    /// Drop the symbol's most recently pushed choices.
    Pop(String),
    /// Expand a rule for its actions; its text is dropped.
    Run(Rule),
}

/// A modifier with its parameters (`replace(a,b)`, `agree(noun)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modifier {
    /// Which one.
    pub kind: Mod,
    /// Its parameters, as written.
    pub params: Vec<String>,
}

impl Source {
    /// Read a grammar file's text: a JSON object whose values are a text or a list of texts.
    pub fn from_json(text: &str) -> Result<Source, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut de = serde_json::Deserializer::from_str(text);
        let source = Source::deserialize(&mut de).map_err(|e| format!("not a Tracery grammar: {e}"))?;
        de.end().map_err(|e| format!("not a Tracery grammar: {e}"))?;
        Ok(source)
    }

    /// The grammar as compact JSON, every value a list, in the file's order: how it is stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The grammar as indented JSON, for `farm show`.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The texts of `symbol`.
    pub fn get(&self, symbol: &str) -> Option<&[String]> {
        self.0.iter().find(|(k, _)| k == symbol).map(|(_, v)| v.as_slice())
    }
}

/// A JSON object in the grammar's own order.
impl serde::Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
        d.deserialize_map(SourceVisitor)
    }
}

struct SourceVisitor;

impl<'de> Visitor<'de> for SourceVisitor {
    type Value = Source;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object of rules, e.g. {\"origin\": [\"hello #name#\"], \"name\": [\"world\"]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Source, A::Error> {
        let mut rules: Vec<(String, Vec<String>)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: serde_json::Value = map.next_value()?;
            let texts = match value {
                serde_json::Value::String(s) => vec![s],
                serde_json::Value::Array(items) => items
                    .into_iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => Ok(s),
                        other => Err(de::Error::custom(format!(
                            "rule \"{key}\": every choice is a text in quotes, found {}",
                            kind(&other)
                        ))),
                    })
                    .collect::<Result<_, _>>()?,
                other => {
                    return Err(de::Error::custom(format!(
                        "rule \"{key}\": expected a list of texts (or one text), found {}",
                        kind(&other)
                    )))
                }
            };
            match index.get(&key) {
                Some(&i) => rules[i].1 = texts,
                None => {
                    index.insert(key.clone(), rules.len());
                    rules.push((key, texts));
                }
            }
        }
        Ok(Source(rules))
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "true/false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A section of a rule text, before it is made into a [`Part`].
enum Section<'a> {
    Text(&'a str),
    Tag(&'a str),
    Action(&'a str),
}

/// Split a rule text into plain text, `#tags#` and `[actions]`, as Tracery does: `#` counts only
/// outside brackets, brackets nest, `\` escapes the next character.
fn sections(rule: &str) -> Result<Vec<Section<'_>>, String> {
    let mut out = Vec::new();
    let (mut depth, mut in_tag, mut escaped, mut start) = (0usize, false, false, 0usize);
    for (i, c) in rule.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' => {
                if depth == 0 && !in_tag {
                    if start < i {
                        out.push(Section::Text(&rule[start..i]));
                    }
                    start = i + 1;
                }
                depth += 1;
                // Each level is a level of recursion when the rule is parsed and expanded.
                if depth > super::MAX_DEPTH {
                    return Err(format!(
                        "brackets nested more than {} deep in \"{}\"",
                        super::MAX_DEPTH,
                        short(rule)
                    ));
                }
            }
            ']' => {
                if depth == 0 {
                    return Err(format!(
                        "a ']' without its '[' in \"{}\" (write \\] for the character)",
                        short(rule)
                    ));
                }
                depth -= 1;
                if depth == 0 && !in_tag {
                    out.push(Section::Action(&rule[start..i]));
                    start = i + 1;
                }
            }
            '#' if depth == 0 => {
                if in_tag {
                    out.push(Section::Tag(&rule[start..i]));
                } else if start < i {
                    out.push(Section::Text(&rule[start..i]));
                }
                start = i + 1;
                in_tag = !in_tag;
            }
            _ => {}
        }
    }
    if in_tag {
        return Err(format!(
            "a '#' that is never closed in \"{}\" (write \\# for the character)",
            short(rule)
        ));
    }
    if depth > 0 {
        return Err(format!("a '[' that is never closed in \"{}\"", short(rule)));
    }
    if start < rule.len() {
        out.push(Section::Text(&rule[start..]));
    }
    Ok(out)
}

/// Parse one rule text.
pub fn parse_rule(rule: &str) -> Result<Rule, String> {
    let mut parts = Vec::new();
    for s in sections(rule)? {
        parts.push(match s {
            Section::Text(t) => Part::Text(t.to_string()),
            Section::Tag(t) => Part::Tag(parse_tag(t)?),
            Section::Action(a) => Part::Action(parse_action(a)?),
        });
    }
    Ok(Rule { parts })
}

/// `[actions]symbol.mod.mod(params)`.
fn parse_tag(raw: &str) -> Result<Tag, String> {
    let mut actions = Vec::new();
    let mut main: Option<&str> = None;
    for s in sections(raw)? {
        match s {
            Section::Action(a) => actions.push(parse_action(a)?),
            Section::Text(t) if main.is_none() => main = Some(t),
            Section::Text(_) => return Err(format!("a tag with two symbols: #{}#", short(raw))),
            Section::Tag(_) => unreachable!("a tag's content has no unbracketed '#'"),
        }
    }
    let Some(main) = main else {
        return Err(format!("an empty tag #{}#: name a rule between the #", short(raw)));
    };
    let mut pieces = split_outside(main, '.', '(', ')').into_iter();
    let symbol = pieces.next().unwrap_or_default().to_string();
    if symbol.is_empty() {
        return Err(format!("a tag without a rule name: #{}#", short(raw)));
    }
    let mods = pieces.map(parse_modifier).collect::<Result<_, _>>()?;
    Ok(Tag { actions, symbol, mods })
}

/// `name` or `name(a,b)`.
fn parse_modifier(raw: &str) -> Result<Modifier, String> {
    let (name, params) = match raw.split_once('(') {
        Some((name, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("modifier .{raw}: its parameters end with ')'"))?;
            (name, inner.split(',').map(str::to_string).collect())
        }
        None => (raw, Vec::new()),
    };
    let kind = Mod::named(name)
        .ok_or_else(|| format!("unknown modifier .{name} (known: {})", super::modifiers::NAMES.join(", ")))?;
    kind.check_params(&params).map_err(|e| format!("modifier .{name}: {e}"))?;
    Ok(Modifier { kind, params })
}

/// `target:rule,rule`, `target:POP` or `#rule#`.
fn parse_action(raw: &str) -> Result<Action, String> {
    if raw.trim().is_empty() {
        return Err("an empty action []".into());
    }
    let Some((target, rules)) = raw.split_once(':') else {
        return Ok(Action::Run(parse_rule(raw)?));
    };
    if target.is_empty() {
        return Err(format!("an action without a rule name: [{}]", short(raw)));
    }
    if rules == "POP" {
        return Ok(Action::Pop(target.to_string()));
    }
    let rules = split_outside(rules, ',', '[', ']').into_iter().map(parse_rule).collect::<Result<_, _>>()?;
    Ok(Action::Push(target.to_string(), rules))
}

/// Split `s` at `sep` where it is neither escaped nor inside `open`…`close` (nor inside a
/// `#tag#`, when splitting at commas).
fn split_outside(s: &str, sep: char, open: char, close: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut in_tag, mut escaped, mut start) = (0usize, false, false, 0usize);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.saturating_sub(1);
        } else if c == '#' && sep == ',' && depth == 0 {
            in_tag = !in_tag;
        } else if c == sep && depth == 0 && !in_tag {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// A rule text shortened for a message.
pub fn short(s: &str) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > 60 {
        format!("{}…", flat.chars().take(59).collect::<String>())
    } else {
        flat
    }
}

/// The symbols a rule may expand: its tags, and the tags inside its actions, with their
/// modifiers' symbol parameters (`agree(noun)`).
pub fn symbols_used(rule: &Rule, out: &mut Vec<String>) {
    for part in &rule.parts {
        match part {
            Part::Text(_) => {}
            Part::Tag(t) => {
                for a in &t.actions {
                    action_symbols(a, out);
                }
                out.push(t.symbol.clone());
                for m in &t.mods {
                    if let Some(s) = m.kind.symbol_param(&m.params) {
                        out.push(s.to_string());
                    }
                }
            }
            Part::Action(a) => action_symbols(a, out),
        }
    }
}

fn action_symbols(a: &Action, out: &mut Vec<String>) {
    match a {
        Action::Push(_, rules) => rules.iter().for_each(|r| symbols_used(r, out)),
        Action::Pop(_) => {}
        Action::Run(r) => symbols_used(r, out),
    }
}

/// The symbols a rule pushes to, anywhere in it.
pub fn symbols_pushed(rule: &Rule, out: &mut Vec<String>) {
    let visit = |a: &Action, out: &mut Vec<String>| match a {
        Action::Push(target, rules) => {
            out.push(target.clone());
            rules.iter().for_each(|r| symbols_pushed(r, out));
        }
        Action::Pop(_) => {}
        Action::Run(r) => symbols_pushed(r, out),
    };
    for part in &rule.parts {
        match part {
            Part::Text(_) => {}
            Part::Tag(t) => t.actions.iter().for_each(|a| visit(a, out)),
            Part::Action(a) => visit(a, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_keep_their_order_and_take_one_text_as_a_list() {
        let s = Source::from_json(r#"{"z": "one", "a": ["x", "y"], "z": ["two"]}"#).unwrap();
        assert_eq!(s.to_json(), r#"{"z":["two"],"a":["x","y"]}"#);
        assert!(Source::from_json("[1]").unwrap_err().contains("not a Tracery grammar"));
        assert!(Source::from_json(r#"{"a": 5}"#).unwrap_err().contains("rule \"a\""));
        assert!(Source::from_json(r#"{"a": ["x", {"b": 1}]}"#).unwrap_err().contains("an object"));
        assert!(Source::from_json(r#"{"a": ["x"]} trailing"#).is_err());
        assert!(Source::from_json("\u{feff}{\"a\": \"b\"}").is_ok());
    }

    #[test]
    fn rules_parse_into_parts() {
        let r =
            parse_rule(r"Hi #[hero:#name#,bob]story.capitalize.replace(a,b)# \#x [pet:POP][#set#]").unwrap();
        assert_eq!(r.parts.len(), 5, "{r:?}");
        let Part::Tag(t) = &r.parts[1] else { panic!("{r:?}") };
        assert_eq!(t.symbol, "story");
        assert_eq!(t.mods.len(), 2);
        assert_eq!(t.mods[1].params, vec!["a", "b"]);
        assert!(matches!(&t.actions[0], Action::Push(n, rules) if n == "hero" && rules.len() == 2));
        assert_eq!(r.parts[2], Part::Text(r" \#x ".into()));
        assert_eq!(r.parts[3], Part::Action(Action::Pop("pet".into())));
        assert!(matches!(&r.parts[4], Part::Action(Action::Run(_))));
    }

    #[test]
    fn broken_rules_say_what_is_wrong() {
        for (rule, words) in [
            ("#unclosed", "never closed"),
            ("[pet:unicorn", "'[' that is never closed"),
            ("pet:unicorn]", "']' without its '['"),
            ("##", "empty tag"),
            ("[]", "empty action"),
            ("#a.shout#", "unknown modifier .shout"),
            ("#a.replace(x)#", "replace"),
            ("#[x:y]#", "empty tag"),
            ("[:x]", "without a rule name"),
            (&"[a:".repeat(100), "nested more than 64 deep"),
            (&format!("{}x{}", "#[a:".repeat(70), "]#".repeat(70)), "nested more than 64 deep"),
        ] {
            let e = parse_rule(rule).unwrap_err();
            assert!(e.contains(words), "{rule}: {e}");
        }
    }
}
