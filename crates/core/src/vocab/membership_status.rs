//! Where a membership (subscription) stands (`memberships.status`).

use super::stored_enum;

stored_enum! {
    /// A membership's status (the `memberships_status_check` constraint).
    pub enum MembershipStatus ("membership status") {
        /// A trial period, not paid yet.
        Trial = "trial",
        /// Paid and running.
        Active = "active",
        /// The last payment failed; still the member's until it expires.
        PastDue = "past_due",
        /// Cancelled by the member or the business.
        Cancelled = "cancelled",
        /// Its period ended without a renewal.
        Expired = "expired",
    }
}

impl MembershipStatus {
    /// Whether the membership is running (trial or active): these get the
    /// "expiring" notice before their end.
    pub fn is_running(self) -> bool {
        matches!(self, MembershipStatus::Trial | MembershipStatus::Active)
    }

    /// Whether the daily check expires it once its end has passed.
    pub fn expires_at_end(self) -> bool {
        matches!(
            self,
            MembershipStatus::Trial | MembershipStatus::Active | MembershipStatus::PastDue
        )
    }
}
