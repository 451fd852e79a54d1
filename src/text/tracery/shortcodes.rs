//! The shortcodes of the Tracery bot hosts, in a generated text: what each means for the post
//! farm sends. Cheap Bots Done Quick has `{img URL}` and `{svg …}`; Cheap Bots, Toot Sweet adds
//! `{cut …}`, `{alt …}`, `{hide}`, `{show}` and per-post visibility; Blue Bots Done Quick has
//! `{img URL ALT}`, `{svg …}`, `{alt …}`, `{label …}`, `{lang …}`, and counters and dates.
//!
//! A shortcode is `{NAME}` or `{NAME TEXT}` (a space or a no-break space after the name, then
//! anything but `}`), as the hosts match them. Braces with any other name are text.

use crate::model::PostMeta;

/// The Bluesky self-labels a `{label …}` may give (Blue Bots Done Quick's list).
pub const LABELS: [&str; 4] = ["porn", "sexual", "nudity", "graphic-media"];

/// What farm does with a shortcode.
enum Meaning {
    /// `{cut TEXT}`: the content warning (the first one counts).
    Cut,
    /// `{hide}`: mark the post sensitive.
    Hide,
    /// `{show}`: not sensitive (the default; `{hide}` wins when both are there).
    Show,
    /// `{lang xx}`: the post's language (the first one counts).
    Lang,
    /// `{label NAME}`: a Bluesky self-label.
    Label,
    /// Refused, with the reason.
    Refused(&'static str),
}

const IMAGES: &str = "farm does not post images yet: take the image shortcodes out of the grammar";
const VISIBILITY: &str =
    "farm has no per-post visibility: take it out of the grammar and set the writer's --visibility";
const RUNTIME: &str = "counters and dates in a grammar are not supported yet: take them out of the grammar";

fn meaning(name: &str) -> Option<Meaning> {
    Some(match name {
        "cut" => Meaning::Cut,
        "hide" => Meaning::Hide,
        "show" => Meaning::Show,
        "lang" => Meaning::Lang,
        "label" => Meaning::Label,
        "img" | "svg" | "alt" | "focus" => Meaning::Refused(IMAGES),
        "public" | "unlisted" | "private" | "direct" => Meaning::Refused(VISIBILITY),
        "n" | "item" | "date" | "hour" | "month" | "monthName" | "weekday" | "weekdayName" => {
            Meaning::Refused(RUNTIME)
        }
        _ => return None,
    })
}

/// One shortcode found in a text.
struct Found<'a> {
    /// Byte range of the whole `{…}`.
    start: usize,
    end: usize,
    name: &'a str,
    /// The text after the name, if any.
    arg: Option<&'a str>,
}

/// The shortcodes in `text`, in order.
fn find(text: &str) -> Vec<Found<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('{').map(|i| from + i) {
        from = open + 1;
        let body_start = open + 1;
        let name_len = text[body_start..].find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(0);
        let name = &text[body_start..body_start + name_len];
        if name.is_empty() || meaning(name).is_none() {
            continue;
        }
        let rest = &text[body_start + name_len..];
        // The name ends the shortcode or a space follows it: checked before looking for the
        // `}`, so each character is looked at a bounded number of times.
        if !rest.starts_with(['}', ' ', '\u{a0}']) {
            continue;
        }
        // No `}` after here: no later shortcode is closed either.
        let Some(close) = rest.find('}') else { break };
        let inner = &rest[..close];
        let arg = inner.strip_prefix([' ', '\u{a0}']);
        let end = body_start + name_len + close + 1;
        out.push(Found { start: open, end, name, arg });
        from = end;
    }
    out
}

/// `text` without its shortcodes, and what they said for the post. A refused shortcode, a
/// label farm does not know or a language that is not a language tag is an error.
pub fn extract(text: &str) -> Result<(String, PostMeta), String> {
    let mut meta = PostMeta::default();
    let mut hide = false;
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for f in find(text) {
        out.push_str(&text[done..f.start]);
        done = f.end;
        let arg = f.arg.map(str::trim).unwrap_or_default();
        match meaning(f.name) {
            Some(Meaning::Cut) if meta.warning.is_none() && !arg.is_empty() => {
                meta.warning = Some(arg.to_string())
            }
            Some(Meaning::Hide) => hide = true,
            // Not sensitive is the default: `{show}` only matters against `{hide}`, which wins.
            Some(Meaning::Show) => {}
            Some(Meaning::Lang) => {
                check_lang(arg)?;
                meta.lang.get_or_insert_with(|| arg.to_string());
            }
            Some(Meaning::Label) => {
                check_label(arg)?;
                if !meta.labels.iter().any(|l| l == arg) {
                    meta.labels.push(arg.to_string());
                }
            }
            Some(Meaning::Refused(why)) => return Err(format!("{{{}}}: {why}", f.name)),
            _ => {}
        }
    }
    out.push_str(&text[done..]);
    // Both given: hidden, as Cheap Bots, Toot Sweet does.
    meta.sensitive = hide;
    Ok((out, meta))
}

/// Check the shortcodes a grammar's text holds before anything is generated: refused ones, and
/// labels and languages written out (not made by a `#rule#`).
pub fn check(rule_text: &str) -> Result<(), String> {
    for f in find(rule_text) {
        let arg = f.arg.map(str::trim).unwrap_or_default();
        match meaning(f.name) {
            Some(Meaning::Refused(why)) => return Err(format!("{{{}}}: {why}", f.name)),
            Some(Meaning::Lang) if !arg.contains('#') => check_lang(arg)?,
            Some(Meaning::Label) if !arg.contains('#') => check_label(arg)?,
            _ => {}
        }
    }
    Ok(())
}

fn check_lang(arg: &str) -> Result<(), String> {
    if crate::model::lang_tag(arg).is_some() {
        Ok(())
    } else {
        Err(format!("{{lang {arg}}}: not a language tag; use e.g. {{lang en}} or {{lang pt-BR}}"))
    }
}

fn check_label(arg: &str) -> Result<(), String> {
    if LABELS.contains(&arg) {
        Ok(())
    } else {
        Err(format!("{{label {arg}}}: Bluesky's self-labels are {}", LABELS.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcodes_become_the_posts_metadata() {
        let (text, meta) =
            extract("Boo! {cut spooky stuff}{lang en} {label graphic-media}{label graphic-media}{cut no}")
                .unwrap();
        assert_eq!(text, "Boo!  ");
        assert_eq!(meta.warning.as_deref(), Some("spooky stuff"));
        assert_eq!(meta.lang.as_deref(), Some("en"));
        assert_eq!(meta.labels, vec!["graphic-media"]);
        assert!(!meta.sensitive);
        assert!(extract("x{hide}").unwrap().1.sensitive);
        assert!(extract("x{show}{hide}").unwrap().1.sensitive);
        assert!(!extract("x{show}").unwrap().1.sensitive);
        // A no-break space after the name, as BBDQ allows.
        assert_eq!(extract("x{lang\u{a0}ru}").unwrap().1.lang.as_deref(), Some("ru"));
    }

    #[test]
    fn other_braces_are_text() {
        for t in ["{}", "{ cut x}", "{cutx}", "{hello world}", "{cut never closed", "a {b} c", "{lang", "{"] {
            assert_eq!(extract(t).unwrap().0, t, "{t}");
        }
    }

    #[test]
    fn what_farm_cannot_do_is_refused_clearly() {
        for (t, words) in [
            ("{img https://x.test/a.png}", "does not post images"),
            ("{svg <svg></svg>}", "does not post images"),
            ("{alt a cat}", "does not post images"),
            ("{unlisted}", "--visibility"),
            ("{n}", "counters and dates"),
            ("{date Y-m-d}", "counters and dates"),
            ("{label spicy}", "porn, sexual, nudity, graphic-media"),
            ("{lang english!}", "not a language tag"),
        ] {
            assert!(extract(t).unwrap_err().contains(words), "{t}");
            assert!(check(t).unwrap_err().contains(words), "{t}");
        }
        // Made by a rule: checked once generated.
        assert!(check("{lang #l#}").is_ok());
        assert!(check("{label #l#}").is_ok());
    }
}
