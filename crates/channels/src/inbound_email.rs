//! Email that contacts send us, as the vendors' inbound webhooks deliver
//! it: SendGrid's Inbound Parse (a multipart form whose `headers` field is
//! the raw header block) and Brevo's inbound parsing webhook (JSON
//! `items`). Both end as one [`InboundEmail`]; the web handler reads the
//! vendor's shape, this module the parts that need care — addresses,
//! Message-IDs (header injection, angle brackets, folding) and the reply
//! without the quoted history.

use crate::sanitize;
use serde::Deserialize;

/// Longest subject kept.
pub const MAX_SUBJECT_CHARS: usize = 300;
/// Longest body kept (characters); the rest is cut.
pub const MAX_BODY_CHARS: usize = 50_000;
/// Most Message-IDs kept from `References`.
pub const MAX_REFERENCES: usize = 20;

/// One inbound email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundEmail {
    /// Sender address, lower case.
    pub from: String,
    /// Sender display name, if any.
    pub from_name: Option<String>,
    /// The address it was sent to.
    pub to: String,
    /// Subject line, on one line.
    pub subject: String,
    /// The reply, without the quoted history when it can be told apart.
    pub text: String,
    /// Its own Message-ID (without angle brackets): de-duplicates retries.
    pub message_id: Option<String>,
    /// The Message-ID it answers.
    pub in_reply_to: Option<String>,
    /// The thread's earlier Message-IDs, oldest first.
    pub references: Vec<String>,
}

impl InboundEmail {
    /// Every Message-ID this email names as its ancestors, nearest first.
    pub fn ancestors(&self) -> Vec<String> {
        let mut out: Vec<String> = self.in_reply_to.iter().cloned().collect();
        for r in self.references.iter().rev() {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }
}

/// `Name <addr@host>` or `addr@host` → (address lower-cased, name).
pub fn parse_address(raw: &str) -> Option<(String, Option<String>)> {
    let raw = raw.trim();
    let (name, addr) = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(l), Some(r)) if l < r => (Some(raw[..l].trim()), &raw[l + 1..r]),
        _ => (None, raw),
    };
    let addr = addr.trim().to_lowercase();
    let valid = addr.len() <= 254
        && addr.split_once('@').is_some_and(|(local, host)| {
            !local.is_empty() && host.contains('.') && !host.starts_with('.')
        })
        && !addr
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',');
    if !valid {
        return None;
    }
    let name = name
        .map(|n| n.trim_matches('"').trim())
        .map(sanitize::header_text)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(100).collect());
    Some((addr, name))
}

/// One Message-ID from a header value: the text between `<` and `>`
/// (or the whole value), refused when it could smuggle a header.
pub fn message_id(raw: &str) -> Option<String> {
    let v = raw.trim();
    let v = v
        .strip_prefix('<')
        .and_then(|r| r.split('>').next())
        .unwrap_or(v);
    sanitize::message_id(v).ok()
}

/// Every Message-ID in a `References` value (at most [`MAX_REFERENCES`],
/// the latest kept).
pub fn message_ids(raw: &str) -> Vec<String> {
    let ids: Vec<String> = raw
        .split(['<', '>', ' ', '\t', '\r', '\n', ','])
        .filter(|s| !s.is_empty())
        .filter_map(|s| sanitize::message_id(s).ok())
        .collect();
    let skip = ids.len().saturating_sub(MAX_REFERENCES);
    ids.into_iter().skip(skip).collect()
}

/// The value of header `name` in a raw header block (folded lines
/// unfolded; the first occurrence).
pub fn header(block: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in block.lines() {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value
}

/// The new part of a reply: the text above "On … wrote:" / "El … escribió:"
/// or above a trailing block of `>` quoted lines. Whatever cannot be told
/// apart is kept whole (better too much than a lost word).
pub fn reply_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim();
        let lower = l.to_lowercase();
        let attribution = (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || (lower.starts_with("el ") && lower.ends_with("escribió:"))
            || lower.starts_with("-----original message-----")
            || lower.starts_with("-----mensaje original-----");
        if attribution
            || (l.starts_with('>')
                && lines[i..]
                    .iter()
                    .all(|r| r.trim().is_empty() || r.trim().starts_with('>')))
        {
            end = i;
            break;
        }
    }
    let kept = lines[..end].join("\n");
    let kept = kept.trim();
    if kept.is_empty() {
        text.trim().to_string()
    } else {
        kept.to_string()
    }
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// SendGrid Inbound Parse's text fields (the files are read apart).
#[derive(Debug, Clone, Default)]
pub struct SendGridParse {
    /// `from`: `Name <address>`.
    pub from: String,
    /// `to`: the recipients, comma-separated.
    pub to: String,
    /// `subject`.
    pub subject: String,
    /// `text`: the plain-text part.
    pub text: String,
    /// `html`: the HTML part (used when there is no text part).
    pub html: String,
    /// `headers`: the raw header block.
    pub headers: String,
}

impl SendGridParse {
    /// The email, or `None` without a usable sender.
    pub fn into_email(self) -> Option<InboundEmail> {
        let (from, from_name) = parse_address(&self.from)?;
        let to = parse_address(self.to.split(',').next().unwrap_or_default())
            .map(|(a, _)| a)
            .unwrap_or_default();
        let text = if self.text.trim().is_empty() {
            strip_html(&self.html)
        } else {
            self.text
        };
        Some(InboundEmail {
            from,
            from_name,
            to,
            subject: clip(&sanitize::header_text(&self.subject), MAX_SUBJECT_CHARS),
            text: clip(&reply_text(&text), MAX_BODY_CHARS),
            message_id: header(&self.headers, "Message-ID").and_then(|v| message_id(&v)),
            in_reply_to: header(&self.headers, "In-Reply-To").and_then(|v| message_id(&v)),
            references: header(&self.headers, "References")
                .map(|v| message_ids(&v))
                .unwrap_or_default(),
        })
    }
}

/// Text of an HTML body for a mail without a text part: tags dropped,
/// entities of the common five decoded, blank runs collapsed.
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Brevo's inbound parsing webhook body.
#[derive(Debug, Clone, Deserialize)]
pub struct BrevoInbound {
    /// The emails of this post.
    #[serde(default)]
    pub items: Vec<BrevoItem>,
}

/// One email of a Brevo inbound post (the fields we use).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct BrevoItem {
    /// `MessageId` header value.
    pub message_id: Option<String>,
    /// `InReplyTo` header value.
    pub in_reply_to: Option<String>,
    /// The sender.
    pub from: Option<BrevoAddress>,
    /// The recipients.
    pub to: Vec<BrevoAddress>,
    /// The subject.
    pub subject: Option<String>,
    /// The whole text part, quoted history included.
    pub raw_text_body: Option<String>,
    /// The whole HTML part.
    pub raw_html_body: Option<String>,
    /// The reply without its quoted history, as Brevo extracted it.
    pub extracted_markdown_message: Option<String>,
    /// Other headers by name.
    pub headers: serde_json::Map<String, serde_json::Value>,
}

/// An address in a Brevo inbound post.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct BrevoAddress {
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub address: String,
}

impl BrevoItem {
    /// The email, or `None` without a usable sender.
    pub fn into_email(self) -> Option<InboundEmail> {
        let sender = self.from?;
        let (from, _) = parse_address(&sender.address)?;
        let from_name = sender
            .name
            .map(|n| sanitize::header_text(&n))
            .filter(|n| !n.is_empty());
        let to = self
            .to
            .first()
            .and_then(|a| parse_address(&a.address))
            .map(|(a, _)| a)
            .unwrap_or_default();
        let text = match (
            self.extracted_markdown_message
                .filter(|t| !t.trim().is_empty()),
            self.raw_text_body.filter(|t| !t.trim().is_empty()),
        ) {
            (Some(t), _) => t,
            (None, Some(t)) => reply_text(&t),
            (None, None) => strip_html(self.raw_html_body.as_deref().unwrap_or_default()),
        };
        let references = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("References"))
            .and_then(|(_, v)| v.as_str())
            .map(message_ids)
            .unwrap_or_default();
        Some(InboundEmail {
            from,
            from_name,
            to,
            subject: clip(
                &sanitize::header_text(self.subject.as_deref().unwrap_or_default()),
                MAX_SUBJECT_CHARS,
            ),
            text: clip(text.trim(), MAX_BODY_CHARS),
            message_id: self.message_id.as_deref().and_then(message_id),
            in_reply_to: self.in_reply_to.as_deref().and_then(message_id),
            references,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_ids_and_headers_read_safely() {
        assert_eq!(
            parse_address("\"Ana Pérez\" <Ana@Cliente.test>"),
            Some(("ana@cliente.test".into(), Some("Ana Pérez".into())))
        );
        assert_eq!(
            parse_address("ana@cliente.test"),
            Some(("ana@cliente.test".into(), None))
        );
        assert_eq!(parse_address("not an address"), None);
        assert_eq!(parse_address("a@b.test, c@d.test"), None);
        assert_eq!(
            message_id(" <abc@host.test> "),
            Some("abc@host.test".into())
        );
        assert_eq!(
            message_id("<abc@host.test>\r\nBcc: x@y.test"),
            Some("abc@host.test".into())
        );
        assert_eq!(message_id("a b@host"), None);
        assert_eq!(
            message_ids("<a@h.test> <b@h.test>\r\n\t<c@h.test>"),
            vec!["a@h.test", "b@h.test", "c@h.test"]
        );
        let block = "Subject: Re: hola\r\nReferences: <a@h.test>\r\n <b@h.test>\r\nIn-Reply-To: <b@h.test>\r\nMessage-ID: <new@mail.test>\r\n";
        assert_eq!(
            header(block, "references").as_deref(),
            Some("<a@h.test> <b@h.test>")
        );
        assert_eq!(header(block, "In-Reply-To").as_deref(), Some("<b@h.test>"));
    }

    #[test]
    fn the_reply_leaves_the_quoted_history_out() {
        let t = "Sí, me interesa.\n\nEl lun, 7 dic 2026 a las 10:00, Acme <hola@acme.test> escribió:\n> ¿Te interesa?\n";
        assert_eq!(reply_text(t), "Sí, me interesa.");
        let t = "Yes\n\nOn Mon, Dec 7, 2026 at 10:00 AM Acme wrote:\n> hi";
        assert_eq!(reply_text(t), "Yes");
        assert_eq!(reply_text("ok\n> quoted\n> more"), "ok");
        assert_eq!(reply_text("> only quoted"), "> only quoted", "nothing lost");
        assert_eq!(strip_html("<p>Hola &amp; <b>adiós</b></p>"), "Hola & adiós");
    }

    #[test]
    fn both_vendors_end_in_one_email() {
        let sg = SendGridParse {
            from: "Ana <ana@cliente.test>".into(),
            to: "inbox@acme.test".into(),
            subject: "Re: Propuesta".into(),
            text: "Perfecto\n\nOn Mon, Acme wrote:\n> x".into(),
            html: String::new(),
            headers: "Message-ID: <r1@mail.test>\nIn-Reply-To: <m1@acme.test>\nReferences: <m0@acme.test> <m1@acme.test>\n".into(),
        }
        .into_email()
        .expect("email");
        assert_eq!(sg.text, "Perfecto");
        assert_eq!(sg.ancestors(), vec!["m1@acme.test", "m0@acme.test"]);
        let brevo: BrevoInbound = serde_json::from_value(serde_json::json!({"items": [{
            "MessageId": "<r2@mail.test>", "InReplyTo": "<m1@acme.test>",
            "From": {"Name": "Ana", "Address": "ana@cliente.test"},
            "To": [{"Name": null, "Address": "inbox@acme.test"}],
            "Subject": "Re: Propuesta", "RawTextBody": "Va\n> x",
            "ExtractedMarkdownMessage": "Va", "Headers": {"References": "<m1@acme.test>"}
        }]}))
        .expect("brevo");
        let e = brevo
            .items
            .into_iter()
            .next()
            .and_then(BrevoItem::into_email)
            .expect("email");
        assert_eq!(
            (e.from.as_str(), e.text.as_str()),
            ("ana@cliente.test", "Va")
        );
        assert_eq!(e.in_reply_to.as_deref(), Some("m1@acme.test"));
    }
}
