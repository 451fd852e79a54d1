//! Record keys of the AT Protocol's TID form: 13 characters of base32-sortable, a 64-bit number
//! whose top bit is 0, then 53 bits of microseconds since 1970, then a 10-bit clock id (the
//! atproto TID spec). farm chooses a post's key when it records the intent, and derives the
//! numeric ids of Bluesky posts from their keys, so that ids grow with time like X's.

/// The base32-sortable alphabet.
const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The length of a TID.
pub const LEN: usize = 13;

/// The TID of the number `v` (its top bit is cleared).
pub fn encode(v: u64) -> String {
    let mut x = v & (u64::MAX >> 1);
    let mut out = [0u8; LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(x & 31) as usize];
        x >>= 5;
    }
    out.iter().map(|&b| b as char).collect()
}

/// The number of a TID, or `None` when `s` is not one.
pub fn decode(s: &str) -> Option<u64> {
    if s.len() != LEN {
        return None;
    }
    let mut v: u64 = 0;
    for (i, b) in s.bytes().enumerate() {
        let d = ALPHABET.iter().position(|&a| a == b)? as u64;
        // The first character carries the top bits: its value must leave the top bit 0.
        if i == 0 && d >= 8 {
            return None;
        }
        v = (v << 5) | d;
    }
    Some(v)
}

/// The TID for `micros` (microseconds since 1970) and a clock id (its low 10 bits).
pub fn make(micros: u64, clock_id: u64) -> String {
    encode(((micros & ((1 << 53) - 1)) << 10) | (clock_id & 1023))
}

/// The record key of a post farm means to make at `now` (Unix seconds), from a hash of the
/// intent: fixed when the intent is recorded and sent with every attempt, so that any unclear
/// outcome is settled by looking the key up. The hash spreads keys of one second apart.
pub fn for_intent(now: i64, hash: u64) -> String {
    let micros = (now.max(0) as u64).saturating_mul(1_000_000) + hash % 1_000_000;
    make(micros, hash >> 54)
}

/// The microseconds since 1970 a TID carries.
pub fn micros(v: u64) -> u64 {
    v >> 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_shape() {
        // A key the reference PDS made (README of the local PDS).
        let v = decode("3n3yfqlr44z2x").unwrap();
        assert_eq!(encode(v), "3n3yfqlr44z2x");
        // 2026-12-06 in microseconds.
        let secs = micros(v) / 1_000_000;
        assert!((1_796_000_000..1_797_000_000).contains(&secs), "{secs}");
        let k = for_intent(1_767_225_600, 0xDEAD_BEEF_CAFE_F00D);
        assert_eq!(k.len(), LEN);
        assert_eq!(micros(decode(&k).unwrap()) / 1_000_000, 1_767_225_600);
        assert_eq!(k, for_intent(1_767_225_600, 0xDEAD_BEEF_CAFE_F00D), "deterministic");
        assert_ne!(k, for_intent(1_767_225_600, 0xDEAD_BEEF_CAFE_F00E));
        assert!(for_intent(1_767_225_601, 0) > for_intent(1_767_225_600, 999_999), "sortable");
    }

    #[test]
    fn not_tids() {
        for s in ["self", "3n3yfqlr44z2", "3n3yfqlr44z2xx", "3n3yfqlr44z2!", "zzzzzzzzzzzzz", "3N3YFQLR44Z2X"]
        {
            assert_eq!(decode(s), None, "{s}");
        }
    }
}
