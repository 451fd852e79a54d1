//! The small grammar shared by `--process` and `--filter` specs: `NAME[:ITEM[;ITEM]...]`, where an
//! item is `KEY=VALUE` or, first, a positional argument; `\` escapes the next character, and a value
//! `@PATH` is replaced by the file's content when the writer is created.

/// A parsed `NAME:ITEM;ITEM…` spec: its name, the positional argument and the `KEY=VALUE` options.
/// Values are still escaped; split them with [`split`] and finish with [`unescape`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// The processor or filter name before `:`.
    pub name: String,
    /// The first item when it is not one of the known `KEY=VALUE` options.
    pub positional: Option<String>,
    /// `KEY=VALUE` options in order (a bare `KEY` has the value `yes`).
    pub options: Vec<(String, String)>,
}

impl Parts {
    /// The value of option `key` (the last one when repeated).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.options.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Split `spec` into its name, positional argument and options. `known` are the option keys this
/// spec accepts; a first item that is not `KNOWN=…` is the positional argument.
pub fn parse(spec: &str, known: &[&str]) -> Result<Parts, String> {
    let (name, rest) = match spec.find([':', ';']) {
        Some(i) => (&spec[..i], Some(&spec[i + 1..])),
        None => (spec, None),
    };
    let mut parts = Parts { name: name.trim().to_string(), positional: None, options: Vec::new() };
    let Some(rest) = rest else { return Ok(parts) };
    for (i, item) in split(rest, &[';']).into_iter().enumerate() {
        let (key, value) = match find_unescaped(item, '=') {
            Some(at) => (item[..at].trim(), item[at + 1..].trim()),
            None => (item.trim(), "yes"),
        };
        if known.contains(&key) {
            parts.options.push((key.to_string(), value.to_string()));
        } else if i == 0 {
            parts.positional = Some(item.trim().to_string());
        } else if item.trim().is_empty() {
            continue;
        } else {
            return Err(format!("unknown option '{key}' (known: {})", known.join(", ")));
        }
    }
    Ok(parts)
}

/// Split at the unescaped `delims`, keeping escapes in the pieces; pieces are trimmed and empty ones
/// dropped.
pub fn split<'a>(s: &'a str, delims: &[char]) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if delims.contains(&c) {
            pieces.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    pieces.push(&s[start..]);
    pieces.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// The byte index of the first unescaped `c` in `s`.
pub fn find_unescaped(s: &str, c: char) -> Option<usize> {
    let mut escaped = false;
    for (i, ch) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == c {
            return Some(i);
        }
    }
    None
}

/// Remove the escaping backslashes (`\;` → `;`, `\\` → `\`).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

/// Escape file content so it can stand as a spec value: `\`, `;` and `|` get a backslash.
pub fn escape_file(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for c in content.chars() {
        if matches!(c, '\\' | ';' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Replace every value of the form `@PATH` in `spec` (the positional argument or an option value)
/// by the escaped content of the file, read with `read`. Other text is kept as written.
pub fn resolve_files(spec: &str, read: &dyn Fn(&str) -> Result<String, String>) -> Result<String, String> {
    let Some(colon) = spec.find([':', ';']) else { return Ok(spec.to_string()) };
    let mut out = spec[..=colon].to_string();
    let rest = &spec[colon + 1..];
    let mut items = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ';' {
            items.push(&rest[start..i]);
            start = i + 1;
        }
    }
    items.push(&rest[start..]);
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(';');
        }
        let (prefix, value) = match find_unescaped(item, '=') {
            Some(at) if !item.trim_start().starts_with('@') => (&item[..=at], &item[at + 1..]),
            _ => ("", *item),
        };
        out.push_str(prefix);
        match value.trim().strip_prefix('@') {
            Some(path) if !path.is_empty() => out.push_str(&escape_file(&read(path)?)),
            _ => out.push_str(value),
        }
    }
    Ok(out)
}

/// Parse a yes/no option value (`yes`, `no`, `on`, `off`, `true`, `false`, `1`, `0`).
pub fn yes_no(key: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" => Ok(true),
        "no" | "off" | "false" | "0" => Ok(false),
        _ => Err(format!("{key}={value}: expected yes or no")),
    }
}

/// Parse a whole number option value in `min..=max`.
pub fn number(key: &str, value: &str, min: u64, max: u64) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("{key}={value}: expected a whole number from {min} to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positional_and_options() {
        let p = parse("phrase:ADJF,nomn NOUN,nomn;min-len=3;cap", &["min-len", "cap"]).unwrap();
        assert_eq!(p.name, "phrase");
        assert_eq!(p.positional.as_deref(), Some("ADJF,nomn NOUN,nomn"));
        assert_eq!(p.get("min-len"), Some("3"));
        assert_eq!(p.get("cap"), Some("yes"));
        let p = parse("replace:кот=пёс|дом=хата", &["unmatched"]).unwrap();
        assert_eq!(p.positional.as_deref(), Some("кот=пёс|дом=хата"));
        assert!(parse("nouns:2;colour=red", &["inflect"]).unwrap_err().contains("unknown option 'colour'"));
        let p = parse("markov;order=3", &["order"]).unwrap();
        assert_eq!((p.name.as_str(), p.get("order")), ("markov", Some("3")));
    }

    #[test]
    fn escapes_split_and_unescape() {
        assert_eq!(split(r"a\;b;c", &[';']), vec![r"a\;b", "c"]);
        assert_eq!(unescape(r"a\;b\\c"), r"a;b\c");
        assert_eq!(escape_file("x;y|z\\"), r"x\;y\|z\\");
    }

    #[test]
    fn resolves_file_references() {
        let read =
            |p: &str| if p == "w.txt" { Ok("foo\nbar;baz".to_string()) } else { Err(format!("no {p}")) };
        assert_eq!(
            resolve_files("phrase:ADJF;blacklist=@w.txt", &read).unwrap(),
            "phrase:ADJF;blacklist=foo\nbar\\;baz"
        );
        assert_eq!(
            resolve_files("replace:@w.txt;unmatched=keep", &read).unwrap(),
            "replace:foo\nbar\\;baz;unmatched=keep"
        );
        assert!(resolve_files("replace:@nope", &read).is_err());
        assert_eq!(resolve_files("no-links", &read).unwrap(), "no-links");
    }
}
