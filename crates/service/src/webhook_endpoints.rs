//! Outbound webhook endpoints as people manage them, shared by the JSON API
//! (`api::webhooks`) and Settings → Webhooks (`pages::webhooks`) so both
//! doors apply the same rules: a new endpoint's URL goes through the SSRF
//! guard (syntax and DNS; the delivery job checks again at every send) and
//! its event types through `af_core::events`; the signing secret is made
//! here and only its sealed form stored; re-enabling clears the failure
//! count; a replay puts the delivery back to pending and queues its job in
//! one transaction. Every change writes its audit entry in that transaction.

use af_channels::ssrf::{self, SsrfError, SsrfPolicy};
use af_channels::webhooks::WebhookSecret;
use af_core::crypto::SecretKey;
use af_core::events::{SubscriptionError, parse_subscription};
use af_core::{Actor, WorkspaceId};
use af_db::audit::{NewAudit, insert_audit};
use af_db::webhooks::{self as store, Delivery, Endpoint};
use af_db::{Db, DbError, DbResult, Ts, Tx};
use uuid::Uuid;

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Why a new endpoint was refused, per field; each door words it for its
/// readers (API clients in English, the settings page in the user's
/// language).
#[derive(Debug, Default)]
pub struct Problems {
    pub url: Option<SsrfError>,
    pub event_types: Option<SubscriptionError>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// Nothing was stored.
    #[error("invalid webhook endpoint")]
    Invalid(Problems),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A new endpoint and its signing secret, which is never shown again.
pub struct Created {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// Who acts, for the audit log.
pub struct By<'a> {
    pub actor: &'a Actor,
    /// The client address, when a request made the change.
    pub ip: Option<&'a str>,
}

/// What managing endpoints needs from the running server: the database,
/// the key signing secrets are sealed with, the SSRF policy for
/// user-supplied URLs, and the current instant.
pub struct Env<'a> {
    pub db: &'a Db,
    pub secret: &'a SecretKey,
    pub ssrf: SsrfPolicy,
    pub now: Ts,
}

/// Checks a URL and event types as a new endpoint would have them; returns
/// the trimmed URL and the normalised event types.
pub async fn check_new_endpoint(
    ssrf_policy: SsrfPolicy,
    url: &str,
    event_types: &[String],
) -> Result<(String, Vec<String>), Problems> {
    let url = url.trim();
    let url_check = if url.len() > MAX_URL_LEN {
        Err(SsrfError::InvalidUrl)
    } else {
        ssrf::resolve(url, ssrf_policy).await.map(|_| ())
    };
    match (url_check, parse_subscription(event_types)) {
        (Ok(()), Ok(types)) => Ok((url.to_string(), types)),
        (u, t) => Err(Problems {
            url: u.err(),
            event_types: t.err(),
        }),
    }
}

async fn audit(
    tx: &mut Tx,
    ws: WorkspaceId,
    by: &By<'_>,
    action: &str,
    id: Uuid,
    details: serde_json::Value,
    now: Ts,
) -> DbResult<()> {
    let entry = NewAudit {
        workspace: Some(ws),
        actor: by.actor,
        action,
        target_type: Some("webhook_endpoint"),
        target_id: Some(id.to_string()),
        result: "ok",
        details,
        ip: by.ip,
    };
    insert_audit(tx, &entry, now).await
}

/// Creates an endpoint after [`check_new_endpoint`]; nothing is stored
/// when it is refused.
pub async fn create_endpoint(
    env: &Env<'_>,
    ws: WorkspaceId,
    by: &By<'_>,
    url: &str,
    event_types: &[String],
) -> Result<Created, CreateError> {
    let (url, types) = check_new_endpoint(env.ssrf, url, event_types)
        .await
        .map_err(CreateError::Invalid)?;
    let secret = WebhookSecret::generate_text();
    let sealed = env.secret.seal(&secret);
    let now = env.now;
    let mut tx = env.db.begin().await?;
    let id = store::insert_endpoint(&mut tx, ws, &url, &sealed, &types, now).await?;
    let details = serde_json::json!({ "url": url, "event_types": types });
    audit(&mut tx, ws, by, "webhook.created", id, details, now).await?;
    let endpoint = store::find_endpoint_tx(&mut tx, ws, id)
        .await?
        .ok_or(DbError::NotFound("webhook endpoint"))?;
    tx.commit().await?;
    Ok(Created { endpoint, secret })
}

/// Deletes an endpoint and its delivery log; `false` when `id` is not one
/// of the workspace's endpoints.
pub async fn delete_endpoint(
    env: &Env<'_>,
    ws: WorkspaceId,
    by: &By<'_>,
    id: Uuid,
) -> DbResult<bool> {
    let now = env.now;
    let mut tx = env.db.begin().await?;
    let Some(e) = store::find_endpoint_tx(&mut tx, ws, id).await? else {
        return Ok(false);
    };
    if !store::delete_endpoint(&mut tx, ws, id).await? {
        return Ok(false);
    }
    let details = serde_json::json!({ "url": e.url });
    audit(&mut tx, ws, by, "webhook.deleted", id, details, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Turns an endpoint back on with its failure count reset; `None` when
/// `id` is not one of the workspace's endpoints.
pub async fn enable_endpoint(
    env: &Env<'_>,
    ws: WorkspaceId,
    by: &By<'_>,
    id: Uuid,
) -> DbResult<Option<Endpoint>> {
    let now = env.now;
    let mut tx = env.db.begin().await?;
    let Some(before) = store::find_endpoint_tx(&mut tx, ws, id).await? else {
        return Ok(None);
    };
    store::enable_endpoint(&mut tx, ws, id, now).await?;
    let details = serde_json::json!({
        "was_active": before.active, "consecutive_failures": before.consecutive_failures,
    });
    audit(&mut tx, ws, by, "webhook.enabled", id, details, now).await?;
    let after = store::find_endpoint_tx(&mut tx, ws, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Sends a delivery again: back to pending, its job queued in the same
/// transaction. Returns the delivery as queued; `None` when it is not one
/// of this endpoint's in this workspace.
pub async fn replay_delivery(
    env: &Env<'_>,
    ws: WorkspaceId,
    by: &By<'_>,
    endpoint: Uuid,
    delivery: Uuid,
) -> DbResult<Option<Delivery>> {
    let Some(mut d) = store::find_delivery(env.db, ws, delivery)
        .await?
        .filter(|d| d.endpoint_id == endpoint)
    else {
        return Ok(None);
    };
    let now = env.now;
    let mut tx = env.db.begin().await?;
    if !store::reset_delivery(&mut tx, ws, d.id, now).await? {
        // Deleted (with its endpoint) since it was read.
        return Ok(None);
    }
    store::enqueue_delivery(&mut tx, ws, d.id, now).await?;
    let details = serde_json::json!({ "delivery_id": d.id, "event_type": d.event_type });
    audit(&mut tx, ws, by, "webhook.replayed", endpoint, details, now).await?;
    tx.commit().await?;
    d.status = "pending".into();
    d.next_retry_at = None;
    d.updated_at = now;
    Ok(Some(d))
}
