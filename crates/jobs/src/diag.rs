//! Diagnostic job kinds, built into every node so operators (and our crash
//! test and benchmarks) can exercise the queue without touching real data:
//!
//! - `diag_noop`: does nothing (queue overhead alone).
//! - `diag_http`: `GET`s the `url` of its payload. Only loopback addresses
//!   and origins an operator allowed ([`DiagConfig::http_allow`]) may be
//!   called, redirects are not followed, so the job cannot be used to reach
//!   internal services (SSRF).
//! - `diag_record`: records its effect in `job_diag_effects` under the
//!   job's idempotency key ([`JobContext::idempotency_key`]), counting runs,
//!   so a re-run after a crash is visible and a duplicate effect detectable.
//!   Payload `{"sleep_ms": n}` works that long before the effect and
//!   `{"hold_ms": n}` after it (before the acknowledgement), to widen the
//!   window a crash test aims at.
//! - `diag_fail`: fails permanently (dead-lettered at once), to try the
//!   failure views, retry and discard.

use crate::{JobContext, JobError, JobsError, Registry, typed_handler};
use af_core::WorkspaceId;
use af_core::jobs::{DiagFail, DiagHttp, DiagNoop, DiagRecord, JobPayload};
use af_db::jobs::{self, NewJob};
use af_db::{Db, Ts};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Every diagnostic kind (their payloads are in [`af_core::jobs`]).
pub const KINDS: [&str; 4] = [
    DiagNoop::KIND,
    DiagHttp::KIND,
    DiagRecord::KIND,
    DiagFail::KIND,
];

/// How the diagnostic jobs behave on this node.
#[derive(Debug, Clone)]
pub struct DiagConfig {
    /// Origins (`scheme://host[:port]`) `diag_http` may call besides
    /// loopback addresses.
    pub http_allow: Vec<String>,
    /// Per-request timeout of `diag_http`.
    pub http_timeout: Duration,
}

impl Default for DiagConfig {
    /// Loopback only, 10 s timeout.
    fn default() -> Self {
        Self {
            http_allow: vec![],
            http_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a URL may not be called by `diag_http`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("not a URL: {0}")]
    Invalid(String),
    #[error("only http and https URLs are allowed, not {0}")]
    Scheme(String),
    #[error("URLs with credentials are not allowed")]
    Credentials,
    #[error(
        "{0} is neither a loopback address nor an allowed origin (AF_DIAG_HTTP_ALLOW); \
         diagnostics do not call other hosts"
    )]
    NotAllowed(String),
}

fn origin_of(url: &reqwest::Url) -> String {
    url.origin().ascii_serialization()
}

/// Checks a `diag_http` URL: http(s), no credentials, and a loopback host
/// (`localhost`, `127.0.0.0/8`, `::1`) or an origin listed in `allow`.
pub fn check_url(url: &str, allow: &[String]) -> Result<reqwest::Url, UrlRefused> {
    let parsed = reqwest::Url::parse(url).map_err(|e| UrlRefused::Invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlRefused::Scheme(parsed.scheme().to_string()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlRefused::Credentials);
    }
    // The parser has already normalised the host (`127.1` is `127.0.0.1`,
    // IPv6 in brackets, domains lower-cased).
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let origin = origin_of(&parsed);
    let allowed = allow.iter().any(|a| {
        reqwest::Url::parse(a)
            .map(|u| origin_of(&u) == origin)
            .unwrap_or(false)
    });
    if loopback || allowed {
        Ok(parsed)
    } else {
        Err(UrlRefused::NotAllowed(origin))
    }
}

/// A pause of `ms` milliseconds, at most a minute.
fn millis(ms: Option<u64>) -> Duration {
    Duration::from_millis(ms.unwrap_or(0).min(60_000))
}

async fn pause(ctx: &JobContext, d: Duration) -> Result<(), JobError> {
    if d.is_zero() {
        return Ok(());
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => Ok(()),
        _ = ctx.shutdown().cancelled() => Err(JobError::Retry("worker shutting down".into())),
    }
}

/// Registers the diagnostic kinds.
pub fn register(registry: &mut Registry, config: DiagConfig) -> Result<(), JobsError> {
    registry.register(typed_handler(|_, _, _: DiagNoop| async { Ok(()) }))?;

    registry.register(typed_handler(|_, _, p: DiagFail| async move {
        let msg = p
            .message
            .unwrap_or_else(|| "diagnostic failure (diag_fail always fails)".into());
        Err(JobError::Permanent(msg))
    }))?;

    registry.register(typed_handler(|ctx, job, p: DiagRecord| async move {
        pause(&ctx, millis(p.sleep_ms)).await?;
        let runs = jobs::record_diag_effect(
            &ctx.db,
            &ctx.idempotency_key(),
            job.id,
            job.attempts,
            ctx.now(),
        )
        .await?;
        if runs > 1 {
            tracing::info!(job.id = %job.id, attempt = job.attempts, runs,
                "diag_record: effect already recorded by an earlier run; not repeated");
        }
        pause(&ctx, millis(p.hold_ms)).await
    }))?;

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.http_timeout)
        .build()
        .map_err(|e| JobsError::Config(format!("diag_http client: {e}")))?;
    let allow = Arc::new(config.http_allow);
    registry.register(typed_handler(move |_, _, p: DiagHttp| {
        let client = client.clone();
        let allow = allow.clone();
        async move {
            let url = check_url(&p.url, &allow).map_err(JobError::permanent)?;
            let res = client
                .get(url)
                .send()
                .await
                .map_err(|e| JobError::Retry(format!("GET failed: {e}")))?;
            let status = res.status();
            // Read the body so the connection goes back to the pool.
            let _ = res.bytes().await;
            if status.is_success() {
                Ok(())
            } else if status.is_server_error() || status.as_u16() == 429 {
                Err(JobError::Retry(format!("GET answered {status}")))
            } else {
                Err(JobError::Permanent(format!("GET answered {status}")))
            }
        }
    }))?;
    Ok(())
}

/// What [`enqueue`] should enqueue.
#[derive(Debug, Clone)]
pub struct DiagBatch {
    pub kind: &'static str,
    pub count: usize,
    /// Jobs per transaction.
    pub batch_size: usize,
    /// The payload of every job (`{"url": ...}` for `diag_http`).
    pub payload: serde_json::Value,
    /// `None` for system jobs.
    pub workspace: Option<WorkspaceId>,
}

/// The diagnostic kind named `name`.
pub fn kind(name: &str) -> Option<&'static str> {
    KINDS.iter().copied().find(|k| *k == name)
}

/// Enqueues `batch.count` diagnostic jobs due at `now`, one transaction per
/// `batch.batch_size`, waking workers after each commit. Returns how many.
pub async fn enqueue(db: &Db, batch: &DiagBatch, now: Ts) -> Result<u64, JobsError> {
    let mut total = 0;
    let size = batch.batch_size.max(1);
    let mut left = batch.count;
    while left > 0 {
        let n = left.min(size);
        let jobs: Vec<NewJob<'_>> = (0..n)
            .map(|_| {
                let mut j = NewJob::new(batch.kind, batch.payload.clone(), now);
                j.workspace = batch.workspace;
                j
            })
            .collect();
        let mut tx = db.begin().await?;
        total += jobs::enqueue_batch(&mut tx, &jobs, now).await?;
        tx.commit().await?;
        left -= n;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_and_allowed_origins_may_be_called() {
        let none: Vec<String> = vec![];
        for ok in [
            "http://127.0.0.1:8080/x",
            "http://127.9.9.9/",
            "http://localhost:3000/health",
            "http://[::1]:80/",
            "https://LOCALHOST/",
        ] {
            assert!(check_url(ok, &none).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://example.com/",
            "http://127.0.0.1.nip.io/",
            "http://localhost.example.com/",
            "http://[::ffff:10.0.0.1]/",
        ] {
            assert!(
                matches!(check_url(bad, &none), Err(UrlRefused::NotAllowed(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            check_url("file:///etc/passwd", &none),
            Err(UrlRefused::Scheme(_))
        ));
        assert!(matches!(
            check_url("http://u:p@127.0.0.1/", &none),
            Err(UrlRefused::Credentials)
        ));
        assert!(matches!(
            check_url("not a url", &none),
            Err(UrlRefused::Invalid(_))
        ));
        let allow = vec!["https://status.example.com".to_string()];
        assert!(check_url("https://status.example.com/ping", &allow).is_ok());
        assert!(
            check_url("http://status.example.com/ping", &allow).is_err(),
            "another scheme is another origin"
        );
        assert!(check_url("https://status.example.com:8443/", &allow).is_err());
    }
}
