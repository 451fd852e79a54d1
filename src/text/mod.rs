//! Text processing for writers: processors, filters, length rules, dedup normalisation.

pub mod dedup;
pub mod exec;
pub mod filters;
pub mod length;
pub mod markov;
pub mod morph;
pub mod nouns;
pub mod phrase;
pub mod pipeline;
pub mod replace;
pub mod rng;
pub mod spec;
pub mod template;
pub mod tracery;
pub mod words;

pub use morph::lemma;
pub use pipeline::{Ctx, Pipeline, Roll, WriterSpec, HELP};
