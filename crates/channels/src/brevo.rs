//! Brevo (formerly Sendinblue) transactional email: `POST {base}/v3/smtp/email`
//! with the `api-key` header. 201 returns `{"messageId": "<…>"}`; errors are
//! `{"code","message"}`. Brevo de-duplicates on the `idempotencyKey` entry of
//! `headers`, as its API reference documents.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::config::Secret;
use crate::email::PreparedEmail;
use crate::message::{
    DeliveryStatus, SendError, SendOutcome, classify_reqwest, error_from_response,
};

/// A Brevo account.
#[derive(Debug, Clone)]
pub struct Brevo {
    client: reqwest::Client,
    base: String,
    api_key: Secret,
}

/// The JSON body (`sendSmtpEmail` schema) for one email.
pub fn request_body(email: &PreparedEmail) -> Value {
    let mut sender = json!({ "email": email.from.email });
    if let Some(name) = &email.from.name {
        sender["name"] = json!(name);
    }
    let mut headers = serde_json::Map::new();
    headers.insert("idempotencyKey".to_owned(), json!(email.idempotency_key));
    // Brevo echoes `X-Mailin-custom` in its webhook events: how an event is
    // matched to our message (the send job's key is the message id).
    headers.insert(
        "X-Mailin-custom".to_owned(),
        json!(format!("af:{}", email.idempotency_key)),
    );
    // Unsubscribe and thread headers. Brevo's schema calls `headers` "custom
    // headers (not the standard headers)" without listing refused names,
    // and offers no other field for threading, so Message-ID, In-Reply-To
    // and References go here too. Brevo may still stamp its own
    // Message-ID: the one it used comes back as `messageId` (the
    // provider id), and In-Reply-To / References are what threads a
    // reply either way.
    for (k, v) in email.extra_headers() {
        headers.insert(k.to_owned(), Value::String(v));
    }
    let mut body = json!({
        "sender": sender,
        "to": [{ "email": email.to }],
        "subject": email.subject,
        "headers": headers,
    });
    if let Some(text) = &email.text {
        body["textContent"] = json!(text);
    }
    if let Some(html) = &email.html {
        body["htmlContent"] = json!(html);
    }
    if let Some(r) = &email.reply_to {
        body["replyTo"] = json!({ "email": r });
    }
    if !email.attachments.is_empty() {
        // Brevo names the file and takes base64 content (`attachment`,
        // singular, in the sendSmtpEmail schema); the type comes from the
        // name's extension, which must be one it allows (ics is).
        body["attachment"] = email
            .attachments
            .iter()
            .map(|a| {
                json!({
                    "content": base64::engine::general_purpose::STANDARD.encode(&a.content),
                    "name": a.filename,
                })
            })
            .collect();
    }
    body
}

fn vendor_message(body: &str) -> Option<(String, Option<String>)> {
    let v: Value = serde_json::from_str(body).ok()?;
    let message = v.get("message")?.as_str()?.to_owned();
    let code = v.get("code").and_then(Value::as_str).map(str::to_owned);
    Some((message, code))
}

impl Brevo {
    /// A client for `base` (e.g. `https://api.brevo.com`).
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
            .post(format!("{}/v3/smtp/email", self.base))
            .header("api-key", self.api_key.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&request_body(email))
            .send()
            .await
            .map_err(|e| classify_reqwest(&e))?;
        if resp.status().is_success() {
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let id = body
                .get("messageId")
                .and_then(Value::as_str)
                .map(str::to_owned);
            return Ok(SendOutcome {
                provider: "brevo",
                provider_id: id,
                status: DeliveryStatus::Sent,
            });
        }
        Err(error_from_response(resp, vendor_message).await)
    }
}
