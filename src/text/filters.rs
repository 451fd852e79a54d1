//! Writer filters (`--filter`), applied to a source post before any processor: some skip the post
//! (`no-retweets`, `no-replies`, `no-links`, `no-mentions`, `blacklist=…`, `lang=…`), some clean
//! its text (`strip-urls`, `strip-mentions`, `strip-hashtags`).

use crate::net::Post;

use super::phrase::word_list;
use super::spec;
use super::words;

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Skip reposts (and texts starting with `RT @`).
    NoRetweets,
    /// Skip replies.
    NoReplies,
    /// Skip posts with links.
    NoLinks,
    /// Skip posts that mention someone.
    NoMentions,
    /// Remove links from the text.
    StripUrls,
    /// Remove @mentions (and a leading `RT @x:`) from the text.
    StripMentions,
    /// Remove #hashtags from the text.
    StripHashtags,
    /// Skip posts with any of these words (folded).
    Blacklist(Vec<String>),
    /// Skip posts not in this language.
    Lang(String),
}

/// The filters of one writer, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// The filters.
    pub list: Vec<Filter>,
}

/// The filter syntax, for error messages.
pub const SYNTAX: &str = "no-retweets, no-replies, no-links, no-mentions (each takes =no to switch it off), \
                          strip-urls, strip-mentions, strip-hashtags, blacklist=W,W..|@FILE, lang=ru";

/// Expand `blacklist=@PATH` in a filter spec into the escaped file content, read with `read`.
pub fn resolve_files(
    spec_text: &str,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    match spec_text.split_once('=') {
        Some((key, value)) if value.trim().starts_with('@') => {
            let path = value.trim().trim_start_matches('@');
            Ok(format!("{key}={}", spec::escape_file(&read(path)?)))
        }
        _ => Ok(spec_text.to_string()),
    }
}

/// Parse one `--filter` spec; `None` for a switch turned off (`no-links=no`).
pub fn parse(spec_text: &str) -> Result<Option<Filter>, String> {
    let (key, value) = match spec_text.split_once('=') {
        Some((k, v)) => (k.trim(), Some(v.trim())),
        None => (spec_text.trim(), None),
    };
    let bad = |e: String| format!("{e}; filters: {SYNTAX}");
    let switch = |f: Filter| -> Result<Option<Filter>, String> {
        match value {
            None => Ok(Some(f)),
            Some(v) => Ok(spec::yes_no(key, v).map_err(bad)?.then_some(f)),
        }
    };
    match key {
        "no-retweets" | "no-reposts" => switch(Filter::NoRetweets),
        "no-replies" => switch(Filter::NoReplies),
        "no-links" => switch(Filter::NoLinks),
        "no-mentions" => switch(Filter::NoMentions),
        "strip-urls" | "strip-links" => switch(Filter::StripUrls),
        "strip-mentions" => switch(Filter::StripMentions),
        "strip-hashtags" => switch(Filter::StripHashtags),
        "blacklist" => {
            let words = word_list(value.unwrap_or(""));
            if words.is_empty() {
                return Err(bad(
                    "blacklist needs words: blacklist=word1,word2 or blacklist=@FILE".to_string()
                ));
            }
            Ok(Some(Filter::Blacklist(words)))
        }
        "lang" => match value {
            Some(lang) if !lang.is_empty() && lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-') => {
                Ok(Some(Filter::Lang(lang.to_ascii_lowercase())))
            }
            _ => Err(bad("lang needs a language code, e.g. lang=ru".to_string())),
        },
        _ => Err(bad(format!("unknown filter '{spec_text}'"))),
    }
}

impl Filters {
    /// Parse the `--filter` specs (file references already resolved).
    pub fn parse(specs: &[String]) -> Result<Filters, String> {
        let mut list = Vec::new();
        for s in specs {
            list.extend(parse(s)?);
        }
        Ok(Filters { list })
    }

    /// The post's text after the filters, or `None` to skip the post.
    pub fn apply(&self, post: &Post) -> Option<String> {
        let text = post.text.as_str();
        for f in &self.list {
            let skip = match f {
                Filter::NoRetweets => post.is_repost || text.trim_start().starts_with("RT @"),
                Filter::NoReplies => post.is_reply,
                Filter::NoLinks => post.has_links || text.split_whitespace().any(is_url),
                Filter::NoMentions => text.split_whitespace().any(is_mention),
                Filter::Lang(lang) => !is_lang(post, lang),
                _ => false,
            };
            if skip {
                return None;
            }
        }
        self.clean(text)
    }

    /// `text` cleaned by the strip filters (and trimmed), or `None` when a blacklisted word is in it
    /// or nothing is left. Also used on the markov corpus.
    pub fn clean(&self, text: &str) -> Option<String> {
        for f in &self.list {
            if let Filter::Blacklist(words) = f {
                if words::mentions_any(text, words) {
                    return None;
                }
            }
        }
        let url = self.list.contains(&Filter::StripUrls);
        let mention = self.list.contains(&Filter::StripMentions);
        let hashtag = self.list.contains(&Filter::StripHashtags);
        if !(url || mention || hashtag) {
            let trimmed = text.trim();
            return (!trimmed.is_empty()).then(|| trimmed.to_string());
        }
        let mut lines = Vec::new();
        for line in text.lines() {
            let mut tokens: Vec<&str> = line.split_whitespace().collect();
            if mention && tokens.first() == Some(&"RT") && tokens.get(1).is_some_and(|t| is_mention(t)) {
                tokens.drain(..2);
            }
            let kept: Vec<&str> = tokens
                .into_iter()
                .filter(|t| !(url && is_url(t) || mention && is_mention(t) || hashtag && is_hashtag(t)))
                .collect();
            lines.push(kept.join(" "));
        }
        let cleaned = lines.join("\n").trim().to_string();
        (!cleaned.is_empty()).then_some(cleaned)
    }

    /// One line per filter for `farm show`.
    pub fn describe(&self) -> Vec<String> {
        self.list
            .iter()
            .map(|f| match f {
                Filter::NoRetweets => "filter: skip reposts".to_string(),
                Filter::NoReplies => "filter: skip replies".to_string(),
                Filter::NoLinks => "filter: skip posts with links".to_string(),
                Filter::NoMentions => "filter: skip posts with @mentions".to_string(),
                Filter::StripUrls => "filter: remove links".to_string(),
                Filter::StripMentions => "filter: remove @mentions".to_string(),
                Filter::StripHashtags => "filter: remove #hashtags".to_string(),
                Filter::Blacklist(w) => format!("filter: skip posts with any of {} words", w.len()),
                Filter::Lang(l) => format!("filter: only language '{l}'"),
            })
            .collect()
    }
}

fn is_url(token: &str) -> bool {
    let t = token.trim_start_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase();
    t.starts_with("http://") || t.starts_with("https://") || t.starts_with("www.")
}

fn is_mention(token: &str) -> bool {
    let t = token.trim_start_matches(['(', '"', '«', '.']);
    t.strip_prefix('@').and_then(|r| r.chars().next()).is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn is_hashtag(token: &str) -> bool {
    let t = token.trim_start_matches(['(', '"', '«']);
    t.strip_prefix('#').and_then(|r| r.chars().next()).is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The post's language when the platform gave one (not a code that names no language, such as
/// `und` or X's `qst`: see [`crate::model::lang_tag`]), else a guess for `ru` (has Russian
/// letters) and `en` (Latin letters, no Russian ones); other languages pass when unknown.
fn is_lang(post: &Post, lang: &str) -> bool {
    if let Some(l) = post.lang.as_deref().and_then(crate::model::lang_tag) {
        let l = l.to_ascii_lowercase();
        return l == lang || l.starts_with(&format!("{lang}-"));
    }
    let cyrillic = post.text.chars().any(super::morph::is_cyrillic);
    match lang {
        "ru" => cyrillic,
        "en" => !cyrillic && post.text.chars().any(|c| c.is_ascii_alphabetic()),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str) -> Post {
        Post {
            id: 1,
            author: "a".into(),
            text: text.into(),
            created_at: 0,
            is_repost: false,
            is_reply: false,
            has_links: false,
            lang: None,
            ..Default::default()
        }
    }

    fn filters(specs: &[&str]) -> Filters {
        Filters::parse(&specs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn skips_and_strips() {
        let f = filters(&["strip-urls", "strip-mentions", "strip-hashtags"]);
        assert_eq!(f.apply(&post("RT @bob: Привет, @ann! https://t.co/x #утро")).as_deref(), Some("Привет,"));
        assert_eq!(f.apply(&post("@bob https://t.co/x")), None);
        assert_eq!(filters(&["no-retweets"]).apply(&post("RT @bob: hi")), None);
        assert_eq!(filters(&["no-retweets=no"]).apply(&post("RT @bob: hi")).as_deref(), Some("RT @bob: hi"));
        assert_eq!(filters(&["no-links"]).apply(&post("see www.example.com")), None);
        assert_eq!(filters(&["no-mentions"]).apply(&post("hi @bob")), None);
        assert_eq!(
            filters(&["no-mentions"]).apply(&post("mail me at a@b.c")).as_deref(),
            Some("mail me at a@b.c")
        );
        assert_eq!(filters(&["blacklist=ёлка,кот"]).apply(&post("Елка горит")), None);
        assert_eq!(filters(&["lang=ru"]).apply(&post("hello")), None);
        assert_eq!(filters(&["lang=ru"]).apply(&post("привет")).as_deref(), Some("привет"));
    }

    #[test]
    fn rejects_unknown_filters() {
        assert!(parse("no-cats").unwrap_err().contains("unknown filter 'no-cats'"));
        assert!(parse("blacklist=").unwrap_err().contains("needs words"));
        assert!(parse("no-links=maybe").unwrap_err().contains("expected yes or no"));
    }
}
