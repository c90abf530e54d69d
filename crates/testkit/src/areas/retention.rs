//! Test fixtures of the retention area: what [`seed`] adds to every tenant
//! (the "no attendance" alert of the tenant's contact, a member since now
//! who has not come: the check is run 15 days ahead; the seed rules exist
//! from provisioning), and the area's routes that take an id, for the
//! cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// Adds `retention.rule_id` and `retention.alert_id` to `tenant.ids`.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let actor = af_core::Actor::system();
    let later = af_db::Ts::new(app.now().0 + jiff::SignedDuration::from_hours(24 * 15));
    af_service::retention::check_now(&app.db, &t.ws, &actor, later)
        .await
        .expect("check");
    let rules = af_service::retention::list_rules(&app.db, t.ws.id, app.now())
        .await
        .expect("rules");
    let filter = af_db::retention::AlertFilter {
        contact: Some(t.contact_id),
        ..Default::default()
    };
    let alerts = af_db::retention::list_alerts(&app.db, t.ws.id, &filter, None, 10)
        .await
        .expect("alerts");
    t.ids.insert(
        "retention.rule_id",
        rules.first().map(|r| r.id.to_string()).unwrap_or_default(),
    );
    t.ids.insert(
        "retention.alert_id",
        alerts.first().map(|a| a.id.to_string()).unwrap_or_default(),
    );
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let id = |k: &str| other.ids.get(k).cloned().unwrap_or_default();
    let (rule, alert) = (id("retention.rule_id"), id("retention.alert_id"));
    let route = |via, method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via,
        method,
        path,
        form,
    };
    vec![
        route(
            Via::Api,
            "PATCH",
            format!("/api/v1/retention/rules/{rule}"),
            vec![("notify", "email".into())],
        ),
        route(
            Via::Api,
            "DELETE",
            format!("/api/v1/retention/rules/{rule}"),
            vec![],
        ),
        route(
            Via::Api,
            "GET",
            format!("/api/v1/retention/alerts/{alert}"),
            vec![],
        ),
        route(
            Via::Api,
            "PATCH",
            format!("/api/v1/retention/alerts/{alert}"),
            vec![("status", "dismissed".into())],
        ),
        route(
            Via::Page,
            "GET",
            format!("/contacts/retention/rules/{rule}"),
            vec![],
        ),
        route(
            Via::Page,
            "POST",
            format!("/contacts/retention/rules/{rule}"),
            vec![("type", "payment_failed".into()), ("risk", "1".into())],
        ),
        route(
            Via::Page,
            "POST",
            format!("/contacts/retention/rules/{rule}/delete"),
            vec![],
        ),
        route(
            Via::Page,
            "POST",
            format!("/contacts/retention/alerts/{alert}"),
            vec![("action", "dismiss".into())],
        ),
    ]
}
