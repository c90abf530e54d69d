//! Creating workspaces, users and API keys outside the web UI, and the
//! reset and invitation links: the CLI, the demo, the pages that send those
//! links and tests all go through here, so the rules (validation, audit)
//! are the same everywhere.

use crate::passwords::{PasswordError, hash_password};
use af_core::{Actor, ApiKeyId, Locale, Role, crypto, validate};
use af_db::api_keys::{self, KeyScope};
use af_db::audit::{NewAudit, insert_audit};
use af_db::workspaces::{self, NewWorkspace, Workspace};
use af_db::{Db, DbError, Ts, users};

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// A value was refused; `field` names it (`slug`, `name`, `time_zone`,
    /// `locale`, `country`, `email`, `password`) so each front end can say
    /// where (the CLI as its flag).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("a workspace with slug {0:?} already exists")]
    SlugTaken(String),
    #[error("no workspace with slug {0:?} (see `agencyflow workspace list`)")]
    NoSuchWorkspace(String),
    #[error("no user with email {0:?}")]
    NoSuchUser(String),
    #[error("{0:?} is not an API key id")]
    BadApiKeyId(String),
    #[error("no active API key {id} in workspace {slug:?}")]
    NoSuchApiKey { id: ApiKeyId, slug: String },
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A `validate::*` result with the field it is about.
fn field<T>(field: &'static str, r: Result<T, String>) -> Result<T, ProvisionError> {
    r.map_err(|message| ProvisionError::Invalid { field, message })
}

/// Records an action the system did (CLI, demo) in the workspace's audit log.
async fn audit_system(
    tx: &mut af_db::Tx,
    ws: af_core::WorkspaceId,
    action: &str,
    target: (&str, String),
    details: serde_json::Value,
    now: Ts,
) -> af_db::DbResult<()> {
    let actor = Actor::system();
    let entry = NewAudit {
        workspace: Some(ws),
        actor: &actor,
        action,
        target_type: Some(target.0),
        target_id: Some(target.1),
        result: "ok",
        details,
        ip: None,
    };
    insert_audit(tx, &entry, now).await
}

/// Creates a workspace. Defaults: Spanish, Mexico City, MX.
pub async fn create_workspace(
    db: &Db,
    slug: &str,
    name: &str,
    time_zone: Option<&str>,
    locale: Option<&str>,
    country: Option<&str>,
    now: Ts,
) -> Result<Workspace, ProvisionError> {
    let new = NewWorkspace {
        slug: field("slug", validate::slug(slug))?,
        name: field("name", validate::name(name, 120))?,
        time_zone: field(
            "time_zone",
            validate::time_zone(time_zone.unwrap_or("America/Mexico_City")),
        )?,
        locale: field(
            "locale",
            locale
                .unwrap_or("es")
                .parse::<Locale>()
                .map_err(|e| e.to_string()),
        )?,
        country: field("country", validate::country(country.unwrap_or("MX")))?,
    };
    let mut tx = db.begin().await?;
    let ws = match workspaces::insert_workspace(&mut tx, &new, now).await {
        Ok(ws) => ws,
        Err(e) if e.is_unique_on("workspaces", "slug") => {
            return Err(ProvisionError::SlugTaken(new.slug));
        }
        Err(e) => return Err(e.into()),
    };
    // The seed's scoring rules and the "Hot Lead" threshold (issue 17).
    af_db::scoring::seed_defaults(&mut tx, ws.id, now).await?;
    // The seed's retention rules (issue 18): no attendance 14 → 70 days
    // escalating to 90 at 30, membership expiring in 7 days → 50, payment
    // failed → 80.
    af_db::retention::ensure_setup(&mut tx, ws.id, now).await?;
    // The bell hears tasks, hot leads and bookings (issue 18).
    af_db::notifications::listen(&mut tx, ws.id).await?;
    audit_system(
        &mut tx,
        ws.id,
        "workspace.created",
        ("workspace", ws.id.to_string()),
        serde_json::json!({ "slug": ws.slug }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(ws)
}

/// Looks a workspace up by slug, with an error naming it when missing.
pub async fn workspace_by_slug(db: &Db, slug: &str) -> Result<Workspace, ProvisionError> {
    workspaces::find_workspace_by_slug(db, slug)
        .await?
        .ok_or_else(|| ProvisionError::NoSuchWorkspace(slug.to_string()))
}

/// What [`add_user`] did.
pub struct AddedUser {
    pub user: users::User,
    /// False when the email already had an account (it was only given the role).
    pub created: bool,
}

/// Creates the user (or finds the existing account with that email) and
/// gives them `role` in the workspace. An existing account keeps its password.
pub async fn add_user(
    db: &Db,
    ws: &Workspace,
    email: &str,
    name: Option<&str>,
    password: &str,
    role: Role,
    now: Ts,
) -> Result<AddedUser, ProvisionError> {
    let email = field("email", validate::email(email))?;
    let existing = users::find_user_by_email(db, &email).await?;
    let mut tx = db.begin().await?;
    let (user, created) = match existing {
        Some(u) => (u, false),
        None => {
            field("password", validate::new_password(password))?;
            let default_name = email.split('@').next().unwrap_or("").to_string();
            let name = field("name", validate::name(name.unwrap_or(&default_name), 120))?;
            let hash = hash_password(password.to_string()).await?;
            (
                users::insert_user(&mut tx, &email, &name, &hash, now).await?,
                true,
            )
        }
    };
    workspaces::upsert_membership(&mut tx, ws.id, user.id, role, now).await?;
    audit_system(
        &mut tx,
        ws.id,
        "member.added",
        ("user", user.id.to_string()),
        serde_json::json!({ "email": user.email, "role": role.as_str(), "created": created }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(AddedUser { user, created })
}

/// Sets a user's password (CLI recovery) and ends their sessions.
pub async fn set_password(
    db: &Db,
    email: &str,
    password: &str,
    now: Ts,
) -> Result<(), ProvisionError> {
    field("password", validate::new_password(password))?;
    let user = users::find_user_by_email(db, email)
        .await?
        .ok_or_else(|| ProvisionError::NoSuchUser(email.to_string()))?;
    let hash = hash_password(password.to_string()).await?;
    let mut tx = db.begin().await?;
    users::update_password(&mut tx, user.id, &hash, now).await?;
    tx.commit().await?;
    af_db::sessions::delete_sessions_of_user(db, user.id).await?;
    Ok(())
}

/// A key as created: the secret is only here.
pub struct CreatedKey {
    pub id: ApiKeyId,
    pub key: String,
    pub prefix: String,
}

pub async fn create_api_key(
    db: &Db,
    ws: &Workspace,
    name: &str,
    now: Ts,
) -> Result<CreatedKey, ProvisionError> {
    create_scoped_api_key(db, ws, name, KeyScope::Full, now).await
}

/// Creates a key of `scope`: `Full` for the API, `Intake` for a key that may
/// only create leads (safe to place in a landing page).
pub async fn create_scoped_api_key(
    db: &Db,
    ws: &Workspace,
    name: &str,
    scope: KeyScope,
    now: Ts,
) -> Result<CreatedKey, ProvisionError> {
    let name = field("name", validate::name(name, 80))?;
    let key = crypto::new_api_key();
    let mut tx = db.begin().await?;
    let id = api_keys::insert_api_key(
        &mut tx,
        ws.id,
        &name,
        &key.prefix,
        &key.hash,
        scope,
        None,
        now,
    )
    .await?;
    audit_system(
        &mut tx,
        ws.id,
        "api_key.created",
        ("api_key", id.to_string()),
        serde_json::json!({ "name": name, "prefix": key.prefix, "scope": scope.as_str() }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedKey {
        id,
        key: key.key,
        prefix: key.prefix,
    })
}

pub async fn revoke_api_key(
    db: &Db,
    ws: &Workspace,
    id: &str,
    now: Ts,
) -> Result<(), ProvisionError> {
    let id: ApiKeyId = id
        .parse()
        .map_err(|_| ProvisionError::BadApiKeyId(id.to_string()))?;
    let mut tx = db.begin().await?;
    if !api_keys::revoke_api_key(&mut tx, ws.id, id, now).await? {
        return Err(ProvisionError::NoSuchApiKey {
            id,
            slug: ws.slug.clone(),
        });
    }
    audit_system(
        &mut tx,
        ws.id,
        "api_key.revoked",
        ("api_key", id.to_string()),
        serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How long a password-reset link works.
pub const RESET_LINK_HOURS: i64 = 1;
/// How long an invitation link works.
pub const INVITE_LINK_DAYS: i64 = 7;

/// Issues a password-reset token for `user` and answers its link. Only the
/// token's hash is stored, and any earlier open link of the user stops
/// working. The caller delivers the link (system mail, operator).
pub async fn issue_reset_link(
    tx: &mut af_db::Tx,
    user: af_core::UserId,
    base_url: &str,
    now: Ts,
) -> af_db::DbResult<String> {
    let token = crypto::random_token(32);
    let expires = Ts::new(now.0 + jiff::SignedDuration::from_hours(RESET_LINK_HOURS));
    af_db::auth_tokens::insert_password_reset(tx, user, &crypto::sha256_hex(&token), now, expires)
        .await?;
    Ok(format!("{base_url}/password/reset/{token}"))
}

/// Issues an invitation to `email` with `role` and answers its id and link;
/// a pending invitation of the same person to the workspace is replaced.
pub async fn issue_invitation(
    tx: &mut af_db::Tx,
    ws: af_core::WorkspaceId,
    email: &str,
    role: Role,
    invited_by: Option<af_core::UserId>,
    base_url: &str,
    now: Ts,
) -> af_db::DbResult<(af_core::InvitationId, String)> {
    let token = crypto::random_token(32);
    let expires = Ts::new(now.0 + jiff::SignedDuration::from_hours(24 * INVITE_LINK_DAYS));
    let id = af_db::auth_tokens::insert_invitation(
        tx,
        ws,
        email,
        role,
        &crypto::sha256_hex(&token),
        invited_by,
        now,
        expires,
    )
    .await?;
    Ok((id, format!("{base_url}/invite/{token}")))
}

/// The operator's way to a reset link when no email provider is configured
/// (`agencyflow user reset-link`): a fresh link for the account.
pub async fn reset_link_for(
    db: &Db,
    email: &str,
    base_url: &str,
    now: Ts,
) -> Result<String, ProvisionError> {
    let user = users::find_user_by_email(db, email)
        .await?
        .ok_or_else(|| ProvisionError::NoSuchUser(email.to_string()))?;
    let mut tx = db.begin().await?;
    let link = issue_reset_link(&mut tx, user.id, base_url, now).await?;
    let actor = Actor::system();
    let entry = NewAudit {
        workspace: None,
        actor: &actor,
        action: "auth.password_reset_requested",
        target_type: Some("user"),
        target_id: Some(user.id.to_string()),
        result: "ok",
        details: serde_json::json!({ "by": "cli" }),
        ip: None,
    };
    insert_audit(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(link)
}

/// The operator's way to an invitation link (`agencyflow invite link`): a
/// new invitation (replacing a pending one for the same email).
pub async fn invitation_link_for(
    db: &Db,
    ws: &Workspace,
    email: &str,
    role: Role,
    base_url: &str,
    now: Ts,
) -> Result<String, ProvisionError> {
    let email = field("email", validate::email(email))?;
    let mut tx = db.begin().await?;
    let (id, link) = issue_invitation(&mut tx, ws.id, &email, role, None, base_url, now).await?;
    audit_system(
        &mut tx,
        ws.id,
        "member.invited",
        ("invitation", id.to_string()),
        serde_json::json!({ "email": email, "role": role.as_str(), "by": "cli" }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(link)
}
