//! The public addresses of booking calendars, and the signed manage link
//! an invitee gets to cancel or reschedule without an account.
//!
//! A manage token is `base64url(workspace id ‖ appointment id) "."
//! base64url(HMAC-SHA256)` under the server secret's `booking-manage`
//! subkey (as unsubscribe tokens are): no database row, cannot be forged
//! or moved to another booking, and it never expires on its own — the
//! calendar's cut-offs decide what it may still do.

use crate::crypto::SecretKey;
use crate::{AppointmentId, WorkspaceId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

const PURPOSE: &str = "booking-manage";

/// The manage token of one booking (URL-safe, no padding).
pub fn manage_token(key: &SecretKey, workspace: WorkspaceId, booking: AppointmentId) -> String {
    let mut raw = [0u8; 32];
    raw[..16].copy_from_slice(workspace.0.as_bytes());
    raw[16..].copy_from_slice(booking.0.as_bytes());
    let payload = URL_SAFE_NO_PAD.encode(raw);
    let sig = key.sign(PURPOSE, &payload);
    format!("{payload}.{sig}")
}

/// The workspace and booking a token was made for; `None` when it is
/// malformed, forged or tampered with (constant-time signature check).
pub fn verify_manage_token(key: &SecretKey, token: &str) -> Option<(WorkspaceId, AppointmentId)> {
    let (payload, sig) = token.trim().split_once('.')?;
    if payload.len() > 64 || !key.verify(PURPOSE, payload, sig) {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(payload).ok()?;
    if raw.len() != 32 {
        return None;
    }
    let ws = Uuid::from_slice(&raw[..16]).ok()?;
    let booking = Uuid::from_slice(&raw[16..]).ok()?;
    Some((WorkspaceId(ws), AppointmentId(booking)))
}

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// `{base_url}/book/manage/{token}`: the invitee's page for one booking;
/// `…/invite.ics` under it is the invitation as it stands.
pub fn manage_url(base_url: &str, token: &str) -> String {
    format!("{}/book/manage/{token}", base(base_url))
}

/// `{base_url}/book/{workspace}`: the workspace's public calendars (what
/// `{{ booking_url }}` merges when `BOOKING_URL` is not set).
pub fn workspace_page_url(base_url: &str, workspace_slug: &str) -> String {
    format!("{}/book/{workspace_slug}", base(base_url))
}

/// `{base_url}/book/{workspace}/{calendar}`: one calendar's booking page.
pub fn calendar_page_url(base_url: &str, workspace_slug: &str, calendar_slug: &str) -> String {
    format!("{}/book/{workspace_slug}/{calendar_slug}", base(base_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manage_tokens_round_trip_and_refuse_tampering() {
        let key =
            SecretKey::from_text("a test secret of at least thirty-two characters").expect("key");
        let (ws, booking) = (WorkspaceId::new(), AppointmentId::new());
        let token = manage_token(&key, ws, booking);
        assert_eq!(verify_manage_token(&key, &token), Some((ws, booking)));
        let other =
            SecretKey::from_text("another secret of at least thirty-two characters").expect("key");
        assert_eq!(verify_manage_token(&other, &token), None);
        // Another booking's payload under this signature.
        let (_, sig) = token.split_once('.').expect("dot");
        let forged = manage_token(&key, ws, AppointmentId::new());
        let (payload, _) = forged.split_once('.').expect("dot");
        assert_eq!(verify_manage_token(&key, &format!("{payload}.{sig}")), None);
        for junk in ["", ".", "abc", "abc.def", "ü.ü"] {
            assert_eq!(verify_manage_token(&key, junk), None);
        }
        // An unsubscribe signature of the same bytes is not a manage one.
        let unsub = key.sign("unsubscribe", payload);
        assert_eq!(
            verify_manage_token(&key, &format!("{payload}.{unsub}")),
            None
        );
    }

    #[test]
    fn urls_have_one_slash() {
        assert_eq!(
            manage_url("https://app.example/", "t.s"),
            "https://app.example/book/manage/t.s"
        );
        assert_eq!(workspace_page_url("http://h", "acme"), "http://h/book/acme");
        assert_eq!(
            calendar_page_url("http://h/", "acme", "demo"),
            "http://h/book/acme/demo"
        );
    }
}
