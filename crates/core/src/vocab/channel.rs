//! The medium of a message (`messages.channel`).

use super::stored_enum;

stored_enum! {
    /// What a message travels on. The first four are sent through a
    /// provider (`af_channels::SendChannel`); Kommo and webhook rows are
    /// outbound syncs recorded in the same table so they share the outbox,
    /// retries and the log.
    pub enum Channel ("channel") {
        /// Email through SMTP, SendGrid, Brevo or the outbox.
        Email = "email",
        /// SMS through Twilio.
        Sms = "sms",
        /// WhatsApp through Twilio.
        WhatsApp = "whatsapp",
        /// A phone call through Twilio.
        Voice = "voice",
        /// A lead pushed to Kommo.
        Kommo = "kommo",
        /// An HTTP request a workflow step sends.
        Webhook = "webhook",
    }
}
