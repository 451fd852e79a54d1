//! Dedup normalisation (placeholder).
