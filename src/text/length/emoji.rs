//! Emoji sequences as twemoji-parser (used by twitter-text's `parseTweet`) matches them:
//! keycaps, flags, presentation selectors, skin tones, tag sequences and ZWJ sequences.

use std::ops::Range;

use super::tables::{EXTENDED_PICTOGRAPHIC, MODIFIER_BASE, TEXT_DEFAULT};
use super::*;

// ---------------------------------------------------------------------------------------------
// Emoji sequences (what twemoji-parser, used by twitter-text's parseTweet, matches)
// ---------------------------------------------------------------------------------------------

const VS15: char = '\u{FE0E}';
const VS16: char = '\u{FE0F}';
const ZWJ: char = '\u{200D}';

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let cp = c as u32;
    table
        .binary_search_by(|&(a, b)| {
            if b < cp {
                std::cmp::Ordering::Less
            } else if a > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_skin_tone(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

/// Byte ranges of the emoji sequences in `s`, left to right, non-overlapping.
pub(super) fn scan_emoji(s: &str) -> Vec<Range<usize>> {
    let t = Text::new(s);
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.c.len() {
        match match_emoji(&t.c, i) {
            Some(end) => {
                out.push(t.byte_at(i)..t.byte_at(end));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// One emoji sequence at `i`: a keycap (`[#*0-9] FE0F? 20E3`), a flag (two regional
/// indicators), or a pictograph with its presentation selector or skin tone, an optional tag
/// sequence, and any `ZWJ pictograph` continuations. Returns the end.
fn match_emoji(c: &[char], i: usize) -> Option<usize> {
    let n = c.len();
    let x = c[i];
    if matches!(x, '#' | '*' | '0'..='9') {
        let k = if c.get(i + 1) == Some(&VS16) { i + 2 } else { i + 1 };
        return (c.get(k) == Some(&'\u{20E3}')).then_some(k + 1);
    }
    if is_regional_indicator(x) {
        return c.get(i + 1).is_some_and(|&y| is_regional_indicator(y)).then_some(i + 2);
    }
    let mut k = emoji_element(c, i)?;
    // Tag sequence (subdivision flags): tags U+E0020–U+E007E ended by U+E007F.
    if c.get(k).is_some_and(|&y| ('\u{E0020}'..='\u{E007E}').contains(&y)) {
        let mut m = k;
        while m < n && ('\u{E0020}'..='\u{E007E}').contains(&c[m]) {
            m += 1;
        }
        if c.get(m) == Some(&'\u{E007F}') {
            k = m + 1;
        }
    }
    while k + 1 < n && c[k] == ZWJ {
        match emoji_element(c, k + 1) {
            Some(e) => k = e,
            None => break,
        }
    }
    Some(k)
}

/// A pictograph at `i` with what belongs to it: U+FE0F after a text-default emoji, or a skin
/// tone after a modifier base. ©, ®, ™ and ♟ are emoji only with U+FE0F; nothing is an emoji
/// with U+FE0E (text presentation). Returns the end.
fn emoji_element(c: &[char], i: usize) -> Option<usize> {
    let x = c[i];
    if !in_table(EXTENDED_PICTOGRAPHIC, x) {
        return None;
    }
    let next = c.get(i + 1).copied();
    if next == Some(VS15) || (matches!(x, '©' | '®' | '™' | '♟') && next != Some(VS16)) {
        return None;
    }
    if next == Some(VS16) && in_table(TEXT_DEFAULT, x) {
        return Some(i + 2);
    }
    if next.is_some_and(is_skin_tone) && in_table(MODIFIER_BASE, x) {
        return Some(i + 2);
    }
    Some(i + 1)
}
