//! Pages for people who are not signed in: login, logout, password reset,
//! invitations.

use crate::assets::{self, AssetUrls};
use crate::auth::{self, ClientIp, csrf_token, sign_in};
use crate::error::{AppError, AppResult};
use crate::i18n::{Tr, tr};
use crate::mail;
use crate::state::{AppState, RequestLocale};
use af_core::vocab::EventKind;
use af_core::{Actor, Locale, crypto, validate};
use af_db::audit::{NewAudit, insert_audit, insert_audit_now};
use af_db::{Ts, auth_tokens, login_attempts, sessions, users, workspaces};
use af_engine::system_mail::SystemMail;
use af_service::passwords::{hash_password, verify_password};
use af_service::provision;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use serde::Deserialize;
use tower_sessions::Session;

impl FromRequestParts<AppState> for RequestLocale {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestLocale>()
            .copied()
            .unwrap_or(RequestLocale(Locale::Es)))
    }
}

/// What every public page template needs.
pub struct PublicPage {
    pub t: &'static Tr,
    pub lang: &'static str,
    pub assets: &'static AssetUrls,
    pub csrf: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

impl PublicPage {
    /// For pages without forms (error pages): no session needed.
    pub fn bare(locale: Locale) -> Self {
        Self {
            t: tr(locale),
            lang: locale.as_str(),
            assets: assets::urls(),
            csrf: String::new(),
            error: None,
            notice: None,
        }
    }

    pub async fn new(locale: Locale, session: &Session) -> AppResult<Self> {
        Ok(Self {
            csrf: csrf_token(session).await?,
            ..Self::bare(locale)
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/error.html")]
pub struct ErrorTemplate {
    pub page: PublicPage,
    pub title: String,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/login.html")]
struct LoginTemplate {
    page: PublicPage,
    next: String,
    email: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
    notice: String,
}

/// Only local paths are followed after sign-in (no open redirect).
/// Where to go after signing in: a path on this site, or the dashboard.
/// Only visible ASCII is accepted (no control characters, spaces or
/// backslashes, which browsers may strip or turn into `/` and so reach
/// another origin), it must start with one `/`, and it must parse as a
/// path — so it is always a valid `Location` and never leaves the origin.
pub(crate) fn safe_next(next: &str) -> &str {
    let same_origin_path = next.len() <= 2000
        && next.starts_with('/')
        && !next.starts_with("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && next
            .parse::<axum::http::uri::PathAndQuery>()
            .is_ok_and(|p| p.path().starts_with('/') && !p.path().starts_with("//"));
    if same_origin_path { next } else { "/dashboard" }
}

pub async fn login_page(
    RequestLocale(locale): RequestLocale,
    session: Session,
    Query(q): Query<LoginQuery>,
) -> AppResult<impl IntoResponse> {
    let mut page = PublicPage::new(locale, &session).await?;
    if q.notice == "password_changed" {
        page.notice = Some(page.t.password_changed.into());
    }
    Ok(LoginTemplate {
        page,
        next: q.next,
        email: String::new(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

/// How long this address must wait before trying this email again, if at
/// all: a delay that doubles with each failure (1 s after the second, 2 s
/// after the third, …), then the rest of the window once the per-email
/// or per-address cap is reached.
fn login_wait(
    cfg: &crate::WebConfig,
    recent: login_attempts::RecentFailures,
    now: Ts,
) -> Option<i64> {
    let window_secs = cfg.login_window_minutes * 60;
    if recent.pair >= cfg.login_max_failures_per_email || recent.ip >= cfg.login_max_failures_per_ip
    {
        return Some(window_secs);
    }
    let last = recent.pair_last?;
    let delay = if recent.pair >= 2 {
        1i64 << (recent.pair - 2).min(20)
    } else {
        0
    };
    let ready_at = last.0.as_second().saturating_add(delay);
    let wait = ready_at - now.0.as_second();
    (wait > 0).then_some(wait)
}

pub async fn login(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    session: Session,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let now = st.now();
    let email_key = validate::email_key(&f.email);
    let since = Ts::new(now.0 - SignedDuration::from_mins(st.config.login_window_minutes));
    let recent = login_attempts::recent_failures(&st.db, &email_key, &ip, since).await?;
    let mut page = PublicPage::new(locale, &session).await?;
    if let Some(wait_secs) = login_wait(&st.config, recent, now) {
        page.error = Some(page.t.err_too_many_attempts.into());
        let body = LoginTemplate {
            page,
            next: f.next,
            email: f.email,
        };
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", wait_secs.to_string())],
            body,
        )
            .into_response());
    }
    let user = users::find_user_by_email(&st.db, &f.email).await?;
    let ok = verify_password(user.as_ref().map(|u| u.password_hash.clone()), f.password).await;
    login_attempts::insert_login_attempt(&st.db, &email_key, &ip, ok && user.is_some(), now)
        .await?;
    let Some(user) = user.filter(|_| ok) else {
        let actor = Actor {
            kind: af_core::ActorKind::System,
            id: None,
            label: email_key.clone(),
        };
        let audit = NewAudit {
            workspace: None,
            actor: &actor,
            action: "auth.login_failed",
            target_type: None,
            target_id: None,
            result: "denied",
            details: serde_json::json!({}),
            ip: Some(&ip),
        };
        insert_audit_now(&st.db, &audit, now).await?;
        page.error = Some(page.t.err_invalid_credentials.into());
        let body = LoginTemplate {
            page,
            next: f.next,
            email: f.email,
        };
        return Ok((StatusCode::UNAUTHORIZED, body).into_response());
    };
    let first_ws = workspaces::list_workspaces_for_user(&st.db, user.id)
        .await?
        .first()
        .map(|w| w.workspace.id);
    sign_in(&session, user.id, first_ws).await?;
    users::touch_last_login(&st.db, user.id, now).await?;
    // A language picked on the login page (`?lang=`, remembered in the
    // `af_lang` cookie) is the person's choice: it carries into the session.
    if let Some(chosen) = crate::middleware::locale::chosen_language(&headers)
        && user.locale.as_deref() != Some(chosen.as_str())
    {
        users::set_user_locale(&st.db, user.id, Some(chosen), now).await?;
    }
    let actor = Actor::user(user.id, &user.email);
    let audit = NewAudit {
        workspace: None,
        actor: &actor,
        action: "auth.login",
        target_type: Some("user"),
        target_id: Some(user.id.to_string()),
        result: "ok",
        details: serde_json::json!({}),
        ip: Some(&ip),
    };
    insert_audit_now(&st.db, &audit, now).await?;
    Ok(Redirect::to(safe_next(&f.next)).into_response())
}

pub async fn logout(session: Session) -> AppResult<Redirect> {
    session.flush().await?;
    Ok(Redirect::to("/login"))
}

#[derive(Template, WebTemplate)]
#[template(path = "public/forgot.html")]
struct ForgotTemplate {
    page: PublicPage,
}

pub async fn forgot_page(
    RequestLocale(locale): RequestLocale,
    session: Session,
) -> AppResult<impl IntoResponse> {
    Ok(ForgotTemplate {
        page: PublicPage::new(locale, &session).await?,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    email: String,
}

/// Reset requests allowed per client address, and per email address, in
/// each window: enough for a person who mistyped, too few to flood an inbox.
const RESET_REQUESTS_PER_IP: i64 = 20;
const RESET_REQUESTS_PER_EMAIL: i64 = 3;
const RESET_WINDOW_SECS: i64 = 3600;

/// Always answers the same, whether or not the account exists, so the form
/// cannot be used to find out who has an account.
pub async fn forgot(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    session: Session,
    Form(f): Form<EmailForm>,
) -> AppResult<impl IntoResponse> {
    let mut page = PublicPage::new(locale, &session).await?;
    // Counted for every address, known or not, so the limit says nothing
    // about who has an account.
    let buckets = [
        (format!("forgot:ip:{ip}"), RESET_REQUESTS_PER_IP),
        (
            format!("forgot:email:{}", validate::email_key(&f.email)),
            RESET_REQUESTS_PER_EMAIL,
        ),
    ];
    if let Err(retry) = crate::intake::rate_limit_in(&st, RESET_WINDOW_SECS, &buckets).await? {
        page.error = Some(page.t.err_too_many_attempts.into());
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry.to_string())],
            ForgotTemplate { page },
        )
            .into_response());
    }
    page.notice = Some(page.t.reset_sent.into());
    if let Ok(email) = validate::email(&f.email)
        && let Some(user) = users::find_user_by_email(&st.db, &email).await?
    {
        let now = st.now();
        let ut = tr(user.locale().unwrap_or(locale));
        let mut tx = st.db.begin().await?;
        let link = provision::issue_reset_link(&mut tx, user.id, &st.config.base_url, now).await?;
        let body = ut
            .reset_email_body
            .replace("{name}", &user.name)
            .replace("{link}", &link);
        let mail = SystemMail {
            to: user.email.clone(),
            subject: ut.reset_email_subject.to_owned(),
            body,
        };
        mail::send_system_email(&st, &mut tx, mail, &link, now).await?;
        let actor = Actor::user(user.id, &user.email);
        let audit = NewAudit {
            workspace: None,
            actor: &actor,
            action: "auth.password_reset_requested",
            target_type: Some("user"),
            target_id: Some(user.id.to_string()),
            result: "ok",
            details: serde_json::json!({}),
            ip: Some(&ip),
        };
        insert_audit(&mut tx, &audit, now).await?;
        tx.commit().await?;
    }
    Ok(ForgotTemplate { page }.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "public/reset.html")]
struct ResetTemplate {
    page: PublicPage,
    valid: bool,
}

pub async fn reset_page(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    session: Session,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let mut page = PublicPage::new(locale, &session).await?;
    let valid =
        auth_tokens::find_password_reset_user(&st.db, &crypto::sha256_hex(&token), st.now())
            .await?
            .is_some();
    if !valid {
        page.error = Some(page.t.err_reset_invalid.into());
        return Ok((StatusCode::NOT_FOUND, ResetTemplate { page, valid }).into_response());
    }
    Ok(ResetTemplate { page, valid }.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
}

pub async fn reset(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    session: Session,
    Path(token): Path<String>,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let mut page = PublicPage::new(locale, &session).await?;
    if validate::new_password(&f.password).is_err() {
        page.error = Some(page.t.err_password_rules.into());
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ResetTemplate { page, valid: true },
        )
            .into_response());
    }
    let hash = hash_password(f.password).await?;
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let Some(user_id) =
        auth_tokens::consume_password_reset(&mut tx, &crypto::sha256_hex(&token), now).await?
    else {
        page.error = Some(page.t.err_reset_invalid.into());
        return Ok((StatusCode::NOT_FOUND, ResetTemplate { page, valid: false }).into_response());
    };
    users::update_password(&mut tx, user_id, &hash, now).await?;
    let actor = Actor {
        kind: af_core::ActorKind::User,
        id: Some(user_id.0),
        label: "password reset link".into(),
    };
    let audit = NewAudit {
        workspace: None,
        actor: &actor,
        action: "auth.password_reset",
        target_type: Some("user"),
        target_id: Some(user_id.to_string()),
        result: "ok",
        details: serde_json::json!({}),
        ip: Some(&ip),
    };
    insert_audit(&mut tx, &audit, now).await?;
    tx.commit().await?;
    // Whoever knew the old password is signed out everywhere.
    sessions::delete_sessions_of_user(&st.db, user_id).await?;
    Ok(Redirect::to("/login?notice=password_changed").into_response())
}

/// What the invitation page offers the visitor.
pub enum InviteMode {
    /// Signed in as the invited email: one click to join.
    Join,
    /// The email has an account, but the visitor is not signed in.
    SignInFirst,
    /// No account with that email yet: create one here.
    Register,
    /// Signed in as someone else.
    WrongUser,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/invite.html")]
struct InviteTemplate {
    page: PublicPage,
    workspace_name: Option<String>,
    role_label: String,
    email: String,
    mode: InviteMode,
    next_encoded: String,
}

struct InviteContext {
    invitation: auth_tokens::Invitation,
    workspace: workspaces::Workspace,
    signed_in: Option<users::User>,
    existing: Option<users::User>,
}

async fn load_invite(
    st: &AppState,
    session: &Session,
    token: &str,
) -> AppResult<Option<InviteContext>> {
    let Some(invitation) =
        auth_tokens::find_invitation_by_token_hash(&st.db, &crypto::sha256_hex(token)).await?
    else {
        return Ok(None);
    };
    if !invitation.is_usable(st.now()) {
        return Ok(None);
    }
    let Some(workspace) = workspaces::find_workspace(&st.db, invitation.workspace_id).await? else {
        return Ok(None);
    };
    let signed_in = match session
        .get::<af_core::UserId>(crate::session_store::USER_KEY)
        .await?
    {
        Some(id) => users::find_user(&st.db, id).await?,
        None => None,
    };
    let existing = users::find_user_by_email(&st.db, &invitation.email).await?;
    Ok(Some(InviteContext {
        invitation,
        workspace,
        signed_in,
        existing,
    }))
}

fn invite_mode(ctx: &InviteContext) -> InviteMode {
    let invited = validate::email_key(&ctx.invitation.email);
    match (&ctx.signed_in, &ctx.existing) {
        (Some(u), _) if u.email_key == invited => InviteMode::Join,
        (Some(_), _) => InviteMode::WrongUser,
        (None, Some(_)) => InviteMode::SignInFirst,
        (None, None) => InviteMode::Register,
    }
}

async fn invalid_invite(locale: Locale, session: &Session) -> AppResult<Response> {
    let mut page = PublicPage::new(locale, session).await?;
    page.error = Some(page.t.err_invite_invalid.into());
    let body = InviteTemplate {
        page,
        workspace_name: None,
        role_label: String::new(),
        email: String::new(),
        mode: InviteMode::WrongUser,
        next_encoded: String::new(),
    };
    Ok((StatusCode::NOT_FOUND, body).into_response())
}

pub async fn invite_page(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    session: Session,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let Some(ctx) = load_invite(&st, &session, &token).await? else {
        return invalid_invite(locale, &session).await;
    };
    let page = PublicPage::new(locale, &session).await?;
    let role_label = page.t.role(ctx.invitation.role()).to_string();
    Ok(InviteTemplate {
        mode: invite_mode(&ctx),
        page,
        workspace_name: Some(ctx.workspace.name.clone()),
        role_label,
        email: ctx.invitation.email.clone(),
        next_encoded: urlencoding::encode(&format!("/invite/{token}")).into_owned(),
    }
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    name: String,
    password: String,
}

pub async fn accept_invite(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    session: Session,
    Path(token): Path<String>,
    Form(f): Form<RegisterForm>,
) -> AppResult<Response> {
    let Some(ctx) = load_invite(&st, &session, &token).await? else {
        return invalid_invite(locale, &session).await;
    };
    let now = st.now();
    let ws = ctx.workspace.id;
    let role = ctx.invitation.role();
    let mut tx = st.db.begin().await?;
    let user = match invite_mode(&ctx) {
        InviteMode::Join => ctx.signed_in.clone().ok_or(AppError::Forbidden)?,
        InviteMode::Register => {
            let t = tr(locale);
            let name = validate::name(&f.name, 120)
                .map_err(|_| AppError::BadRequest(t.err_invalid_name.into()))?;
            validate::new_password(&f.password)
                .map_err(|_| AppError::BadRequest(t.err_password_rules.into()))?;
            let hash = hash_password(f.password).await?;
            users::insert_user(&mut tx, &ctx.invitation.email, &name, &hash, now).await?
        }
        InviteMode::SignInFirst | InviteMode::WrongUser => return Err(AppError::Forbidden),
    };
    if !auth_tokens::accept_invitation(&mut tx, ctx.invitation.id, user.id, now).await? {
        return invalid_invite(locale, &session).await;
    }
    // Accepting never lowers a role the user already has here.
    let current = workspaces::find_membership_role(&st.db, ws, user.id).await?;
    if current.is_none_or(|r| r < role) {
        workspaces::upsert_membership(&mut tx, ws, user.id, role, now).await?;
    }
    let actor = Actor::user(user.id, &user.email);
    let audit = NewAudit {
        workspace: Some(ws),
        actor: &actor,
        action: "member.joined",
        target_type: Some("invitation"),
        target_id: Some(ctx.invitation.id.to_string()),
        result: "ok",
        details: serde_json::json!({ "role": role.as_str() }),
        ip: Some(&ip),
    };
    insert_audit(&mut tx, &audit, now).await?;
    let event = af_db::events::NewEvent {
        workspace: ws,
        kind: EventKind::MemberJoined.as_str(),
        entity_type: "user",
        entity_id: Some(user.id.to_string()),
        actor: &actor,
        data: serde_json::json!({ "role": role.as_str(), "invitation_id": ctx.invitation.id }),
    };
    af_db::events::insert_event(&mut tx, &event, now).await?;
    tx.commit().await?;
    if ctx.signed_in.is_none() {
        sign_in(&session, user.id, Some(ws)).await?;
    } else {
        session.insert(auth::WORKSPACE_KEY, ws).await?;
    }
    auth::set_flash(&session, true, tr(locale).flash_joined).await?;
    Ok(Redirect::to("/dashboard").into_response())
}

/// `GET /`: the dashboard for the signed-in, the login page for others.
pub async fn root(session: Session) -> AppResult<Redirect> {
    let signed_in = session
        .get::<af_core::UserId>(crate::session_store::USER_KEY)
        .await?
        .is_some();
    Ok(Redirect::to(if signed_in {
        "/dashboard"
    } else {
        "/login"
    }))
}
