//! Signed per-contact unsubscribe tokens for the one-click links of marketing
//! email (RFC 8058), and the two headers that carry them.
//!
//! A token is `base64url(workspace id ‖ contact id) "." base64url(HMAC-SHA256)`
//! under the server secret's `unsubscribe` subkey, so it needs no database row
//! and cannot be forged or moved to another contact.

use af_core::crypto::SecretKey;
use af_core::{ContactId, WorkspaceId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

const PURPOSE: &str = "unsubscribe";

/// The token for one contact of one workspace (URL-safe, no padding).
pub fn token(key: &SecretKey, workspace: WorkspaceId, contact: ContactId) -> String {
    let mut raw = [0u8; 32];
    raw[..16].copy_from_slice(workspace.0.as_bytes());
    raw[16..].copy_from_slice(contact.0.as_bytes());
    let payload = URL_SAFE_NO_PAD.encode(raw);
    let sig = key.sign(PURPOSE, &payload);
    format!("{payload}.{sig}")
}

/// The workspace and contact a token was made for, or `None` when it is
/// malformed, forged or tampered with. The signature check is constant-time.
pub fn verify(key: &SecretKey, token: &str) -> Option<(WorkspaceId, ContactId)> {
    let (payload, sig) = token.trim().split_once('.')?;
    if !key.verify(PURPOSE, payload, sig) {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(payload).ok()?;
    if raw.len() != 32 {
        return None;
    }
    let ws = Uuid::from_slice(&raw[..16]).ok()?;
    let contact = Uuid::from_slice(&raw[16..]).ok()?;
    Some((WorkspaceId(ws), ContactId(contact)))
}

/// The public unsubscribe URL: `{base_url}/u/{token}`.
pub fn url(base_url: &str, token: &str) -> String {
    format!("{}/u/{token}", base_url.trim_end_matches('/'))
}

/// `List-Unsubscribe: <url>` and `List-Unsubscribe-Post:
/// List-Unsubscribe=One-Click` (RFC 2369 + RFC 8058).
pub fn list_unsubscribe_headers(url: &str) -> [(&'static str, String); 2] {
    [
        (
            "List-Unsubscribe",
            format!("<{}>", crate::sanitize::header_text(url)),
        ),
        (
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".to_owned(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> SecretKey {
        SecretKey::from_text(&c.to_string().repeat(40)).expect("key")
    }

    #[test]
    fn round_trip() {
        let (ws, c) = (WorkspaceId::new(), ContactId::new());
        let t = token(&key('k'), ws, c);
        assert!(!t.contains(['+', '/', '=']));
        assert_eq!(verify(&key('k'), &t), Some((ws, c)));
    }

    #[test]
    fn forged_and_tampered_tokens_fail() {
        let (ws, c) = (WorkspaceId::new(), ContactId::new());
        let t = token(&key('k'), ws, c);
        assert_eq!(verify(&key('j'), &t), None, "other server key");
        let other = token(&key('k'), ws, ContactId::new());
        let (payload, _) = t.split_once('.').expect("dot");
        let (_, other_sig) = other.split_once('.').expect("dot");
        assert_eq!(verify(&key('k'), &format!("{payload}.{other_sig}")), None);
        let mut bytes = t.clone().into_bytes();
        bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            verify(&key('k'), &String::from_utf8(bytes).expect("utf8")),
            None
        );
        for junk in ["", ".", "abc", "abc.def", "..."] {
            assert_eq!(verify(&key('k'), junk), None, "{junk:?}");
        }
    }

    #[test]
    fn headers() {
        let [(n1, v1), (n2, v2)] = list_unsubscribe_headers("https://crm.test/u/abc");
        assert_eq!(
            (n1, v1.as_str()),
            ("List-Unsubscribe", "<https://crm.test/u/abc>")
        );
        assert_eq!(
            (n2, v2.as_str()),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        );
        assert_eq!(url("https://crm.test/", "t"), "https://crm.test/u/t");
    }
}
