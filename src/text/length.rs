//! Platform length rules (placeholder).
