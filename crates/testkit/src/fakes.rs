//! Fake vendor servers for channel tests: local HTTP servers that check each
//! request the way the vendor documents it and record what they saw.
//!
//! - [`FakeTwilio`] follows Twilio's REST API 2010-04-01 (the OpenAPI in
//!   `shared/vendor-specs/twilio_api_v2010.json`): HTTP Basic auth with the
//!   account SID and auth token, form-encoded bodies, the required fields of
//!   `Messages.json` and `Calls.json`. A request that breaks those rules is
//!   answered as Twilio would (401 / 400 with its error document) and listed
//!   in [`FakeTwilio::rejected`], so a test can require that list be empty.
//!   It also plays Twilio's side of the status callbacks: it signs them with
//!   `X-Twilio-Signature` using its own implementation of Twilio's
//!   algorithm (checked against Twilio's published vector below), not the
//!   product's.
//! - [`Receiver`] is a webhook endpoint answering scripted statuses (a 302 to
//!   another server, a 429 with `Retry-After`, ...) and recording requests.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

async fn serve(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn form_params(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

// ------------------------------------------------------------------ Twilio

/// What a Twilio request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwilioKind {
    /// `Messages.json` to a phone number.
    Sms,
    /// `Messages.json` to a `whatsapp:` address.
    WhatsApp,
    /// `Calls.json`.
    Call,
}

/// A well-formed request the fake answered (with success or a scripted
/// error).
#[derive(Debug, Clone)]
pub struct TwilioRequest {
    pub kind: TwilioKind,
    /// The status the fake answered.
    pub status: u16,
    /// The SID it created (`SM…` / `CA…`), when it answered 201.
    pub sid: Option<String>,
    /// The decoded form, in order (repeated names repeat).
    pub params: Vec<(String, String)>,
}

impl TwilioRequest {
    /// The first value of a form field.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated form field.
    pub fn params(&self, name: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The SID, for a request the fake accepted.
    pub fn sid(&self) -> &str {
        self.sid.as_deref().expect("the fake accepted this request")
    }
}

#[derive(Debug, Clone)]
struct Scripted {
    kind: TwilioKind,
    status: u16,
    code: i64,
    message: String,
}

#[derive(Default)]
struct TwilioState {
    requests: Vec<TwilioRequest>,
    rejected: Vec<String>,
    scripted: Vec<Scripted>,
    created: u32,
}

/// A fake Twilio account (see the module docs).
#[derive(Clone)]
pub struct FakeTwilio {
    /// `TWILIO_API_BASE` pointing at the fake.
    pub base: String,
    pub account_sid: String,
    pub auth_token: String,
    state: Arc<Mutex<TwilioState>>,
}

/// Twilio's error document with an HTTP status.
fn twilio_error(status: u16, code: i64, message: &str) -> Response {
    let body = serde_json::json!({
        "code": code, "message": message, "status": status,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
    });
    (
        StatusCode::from_u16(status).expect("status"),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The bytes every fake media file has: a PNG signature and a few more.
pub const FAKE_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRfake";

fn is_e164(n: &str) -> bool {
    n.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()))
}

fn is_absolute_http(u: &str) -> bool {
    url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// Checks a `Messages.json` form; the error's (code, message) otherwise.
fn check_message(p: &TwilioRequest) -> Result<TwilioKind, (i64, &'static str)> {
    let to = p
        .param("To")
        .ok_or((21604, "A 'To' phone number is required."))?;
    let from = p
        .param("From")
        .or(p.param("MessagingServiceSid"))
        .ok_or((21603, "A 'From' phone number is required."))?;
    let body = p.param("Body").unwrap_or_default();
    if body.trim().is_empty() && p.param("MediaUrl").is_none() && p.param("ContentSid").is_none() {
        return Err((21602, "Message body is required."));
    }
    if let Some(content) = p.param("ContentSid") {
        let valid = content.len() == 34
            && content.starts_with("HX")
            && content[2..].chars().all(|c| c.is_ascii_hexdigit());
        if !valid {
            return Err((21655, "The ContentSid is Invalid"));
        }
        if p.param("ContentVariables").is_some_and(|v| {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(v).is_err()
        }) {
            return Err((21656, "The ContentVariables Parameter is invalid"));
        }
    }
    if body.chars().count() > 1600 {
        return Err((
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ));
    }
    let whatsapp = to.starts_with("whatsapp:");
    if whatsapp != from.starts_with("whatsapp:") {
        return Err((
            21910,
            "Invalid From and To pair. From and To should be of the same channel.",
        ));
    }
    if !is_e164(to.strip_prefix("whatsapp:").unwrap_or(to)) {
        return Err((21211, "Invalid 'To' Phone Number"));
    }
    if p.param("StatusCallback")
        .is_some_and(|u| !is_absolute_http(u))
    {
        return Err((21609, "Invalid StatusCallback"));
    }
    Ok(if whatsapp {
        TwilioKind::WhatsApp
    } else {
        TwilioKind::Sms
    })
}

/// Checks a `Calls.json` form.
fn check_call(p: &TwilioRequest) -> Result<TwilioKind, (i64, &'static str)> {
    let to = p
        .param("To")
        .ok_or((21201, "No 'To' number is specified"))?;
    p.param("From")
        .ok_or((21213, "No 'From' number is specified"))?;
    if !is_e164(to) {
        return Err((21211, "Invalid 'To' Phone Number"));
    }
    if p.param("Url").is_none() && p.param("Twiml").is_none() && p.param("ApplicationSid").is_none()
    {
        return Err((21205, "Url parameter is required."));
    }
    if let Some(twiml) = p.param("Twiml") {
        let t = twiml.trim();
        let doc =
            t.contains("<Response>") && t.ends_with("</Response>") || t.ends_with("<Response/>");
        if twiml.chars().count() > 4000 || !doc {
            return Err((12100, "Document parse failure"));
        }
    }
    if p.param("Url").is_some_and(|u| !is_absolute_http(u)) {
        return Err((21205, "Url parameter is required."));
    }
    if p.param("MachineDetection")
        .is_some_and(|m| !matches!(m, "Enable" | "DetectMessageEnd"))
    {
        return Err((21220, "Invalid MachineDetection"));
    }
    if p.param("StatusCallbackMethod")
        .is_some_and(|m| !matches!(m, "GET" | "POST"))
    {
        return Err((21208, "Invalid StatusCallbackMethod"));
    }
    if p.params("StatusCallbackEvent")
        .iter()
        .any(|e| !matches!(*e, "initiated" | "ringing" | "answered" | "completed"))
    {
        return Err((21626, "Invalid StatusCallbackEvent"));
    }
    if p.param("StatusCallback")
        .is_some_and(|u| !is_absolute_http(u))
    {
        return Err((21609, "Invalid StatusCallback"));
    }
    Ok(TwilioKind::Call)
}

impl FakeTwilio {
    /// Starts the fake for a new account (its SID is shaped like Twilio's).
    pub async fn start() -> FakeTwilio {
        // Its callbacks use reqwest, built without a default TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let account_sid = format!("AC{}", uuid::Uuid::new_v4().simple());
        let auth_token = format!("{}", uuid::Uuid::new_v4().simple());
        let state = Arc::new(Mutex::new(TwilioState::default()));
        let (sid, token, st) = (account_sid.clone(), auth_token.clone(), state.clone());
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (sid, token, st) = (sid.clone(), token.clone(), st.clone());
                async move { handle(&sid, &token, &st, method, uri, headers, body) }
            },
        );
        let addr = serve(app).await;
        FakeTwilio {
            base: format!("http://{addr}"),
            account_sid,
            auth_token,
            state,
        }
    }

    /// Where Twilio would serve a media file of an inbound message.
    pub fn media_url(&self, message_sid: &str, media_sid: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages/{message_sid}/Media/{media_sid}",
            self.base, self.account_sid
        )
    }

    /// The server variables that point the product at this account.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TWILIO_ACCOUNT_SID", self.account_sid.clone()),
            ("TWILIO_AUTH_TOKEN", self.auth_token.clone()),
            ("TWILIO_API_BASE", self.base.clone()),
        ]
    }

    /// The next request of `kind` is answered with Twilio's error document
    /// (`status`, `code`, `message`) instead of being created.
    pub fn fail_next(&self, kind: TwilioKind, status: u16, code: i64, message: &str) {
        self.state.lock().expect("lock").scripted.push(Scripted {
            kind,
            status,
            code,
            message: message.into(),
        });
    }

    /// Every well-formed request, oldest first.
    pub fn requests(&self) -> Vec<TwilioRequest> {
        self.state.lock().expect("lock").requests.clone()
    }

    /// The well-formed requests of one kind.
    pub fn of(&self, kind: TwilioKind) -> Vec<TwilioRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.kind == kind)
            .collect()
    }

    /// Why each malformed request was refused (empty when the product
    /// followed the API).
    pub fn rejected(&self) -> Vec<String> {
        self.state.lock().expect("lock").rejected.clone()
    }

    /// `X-Twilio-Signature` for a callback to `url` with `params`, as Twilio
    /// computes it: base64 HMAC-SHA1 keyed with the auth token over the URL
    /// followed by each parameter's name and value, sorted by name (then
    /// value).
    pub fn signature(&self, url: &str, params: &[(&str, &str)]) -> String {
        twilio_signature(&self.auth_token, url, params)
    }

    /// Posts a status callback to `url` as Twilio does: form-encoded and
    /// signed with the account's token.
    pub async fn callback(&self, url: &str, params: &[(&str, &str)]) -> reqwest::Response {
        reqwest::Client::new()
            .post(url)
            .header("X-Twilio-Signature", self.signature(url, params))
            .header(header::USER_AGENT, "TwilioProxy/1.1")
            .form(params)
            .send()
            .await
            .expect("callback")
    }
}

/// Twilio's request signature (see [`FakeTwilio::signature`]).
pub fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut mac =
        <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(token.as_bytes()).expect("any key size");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

fn handle(
    sid: &str,
    token: &str,
    st: &Mutex<TwilioState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reject = |why: String, resp: Response| {
        st.lock().expect("lock").rejected.push(why);
        resp
    };
    let basic = format!("Basic {}", STANDARD.encode(format!("{sid}:{token}")));
    // Inbound media: `GET .../Messages/{MM}/Media/{ME}` answers the file
    // (Twilio serves it behind the account's Basic auth).
    if let Some(rest) = uri
        .path()
        .strip_prefix(&format!("/2010-04-01/Accounts/{sid}/Messages/"))
        && rest.contains("/Media/")
    {
        if method != Method::GET {
            return twilio_error(405, 20004, "Method not allowed");
        }
        if headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some(basic.as_str())
        {
            return reject(
                "media: bad or missing Basic auth".into(),
                twilio_error(401, 20003, "Authenticate"),
            );
        }
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "image/png")],
            FAKE_PNG.to_vec(),
        )
            .into_response();
    }
    let resource = uri
        .path()
        .strip_prefix(&format!("/2010-04-01/Accounts/{sid}/"))
        .and_then(|r| r.strip_suffix(".json"));
    let resource = match resource {
        Some(r @ ("Messages" | "Calls")) => r,
        _ => {
            return reject(
                format!("unknown resource {}", uri.path()),
                twilio_error(404, 20404, "The requested resource was not found"),
            );
        }
    };
    if method != Method::POST {
        return reject(
            format!("{method} {resource}"),
            twilio_error(405, 20004, "Method not allowed"),
        );
    }
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(basic.as_str())
    {
        return reject(
            format!("{resource}: bad or missing Basic auth"),
            twilio_error(401, 20003, "Authenticate"),
        );
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return reject(
            format!("{resource}: not form-encoded"),
            twilio_error(
                400,
                20001,
                "Content-Type must be application/x-www-form-urlencoded",
            ),
        );
    }
    let mut req = TwilioRequest {
        kind: TwilioKind::Sms,
        status: 201,
        sid: None,
        params: form_params(&body),
    };
    let checked = if resource == "Calls" {
        check_call(&req)
    } else {
        check_message(&req)
    };
    req.kind = match checked {
        Ok(k) => k,
        Err((code, message)) => {
            return reject(
                format!("{resource}: {code} {message}"),
                twilio_error(400, code, message),
            );
        }
    };
    let mut s = st.lock().expect("lock");
    if let Some(i) = s.scripted.iter().position(|x| x.kind == req.kind) {
        let e = s.scripted.remove(i);
        req.status = e.status;
        s.requests.push(req);
        return twilio_error(e.status, e.code, &e.message);
    }
    s.created += 1;
    let prefix = if req.kind == TwilioKind::Call {
        "CA"
    } else {
        "SM"
    };
    let new_sid = format!("{prefix}{:032x}", s.created);
    req.sid = Some(new_sid.clone());
    let doc = serde_json::json!({
        "sid": new_sid, "account_sid": sid, "status": "queued", "api_version": "2010-04-01",
        "to": req.param("To"), "from": req.param("From"), "body": req.param("Body"),
    });
    s.requests.push(req);
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_string(),
    )
        .into_response()
}

// ---------------------------------------------------------------- receiver

/// One request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How a [`Receiver`] answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![],
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }
}

struct ReceiverState {
    seen: Vec<Received>,
    script: VecDeque<Reply>,
    default: Reply,
}

/// A webhook endpoint on `127.0.0.1` (see the module docs).
#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:{port}/hook`.
    pub url: String,
    pub port: u16,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    /// Starts a receiver answering `status` to everything.
    pub async fn start(status: u16) -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState {
            seen: vec![],
            script: VecDeque::new(),
            default: Reply::status(status),
        }));
        let st = state.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let st = st.clone();
                async move {
                    let reply = {
                        let mut s = st.lock().expect("lock");
                        s.seen.push(Received {
                            method,
                            path: uri.path().to_string(),
                            headers,
                            body: String::from_utf8_lossy(&body).into_owned(),
                        });
                        s.script.pop_front().unwrap_or_else(|| s.default.clone())
                    };
                    let mut resp = StatusCode::from_u16(reply.status)
                        .expect("status")
                        .into_response();
                    for (k, v) in reply.headers {
                        resp.headers_mut()
                            .insert(k, v.parse().expect("header value"));
                    }
                    resp
                }
            },
        );
        let addr = serve(app).await;
        Receiver {
            url: format!("http://{addr}/hook"),
            port: addr.port(),
            state,
        }
    }

    /// From now on answers `status` (after any scripted replies).
    pub fn set_status(&self, status: u16) {
        self.state.lock().expect("lock").default = Reply::status(status);
    }

    /// From now on answers every request with `reply`.
    pub fn set_reply(&self, reply: Reply) {
        self.state.lock().expect("lock").default = reply;
    }

    /// The next requests are answered with `replies`, in order.
    pub fn script(&self, replies: Vec<Reply>) {
        self.state.lock().expect("lock").script.extend(replies);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("lock").seen.clone()
    }

    pub fn count(&self) -> usize {
        self.state.lock().expect("lock").seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fake signs callbacks exactly as Twilio does: Twilio's own vector
    /// (from twilio-python's test suite, kept with the channels crate).
    #[test]
    fn the_fake_signs_like_twilio() {
        let v: serde_json::Value = serde_json::from_str(include_str!(
            "../../channels/tests/fixtures/twilio_signature_vectors.json"
        ))
        .expect("vector");
        let params: Vec<(&str, &str)> = v["params"]
            .as_object()
            .expect("params")
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().expect("text")))
            .collect();
        let token = v["auth_token"].as_str().expect("token");
        let url = v["url"].as_str().expect("url");
        assert_eq!(
            twilio_signature(token, url, &params),
            v["X-Twilio-Signature"].as_str().expect("signature")
        );
        let dup = [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ];
        let key = "duplicate params Sid=CA123,SidAccount=AC123,Digits=5678,Digits=1234 (sorted by key then value)";
        assert_eq!(
            twilio_signature(token, url, &dup),
            v["variants"][key].as_str().expect("variant")
        );
    }

    /// What the fake refuses, so tests that require an empty
    /// [`FakeTwilio::rejected`] mean something.
    #[tokio::test]
    async fn the_fake_refuses_what_twilio_refuses() {
        let t = FakeTwilio::start().await;
        let http = reqwest::Client::new();
        let url = |r: &str| format!("{}/2010-04-01/Accounts/{}/{r}.json", t.base, t.account_sid);
        let sms = [
            ("To", "+525512345678"),
            ("From", "+15550001111"),
            ("Body", "hola"),
        ];
        let send = |r: &'static str, token: &str, form: &[(&str, &str)]| {
            http.post(url(r))
                .basic_auth(&t.account_sid, Some(token))
                .form(form)
                .send()
        };
        let status = |r: reqwest::Response| r.status().as_u16();
        assert_eq!(
            status(send("Messages", "wrong", &sms).await.expect("req")),
            401
        );
        let json = http
            .post(url("Messages"))
            .basic_auth(&t.account_sid, Some(&t.auth_token))
            .json(&serde_json::json!({"To": "+525512345678"}))
            .send()
            .await
            .expect("req");
        assert_eq!(status(json), 400, "JSON is not what Twilio takes");
        let no_body = [("To", "+525512345678"), ("From", "+15550001111")];
        assert_eq!(
            status(
                send("Messages", &t.auth_token, &no_body)
                    .await
                    .expect("req")
            ),
            400
        );
        let mixed = [
            ("To", "whatsapp:+525512345678"),
            ("From", "+15550001111"),
            ("Body", "x"),
        ];
        assert_eq!(
            status(send("Messages", &t.auth_token, &mixed).await.expect("req")),
            400
        );
        let no_twiml = [("To", "+525512345678"), ("From", "+15550001111")];
        assert_eq!(
            status(send("Calls", &t.auth_token, &no_twiml).await.expect("req")),
            400
        );
        assert_eq!(t.rejected().len(), 5, "{:?}", t.rejected());
        assert!(t.requests().is_empty());

        let r = send("Messages", &t.auth_token, &sms).await.expect("req");
        assert_eq!(status(r), 201);
        assert_eq!(t.of(TwilioKind::Sms).len(), 1);
        assert!(t.of(TwilioKind::Sms)[0].sid().starts_with("SM"));
    }
}
