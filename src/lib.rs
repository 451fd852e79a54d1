//! botfarm: one binary that runs a whole farm of social-media bots from cron.
//!
//! The data flows one way: cron → [`cmd`] → [`bot`] (the domain) → [`store`] and [`net`].
//! [`text`] holds the writer processors, [`sim`] the fake network used by tests and `farm demo`.

pub mod clock;
pub mod error;
pub mod net;
pub mod sim;
pub mod text;
