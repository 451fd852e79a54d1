//! Text processing for writers: processors, filters, length rules, dedup normalisation.

pub mod dedup;
pub mod length;
