//! botfarm: one binary that runs a whole farm of social-media bots from cron.
//!
//! The data flows one way: cron → [`cli`] → [`cmd`] → [`bot`] (the domain) → [`store`] and
//! [`net`]. [`text`] holds the writer processors, [`sim`] the fake network used by tests and
//! `farm demo`. [`clock`] is the one clock, [`error`] the one error type, [`config`] the
//! environment, [`secret`] what keeps the credentials out of messages.

pub mod archive;
pub mod bot;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod corpus;
pub mod error;
pub mod model;
pub mod net;
pub mod out;
pub mod secret;
pub mod sim;
pub mod store;
pub mod text;
