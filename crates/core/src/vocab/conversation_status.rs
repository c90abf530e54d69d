//! Where a conversation of the inbox stands (`conversations.status`).

use super::stored_enum;

stored_enum! {
    /// A conversation is open until a member closes it; an inbound message
    /// opens it again.
    pub enum ConversationStatus ("conversation status") {
        Open = "open",
        Closed = "closed",
    }
}
