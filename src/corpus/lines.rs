//! A plain text corpus: UTF-8, one post a line. Lines are streamed (memory is one line, at most
//! [`MAX_TEXT`] bytes, whatever the file's size); white space around a line is dropped, empty
//! lines are skipped, a byte order mark at the start is ignored. A line that is not UTF-8, holds
//! a NUL byte (a binary file) or is longer than [`MAX_TEXT`] stops the import with its number.

use super::{checked_text, count_post, has_link, Found, MAX_FILE, MAX_TEXT};
use crate::error::{FarmError, Result};
use crate::model::Post;
use std::io::{BufRead, BufReader, Read};

/// Read the posts of a text file, one a line, in file order.
pub fn read(r: impl Read, each: &mut dyn FnMut(Post) -> Result<()>) -> Result<Found> {
    let mut r = BufReader::with_capacity(64 << 10, r);
    let mut buf: Vec<u8> = Vec::new();
    let (mut line, mut total) = (0u64, 0u64);
    let mut found = Found::default();
    loop {
        buf.clear();
        // One byte over the limit, and the line's end, tell a line that is too long.
        let limit = MAX_TEXT as u64 + 3;
        let n = (&mut r)
            .take(limit)
            .read_until(b'\n', &mut buf)
            .map_err(|e| FarmError::io(format!("cannot read it: {e}")))?;
        if n == 0 {
            break;
        }
        line += 1;
        total += n as u64;
        if total > MAX_FILE {
            return Err(FarmError::data(format!("larger than {} MiB; split it", MAX_FILE >> 20)));
        }
        if n as u64 == limit && !buf.ends_with(b"\n") {
            return Err(FarmError::data(format!(
                "line {line}: longer than the {} KiB one post may have; is it a text file with one post a line?",
                MAX_TEXT >> 10
            )));
        }
        let mut bytes = buf.as_slice();
        if line == 1 {
            bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        }
        if bytes.contains(&0) {
            return Err(FarmError::data(format!("line {line}: a NUL byte; this is not a text file")));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            FarmError::data(format!(
                "line {line}: not UTF-8 (byte {}); save the file as UTF-8",
                e.valid_up_to() + 1
            ))
        })?;
        let text = text.trim();
        if text.is_empty() {
            found.empty += 1;
            continue;
        }
        let text = checked_text(text.to_string(), &format!("line {line}"))?;
        count_post(&mut found)?;
        each(Post { has_links: has_link(&text), text, ..Post::default() })?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &[u8]) -> Result<(Vec<String>, Found)> {
        let mut out = Vec::new();
        let found = read(input, &mut |p| {
            out.push(p.text);
            Ok(())
        })?;
        Ok((out, found))
    }

    #[test]
    fn one_post_a_line() {
        let (t, f) =
            texts(b"\xef\xbb\xbfFirst post\r\n\n  second https://example.org/x  \n\t\nlast, no newline")
                .unwrap();
        assert_eq!(t, ["First post", "second https://example.org/x", "last, no newline"]);
        assert_eq!((f.posts, f.empty), (3, 2));
        let mut links = Vec::new();
        read(&b"a\nsee https://example.org\n"[..], &mut |p| {
            links.push(p.has_links);
            Ok(())
        })
        .unwrap();
        assert_eq!(links, [false, true]);
    }

    #[test]
    fn bad_lines_are_named() {
        let long = format!("ok\n{}\n", "x".repeat(MAX_TEXT + 1));
        let huge = format!("ok\n\n{}", "x".repeat(3 * MAX_TEXT));
        for (input, words) in [
            (b"ok\nfine\n\xff\xfe broken\n".to_vec(), "line 3: not UTF-8 (byte 1)"),
            (b"ok\nnul\0here\n".to_vec(), "line 2: a NUL byte"),
            (long.into_bytes(), "line 2: a post of 16385 bytes, more than the 16 KiB"),
            (huge.into_bytes(), "line 3: longer than the 16 KiB"),
        ] {
            let e = texts(&input).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::Data, "{}", e.message);
            assert!(e.message.contains(words), "{}", e.message);
        }
        // A line of exactly the limit is a post.
        let (t, _) = texts(format!("{}\n", "y".repeat(MAX_TEXT)).as_bytes()).unwrap();
        assert_eq!(t[0].len(), MAX_TEXT);
    }
}
