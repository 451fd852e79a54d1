//! The fake network: an HTTP/1.1 server on loopback speaking X and Mastodon (placeholder).
