//! Writer templates: literal text with `{}` (or the original's `{0}`) where the processed text goes;
//! `{{` and `}}` are literal braces.

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot,
}

const SYNTAX: &str = "use {} (or {0}) where the text goes and {{ or }} for a literal brace, \
                      e.g. --template \"Гарри Поттер и {}\"";

impl Template {
    /// Parse `s`; it must have at least one `{}`/`{0}` and no other `{…}`.
    pub fn parse(s: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => inner.push(c),
                            None => return Err(format!("template has an unclosed '{{'; {SYNTAX}")),
                        }
                    }
                    if !inner.trim().is_empty() && inner.trim() != "0" {
                        return Err(format!("template placeholder {{{inner}}} is unknown; {SYNTAX}"));
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Slot);
                }
                '}' => return Err(format!("template has a lone '}}'; {SYNTAX}")),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        if !parts.contains(&Part::Slot) {
            return Err(format!("template has no placeholder, so every post would be the same; {SYNTAX}"));
        }
        Ok(Template { parts })
    }

    /// The template with every placeholder replaced by `value`.
    pub fn render(&self, value: &str) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.as_str(),
                Part::Slot => value,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders_and_escapes() {
        let t = Template::parse("Гарри Поттер и {}").unwrap();
        assert_eq!(t.render("Тайная Комната"), "Гарри Поттер и Тайная Комната");
        assert_eq!(Template::parse("{0}!").unwrap().render("x"), "x!");
        assert_eq!(Template::parse("{{{}}} {}").unwrap().render("a"), "{a} a");
    }

    #[test]
    fn rejects_bad_templates() {
        for bad in ["no slot", "{name}", "{", "a } b", "{{}}"] {
            let err = Template::parse(bad).unwrap_err();
            assert!(err.contains("{}"), "{bad}: {err}");
        }
    }
}
