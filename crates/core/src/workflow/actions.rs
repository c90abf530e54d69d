//! What a step does: every action with its parameters.

use super::*;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

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

    /// A step that completes inside its own transaction without waiting,
    /// branching or sending anything (tags, fields, stage moves, score):
    /// the step runner runs consecutive ones of an enrolment in one
    /// transaction, without a job between them.
    pub fn is_instant(&self) -> bool {
        matches!(
            self,
            Action::AddTag { .. }
                | Action::RemoveTag { .. }
                | Action::SetField { .. }
                | Action::MoveToStage { .. }
                | Action::ChangeScore { .. }
        )
    }

    /// Nested step lists (branches), in order.
    pub(super) fn branches(&self) -> Vec<&Vec<Step>> {
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

    pub(super) fn branches_mut(&mut self) -> Vec<&mut Vec<Step>> {
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
