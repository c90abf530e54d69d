//! The inbox's routes that take an id (a conversation is its contact's
//! id), filled with another tenant's ids, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// Adds `conversations.template_id` (an approved WhatsApp template).
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let mut tx = app.db.begin().await.expect("tx");
    let sid = format!("HX{}", uuid::Uuid::new_v4().simple());
    af_db::whatsapp_templates::insert(&mut tx, t.ws.id, "Seguimiento", &sid, "1", app.now())
        .await
        .expect("template");
    tx.commit().await.expect("commit");
    let id = af_db::whatsapp_templates::list(&app.db, t.ws.id)
        .await
        .expect("templates")
        .into_iter()
        .map(|t| t.id.to_string())
        .next()
        .unwrap_or_default();
    t.ids.insert("conversations.template_id", id);
}

pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let c = other.contact_id;
    let m = other.message_id;
    let tpl = other
        .ids
        .get("conversations.template_id")
        .cloned()
        .unwrap_or_default();
    let page = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    let api = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Api,
        method,
        path,
        form,
    };
    vec![
        page("GET", format!("/conversations/{c}"), vec![]),
        page("GET", format!("/conversations/{c}/thread"), vec![]),
        page(
            "POST",
            format!("/conversations/{c}/reply"),
            vec![("channel", "sms".into()), ("body", "hola".into())],
        ),
        page(
            "POST",
            format!("/conversations/{c}/assign"),
            vec![("assignee_id", String::new())],
        ),
        page(
            "POST",
            format!("/conversations/{c}/status"),
            vec![("status", "closed".into())],
        ),
        page(
            "POST",
            format!("/conversations/{c}/notes"),
            vec![("body", "nota".into())],
        ),
        page(
            "GET",
            format!("/conversations/{c}/messages/{m}/files/0"),
            vec![],
        ),
        api("GET", format!("/api/v1/conversations/{c}"), vec![]),
        api(
            "PATCH",
            format!("/api/v1/conversations/{c}"),
            vec![("status", "closed".into())],
        ),
        api("GET", format!("/api/v1/conversations/{c}/messages"), vec![]),
        api(
            "POST",
            format!("/api/v1/conversations/{c}/messages"),
            vec![("channel", "sms".into()), ("body", "hola".into())],
        ),
        api("POST", format!("/api/v1/conversations/{c}/read"), vec![]),
        page(
            "POST",
            format!("/settings/whatsapp-templates/{tpl}/delete"),
            vec![],
        ),
    ]
}
