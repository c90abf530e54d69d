//! Our own open and click tracking on marketing email: signed tokens for
//! the open pixel (`/t/o/{token}.gif`) and the click redirect
//! (`/t/c/{token}`), and the rewriting of an HTML body's links at send time.
//!
//! A token is `base64url(workspace ‖ message [‖ link index]) "." HMAC` under
//! the server key (a purpose per kind), so it needs no row and cannot be
//! forged or moved to another message or link. The click target is never
//! in the token: it is the link at that index of the stored message, found
//! by the same scan that rewrote it ([`links`]), so there is no open
//! redirect. Unsubscribe links (`{base}/u/…`) and anything that is not
//! http(s) are left alone and not counted.

use af_core::crypto::SecretKey;
use af_core::{MessageId, WorkspaceId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

const OPEN: &str = "email-open";
const CLICK: &str = "email-click";

/// Most links of one message that are tracked (the rest are left alone).
pub const MAX_LINKS: usize = 200;

/// The 1×1 transparent GIF the open pixel answers with.
pub const PIXEL_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn ids(ws: WorkspaceId, msg: MessageId) -> Vec<u8> {
    let mut raw = Vec::with_capacity(34);
    raw.extend_from_slice(ws.0.as_bytes());
    raw.extend_from_slice(msg.0.as_bytes());
    raw
}

fn seal(key: &SecretKey, purpose: &str, raw: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(raw);
    let sig = key.sign(purpose, &payload);
    format!("{payload}.{sig}")
}

fn unseal(key: &SecretKey, purpose: &str, token: &str, len: usize) -> Option<Vec<u8>> {
    if token.len() > 200 {
        return None;
    }
    let (payload, sig) = token.split_once('.')?;
    if !key.verify(purpose, payload, sig) {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(payload).ok()?;
    (raw.len() == len).then_some(raw)
}

fn split_ids(raw: &[u8]) -> Option<(WorkspaceId, MessageId)> {
    let ws = Uuid::from_slice(raw.get(..16)?).ok()?;
    let msg = Uuid::from_slice(raw.get(16..32)?).ok()?;
    Some((WorkspaceId(ws), MessageId(msg)))
}

/// The open pixel's token.
pub fn open_token(key: &SecretKey, ws: WorkspaceId, msg: MessageId) -> String {
    seal(key, OPEN, &ids(ws, msg))
}

/// The message an open token was made for; `None` when forged or altered.
pub fn verify_open(key: &SecretKey, token: &str) -> Option<(WorkspaceId, MessageId)> {
    split_ids(&unseal(key, OPEN, token, 32)?)
}

/// The click token of the message's link number `index`.
pub fn click_token(key: &SecretKey, ws: WorkspaceId, msg: MessageId, index: u16) -> String {
    let mut raw = ids(ws, msg);
    raw.extend_from_slice(&index.to_be_bytes());
    seal(key, CLICK, &raw)
}

/// The message and link index a click token was made for.
pub fn verify_click(key: &SecretKey, token: &str) -> Option<(WorkspaceId, MessageId, u16)> {
    let raw = unseal(key, CLICK, token, 34)?;
    let (ws, msg) = split_ids(&raw)?;
    Some((ws, msg, u16::from_be_bytes([raw[32], raw[33]])))
}

/// `{base}/t/o/{token}.gif`.
pub fn open_url(base_url: &str, token: &str) -> String {
    format!("{}/t/o/{token}.gif", base_url.trim_end_matches('/'))
}

/// `{base}/t/c/{token}`.
pub fn click_url(base_url: &str, token: &str) -> String {
    format!("{}/t/c/{token}", base_url.trim_end_matches('/'))
}

/// The `href` values of `<a>` tags: (start, end) byte range of the raw
/// value inside `html`.
fn hrefs(html: &str) -> Vec<(usize, usize)> {
    let bytes = html.as_bytes();
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = lower[i..].find("<a") {
        let start = i + off;
        i = start + 2;
        if !bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let Some(close) = lower[i..].find('>') else {
            break;
        };
        let tag_end = i + close;
        let tag = &lower[i..tag_end];
        let mut j = 0;
        while let Some(h) = tag[j..].find("href") {
            let at = j + h;
            j = at + 4;
            if at > 0 && !tag.as_bytes()[at - 1].is_ascii_whitespace() {
                continue;
            }
            let rest = &tag[j..];
            let trimmed = rest.trim_start();
            let Some(after_eq) = trimmed.strip_prefix('=') else {
                continue;
            };
            let after_eq = after_eq.trim_start();
            let value_at = i + j + (rest.len() - after_eq.len());
            let (vs, ve) = match after_eq.as_bytes().first() {
                Some(q @ (b'"' | b'\'')) => {
                    let Some(end) = after_eq[1..].find(*q as char) else {
                        break;
                    };
                    (value_at + 1, value_at + 1 + end)
                }
                Some(_) => {
                    let end = after_eq
                        .find(|c: char| c.is_ascii_whitespace())
                        .unwrap_or(after_eq.len());
                    (value_at, value_at + end)
                }
                None => break,
            };
            out.push((vs, ve));
            break;
        }
        i = tag_end;
    }
    out
}

/// An attribute value as the browser reads it: the named entities a link
/// uses and numeric ones (the templates escape `/` as `&#x2f;`).
fn unescape(raw: &str) -> String {
    let raw = raw.trim();
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                _ => {
                    let n = if let Some(h) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                        u32::from_str_radix(h, 16).ok()
                    } else {
                        name.strip_prefix('#').and_then(|d| d.parse::<u32>().ok())
                    };
                    n.and_then(char::from_u32)
                }
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn trackable(url: &str, unsubscribe_prefix: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.starts_with(unsubscribe_prefix)
        && url::Url::parse(url).is_ok()
}

/// The tracked links of an HTML body, in order (what index `i` of a click
/// token points to). `base_url` is the product's: its `/u/` links are not
/// tracked.
pub fn links(html: &str, base_url: &str) -> Vec<String> {
    let unsub = format!("{}/u/", base_url.trim_end_matches('/'));
    hrefs(html)
        .into_iter()
        .map(|(s, e)| unescape(&html[s..e]))
        .filter(|u| trackable(u, &unsub))
        .take(MAX_LINKS)
        .collect()
}

/// The body as sent: each tracked link replaced by its click redirect, and
/// the open pixel added at the end of `<body>` (or of the document).
pub fn rewrite(
    html: &str,
    base_url: &str,
    key: &SecretKey,
    ws: WorkspaceId,
    msg: MessageId,
) -> String {
    let unsub = format!("{}/u/", base_url.trim_end_matches('/'));
    let mut out = String::with_capacity(html.len() + 512);
    let mut last = 0;
    let mut n: usize = 0;
    for (s, e) in hrefs(html) {
        if n >= MAX_LINKS {
            break;
        }
        if !trackable(&unescape(&html[s..e]), &unsub) {
            continue;
        }
        let index = u16::try_from(n).unwrap_or(u16::MAX);
        out.push_str(&html[last..s]);
        out.push_str(&click_url(base_url, &click_token(key, ws, msg, index)));
        last = e;
        n += 1;
    }
    out.push_str(&html[last..]);
    let pixel = format!(
        r#"<img src="{}" width="1" height="1" alt="" border="0">"#,
        open_url(base_url, &open_token(key, ws, msg))
    );
    match out.to_ascii_lowercase().rfind("</body>") {
        Some(at) => out.insert_str(at, &pixel),
        None => out.push_str(&pixel),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> SecretKey {
        SecretKey::from_text(&c.to_string().repeat(40)).expect("key")
    }

    const BASE: &str = "https://crm.test";

    #[test]
    fn tokens_round_trip_and_refuse_forgery() {
        let (ws, m) = (WorkspaceId::new(), MessageId::new());
        let k = key('k');
        let o = open_token(&k, ws, m);
        assert_eq!(verify_open(&k, &o), Some((ws, m)));
        assert_eq!(verify_open(&key('j'), &o), None);
        assert_eq!(
            verify_click(&k, &o),
            None,
            "an open token is no click token"
        );
        let c = click_token(&k, ws, m, 3);
        assert_eq!(verify_click(&k, &c), Some((ws, m, 3)));
        let other = click_token(&k, ws, m, 4);
        let (p, _) = c.split_once('.').expect("dot");
        let (_, s) = other.split_once('.').expect("dot");
        assert_eq!(verify_click(&k, &format!("{p}.{s}")), None, "index moved");
        for junk in ["", ".", "a.b", &"x".repeat(300)] {
            assert_eq!(verify_click(&k, junk), None);
            assert_eq!(verify_open(&k, junk), None);
        }
    }

    #[test]
    fn rewrites_links_but_not_unsubscribe_nor_mailto() {
        let html = r#"<html><body><p>Hi <A class="x" HREF="https://shop.test/a?x=1&amp;y=2">shop</A>
            <a href='mailto:a@b.test'>mail</a> <a href="https://crm.test/u/TOKEN">baja</a>
            <a name="n">anchor</a><abbr>no</abbr><a href=http://plain.test/z>z</a></p></body></html>"#;
        assert_eq!(
            unescape("https:&#x2f;&#x2F;a.test&#47;b?c=1&amp;d=&#39;&bogus;&"),
            "https://a.test/b?c=1&d='&bogus;&"
        );
        let escaped = r#"<a href="https:&#x2f;&#x2f;crm.test&#x2f;u&#x2f;T">baja</a>"#;
        assert!(
            links(escaped, BASE).is_empty(),
            "an escaped unsubscribe link is still one"
        );
        let found = links(html, BASE);
        assert_eq!(
            found,
            vec!["https://shop.test/a?x=1&y=2", "http://plain.test/z"]
        );
        let k = key('k');
        let (ws, m) = (WorkspaceId::new(), MessageId::new());
        let out = rewrite(html, BASE, &k, ws, m);
        assert!(out.contains(&click_url(BASE, &click_token(&k, ws, m, 0))));
        assert!(out.contains(&click_url(BASE, &click_token(&k, ws, m, 1))));
        assert!(!out.contains("shop.test"), "{out}");
        assert!(out.contains("https://crm.test/u/TOKEN"));
        assert!(out.contains("mailto:a@b.test"));
        let pixel = open_url(BASE, &open_token(&k, ws, m));
        assert!(out.contains(&format!(
            "{pixel}\" width=\"1\" height=\"1\" alt=\"\" border=\"0\"></body>"
        )));
        // A body without <body> gets the pixel at the end.
        let plain = rewrite("<p>x</p>", BASE, &k, ws, m);
        assert!(plain.ends_with("border=\"0\">"));
    }

    #[test]
    fn hostile_markup_does_not_panic() {
        for html in [
            "<a",
            "<a href",
            "<a href=",
            "<a href=\"x",
            "<a href=\"https://é.test/ñ\">",
            "<a\thref=\"https://a.test\"",
            "ñ<a href=ñ>",
        ] {
            let _ = links(html, BASE);
            let _ = rewrite(html, BASE, &key('k'), WorkspaceId::new(), MessageId::new());
        }
    }
}
