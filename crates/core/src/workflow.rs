//! Workflow definitions: the JSON a user (or the API) writes — one trigger,
//! an ordered tree of steps, exit goals and a re-entry rule — and the pure
//! rules over it: shape validation, step ids, "which step comes next",
//! conditions, and when a wait ends (DST-correct, business hours).
//!
//! The executor (af-engine) stores a definition per version and walks it
//! one step at a time; nothing here does I/O.

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A whole workflow as written by its author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub trigger: Trigger,
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Events that end a contact's enrolment at once (checked before every
    /// step too), e.g. `["appointment_booked"]`.
    #[serde(default)]
    pub exit_on: Vec<EventMatch>,
    #[serde(default)]
    pub reentry: Reentry,
    #[serde(default)]
    pub active: bool,
}

/// May a contact enter the workflow again?
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reentry {
    /// Once per contact, ever.
    #[default]
    Never,
    /// Again once the previous enrolment has ended.
    AfterExit,
    /// Every time the trigger fires (still one active enrolment at a time).
    Always,
}

impl Reentry {
    pub fn as_str(self) -> &'static str {
        match self {
            Reentry::Never => "never",
            Reentry::AfterExit => "after_exit",
            Reentry::Always => "always",
        }
    }
}

/// What starts an enrolment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    #[serde(flatten)]
    pub kind: TriggerKind,
    /// Only enrol when this holds for the contact / event data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Condition>,
}

/// The event types a trigger (or an exit goal, or a wait-for-event) can
/// listen to, with their parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TriggerKind {
    LeadCreated,
    StageChanged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pipeline_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_stage_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_stage_id: Option<String>,
    },
    FormSubmitted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        form_id: Option<String>,
    },
    AppointmentBooked,
    AppointmentCancelled,
    TagAdded {
        tag: String,
    },
    TagRemoved {
        tag: String,
    },
    /// The score crossed `threshold` upwards (old < threshold ≤ new).
    ScoreReached {
        threshold: i64,
    },
    /// No activity on the contact for `days` (checked by the periodic sweep).
    ContactInactive {
        days: i64,
    },
    SubscriptionCreated,
    /// A subscription ends in `days` (checked by the periodic sweep).
    SubscriptionExpiring {
        days: i64,
    },
    TrialStarted,
    FirstVisit,
    InboundMessage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    CallOutcome {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<String>,
    },
    /// A custom event posted through the API (`POST /api/v1/events`).
    CustomEvent {
        name: String,
    },
    /// A time relative to a booked appointment's start: negative minutes
    /// before (`-1440` = 24 h before), positive after (a survey).
    AppointmentRelative {
        offset_minutes: i64,
    },
}

impl TriggerKind {
    /// The trigger's name as written in JSON (`lead_created`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            TriggerKind::LeadCreated => "lead_created",
            TriggerKind::StageChanged { .. } => "stage_changed",
            TriggerKind::FormSubmitted { .. } => "form_submitted",
            TriggerKind::AppointmentBooked => "appointment_booked",
            TriggerKind::AppointmentCancelled => "appointment_cancelled",
            TriggerKind::TagAdded { .. } => "tag_added",
            TriggerKind::TagRemoved { .. } => "tag_removed",
            TriggerKind::ScoreReached { .. } => "score_reached",
            TriggerKind::ContactInactive { .. } => "contact_inactive",
            TriggerKind::SubscriptionCreated => "subscription_created",
            TriggerKind::SubscriptionExpiring { .. } => "subscription_expiring",
            TriggerKind::TrialStarted => "trial_started",
            TriggerKind::FirstVisit => "first_visit",
            TriggerKind::InboundMessage { .. } => "inbound_message",
            TriggerKind::CallOutcome { .. } => "call_outcome",
            TriggerKind::CustomEvent { .. } => "custom_event",
            TriggerKind::AppointmentRelative { .. } => "appointment_relative",
        }
    }

    /// The domain event kind (the `events.kind` column) this trigger reacts
    /// to, or `None` for the time-based ones found by the sweep.
    pub fn event_kind(&self) -> Option<String> {
        Some(
            match self {
                TriggerKind::LeadCreated => "contact.created",
                TriggerKind::StageChanged { .. } => "deal.stage_changed",
                TriggerKind::FormSubmitted { .. } => "form.submitted",
                TriggerKind::AppointmentBooked | TriggerKind::AppointmentRelative { .. } => {
                    "appointment.booked"
                }
                TriggerKind::AppointmentCancelled => "appointment.cancelled",
                TriggerKind::TagAdded { .. } => "tag.added",
                TriggerKind::TagRemoved { .. } => "tag.removed",
                TriggerKind::ScoreReached { .. } => "contact.score_changed",
                TriggerKind::SubscriptionCreated => "subscription.created",
                TriggerKind::TrialStarted => "trial.started",
                TriggerKind::FirstVisit => "contact.first_visit",
                TriggerKind::InboundMessage { .. } => "message.inbound",
                TriggerKind::CallOutcome { .. } => "call.completed",
                TriggerKind::CustomEvent { name } => return Some(format!("custom.{name}")),
                TriggerKind::ContactInactive { .. } | TriggerKind::SubscriptionExpiring { .. } => {
                    return None;
                }
            }
            .to_string(),
        )
    }

    /// Whether an event of the right kind also matches this trigger's
    /// parameters (`data` is the event's JSON data).
    pub fn matches(&self, kind: &str, data: &serde_json::Value) -> bool {
        if self.event_kind().as_deref() != Some(kind) {
            return false;
        }
        let s = |k: &str| data.get(k).and_then(json_text);
        let same = |want: &Option<String>, k: &str| {
            want.as_ref()
                .is_none_or(|w| s(k).is_some_and(|v| v.eq_ignore_ascii_case(w)))
        };
        match self {
            TriggerKind::StageChanged {
                pipeline_id,
                from_stage_id,
                to_stage_id,
            } => {
                same(pipeline_id, "pipeline_id")
                    && same(from_stage_id, "from_stage_id")
                    && same(to_stage_id, "to_stage_id")
            }
            TriggerKind::FormSubmitted { form_id } => same(form_id, "form_id"),
            TriggerKind::TagAdded { tag } | TriggerKind::TagRemoved { tag } => s("tag")
                .is_some_and(|t| crate::contact::tag_key(&t) == crate::contact::tag_key(tag)),
            TriggerKind::ScoreReached { threshold } => {
                let n = |k: &str| data.get(k).and_then(serde_json::Value::as_i64);
                matches!((n("old"), n("new")), (Some(o), Some(n)) if o < *threshold && n >= *threshold)
            }
            TriggerKind::InboundMessage { channel } => same(channel, "channel"),
            TriggerKind::CallOutcome { outcome } => same(outcome, "outcome"),
            _ => true,
        }
    }
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// An event pattern for exit goals and wait-for-event: either a bare type
/// name (`"appointment_booked"`) or an object with the trigger's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventMatch {
    Name(String),
    Spec(TriggerKind),
}

impl EventMatch {
    /// The pattern as a trigger kind (bare names take no parameters).
    pub fn to_kind(&self) -> Result<TriggerKind, String> {
        match self {
            EventMatch::Spec(k) => Ok(k.clone()),
            EventMatch::Name(n) => serde_json::from_value(serde_json::json!({ "type": n }))
                .map_err(|_| format!("unknown event type \"{n}\"")),
        }
    }
}

/// A step and its id (stable across edits; assigned when missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(flatten)]
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    SendEmail {
        #[serde(default)]
        subject: String,
        #[serde(default)]
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        html: Option<String>,
        /// Use a saved template instead of the inline subject/body.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template_id: Option<String>,
        /// Booking confirmations and the like: sent even to unsubscribed
        /// contacts (marketing is the default).
        #[serde(default)]
        transactional: bool,
    },
    SendSms {
        #[serde(default)]
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template_id: Option<String>,
    },
    SendWhatsapp {
        #[serde(default)]
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template_id: Option<String>,
        /// Send the same text by SMS when WhatsApp fails.
        #[serde(default = "yes")]
        fallback_sms: bool,
    },
    /// A phone call that reads `say` (or plays `play_url`); its outcome
    /// (answered / no_answer / busy / failed / voicemail) becomes the step's
    /// outcome for a following if/else.
    VoiceCall {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        say: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        play_url: Option<String>,
        #[serde(default)]
        machine_detection: bool,
        /// How long to wait for the call's outcome before taking no_answer.
        #[serde(default = "thirty")]
        timeout_minutes: i64,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    MoveToStage {
        stage_id: String,
    },
    CreateTask {
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due_in_hours: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee_id: Option<String>,
    },
    /// An in-app notification to the workspace's members (and an email
    /// to each when `email` is set).
    NotifyTeam {
        message: String,
        #[serde(default)]
        email: bool,
    },
    Webhook {
        url: String,
    },
    ChangeScore {
        delta: i64,
    },
    /// Sets a contact field: `first_name`, `last_name`, `company`, `source`,
    /// `lifecycle`, or `custom.<key>`.
    SetField {
        field: String,
        value: serde_json::Value,
    },
    EnrollIn {
        workflow_id: String,
    },
    RemoveFrom {
        workflow_id: String,
    },
    KommoSync,
    Wait(Wait),
    IfElse {
        condition: Condition,
        #[serde(default, rename = "then")]
        then_steps: Vec<Step>,
        #[serde(default, rename = "else")]
        else_steps: Vec<Step>,
    },
    WaitForEvent {
        event: EventMatch,
        #[serde(default)]
        timeout_minutes: i64,
        #[serde(default)]
        timeout_hours: i64,
        #[serde(default)]
        timeout_days: i64,
        #[serde(default)]
        on_event: Vec<Step>,
        #[serde(default)]
        on_timeout: Vec<Step>,
    },
}

fn yes() -> bool {
    true
}

fn thirty() -> i64 {
    30
}

impl Action {
    /// The step's type name as written in JSON.
    pub fn type_name(&self) -> &'static str {
        match self {
            Action::SendEmail { .. } => "send_email",
            Action::SendSms { .. } => "send_sms",
            Action::SendWhatsapp { .. } => "send_whatsapp",
            Action::VoiceCall { .. } => "voice_call",
            Action::AddTag { .. } => "add_tag",
            Action::RemoveTag { .. } => "remove_tag",
            Action::MoveToStage { .. } => "move_to_stage",
            Action::CreateTask { .. } => "create_task",
            Action::NotifyTeam { .. } => "notify_team",
            Action::Webhook { .. } => "webhook",
            Action::ChangeScore { .. } => "change_score",
            Action::SetField { .. } => "set_field",
            Action::EnrollIn { .. } => "enroll_in",
            Action::RemoveFrom { .. } => "remove_from",
            Action::KommoSync => "kommo_sync",
            Action::Wait(_) => "wait",
            Action::IfElse { .. } => "if_else",
            Action::WaitForEvent { .. } => "wait_for_event",
        }
    }

    /// Nested step lists (branches), in order.
    fn branches(&self) -> Vec<&Vec<Step>> {
        match self {
            Action::IfElse {
                then_steps,
                else_steps,
                ..
            } => vec![then_steps, else_steps],
            Action::WaitForEvent {
                on_event,
                on_timeout,
                ..
            } => vec![on_event, on_timeout],
            _ => vec![],
        }
    }

    fn branches_mut(&mut self) -> Vec<&mut Vec<Step>> {
        match self {
            Action::IfElse {
                then_steps,
                else_steps,
                ..
            } => vec![then_steps, else_steps],
            Action::WaitForEvent {
                on_event,
                on_timeout,
                ..
            } => vec![on_event, on_timeout],
            _ => vec![],
        }
    }
}

/// A delay, optionally snapped to a local time of day or to business hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    #[serde(default)]
    pub minutes: i64,
    #[serde(default)]
    pub hours: i64,
    /// Calendar days in the chosen time zone (same local time, even across
    /// a DST change).
    #[serde(default)]
    pub days: i64,
    /// `"09:00"`: after the delay, continue at the next 09:00 local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_time: Option<String>,
    /// Whose local time: the contact's (falls back to the workspace's) or
    /// the workspace's.
    #[serde(default)]
    pub time_zone: WaitZone,
    /// Move the end of the wait into the workspace's business hours.
    #[serde(default)]
    pub business_hours: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitZone {
    #[default]
    Contact,
    Workspace,
}

/// Open hours: the same window on the listed weekdays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    pub open: Time,
    pub close: Time,
    pub days: Vec<Weekday>,
}

impl Default for BusinessHours {
    /// Monday to Friday, 09:00–18:00.
    fn default() -> Self {
        Self {
            open: Time::constant(9, 0, 0, 0),
            close: Time::constant(18, 0, 0, 0),
            days: vec![
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
        }
    }
}

impl Wait {
    /// The total fixed part as a duration (for display and validation).
    pub fn is_empty(&self) -> bool {
        self.minutes == 0
            && self.hours == 0
            && self.days == 0
            && self.until_time.is_none()
            && !self.business_hours
    }

    /// When a wait that starts at `now` ends, in `tz`.
    pub fn ends_at(
        &self,
        now: Timestamp,
        tz: &TimeZone,
        hours: &BusinessHours,
    ) -> Result<Timestamp, String> {
        let start = now.to_zoned(tz.clone());
        let mut at: Zoned = start
            .checked_add(self.days.days())
            .map_err(|e| format!("wait too long: {e}"))?;
        let fixed = SignedDuration::from_mins(self.minutes)
            .checked_add(SignedDuration::from_hours(self.hours))
            .ok_or("wait too long")?;
        at = at
            .checked_add(fixed)
            .map_err(|e| format!("wait too long: {e}"))?;
        if let Some(t) = &self.until_time {
            let time = parse_time(t)?;
            at = next_local_time(&at, time)?;
        }
        if self.business_hours {
            at = into_business_hours(&at, hours)?;
        }
        Ok(at.timestamp())
    }
}

/// `"09:00"` or `"9:30"` as a time of day.
pub fn parse_time(s: &str) -> Result<Time, String> {
    let bad = || format!("\"{s}\" is not a time like 09:00");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// The first instant at or after `at` whose local time is `time`. When
/// `time` does not exist that day (a DST gap), the first instant after the
/// gap; when it happens twice (a fold), the earlier one.
fn next_local_time(at: &Zoned, time: Time) -> Result<Zoned, String> {
    let tz = at.time_zone().clone();
    let mut day = at.date();
    for _ in 0..3 {
        let candidate = day
            .to_datetime(time)
            .to_zoned(tz.clone())
            .map_err(|e| e.to_string())?;
        if candidate.timestamp() >= at.timestamp() {
            return Ok(candidate);
        }
        day = day.tomorrow().map_err(|e| e.to_string())?;
    }
    Err("no such local time".into())
}

/// `at` when it falls inside business hours, else the next opening.
fn into_business_hours(at: &Zoned, hours: &BusinessHours) -> Result<Zoned, String> {
    if hours.days.is_empty() || hours.open >= hours.close {
        return Ok(at.clone());
    }
    let tz = at.time_zone().clone();
    let mut day = at.date();
    for _ in 0..8 {
        if hours.days.contains(&day.weekday()) {
            let open = day
                .to_datetime(hours.open)
                .to_zoned(tz.clone())
                .map_err(|e| e.to_string())?;
            let close = day
                .to_datetime(hours.close)
                .to_zoned(tz.clone())
                .map_err(|e| e.to_string())?;
            if at.timestamp() < open.timestamp() {
                return Ok(open);
            }
            if at.timestamp() < close.timestamp() {
                return Ok(at.clone());
            }
        }
        day = day.tomorrow().map_err(|e| e.to_string())?;
    }
    Ok(at.clone())
}

/// A yes/no question about the contact, the trigger's data or the last
/// step's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// `contact.company`, `contact.custom.plan`, `event.to_stage` ...
    Field {
        field: String,
        #[serde(default)]
        op: Op,
        #[serde(default)]
        value: serde_json::Value,
    },
    HasTag {
        tag: String,
    },
    Score {
        #[serde(default)]
        op: Op,
        value: i64,
    },
    /// The previous step's outcome is one of these (`no_answer`, `busy` ...).
    Outcome {
        #[serde(rename = "in")]
        any_of: Vec<String>,
    },
    All {
        conditions: Vec<Condition>,
    },
    Any {
        conditions: Vec<Condition>,
    },
    Not {
        condition: Box<Condition>,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    #[default]
    Eq,
    Ne,
    Contains,
    Empty,
    NotEmpty,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// The largest score and score threshold a definition may name.
pub const MAX_SCORE: i64 = 1_000_000_000;

/// Ten years in minutes: the longest any wait or timeout may be.
const MAX_MINUTES: i64 = 5_256_000;

/// What a condition is evaluated against.
pub struct Facts<'a> {
    /// `{"contact": {...}, "event": {...}}`: looked up by dotted path.
    pub data: &'a serde_json::Value,
    /// Tag keys (see [`crate::contact::tag_key`]).
    pub tags: &'a HashSet<String>,
    pub score: i64,
    pub last_outcome: Option<&'a str>,
}

impl Condition {
    pub fn eval(&self, f: &Facts<'_>) -> bool {
        match self {
            Condition::Field { field, op, value } => {
                let got = lookup(f.data, field);
                compare(got, *op, value)
            }
            Condition::HasTag { tag } => f.tags.contains(&crate::contact::tag_key(tag)),
            Condition::Score { op, value } => compare(
                Some(&serde_json::json!(f.score)),
                *op,
                &serde_json::json!(value),
            ),
            Condition::Outcome { any_of } => f
                .last_outcome
                .is_some_and(|o| any_of.iter().any(|a| a.eq_ignore_ascii_case(o))),
            Condition::All { conditions } => conditions.iter().all(|c| c.eval(f)),
            Condition::Any { conditions } => conditions.iter().any(|c| c.eval(f)),
            Condition::Not { condition } => !condition.eval(f),
        }
    }

    fn check(&self, path: &str, errors: &mut Vec<String>) {
        match self {
            Condition::Field { field, .. } if field.trim().is_empty() => {
                errors.push(format!("{path}: the condition needs a field"))
            }
            Condition::HasTag { tag } if tag.trim().is_empty() => {
                errors.push(format!("{path}: the condition needs a tag"))
            }
            Condition::All { conditions } | Condition::Any { conditions } => {
                for (i, c) in conditions.iter().enumerate() {
                    c.check(&format!("{path}.conditions[{i}]"), errors);
                }
            }
            Condition::Not { condition } => condition.check(&format!("{path}.condition"), errors),
            _ => {}
        }
    }

    /// Tag names the condition mentions (a tag in use cannot be deleted).
    pub fn tags(&self, out: &mut Vec<String>) {
        match self {
            Condition::HasTag { tag } => out.push(tag.clone()),
            Condition::All { conditions } | Condition::Any { conditions } => {
                conditions.iter().for_each(|c| c.tags(out))
            }
            Condition::Not { condition } => condition.tags(out),
            _ => {}
        }
    }
}

fn lookup<'a>(data: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut cur = data;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn compare(got: Option<&serde_json::Value>, op: Op, want: &serde_json::Value) -> bool {
    let text = |v: &serde_json::Value| json_text(v).unwrap_or_default();
    let empty = got.is_none_or(|v| v.is_null() || text(v).trim().is_empty());
    match op {
        Op::Empty => empty,
        Op::NotEmpty => !empty,
        Op::Eq => got.is_some_and(|g| text(g).eq_ignore_ascii_case(&text(want))),
        Op::Ne => !got.is_some_and(|g| text(g).eq_ignore_ascii_case(&text(want))),
        Op::Contains => {
            got.is_some_and(|g| text(g).to_lowercase().contains(&text(want).to_lowercase()))
        }
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
            let num = |v: &serde_json::Value| v.as_f64().or_else(|| text(v).trim().parse().ok());
            let (Some(a), Some(b)) = (got.and_then(num), num(want)) else {
                return false;
            };
            match op {
                Op::Gt => a > b,
                Op::Gte => a >= b,
                Op::Lt => a < b,
                _ => a <= b,
            }
        }
    }
}

/// The references a definition makes to other records, so saving can check
/// they exist and deleting them can be refused while a workflow uses them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct References {
    pub stage_ids: Vec<String>,
    pub pipeline_ids: Vec<String>,
    pub tags: Vec<String>,
    pub form_ids: Vec<String>,
    pub template_ids: Vec<String>,
    pub workflow_ids: Vec<String>,
    pub custom_fields: Vec<String>,
    pub user_ids: Vec<String>,
}

/// Channels the definition sends through (to check they are configured).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChannelUse {
    pub email: bool,
    pub sms: bool,
    pub whatsapp: bool,
    pub voice: bool,
    pub webhook: bool,
    pub kommo: bool,
}

impl Definition {
    /// Parses and checks a definition, giving missing step ids a stable
    /// `s1`, `s2`, ... in document order. Errors name the offending path.
    pub fn parse(json: &serde_json::Value) -> Result<Definition, Vec<String>> {
        let mut def: Definition =
            serde_json::from_value(json.clone()).map_err(|e| vec![e.to_string()])?;
        def.assign_ids();
        def.check()?;
        Ok(def)
    }

    fn assign_ids(&mut self) {
        let mut taken: HashSet<String> = HashSet::new();
        visit(&self.steps, &mut |s| {
            if !s.id.is_empty() {
                taken.insert(s.id.clone());
            }
        });
        let mut n = 0;
        fn fill(steps: &mut [Step], taken: &mut HashSet<String>, n: &mut usize) {
            for s in steps {
                if s.id.is_empty() {
                    loop {
                        *n += 1;
                        let id = format!("s{n}");
                        if taken.insert(id.clone()) {
                            s.id = id;
                            break;
                        }
                    }
                }
                for b in s.action.branches_mut() {
                    fill(b, taken, n);
                }
            }
        }
        fill(&mut self.steps, &mut taken, &mut n);
    }

    /// Shape rules the JSON types cannot express.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push("name: required".into());
        }
        if self.name.chars().count() > 200 {
            errors.push("name: at most 200 characters".into());
        }
        if let Some(f) = &self.trigger.filter {
            f.check("trigger.filter", &mut errors);
        }
        match &self.trigger.kind {
            TriggerKind::TagAdded { tag } | TriggerKind::TagRemoved { tag }
                if tag.trim().is_empty() =>
            {
                errors.push("trigger.tag: required".into())
            }
            TriggerKind::ContactInactive { days } | TriggerKind::SubscriptionExpiring { days }
                if !(1..=3650).contains(days) =>
            {
                errors.push("trigger.days: between 1 and 3650".into())
            }
            TriggerKind::ScoreReached { threshold }
                if threshold.unsigned_abs() > MAX_SCORE as u64 =>
            {
                errors.push(format!(
                    "trigger.threshold: between -{MAX_SCORE} and {MAX_SCORE}"
                ))
            }
            TriggerKind::CustomEvent { name } if !valid_event_name(name) => errors
                .push("trigger.name: letters, digits, '_', '-' and '.' only (at most 100)".into()),
            TriggerKind::AppointmentRelative { offset_minutes }
                if offset_minutes.unsigned_abs() > 60 * 24 * 365 =>
            {
                errors.push("trigger.offset_minutes: at most one year".into())
            }
            _ => {}
        }
        for (i, m) in self.exit_on.iter().enumerate() {
            if let Err(e) = m.to_kind() {
                errors.push(format!("exit_on[{i}]: {e}"));
            }
        }
        let mut seen = HashSet::new();
        let mut count = 0;
        check_steps(&self.steps, "steps", &mut seen, &mut count, &mut errors);
        if count > 500 {
            errors.push("steps: at most 500 steps".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The step with this id anywhere in the tree.
    pub fn step(&self, id: &str) -> Option<&Step> {
        find(&self.steps, id)
    }

    /// The first step, if any.
    pub fn first_step(&self) -> Option<&str> {
        self.steps.first().map(|s| s.id.as_str())
    }

    /// For each step id, the step that follows it when it finishes without
    /// taking a branch (the next sibling, else whatever follows the
    /// enclosing branch; `None` = the workflow ends).
    pub fn successors(&self) -> HashMap<String, Option<String>> {
        let mut map = HashMap::new();
        fn walk(steps: &[Step], cont: Option<&str>, map: &mut HashMap<String, Option<String>>) {
            for (i, s) in steps.iter().enumerate() {
                let next = steps.get(i + 1).map(|n| n.id.as_str()).or(cont);
                map.insert(s.id.clone(), next.map(str::to_string));
                for b in s.action.branches() {
                    walk(b, next, map);
                }
            }
        }
        walk(&self.steps, None, &mut map);
        map
    }

    /// The step after `id` when it finishes normally.
    pub fn next_after(&self, id: &str) -> Option<String> {
        self.successors().get(id).cloned().flatten()
    }

    /// Where a branch of step `id` starts: its first step, or (empty
    /// branch) the step after `id`.
    pub fn branch_entry(&self, id: &str, branch: &[Step]) -> Option<String> {
        branch
            .first()
            .map(|s| s.id.clone())
            .or_else(|| self.next_after(id))
    }

    /// Event kinds this workflow must hear about: its trigger, its exit
    /// goals, the events its steps wait for, and call outcomes.
    pub fn listened_kinds(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        if let Some(k) = self.trigger.kind.event_kind() {
            out.push((k, "trigger"));
        }
        if matches!(self.trigger.kind, TriggerKind::AppointmentRelative { .. }) {
            out.push(("appointment.cancelled".into(), "exit"));
        }
        for m in &self.exit_on {
            if let Ok(k) = m.to_kind()
                && let Some(kind) = k.event_kind()
            {
                out.push((kind, "exit"));
            }
        }
        visit(&self.steps, &mut |s| match &s.action {
            Action::WaitForEvent { event, .. } => {
                if let Ok(k) = event.to_kind()
                    && let Some(kind) = k.event_kind()
                {
                    out.push((kind, "wait"));
                }
            }
            Action::VoiceCall { .. } => out.push(("call.completed".into(), "wait")),
            _ => {}
        });
        out.sort();
        out.dedup();
        out
    }

    /// Exit goals as trigger kinds (unknown names were refused by
    /// [`Definition::check`]).
    pub fn exit_kinds(&self) -> Vec<TriggerKind> {
        let mut out: Vec<TriggerKind> = self
            .exit_on
            .iter()
            .filter_map(|m| m.to_kind().ok())
            .collect();
        if matches!(self.trigger.kind, TriggerKind::AppointmentRelative { .. }) {
            out.push(TriggerKind::AppointmentCancelled);
        }
        out
    }

    /// Records this definition points at.
    pub fn references(&self) -> References {
        let mut r = References::default();
        match &self.trigger.kind {
            TriggerKind::StageChanged {
                pipeline_id,
                from_stage_id,
                to_stage_id,
            } => {
                r.pipeline_ids.extend(pipeline_id.clone());
                r.stage_ids.extend(from_stage_id.clone());
                r.stage_ids.extend(to_stage_id.clone());
            }
            TriggerKind::FormSubmitted { form_id } => r.form_ids.extend(form_id.clone()),
            TriggerKind::TagAdded { tag } | TriggerKind::TagRemoved { tag } => {
                r.tags.push(tag.clone())
            }
            _ => {}
        }
        if let Some(f) = &self.trigger.filter {
            f.tags(&mut r.tags);
        }
        visit(&self.steps, &mut |s| match &s.action {
            Action::SendEmail { template_id, .. }
            | Action::SendSms { template_id, .. }
            | Action::SendWhatsapp { template_id, .. } => {
                r.template_ids.extend(template_id.clone())
            }
            Action::AddTag { tag } | Action::RemoveTag { tag } => r.tags.push(tag.clone()),
            Action::MoveToStage { stage_id } => r.stage_ids.push(stage_id.clone()),
            Action::CreateTask { assignee_id, .. } => r.user_ids.extend(assignee_id.clone()),
            Action::SetField { field, .. } => {
                if let Some(k) = field.strip_prefix("custom.") {
                    r.custom_fields.push(k.to_string())
                }
            }
            Action::EnrollIn { workflow_id } | Action::RemoveFrom { workflow_id } => {
                r.workflow_ids.push(workflow_id.clone())
            }
            Action::IfElse { condition, .. } => condition.tags(&mut r.tags),
            _ => {}
        });
        r
    }

    /// Channels the steps send through.
    pub fn channels(&self) -> ChannelUse {
        let mut c = ChannelUse::default();
        visit(&self.steps, &mut |s| match &s.action {
            Action::SendEmail { .. } | Action::NotifyTeam { email: true, .. } => c.email = true,
            Action::SendSms { .. } => c.sms = true,
            Action::SendWhatsapp { fallback_sms, .. } => {
                c.whatsapp = true;
                c.sms |= *fallback_sms;
            }
            Action::VoiceCall { .. } => c.voice = true,
            Action::Webhook { .. } => c.webhook = true,
            Action::KommoSync => c.kommo = true,
            _ => {}
        });
        c
    }

    /// Every step in document order (for lists and counts).
    pub fn all_steps(&self) -> Vec<&Step> {
        let mut out = Vec::new();
        fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a Step>) {
            for s in steps {
                out.push(s);
                for b in s.action.branches() {
                    walk(b, out);
                }
            }
        }
        walk(&self.steps, &mut out);
        out
    }
}

fn find<'a>(steps: &'a [Step], id: &str) -> Option<&'a Step> {
    for s in steps {
        if s.id == id {
            return Some(s);
        }
        for b in s.action.branches() {
            if let Some(f) = find(b, id) {
                return Some(f);
            }
        }
    }
    None
}

fn visit<'a>(steps: &'a [Step], f: &mut impl FnMut(&'a Step)) {
    for s in steps {
        f(s);
        for b in s.action.branches() {
            visit(b, f);
        }
    }
}

fn valid_event_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 100
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Whether `name` may be used as a custom event name.
pub fn is_valid_custom_event(name: &str) -> bool {
    valid_event_name(name)
}

fn check_steps(
    steps: &[Step],
    path: &str,
    seen: &mut HashSet<String>,
    count: &mut usize,
    errors: &mut Vec<String>,
) {
    for (i, s) in steps.iter().enumerate() {
        *count += 1;
        let p = format!("{path}[{i}]");
        if s.id.len() > 64
            || !s
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errors.push(format!("{p}.id: letters, digits, '_' and '-' only"));
        }
        if !seen.insert(s.id.clone()) {
            errors.push(format!("{p}.id: \"{}\" is used twice", s.id));
        }
        let req = |errors: &mut Vec<String>, field: &str, v: &str| {
            if v.trim().is_empty() {
                errors.push(format!("{p}.{field}: required"));
            }
        };
        match &s.action {
            Action::SendEmail {
                subject,
                body,
                template_id,
                ..
            } => {
                if template_id.is_none() {
                    req(errors, "subject", subject);
                    req(errors, "body", body);
                }
                for (f, t) in [("subject", subject), ("body", body)] {
                    if let Err(e) = crate::templating::check(t) {
                        errors.push(format!("{p}.{f}: {e}"));
                    }
                }
            }
            Action::SendSms { body, template_id }
            | Action::SendWhatsapp {
                body, template_id, ..
            } => {
                if template_id.is_none() {
                    req(errors, "body", body);
                }
                if let Err(e) = crate::templating::check(body) {
                    errors.push(format!("{p}.body: {e}"));
                }
            }
            Action::VoiceCall {
                say,
                play_url,
                timeout_minutes,
                ..
            } => {
                if say.as_deref().is_none_or(|t| t.trim().is_empty()) && play_url.is_none() {
                    errors.push(format!("{p}: a call needs \"say\" or \"play_url\""));
                }
                if !(1..=1440).contains(timeout_minutes) {
                    errors.push(format!("{p}.timeout_minutes: between 1 and 1440"));
                }
            }
            Action::AddTag { tag } | Action::RemoveTag { tag } => req(errors, "tag", tag),
            Action::MoveToStage { stage_id } => req(errors, "stage_id", stage_id),
            Action::CreateTask { title, .. } => req(errors, "title", title),
            Action::NotifyTeam { message, .. } => req(errors, "message", message),
            Action::Webhook { url } => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    errors.push(format!("{p}.url: an http(s) URL"));
                }
            }
            Action::ChangeScore { delta } => {
                if *delta == 0 || delta.unsigned_abs() > 1000 {
                    errors.push(format!("{p}.delta: between -1000 and 1000, not 0"));
                }
            }
            Action::SetField { field, .. } => {
                let ok = matches!(
                    field.as_str(),
                    "first_name" | "last_name" | "company" | "source" | "lifecycle"
                ) || field.strip_prefix("custom.").is_some_and(|k| !k.is_empty());
                if !ok {
                    errors.push(format!(
                        "{p}.field: one of first_name, last_name, company, source, lifecycle, custom.<key>"
                    ));
                }
            }
            Action::EnrollIn { workflow_id } | Action::RemoveFrom { workflow_id } => {
                req(errors, "workflow_id", workflow_id)
            }
            Action::KommoSync => {}
            Action::Wait(w) => {
                if w.is_empty() {
                    errors.push(format!(
                        "{p}: a wait needs minutes, hours, days or until_time"
                    ));
                }
                if w.minutes < 0 || w.hours < 0 || w.days < 0 {
                    errors.push(format!("{p}: a wait cannot be negative"));
                }
                if w.days > 3650 || w.hours > 87600 || w.minutes > 5_256_000 {
                    errors.push(format!("{p}: a wait of at most ten years"));
                }
                if let Some(t) = &w.until_time
                    && let Err(e) = parse_time(t)
                {
                    errors.push(format!("{p}.until_time: {e}"));
                }
            }
            Action::IfElse {
                condition,
                then_steps,
                else_steps,
            } => {
                condition.check(&format!("{p}.condition"), errors);
                check_steps(then_steps, &format!("{p}.then"), seen, count, errors);
                check_steps(else_steps, &format!("{p}.else"), seen, count, errors);
            }
            Action::WaitForEvent {
                event,
                timeout_minutes,
                timeout_hours,
                timeout_days,
                on_event,
                on_timeout,
            } => {
                if let Err(e) = event.to_kind() {
                    errors.push(format!("{p}.event: {e}"));
                }
                if *timeout_minutes < 0 || *timeout_hours < 0 || *timeout_days < 0 {
                    errors.push(format!("{p}: a wait for an event needs a positive timeout"));
                } else if *timeout_days > 3650
                    || *timeout_hours > 87600
                    || *timeout_minutes > 5_256_000
                {
                    errors.push(format!("{p}: a wait for an event of at most ten years"));
                } else if timeout_minutes + timeout_hours * 60 + timeout_days * 1440 <= 0 {
                    errors.push(format!("{p}: a wait for an event needs a positive timeout"));
                }
                check_steps(on_event, &format!("{p}.on_event"), seen, count, errors);
                check_steps(on_timeout, &format!("{p}.on_timeout"), seen, count, errors);
            }
        }
    }
}

impl Action {
    /// A wait-for-event's timeout.
    pub fn timeout(&self) -> Option<SignedDuration> {
        match self {
            Action::WaitForEvent {
                timeout_minutes,
                timeout_hours,
                timeout_days,
                ..
            } => Some(SignedDuration::from_mins(
                // Saturating: a stored definition is checked before it runs,
                // but arithmetic on it must never be what fails.
                timeout_minutes
                    .saturating_add(timeout_hours.saturating_mul(60))
                    .saturating_add(timeout_days.saturating_mul(1440))
                    .clamp(0, MAX_MINUTES),
            )),
            Action::VoiceCall {
                timeout_minutes, ..
            } => Some(SignedDuration::from_mins(
                (*timeout_minutes).clamp(0, MAX_MINUTES),
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(v: serde_json::Value) -> Definition {
        Definition::parse(&v).expect("valid")
    }

    #[test]
    fn parses_the_contract_example_and_assigns_ids() {
        let d = def(
            json!({"name": "Bienvenida", "trigger": {"type": "lead_created"},
            "steps": [{"type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "..."},
                      {"type": "wait", "days": 2}, {"type": "send_sms", "body": "..."}],
            "exit_on": ["appointment_booked"], "active": true}),
        );
        let ids: Vec<_> = d.all_steps().iter().map(|s| s.id.clone()).collect();
        assert_eq!(ids, ["s1", "s2", "s3"]);
        assert_eq!(d.next_after("s1").as_deref(), Some("s2"));
        assert_eq!(d.next_after("s3"), None);
        assert_eq!(d.exit_kinds(), vec![TriggerKind::AppointmentBooked]);
        assert!(
            d.listened_kinds()
                .contains(&("appointment.booked".into(), "exit"))
        );
    }

    #[test]
    fn branches_continue_after_their_parent() {
        let d = def(
            json!({"name": "x", "trigger": {"type": "lead_created"}, "steps": [
            {"id": "call", "type": "voice_call", "say": "Hola"},
            {"id": "branch", "type": "if_else", "condition": {"type": "outcome", "in": ["no_answer"]},
             "then": [{"id": "wa", "type": "send_whatsapp", "body": "x"}], "else": []},
            {"id": "end", "type": "add_tag", "tag": "done"}]}),
        );
        assert_eq!(d.next_after("wa").as_deref(), Some("end"));
        let Action::IfElse { else_steps, .. } = &d.step("branch").expect("step").action else {
            panic!("if_else")
        };
        assert_eq!(d.branch_entry("branch", else_steps).as_deref(), Some("end"));
    }

    #[test]
    fn refuses_bad_shapes_with_paths() {
        let e = Definition::parse(
            &json!({"name": "", "trigger": {"type": "tag_added", "tag": ""},
            "steps": [{"id": "a", "type": "wait"}, {"id": "a", "type": "send_sms", "body": "{{ x"}],
            "exit_on": ["nope"]}),
        )
        .expect_err("invalid");
        let all = e.join("\n");
        assert!(all.contains("name: required"), "{all}");
        assert!(all.contains("trigger.tag: required"), "{all}");
        assert!(all.contains("steps[0]: a wait needs"), "{all}");
        assert!(all.contains("\"a\" is used twice"), "{all}");
        assert!(all.contains("steps[1].body"), "{all}");
        assert!(all.contains("exit_on[0]"), "{all}");
        assert!(Definition::parse(&json!({"name": "x", "trigger": {"type": "bogus"}})).is_err());
    }

    #[test]
    fn triggers_match_their_parameters() {
        let t = TriggerKind::ScoreReached { threshold: 70 };
        assert!(t.matches("contact.score_changed", &json!({"old": 60, "new": 75})));
        assert!(!t.matches("contact.score_changed", &json!({"old": 75, "new": 80})));
        assert!(!t.matches("contact.score_changed", &json!({"old": 80, "new": 60})));
        let t = TriggerKind::TagAdded { tag: "VIP".into() };
        assert!(t.matches("tag.added", &json!({"tag": "vip"})));
        assert!(!t.matches("tag.removed", &json!({"tag": "vip"})));
        let t = TriggerKind::StageChanged {
            pipeline_id: None,
            from_stage_id: None,
            to_stage_id: Some("abc".into()),
        };
        assert!(t.matches("deal.stage_changed", &json!({"to_stage_id": "abc"})));
        assert!(!t.matches("deal.stage_changed", &json!({"to_stage_id": "xyz"})));
        let t = TriggerKind::CustomEvent {
            name: "paid".into(),
        };
        assert!(t.matches("custom.paid", &json!({})));
    }

    #[test]
    fn conditions() {
        let data = json!({"contact": {"company": "Acme", "custom": {"plan": "gold"}}, "event": {}});
        let tags: HashSet<String> = ["vip".to_string()].into();
        let f = Facts {
            data: &data,
            tags: &tags,
            score: 72,
            last_outcome: Some("no_answer"),
        };
        let c = |v: serde_json::Value| {
            serde_json::from_value::<Condition>(v)
                .expect("cond")
                .eval(&f)
        };
        assert!(c(
            json!({"type": "field", "field": "contact.company", "value": "acme"})
        ));
        assert!(c(
            json!({"type": "field", "field": "contact.custom.plan", "op": "contains", "value": "OL"})
        ));
        assert!(c(
            json!({"type": "field", "field": "contact.email", "op": "empty"})
        ));
        assert!(c(json!({"type": "has_tag", "tag": "VIP"})));
        assert!(c(json!({"type": "score", "op": "gte", "value": 70})));
        assert!(!c(json!({"type": "score", "op": "lt", "value": 70})));
        assert!(c(json!({"type": "outcome", "in": ["no_answer", "busy"]})));
        assert!(c(
            json!({"type": "not", "condition": {"type": "has_tag", "tag": "x"}})
        ));
        assert!(!c(
            json!({"type": "all", "conditions": [{"type": "has_tag", "tag": "vip"}, {"type": "has_tag", "tag": "x"}]})
        ));
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("ts")
    }

    #[test]
    fn waits_keep_local_time_across_dst() {
        // America/Santiago leaves DST on the night of 2026-04-04/05.
        let tz = TimeZone::get("America/Santiago").expect("tz");
        let w = Wait {
            days: 2,
            ..Default::default()
        };
        let start = ts("2026-04-03T13:00:00Z"); // 10:00 local (UTC-3)
        let end = w
            .ends_at(start, &tz, &BusinessHours::default())
            .expect("end");
        assert_eq!(end.to_zoned(tz.clone()).time(), Time::constant(10, 0, 0, 0));
        assert_eq!(end, ts("2026-04-05T14:00:00Z")); // 10:00 local (UTC-4)
    }

    #[test]
    fn until_time_in_the_zone_and_business_hours() {
        let tz = TimeZone::get("America/Mexico_City").expect("tz");
        let w = Wait {
            until_time: Some("09:00".into()),
            ..Default::default()
        };
        // 20:00 local Friday → 09:00 Saturday.
        let end = w
            .ends_at(ts("2026-03-07T02:00:00Z"), &tz, &BusinessHours::default())
            .expect("end");
        assert_eq!(end, ts("2026-03-07T15:00:00Z"));
        // Business hours: Saturday 09:00 → Monday 09:00.
        let w = Wait {
            until_time: Some("09:00".into()),
            business_hours: true,
            ..Default::default()
        };
        let end = w
            .ends_at(ts("2026-03-07T02:00:00Z"), &tz, &BusinessHours::default())
            .expect("end");
        assert_eq!(end, ts("2026-03-09T15:00:00Z"));
        // 02:30 does not exist in New York on 2026-03-08: the instant after the gap.
        let ny = TimeZone::get("America/New_York").expect("tz");
        let w = Wait {
            until_time: Some("02:30".into()),
            ..Default::default()
        };
        let end = w
            .ends_at(ts("2026-03-08T05:00:00Z"), &ny, &BusinessHours::default())
            .expect("end");
        assert_eq!(end, ts("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn references_and_channels() {
        let d = def(
            json!({"name": "x", "trigger": {"type": "tag_added", "tag": "lead"}, "steps": [
            {"type": "move_to_stage", "stage_id": "st"}, {"type": "send_whatsapp", "body": "x"},
            {"type": "set_field", "field": "custom.plan", "value": "gold"}]}),
        );
        let r = d.references();
        assert_eq!(r.stage_ids, ["st"]);
        assert_eq!(r.tags, ["lead"]);
        assert_eq!(r.custom_fields, ["plan"]);
        let c = d.channels();
        assert!(c.whatsapp && c.sms && !c.email);
    }
}
