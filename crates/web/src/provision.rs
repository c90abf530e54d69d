//! Creating workspaces, users and API keys outside the web UI: the CLI, the
//! demo and tests all go through here, so the rules (validation, audit) are
//! the same as in the UI.

use crate::auth::hash_password;
use af_core::{Actor, ApiKeyId, Locale, Role, crypto, validate};
use af_db::api_keys::{self, KeyScope};
use af_db::audit::{NewAudit, insert_audit};
use af_db::workspaces::{self, NewWorkspace, Workspace};
use af_db::{Db, Ts, users};
use anyhow::{Context, bail};

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
) -> anyhow::Result<Workspace> {
    let new = NewWorkspace {
        slug: validate::slug(slug)
            .map_err(anyhow::Error::msg)
            .context("--slug")?,
        name: validate::name(name, 120)
            .map_err(anyhow::Error::msg)
            .context("--name")?,
        time_zone: validate::time_zone(time_zone.unwrap_or("America/Mexico_City"))
            .map_err(anyhow::Error::msg)
            .context("--time-zone")?,
        locale: locale
            .unwrap_or("es")
            .parse::<Locale>()
            .map_err(anyhow::Error::msg)
            .context("--locale")?,
        country: validate::country(country.unwrap_or("MX"))
            .map_err(anyhow::Error::msg)
            .context("--country")?,
    };
    let mut tx = db.begin().await?;
    let ws = match workspaces::insert_workspace(&mut tx, &new, now).await {
        Ok(ws) => ws,
        Err(e) if e.is_unique_on("workspaces", "slug") => {
            bail!("a workspace with slug {:?} already exists", new.slug)
        }
        Err(e) => return Err(e.into()),
    };
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
pub async fn workspace_by_slug(db: &Db, slug: &str) -> anyhow::Result<Workspace> {
    workspaces::find_workspace_by_slug(db, slug)
        .await?
        .with_context(|| {
            format!("no workspace with slug {slug:?} (see `agencyflow workspace list`)")
        })
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
) -> anyhow::Result<AddedUser> {
    let email = validate::email(email)
        .map_err(anyhow::Error::msg)
        .context("--email")?;
    let existing = users::find_user_by_email(db, &email).await?;
    let mut tx = db.begin().await?;
    let (user, created) = match existing {
        Some(u) => (u, false),
        None => {
            validate::new_password(password)
                .map_err(anyhow::Error::msg)
                .context("--password")?;
            let default_name = email.split('@').next().unwrap_or("").to_string();
            let name = validate::name(name.unwrap_or(&default_name), 120)
                .map_err(anyhow::Error::msg)
                .context("--name")?;
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
pub async fn set_password(db: &Db, email: &str, password: &str, now: Ts) -> anyhow::Result<()> {
    validate::new_password(password)
        .map_err(anyhow::Error::msg)
        .context("--password")?;
    let user = users::find_user_by_email(db, email)
        .await?
        .with_context(|| format!("no user with email {email:?}"))?;
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
) -> anyhow::Result<CreatedKey> {
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
) -> anyhow::Result<CreatedKey> {
    let name = validate::name(name, 80)
        .map_err(anyhow::Error::msg)
        .context("--name")?;
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

pub async fn revoke_api_key(db: &Db, ws: &Workspace, id: &str, now: Ts) -> anyhow::Result<()> {
    let id: ApiKeyId = id
        .parse()
        .map_err(|_| anyhow::anyhow!("{id:?} is not an API key id"))?;
    let mut tx = db.begin().await?;
    if !api_keys::revoke_api_key(&mut tx, ws.id, id, now).await? {
        bail!("no active API key {id} in workspace {:?}", ws.slug);
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
#[allow(clippy::too_many_arguments)]
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
) -> anyhow::Result<String> {
    let user = users::find_user_by_email(db, email)
        .await?
        .with_context(|| format!("no user with email {email:?}"))?;
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
) -> anyhow::Result<String> {
    let email = validate::email(email)
        .map_err(anyhow::Error::msg)
        .context("--email")?;
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
