//! Twilio Programmable Messaging (SMS, WhatsApp) and Voice, REST API
//! 2010-04-01: form-encoded `POST {base}/2010-04-01/Accounts/{Sid}/Messages.json`
//! and `.../Calls.json` with HTTP Basic auth (account SID : auth token).
//! Errors come back as `{"code","message","more_info","status"}`.
//!
//! Messages carry either a `Body` or an approved Content API template
//! (`ContentSid` + `ContentVariables`, which WhatsApp requires to open a
//! conversation). Inbound messages are read from the webhook form, with
//! their media URLs and the WhatsApp profile name; [`fetch_media`]
//! downloads a media file through the SSRF guard.

use serde::Deserialize;

use crate::config::Secret;
use crate::message::{
    DeliveryStatus, OutgoingMessage, SendChannel, SendError, SendOutcome, classify_http,
    classify_reqwest, error_from_response,
};
use crate::sanitize;
use crate::ssrf::{self, SsrfPolicy};

/// Twilio error codes meaning "the recipient unsubscribed": 21610 ("Attempt
/// to send to unsubscribed recipient", the recipient replied STOP). Not
/// included: 21614 ("'To' number is not a valid mobile number") and 21211
/// (invalid number), which are permanent but are not opt-outs.
pub const OPT_OUT_CODES: &[i64] = &[21610];

/// Twilio settings for one account.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// Account SID (`AC…`).
    pub account_sid: String,
    /// Auth token (also validates webhook signatures).
    pub auth_token: Secret,
    /// Default SMS sender (E.164 or messaging service number).
    pub sms_from: Option<String>,
    /// Default WhatsApp sender (with or without `whatsapp:`).
    pub whatsapp_from: Option<String>,
    /// Default caller id for calls.
    pub caller_id: Option<String>,
    /// API base, `https://api.twilio.com` unless overridden.
    pub api_base: String,
}

/// A Twilio account client.
#[derive(Debug, Clone)]
pub struct Twilio {
    client: reqwest::Client,
    cfg: TwilioConfig,
}

/// Twilio's error document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TwilioApiError {
    /// Twilio error code (21610, 21211, ...).
    pub code: Option<i64>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// HTTP status Twilio reports.
    pub status: Option<u16>,
    /// Link to the error's documentation.
    pub more_info: Option<String>,
}

/// Reads Twilio's error JSON.
pub fn parse_error(body: &str) -> Option<TwilioApiError> {
    serde_json::from_str(body).ok()
}

#[derive(Debug, Deserialize)]
struct Created {
    sid: Option<String>,
    status: Option<String>,
}

fn invalid(what: &str) -> SendError {
    SendError::Permanent {
        message: format!("invalid {what}"),
        code: Some("invalid_message".to_owned()),
        opted_out: false,
    }
}

fn not_configured(what: &str) -> SendError {
    SendError::Permanent {
        message: format!("no {what} configured"),
        code: Some("not_configured".to_owned()),
        opted_out: false,
    }
}

/// Checks a Content API template: the SID is `HX` and 32 hex digits (the
/// pattern of `ContentSid` in Twilio's OpenAPI document), the variables a
/// JSON object of strings (template variables are text substitutions, so
/// anything else is a caller's mistake, caught here rather than as a
/// failed send at Twilio). Returns the two form values.
pub fn template_params(
    content_sid: &str,
    content_variables: Option<&str>,
) -> Result<(String, Option<String>), SendError> {
    let sid = content_sid.trim();
    let sid_ok =
        sid.len() == 34 && sid.starts_with("HX") && sid[2..].chars().all(|c| c.is_ascii_hexdigit());
    if !sid_ok {
        return Err(invalid("ContentSid (HX and 32 hex digits)"));
    }
    let variables = match content_variables {
        None => None,
        Some(text) => {
            let parsed: serde_json::Value =
                serde_json::from_str(text).map_err(|_| invalid("ContentVariables (not JSON)"))?;
            let all_strings = parsed
                .as_object()
                .is_some_and(|o| o.values().all(serde_json::Value::is_string));
            if !all_strings {
                return Err(invalid("ContentVariables (a JSON object of strings)"));
            }
            Some(text.trim().to_owned())
        }
    };
    Ok((sid.to_owned(), variables))
}

/// `whatsapp:+E164` from a number with or without the prefix.
pub fn whatsapp_address(number: &str) -> Result<String, SendError> {
    let n = number.trim();
    let n = n.strip_prefix("whatsapp:").unwrap_or(n);
    let n = sanitize::phone_e164(n).map_err(|_| invalid("WhatsApp number"))?;
    Ok(format!("whatsapp:{n}"))
}

impl Twilio {
    /// A client for the account.
    pub fn new(client: reqwest::Client, mut cfg: TwilioConfig) -> Self {
        cfg.api_base = cfg.api_base.trim_end_matches('/').to_owned();
        Self { client, cfg }
    }

    /// The account's auth token (for signature validation).
    pub fn auth_token(&self) -> &Secret {
        &self.cfg.auth_token
    }

    fn url(&self, resource: &str) -> Result<String, SendError> {
        let sid = &self.cfg.account_sid;
        if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(not_configured("valid TWILIO_ACCOUNT_SID"));
        }
        Ok(format!(
            "{}/2010-04-01/Accounts/{sid}/{resource}.json",
            self.cfg.api_base
        ))
    }

    /// The form for `Messages.json` (SMS or WhatsApp): `Body`, or for an
    /// approved template `ContentSid` and `ContentVariables` without `Body`
    /// (Twilio's Messages API takes either; the template brings its text).
    pub fn message_form(
        &self,
        msg: &OutgoingMessage,
    ) -> Result<Vec<(&'static str, String)>, SendError> {
        // A template carries its own text, so the body may be empty then and
        // is not sent. Checked before anything else so a bad message never
        // reaches Twilio.
        let content = match &msg.content_sid {
            Some(sid) => {
                let (sid, variables) = template_params(sid, msg.content_variables.as_deref())?;
                let mut fields = vec![("ContentSid", sid)];
                fields.extend(variables.map(|v| ("ContentVariables", v)));
                fields
            }
            None if msg.content_variables.is_some() => {
                return Err(invalid("ContentVariables without ContentSid"));
            }
            None => {
                let body = msg
                    .text
                    .as_deref()
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| invalid("empty body"))?;
                vec![("Body", body.to_owned())]
            }
        };
        let (to, from) = match msg.channel {
            SendChannel::Sms => {
                let to = sanitize::phone_e164(&msg.to).map_err(|_| invalid("recipient number"))?;
                let from = msg
                    .from
                    .clone()
                    .or_else(|| self.cfg.sms_from.clone())
                    .or_else(|| self.cfg.caller_id.clone())
                    .ok_or_else(|| not_configured("TWILIO_SMS_SENDER"))?;
                (to, from.trim().to_owned())
            }
            SendChannel::WhatsApp => {
                let to = whatsapp_address(&msg.to)?;
                let from = msg
                    .from
                    .clone()
                    .or_else(|| self.cfg.whatsapp_from.clone())
                    .ok_or_else(|| not_configured("TWILIO_WHATSAPP_SENDER"))?;
                (to, whatsapp_address(&from)?)
            }
            SendChannel::Email | SendChannel::Voice => {
                return Err(invalid("channel for Twilio Messages"));
            }
        };
        let mut form = vec![("To", to), ("From", from)];
        form.extend(content);
        if let Some(cb) = &msg.status_callback_url {
            form.push(("StatusCallback", cb.clone()));
        }
        Ok(form)
    }

    /// The form for `Calls.json`: inline TwiML, status callbacks for every
    /// progress event, and answering-machine detection when asked.
    pub fn call_form(
        &self,
        msg: &OutgoingMessage,
    ) -> Result<Vec<(&'static str, String)>, SendError> {
        if msg.content_sid.is_some() || msg.content_variables.is_some() {
            return Err(invalid("template on a call (WhatsApp and SMS only)"));
        }
        let spec = msg
            .voice
            .as_ref()
            .ok_or_else(|| invalid("call without voice spec"))?;
        let twiml = crate::twiml::for_voice(spec)
            .ok_or_else(|| invalid("call with nothing to say or play"))?;
        let to = sanitize::phone_e164(&msg.to).map_err(|_| invalid("recipient number"))?;
        let from = msg
            .from
            .clone()
            .or_else(|| self.cfg.caller_id.clone())
            .or_else(|| self.cfg.sms_from.clone())
            .ok_or_else(|| not_configured("TWILIO_CALLER_ID"))?;
        let mut form = vec![
            ("To", to),
            ("From", from.trim().to_owned()),
            ("Twiml", twiml),
        ];
        if let Some(cb) = &msg.status_callback_url {
            form.push(("StatusCallback", cb.clone()));
            form.push(("StatusCallbackMethod", "POST".to_owned()));
            for ev in ["initiated", "ringing", "answered", "completed"] {
                form.push(("StatusCallbackEvent", ev.to_owned()));
            }
        }
        if spec.machine_detection {
            form.push(("MachineDetection", "Enable".to_owned()));
        }
        Ok(form)
    }

    /// Sends an SMS or WhatsApp message, or places a call.
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SendOutcome, SendError> {
        let (url, form) = match msg.channel {
            SendChannel::Sms | SendChannel::WhatsApp => {
                (self.url("Messages")?, self.message_form(msg)?)
            }
            SendChannel::Voice => (self.url("Calls")?, self.call_form(msg)?),
            SendChannel::Email => return Err(invalid("channel for Twilio")),
        };
        let resp = self
            .client
            .post(url)
            .basic_auth(&self.cfg.account_sid, Some(self.cfg.auth_token.expose()))
            .form(&form)
            .send()
            .await
            .map_err(|e| classify_reqwest(&e))?;
        if resp.status().is_success() {
            let created: Option<Created> = resp.json().await.ok();
            let (sid, status) = created.map_or((None, None), |c| (c.sid, c.status));
            return Ok(SendOutcome {
                provider: "twilio",
                provider_id: sid,
                status: status
                    .as_deref()
                    .and_then(DeliveryStatus::from_twilio)
                    .unwrap_or(DeliveryStatus::Queued),
            });
        }
        let err = error_from_response(resp, |body| {
            let e = parse_error(body)?;
            Some((e.message, e.code.map(|c| c.to_string())))
        })
        .await;
        Err(mark_opt_out(err))
    }
}

/// Turns a permanent error carrying an opt-out code into `opted_out = true`.
fn mark_opt_out(err: SendError) -> SendError {
    match err {
        SendError::Permanent { message, code, .. }
            if code
                .as_deref()
                .and_then(|c| c.parse::<i64>().ok())
                .is_some_and(|c| OPT_OUT_CODES.contains(&c)) =>
        {
            SendError::Permanent {
                message,
                code,
                opted_out: true,
            }
        }
        other => other,
    }
}

/// What a finished call means for the voice step that placed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// A person answered.
    Answered,
    /// An answering machine (or fax) answered.
    Machine,
    /// Nobody answered.
    NoAnswer,
    /// The line was busy.
    Busy,
    /// The call failed or was canceled.
    Failed,
}

/// A status callback (message or call), read from its form parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    /// `MessageSid` or `CallSid`: matches [`SendOutcome::provider_id`].
    pub sid: String,
    /// `MessageStatus` / `CallStatus` as sent.
    pub raw_status: String,
    /// The mapped status (`None` for values Twilio may add later).
    pub status: Option<DeliveryStatus>,
    /// `ErrorCode` of failed / undelivered messages (e.g. 30003, 21610).
    pub error_code: Option<String>,
    /// `AnsweredBy` of calls with machine detection (`human`,
    /// `machine_start`, `machine_end_beep`, `fax`, `unknown`, ...).
    pub answered_by: Option<String>,
}

fn param<'a, K: AsRef<str>, V: AsRef<str>>(params: &'a [(K, V)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.as_ref() == name)
        .map(|(_, v)| v.as_ref())
        .filter(|v| !v.is_empty())
}

impl StatusCallback {
    /// Reads a callback's decoded form body (validate the signature first).
    /// `None` when it carries neither a message nor a call sid.
    pub fn from_params<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Option<Self> {
        let (sid, raw) = match param(params, "CallSid") {
            Some(call) if param(params, "MessageSid").is_none() => {
                (call, param(params, "CallStatus"))
            }
            _ => (
                param(params, "MessageSid").or_else(|| param(params, "SmsSid"))?,
                param(params, "MessageStatus").or_else(|| param(params, "SmsStatus")),
            ),
        };
        let raw = raw.unwrap_or_default().to_owned();
        Some(Self {
            sid: sid.to_owned(),
            status: DeliveryStatus::from_twilio(&raw),
            raw_status: raw,
            error_code: param(params, "ErrorCode").map(str::to_owned),
            answered_by: param(params, "AnsweredBy").map(str::to_owned),
        })
    }

    /// Whether the error code marks the recipient as opted out.
    pub fn is_opt_out(&self) -> bool {
        self.error_code
            .as_deref()
            .and_then(|c| c.parse::<i64>().ok())
            .is_some_and(|c| OPT_OUT_CODES.contains(&c))
    }

    /// For a finished call, what happened; `None` while it is in progress.
    pub fn call_outcome(&self) -> Option<CallOutcome> {
        Some(match self.raw_status.as_str() {
            "completed" | "in-progress" | "answered" => match self.answered_by.as_deref() {
                Some(a) if a.starts_with("machine") || a == "fax" => CallOutcome::Machine,
                _ if self.raw_status == "completed" || self.answered_by.is_some() => {
                    CallOutcome::Answered
                }
                _ => return None,
            },
            "no-answer" => CallOutcome::NoAnswer,
            "busy" => CallOutcome::Busy,
            "failed" | "canceled" => CallOutcome::Failed,
            _ => return None,
        })
    }
}

/// Most media one inbound message carries (Twilio sends at most 10).
pub const MAX_INBOUND_MEDIA: usize = 10;

/// Longest WhatsApp profile name kept.
pub const MAX_PROFILE_NAME_CHARS: usize = 100;

/// One file attached to an inbound message (`MediaUrl{i}` /
/// `MediaContentType{i}`). The URL is Twilio's and needs the account's
/// credentials: fetch it with [`fetch_media`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMedia {
    /// `https` URL of the file at Twilio.
    pub url: String,
    /// MIME type as Twilio reported it, lower-cased (may be empty).
    pub content_type: String,
}

/// An inbound SMS or WhatsApp message, read from Twilio's webhook form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// `MessageSid`, for de-duplication.
    pub sid: String,
    /// SMS or WhatsApp (from the `whatsapp:` prefix).
    pub channel: SendChannel,
    /// Sender number, E.164 without prefix.
    pub from: String,
    /// Our number, E.164 without prefix.
    pub to: String,
    /// Text.
    pub body: String,
    /// STOP / START / HELP when the whole body is one.
    pub keyword: Option<crate::keywords::Keyword>,
    /// Attached files (MMS, WhatsApp), in Twilio's order; at most
    /// [`MAX_INBOUND_MEDIA`], only http(s) URLs.
    pub media: Vec<InboundMedia>,
    /// `ProfileName`: the WhatsApp sender's own display name, cleaned to
    /// one line of at most [`MAX_PROFILE_NAME_CHARS`] characters. The
    /// sender chose it, so it names a new contact but proves nothing.
    pub profile_name: Option<String>,
}

impl InboundMessage {
    /// Reads an inbound message's decoded form body (validate the signature
    /// first). `None` without `MessageSid` or `From`.
    pub fn from_params<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Option<Self> {
        let sid = param(params, "MessageSid").or_else(|| param(params, "SmsSid"))?;
        let from = param(params, "From")?;
        let to = param(params, "To").unwrap_or_default();
        let channel = if from.starts_with("whatsapp:") {
            SendChannel::WhatsApp
        } else {
            SendChannel::Sms
        };
        let strip = |s: &str| s.strip_prefix("whatsapp:").unwrap_or(s).to_owned();
        let body = param(params, "Body").unwrap_or_default().to_owned();
        let profile_name = param(params, "ProfileName")
            .map(|n| {
                let one_line = sanitize::header_text(n);
                let capped: String = one_line.chars().take(MAX_PROFILE_NAME_CHARS).collect();
                capped.trim().to_owned()
            })
            .filter(|n| !n.is_empty());
        Some(Self {
            sid: sid.to_owned(),
            channel,
            from: strip(from),
            to: strip(to),
            keyword: crate::keywords::classify(&body),
            body,
            media: inbound_media(params),
            profile_name,
        })
    }
}

/// `MediaUrl{i}` / `MediaContentType{i}` for `i` below `NumMedia` (capped
/// at [`MAX_INBOUND_MEDIA`]). Entries past `NumMedia` are not Twilio's
/// and are ignored; so are URLs that are not http(s). Twilio only sends
/// https; [`fetch_media`] refuses plain http to any public host (our
/// credentials would travel in clear) and allows it only to local ones (a
/// test's fake Twilio).
fn inbound_media<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Vec<InboundMedia> {
    let count = param(params, "NumMedia")
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_INBOUND_MEDIA);
    (0..count)
        .filter_map(|i| {
            let url = param(params, &format!("MediaUrl{i}"))?.trim();
            let parsed = url::Url::parse(url).ok()?;
            if !matches!(parsed.scheme(), "https" | "http")
                || parsed.host_str().is_none_or(str::is_empty)
            {
                return None;
            }
            let content_type = param(params, &format!("MediaContentType{i}"))
                .map(|t| sanitize::header_text(t).to_ascii_lowercase())
                .unwrap_or_default();
            Some(InboundMedia {
                url: parsed.to_string(),
                content_type,
            })
        })
        .collect()
}

/// The media types [`fetch_media`] accepts, with the file extension each
/// gets: what WhatsApp and MMS senders send in practice (pictures, voice
/// notes, short videos, PDFs) and what a browser shows safely. Anything
/// else (HTML, SVG, executables) is refused rather than stored.
pub const MEDIA_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("application/pdf", "pdf"),
    ("audio/ogg", "ogg"),
    ("audio/mpeg", "mp3"),
    ("video/mp4", "mp4"),
];

/// Longest file name [`fetch_media`] makes.
pub const MAX_MEDIA_FILENAME: usize = 80;

/// Redirects [`fetch_media`] follows (Twilio answers with one, to its
/// media CDN).
pub const MAX_MEDIA_REDIRECTS: usize = 3;

/// Whole-request timeout of each hop of [`fetch_media`].
pub const MEDIA_FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A file fetched from Twilio.
#[derive(Clone, PartialEq, Eq)]
pub struct FetchedMedia {
    /// One of [`MEDIA_TYPES`], without parameters.
    pub content_type: String,
    /// The file.
    pub bytes: Vec<u8>,
    /// A safe name: `[A-Za-z0-9._-]`, at most [`MAX_MEDIA_FILENAME`]
    /// characters, ending in the type's extension.
    pub filename: String,
}

impl std::fmt::Debug for FetchedMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchedMedia")
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .field("filename", &self.filename)
            .finish()
    }
}

fn media_error(code: &str, message: impl Into<String>) -> SendError {
    SendError::Permanent {
        message: message.into(),
        code: Some(code.to_owned()),
        opted_out: false,
    }
}

/// Downloads an inbound message's file (an [`InboundMedia::url`]).
///
/// Every hop goes through the SSRF guard ([`ssrf::resolve`], pinned, no
/// automatic redirects): the URL came in a webhook form, and a forged or
/// replayed form must not make us fetch an internal address. Twilio
/// answers with a redirect to its media CDN; that is followed by hand, up
/// to [`MAX_MEDIA_REDIRECTS`], each target checked again. HTTP Basic
/// credentials (account SID, auth token) go only to the first URL's
/// origin, never to the CDN or anywhere a redirect points, and never in
/// clear text over the internet: `http` is only accepted for hosts that
/// resolve to non-public addresses (a local relay or test server, which
/// `policy` must allow anyway).
///
/// The body is read in chunks and refused as soon as it passes
/// `max_bytes` (a `Content-Length` above it is refused before reading).
/// Only [`MEDIA_TYPES`] are accepted.
///
/// Pass only URLs read from a webhook whose signature was validated: the
/// credentials go to the origin of `url`.
///
/// Errors: `ssrf_refused`, `insecure_url`, `too_many_redirects`,
/// `media_too_large` and `media_type_refused` are permanent, as are 4xx
/// answers; unresolvable hosts, connection failures, timeouts, 5xx and 429
/// are retryable.
pub async fn fetch_media(
    url: &str,
    account_sid: &str,
    auth_token: &Secret,
    policy: &SsrfPolicy,
    max_bytes: usize,
) -> Result<FetchedMedia, SendError> {
    let first = ssrf::check_url_syntax(url, *policy).map_err(ssrf_error)?;
    let mut current = first.clone();
    for _hop in 0..=MAX_MEDIA_REDIRECTS {
        let target = ssrf::resolve(current.as_str(), *policy)
            .await
            .map_err(ssrf_error)?;
        if target.url.scheme() != "https" && !only_non_public(&target) {
            return Err(media_error(
                "insecure_url",
                "media URL must be https (plain http only reaches local hosts)",
            ));
        }
        let client = target
            .client(MEDIA_FETCH_TIMEOUT)
            .map_err(|e| SendError::permanent(e.to_string()))?;
        let mut req = client
            .get(target.url.clone())
            .header(reqwest::header::USER_AGENT, "AgencyFlow-Media/1");
        if target.url.origin() == first.origin() {
            req = req.basic_auth(account_sid, Some(auth_token.expose()));
        }
        let resp = req.send().await.map_err(|e| classify_reqwest(&e))?;
        let status = resp.status();
        if status.is_redirection() {
            let next = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|loc| target.url.join(loc).ok())
                .ok_or_else(|| {
                    media_error(
                        &status.as_u16().to_string(),
                        format!(
                            "HTTP {}: redirect without a usable Location",
                            status.as_u16()
                        ),
                    )
                })?;
            current = next;
            continue;
        }
        if !status.is_success() {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // The body is not read: it is not ours to size.
            return Err(classify_http(
                status.as_u16(),
                retry_after.as_deref(),
                "media fetch failed".to_owned(),
                None,
            ));
        }
        return read_media(resp, &first, max_bytes).await;
    }
    Err(media_error(
        "too_many_redirects",
        format!("more than {MAX_MEDIA_REDIRECTS} redirects"),
    ))
}

/// Checks the type and size of a 2xx answer and reads its body.
async fn read_media(
    mut resp: reqwest::Response,
    first: &url::Url,
    max_bytes: usize,
) -> Result<FetchedMedia, SendError> {
    let raw_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = raw_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some(&(content_type, ext)) = MEDIA_TYPES.iter().find(|(t, _)| *t == essence) else {
        return Err(media_error(
            "media_type_refused",
            format!(
                "media type {:?} is not accepted (allowed: {})",
                crate::message::excerpt(&essence, 60),
                MEDIA_TYPES
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let too_large = || {
        media_error(
            "media_too_large",
            format!("media larger than {max_bytes} bytes"),
        )
    };
    if resp.content_length().is_some_and(|n| n > max_bytes as u64) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify_reqwest(&e))? {
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(FetchedMedia {
        content_type: content_type.to_owned(),
        bytes,
        filename: media_filename(first, ext),
    })
}

/// Whether every address the target resolved to is loopback / private:
/// plain http is then not crossing the internet.
fn only_non_public(target: &ssrf::CheckedTarget) -> bool {
    let public_only = SsrfPolicy {
        allow_private: false,
    };
    !target.addrs.is_empty()
        && target
            .addrs
            .iter()
            .all(|a| ssrf::check_ip("", a.ip(), public_only).is_err())
}

fn ssrf_error(e: ssrf::SsrfError) -> SendError {
    match e {
        ssrf::SsrfError::Resolve(host) => SendError::retryable(format!("could not resolve {host}")),
        other => media_error("ssrf_refused", other.to_string()),
    }
}

/// `{last path segment}.{ext}`, the segment percent-decoded, its own
/// extension (up to five letters or digits) dropped, every character outside `[A-Za-z0-9._-]` replaced by
/// `_`, leading dots removed (no hidden files, no `..`) and the whole
/// capped at [`MAX_MEDIA_FILENAME`]; `media.{ext}` when nothing is left.
pub fn media_filename(url: &url::Url, ext: &str) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut s| s.rfind(|p| !p.is_empty()))
        .unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
    let decoded: &str = &decoded;
    // Only a short alphanumeric tail counts as an extension to replace, so
    // `../../etc/passwd` is not cut at its dots.
    let stem = match decoded.rsplit_once('.') {
        Some((stem, old))
            if !stem.is_empty()
                && (1..=5).contains(&old.len())
                && old.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            stem
        }
        _ => decoded,
    };
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    let room = MAX_MEDIA_FILENAME.saturating_sub(ext.len() + 1);
    let stem: String = cleaned.chars().take(room).collect();
    let stem = stem.trim_end_matches('.');
    if stem.is_empty() {
        format!("media.{ext}")
    } else {
        format!("{stem}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_status_callbacks() {
        let cb = StatusCallback::from_params(&[
            ("MessageSid", "SM1"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "21610"),
        ])
        .expect("callback");
        assert_eq!(cb.sid, "SM1");
        assert_eq!(cb.status, Some(DeliveryStatus::Undelivered));
        assert!(cb.is_opt_out());
        assert_eq!(cb.call_outcome(), None);
        assert!(StatusCallback::from_params(&[("Foo", "bar")]).is_none());
    }

    #[test]
    fn call_outcomes() {
        let call = |status: &str, by: Option<&str>| {
            let mut p = vec![("CallSid", "CA1"), ("CallStatus", status)];
            if let Some(b) = by {
                p.push(("AnsweredBy", b));
            }
            StatusCallback::from_params(&p)
                .expect("callback")
                .call_outcome()
        };
        assert_eq!(
            call("completed", Some("human")),
            Some(CallOutcome::Answered)
        );
        assert_eq!(call("completed", None), Some(CallOutcome::Answered));
        assert_eq!(
            call("completed", Some("machine_end_beep")),
            Some(CallOutcome::Machine)
        );
        assert_eq!(call("in-progress", Some("fax")), Some(CallOutcome::Machine));
        assert_eq!(call("no-answer", None), Some(CallOutcome::NoAnswer));
        assert_eq!(call("busy", None), Some(CallOutcome::Busy));
        assert_eq!(call("failed", None), Some(CallOutcome::Failed));
        assert_eq!(call("ringing", None), None);
        assert_eq!(call("in-progress", None), None);
    }

    #[test]
    fn inbound_messages() {
        let m = InboundMessage::from_params(&[
            ("MessageSid", "SM9"),
            ("From", "whatsapp:+525512345678"),
            ("To", "whatsapp:+15550002222"),
            ("Body", " Stop "),
        ])
        .expect("inbound");
        assert_eq!(m.channel, SendChannel::WhatsApp);
        assert_eq!(m.from, "+525512345678");
        assert_eq!(m.to, "+15550002222");
        assert_eq!(m.keyword, Some(crate::keywords::Keyword::OptOut));
        let m = InboundMessage::from_params(&[
            ("MessageSid", "SM8"),
            ("From", "+525512345678"),
            ("Body", "STOP PLEASE"),
        ])
        .expect("inbound");
        assert_eq!((m.channel, m.keyword), (SendChannel::Sms, None));
    }
}
