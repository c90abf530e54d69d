//! Test fixtures of the bell: what [`seed`] adds to every tenant (a
//! notification for the tenant's member), and the routes that take a
//! notification's id, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};
use af_core::vocab::NotificationKind;
use af_db::notifications::{NewNotification, push};

/// Adds `notifications.notification_id` to `tenant.ids`.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let mut tx = app.db.begin().await.expect("tx");
    let n = NewNotification {
        workspace_id: t.ws.id,
        user_id: t.member_id,
        kind: NotificationKind::TaskAssigned,
        params: serde_json::json!({"title": "Llamar", "contact_id": t.contact_id, "contact_name": "Lucía Gómez"}),
        link: format!("/contacts/{}", t.contact_id),
    };
    let id = push(&mut tx, &n, app.now())
        .await
        .expect("push")
        .expect("a row");
    tx.commit().await.expect("commit");
    t.ids
        .insert("notifications.notification_id", id.to_string());
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let n = other
        .ids
        .get("notifications.notification_id")
        .cloned()
        .unwrap_or_default();
    vec![
        IdRoute {
            via: Via::Page,
            method: "POST",
            path: format!("/notifications/{n}/open"),
            form: vec![],
        },
        IdRoute {
            via: Via::Page,
            method: "POST",
            path: format!("/notifications/{n}/read"),
            form: vec![],
        },
    ]
}
