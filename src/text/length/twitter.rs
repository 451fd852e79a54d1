//! X's weighted length: twitter-text's configurations (v1, v2, v3 weight ranges) and
//! `parseTweet`, which weighs URLs and emoji found by [`super::url`] and [`super::emoji`].

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::emoji::scan_emoji;
use super::url::{scan_urls, UrlMode};
use super::*;

/// Maximum weighted length of a post on X (twitter-text `maxWeightedTweetLength`).
pub const X_MAX: usize = 280;

/// One weight range of a twitter-text configuration: code points `start..=end` weigh `weight`
/// (in the configuration's `scale` units, e.g. 100 = one character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightRange {
    /// First code point of the range (inclusive).
    pub start: u32,
    /// Last code point of the range (inclusive).
    pub end: u32,
    /// Weight of each code point in the range, in `scale` units.
    pub weight: usize,
}

/// The weight-100 ranges shared by twitter-text `config/v2.json` and `config/v3.json`:
/// U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F, U+2032–U+2037.
const RANGES_V2_V3: [WeightRange; 4] = [
    WeightRange { start: 0, end: 4351, weight: 100 },
    WeightRange { start: 8192, end: 8205, weight: 100 },
    WeightRange { start: 8208, end: 8223, weight: 100 },
    WeightRange { start: 8242, end: 8247, weight: 100 },
];

/// A twitter-text configuration (the JSON files in twitter-text's `config/`), embedded as
/// constants: [`TwitterConfig::v1`], [`TwitterConfig::v2`], [`TwitterConfig::v3`]. The fields
/// are public so a caller can build another configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwitterConfig {
    /// Configuration version (1, 2 or 3).
    pub version: u32,
    /// Maximum weighted length (`maxWeightedTweetLength`), in characters.
    pub max_weighted_tweet_length: usize,
    /// Units per character (`scale`); weights are expressed in these units.
    pub scale: usize,
    /// Weight of a code point outside every range, and of an emoji sequence (`defaultWeight`).
    pub default_weight: usize,
    /// Characters every URL counts as (`transformedURLLength`).
    pub transformed_url_length: usize,
    /// Whether emoji sequences weigh `default_weight` as a whole (`emojiParsingEnabled`).
    pub emoji_parsing_enabled: bool,
    /// Weighted ranges (`ranges`), checked in order; the first that contains a code point wins.
    pub ranges: Cow<'static, [WeightRange]>,
}

const CONFIG_V1: TwitterConfig = TwitterConfig {
    version: 1,
    max_weighted_tweet_length: 140,
    scale: 1,
    default_weight: 1,
    transformed_url_length: 23,
    emoji_parsing_enabled: false,
    ranges: Cow::Borrowed(&[]),
};

const CONFIG_V2: TwitterConfig = TwitterConfig {
    version: 2,
    max_weighted_tweet_length: 280,
    scale: 100,
    default_weight: 200,
    transformed_url_length: 23,
    emoji_parsing_enabled: false,
    ranges: Cow::Borrowed(&RANGES_V2_V3),
};

const CONFIG_V3: TwitterConfig = TwitterConfig {
    version: 3,
    max_weighted_tweet_length: 280,
    scale: 100,
    default_weight: 200,
    transformed_url_length: 23,
    emoji_parsing_enabled: true,
    ranges: Cow::Borrowed(&RANGES_V2_V3),
};

impl TwitterConfig {
    /// The legacy v1 configuration: 140 code points, every URL 23 (what twitter-text's old
    /// `isValidTweetText` and the conformance `tweets` section use).
    pub fn v1() -> Self {
        CONFIG_V1
    }

    /// twitter-text `config/v2.json`: 280 weighted, Latin ranges weigh 1, others 2, no emoji
    /// discount.
    pub fn v2() -> Self {
        CONFIG_V2
    }

    /// twitter-text `config/v3.json` (what X uses): as v2, plus every emoji sequence weighs 2.
    pub fn v3() -> Self {
        CONFIG_V3
    }

    /// The weight of one code point under this configuration. As upstream (which works on
    /// UTF-16), a code point outside the BMP is looked up by its low surrogate, so it weighs
    /// `default_weight` unless a range covers U+DC00–U+DFFF.
    fn char_weight(&self, c: char) -> usize {
        let cp = c as u32;
        let unit = if cp > 0xFFFF { 0xDC00 + ((cp - 0x10000) & 0x3FF) } else { cp };
        self.ranges
            .iter()
            .find(|r| r.start <= unit && unit <= r.end)
            .map_or(self.default_weight, |r| r.weight)
    }
}

impl Default for TwitterConfig {
    /// The configuration X uses: [`TwitterConfig::v3`].
    fn default() -> Self {
        CONFIG_V3
    }
}

/// The result of [`parse_tweet`], field for field twitter-text's `parseTweet` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseResult {
    /// Weighted length in characters (weighted units divided by `scale`).
    pub weighted_length: usize,
    /// Whether the text can be posted: not empty, within the maximum, no invalid characters
    /// (U+FFFE, U+FEFF, U+FFFF).
    pub valid: bool,
    /// `floor(weighted_length / max * 1000)`.
    pub permillage: usize,
    /// Inclusive range of the whole text, in UTF-16 code units of the original text.
    pub display_range: (usize, usize),
    /// Inclusive range of the part that fits (and precedes any invalid character), in UTF-16
    /// code units of the original text.
    pub valid_range: (usize, usize),
}

/// twitter-text's `parseTweet`: the weighted length and validity of `text` under `cfg`.
///
/// The text is NFC-normalised first; URLs and emoji are found in the normalised text, and the
/// ranges are reported in UTF-16 code units of the original text (the valid range is shifted
/// by the difference in length the normalisation made, as upstream does).
pub fn parse_tweet(text: &str, cfg: &TwitterConfig) -> ParseResult {
    let normalized: Cow<'_, str> = if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    };
    let norm = normalized.as_ref();
    let scale = cfg.scale.max(1);
    let max_units = cfg.max_weighted_tweet_length.saturating_mul(scale);
    let urls = scan_urls(norm, UrlMode::Twitter);
    let emojis = if cfg.emoji_parsing_enabled { scan_emoji(norm) } else { Vec::new() };

    let (mut next_url, mut next_emoji) = (0, 0);
    let mut weighted = 0usize;
    let mut valid = true;
    let mut valid_display = 0usize;
    let mut utf16_pos = 0usize;
    let mut pos = 0usize;
    while pos < norm.len() {
        while next_url < urls.len() && urls[next_url].start < pos {
            next_url += 1;
        }
        while next_emoji < emojis.len() && emojis[next_emoji].start < pos {
            next_emoji += 1;
        }
        let (end, weight) = if urls.get(next_url).is_some_and(|u| u.start == pos) {
            (urls[next_url].end, cfg.transformed_url_length.saturating_mul(scale))
        } else if emojis.get(next_emoji).is_some_and(|e| e.start == pos) {
            (emojis[next_emoji].end, cfg.default_weight)
        } else {
            let c = norm[pos..].chars().next().unwrap_or('\0');
            (pos + c.len_utf8(), cfg.char_weight(c))
        };
        let token = &norm[pos..end];
        weighted = weighted.saturating_add(weight);
        utf16_pos += utf16_len(token);
        // Upstream checks the last UTF-16 unit of each token.
        if valid {
            valid = !token.chars().next_back().is_some_and(is_invalid_char);
        }
        if valid && weighted <= max_units {
            valid_display = utf16_pos - 1;
        }
        pos = end;
    }

    let length = weighted as f64 / scale as f64;
    let max = cfg.max_weighted_tweet_length as f64;
    let valid = valid && length > 0.0 && length <= max;
    let permillage = if max > 0.0 { ((length / max) * 1000.0).floor() as usize } else { 0 };
    let text_len = utf16_len(text);
    let offset = text_len as isize - utf16_len(norm) as isize;
    let valid_end = (valid_display as isize + offset).max(0) as usize;
    ParseResult {
        weighted_length: weighted / scale,
        valid,
        permillage,
        display_range: (0, text_len.saturating_sub(1)),
        valid_range: (0, valid_end),
    }
}

/// The weighted length X counts for `text` (twitter-text v3, what farm checks against
/// [`X_MAX`]).
pub fn x_length(text: &str) -> usize {
    parse_tweet(text, &CONFIG_V3).weighted_length
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_weighted_length() {
        assert_eq!(x_length("hello, world."), 13);
        assert_eq!(x_length(&"の".repeat(140)), 280);
        assert_eq!(x_length("ÁB"), 2);
        assert_eq!(x_length("Test https://test.com test https://test.com test.com test"), 86);
        assert_eq!(x_length("“quoted” — dash"), 15);
        assert_eq!(x_length("🇩🇪"), 2);
        assert_eq!(x_length("©"), 1);
        assert_eq!(x_length("©\u{FE0F}"), 2);
        assert_eq!(x_length("1\u{FE0F}\u{20E3}"), 2);
        assert_eq!(x_length("❤\u{FE0F}"), 2);
        assert_eq!(x_length("☺\u{FE0E}"), 4);
        assert_eq!(x_length("Привет"), 6);
        assert_eq!(x_length(""), 0);
    }

    #[test]
    fn parse_tweet_ranges() {
        let r = parse_tweet(&"x".repeat(281), &TwitterConfig::v3());
        assert_eq!((r.weighted_length, r.valid, r.permillage), (281, false, 1003));
        assert_eq!((r.display_range, r.valid_range), ((0, 280), (0, 279)));
        let r = parse_tweet("", &TwitterConfig::v3());
        assert_eq!((r.weighted_length, r.valid, r.display_range, r.valid_range), (0, false, (0, 0), (0, 0)));
        assert!(!parse_tweet("a\u{FFFF}", &TwitterConfig::default()).valid);
    }
}
