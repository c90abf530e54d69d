//! The kinds of domain event the product writes (the `events.kind` column)
//! and the rule for what an outbound webhook endpoint may subscribe to.
//! The JSON API and Settings → Webhooks both check subscriptions here, and
//! the settings page offers [`KINDS`] as its checkboxes.

use std::fmt;

pub use crate::vocab::EventKind;

/// Subscribes to every event, present and future.
pub const ALL: &str = "*";

/// Every event kind written with `af_db::events::insert_event` (the names
/// of [`EventKind`], defined there). A capability that writes a new kind
/// adds it to that enum so webhooks can subscribe to it (custom events,
/// `custom.<name>`, need no entry).
pub const KINDS: &[&str] = EventKind::NAMES;

/// Most event types one endpoint may name (beyond that, use `*`).
pub const MAX_SUBSCRIBED: usize = 64;

/// Why a list of event types cannot be subscribed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionError {
    /// No event type given.
    Empty,
    /// Neither a known kind, `*`, nor `custom.<name>`.
    Unknown(String),
    /// More than [`MAX_SUBSCRIBED`] types.
    TooMany,
}

impl fmt::Display for SubscriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubscriptionError::Empty => f.write_str("name at least one event type (or \"*\")"),
            SubscriptionError::Unknown(k) => write!(
                f,
                "unknown event type {k:?}: use \"*\", \"custom.<name>\" or one of {}",
                KINDS.join(", ")
            ),
            SubscriptionError::TooMany => write!(
                f,
                "at most {MAX_SUBSCRIBED} event types (use \"*\" for all)"
            ),
        }
    }
}

impl std::error::Error for SubscriptionError {}

/// Whether `kind` is a kind a webhook may name: a known one or
/// `custom.<name>` with a valid custom event name.
pub fn is_subscribable(kind: &str) -> bool {
    KINDS.contains(&kind)
        || kind
            .strip_prefix("custom.")
            .is_some_and(crate::workflow::is_valid_custom_event)
}

/// Checks and normalises the event types of an endpoint: trimmed, empty
/// entries dropped, duplicates removed (first kept), and `*` alone when it
/// is among them.
pub fn parse_subscription<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, SubscriptionError> {
    let mut out: Vec<String> = Vec::new();
    let mut all = false;
    for t in raw
        .iter()
        .map(|t| t.as_ref().trim())
        .filter(|t| !t.is_empty())
    {
        if t == ALL {
            all = true;
        } else if !is_subscribable(t) {
            return Err(SubscriptionError::Unknown(t.chars().take(100).collect()));
        } else if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    match out.len() {
        _ if all => Ok(vec![ALL.to_string()]),
        0 => Err(SubscriptionError::Empty),
        n if n > MAX_SUBSCRIBED => Err(SubscriptionError::TooMany),
        _ => Ok(out),
    }
}

/// Who reacts to domain events, besides the timeline (which reads them
/// all). Each keeps its rows of the `event_subscriptions` index in step
/// with its own configuration; what each does with an event is decided in
/// one place, the engine's `dispatch` module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subscriber {
    /// Workflows whose trigger, exit goal or wait names the event.
    Automations,
    /// Outbound webhook endpoints subscribed to the event type.
    Webhooks,
    /// The Kommo lead sync (a booking moves the synced lead).
    Kommo,
    /// Lead scoring: the product's own events become activities.
    Scoring,
    /// The bell: a task assigned, a hot lead, a host's new booking become
    /// notifications for the members concerned.
    Notifications,
}

impl Subscriber {
    pub const ALL: [Subscriber; 5] = [
        Subscriber::Automations,
        Subscriber::Webhooks,
        Subscriber::Kommo,
        Subscriber::Scoring,
        Subscriber::Notifications,
    ];

    /// The name stored in `event_subscriptions.subscriber`.
    pub fn as_str(self) -> &'static str {
        match self {
            Subscriber::Automations => "automations",
            Subscriber::Webhooks => "webhooks",
            Subscriber::Kommo => "kommo",
            Subscriber::Scoring => "scoring",
            Subscriber::Notifications => "notifications",
        }
    }

    pub fn parse(s: &str) -> Option<Subscriber> {
        Subscriber::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether it also reacts to events written with `fire_triggers:
    /// false` (a quiet import): the outside world still hears about the
    /// change, workflows do not start.
    pub fn hears_quiet_events(self) -> bool {
        !matches!(self, Subscriber::Automations)
    }
}

/// Whether an event's data asks that no workflow react to it (a quiet
/// import writes `"fire_triggers": false`).
pub fn is_quiet(data: &serde_json::Value) -> bool {
    data.get("fire_triggers") == Some(&serde_json::Value::Bool(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_custom_kinds_pass_trimmed_and_deduplicated() {
        assert_eq!(
            parse_subscription(&[" contact.created ", "", "custom.paid", "contact.created"]),
            Ok(vec![
                "contact.created".to_string(),
                "custom.paid".to_string()
            ])
        );
    }

    #[test]
    fn a_star_subscribes_to_all() {
        assert_eq!(
            parse_subscription(&["deal.created", "*"]),
            Ok(vec!["*".to_string()])
        );
    }

    #[test]
    fn unknown_empty_and_too_many_are_refused() {
        assert_eq!(
            parse_subscription(&["contact.creatd"]),
            Err(SubscriptionError::Unknown("contact.creatd".into()))
        );
        for bad in ["custom.", "custom.a b", "testkit.never", "contact"] {
            assert!(parse_subscription(&["*", bad]).is_err(), "* with {bad}");
            assert!(parse_subscription(&[bad]).is_err(), "{bad}");
        }
        assert_eq!(
            parse_subscription::<&str>(&[]),
            Err(SubscriptionError::Empty)
        );
        assert_eq!(
            parse_subscription(&["  ", ""]),
            Err(SubscriptionError::Empty)
        );
        let many: Vec<String> = (0..=MAX_SUBSCRIBED)
            .map(|i| format!("custom.e{i}"))
            .collect();
        assert_eq!(parse_subscription(&many), Err(SubscriptionError::TooMany));
    }

    #[test]
    fn every_kind_is_subscribable_and_listed_once() {
        for (i, k) in KINDS.iter().enumerate() {
            assert!(is_subscribable(k), "{k}");
            assert!(!KINDS[i + 1..].contains(k), "{k} twice");
        }
    }
}
