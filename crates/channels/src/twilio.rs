//! Twilio Programmable Messaging (SMS, WhatsApp) and Voice, REST API
//! 2010-04-01: form-encoded `POST {base}/2010-04-01/Accounts/{Sid}/Messages.json`
//! and `.../Calls.json` with HTTP Basic auth (account SID : auth token).
//! Errors come back as `{"code","message","more_info","status"}`.

use serde::Deserialize;

use crate::config::Secret;
use crate::message::{
    DeliveryStatus, OutgoingMessage, SendChannel, SendError, SendOutcome, classify_reqwest,
    error_from_response,
};
use crate::sanitize;

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

    /// The form for `Messages.json` (SMS or WhatsApp).
    pub fn message_form(
        &self,
        msg: &OutgoingMessage,
    ) -> Result<Vec<(&'static str, String)>, SendError> {
        let body = msg
            .text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| invalid("empty body"))?;
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
        let mut form = vec![("To", to), ("From", from), ("Body", body.to_owned())];
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
        Some(Self {
            sid: sid.to_owned(),
            channel,
            from: strip(from),
            to: strip(to),
            keyword: crate::keywords::classify(&body),
            body,
        })
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
