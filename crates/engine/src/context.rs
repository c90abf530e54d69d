//! What merge fields see: the contact, the workspace, links, and the
//! trigger's data. Blank values are dropped so `default(...)` fills them.

use crate::EngineConfig;
use af_core::templating::without_blanks;
use af_db::contacts::Contact;
use af_db::workspaces::Workspace;

/// The signed one-click unsubscribe link of a contact: the same token in
/// the `{{ unsubscribe_url }}` merge field and the `List-Unsubscribe`
/// header (see `af_channels::unsubscribe`).
pub fn unsubscribe_url(cfg: &EngineConfig, contact: &Contact) -> String {
    let token = af_channels::unsubscribe::token(&cfg.secret, contact.workspace_id, contact.id);
    af_channels::unsubscribe::url(&cfg.base_url, &token)
}

/// The booking link merged as `{{ booking_url }}`: `BOOKING_URL` when set,
/// else the workspace's public booking page (its calendars).
pub fn booking_url(cfg: &EngineConfig, ws: &Workspace) -> String {
    cfg.booking_url
        .clone()
        .unwrap_or_else(|| af_core::booking::links::workspace_page_url(&cfg.base_url, &ws.slug))
}

/// The contact as merge fields and condition facts.
pub fn contact_json(c: &Contact) -> serde_json::Value {
    serde_json::json!({
        "id": c.id, "first_name": c.first_name, "last_name": c.last_name, "full_name": c.full_name(),
        "email": c.email, "phone": c.phone, "company": c.company, "source": c.source,
        "lifecycle": c.lifecycle, "score": c.score, "custom": c.custom_map(),
        "utm_source": c.last_utm_source, "utm_campaign": c.last_utm_campaign,
    })
}

/// The template context for one contact.
pub fn template_context(
    cfg: &EngineConfig,
    ws: &Workspace,
    c: &Contact,
    event: &serde_json::Value,
) -> serde_json::Value {
    without_blanks(serde_json::json!({
        "contact": contact_json(c),
        "workspace": { "name": ws.name, "slug": ws.slug },
        "booking_url": booking_url(cfg, ws),
        "unsubscribe_url": unsubscribe_url(cfg, c),
        "event": event,
    }))
}
