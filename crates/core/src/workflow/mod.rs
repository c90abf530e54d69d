//! Workflow definitions: the JSON a user (or the API) writes — one trigger,
//! an ordered tree of steps, exit goals and a re-entry rule — and the pure
//! rules over it: shape validation, step ids, "which step comes next",
//! conditions, and when a wait ends (DST-correct, business hours).
//!
//! The executor (af-engine) stores a definition per version and walks it
//! one step at a time; nothing here does I/O.
//! Split along its seams: [`definition`] (the whole and its walk),
//! [`triggers`], [`actions`], [`waits`], [`conditions`] and [`checks`].

mod actions;
mod checks;
mod conditions;
mod definition;
mod triggers;
mod waits;

pub use actions::*;
pub use checks::*;
pub use conditions::*;
pub use definition::*;
pub use triggers::*;
pub use waits::*;

#[cfg(test)]
mod tests;
