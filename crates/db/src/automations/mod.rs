//! Automation storage: workflows and their immutable versions, the event
//! kinds each workflow listens to, enrolments, the step-run log, alerts and
//! message templates. The engine (af-engine) owns the rules; this module
//! only reads and writes rows, always scoped to a workspace.
//!
//! Split by record: [`listeners`], [`workflows`], [`enrollments`],
//! [`step_runs`], [`alerts`], [`templates`], and the contact [`facts`]
//! steps read; everything is re-exported here.

mod alerts;
mod enrollments;
mod facts;
mod listeners;
mod step_runs;
mod templates;
mod workflows;

pub use alerts::*;
pub use enrollments::*;
pub use facts::*;
pub use listeners::*;
pub use step_runs::*;
pub use templates::*;
pub use workflows::*;
