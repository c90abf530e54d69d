//! Retention alerts (`retention_rules.type`, `retention_alerts.type` and
//! `.status`).

use super::stored_enum;

stored_enum! {
    /// What puts a client at risk: a retention rule's and its alerts' type.
    pub enum AlertType ("retention alert type") {
        /// No attendance (visit, attended class or appointment) for N days.
        NoAttendance = "no_attendance",
        /// A running membership ends within N days.
        MembershipExpiring = "membership_expiring",
        /// Fewer than N bookings in the last M days.
        LowBookings = "low_bookings",
        /// A membership is past due.
        PaymentFailed = "payment_failed",
        /// More than X % of the last M days' bookings cancelled (at least K).
        HighCancellationRate = "high_cancellation_rate",
    }
}

stored_enum! {
    /// Where a retention alert stands (the `retention_alerts_status_check`
    /// constraint). Open and in progress are *active*: at most one active
    /// alert per contact and type.
    pub enum AlertStatus ("retention alert status") {
        Open = "open",
        InProgress = "in_progress",
        Resolved = "resolved",
        Dismissed = "dismissed",
    }
}

impl AlertStatus {
    /// Open or in progress: counted by the one-active-alert index.
    pub fn is_active(self) -> bool {
        matches!(self, AlertStatus::Open | AlertStatus::InProgress)
    }

    /// Reads a status as a person or an API client writes it: any case,
    /// `-` or space for `_` (`"IN_PROGRESS"`, `"in progress"`).
    pub fn parse_loose(s: &str) -> Option<AlertStatus> {
        let norm: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        AlertStatus::parse(&norm)
    }

    /// Whether a person may move an alert from `self` to `to`: open ↔ in
    /// progress, either of them to resolved or dismissed, and a resolved or
    /// dismissed alert reopened (back to open).
    pub fn can_move_to(self, to: AlertStatus) -> bool {
        use AlertStatus::*;
        match (self, to) {
            (a, b) if a == b => false,
            (Open | InProgress, _) => true,
            (Resolved | Dismissed, Open) => true,
            _ => false,
        }
    }
}
