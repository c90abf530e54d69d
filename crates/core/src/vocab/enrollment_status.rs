//! Where a contact is in a workflow (`enrollments.status`).

use super::stored_enum;

stored_enum! {
    /// An enrolment's status (the `enrollments_status_check` constraint).
    pub enum EnrollmentStatus ("enrolment status") {
        /// Running, or due to run its next step.
        Active = "active",
        /// In a wait step (time or event).
        Waiting = "waiting",
        /// Held because its workflow is paused.
        Paused = "paused",
        /// Ran its last step.
        Completed = "completed",
        /// Left early: an exit goal, a manual exit, or a deleted workflow.
        Exited = "exited",
        /// A step failed for good.
        Failed = "failed",
    }
}

impl EnrollmentStatus {
    /// The statuses of a live enrolment (the partial unique index
    /// `enrollments_live_idx` allows one per contact and workflow).
    pub const LIVE: [EnrollmentStatus; 3] = [
        EnrollmentStatus::Active,
        EnrollmentStatus::Waiting,
        EnrollmentStatus::Paused,
    ];

    /// Whether the enrolment has not ended yet.
    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }
}
