//! What an in-app notification is about (`notifications.kind`,
//! `notification_preferences.kind`). The text is never stored: pages and
//! emails render each kind from its params in the reader's language.

use super::stored_enum;

stored_enum! {
    /// The kind of a notification in a member's bell.
    pub enum NotificationKind ("notification kind") {
        /// A retention alert was assigned to the member. Params:
        /// `alert_id`, `contact_id`, `contact_name`, `risk`, `type`.
        RetentionAlertAssigned = "retention_alert_assigned",
        /// A retention alert assigned to the member rose in risk (same params).
        RetentionAlertEscalated = "retention_alert_escalated",
        /// A task was assigned to the member. Params: `task_id`, `title`,
        /// `contact_id`, `contact_name`, `due_at`.
        TaskAssigned = "task_assigned",
        /// The member has tasks due today (the daily digest; params `count`).
        TaskDue = "task_due",
        /// A contact entered a score threshold. Params: `contact_id`,
        /// `contact_name`, `threshold`, `score`.
        HotLead = "hot_lead",
        /// A booking with the member as host. Params: `appointment_id`,
        /// `contact_id`, `contact_name`, `starts_at`.
        BookingCreated = "booking_created",
        /// A workflow (or webhook endpoint) needs attention. Params:
        /// `alert_kind`, `workflow_id`, `workflow_name`.
        AutomationFailing = "automation_failing",
        /// A workflow's "notify team" step. Params: `message` (the step's
        /// rendered text, written by the workspace), `contact_id`,
        /// `contact_name`, `workflow_name`.
        TeamNotification = "team_notification",
        /// A conversation was assigned to the member. Params: `contact_id`,
        /// `contact_name`, `by` (who assigned it).
        ConversationAssigned = "conversation_assigned",
        /// A contact answered a message (the owner's, or an automation's
        /// for a contact the member owns). Params: `contact_id`,
        /// `contact_name`, `channel`, `preview`.
        MessageReplied = "message_replied",
    }
}

impl NotificationKind {
    /// Whether a member gets it in the bell when no preference row says
    /// otherwise.
    pub const DEFAULT_IN_APP: bool = true;
    /// Whether a member also gets it by email when no preference row says
    /// otherwise.
    pub const DEFAULT_EMAIL: bool = false;
}
