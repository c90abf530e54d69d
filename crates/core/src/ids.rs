//! Typed ids: UUIDv7 (time-ordered, so indexes stay append-mostly) wrapped in
//! one newtype per entity so a contact id can never be passed where a
//! workspace id is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        // In the API's OpenAPI document: a named string in UUID format.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    )*};
}

id_type!(
    /// A tenant: an agency or one of its client accounts.
    WorkspaceId,
    /// A person who signs in.
    UserId,
    /// A workspace API key.
    ApiKeyId,
    /// A pending invitation to join a workspace.
    InvitationId,
    /// A domain event in the outbox.
    EventId,
    /// A queued job.
    JobId,
    /// A message (email, SMS, ...) recorded by a channel.
    MessageId,
    /// An audit log entry.
    AuditId,
);

id_type!(
    /// A person or company the workspace markets to.
    ContactId,
    /// A tag.
    TagId,
    /// A custom field definition.
    FieldId,
    /// A pipeline.
    PipelineId,
    /// A stage of a pipeline.
    StageId,
    /// A deal ("lead" on the board).
    DealId,
    /// A note on a contact.
    NoteId,
    /// A task.
    TaskId,
    /// A saved contact filter.
    SavedFilterId,
    /// A CSV import run.
    ImportId,
);

id_type!(
    /// An automation workflow.
    WorkflowId,
    /// One contact's run through a workflow.
    EnrollmentId,
    /// One execution of one workflow step for an enrolment.
    StepRunId,
    /// An in-app alert about a failing or stuck workflow.
    AlertId,
    /// A reusable message template.
    TemplateId,
    /// A lead-capture form.
    FormId,
    /// An accepted lead: a form submission or a PAUTA `/api/lead` call.
    SubmissionId,
    /// An appointment (booked through Cal.com or a calendar).
    AppointmentId,
    /// A booking calendar.
    CalendarId,
    /// A stored inbound webhook delivery.
    InboundWebhookId,
    /// A contact's membership (subscription).
    MembershipId,
    /// Something a contact did (a visit, a purchase...).
    ActivityId,
    /// A lead-scoring rule.
    ScoringRuleId,
    /// A score threshold (with hysteresis).
    ThresholdId,
    /// A retention rule (what puts a client at risk).
    RetentionRuleId,
    /// A retention alert: one client at risk, for one reason.
    RetentionAlertId,
    /// An in-app notification in one member's bell.
    NotificationId,
);
