//! twitter-text conformance: runs the upstream `validate.yml` (fixtures/twitter-text, Apache-2.0)
//! against `botfarm::text::length::parse_tweet`.
//!
//! Every case of the weighted-length sections is checked field by field, under the
//! configuration the upstream runners use: `WeightedTweetsCounterTest` under v2,
//! `WeightedTweetsWithDiscountedEmojiCounterTest` and `UnicodeDirectionalMarkerCounterTest`
//! under v3. The number of cases parsed is compared with the number of `- description:` lines
//! of the section in the raw file, so a parsing mistake cannot make a section pass empty.
//!
//! The data is a copy of the upstream files, unchanged, with their licence and provenance in
//! `fixtures/twitter-text/` (README.md, LICENSE): a fresh clone tests itself.

use std::path::{Path, PathBuf};

use botfarm::text::length::{parse_tweet, ParseResult, TwitterConfig};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    tests: Sections,
}

#[derive(Deserialize)]
struct Sections {
    tweets: Vec<ValidityCase>,
    #[serde(rename = "WeightedTweetsCounterTest")]
    weighted: Vec<WeightedCase>,
    #[serde(rename = "WeightedTweetsWithDiscountedEmojiCounterTest")]
    discounted_emoji: Vec<WeightedCase>,
    #[serde(rename = "UnicodeDirectionalMarkerCounterTest")]
    directional: Vec<WeightedCase>,
}

#[derive(Deserialize)]
struct ValidityCase {
    description: String,
    text: String,
    expected: bool,
}

#[derive(Deserialize)]
struct WeightedCase {
    description: String,
    text: String,
    expected: Expected,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Expected {
    weighted_length: usize,
    valid: bool,
    permillage: usize,
    display_range_start: usize,
    display_range_end: usize,
    valid_range_start: usize,
    valid_range_end: usize,
}

impl Expected {
    fn as_result(&self) -> ParseResult {
        ParseResult {
            weighted_length: self.weighted_length,
            valid: self.valid,
            permillage: self.permillage,
            display_range: (self.display_range_start, self.display_range_end),
            valid_range: (self.valid_range_start, self.valid_range_end),
        }
    }
}

/// The path of validate.yml, kept in the repository with its licence.
fn validate_yml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/twitter-text/validate.yml")
}

/// The raw text and the parsed sections of validate.yml.
fn load() -> (String, Sections) {
    let path = validate_yml();
    let raw =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: File =
        serde_yaml::from_str(&raw).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()));
    (raw, file.tests)
}

/// How many `- description:` items the section `name` has in the raw file.
fn raw_case_count(raw: &str, name: &str) -> usize {
    let header = format!("  {name}:");
    let mut lines = raw.lines().skip_while(|l| l.trim_end() != header);
    assert!(lines.next().is_some(), "section {name} not found in validate.yml");
    lines
        .take_while(|l| l.is_empty() || l.starts_with("   "))
        .filter(|l| l.trim_start().starts_with("- description:"))
        .count()
}

fn run_weighted(name: &str, cases: &[WeightedCase], raw: &str, cfg: &TwitterConfig) {
    let in_file = raw_case_count(raw, name);
    assert!(in_file > 0, "section {name} has no cases");
    assert_eq!(cases.len(), in_file, "{name}: parsed {} cases, the file has {in_file}", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let got = parse_tweet(&case.text, cfg);
        let want = case.expected.as_result();
        if got != want {
            failures.push(format!("{}:\n    got  {got:?}\n    want {want:?}", case.description));
        }
    }
    let passed = cases.len() - failures.len();
    println!("{name} (config v{}): {passed}/{} passed", cfg.version, cases.len());
    assert!(failures.is_empty(), "{name}: {} failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn weighted_tweets_counter_v2() {
    let (raw, s) = load();
    run_weighted("WeightedTweetsCounterTest", &s.weighted, &raw, &TwitterConfig::v2());
}

#[test]
fn weighted_tweets_with_discounted_emoji_v3() {
    let (raw, s) = load();
    run_weighted(
        "WeightedTweetsWithDiscountedEmojiCounterTest",
        &s.discounted_emoji,
        &raw,
        &TwitterConfig::v3(),
    );
}

#[test]
fn unicode_directional_marker_counter_v3() {
    let (raw, s) = load();
    run_weighted("UnicodeDirectionalMarkerCounterTest", &s.directional, &raw, &TwitterConfig::v3());
}

/// The `tweets` section is the legacy 140-character validity check (twitter-text's
/// `isValidTweetText`, config v1: 140 code points, URLs 23).
#[test]
fn tweets_validity_v1() {
    let (raw, s) = load();
    let in_file = raw_case_count(&raw, "tweets");
    assert!(in_file > 0);
    assert_eq!(s.tweets.len(), in_file);
    let cfg = TwitterConfig::v1();
    let failures: Vec<&str> = s
        .tweets
        .iter()
        .filter(|c| parse_tweet(&c.text, &cfg).valid != c.expected)
        .map(|c| c.description.as_str())
        .collect();
    println!("tweets (config v1): {}/{} passed", s.tweets.len() - failures.len(), s.tweets.len());
    assert!(failures.is_empty(), "tweets: failed {failures:?}");
}
