//! Kommo CRM sync (PAUTA): create contact + lead with
//! `POST {base}/api/v4/leads/complex` (at most 50 leads per call) and move a
//! lead to the booked status with `PATCH {base}/api/v4/leads`, Bearer auth.
//!
//! Kommo allows 7 requests per second per account; [`RateLimiter`] keeps
//! below that. It is a pure struct (give it `now`, it answers how long to
//! wait), shared per account through [`KommoLimiters`], and the client waits
//! through an injectable [`Pace`] so tests never sleep. That limiter is per
//! process; the engine, which may run on several nodes, paces through the
//! database instead and builds its clients with [`KommoPacing::External`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{ProviderConfig, Secret, UtmFieldIds};
use crate::message::{SendError, classify_reqwest, error_from_response};
use crate::ssrf::{self, SsrfPolicy};

/// Most leads Kommo accepts in one `/api/v4/leads/complex` call.
pub const MAX_BATCH: usize = 50;

/// Kommo settings for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KommoConfig {
    /// `https://{subdomain}.kommo.com`.
    pub base_url: String,
    /// Long-lived access token.
    pub access_token: Secret,
    /// Pipeline new leads go to.
    pub pipeline_id: i64,
    /// Status of new leads.
    pub status_id_inicial: i64,
    /// Status once an appointment is booked.
    pub status_id_agendado: Option<i64>,
    /// Lead custom field for the company (else an embedded company).
    pub field_id_empresa: Option<i64>,
    /// Lead custom field for the service.
    pub field_id_servicio: Option<i64>,
    /// Lead custom field for the source.
    pub field_id_fuente: Option<i64>,
    /// UTM field ids (else Kommo's tracking fields by `field_code`).
    pub utm_field_ids: UtmFieldIds,
}

impl ProviderConfig {
    /// The Kommo settings when base URL, token, pipeline and initial status
    /// are all configured.
    pub fn kommo(&self) -> Option<KommoConfig> {
        Some(KommoConfig {
            base_url: self.kommo_base_url.clone()?,
            access_token: self.kommo_access_token.clone()?,
            pipeline_id: self.kommo_pipeline_id?,
            status_id_inicial: self.kommo_status_id_inicial?,
            status_id_agendado: self.kommo_status_id_agendado,
            field_id_empresa: self.kommo_field_id_empresa,
            field_id_servicio: self.kommo_field_id_servicio,
            field_id_fuente: self.kommo_field_id_fuente,
            utm_field_ids: self.kommo_utm_field_ids.clone(),
        })
    }
}

/// UTM values carried from form to lead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utm {
    /// utm_source.
    pub source: Option<String>,
    /// utm_medium.
    pub medium: Option<String>,
    /// utm_campaign.
    pub campaign: Option<String>,
    /// utm_term.
    pub term: Option<String>,
    /// utm_content.
    pub content: Option<String>,
}

/// The contact embedded in a lead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    /// Full name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Phone (E.164).
    pub phone: Option<String>,
}

/// One lead to create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadInput {
    /// Lead name shown in Kommo.
    pub name: String,
    /// Company.
    pub company: Option<String>,
    /// Service asked for.
    pub service: Option<String>,
    /// Lead source (form, campaign, ...).
    pub source: Option<String>,
    /// UTM values.
    pub utm: Utm,
    /// The person.
    pub contact: ContactInput,
    /// Echoed back by Kommo to match answers to inputs (our idempotency key).
    pub request_id: Option<String>,
    /// Status to create the lead in instead of the initial one (the booked
    /// status when the person already has an appointment).
    pub status_id: Option<i64>,
}

/// One created lead, as Kommo answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedLead {
    /// Kommo lead id.
    pub id: i64,
    /// Kommo contact id.
    pub contact_id: Option<i64>,
    /// Kommo company id.
    pub company_id: Option<i64>,
    /// Kommo merged the contact into an existing one.
    #[serde(default)]
    pub merged: bool,
    /// Our `request_id`, echoed (Kommo sends it as an array).
    #[serde(default, deserialize_with = "string_or_list")]
    pub request_id: Vec<String>,
}

fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::String(s) => vec![s],
        Value::Array(a) => a
            .into_iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    })
}

fn field(id: Option<i64>, code: Option<&str>, value: &str) -> Option<Value> {
    let values = json!([{ "value": value }]);
    match (id, code) {
        (Some(id), _) => Some(json!({ "field_id": id, "values": values })),
        (None, Some(code)) => Some(json!({ "field_code": code, "values": values })),
        (None, None) => None,
    }
}

fn lead_json(lead: &LeadInput, cfg: &KommoConfig) -> Value {
    let mut fields = Vec::new();
    let mut push = |id: Option<i64>, code: Option<&str>, value: &Option<String>| {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty())
            && let Some(f) = field(id, code, v)
        {
            fields.push(f);
        }
    };
    push(cfg.field_id_empresa, None, &lead.company);
    push(cfg.field_id_servicio, None, &lead.service);
    push(cfg.field_id_fuente, None, &lead.source);
    let u = &cfg.utm_field_ids;
    push(u.source, Some("UTM_SOURCE"), &lead.utm.source);
    push(u.medium, Some("UTM_MEDIUM"), &lead.utm.medium);
    push(u.campaign, Some("UTM_CAMPAIGN"), &lead.utm.campaign);
    push(u.term, Some("UTM_TERM"), &lead.utm.term);
    push(u.content, Some("UTM_CONTENT"), &lead.utm.content);

    let mut contact_fields = Vec::new();
    if let Some(e) = lead.contact.email.as_deref().filter(|e| !e.is_empty()) {
        contact_fields.push(
            json!({ "field_code": "EMAIL", "values": [{ "value": e, "enum_code": "WORK" }] }),
        );
    }
    if let Some(p) = lead.contact.phone.as_deref().filter(|p| !p.is_empty()) {
        contact_fields.push(
            json!({ "field_code": "PHONE", "values": [{ "value": p, "enum_code": "WORK" }] }),
        );
    }
    let mut contact = json!({ "name": lead.contact.name });
    if !contact_fields.is_empty() {
        contact["custom_fields_values"] = Value::Array(contact_fields);
    }
    let mut embedded = json!({ "contacts": [contact] });
    if cfg.field_id_empresa.is_none()
        && let Some(c) = lead.company.as_deref().filter(|c| !c.is_empty())
    {
        embedded["companies"] = json!([{ "name": c }]);
    }
    let mut out = json!({
        "name": lead.name,
        "pipeline_id": cfg.pipeline_id,
        "status_id": lead.status_id.unwrap_or(cfg.status_id_inicial),
        "_embedded": embedded,
    });
    if !fields.is_empty() {
        out["custom_fields_values"] = Value::Array(fields);
    }
    if let Some(r) = &lead.request_id {
        out["request_id"] = json!(r);
    }
    out
}

/// The body of one `/api/v4/leads/complex` call (an array of leads).
pub fn complex_body(leads: &[LeadInput], cfg: &KommoConfig) -> Value {
    Value::Array(leads.iter().map(|l| lead_json(l, cfg)).collect())
}

/// Splits leads into calls of at most [`MAX_BATCH`].
pub fn batches<T>(items: &[T]) -> std::slice::Chunks<'_, T> {
    items.chunks(MAX_BATCH)
}

/// Reads the `/api/v4/leads/complex` answer.
pub fn parse_complex_response(body: &str) -> Result<Vec<CreatedLead>, SendError> {
    serde_json::from_str(body).map_err(|e| SendError::Permanent {
        message: format!("unexpected Kommo answer: {e}"),
        code: Some("bad_response".to_owned()),
        opted_out: false,
    })
}

/// A token bucket in the GCRA form: `rate` requests per second with bursts
/// of `burst`. Pure: [`RateLimiter::reserve`] takes `now` and returns how long
/// the caller must wait before sending; each call reserves one slot.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    next: Option<Instant>,
}

impl RateLimiter {
    /// `rate` requests per second, up to `burst` at once (burst ≥ 1).
    pub fn new(rate_per_sec: u32, burst: u32) -> Self {
        let rate = u64::from(rate_per_sec.max(1));
        // Round the interval up so `rate` intervals never fit in under 1 s.
        let interval = Duration::from_nanos(1_000_000_000_u64.div_ceil(rate));
        let tolerance = interval * burst.max(1).saturating_sub(1);
        Self {
            interval,
            tolerance,
            next: None,
        }
    }

    /// Kommo: 4 requests per second, no burst: Kommo allows 7, and the
    /// margin absorbs scheduling and network jitter.
    pub fn kommo() -> Self {
        Self::new(4, 1)
    }

    /// Reserves the next slot; returns how long to wait from `now`.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let tat = match self.next {
            Some(t) if t > now => t,
            _ => now,
        };
        let allowed_at = tat.checked_sub(self.tolerance).unwrap_or(tat).max(now);
        self.next = Some(tat + self.interval);
        allowed_at.saturating_duration_since(now)
    }
}

/// One limiter per Kommo account (keyed by base URL), shared by every
/// client in the process.
#[derive(Debug, Clone, Default)]
pub struct KommoLimiters(Arc<Mutex<HashMap<String, RateLimiter>>>);

impl KommoLimiters {
    /// Reserves a slot for `account` and returns the wait.
    pub fn reserve(&self, account: &str, now: Instant) -> Duration {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(account.to_owned())
            .or_insert_with(RateLimiter::kommo)
            .reserve(now)
    }
}

/// Who keeps a client under the account's rate limit.
#[derive(Debug, Clone)]
pub enum KommoPacing {
    /// The client waits through these process-wide limiters.
    InProcess(KommoLimiters, Arc<dyn Pace>),
    /// The caller paces every request (shared across nodes); the client
    /// sends at once.
    External,
}

impl Default for KommoPacing {
    fn default() -> Self {
        KommoPacing::InProcess(KommoLimiters::default(), Arc::new(TokioPace))
    }
}

/// A boxed future, for the object-safe [`Pace`] trait.
pub type PaceFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The clock and sleep used for pacing; injected so tests stay instant.
pub trait Pace: Send + Sync + std::fmt::Debug {
    /// Now, monotonic.
    fn now(&self) -> Instant;
    /// Waits `d`.
    fn sleep(&self, d: Duration) -> PaceFuture<'_>;
}

/// Real time: `Instant::now` and `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioPace;

impl Pace for TokioPace {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, d: Duration) -> PaceFuture<'_> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A Kommo account client.
#[derive(Debug, Clone)]
pub struct KommoClient {
    cfg: KommoConfig,
    timeout: Duration,
    policy: SsrfPolicy,
    pacing: KommoPacing,
}

fn kommo_message(body: &str) -> Option<(String, Option<String>)> {
    let v: Value = serde_json::from_str(body).ok()?;
    let detail = v
        .get("detail")
        .or_else(|| v.get("title"))
        .and_then(Value::as_str)?
        .to_owned();
    let extra = v
        .get("validation-errors")
        .map(|e| format!(" {e}"))
        .unwrap_or_default();
    Some((format!("{detail}{extra}"), None))
}

impl KommoClient {
    /// A client. The base URL comes from settings a workspace may edit, so
    /// every call goes through the SSRF guard with `policy`.
    pub fn new(
        cfg: KommoConfig,
        timeout: Duration,
        policy: SsrfPolicy,
        pacing: KommoPacing,
    ) -> Self {
        let mut cfg = cfg;
        cfg.base_url = cfg.base_url.trim_end_matches('/').to_owned();
        Self {
            cfg,
            timeout,
            policy,
            pacing,
        }
    }

    /// The key an external pacer counts this account's requests under.
    pub fn pacing_key(&self) -> String {
        format!("kommo:{}", self.cfg.base_url)
    }

    /// The settings in use.
    pub fn config(&self) -> &KommoConfig {
        &self.cfg
    }

    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Result<String, SendError> {
        let url = format!("{}{path}", self.cfg.base_url);
        let target = ssrf::resolve(&url, self.policy)
            .await
            .map_err(|e| SendError::Permanent {
                message: e.to_string(),
                code: Some("ssrf_refused".to_owned()),
                opted_out: false,
            })?;
        let client = target
            .client(self.timeout)
            .map_err(|e| SendError::permanent(e.to_string()))?;
        if let KommoPacing::InProcess(limiters, pace) = &self.pacing {
            let wait = limiters.reserve(&self.cfg.base_url, pace.now());
            if !wait.is_zero() {
                pace.sleep(wait).await;
            }
        }
        let resp = client
            .request(method, target.url.clone())
            .bearer_auth(self.cfg.access_token.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| classify_reqwest(&e))?;
        if resp.status().is_success() {
            return resp
                .text()
                .await
                .map_err(|e| SendError::retryable(format!("reading Kommo answer: {e}")));
        }
        Err(error_from_response(resp, kommo_message).await)
    }

    /// Creates up to 50 leads with their contacts in one call, paced under
    /// the account's rate limit. Answers in input order. Jobs that batch
    /// should record each batch's ids before sending the next, so a retry
    /// never creates a batch twice.
    pub async fn create_batch(&self, batch: &[LeadInput]) -> Result<Vec<CreatedLead>, SendError> {
        if batch.len() > MAX_BATCH {
            return Err(SendError::permanent(format!(
                "at most {MAX_BATCH} leads per Kommo call, got {}",
                batch.len()
            )));
        }
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let body = complex_body(batch, &self.cfg);
        let text = self
            .request(reqwest::Method::POST, "/api/v4/leads/complex", &body)
            .await?;
        parse_complex_response(&text)
    }

    /// Creates any number of leads in calls of at most 50 (see
    /// [`KommoClient::create_batch`]). A failed call stops the run and the
    /// leads of earlier calls stay created: prefer `create_batch` when a
    /// retry must not duplicate them.
    pub async fn create_leads(&self, leads: &[LeadInput]) -> Result<Vec<CreatedLead>, SendError> {
        let mut out = Vec::with_capacity(leads.len());
        for batch in batches(leads) {
            out.extend(self.create_batch(batch).await?);
        }
        Ok(out)
    }

    /// Moves a lead to the booked status (`KOMMO_STATUS_ID_AGENDADO`).
    pub async fn mark_booked(&self, lead_id: i64) -> Result<(), SendError> {
        let status = self
            .cfg
            .status_id_agendado
            .ok_or_else(|| SendError::Permanent {
                message: "KOMMO_STATUS_ID_AGENDADO is not configured".to_owned(),
                code: Some("not_configured".to_owned()),
                opted_out: false,
            })?;
        self.move_lead(lead_id, status).await
    }

    /// Moves a lead to `status_id` in the configured pipeline.
    pub async fn move_lead(&self, lead_id: i64, status_id: i64) -> Result<(), SendError> {
        let body =
            json!([{ "id": lead_id, "status_id": status_id, "pipeline_id": self.cfg.pipeline_id }]);
        self.request(reqwest::Method::PATCH, "/api/v4/leads", &body)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_spaces_a_burst_below_seven_per_second() {
        let mut l = RateLimiter::kommo();
        let t0 = Instant::now();
        let starts: Vec<Instant> = (0..30).map(|_| t0 + l.reserve(t0)).collect();
        assert_eq!(starts[0], t0, "first goes at once");
        for w in starts.windows(7) {
            assert!(
                w[6] - w[0] >= Duration::from_secs(1),
                "7 requests inside one second"
            );
        }
        // After a quiet period the bucket is fresh again.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(l.reserve(later), Duration::ZERO);
    }

    #[test]
    fn limiter_allows_configured_bursts() {
        let mut l = RateLimiter::new(5, 3);
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..5).map(|_| l.reserve(t0)).collect();
        assert_eq!(&waits[..3], &[Duration::ZERO; 3]);
        assert_eq!(waits[3], Duration::from_millis(200));
        assert_eq!(waits[4], Duration::from_millis(400));
    }

    #[test]
    fn batches_of_fifty() {
        let n: Vec<usize> = (0..120).collect();
        let sizes: Vec<usize> = batches(&n).map(<[usize]>::len).collect();
        assert_eq!(sizes, vec![50, 50, 20]);
        assert_eq!(batches::<usize>(&[]).count(), 0);
    }

    #[test]
    fn response_request_id_string_or_array() {
        let r = parse_complex_response(
            r#"[{"id":1,"contact_id":2,"company_id":null,"request_id":["a"],"merged":true},{"id":3,"contact_id":4,"company_id":5,"request_id":"b","merged":false}]"#,
        )
        .expect("parsed");
        assert_eq!(r[0].request_id, vec!["a"]);
        assert!(r[0].merged);
        assert_eq!(r[1].company_id, Some(5));
        assert!(parse_complex_response("{}").is_err());
    }
}
