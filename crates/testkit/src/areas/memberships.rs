//! Test fixtures of the memberships area: what [`seed`] adds to every
//! tenant (a membership of the tenant's contact), and the area's routes
//! that take an id, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// Adds `memberships.membership_id` to `tenant.ids`.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let req: af_service::memberships::MembershipRequest = serde_json::from_value(
        serde_json::json!({"contact_id": t.contact_id.to_string(), "plan": "Mensual",
            "status": "active", "amount": 45000, "currency": "MXN"}),
    )
    .expect("membership request");
    let saved =
        af_service::memberships::save(&app.db, &t.ws, &req, &af_core::Actor::system(), app.now())
            .await
            .expect("membership");
    t.ids
        .insert("memberships.membership_id", saved.membership.id.to_string());
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let m = other
        .ids
        .get("memberships.membership_id")
        .cloned()
        .unwrap_or_default();
    let c = other.contact_id;
    vec![
        IdRoute {
            via: Via::Api,
            method: "GET",
            path: format!("/api/v1/memberships/{m}"),
            form: vec![],
        },
        IdRoute {
            via: Via::Api,
            method: "PATCH",
            path: format!("/api/v1/memberships/{m}"),
            form: vec![("status", "cancelled".into())],
        },
        IdRoute {
            via: Via::Page,
            method: "POST",
            path: format!("/contacts/{c}/memberships"),
            form: vec![("plan", "Hacked".into())],
        },
        IdRoute {
            via: Via::Page,
            method: "POST",
            path: format!("/contacts/{c}/memberships/{m}"),
            form: vec![("action", "cancel".into())],
        },
    ]
}
