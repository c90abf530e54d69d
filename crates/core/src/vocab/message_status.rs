//! Where a message is on its way (`messages.status`).

use super::stored_enum;

stored_enum! {
    /// A message's delivery status. Inserted `Queued`; the send job, vendor
    /// callbacks and the Kommo batcher move it on.
    pub enum MessageStatus ("message status") {
        /// Waiting for its send job.
        Queued = "queued",
        /// Claimed by a Kommo batch that has not answered yet.
        Sending = "sending",
        /// Handed to the provider / carrier.
        Sent = "sent",
        /// Confirmed delivered (or call completed).
        Delivered = "delivered",
        /// The carrier could not deliver it.
        Undelivered = "undelivered",
        /// Failed for good.
        Failed = "failed",
        /// Email opened (or WhatsApp read).
        Opened = "opened",
        /// A link was clicked.
        Clicked = "clicked",
        /// The contact answered.
        Replied = "replied",
        /// Not sent on purpose (no address, opted out, test mode…); the
        /// reason is in `skip_reason`.
        Skipped = "skipped",
    }
}

impl MessageStatus {
    /// How far along a message is. Vendors may report out of order
    /// (Twilio documents that status callbacks can arrive in any order), so
    /// a report only applies when it moves a message further: a late
    /// `sent` never undoes `delivered`, and the first final outcome stands.
    /// Unknown stored text ranks as final, like `skipped`: nothing moves it.
    pub fn rank_of(stored: &str) -> u8 {
        match MessageStatus::parse(stored) {
            Some(MessageStatus::Queued | MessageStatus::Sending) => 0,
            Some(MessageStatus::Sent) => 1,
            Some(MessageStatus::Delivered | MessageStatus::Undelivered | MessageStatus::Failed) => {
                2
            }
            Some(MessageStatus::Opened) => 3,
            Some(MessageStatus::Clicked) => 4,
            Some(MessageStatus::Replied) => 5,
            Some(MessageStatus::Skipped) | None => 6,
        }
    }
}
