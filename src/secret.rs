//! Keeping the secrets farm holds out of the text it prints and stores.
//!
//! A server or a proxy may quote the request's credentials in its error text ("invalid token
//! …"), and farm quotes the server's words in its messages. [`Secrets::scrub`] replaces, in any
//! text, every secret farm knows and every piece of one at least [`PIECE`] characters long with
//! [`HIDDEN`]. It is applied where such text is born and where it is kept or shown:
//!
//! - the network layer scrubs each error of a client with the endpoint's credentials
//!   ([`crate::net::connect`]) and each error of the auth flows with the keys, tokens and codes
//!   they send ([`crate::net::auth`]);
//! - the store scrubs event messages and last errors, when it writes them and when it reads
//!   them back, with every secret of the farm ([`crate::store::Store::scrub`]), and the
//!   `--no-secrets` export does the same; so a message farm did not expect to carry a secret,
//!   or one stored by an older version, is masked in `farm log`, `stats`, `show`, `doctor` and
//!   the shared archive too.

use crate::model::{AppKeys, Credentials};
use std::collections::HashSet;

/// What a secret, or a piece of one, becomes in a message.
pub const HIDDEN: &str = "[secret]";

/// The length of the pieces of a secret that are masked wherever they appear.
pub const PIECE: usize = 8;

/// Secrets shorter than this are not looked for: text would lose too much to them.
pub const SHORTEST: usize = 4;

/// A set of secrets, ready to be looked for in text.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Every [`PIECE`]-character window of every secret at least that long.
    pieces: HashSet<String>,
    /// Secrets shorter than [`PIECE`] (and at least [`SHORTEST`]), looked for whole.
    short: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets, not even in debug output.
        write!(f, "Secrets {{ {} pieces, {} short }}", self.pieces.len(), self.short.len())
    }
}

impl Secrets {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one secret. Pieces within the digits a secret starts with are left out: an X access
    /// token starts with the account's numeric id (`12345-…`), which is public and appears in
    /// API paths.
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        let chars: Vec<(usize, char)> = secret.char_indices().collect();
        if chars.len() < SHORTEST {
            return;
        }
        if chars.len() < PIECE {
            if !self.short.iter().any(|s| s == secret) {
                self.short.push(secret.to_string());
            }
            return;
        }
        let lead = chars.iter().take_while(|(_, c)| c.is_ascii_digit()).count();
        for i in lead.saturating_sub(PIECE - 1)..=chars.len() - PIECE {
            let end = chars.get(i + PIECE).map_or(secret.len(), |c| c.0);
            self.pieces.insert(secret[chars[i].0..end].to_string());
        }
    }

    /// Add the four secrets of a set of credentials.
    pub fn add_creds(&mut self, c: &Credentials) {
        for s in [&c.consumer_key, &c.consumer_secret, &c.access_token, &c.access_secret] {
            self.add(s);
        }
    }

    /// Add a pair of app keys.
    pub fn add_app_keys(&mut self, k: &AppKeys) {
        self.add(&k.consumer_key);
        self.add(&k.consumer_secret);
    }

    /// The secrets of one set of credentials.
    pub fn of_creds(c: &Credentials) -> Self {
        let mut s = Self::new();
        s.add_creds(c);
        s
    }

    /// `text` with every known secret, and every piece of one at least [`PIECE`] characters
    /// long, replaced by [`HIDDEN`] (overlapping or adjacent matches become one [`HIDDEN`]).
    pub fn scrub(&self, text: &str) -> String {
        let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let byte_at = |n: usize| starts.get(n).copied().unwrap_or(text.len());
        let mut hidden = vec![false; starts.len()];
        if !self.pieces.is_empty() {
            for i in 0..starts.len().saturating_sub(PIECE - 1) {
                if self.pieces.contains(&text[starts[i]..byte_at(i + PIECE)]) {
                    hidden[i..i + PIECE].iter_mut().for_each(|h| *h = true);
                }
            }
        }
        for s in &self.short {
            for (at, _) in text.match_indices(s.as_str()) {
                let from = starts.partition_point(|&b| b < at);
                let to = starts.partition_point(|&b| b < at + s.len());
                hidden[from..to].iter_mut().for_each(|h| *h = true);
            }
        }
        if !hidden.contains(&true) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for (n, &h) in hidden.iter().enumerate() {
            if !h {
                out.push_str(&text[starts[n]..byte_at(n + 1)]);
            } else if n == 0 || !hidden[n - 1] {
                out.push_str(HIDDEN);
            }
        }
        out
    }

    /// [`Secrets::scrub`] for an optional text.
    pub fn scrub_opt(&self, text: &Option<String>) -> Option<String> {
        text.as_deref().map(|t| self.scrub(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(secrets: &[&str]) -> Secrets {
        let mut s = Secrets::new();
        for x in secrets {
            s.add(x);
        }
        s
    }

    #[test]
    fn whole_secrets_and_long_pieces_are_hidden() {
        let s = of(&["tok-AbCdEfGh12345678", "Zx9"]);
        assert_eq!(s.scrub("invalid token tok-AbCdEfGh12345678."), "invalid token [secret].");
        // A piece of 8 characters anywhere, at the ends of the text too.
        assert_eq!(s.scrub("EfGh1234 seen"), "[secret] seen");
        assert_eq!(s.scrub("token tok-AbC…"), "token tok-AbC…", "7 characters are not a piece");
        assert_eq!(s.scrub("x tok-AbCdE y"), "x [secret] y");
        // Two pieces split by an escaped character are each hidden.
        assert_eq!(s.scrub("tok-AbCdEf\\Gh12345678"), "[secret]\\[secret]");
        // Too short to look for.
        assert_eq!(s.scrub("Zx9 stays"), "Zx9 stays");
        assert_eq!(s.scrub("nothing here"), "nothing here");
        assert_eq!(s.scrub(""), "");
    }

    #[test]
    fn the_leading_digits_of_a_secret_are_not_a_piece() {
        // X access tokens begin with the account's public numeric id.
        let s = of(&["1234567890123-SeCrEtPaRt"]);
        assert_eq!(s.scrub("GET /2/users/1234567890123/tweets"), "GET /2/users/1234567890123/tweets");
        assert_eq!(s.scrub("token 1234567890123-SeCrEtPaRt!"), "token 123456[secret]!");
        // Digits anywhere else in a secret are as secret as the rest.
        let s = of(&["tok-m-0123456789"]);
        assert_eq!(s.scrub("id 123456789 and 3456789"), "id [secret] and 3456789");
    }

    #[test]
    fn short_secrets_are_hidden_whole_and_text_stays_utf8() {
        let s = of(&["pin42xy", "ключ-секретный-1"]);
        assert_eq!(s.scrub("pin pin42xy ok"), "pin [secret] ok");
        assert_eq!(s.scrub("ошибка: ключ-секретный-1 — нет"), "ошибка: [secret] — нет");
        assert_eq!(s.scrub("секретны"), "[secret]");
        assert_eq!(s.scrub("é"), "é");
    }

    #[test]
    fn credentials_and_app_keys() {
        let c = Credentials {
            consumer_key: "ck-0123456789".into(),
            consumer_secret: "cs-0123456789".into(),
            access_token: "at-0123456789".into(),
            access_secret: String::new(),
        };
        let s = Secrets::of_creds(&c);
        assert_eq!(s.scrub("ck-0123456789 cs-0123456789 at-0123456789"), "[secret] [secret] [secret]");
        let mut s = Secrets::new();
        s.add_app_keys(&AppKeys { consumer_key: "app-key-0001".into(), consumer_secret: "x".into() });
        assert_eq!(s.scrub_opt(&Some("key app-key-0001".into())), Some("key [secret]".into()));
        assert_eq!(s.scrub_opt(&None), None);
    }
}
