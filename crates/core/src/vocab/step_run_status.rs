//! What happened when a step ran (`step_runs.status`).

use super::stored_enum;

stored_enum! {
    /// A step run's status (the `step_runs_status_check` constraint).
    pub enum StepRunStatus ("step run status") {
        /// The step did its work.
        Done = "done",
        /// The step was passed over (no address, test mode wait, …).
        Skipped = "skipped",
        /// The step failed.
        Failed = "failed",
        /// The step is a wait that has begun.
        Waiting = "waiting",
        /// The enrolment left at this step.
        Exited = "exited",
    }
}
