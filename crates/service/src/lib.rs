#![doc = include_str!("../README.md")]

pub mod bookings;
pub mod calendars;
pub mod conversations;
pub mod custom_fields;
pub mod deals;
pub mod forms;
pub mod intake;
pub mod memberships;
pub mod passwords;
pub mod provision;
pub mod record_imports;
pub mod reports;
pub mod retention;
pub mod scoring;
pub mod submissions;
pub mod webhook_endpoints;
