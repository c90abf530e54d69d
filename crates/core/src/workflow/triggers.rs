//! What starts an enrolment, ends one (exit goals) or ends a wait for an
//! event: the event types with their parameters, and matching an event.

use super::*;
use crate::vocab::EventKind;
use serde::{Deserialize, Serialize};

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
    /// The score crossed `threshold` upwards (old < threshold ≤ new), or,
    /// with `threshold_name`, the contact entered that score threshold
    /// (`score.threshold_entered`: with hysteresis, so a score hovering
    /// around the value fires once).
    ScoreReached {
        #[serde(default, skip_serializing_if = "is_zero")]
        threshold: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold_name: Option<String>,
    },
    /// No activity on the contact for `days` (checked by the periodic sweep).
    ContactInactive {
        days: i64,
    },
    /// A membership was created (any status, trials included).
    SubscriptionCreated,
    /// A running membership ends in `days` days or fewer: the first
    /// `membership.expiring` of the period at or below `days` (the hourly
    /// check tells each notice point — 7 days and every such workflow's
    /// `days` — once per period; see `membership::notice_due`).
    SubscriptionExpiring {
        days: i64,
    },
    /// A membership was created in the `trial` status.
    TrialStarted,
    /// A membership's period moved later, or it came back to active.
    MembershipRenewed,
    MembershipCancelled,
    MembershipExpired,
    /// A membership became past due.
    PaymentFailed,
    FirstVisit,
    InboundMessage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    CallOutcome {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<String>,
    },
    /// A retention alert opened for the contact (`alert_type` narrows it
    /// to one reason: `no_attendance`, `membership_expiring`...).
    RetentionAlertOpened {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert_type: Option<String>,
    },
    /// A retention alert's risk rose.
    RetentionAlertEscalated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert_type: Option<String>,
    },
    /// A retention alert was resolved (by a person, or by itself).
    RetentionAlertResolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert_type: Option<String>,
    },
    /// A retention alert was dismissed.
    RetentionAlertDismissed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alert_type: Option<String>,
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
            TriggerKind::MembershipRenewed => "membership_renewed",
            TriggerKind::MembershipCancelled => "membership_cancelled",
            TriggerKind::MembershipExpired => "membership_expired",
            TriggerKind::PaymentFailed => "payment_failed",
            TriggerKind::FirstVisit => "first_visit",
            TriggerKind::InboundMessage { .. } => "inbound_message",
            TriggerKind::CallOutcome { .. } => "call_outcome",
            TriggerKind::RetentionAlertOpened { .. } => "retention_alert_opened",
            TriggerKind::RetentionAlertEscalated { .. } => "retention_alert_escalated",
            TriggerKind::RetentionAlertResolved { .. } => "retention_alert_resolved",
            TriggerKind::RetentionAlertDismissed { .. } => "retention_alert_dismissed",
            TriggerKind::CustomEvent { .. } => "custom_event",
            TriggerKind::AppointmentRelative { .. } => "appointment_relative",
        }
    }

    /// The domain event kind (the `events.kind` column) this trigger reacts
    /// to, or `None` for the time-based ones found by the sweep.
    pub fn event_kind(&self) -> Option<String> {
        Some(
            match self {
                TriggerKind::LeadCreated => EventKind::ContactCreated.as_str(),
                TriggerKind::StageChanged { .. } => EventKind::DealStageChanged.as_str(),
                TriggerKind::FormSubmitted { .. } => EventKind::FormSubmitted.as_str(),
                TriggerKind::AppointmentBooked | TriggerKind::AppointmentRelative { .. } => {
                    EventKind::AppointmentBooked.as_str()
                }
                TriggerKind::AppointmentCancelled => EventKind::AppointmentCancelled.as_str(),
                TriggerKind::TagAdded { .. } => EventKind::TagAdded.as_str(),
                TriggerKind::TagRemoved { .. } => EventKind::TagRemoved.as_str(),
                TriggerKind::ScoreReached {
                    threshold_name: Some(_),
                    ..
                } => EventKind::ScoreThresholdEntered.as_str(),
                TriggerKind::ScoreReached { .. } => EventKind::ContactScoreChanged.as_str(),
                // A trial is a membership created in the trial status: one
                // event for one fact, told apart by `matches`.
                TriggerKind::SubscriptionCreated | TriggerKind::TrialStarted => {
                    EventKind::MembershipCreated.as_str()
                }
                TriggerKind::SubscriptionExpiring { .. } => EventKind::MembershipExpiring.as_str(),
                TriggerKind::MembershipRenewed => EventKind::MembershipRenewed.as_str(),
                TriggerKind::MembershipCancelled => EventKind::MembershipCancelled.as_str(),
                TriggerKind::MembershipExpired => EventKind::MembershipExpired.as_str(),
                TriggerKind::PaymentFailed => EventKind::PaymentFailed.as_str(),
                TriggerKind::FirstVisit => EventKind::ContactFirstVisit.as_str(),
                TriggerKind::InboundMessage { .. } => EventKind::MessageInbound.as_str(),
                TriggerKind::CallOutcome { .. } => EventKind::CallCompleted.as_str(),
                TriggerKind::RetentionAlertOpened { .. } => {
                    EventKind::RetentionAlertOpened.as_str()
                }
                TriggerKind::RetentionAlertEscalated { .. } => {
                    EventKind::RetentionAlertEscalated.as_str()
                }
                TriggerKind::RetentionAlertResolved { .. } => {
                    EventKind::RetentionAlertResolved.as_str()
                }
                TriggerKind::RetentionAlertDismissed { .. } => {
                    EventKind::RetentionAlertDismissed.as_str()
                }
                TriggerKind::CustomEvent { name } => return Some(format!("custom.{name}")),
                TriggerKind::ContactInactive { .. } => return None,
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
            TriggerKind::ScoreReached {
                threshold_name: Some(name),
                ..
            } => s("name").is_some_and(|n| n.trim().eq_ignore_ascii_case(name.trim())),
            TriggerKind::ScoreReached { threshold, .. } => {
                let n = |k: &str| data.get(k).and_then(serde_json::Value::as_i64);
                matches!((n("old"), n("new")), (Some(o), Some(n)) if o < *threshold && n >= *threshold)
            }
            TriggerKind::TrialStarted => s("status").as_deref() == Some("trial"),
            TriggerKind::SubscriptionExpiring { days } => {
                let previous = data
                    .get("previous_days_left")
                    .and_then(serde_json::Value::as_i64);
                data.get("days_left")
                    .and_then(serde_json::Value::as_i64)
                    .is_some_and(|left| crate::membership::expiring_matches(*days, left, previous))
            }
            TriggerKind::InboundMessage { channel } => same(channel, "channel"),
            TriggerKind::CallOutcome { outcome } => same(outcome, "outcome"),
            TriggerKind::RetentionAlertOpened { alert_type }
            | TriggerKind::RetentionAlertEscalated { alert_type }
            | TriggerKind::RetentionAlertResolved { alert_type }
            | TriggerKind::RetentionAlertDismissed { alert_type } => same(alert_type, "type"),
            _ => true,
        }
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

pub(super) fn json_text(v: &serde_json::Value) -> Option<String> {
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
