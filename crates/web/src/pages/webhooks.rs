//! Settings → Webhooks (`/settings/webhooks`, owners and admins): the
//! workspace's outbound webhook endpoints (URL, event types, active or
//! disabled after failures), a create form whose signing secret is shown
//! once, delete and re-enable; and per endpoint its delivery log, a page at
//! a time, with each payload and a replay. The rules are the API's, in
//! `crate::webhook_endpoints`.
//!
//! Tenancy: every lookup is scoped to the signed-in workspace, so another
//! workspace's endpoint or delivery id answers 404.

use super::fmt_when;
use super::shell::{Area, Shell};
use crate::auth::{ClientIp, CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath};
use crate::i18n::vocab::VocabTr;
use crate::i18n::webhooks::WebhooksTr;
use crate::state::AppState;
use af_channels::ssrf::SsrfError;
use af_core::Locale;
use af_core::Role;
use af_core::events::{self, SubscriptionError};
use af_db::webhooks::{self as store, Delivery, Endpoint};
use af_service::webhook_endpoints::{self as endpoints, By, CreateError, Problems};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use uuid::Uuid;

/// Deliveries per page of the log.
const PER_PAGE: i64 = 50;
/// Pages beyond this are not offered (the log keeps every delivery; older
/// ones stay reachable through the API).
const MAX_PAGE: i64 = 200;
/// Session key of the secret of the endpoint just created (shown once).
const NEW_SECRET: &str = "new_webhook_secret";

/// This area's browser routes (inside the session + CSRF layers).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/settings/webhooks",
            get(show_webhooks).post(create_webhook),
        )
        .route("/settings/webhooks/{id}", get(show_deliveries))
        .route("/settings/webhooks/{id}/delete", post(delete_webhook))
        .route("/settings/webhooks/{id}/enable", post(enable_webhook))
        .route(
            "/settings/webhooks/{id}/deliveries/{delivery_id}/replay",
            post(replay_delivery),
        )
}

/// A one-line outcome shown above a panel after an htmx action.
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    /// Labels of the subscribed kinds; `None` when subscribed to every
    /// event.
    pub events: Option<Vec<String>>,
    pub active: bool,
    pub disabled_at: Option<String>,
    pub failures: i32,
    pub created: String,
}

fn endpoint_row(e: &Endpoint, tz: &str, locale: Locale) -> EndpointRow {
    let list = e.event_list();
    let v = VocabTr::get(locale);
    EndpointRow {
        id: e.id,
        url: e.url.clone(),
        events: (!list.iter().any(|k| k == events::ALL))
            .then(|| list.iter().map(|k| v.event_kind(k).to_string()).collect()),
        active: e.active,
        disabled_at: e.disabled_at.map(|t| fmt_when(t, tz, locale)),
        failures: e.consecutive_failures,
        created: fmt_when(e.created_at, tz, locale),
    }
}

/// The endpoint list (the part htmx swaps after delete / re-enable).
pub struct ListPanel {
    pub t: &'static WebhooksTr,
    pub csrf: String,
    pub rows: Vec<EndpointRow>,
    pub notice: Option<Notice>,
}

pub struct KindOption {
    /// The stored kind (the checkbox's value, and what the endpoint
    /// receives as `type`) and its label.
    pub kind: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// The create form as typed, with its inline errors.
pub struct NewForm {
    pub url: String,
    pub all: bool,
    pub kinds: Vec<KindOption>,
    pub url_error: Option<String>,
    pub events_error: Option<String>,
}

impl NewForm {
    fn new(url: &str, chosen: &[String], locale: Locale) -> Self {
        let v = VocabTr::get(locale);
        NewForm {
            url: url.to_string(),
            all: chosen.iter().any(|k| k == events::ALL),
            kinds: events::EventKind::ALL
                .iter()
                .map(|k| KindOption {
                    kind: k.as_str(),
                    label: v.event_kind_label(*k),
                    checked: chosen.iter().any(|c| c == k.as_str()),
                })
                .collect(),
            url_error: None,
            events_error: None,
        }
    }
}

/// The secret of the endpoint just created.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct NewSecret {
    pub url: String,
    pub secret: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/webhooks.html")]
struct WebhooksPage {
    shell: Shell,
    p: ListPanel,
    form: NewForm,
    new_secret: Option<NewSecret>,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/_webhooks_panel.html")]
struct WebhooksPanel {
    p: ListPanel,
}

fn url_message(t: &WebhooksTr, e: &SsrfError) -> String {
    match e {
        SsrfError::Scheme(_) => t.err_url_scheme.into(),
        SsrfError::Refused { addr, .. } => t.err_url_refused.replace("{addr}", &addr.to_string()),
        SsrfError::Resolve(host) => t.err_url_unresolved.replace("{host}", host),
        SsrfError::InvalidUrl | SsrfError::NoHost | SsrfError::Client(_) => {
            t.err_url_invalid.into()
        }
    }
}

fn events_message(t: &WebhooksTr, e: &SubscriptionError) -> String {
    match e {
        SubscriptionError::Empty => t.err_events_empty.into(),
        SubscriptionError::Unknown(k) => t.err_events_unknown.replace("{kind}", k),
        SubscriptionError::TooMany => t.err_events_too_many.into(),
    }
}

async fn list_panel(
    st: &AppState,
    cu: &CurrentUser,
    notice: Option<Notice>,
) -> AppResult<ListPanel> {
    let tz = &cu.workspace.time_zone;
    let rows = store::list_endpoints(&st.db, cu.workspace.id)
        .await?
        .iter()
        .map(|e| endpoint_row(e, tz, cu.locale()))
        .collect();
    Ok(ListPanel {
        t: WebhooksTr::get(cu.locale()),
        csrf: crate::auth::csrf_token(&cu.session).await?,
        rows,
        notice,
    })
}

/// GET /settings/webhooks
pub async fn show_webhooks(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let new_secret = cu.session.remove::<NewSecret>(NEW_SECRET).await?;
    Ok(WebhooksPage {
        p: list_panel(&st, &cu, None).await?,
        form: NewForm::new("", &[], cu.locale()),
        new_secret,
        shell: Shell::new(&cu, Area::Settings).await?,
    }
    .into_response())
}

/// POST /settings/webhooks: creates an endpoint (its secret is shown once
/// on the page the redirect leads to), or answers 422 with the form and
/// its inline errors, nothing stored.
pub async fn create_webhook(
    State(st): State<AppState>,
    cu: CurrentUser,
    ip: ClientIp,
    axum_extra::extract::Form(post): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = WebhooksTr::get(cu.locale());
    let url = post
        .iter()
        .find(|(k, _)| k == "url")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let chosen: Vec<String> = post
        .iter()
        .filter(|(k, _)| k == "event_types")
        .map(|(_, v)| v.clone())
        .collect();
    let actor = cu.actor();
    match endpoints::create_endpoint(
        &st.webhook_env(),
        cu.workspace.id,
        &By {
            actor: &actor,
            ip: Some(&ip.0),
        },
        url,
        &chosen,
    )
    .await
    {
        Ok(created) => {
            let shown = NewSecret {
                url: created.endpoint.url,
                secret: created.secret,
            };
            cu.session.insert(NEW_SECRET, shown).await?;
            set_flash(&cu.session, true, t.msg_created).await?;
            Ok(Redirect::to("/settings/webhooks").into_response())
        }
        Err(CreateError::Db(e)) => Err(e.into()),
        Err(CreateError::Invalid(Problems {
            url: u,
            event_types,
        })) => {
            let mut form = NewForm::new(url, &chosen, cu.locale());
            form.url_error = u.as_ref().map(|e| url_message(t, e));
            form.events_error = event_types.as_ref().map(|e| events_message(t, e));
            let page = WebhooksPage {
                p: list_panel(&st, &cu, None).await?,
                form,
                new_secret: None,
                shell: Shell::new(&cu, Area::Settings).await?,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The answer to a list action: the panel with the outcome for htmx, or a
/// flash and a redirect back for a plain form post.
async fn respond_list(
    st: &AppState,
    cu: &CurrentUser,
    headers: &HeaderMap,
    text: &str,
) -> AppResult<Response> {
    if HxRequest::from_headers(headers).0 {
        let notice = Some(Notice {
            ok: true,
            text: text.to_string(),
        });
        let p = list_panel(st, cu, notice).await?;
        return Ok(WebhooksPanel { p }.into_response());
    }
    set_flash(&cu.session, true, text).await?;
    Ok(Redirect::to("/settings/webhooks").into_response())
}

/// POST /settings/webhooks/{id}/delete
pub async fn delete_webhook(
    State(st): State<AppState>,
    cu: CurrentUser,
    ip: ClientIp,
    headers: HeaderMap,
    IdPath(id): IdPath<Uuid>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let actor = cu.actor();
    if !endpoints::delete_endpoint(
        &st.webhook_env(),
        cu.workspace.id,
        &By {
            actor: &actor,
            ip: Some(&ip.0),
        },
        id,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let t = WebhooksTr::get(cu.locale());
    respond_list(&st, &cu, &headers, t.msg_deleted).await
}

/// POST /settings/webhooks/{id}/enable
pub async fn enable_webhook(
    State(st): State<AppState>,
    cu: CurrentUser,
    ip: ClientIp,
    headers: HeaderMap,
    IdPath(id): IdPath<Uuid>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let actor = cu.actor();
    endpoints::enable_endpoint(
        &st.webhook_env(),
        cu.workspace.id,
        &By {
            actor: &actor,
            ip: Some(&ip.0),
        },
        id,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let t = WebhooksTr::get(cu.locale());
    respond_list(&st, &cu, &headers, t.msg_enabled).await
}

// ------------------------------------------------------------ delivery log

pub struct DeliveryRow {
    pub id: Uuid,
    pub when: String,
    pub event_type: String,
    pub event_label: String,
    pub status: String,
    pub status_label: &'static str,
    pub attempts: i32,
    pub response_code: Option<i32>,
    pub error: String,
    pub next_retry: Option<String>,
    /// Pretty-printed when it is JSON (it always is when we wrote it).
    pub payload: String,
    /// Pending ones are already queued.
    pub replayable: bool,
}

fn delivery_row(t: &WebhooksTr, d: Delivery, tz: &str, locale: Locale) -> DeliveryRow {
    let payload = serde_json::from_str::<serde_json::Value>(&d.payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(d.payload);
    DeliveryRow {
        id: d.id,
        when: fmt_when(d.created_at, tz, locale),
        status_label: match d.status.as_str() {
            "delivered" => t.st_delivered,
            "failed" => t.st_failed,
            _ => t.st_pending,
        },
        replayable: d.status != "pending",
        attempts: d.attempts,
        response_code: d.response_code,
        error: d.error.unwrap_or_default(),
        next_retry: d.next_retry_at.map(|x| fmt_when(x, tz, locale)),
        event_label: VocabTr::get(locale).event_kind(&d.event_type).to_string(),
        event_type: d.event_type,
        status: d.status,
        payload,
    }
}

/// One page of an endpoint's log (the part htmx swaps after a replay).
pub struct LogPanel {
    pub t: &'static WebhooksTr,
    pub csrf: String,
    pub endpoint_id: Uuid,
    pub time_zone: String,
    pub rows: Vec<DeliveryRow>,
    pub page: i64,
    pub has_older: bool,
    pub notice: Option<Notice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/webhook_deliveries.html")]
struct DeliveriesPage {
    shell: Shell,
    e: EndpointRow,
    p: LogPanel,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/_webhook_deliveries_panel.html")]
struct DeliveriesPanel {
    p: LogPanel,
}

async fn log_panel(
    st: &AppState,
    cu: &CurrentUser,
    endpoint: Uuid,
    page: i64,
    notice: Option<Notice>,
) -> AppResult<LogPanel> {
    let t = WebhooksTr::get(cu.locale());
    let tz = cu.workspace.time_zone.clone();
    let page = page.clamp(1, MAX_PAGE);
    let mut found = store::list_deliveries_page(
        &st.db,
        cu.workspace.id,
        endpoint,
        PER_PAGE + 1,
        (page - 1) * PER_PAGE,
    )
    .await?;
    let has_older = found.len() as i64 > PER_PAGE && page < MAX_PAGE;
    found.truncate(PER_PAGE as usize);
    Ok(LogPanel {
        t,
        csrf: crate::auth::csrf_token(&cu.session).await?,
        endpoint_id: endpoint,
        rows: found
            .into_iter()
            .map(|d| delivery_row(t, d, &tz, cu.locale()))
            .collect(),
        time_zone: tz,
        page,
        has_older,
        notice,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    /// The page asked for; anything unreadable is the first.
    fn number(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<i64>().ok())
            .unwrap_or(1)
    }
}

async fn own_endpoint(st: &AppState, cu: &CurrentUser, id: Uuid) -> AppResult<Endpoint> {
    store::find_endpoint(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// GET /settings/webhooks/{id}?page=N
pub async fn show_deliveries(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<Uuid>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let e = own_endpoint(&st, &cu, id).await?;
    let p = log_panel(&st, &cu, e.id, q.number(), None).await?;
    Ok(DeliveriesPage {
        e: endpoint_row(&e, &cu.workspace.time_zone, cu.locale()),
        p,
        shell: Shell::new(&cu, Area::Settings).await?,
    }
    .into_response())
}

/// POST /settings/webhooks/{id}/deliveries/{delivery_id}/replay: queues
/// the delivery again (the API's replay); answers the log page it was on.
pub async fn replay_delivery(
    State(st): State<AppState>,
    cu: CurrentUser,
    ip: ClientIp,
    headers: HeaderMap,
    IdPath((endpoint, delivery)): IdPath<(Uuid, Uuid)>,
    axum::Form(q): axum::Form<PageQuery>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let actor = cu.actor();
    endpoints::replay_delivery(
        &st.webhook_env(),
        cu.workspace.id,
        &By {
            actor: &actor,
            ip: Some(&ip.0),
        },
        endpoint,
        delivery,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let t = WebhooksTr::get(cu.locale());
    let page = q.number().clamp(1, MAX_PAGE);
    if HxRequest::from_headers(&headers).0 {
        let notice = Some(Notice {
            ok: true,
            text: t.msg_replayed.into(),
        });
        let p = log_panel(&st, &cu, endpoint, page, notice).await?;
        return Ok(DeliveriesPanel { p }.into_response());
    }
    set_flash(&cu.session, true, t.msg_replayed).await?;
    Ok(Redirect::to(&format!("/settings/webhooks/{endpoint}?page={page}")).into_response())
}
