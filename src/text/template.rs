//! Writer templates: literal text with placeholders. `{}` (or the original's `{0}`) is the
//! processed text; the named fields are the source post's own, so a feed entry can be posted as
//! `{title} {link}` (what feed2toot does):
//!
//! | field | what |
//! |---|---|
//! | `{title}` | a feed entry's title |
//! | `{link}` | a feed entry's link, a Mastodon post's URL |
//! | `{author}` | the author (a feed entry's, else the feed's title) |
//! | `{text}` | the post's text after the writer's filters, before any processor |
//! | `{categories}` | a feed entry's categories (a Mastodon post's tags) as hashtags |
//!
//! A post without a field the template uses (`{title}` of a Mastodon post) gives no text: the
//! writer skips it, as it skips a post its filters refuse. `{categories}` of a post without any
//! is empty. `{{` and `}}` are literal braces; any other `{…}` is refused when the writer is
//! created.

use crate::model::Post;

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `{}` / `{0}`: the processed text.
    Slot,
    /// `{title}`, `{link}`, …: a field of the source post.
    Field(Field),
}

/// A named field of the source post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Link,
    Author,
    Text,
    Categories,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "title" => Field::Title,
            "link" => Field::Link,
            "author" => Field::Author,
            "text" => Field::Text,
            "categories" => Field::Categories,
            _ => return None,
        })
    }
}

/// What a template is filled with.
#[derive(Debug, Clone, Copy)]
pub struct Fill<'a> {
    /// The processed text (`{}`).
    pub result: &'a str,
    /// The post's text after the writer's filters (`{text}`).
    pub filtered: &'a str,
    /// The source post (the other fields).
    pub post: &'a Post,
}

const SYNTAX: &str = "use {} (or {0}) where the text goes, or the source post's {title}, {link}, \
                      {author}, {text} or {categories}, and {{ or }} for a literal brace, \
                      e.g. --template \"Гарри Поттер и {}\" or --template \"{title} {link}\"";

impl Template {
    /// Parse `s`; it must have at least one placeholder and no unknown `{…}`.
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
                    let name = inner.trim();
                    let part = match name {
                        "" | "0" => Part::Slot,
                        _ => Part::Field(Field::parse(name).ok_or_else(|| {
                            format!("template placeholder {{{inner}}} is unknown; {SYNTAX}")
                        })?),
                    };
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(part);
                }
                '}' => return Err(format!("template has a lone '}}'; {SYNTAX}")),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        if parts.iter().all(|p| matches!(p, Part::Text(_))) {
            return Err(format!("template has no placeholder, so every post would be the same; {SYNTAX}"));
        }
        Ok(Template { parts })
    }

    /// Whether the template uses the processed text (`{}`): without it, processors would work
    /// for nothing.
    pub fn uses_result(&self) -> bool {
        self.parts.contains(&Part::Slot)
    }

    /// The template with every placeholder (`{}` and the fields alike) replaced by `mark`: its
    /// literal parts, for telling what a post filled in.
    pub fn render_marked(&self, mark: &str) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.as_str(),
                Part::Slot | Part::Field(_) => mark,
            })
            .collect()
    }

    /// The template filled in; `None` when the post lacks a field the template uses.
    pub fn render(&self, fill: &Fill) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Slot => out.push_str(fill.result),
                Part::Field(f) => out.push_str(&field(*f, fill)?),
            }
        }
        Some(out)
    }
}

/// One field's value, `None` when the post has none.
fn field(f: Field, fill: &Fill) -> Option<String> {
    let p = fill.post;
    let some = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    match f {
        Field::Title => p.title.as_deref().and_then(some),
        Field::Link => p.link.as_deref().and_then(some),
        Field::Author => some(&p.author),
        Field::Text => some(fill.filtered),
        Field::Categories => Some(hashtags(&p.categories)),
    }
}

/// Categories as hashtags, each once: `#rust`, a category of several words joined with each
/// word capitalised (`open source` → `#OpenSource`); what has no letter, or is longer than 64
/// characters (Bluesky's limit), is left out.
fn hashtags(categories: &[String]) -> String {
    let mut tags: Vec<String> = Vec::new();
    for c in categories {
        let words: Vec<&str> =
            c.split(|ch: char| !(ch.is_alphanumeric() || ch == '_')).filter(|w| !w.is_empty()).collect();
        let tag: String = if words.len() == 1 {
            words[0].to_string()
        } else {
            words.iter().map(|w| capitalised(w)).collect()
        };
        let fits = tag.chars().any(char::is_alphabetic) && tag.chars().count() <= 64;
        if fits && !tags.iter().any(|t| t[1..].to_lowercase() == tag.to_lowercase()) {
            tags.push(format!("#{tag}"));
        }
    }
    tags.join(" ")
}

/// A word with its first letter upper case.
fn capitalised(w: &str) -> String {
    let mut chars = w.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &str, result: &str, post: &Post) -> Option<String> {
        Template::parse(t).unwrap().render(&Fill { result, filtered: &post.text, post })
    }

    #[test]
    fn fills_placeholders_and_escapes() {
        let p = Post::default();
        assert_eq!(
            render("Гарри Поттер и {}", "Тайная Комната", &p).unwrap(),
            "Гарри Поттер и Тайная Комната"
        );
        assert_eq!(render("{0}!", "x", &p).unwrap(), "x!");
        assert_eq!(render("{{{}}} {}", "a", &p).unwrap(), "{a} a");
    }

    #[test]
    fn named_fields_come_from_the_source_post() {
        let entry = Post {
            author: "News".into(),
            text: "Cats\n\nsummary".into(),
            title: Some("Cats & dogs".into()),
            link: Some("https://n.example/1".into()),
            categories: vec!["pets".into(), "open source".into(), "Pets".into(), "2026".into(), "".into()],
            ..Post::default()
        };
        assert_eq!(render("{title} {link}", "", &entry).unwrap(), "Cats & dogs https://n.example/1");
        assert_eq!(
            render("{author}: {text} {categories}", "", &entry).unwrap(),
            "News: Cats\n\nsummary #pets #OpenSource"
        );
        // A field the post lacks: no text, the writer skips the post.
        let toot = Post { author: "bob".into(), text: "hi".into(), ..Post::default() };
        assert_eq!(render("{title} {link}", "", &toot), None);
        assert_eq!(render("{text} {categories}", "", &toot).unwrap(), "hi ");
        let t = Template::parse("{title}").unwrap();
        assert!(!t.uses_result() && Template::parse("{} {link}").unwrap().uses_result());
    }

    #[test]
    fn rejects_bad_templates() {
        for bad in ["no slot", "{name}", "{", "a } b", "{{}}", "{summary}"] {
            let err = Template::parse(bad).unwrap_err();
            assert!(err.contains("{}") && err.contains("{title}"), "{bad}: {err}");
        }
    }
}
