#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod brevo;
pub mod config;
pub mod email;
pub mod email_events;
pub mod inbound_email;
pub mod keywords;
pub mod kommo;
pub mod message;
pub mod providers;
pub mod quiet_hours;
pub mod sanitize;
pub mod sendgrid;
pub mod smtp;
pub mod ssrf;
pub mod tracking;
pub mod twilio;
pub mod twilio_signature;
pub mod twiml;
pub mod unsubscribe;
pub mod webhooks;

pub use config::{ProviderConfig, Secret, WorkspaceCredentials};
pub use message::{
    Attachment, Category, DeliveryStatus, OutgoingMessage, SendChannel, SendError, SendOutcome,
    VoiceSpec,
};
pub use providers::{EmailProvider, Providers, ProvidersOptions};
