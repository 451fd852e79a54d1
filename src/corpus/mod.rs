//! Corpus files: posts from a file, for `farm import-corpus`. One file per foreign format, each
//! turning its records into our own [`Post`] at the edge: [`lines`] (plain text, one post a
//! line), [`x_archive`] (`tweets.js` of an X archive) and [`outbox`] (`outbox.json` of a
//! Mastodon export).
//!
//! The format is told by the content ([`detect`]), or forced. Every file is bounded: at most
//! [`MAX_FILE`] bytes, [`MAX_POSTS`] posts and [`MAX_TEXT`] bytes of text a post; anything
//! malformed is an error (exit 65) that names the line (or the line and column of the JSON)
//! and the file. A text file is streamed line by line; a JSON file's posts are held in memory
//! (their texts, not the file) to be given oldest first.

pub mod lines;
pub mod outbox;
pub mod x_archive;

use crate::error::{io_error, printable, FarmError, Result};
use crate::model::Post;
use std::io::Read;
use std::path::Path;

/// The largest corpus file farm reads: 256 MiB.
pub const MAX_FILE: u64 = 256 << 20;

/// The most posts one file may hold.
pub const MAX_POSTS: u64 = 1_000_000;

/// The longest text of one post, in UTF-8 bytes (16 KiB: far above any network's limit; a
/// longer "line" is not a post).
pub const MAX_TEXT: usize = 16 << 10;

/// A corpus file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain UTF-8 text, one post a line.
    Lines,
    /// An X archive's `tweets.js`: `window.YTD.tweets.part0 = [ {"tweet": {…}}, … ]`.
    XArchive,
    /// A Mastodon export's `outbox.json`: an ActivityPub `OrderedCollection`.
    Outbox,
}

impl Format {
    /// The name on the command line (`--format`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Lines => "lines",
            Format::XArchive => "x-archive",
            Format::Outbox => "outbox",
        }
    }

    /// Parse a `--format` value.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "lines" | "text" => Some(Format::Lines),
            "x-archive" | "tweets.js" => Some(Format::XArchive),
            "outbox" | "mastodon" => Some(Format::Outbox),
            _ => None,
        }
    }

    /// What the format is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Lines => "a text file, one post a line",
            Format::XArchive => "an X archive's tweets.js",
            Format::Outbox => "a Mastodon outbox",
        }
    }
}

/// What reading a file found, besides the posts it gave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Found {
    /// Posts given.
    pub posts: u64,
    /// Entries left out because they have no text (empty lines, empty posts).
    pub empty: u64,
    /// Reposts left out because the file has no text for them (an outbox's boosts).
    pub boosts: u64,
    /// Entries that are no posts (an outbox's likes, deletions, …), left out.
    pub other: u64,
}

/// The file's format, told by its content: an X archive starts with `window.YTD.` (or is a
/// bare JSON array), an outbox is a JSON object; anything else is text.
pub fn detect(path: &Path) -> Result<Format> {
    let mut head = Vec::with_capacity(256);
    open(path)?.take(256).read_to_end(&mut head).map_err(|e| io_error(&e, &what(path)))?;
    let text = String::from_utf8_lossy(&head);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    Ok(if start.starts_with("window.YTD.") || start.starts_with('[') {
        Format::XArchive
    } else if start.starts_with('{') {
        Format::Outbox
    } else {
        Format::Lines
    })
}

/// Read the posts of a file in `format`, calling `each` with every post: in file order for
/// text, oldest first for the JSON formats. A post's `id` is 0 (the importer gives ids) and its
/// `created_at` is 0 when the file says no time. Fails at the first malformed record, naming
/// it; `each` may fail too, which stops the reading.
pub fn read(path: &Path, format: Format, each: &mut dyn FnMut(Post) -> Result<()>) -> Result<Found> {
    let file = open(path)?;
    let r = match format {
        Format::Lines => lines::read(file, each),
        Format::XArchive => sorted(x_archive::parse(file)?, each),
        Format::Outbox => sorted(outbox::parse(file)?, each),
    };
    r.map_err(|e| e.context(printable(&path.display().to_string())))
}

/// Give the posts of a JSON file oldest first (stable: equal times keep the file's order).
fn sorted(
    (mut posts, mut found): (Vec<Post>, Found),
    each: &mut dyn FnMut(Post) -> Result<()>,
) -> Result<Found> {
    posts.sort_by_key(|p| p.created_at);
    found.posts = posts.len() as u64;
    for p in posts {
        each(p)?;
    }
    Ok(found)
}

/// Open a corpus file: a regular file of at most [`MAX_FILE`] bytes (it is read twice, so no
/// pipe), with reads past that limit cut off (a file that grows while it is read).
fn open(path: &Path) -> Result<std::io::Take<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FarmError::usage(format!(
            "{}: no such file; give the path of the corpus file",
            printable(&path.display().to_string())
        )),
        _ => io_error(&e, &what(path)),
    })?;
    let meta = file.metadata().map_err(|e| io_error(&e, &what(path)))?;
    if !meta.is_file() {
        return Err(FarmError::usage(format!(
            "{} is not a regular file; give the path of the corpus file itself (it is read twice, \
             so no pipe or `-`)",
            printable(&path.display().to_string())
        )));
    }
    if meta.len() > MAX_FILE {
        return Err(too_big(path));
    }
    Ok(file.take(MAX_FILE + 1))
}

fn what(path: &Path) -> String {
    format!("cannot read {}", printable(&path.display().to_string()))
}

fn too_big(path: &Path) -> FarmError {
    FarmError::data(format!(
        "{} is larger than {} MiB, the most farm imports at once; split it",
        printable(&path.display().to_string()),
        MAX_FILE >> 20
    ))
}

/// A post's text checked against [`MAX_TEXT`]; `at` says where it is (`line 12`, `post 3`).
fn checked_text(text: String, at: &str) -> Result<String> {
    if text.len() > MAX_TEXT {
        return Err(FarmError::data(format!(
            "{at}: a post of {} bytes, more than the {} KiB one post may have",
            text.len(),
            MAX_TEXT >> 10
        )));
    }
    Ok(text)
}

/// Count one more post against [`MAX_POSTS`].
fn count_post(found: &mut Found) -> Result<()> {
    found.posts += 1;
    if found.posts > MAX_POSTS {
        return Err(FarmError::data(format!(
            "more than {MAX_POSTS} posts, the most farm imports from one file; split it"
        )));
    }
    Ok(())
}

/// A serde seed that parses a JSON array one element at a time, handing each to a closure: a
/// file's memory is then one element, not the whole document.
pub(crate) struct Elements<'a, T> {
    each: &'a mut dyn FnMut(T) -> Result<()>,
    seen: std::marker::PhantomData<T>,
}

impl<'a, T> Elements<'a, T> {
    /// A seed calling `each` with every element.
    pub(crate) fn new(each: &'a mut dyn FnMut(T) -> Result<()>) -> Self {
        Elements { each, seen: std::marker::PhantomData }
    }
}

impl<'de, T: serde::de::DeserializeOwned> serde::de::DeserializeSeed<'de> for Elements<'_, T> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: serde::de::DeserializeOwned> serde::de::Visitor<'de> for Elements<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            (self.each)(item).map_err(|e| serde::de::Error::custom(e.message))?;
        }
        Ok(())
    }
}

/// What one element of a JSON corpus is.
pub(crate) enum Entry {
    /// A post.
    Post(Box<Post>),
    /// A post without text.
    Empty,
    /// A repost whose text the file does not hold (an outbox's boost).
    Boost,
    /// Anything else (an outbox's likes, deletions, …).
    Other,
}

/// Run a JSON `parse` that hands each element to the closure it gets, turn the `n`th element
/// into an [`Entry`] with `entry`, and collect the posts and what was left out. The first
/// error (of the JSON, or of an element) stops it; `parse`'s own value comes back with them.
pub(crate) fn collect<V>(
    format: Format,
    parse: impl FnOnce(&mut dyn FnMut(serde_json::Value) -> Result<()>) -> serde_json::Result<V>,
    entry: impl Fn(&serde_json::Value, u64) -> Result<Entry>,
) -> Result<(Vec<Post>, Found, V)> {
    let (mut posts, mut found) = (Vec::new(), Found::default());
    let mut failed: Option<FarmError> = None;
    let mut n = 0u64;
    let mut each = |item: serde_json::Value| {
        n += 1;
        let r = entry(&item, n).and_then(|e| {
            match e {
                Entry::Post(p) => {
                    count_post(&mut found)?;
                    posts.push(*p);
                }
                Entry::Empty => found.empty += 1,
                Entry::Boost => found.boosts += 1,
                Entry::Other => found.other += 1,
            }
            Ok(())
        });
        // The serde error that stops the parse says little; the element's own is kept.
        r.map_err(|e| failed.insert(e).clone())
    };
    let parsed = parse(&mut each);
    if let Some(e) = failed {
        return Err(e);
    }
    let value = parsed.map_err(|e| json_error(format, e))?;
    Ok((posts, found, value))
}

/// A JSON error as one line that says what the file was taken for.
fn json_error(format: Format, e: serde_json::Error) -> FarmError {
    if e.is_io() {
        return FarmError::io(format!("cannot read it: {e}"));
    }
    FarmError::data(format!(
        "not {} (or a damaged one): {e}; if it is another kind of file, give --format",
        format.describe()
    ))
}

/// Whether a text holds a link (the same scanner as X's length counting).
fn has_link(text: &str) -> bool {
    !crate::text::length::find_urls(text).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, body: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("farm-corpus-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn formats_are_told_by_content() {
        let cases: [(&str, &[u8], Format); 6] = [
            ("a.js", b"window.YTD.tweets.part0 = [ ]", Format::XArchive),
            ("b.json", b"\xef\xbb\xbf  [ {\"tweet\": {}} ]", Format::XArchive),
            ("c.json", b"\n{\"@context\": \"https://www.w3.org/ns/activitystreams\"}", Format::Outbox),
            ("d.txt", b"hello\nworld\n", Format::Lines),
            ("e.txt", b"", Format::Lines),
            ("f.txt", b"window is open\n", Format::Lines),
        ];
        for (name, body, want) in cases {
            assert_eq!(detect(&file(name, body)).unwrap(), want, "{name}");
        }
    }

    #[test]
    fn a_directory_is_not_a_corpus() {
        let e = detect(&std::env::temp_dir()).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Usage, "{}", e.message);
        assert!(e.message.contains("not a regular file"), "{}", e.message);
    }
}
