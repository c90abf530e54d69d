//! SendGrid Mail Send v3: `POST {base}/v3/mail/send` with a Bearer API key.
//! 202 Accepted means queued at SendGrid; its id comes back in the
//! `X-Message-Id` header. Errors carry `{"errors":[{"message","field"}]}`.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::config::Secret;
use crate::email::PreparedEmail;
use crate::message::{
    DeliveryStatus, SendError, SendOutcome, classify_reqwest, error_from_response,
};

/// A SendGrid account.
#[derive(Debug, Clone)]
pub struct SendGrid {
    client: reqwest::Client,
    base: String,
    api_key: Secret,
}

/// The JSON body for one email, as the Mail Send v3 schema describes it.
/// `content` lists `text/plain` before `text/html` (SendGrid requires that
/// order); the idempotency key (our message id when the send job sends)
/// rides in `custom_args`, which SendGrid echoes in every event webhook
/// post, so events are matched to our message.
pub fn request_body(email: &PreparedEmail) -> Value {
    let mut from = json!({ "email": email.from.email });
    if let Some(name) = &email.from.name {
        from["name"] = json!(name);
    }
    let mut content = Vec::new();
    if let Some(text) = &email.text {
        content.push(json!({ "type": "text/plain", "value": text }));
    }
    if let Some(html) = &email.html {
        content.push(json!({ "type": "text/html", "value": html }));
    }
    let mut body = json!({
        "personalizations": [{
            "to": [{ "email": email.to }],
            "custom_args": { "af_idempotency_key": email.idempotency_key },
        }],
        "from": from,
        "subject": email.subject,
        "content": content,
    });
    if let Some(r) = &email.reply_to {
        body["reply_to"] = json!({ "email": r });
    }
    if !email.attachments.is_empty() {
        body["attachments"] = email
            .attachments
            .iter()
            .map(|a| {
                json!({
                    "content": base64::engine::general_purpose::STANDARD.encode(&a.content),
                    "type": a.content_type,
                    "filename": a.filename,
                    "disposition": "attachment",
                })
            })
            .collect();
    }
    // Unsubscribe and thread headers. SendGrid's Mail Send schema lists the
    // headers `headers` may not override (x-sg-id, x-sg-eid, received,
    // dkim-signature, Content-Type, Content-Transfer-Encoding, To, From,
    // Subject, Reply-To, CC, BCC): Message-ID, In-Reply-To and References
    // are not among them, so all three go here.
    let headers = email.extra_headers();
    if !headers.is_empty() {
        let map: serde_json::Map<String, Value> = headers
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect();
        body["headers"] = Value::Object(map);
    }
    body
}

fn vendor_message(body: &str) -> Option<(String, Option<String>)> {
    let v: Value = serde_json::from_str(body).ok()?;
    let errors = v.get("errors")?.as_array()?;
    let msgs: Vec<String> = errors
        .iter()
        .filter_map(|e| {
            let m = e.get("message")?.as_str()?;
            Some(match e.get("field").and_then(Value::as_str) {
                Some(f) if f != "null" => format!("{f}: {m}"),
                _ => m.to_owned(),
            })
        })
        .collect();
    (!msgs.is_empty()).then(|| (msgs.join("; "), None))
}

impl SendGrid {
    /// A client for `base` (e.g. `https://api.sendgrid.com`).
    pub fn new(client: reqwest::Client, base: &str, api_key: Secret) -> Self {
        Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            api_key,
        }
    }

    /// Sends one email.
    pub async fn send(&self, email: &PreparedEmail) -> Result<SendOutcome, SendError> {
        let resp = self
            .client
            .post(format!("{}/v3/mail/send", self.base))
            .bearer_auth(self.api_key.expose())
            .json(&request_body(email))
            .send()
            .await
            .map_err(|e| classify_reqwest(&e))?;
        if resp.status().is_success() {
            let id = resp
                .headers()
                .get("x-message-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Ok(SendOutcome {
                provider: "sendgrid",
                provider_id: id,
                status: DeliveryStatus::Sent,
            });
        }
        Err(error_from_response(resp, vendor_message).await)
    }
}
