//! Who did something: a person, an API key or the system itself. Recorded on
//! every audit entry and domain event.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    System,
    /// A stranger at a public door (a form, a booking page, lead intake).
    Public,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ApiKey => "api_key",
            ActorKind::System => "system",
            ActorKind::Public => "public",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
    /// Human-readable: an email, a key name, or "system".
    pub label: String,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            label: "system".into(),
        }
    }

    /// A stranger at a public door; `label` says which door.
    pub fn public(label: &str) -> Self {
        Self {
            kind: ActorKind::Public,
            id: None,
            label: label.to_string(),
        }
    }

    pub fn user(id: crate::UserId, email: &str) -> Self {
        Self {
            kind: ActorKind::User,
            id: Some(id.0),
            label: email.to_string(),
        }
    }

    pub fn api_key(id: crate::ApiKeyId, name: &str) -> Self {
        Self {
            kind: ActorKind::ApiKey,
            id: Some(id.0),
            label: name.to_string(),
        }
    }
}
