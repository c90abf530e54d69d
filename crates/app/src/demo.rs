//! `serve --demo`: a workspace to try the product in, created on first start.

use af_core::Role;
use af_db::{Db, Ts};
use af_web::provision;

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_EMAIL: &str = "demo@agencyflow.local";

/// Creates the demo workspace and owner if missing; returns the password
/// when it was just created (it is shown once, like any secret).
pub async fn ensure_demo(db: &Db, now: Ts) -> anyhow::Result<Option<String>> {
    if af_db::workspaces::find_workspace_by_slug(db, DEMO_SLUG)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let ws =
        provision::create_workspace(db, DEMO_SLUG, "Agencia Demo", None, None, None, now).await?;
    let password = af_core::crypto::random_token(12);
    provision::add_user(
        db,
        &ws,
        DEMO_EMAIL,
        Some("Demo"),
        &password,
        Role::Owner,
        now,
    )
    .await?;
    Ok(Some(password))
}
