//! Settings: the workspace's own settings and logo, members and invitations,
//! API keys, and the user's profile.

use super::fmt_when;
use super::shell::{Area, Shell};
use crate::auth::{ClientIp, CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::Tr;
use crate::mail;
use crate::state::AppState;
use af_core::vocab::EventKind;
use af_core::{ApiKeyId, InvitationId, Locale, Role, UserId, crypto, validate};
use af_db::api_keys::{self, KeyScope};
use af_db::audit::{NewAudit, insert_audit};
use af_db::events::{NewEvent, insert_event};
use af_db::workspaces::{self, WorkspaceSettings};
use af_db::{Ts, Tx, auth_tokens, users};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// Records an audited action by the current user in this workspace.
pub(crate) async fn audit(
    tx: &mut Tx,
    cu: &CurrentUser,
    ip: &str,
    action: &str,
    target: (&str, String),
    details: serde_json::Value,
    now: Ts,
) -> AppResult<()> {
    let actor = cu.actor();
    let entry = NewAudit {
        workspace: Some(cu.workspace.id),
        actor: &actor,
        action,
        target_type: Some(target.0),
        target_id: Some(target.1),
        result: "ok",
        details,
        ip: Some(ip),
    };
    insert_audit(tx, &entry, now).await?;
    Ok(())
}

// ---------------------------------------------------------------- workspace

pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/workspace.html")]
struct WorkspaceTemplate {
    shell: Shell,
    fields: Vec<Field>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SettingsForm {
    name: String,
    slug: String,
    time_zone: String,
    locale: String,
    country: String,
    brand_color: String,
    sender_name: String,
}

fn fields(
    t: &'static Tr,
    locale: Locale,
    f: &SettingsForm,
    errors: &HashMap<&'static str, &'static str>,
) -> Vec<Field> {
    let field =
        |name: &'static str, label: &'static str, value: &str, kind: &'static str, options| Field {
            name,
            label,
            value: value.to_string(),
            kind,
            options,
            error: errors.get(name).map(|e| e.to_string()),
        };
    let zones: Vec<(String, String)> = {
        let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
        names.sort();
        names.into_iter().map(|n| (n.clone(), n)).collect()
    };
    // Picked from a list, never typed: the country decides the currency
    // and how phone numbers without `+` are read.
    let countries = af_core::countries::all(locale)
        .into_iter()
        .map(|(code, name)| (code.to_string(), name.to_string()))
        .collect();
    let langs = vec![
        ("es".into(), t.lang_es.into()),
        ("en".into(), t.lang_en.into()),
    ];
    vec![
        field("name", t.ws_name, &f.name, "text", vec![]),
        field("slug", t.ws_slug, &f.slug, "text", vec![]),
        field("time_zone", t.ws_time_zone, &f.time_zone, "select", zones),
        field("locale", t.ws_locale, &f.locale, "select", langs),
        field("country", t.ws_country, &f.country, "select", countries),
        field(
            "brand_color",
            t.ws_brand_color,
            &f.brand_color,
            "color",
            vec![],
        ),
        field(
            "sender_name",
            t.ws_sender_name,
            &f.sender_name,
            "text",
            vec![],
        ),
    ]
}

pub async fn workspace_settings(cu: CurrentUser) -> AppResult<Response> {
    if cu.role < Role::Admin {
        return Ok(Redirect::to("/settings/profile").into_response());
    }
    let shell = Shell::new(&cu, Area::Settings).await?;
    let w = &cu.workspace;
    let form = SettingsForm {
        name: w.name.clone(),
        slug: w.slug.clone(),
        time_zone: w.time_zone.clone(),
        locale: w.locale.clone(),
        country: w.country.clone(),
        brand_color: w.brand_color.clone().unwrap_or_else(|| "#4f46e5".into()),
        sender_name: w.sender_name.clone().unwrap_or_default(),
    };
    Ok(WorkspaceTemplate {
        fields: fields(shell.t, cu.locale(), &form, &HashMap::new()),
        shell,
    }
    .into_response())
}

fn validate_settings(
    t: &'static Tr,
    f: &SettingsForm,
) -> Result<WorkspaceSettings, HashMap<&'static str, &'static str>> {
    let mut errors = HashMap::new();
    let name = validate::name(&f.name, 120)
        .map_err(|_| errors.insert("name", t.err_invalid_name))
        .ok();
    let slug = validate::slug(&f.slug)
        .map_err(|_| errors.insert("slug", t.err_invalid_slug))
        .ok();
    let tz = validate::time_zone(&f.time_zone)
        .map_err(|_| errors.insert("time_zone", t.err_invalid_time_zone))
        .ok();
    let locale = f
        .locale
        .parse::<Locale>()
        .map_err(|_| errors.insert("locale", t.err_invalid_locale))
        .ok();
    let country = validate::country(&f.country)
        .map_err(|_| errors.insert("country", t.err_invalid_country))
        .ok();
    let color = validate::color(&f.brand_color)
        .map_err(|_| errors.insert("brand_color", t.err_invalid_color))
        .ok();
    let sender = f.sender_name.trim();
    let sender_name = if sender.is_empty() {
        Some(None)
    } else {
        validate::name(sender, 120)
            .map(Some)
            .map_err(|_| errors.insert("sender_name", t.err_invalid_name))
            .ok()
    };
    match (name, slug, tz, locale, country, color, sender_name) {
        (
            Some(name),
            Some(slug),
            Some(time_zone),
            Some(locale),
            Some(country),
            Some(color),
            Some(sender_name),
        ) => Ok(WorkspaceSettings {
            slug,
            name,
            time_zone,
            locale,
            country,
            brand_color: Some(color),
            sender_name,
        }),
        _ => Err(errors),
    }
}

pub async fn update_workspace_settings(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(f): Form<SettingsForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let shell = Shell::new(&cu, Area::Settings).await?;
    let t = shell.t;
    let invalid = |shell: Shell, errors| {
        let body = WorkspaceTemplate {
            fields: fields(t, cu.locale(), &f, &errors),
            shell,
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
    };
    let settings = match validate_settings(t, &f) {
        Ok(s) => s,
        Err(errors) => return invalid(shell, errors),
    };
    let now = st.now();
    let old = &cu.workspace;
    let mut tx = st.db.begin().await?;
    match workspaces::update_workspace_settings(&mut tx, old.id, &settings, now).await {
        Ok(()) => {}
        Err(e) if e.is_unique_on("workspaces", "slug") => {
            return invalid(shell, HashMap::from([("slug", t.err_slug_taken)]));
        }
        Err(e) => return Err(e.into()),
    }
    let changes = serde_json::json!({
        "old": { "name": old.name, "slug": old.slug, "time_zone": old.time_zone, "locale": old.locale,
                 "country": old.country, "brand_color": old.brand_color, "sender_name": old.sender_name },
        "new": { "name": settings.name, "slug": settings.slug, "time_zone": settings.time_zone,
                 "locale": settings.locale.as_str(), "country": settings.country,
                 "brand_color": settings.brand_color, "sender_name": settings.sender_name },
    });
    let actor = cu.actor();
    let event = NewEvent {
        workspace: old.id,
        kind: EventKind::WorkspaceUpdated.as_str(),
        entity_type: "workspace",
        entity_id: Some(old.id.to_string()),
        actor: &actor,
        data: changes.clone(),
    };
    insert_event(&mut tx, &event, now).await?;
    audit(
        &mut tx,
        &cu,
        &ip,
        "workspace.updated",
        ("workspace", old.id.to_string()),
        changes,
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(&cu.session, true, t.flash_saved).await?;
    Ok(Redirect::to("/settings").into_response())
}

/// Largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// The image type from the file's first bytes; the declared type is not
/// trusted. SVG is refused: it can carry script.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    af_service::conversations::reply::file_type(bytes).filter(|t| t.starts_with("image/"))
}

pub async fn upload_logo(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    mut form: Multipart,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = crate::i18n::tr(cu.locale());
    let bad = || AppError::BadRequest(t.err_logo.into());
    let mut logo = None;
    while let Some(field) = form.next_field().await.map_err(|_| bad())? {
        if field.name() == Some("logo") {
            let bytes = field.bytes().await.map_err(|_| bad())?;
            logo = Some(bytes);
        }
    }
    let bytes = logo
        .filter(|b| !b.is_empty() && b.len() <= MAX_LOGO_BYTES)
        .ok_or_else(bad)?;
    let content_type = sniff_image(&bytes).ok_or_else(bad)?;
    let now = st.now();
    let mut tx = st.db.begin().await?;
    workspaces::set_workspace_logo(&mut tx, cu.workspace.id, Some((&bytes, content_type)), now)
        .await?;
    let details = serde_json::json!({ "bytes": bytes.len(), "content_type": content_type });
    audit(
        &mut tx,
        &cu,
        &ip,
        "workspace.logo_updated",
        ("workspace", cu.workspace.id.to_string()),
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(&cu.session, true, t.flash_logo_saved).await?;
    Ok(Redirect::to("/settings").into_response())
}

/// `GET /w/{slug}/logo`: public, for public pages and emails.
pub async fn workspace_logo(
    State(st): State<AppState>,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let ws = workspaces::find_workspace_by_slug(&st.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let (bytes, ct) = workspaces::find_workspace_logo(&st.db, ws.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ct = HeaderValue::from_str(&ct).map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ------------------------------------------------------------------ members

pub struct MemberRow {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: String,
    pub role_label: &'static str,
}

pub struct InvitationRow {
    pub id: InvitationId,
    pub email: String,
    pub role_label: &'static str,
    pub expires: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/members.html")]
struct MembersTemplate {
    shell: Shell,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    roles: Vec<(String, String)>,
    can_manage: bool,
    invite: Option<NewInvite>,
}

/// The invitation just created: its link, and whether it was emailed (no
/// email provider on the server: the link is only shown here).
pub struct NewInvite {
    pub link: String,
    pub emailed: bool,
}

async fn members_page(
    st: &AppState,
    cu: &CurrentUser,
    invite: Option<NewInvite>,
) -> AppResult<MembersTemplate> {
    let shell = Shell::new(cu, Area::Settings).await?;
    let t = shell.t;
    let tz = &cu.workspace.time_zone;
    let members = workspaces::list_members(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            role_label: t.role(m.role()),
            user_id: m.user_id,
            name: m.name,
            email: m.email,
            role: m.role,
        })
        .collect();
    let invitations = auth_tokens::list_pending_invitations(&st.db, cu.workspace.id, st.now())
        .await?
        .into_iter()
        .map(|i| InvitationRow {
            role_label: t.role(i.role()),
            expires: fmt_when(i.expires_at, tz, cu.locale()),
            id: i.id,
            email: i.email,
        })
        .collect();
    // Only owners may hand out the owner role.
    let roles = Role::ALL
        .iter()
        .filter(|r| cu.role == Role::Owner || **r != Role::Owner)
        .map(|r| (r.as_str().to_string(), t.role(*r).to_string()))
        .collect();
    Ok(MembersTemplate {
        shell,
        members,
        invitations,
        roles,
        can_manage: cu.role.can_manage(),
        invite,
    })
}

pub async fn list_members(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    members_page(&st, &cu, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

async fn error_flash(cu: &CurrentUser, message: &str, to: &str) -> AppResult<Response> {
    set_flash(&cu.session, false, message).await?;
    Ok(Redirect::to(to).into_response())
}

pub async fn invite_member(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(f): Form<InviteForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = crate::i18n::tr(cu.locale());
    let Ok(email) = validate::email(&f.email) else {
        return error_flash(&cu, t.err_invalid_email, "/settings/members").await;
    };
    let Ok(role) = f.role.parse::<Role>() else {
        return error_flash(&cu, t.err_invalid_role, "/settings/members").await;
    };
    if role == Role::Owner && cu.role != Role::Owner {
        return error_flash(&cu, t.err_owner_only, "/settings/members").await;
    }
    let already = workspaces::list_members(&st.db, cu.workspace.id)
        .await?
        .iter()
        .any(|m| validate::email_key(&m.email) == validate::email_key(&email));
    if already {
        return error_flash(&cu, t.err_already_member, "/settings/members").await;
    }
    let now = st.now();
    let ws = &cu.workspace;
    let mut tx = st.db.begin().await?;
    let (id, link) = af_service::provision::issue_invitation(
        &mut tx,
        ws.id,
        &email,
        role,
        Some(cu.user.id),
        &st.config.base_url,
        now,
    )
    .await?;
    let wt = crate::i18n::tr(ws.locale());
    let subject = wt.invite_email_subject.replace("{workspace}", &ws.name);
    let body = wt
        .invite_email_body
        .replace("{inviter}", &cu.user.name)
        .replace("{workspace}", &ws.name)
        .replace("{role}", wt.role(role))
        .replace("{link}", &link);
    let mail = af_engine::system_mail::SystemMail {
        to: email.clone(),
        subject,
        body,
    };
    let emailed = mail::send_system_email(&st, &mut tx, mail, &link, now).await?;
    let details = serde_json::json!({ "email": email, "role": role.as_str() });
    audit(
        &mut tx,
        &cu,
        &ip,
        "member.invited",
        ("invitation", id.to_string()),
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    let invite = NewInvite { link, emailed };
    Ok(members_page(&st, &cu, Some(invite)).await?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

pub async fn change_member_role(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    IdPath(user): IdPath<UserId>,
    Form(f): Form<RoleForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = crate::i18n::tr(cu.locale());
    let current = workspaces::find_membership_role(&st.db, cu.workspace.id, user)
        .await?
        .ok_or(AppError::NotFound)?;
    let Ok(role) = f.role.parse::<Role>() else {
        return error_flash(&cu, t.err_invalid_role, "/settings/members").await;
    };
    if (role == Role::Owner || current == Role::Owner) && cu.role != Role::Owner {
        return error_flash(&cu, t.err_owner_only, "/settings/members").await;
    }
    let now = st.now();
    let mut tx = st.db.begin().await?;
    if current == Role::Owner
        && role != Role::Owner
        && workspaces::count_owners(&mut tx, cu.workspace.id).await? <= 1
    {
        return error_flash(&cu, t.err_last_owner, "/settings/members").await;
    }
    workspaces::update_membership_role(&mut tx, cu.workspace.id, user, role).await?;
    let details = serde_json::json!({ "from": current.as_str(), "to": role.as_str() });
    let actor = cu.actor();
    let event = NewEvent {
        workspace: cu.workspace.id,
        kind: EventKind::MemberRoleChanged.as_str(),
        entity_type: "user",
        entity_id: Some(user.to_string()),
        actor: &actor,
        data: details.clone(),
    };
    insert_event(&mut tx, &event, now).await?;
    audit(
        &mut tx,
        &cu,
        &ip,
        "member.role_changed",
        ("user", user.to_string()),
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(&cu.session, true, t.flash_role_changed).await?;
    Ok(Redirect::to("/settings/members").into_response())
}

pub async fn remove_member(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    IdPath(user): IdPath<UserId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = crate::i18n::tr(cu.locale());
    let current = workspaces::find_membership_role(&st.db, cu.workspace.id, user)
        .await?
        .ok_or(AppError::NotFound)?;
    if current == Role::Owner && cu.role != Role::Owner {
        return error_flash(&cu, t.err_owner_only, "/settings/members").await;
    }
    let now = st.now();
    let mut tx = st.db.begin().await?;
    if current == Role::Owner && workspaces::count_owners(&mut tx, cu.workspace.id).await? <= 1 {
        return error_flash(&cu, t.err_last_owner, "/settings/members").await;
    }
    workspaces::delete_membership(&mut tx, cu.workspace.id, user).await?;
    let details = serde_json::json!({ "role": current.as_str() });
    audit(
        &mut tx,
        &cu,
        &ip,
        "member.removed",
        ("user", user.to_string()),
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(&cu.session, true, t.flash_member_removed).await?;
    Ok(Redirect::to(if user == cu.user.id {
        "/dashboard"
    } else {
        "/settings/members"
    })
    .into_response())
}

pub async fn revoke_invitation(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath<InvitationId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let now = st.now();
    let mut tx = st.db.begin().await?;
    if !auth_tokens::revoke_invitation(&mut tx, cu.workspace.id, id, now).await? {
        return Err(AppError::NotFound);
    }
    audit(
        &mut tx,
        &cu,
        &ip,
        "member.invitation_revoked",
        ("invitation", id.to_string()),
        serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(
        &cu.session,
        true,
        crate::i18n::tr(cu.locale()).flash_invite_revoked,
    )
    .await?;
    Ok(Redirect::to("/settings/members").into_response())
}

// ----------------------------------------------------------------- API keys

pub struct KeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/api_keys.html")]
struct ApiKeysTemplate {
    shell: Shell,
    keys: Vec<KeyRow>,
    new_key: Option<String>,
}

async fn api_keys_page(
    st: &AppState,
    cu: &CurrentUser,
    new_key: Option<String>,
) -> AppResult<ApiKeysTemplate> {
    let shell = Shell::new(cu, Area::Settings).await?;
    let tz = &cu.workspace.time_zone;
    let never = shell.t.never;
    let keys = api_keys::list_api_keys(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            created: fmt_when(k.created_at, tz, cu.locale()),
            last_used: k
                .last_used_at
                .map(|t| fmt_when(t, tz, cu.locale()))
                .unwrap_or_else(|| never.into()),
            revoked: k.revoked_at.is_some(),
            name: k.name,
            prefix: k.prefix,
        })
        .collect();
    Ok(ApiKeysTemplate {
        shell,
        keys,
        new_key,
    })
}

pub async fn list_api_keys(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    cu.require(Role::Admin)?;
    let new_key = cu.session.remove::<String>(NEW_KEY).await?;
    api_keys_page(&st, &cu, new_key).await
}

/// Session key holding a just-created API key until the page shows it once.
const NEW_KEY: &str = "new_api_key";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct KeyForm {
    name: String,
}

/// Creates a key, then redirects to the list, which shows it once (so a
/// reload never creates a second key).
pub async fn create_api_key(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(f): Form<KeyForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = crate::i18n::tr(cu.locale());
    let Ok(name) = validate::name(&f.name, 80) else {
        return error_flash(&cu, t.err_invalid_name, "/settings/api-keys").await;
    };
    let key = crypto::new_api_key();
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let id = api_keys::insert_api_key(
        &mut tx,
        cu.workspace.id,
        &name,
        &key.prefix,
        &key.hash,
        KeyScope::Full,
        Some(cu.user.id),
        now,
    )
    .await?;
    let details = serde_json::json!({ "name": name, "prefix": key.prefix });
    audit(
        &mut tx,
        &cu,
        &ip,
        "api_key.created",
        ("api_key", id.to_string()),
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    cu.session.insert(NEW_KEY, key.key).await?;
    Ok(Redirect::to("/settings/api-keys").into_response())
}

pub async fn revoke_api_key(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath<ApiKeyId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let now = st.now();
    let mut tx = st.db.begin().await?;
    if !api_keys::revoke_api_key(&mut tx, cu.workspace.id, id, now).await? {
        return Err(AppError::NotFound);
    }
    audit(
        &mut tx,
        &cu,
        &ip,
        "api_key.revoked",
        ("api_key", id.to_string()),
        serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(
        &cu.session,
        true,
        crate::i18n::tr(cu.locale()).flash_key_revoked,
    )
    .await?;
    Ok(Redirect::to("/settings/api-keys").into_response())
}

// ------------------------------------------------------------------ profile

#[derive(Template, WebTemplate)]
#[template(path = "settings/profile.html")]
struct ProfileTemplate {
    shell: Shell,
    user_locale: String,
    feed: Option<FeedView>,
}

/// The member's external calendar feed as the profile page shows it.
struct FeedView {
    hint: String,
    /// "hace 5 min" …, empty when never read.
    synced: String,
    busy: i32,
    /// The last failure in the reader's language, if the last read failed.
    error: Option<&'static str>,
}

fn feed_error_text(t: &crate::i18n::Tr, code: &str) -> &'static str {
    match code {
        "refused" => t.feed_err_refused,
        "unreachable" => t.feed_err_unreachable,
        "too_large" => t.feed_err_too_large,
        "not_ical" => t.feed_err_not_ical,
        "sealed" => t.feed_err_sealed,
        _ => t.feed_err_status,
    }
}

pub async fn profile(State(st): State<AppState>, cu: CurrentUser) -> AppResult<impl IntoResponse> {
    let shell = Shell::new(&cu, Area::Settings).await?;
    let t = crate::i18n::tr(cu.locale());
    let zone = af_core::datetime::zone(&cu.workspace.time_zone);
    let feed = af_db::busy_feeds::find_feed(&st.db, cu.workspace.id, cu.user.id)
        .await?
        .map(|f| FeedView {
            hint: f.url_hint,
            synced: f
                .last_synced_at
                .map(|at| af_core::datetime::relative(at.0, st.now().0, &zone, cu.locale()))
                .unwrap_or_default(),
            busy: f.busy_count,
            error: f.last_error.as_deref().map(|c| feed_error_text(t, c)),
        });
    Ok(ProfileTemplate {
        shell,
        user_locale: cu.user.locale.clone().unwrap_or_default(),
        feed,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FeedForm {
    url: String,
}

/// `POST /settings/profile/calendar-feed`: sets the member's external
/// calendar (sealed at rest) and reads it at once.
pub async fn save_calendar_feed(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<FeedForm>,
) -> AppResult<Response> {
    let t = crate::i18n::tr(cu.locale());
    let Ok((url, hint)) = af_engine::busy_feeds::check_url(&f.url, st.config.channels.ssrf())
    else {
        return error_flash(&cu, t.err_feed_url, "/settings/profile").await;
    };
    let sealed = st.secret.seal(&url);
    let mut tx = st.db.begin().await?;
    af_db::busy_feeds::set_feed(
        &mut tx,
        cu.workspace.id,
        cu.user.id,
        &sealed,
        &hint,
        st.now(),
    )
    .await?;
    tx.commit().await?;
    af_engine::busy_feeds::queue_sync(&st.db, cu.workspace.id, cu.user.id, st.now()).await?;
    set_flash(&cu.session, true, t.flash_feed_saved).await?;
    Ok(Redirect::to("/settings/profile").into_response())
}

/// `POST /settings/profile/calendar-feed/sync`: reads the feed now.
pub async fn sync_calendar_feed(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<Response> {
    let t = crate::i18n::tr(cu.locale());
    af_engine::busy_feeds::queue_sync(&st.db, cu.workspace.id, cu.user.id, st.now()).await?;
    set_flash(&cu.session, true, t.flash_feed_sync).await?;
    Ok(Redirect::to("/settings/profile").into_response())
}

/// `POST /settings/profile/calendar-feed/delete`: removes the feed and
/// the busy times read from it.
pub async fn delete_calendar_feed(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<Response> {
    let t = crate::i18n::tr(cu.locale());
    let mut tx = st.db.begin().await?;
    af_db::busy_feeds::delete_feed(&mut tx, cu.workspace.id, cu.user.id).await?;
    tx.commit().await?;
    set_flash(&cu.session, true, t.flash_feed_removed).await?;
    Ok(Redirect::to("/settings/profile").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileForm {
    name: String,
    locale: String,
}

pub async fn update_profile(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<ProfileForm>,
) -> AppResult<Response> {
    let t = crate::i18n::tr(cu.locale());
    let Ok(name) = validate::name(&f.name, 120) else {
        return error_flash(&cu, t.err_invalid_name, "/settings/profile").await;
    };
    let locale = match f.locale.as_str() {
        "" => None,
        l => match l.parse::<Locale>() {
            Ok(l) => Some(l),
            Err(_) => return error_flash(&cu, t.err_invalid_locale, "/settings/profile").await,
        },
    };
    users::update_user_profile(&st.db, cu.user.id, &name, locale, st.now()).await?;
    let new_t = crate::i18n::tr(locale.unwrap_or_else(|| cu.workspace.locale()));
    set_flash(&cu.session, true, new_t.flash_profile_saved).await?;
    let mut res = Redirect::to("/settings/profile").into_response();
    // Public pages (login) follow the user's choice too.
    if let Some(l) = locale
        && let Ok(v) = HeaderValue::from_str(&format!(
            "af_lang={l}; Path=/; Max-Age=31536000; SameSite=Lax"
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LanguageForm {
    lang: String,
}

/// `POST /language`: the language switch in the shell. Saves the choice as
/// the person's language (as the profile page does) and comes back to the
/// page they were on (the path of the `Referer`, which our
/// `strict-origin-when-cross-origin` policy sends in full on our own
/// pages; only its path is used, so the redirect never leaves the site).
pub async fn switch_language(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: axum::http::HeaderMap,
    Form(f): Form<LanguageForm>,
) -> AppResult<Response> {
    let Ok(locale) = f.lang.parse::<Locale>() else {
        let t = crate::i18n::tr(cu.locale());
        return error_flash(&cu, t.err_invalid_locale, "/settings/profile").await;
    };
    users::set_user_locale(&st.db, cu.user.id, Some(locale), st.now()).await?;
    let referer_path = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_string()))
        .unwrap_or_default();
    let back = crate::pages::public::safe_next(&referer_path);
    let mut res = Redirect::to(back).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "af_lang={locale}; Path=/; Max-Age=31536000; SameSite=Lax"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
