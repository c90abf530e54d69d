#![doc = include_str!("../README.md")]

pub mod actor;
pub mod booking;
pub mod clock;
pub mod contact;
pub mod contact_input;
pub mod countries;
pub mod crypto;
pub mod csv_io;
pub mod csv_records;
pub mod datetime;
pub mod events;
pub mod ids;
pub mod jobs;
pub mod membership;
pub mod money;
pub mod numbers;
pub mod phone;
pub mod reports;
pub mod retention;
pub mod scoring;
pub mod search;
pub mod templating;
pub mod tenancy;
pub mod validate;
pub mod vocab;
pub mod workflow;

pub use actor::{Actor, ActorKind};
pub use clock::{Clock, ManualClock, SystemClock};
pub use ids::*;
pub use tenancy::{Locale, Role};
