//! Every background job kind, in one place: one payload struct per kind,
//! and with it the kind's name, priority, attempts and dedupe key.
//!
//! A job is enqueued with `af_db::jobs::enqueue_job` from one of these
//! structs and runs in a handler made by `af_jobs::typed_handler`, which
//! hands it the same struct back — so the payload's shape is written once,
//! here, and a typo in a key or a kind cannot compile.
//!
//! Payloads are stored as JSON in `jobs.payload` and the kind names in
//! `jobs.kind`: both outlive a deploy (jobs queued by the previous version
//! run on the next), so a field or a name changes only with a compatible
//! reading of the old form.
//!
//! | kind | payload | priority | attempts | dedupe key | enqueued by |
//! |---|---|---|---|---|---|
//! | `system_mail` | [`SystemMail`] | 0 | 6 | — | password resets, invitations |
//! | `dispatch_event` | [`DispatchEvent`] | 50 | 10 | — | `insert_event`, when someone listens |
//! | `automation_route` | [`AutomationRoute`] | 50 | 10 | — | nothing any more (older versions) |
//! | `automation_step` | [`AutomationStep`] | 40 | 5 | `step:{enrollment}:{seq}` | enrolment, each step |
//! | `send_message` | [`SendMessage`] | 30 (the channels page's test send: 100) | 10 | — | steps, retries, Kommo, fallback |
//! | `booking_notice` | [`BookingNotice`] | 30 | 10 | `booking_notice:{booking}:{sequence}:{notice}` | a booking, its changes, its reminders |
//! | `sync_busy_feed` | [`SyncBusyFeed`] | 90 | 3 | `busy_feed:{user}` | the periodic sync, a member's "sync now" |
//! | `sync_busy_feeds` | [`SyncBusyFeeds`] | 100 | 10 | (schedule's) | cron, every 10 min |
//! | `whatsapp_fallback` | [`WhatsappFallback`] | 30 | 10 | `whatsapp_fallback:{message}` | Twilio status webhook |
//! | `deliver_webhook` | [`DeliverWebhook`] | 80 | 8 | — | dispatch fan-out, replays |
//! | `check_memberships` | [`CheckMemberships`] | 100 | 10 | (schedule's) | cron, hourly |
//! | `check_retention` | [`CheckRetention`] | 100 | 10 | (schedule's) | cron, hourly (each workspace once a day at its local hour) |
//! | `refresh_reports` | [`RefreshReports`] | 100 | 10 | (schedule's) | cron, every 10 min (the last 7 closed days) and nightly (the last 35) |
//! | `notification_email` | [`NotificationEmail`] | 60 | 6 | — | a notification of a kind its member wants by email |
//! | `queue_digests` | [`QueueDigests`] | 100 | 10 | (schedule's) | cron, hourly (7:00 in each workspace's zone) |
//! | `send_digest` | [`SendDigest`] | 110 | 6 | `send_digest:{user}:{date}` | `queue_digests`, once per member and local date |
//! | `import_contacts` | [`ImportContacts`] | 100 | 10 | `import:{import}` | CSV import on the web |
//! | `import_records` | [`ImportRecords`] | 100 | 10 | `import:{import}` | CSV import of activities or memberships on the web |
//! | `automation_sweep` | [`AutomationSweep`] | 100 | 10 | (schedule's) | cron, every 5 min |
//! | `backfill_threshold` | [`BackfillThreshold`] | 90 | 10 | `backfill_threshold:{threshold}` | creating a score threshold |
//! | `recalculate_scores` | [`RecalculateScores`] | 100 | 10 | `recalculate_scores:{run}` | "Recalculate" on the scoring page or the API |
//! | `decay_scores` | [`DecayScores`] | 100 | 10 | (schedule's) | cron, hourly (weekly periods in each workspace's zone) |
//! | `cleanup_sessions` | [`CleanupSessions`] | 100 | 10 | (schedule's) | cron, hourly |
//! | `prune_jobs` | [`PruneJobs`] | 100 | 10 | (schedule's) | cron, daily |
//! | `diag_noop`, `diag_http`, `diag_record`, `diag_fail` | [`DiagNoop`], [`DiagHttp`], [`DiagRecord`], [`DiagFail`] | 100 | 10 | — | `agencyflow jobs diag` |
//!
//! Lower priority runs first. The automation pipeline runs downstream
//! first — sends, then steps, then the dispatch of new events — so during
//! a burst of new leads the work already started (a lead's first message)
//! is not starved by routing for the leads behind it: each lead's latency
//! stays bounded by the work queued ahead of it, not by the burst's end.
//! Jobs fired by a schedule are enqueued by the
//! scheduler with the queue's defaults and the schedule's own dedupe key,
//! whatever a kind declares; the cron kinds above declare those defaults.
//!
//! Adding a kind: a struct and its [`JobPayload`] impl here, its name in
//! [`KINDS`], and its handler in the registry (`agencyflow`'s
//! `runtime::registry`, which a test checks against [`KINDS`]).

use crate::{AppointmentId, EnrollmentId, EventId, ImportId, MessageId, WorkspaceId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The payload of one job kind, which also declares how that kind is
/// queued.
pub trait JobPayload: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The `jobs.kind` (by convention `verb_noun`). Stored: never rename.
    const KIND: &'static str;
    /// Lower runs first.
    const PRIORITY: i32 = 100;
    /// Runs before the job is dead-lettered.
    const MAX_ATTEMPTS: i32 = 10;

    /// While a pending or running job holds this key, enqueueing another
    /// with it is a no-op.
    fn dedupe_key(&self) -> Option<String> {
        None
    }
}

/// Every job kind, for checks that the registry and this catalogue agree.
pub const KINDS: &[&str] = &[
    SystemMail::KIND,
    DispatchEvent::KIND,
    AutomationRoute::KIND,
    AutomationStep::KIND,
    SendMessage::KIND,
    WhatsappFallback::KIND,
    BookingNotice::KIND,
    SyncBusyFeed::KIND,
    SyncBusyFeeds::KIND,
    DeliverWebhook::KIND,
    ImportContacts::KIND,
    ImportRecords::KIND,
    CheckMemberships::KIND,
    CheckRetention::KIND,
    RefreshReports::KIND,
    NotificationEmail::KIND,
    QueueDigests::KIND,
    SendDigest::KIND,
    AutomationSweep::KIND,
    BackfillThreshold::KIND,
    DecayScores::KIND,
    RecalculateScores::KIND,
    CleanupSessions::KIND,
    PruneJobs::KIND,
    PurgeAuditLog::KIND,
    DiagNoop::KIND,
    DiagHttp::KIND,
    DiagRecord::KIND,
    DiagFail::KIND,
];

// ------------------------------------------------------------------- mail

/// One system email (password reset, invitation), sealed with the server
/// key so the secret link in it rests encrypted in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemMail {
    pub sealed: String,
}

impl JobPayload for SystemMail {
    const KIND: &'static str = "system_mail";
    // Someone is waiting on the link: ahead of everything.
    const PRIORITY: i32 = 0;
    // An old link is worth less than a new request.
    const MAX_ATTEMPTS: i32 = 6;
}

// ---------------------------------------------------------- notifications

/// Emails one notification to its member (who asked for that kind by
/// email). The workspace is the job's; the kind and params travel in the
/// payload (a member may want a kind by email and not in the bell, so
/// there may be no row), and the text is rendered when sent, in the
/// member's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationEmail {
    pub user_id: crate::UserId,
    pub kind: crate::vocab::NotificationKind,
    pub params: serde_json::Value,
    pub link: String,
}

impl JobPayload for NotificationEmail {
    const KIND: &'static str = "notification_email";
    const PRIORITY: i32 = 60;
    const MAX_ATTEMPTS: i32 = 6;
}

/// The hourly look for members whose daily digest is due (their
/// workspace's morning has come and today's digest is not queued yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDigests {}

impl JobPayload for QueueDigests {
    const KIND: &'static str = "queue_digests";
}

/// One member's daily digest of one workspace for one local date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendDigest {
    pub user_id: crate::UserId,
    /// The workspace's local date (`YYYY-MM-DD`) the digest is for.
    pub local_date: String,
}

impl JobPayload for SendDigest {
    const KIND: &'static str = "send_digest";
    const PRIORITY: i32 = 110;
    const MAX_ATTEMPTS: i32 = 6;

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("send_digest:{}:{}", self.user_id, self.local_date))
    }
}

// --------------------------------------------------------------- bookings

/// Which message a booking sends (see [`BookingNotice`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Notice {
    /// Booked (and confirmed), or a pending request confirmed.
    Booked,
    /// Booked, waiting for the agency's confirmation.
    Requested,
    Rescheduled,
    Cancelled,
    /// The calendar's reminder this many minutes before the start.
    Reminder {
        minutes_before: i32,
    },
}

impl Notice {
    fn key(self) -> String {
        match self {
            Notice::Booked => "booked".into(),
            Notice::Requested => "requested".into(),
            Notice::Rescheduled => "rescheduled".into(),
            Notice::Cancelled => "cancelled".into(),
            Notice::Reminder { minutes_before } => format!("reminder_{minutes_before}"),
        }
    }
}

/// The emails one version of a native booking sends: the invitee's
/// (with the `.ics` invitation) and the host's, or a reminder. `sequence`
/// is the booking's at the time: a later change makes the job stale, so a
/// moved booking's old reminders do nothing and each reminder fires once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingNotice {
    pub booking: AppointmentId,
    pub sequence: i32,
    pub notice: Notice,
}

impl JobPayload for BookingNotice {
    const KIND: &'static str = "booking_notice";
    // With the sends: the invitee is looking at the confirmation page.
    const PRIORITY: i32 = 30;

    fn dedupe_key(&self) -> Option<String> {
        Some(format!(
            "booking_notice:{}:{}:{}",
            self.booking,
            self.sequence,
            self.notice.key()
        ))
    }
}

/// Reads one member's external calendar feed into busy times (a
/// workspace job).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncBusyFeed {
    pub user_id: crate::UserId,
}

impl JobPayload for SyncBusyFeed {
    const KIND: &'static str = "sync_busy_feed";
    // Behind sends and steps; a feed that fails waits for the next round.
    const PRIORITY: i32 = 90;
    const MAX_ATTEMPTS: i32 = 3;

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("busy_feed:{}", self.user_id))
    }
}

/// Queues a [`SyncBusyFeed`] for every feed. Fired by its schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncBusyFeeds {}

impl JobPayload for SyncBusyFeeds {
    const KIND: &'static str = "sync_busy_feeds";
}

// ------------------------------------------------------------ automations

/// Hands one domain event to every subscriber that reacts to it
/// (automations, webhooks, Kommo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchEvent {
    pub event_id: EventId,
}

impl JobPayload for DispatchEvent {
    const KIND: &'static str = "dispatch_event";
    // Behind the steps and sends of enrolments already started (see the
    // module docs), ahead of webhook deliveries and imports.
    const PRIORITY: i32 = 50;
}

/// Routes one event to automations. Nothing enqueues it any more
/// (dispatch does the routing); jobs queued by an older version still run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationRoute {
    pub event_id: EventId,
}

impl JobPayload for AutomationRoute {
    const KIND: &'static str = "automation_route";
    // What older versions queued it with.
    const PRIORITY: i32 = 50;
}

/// Runs step `seq` of one enrolment. A job whose `seq` is stale (the
/// enrolment moved on) does nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationStep {
    pub enrollment_id: EnrollmentId,
    pub seq: i32,
}

impl JobPayload for AutomationStep {
    const KIND: &'static str = "automation_step";
    // Behind sends, ahead of dispatch: finish started work first.
    const PRIORITY: i32 = 40;
    // The step runner fails the enrolment (with an alert) on the last one.
    const MAX_ATTEMPTS: i32 = 5;

    /// One job per step of an enrolment, however often it is enqueued.
    fn dedupe_key(&self) -> Option<String> {
        Some(format!("step:{}:{}", self.enrollment_id, self.seq))
    }
}

/// The periodic sweep: time-based triggers, stuck enrolments, abandoned
/// Kommo batches. Fired by its schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationSweep {}

impl JobPayload for AutomationSweep {
    const KIND: &'static str = "automation_sweep";
}

// --------------------------------------------------------------- messages

/// Delivers one queued message (email, SMS, WhatsApp, call, Kommo sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessage {
    pub message_id: MessageId,
}

impl JobPayload for SendMessage {
    const KIND: &'static str = "send_message";
    // First of the pipeline: a person may be waiting for it.
    const PRIORITY: i32 = 30;
}

/// Decides on the SMS copy of a WhatsApp message Twilio reported
/// undelivered or failed after accepting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappFallback {
    pub message_id: MessageId,
}

impl JobPayload for WhatsappFallback {
    const KIND: &'static str = "whatsapp_fallback";
    const PRIORITY: i32 = 30;

    /// Twilio repeats status callbacks: one check per message at a time.
    fn dedupe_key(&self) -> Option<String> {
        Some(format!("{}:{}", Self::KIND, self.message_id))
    }
}

/// One signed POST of one stored delivery (`webhook_deliveries.id`) to its
/// endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverWebhook {
    pub delivery_id: Uuid,
}

impl JobPayload for DeliverWebhook {
    const KIND: &'static str = "deliver_webhook";
    const PRIORITY: i32 = 80;
    // With the queue's backoff, about a day of retries.
    const MAX_ATTEMPTS: i32 = 8;
}

// ------------------------------------------------------------ memberships

/// The hourly membership check: `membership.expiring` once per notice
/// point and period for running memberships (7 days before the end, and
/// each `subscription_expiring` workflow's days), and
/// `membership.expired` for those whose end has passed. Fired by its
/// schedule; running it twice writes nothing the second time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckMemberships {}

impl JobPayload for CheckMemberships {
    const KIND: &'static str = "check_memberships";
}

/// The retention check: hourly, it runs each workspace's daily check once
/// its local check hour has come (a compare-and-set on the local date, so
/// once a day whatever the number of workers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRetention {}

impl JobPayload for CheckRetention {
    const KIND: &'static str = "check_retention";
}

/// Recounts the reports' daily roll-up: the last `days` closed days of
/// every workspace that has any stored (statuses of messages and
/// appointments keep changing after their day has closed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshReports {
    pub days: i64,
}

impl JobPayload for RefreshReports {
    const KIND: &'static str = "refresh_reports";
}

// ---------------------------------------------------------------- imports

/// Runs a CSV import uploaded on the web. The workspace is in the payload
/// as well as on the job (the job's is what tenancy checks use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportContacts {
    pub workspace_id: WorkspaceId,
    pub import_id: ImportId,
}

impl JobPayload for ImportContacts {
    const KIND: &'static str = "import_contacts";

    /// A double submit queues the import once.
    fn dedupe_key(&self) -> Option<String> {
        Some(format!("import:{}", self.import_id))
    }
}

/// Runs a web CSV import of activities or memberships (`imports.kind`),
/// a batch of rows per transaction through the API's use cases, resuming
/// after the last committed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecords {
    pub workspace_id: WorkspaceId,
    pub import_id: ImportId,
}

impl JobPayload for ImportRecords {
    const KIND: &'static str = "import_records";

    /// A double submit queues the import once.
    fn dedupe_key(&self) -> Option<String> {
        Some(format!("import:{}", self.import_id))
    }
}

// ---------------------------------------------------------------- scoring

/// Enters the contacts that already stand at or above a new threshold's
/// `enter` (each once: the membership row decides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillThreshold {
    pub threshold_id: Uuid,
}

impl JobPayload for BackfillThreshold {
    const KIND: &'static str = "backfill_threshold";
    const PRIORITY: i32 = 90;

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("backfill_threshold:{}", self.threshold_id))
    }
}

/// Applies the inactivity decay rules of every workspace for the current
/// period (one ledger row per inactive contact, rule and period: running
/// it again in the same period adds nothing). Fired by its schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecayScores {}

impl JobPayload for DecayScores {
    const KIND: &'static str = "decay_scores";
}

/// Scores every contact of a workspace again under the current rules, a
/// batch per transaction (`af_db::recalculations`); the run's row holds the
/// progress and where to resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecalculateScores {
    pub recalculation_id: Uuid,
}

impl JobPayload for RecalculateScores {
    const KIND: &'static str = "recalculate_scores";

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("recalculate_scores:{}", self.recalculation_id))
    }
}

// ------------------------------------------------------------ maintenance

/// Deletes expired sessions and old sign-in attempts. Fired by its
/// schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupSessions {}

impl JobPayload for CleanupSessions {
    const KIND: &'static str = "cleanup_sessions";
}

/// Deletes audit log entries older than each workspace's retention
/// (default 400 days). Fired daily by its schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeAuditLog {}

impl JobPayload for PurgeAuditLog {
    const KIND: &'static str = "purge_audit_log";
}

/// Deletes old succeeded jobs and diagnostic effects. Fired by its
/// schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneJobs {}

impl JobPayload for PruneJobs {
    const KIND: &'static str = "prune_jobs";
}

// ------------------------------------------------------------ diagnostics
//
// Built into every node so operators can exercise the queue without
// touching real data (`agencyflow jobs diag`); see `af_jobs::diag`.

/// Does nothing (queue overhead alone). Any payload is accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagNoop {}

impl JobPayload for DiagNoop {
    const KIND: &'static str = "diag_noop";
}

/// `GET`s `url` (loopback or an allowed origin only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagHttp {
    pub url: String,
}

impl JobPayload for DiagHttp {
    const KIND: &'static str = "diag_http";
}

/// Records its effect once per idempotency key, working `sleep_ms` before
/// the effect and holding `hold_ms` after it (to widen a crash test's
/// window).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ms: Option<u64>,
}

impl JobPayload for DiagRecord {
    const KIND: &'static str = "diag_record";
}

/// Always fails permanently (with `message`, if given), to try the failure
/// views, retry and discard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagFail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl JobPayload for DiagFail {
    const KIND: &'static str = "diag_fail";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeSet;

    #[test]
    fn kinds_are_unique_and_snake_case() {
        let unique: BTreeSet<_> = KINDS.iter().collect();
        assert_eq!(unique.len(), KINDS.len(), "a kind is listed twice");
        for k in KINDS {
            assert!(
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{k}"
            );
        }
    }

    fn round_trip<P: JobPayload + PartialEq + std::fmt::Debug>(p: P) {
        let text = serde_json::to_string(&p).expect("serializes");
        let back: P = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, p, "{} via {text}", P::KIND);
    }

    #[test]
    fn payloads_round_trip() {
        round_trip(SystemMail {
            sealed: "abc".into(),
        });
        round_trip(DispatchEvent {
            event_id: EventId::new(),
        });
        round_trip(AutomationRoute {
            event_id: EventId::new(),
        });
        round_trip(AutomationStep {
            enrollment_id: EnrollmentId::new(),
            seq: 3,
        });
        round_trip(SendMessage {
            message_id: MessageId::new(),
        });
        round_trip(WhatsappFallback {
            message_id: MessageId::new(),
        });
        round_trip(DeliverWebhook {
            delivery_id: Uuid::now_v7(),
        });
        round_trip(ImportContacts {
            workspace_id: WorkspaceId::new(),
            import_id: ImportId::new(),
        });
        round_trip(AutomationSweep {});
        round_trip(CleanupSessions {});
        round_trip(PruneJobs {});
        round_trip(DiagNoop {});
        round_trip(DiagHttp {
            url: "http://127.0.0.1/".into(),
        });
        round_trip(DiagRecord {
            sleep_ms: Some(5),
            hold_ms: None,
        });
        round_trip(DiagFail {
            message: Some("no".into()),
        });
    }

    /// Jobs queued by earlier versions (hand-written `json!` payloads)
    /// still parse: the stored form did not change.
    #[test]
    fn stored_payloads_of_earlier_versions_parse() {
        let id = uuid::Uuid::now_v7();
        let send: SendMessage =
            serde_json::from_value(json!({ "message_id": id })).expect("send_message");
        assert_eq!(send.message_id, MessageId(id));
        let step: AutomationStep =
            serde_json::from_value(json!({ "enrollment_id": id, "seq": 2 })).expect("step");
        assert_eq!((step.enrollment_id, step.seq), (EnrollmentId(id), 2));
        let import: ImportContacts =
            serde_json::from_value(json!({ "workspace_id": id, "import_id": id })).expect("import");
        assert_eq!(import.import_id, ImportId(id));
        let delivery: DeliverWebhook =
            serde_json::from_value(json!({ "delivery_id": id })).expect("delivery");
        assert_eq!(delivery.delivery_id, id);
        // Schedules store `{}`; the CLI adds fields a kind may ignore.
        let _: AutomationSweep = serde_json::from_value(json!({})).expect("sweep");
        let _: DiagNoop = serde_json::from_value(json!({ "sleep_ms": 5 })).expect("noop");
        // What the payloads serialize to is exactly what was stored before.
        assert_eq!(
            serde_json::to_value(SendMessage {
                message_id: MessageId(id)
            })
            .expect("json"),
            json!({ "message_id": id })
        );
        assert_eq!(
            serde_json::to_value(DiagRecord::default()).expect("json"),
            json!({})
        );
    }

    #[test]
    fn declared_queueing_runs_the_pipeline_downstream_first() {
        let id = uuid::Uuid::nil();
        assert_eq!(
            (DispatchEvent::PRIORITY, DispatchEvent::MAX_ATTEMPTS),
            (50, 10)
        );
        assert_eq!(
            (AutomationStep::PRIORITY, AutomationStep::MAX_ATTEMPTS),
            (40, 5)
        );
        assert_eq!((SendMessage::PRIORITY, SendMessage::MAX_ATTEMPTS), (30, 10));
        const {
            assert!(SendMessage::PRIORITY < AutomationStep::PRIORITY);
            assert!(AutomationStep::PRIORITY < DispatchEvent::PRIORITY);
        }
        assert_eq!(
            (DeliverWebhook::PRIORITY, DeliverWebhook::MAX_ATTEMPTS),
            (80, 8)
        );
        assert_eq!((SystemMail::PRIORITY, SystemMail::MAX_ATTEMPTS), (0, 6));
        assert_eq!(
            AutomationStep {
                enrollment_id: EnrollmentId(id),
                seq: 4
            }
            .dedupe_key(),
            Some(format!("step:{id}:4"))
        );
        assert_eq!(
            WhatsappFallback {
                message_id: MessageId(id)
            }
            .dedupe_key(),
            Some(format!("whatsapp_fallback:{id}"))
        );
        assert_eq!(
            ImportContacts {
                workspace_id: WorkspaceId(id),
                import_id: ImportId(id)
            }
            .dedupe_key(),
            Some(format!("import:{id}"))
        );
        assert_eq!(
            SendMessage {
                message_id: MessageId(id)
            }
            .dedupe_key(),
            None
        );
    }
}
