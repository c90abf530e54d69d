//! The bell (issue 18): the dropdown's fragment, the live stream that
//! keeps the badge current, the full list (`/notifications`), marking read,
//! and the member's preferences. Everything is the signed-in member's own,
//! in the workspace they are in: the queries take both.

use crate::auth::{CurrentUser, csrf_token, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{IdPath, render};
use crate::i18n::notifications::{self as text, NotificationsTr};
use crate::pages::fmt_ago;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::NotificationId;
use af_core::vocab::NotificationKind;
use af_db::Ts;
use af_db::live::{self, Recv};
use af_db::notifications::{self as store, Notification, Preference};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, RawForm, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::convert::Infallible;

/// How many the dropdown shows.
const MENU_SIZE: i64 = 10;
/// How many a page of `/notifications` shows.
const PAGE_SIZE: i64 = 25;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list_notifications))
        .route("/notifications/menu", get(bell_menu))
        .route("/notifications/events", get(bell_events))
        .route("/notifications/read-all", post(mark_all_read))
        .route("/notifications/{id}/open", post(open_notification))
        .route("/notifications/{id}/read", post(mark_read))
        .route(
            "/notifications/preferences",
            get(preferences_page).post(save_preferences),
        )
}

/// One notification as shown.
pub struct Item {
    pub id: NotificationId,
    pub text: String,
    pub when: String,
    pub unread: bool,
}

fn item(cu: &CurrentUser, n: &Notification, now: Ts) -> Item {
    let locale = cu.locale();
    Item {
        id: n.id,
        text: text::text(&n.kind, &n.params_json(), locale, &cu.workspace.time_zone),
        when: fmt_ago(n.created_at, now, &cu.workspace.time_zone, locale),
        unread: n.read_at.is_none(),
    }
}

/// Where to go back to after "mark all read": a path of this site only.
fn back_to(next: &str) -> &str {
    if store::is_internal_link(next) {
        next
    } else {
        "/notifications"
    }
}

#[derive(Template)]
#[template(path = "notifications/_menu.html")]
struct MenuFragment {
    nt: &'static NotificationsTr,
    csrf: String,
    next: String,
    items: Vec<Item>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MenuQuery {
    next: String,
}

/// `GET /notifications/menu`: the dropdown's content (the latest ten).
pub async fn bell_menu(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<MenuQuery>,
) -> AppResult<Response> {
    let now = st.now();
    let items = store::latest(&st.db, cu.workspace.id, cu.user.id, MENU_SIZE)
        .await?
        .iter()
        .map(|n| item(&cu, n, now))
        .collect();
    let fragment = MenuFragment {
        nt: NotificationsTr::get(cu.locale()),
        csrf: csrf_token(&cu.session).await?,
        next: back_to(&q.next).to_string(),
        items,
    };
    Ok(render(&fragment)?.into_response())
}

/// `GET /notifications/events`: server-sent `unread` events (`{"count":
/// n}`) for the signed-in member in this workspace — one on connecting,
/// then one whenever a notification of theirs is pushed or read (or the
/// stream may have missed some). The fan-out is `af_db::live`.
pub async fn bell_events(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>> {
    let sub = live::subscribe(&st.db).await?;
    let (ws, user) = (cu.workspace.id, cu.user.id);
    let db = st.db.clone();
    let closing = st.shutdown.clone();
    let count_event = move |db: af_db::Db| async move {
        match store::unread_count(&db, ws, user).await {
            Ok(n) => Event::default()
                .event("unread")
                .data(serde_json::json!({ "count": n }).to_string()),
            Err(e) => {
                tracing::warn!(error = %e, "unread count for the live bell");
                Event::default().comment("unread count unavailable")
            }
        }
    };
    let stream = futures::stream::unfold((sub, closing, true), move |(mut sub, closing, first)| {
        let db = db.clone();
        async move {
            if first {
                return Some((Ok(count_event(db).await), (sub, closing, false)));
            }
            loop {
                let msg = tokio::select! {
                    _ = closing.cancelled() => return None,
                    msg = sub.recv() => msg,
                };
                match msg {
                    Recv::Notification(n) if n.workspace_id == ws && n.user_id == user => break,
                    Recv::Resync => break,
                    Recv::Notification(_) | Recv::Event(_) | Recv::Conversation(_) => continue,
                    Recv::Closed => return None,
                }
            }
            Some((Ok(count_event(db).await), (sub, closing, false)))
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    /// `1`: unread only.
    unread: String,
    /// The cursor of the last row of the previous page.
    before: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/list.html")]
struct ListPage {
    shell: Shell,
    items: Vec<Item>,
    unread_only: bool,
    next: Option<String>,
}

fn cursor(n: &Notification) -> String {
    format!("{}~{}", n.created_at.0, n.id)
}

fn parse_cursor(raw: &str) -> Option<(Ts, NotificationId)> {
    let (at, id) = raw.split_once('~')?;
    Some((Ts::new(at.parse().ok()?), id.parse().ok()?))
}

/// `GET /notifications`: the member's notifications, newest first, in
/// keyset pages (`before`), optionally unread only.
pub async fn list_notifications(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<impl IntoResponse> {
    let unread_only = q.unread == "1";
    let after = match q.before.trim() {
        "" => None,
        raw => Some(parse_cursor(raw).ok_or(AppError::NotFound)?),
    };
    let rows = store::list(
        &st.db,
        cu.workspace.id,
        cu.user.id,
        unread_only,
        after,
        PAGE_SIZE + 1,
    )
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let shown = &rows[..rows.len().min(PAGE_SIZE as usize)];
    let now = st.now();
    // No area of the navigation is this page.
    let mut shell = Shell::new(&cu, Area::Dashboard).await?;
    shell.nav.iter_mut().for_each(|i| i.active = false);
    Ok(ListPage {
        next: more.then(|| shown.last().map(cursor)).flatten(),
        items: shown.iter().map(|n| item(&cu, n, now)).collect(),
        unread_only,
        shell,
    })
}

/// `POST /notifications/{id}/open`: marks it read and goes to its subject.
pub async fn open_notification(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<NotificationId>,
) -> AppResult<Response> {
    let n = store::find(&st.db, cu.workspace.id, cu.user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::mark_read(&st.db, cu.workspace.id, cu.user.id, &[id], st.now()).await?;
    Ok(Redirect::to(back_to(&n.link)).into_response())
}

/// `POST /notifications/{id}/read`: marks it read, back to the list.
pub async fn mark_read(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<NotificationId>,
) -> AppResult<Response> {
    store::find(&st.db, cu.workspace.id, cu.user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::mark_read(&st.db, cu.workspace.id, cu.user.id, &[id], st.now()).await?;
    Ok(Redirect::to("/notifications").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReadAllForm {
    next: String,
}

/// `POST /notifications/read-all`: one statement marks every unread
/// notification of the member read; back where they were.
pub async fn mark_all_read(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<ReadAllForm>,
) -> AppResult<Response> {
    store::mark_all_read(&st.db, cu.workspace.id, cu.user.id, st.now()).await?;
    Ok(Redirect::to(back_to(&f.next)).into_response())
}

/// One row of the preferences form.
pub struct PrefRow {
    pub kind: &'static str,
    pub label: &'static str,
    pub in_app: bool,
    pub email: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/preferences.html")]
struct PreferencesPage {
    shell: Shell,
    rows: Vec<PrefRow>,
    digest: bool,
}

/// `GET /notifications/preferences`: which kinds in the bell, which also
/// by email, and the daily digest.
pub async fn preferences_page(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    let nt = NotificationsTr::get(cu.locale());
    let rows = store::preferences(&st.db, cu.workspace.id, cu.user.id)
        .await?
        .into_iter()
        .filter(|p| offered(p.kind))
        .map(|p| PrefRow {
            kind: p.kind.as_str(),
            label: nt.kind_label(p.kind),
            in_app: p.in_app,
            email: p.email,
        })
        .collect();
    Ok(PreferencesPage {
        digest: store::daily_digest(&st.db, cu.workspace.id, cu.user.id).await?,
        rows,
        shell: Shell::new(&cu, Area::Settings).await?,
    })
}

/// Whether the preferences page offers `kind`. "Tasks due today" is told by
/// the daily digest (its own checkbox), not by a notification per task, so
/// it has no row of its own.
fn offered(kind: NotificationKind) -> bool {
    kind != NotificationKind::TaskDue
}

/// Reads the preferences form: checkboxes `in_app` / `email` whose values
/// are kinds (unknown values are ignored), and `digest`.
pub fn parse_preferences(body: &[u8]) -> (Vec<Preference>, bool) {
    let mut in_app = Vec::new();
    let mut email = Vec::new();
    let mut digest = false;
    for (k, v) in url::form_urlencoded::parse(body) {
        match (k.as_ref(), NotificationKind::parse(&v)) {
            ("in_app", Some(kind)) => in_app.push(kind),
            ("email", Some(kind)) => email.push(kind),
            ("digest", _) => digest = v == "1",
            _ => {}
        }
    }
    let prefs = NotificationKind::ALL
        .iter()
        .filter(|k| offered(**k))
        .map(|k| Preference {
            kind: *k,
            in_app: in_app.contains(k),
            email: email.contains(k),
        })
        .collect();
    (prefs, digest)
}

/// `POST /notifications/preferences`.
pub async fn save_preferences(
    State(st): State<AppState>,
    cu: CurrentUser,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let (prefs, digest) = parse_preferences(&body);
    let now = st.now();
    let mut tx = st.db.begin().await?;
    store::set_preferences(&mut tx, cu.workspace.id, cu.user.id, &prefs, now).await?;
    store::set_daily_digest(&mut tx, cu.workspace.id, cu.user.id, digest, now).await?;
    tx.commit().await?;
    set_flash(&cu.session, true, NotificationsTr::get(cu.locale()).saved).await?;
    Ok(Redirect::to("/notifications/preferences").into_response())
}
