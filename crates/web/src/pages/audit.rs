//! Configuración → Auditoría (issue 19): the workspace's audit log with the
//! API's filters (`crate::api::audit`), keyset "older" pages, the JSON-lines
//! download (audited, like the API's export) and the retention setting
//! (owners). Admins and owners only.

use crate::api::audit::{AuditQuery, ndjson};
use crate::api::pagination::{decode_cursor, encode_cursor};
use crate::auth::{ClientIp, CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::i18n::audit::AuditTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::fmt_when;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::Role;
use af_core::vocab::{Channel, EventKind, MessageStatus};
use af_db::audit::{self, AuditEntry};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::Value;

/// Rows per page.
const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/audit", get(audit_page))
        .route("/settings/audit/export", get(download))
        .route("/settings/audit/retention", post(save_retention))
}

/// One entry as shown.
pub struct Row {
    pub when: String,
    pub who: String,
    pub actor_type: String,
    /// The action as read, and as stored (the filter takes the code).
    pub action: String,
    pub code: String,
    pub record: String,
    /// Where the record is, when it has a page.
    pub link: Option<String>,
    pub lead: Option<String>,
    pub channel: String,
    /// `field: before → after`, one per changed field.
    pub changes: Vec<String>,
    pub result: String,
    pub failed: bool,
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::Null => "∅".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// `{"old": {...}, "new": {...}}` as one line per changed field.
fn change_lines(changes: Option<&str>, v: &VocabTr) -> Vec<String> {
    // A message's status reads as its label, like everywhere else.
    let shown = |k: &str, val: &Value| match (k, val.as_str().and_then(MessageStatus::parse)) {
        ("status", Some(s)) => v.message_status_label(s).to_string(),
        _ => short(val),
    };
    let Some(c) = changes.and_then(|c| serde_json::from_str::<Value>(c).ok()) else {
        return vec![];
    };
    let (old, new) = (&c["old"], &c["new"]);
    match (old, new) {
        (Value::Object(_), _) | (_, Value::Object(_)) => {
            let mut keys: Vec<&String> =
                new.as_object().into_iter().flat_map(|m| m.keys()).collect();
            for k in old.as_object().into_iter().flat_map(|m| m.keys()) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            keys.into_iter()
                .take(12)
                .map(|k| format!("{k}: {} → {}", shown(k, &old[k]), shown(k, &new[k])))
                .collect()
        }
        (Value::Null, Value::Null) => vec![],
        _ => vec![format!("{} → {}", short(old), short(new))],
    }
}

fn link(kind: Option<&str>, id: Option<&str>) -> Option<String> {
    let id = uuid::Uuid::parse_str(id?).ok()?;
    match kind? {
        "contact" => Some(format!("/contacts/{id}")),
        "message" => Some(format!("/messages/{id}")),
        _ => None,
    }
}

/// The action as read: an event kind's label, a message's status label
/// ("Mensaje: Enviado"), else the stored action (explicit entries such as
/// `audit.exported`, or a request's route).
fn action_label(action: &str, v: &VocabTr, at: &AuditTr) -> String {
    if let Some(k) = EventKind::parse(action) {
        return v.event_kind_label(k).to_string();
    }
    if let Some(s) = action
        .strip_prefix("message.")
        .and_then(MessageStatus::parse)
    {
        return format!("{}: {}", at.message_prefix, v.message_status_label(s));
    }
    action.to_string()
}

fn row(e: &AuditEntry, cu: &CurrentUser, at: &AuditTr) -> Row {
    let v = VocabTr::get(cu.locale());
    let actor_type = match e.actor_type.as_str() {
        "user" => at.actor_user,
        "api_key" => at.actor_api_key,
        "public" => at.actor_public,
        _ => at.actor_system,
    };
    Row {
        when: fmt_when(e.created_at, &cu.workspace.time_zone, cu.locale()),
        who: e.actor_label.clone(),
        actor_type: actor_type.to_string(),
        action: action_label(&e.action, v, at),
        code: e.action.clone(),
        record: match (&e.target_type, &e.target_id) {
            (Some(t), Some(i)) => format!("{} {i}", at.entity(t)),
            (Some(t), None) => at.entity(t).to_string(),
            _ => String::new(),
        },
        link: link(e.target_type.as_deref(), e.target_id.as_deref()),
        lead: e
            .contact_id
            .as_deref()
            .and_then(|c| link(Some("contact"), Some(c))),
        channel: e
            .channel
            .as_deref()
            .map(|c| {
                Channel::parse(c)
                    .map_or(c, |c| v.channel_label(c))
                    .to_string()
            })
            .unwrap_or_default(),
        changes: change_lines(e.changes.as_deref(), v),
        result: at.result(&e.result).to_string(),
        failed: e.result != "ok",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/audit.html")]
struct AuditPage {
    shell: Shell,
    at: &'static AuditTr,
    rows: Vec<Row>,
    q: Shown,
    /// The query string of the filters (for "older" and the download).
    filters: String,
    next: Option<String>,
    retention_days: i64,
    is_owner: bool,
    bad_filter: bool,
}

/// The filters as typed, to show them back.
#[derive(Default)]
struct Shown {
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    from: String,
    to: String,
}

fn shown(q: &AuditQuery) -> Shown {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    Shown {
        actor: s(&q.actor),
        action: s(&q.action),
        entity_type: s(&q.entity_type),
        entity_id: s(&q.entity_id),
        from: s(&q.from),
        to: s(&q.to),
    }
}

fn query_string(s: &Shown) -> String {
    [
        ("actor", &s.actor),
        ("action", &s.action),
        ("entity_type", &s.entity_type),
        ("entity_id", &s.entity_id),
        ("from", &s.from),
        ("to", &s.to),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", urlencoding::encode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

/// `GET /settings/audit`.
pub async fn audit_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> AppResult<impl IntoResponse> {
    cu.require(Role::Admin)?;
    let at = AuditTr::get(cu.locale());
    let (filter, bad_filter) = match q.filter(&cu.workspace.time_zone) {
        Ok(f) => (f, false),
        Err(_) => (Default::default(), true),
    };
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(decode_cursor(c).map_err(|_| AppError::NotFound)?),
    };
    let rows = audit::search(&st.db, cu.workspace.id, &filter, after, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let rows = &rows[..rows.len().min(PAGE_SIZE as usize)];
    let q = shown(&q);
    Ok(AuditPage {
        next: if more {
            rows.last().map(|e| encode_cursor(e.created_at, e.id))
        } else {
            None
        },
        rows: rows.iter().map(|e| row(e, &cu, at)).collect(),
        filters: query_string(&q),
        q,
        retention_days: audit::retention_days(&st.db, cu.workspace.id).await?,
        is_owner: cu.role >= Role::Owner,
        bad_filter,
        at,
        shell: Shell::new(&cu, Area::Settings).await?,
    })
}

/// `GET /settings/audit/export`: the filtered log as JSON lines, streamed;
/// the download itself is recorded first.
pub async fn download(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let f = q
        .filter(&cu.workspace.time_zone)
        .map_err(|_| AppError::BadRequest(AuditTr::get(cu.locale()).bad_filter.into()))?;
    audit::record_export(
        &st.db,
        cu.workspace.id,
        &cu.actor(),
        &f,
        Some(&ip),
        st.now(),
    )
    .await?;
    let file = format!("audit-{}.ndjson", cu.workspace.slug);
    Ok(ndjson(&st, cu.workspace.id, f, &file))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetentionForm {
    days: String,
}

/// `POST /settings/audit/retention`: owners only.
pub async fn save_retention(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<RetentionForm>,
) -> AppResult<Response> {
    cu.require(Role::Owner)?;
    let at = AuditTr::get(cu.locale());
    match f.days.trim().parse::<i64>() {
        Ok(days) if (1..=3650).contains(&days) => {
            let mut tx = st.db.begin().await?;
            audit::set_retention_days(&mut tx, cu.workspace.id, days, &cu.actor(), st.now())
                .await?;
            tx.commit().await?;
            set_flash(&cu.session, true, at.retention_saved).await?;
        }
        _ => set_flash(&cu.session, false, at.retention_invalid).await?,
    }
    Ok(Redirect::to("/settings/audit").into_response())
}
