//! Test fixtures of the channels area: every tenant gets an outbound
//! webhook endpoint with one delivery, and the area's id routes for the
//! cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// `tenant.ids` key of the tenant's webhook endpoint.
pub const WEBHOOK: &str = "channels.webhook";
/// `tenant.ids` key of the endpoint's delivery.
pub const DELIVERY: &str = "channels.delivery";

/// Adds an endpoint (a public URL subscribed to an event nothing writes, so
/// no test ever calls it) and one delivery.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let now = app.now();
    let mut tx = app.db.begin().await.expect("begin");
    let sealed = app.state.secret.seal("whsec_c2VjcmV0");
    let id = af_db::webhooks::insert_endpoint(
        &mut tx,
        t.ws.id,
        "https://hooks.example.com/af",
        &sealed,
        &["testkit.never".to_string()],
        now,
    )
    .await
    .expect("endpoint");
    let d = af_db::webhooks::insert_delivery(&mut tx, t.ws.id, id, "testkit.never", "{}", now)
        .await
        .expect("delivery");
    tx.commit().await.expect("commit");
    t.ids.insert(WEBHOOK, id.to_string());
    t.ids.insert(DELIVERY, d.to_string());
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let api = |method: &'static str, path: String| IdRoute {
        via: Via::Api,
        method,
        path,
        form: vec![],
    };
    let page = |method: &'static str, path: String| IdRoute {
        via: Via::Page,
        method,
        path,
        form: vec![],
    };
    let mut routes = vec![];
    if let Some(w) = other.ids.get(WEBHOOK) {
        routes.push(api("GET", format!("/api/v1/webhooks/{w}")));
        routes.push(api("POST", format!("/api/v1/webhooks/{w}/enable")));
        routes.push(api("DELETE", format!("/api/v1/webhooks/{w}")));
        routes.push(api("GET", format!("/api/v1/webhooks/{w}/deliveries")));
        routes.push(page("GET", format!("/settings/webhooks/{w}")));
        routes.push(page("POST", format!("/settings/webhooks/{w}/enable")));
        routes.push(page("POST", format!("/settings/webhooks/{w}/delete")));
        if let Some(d) = other.ids.get(DELIVERY) {
            routes.push(api(
                "POST",
                format!("/api/v1/webhooks/{w}/deliveries/{d}/replay"),
            ));
            routes.push(page(
                "POST",
                format!("/settings/webhooks/{w}/deliveries/{d}/replay"),
            ));
        }
    }
    routes
}
