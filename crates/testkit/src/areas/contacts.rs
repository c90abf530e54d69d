//! Test fixtures of the contacts area: what [`seed`] adds to every tenant (a
//! note and a task on its contact, a saved filter and a custom field), and
//! the area's routes that take an id, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// Adds this area's records to a tenant (ids go into `tenant.ids`):
/// `note_id`, `task_id`, `saved_filter_id`, `field_id`.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let now = app.now();
    let actor = af_core::Actor::system();
    let owner = af_db::users::find_user_by_email(&app.db, &t.owner_email)
        .await
        .expect("owner lookup")
        .expect("owner exists");
    let mut tx = app.db.begin().await.expect("tx");
    let note = af_db::notes::insert_note(
        &mut tx,
        t.ws.id,
        t.contact_id,
        Some(owner.id),
        "Pidió cotización",
        &actor,
        now,
    )
    .await
    .expect("note");
    let task = af_db::tasks::insert_task(
        &mut tx,
        t.ws.id,
        &af_db::tasks::NewTask {
            contact_id: t.contact_id,
            title: "Llamar".into(),
            due_at: None,
            assignee_id: Some(owner.id),
        },
        Some(owner.id),
        &actor,
        now,
    )
    .await
    .expect("task");
    let filter = af_db::saved_filters::insert_saved_filter(
        &mut tx, t.ws.id, owner.id, "VIP", "tag=vip", now,
    )
    .await
    .expect("saved filter");
    let field = af_db::custom_fields::insert_field(
        &mut tx,
        t.ws.id,
        "budget",
        "Presupuesto",
        "number",
        &[],
        now,
    )
    .await
    .expect("field");
    tx.commit().await.expect("commit");
    t.ids.insert("note_id", note.to_string());
    t.ids.insert("task_id", task.to_string());
    t.ids.insert("saved_filter_id", filter.to_string());
    t.ids.insert("field_id", field.to_string());
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let id = |k: &str| other.ids.get(k).cloned().unwrap_or_default();
    let page = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    let c = other.contact_id;
    vec![
        page("GET", format!("/contacts/{c}"), vec![]),
        page("GET", format!("/contacts/{c}/fields/company"), vec![]),
        page("GET", format!("/contacts/{c}/fields/company/edit"), vec![]),
        page(
            "POST",
            format!("/contacts/{c}/fields/company"),
            vec![("value", "Hacked".into())],
        ),
        page(
            "POST",
            format!("/contacts/{c}/tags"),
            vec![("name", "hacked".into())],
        ),
        page(
            "POST",
            format!("/contacts/{c}/tags/remove"),
            vec![("name", "vip".into())],
        ),
        page(
            "POST",
            format!("/contacts/{c}/notes"),
            vec![("body", "hacked".into())],
        ),
        page(
            "POST",
            format!("/contacts/{c}/tasks"),
            vec![("title", "hacked".into())],
        ),
        page("POST", format!("/tasks/{}/complete", id("task_id")), vec![]),
        page(
            "POST",
            format!("/contacts/filters/{}/delete", id("saved_filter_id")),
            vec![],
        ),
        page(
            "POST",
            format!("/contacts/fields/{}/delete", id("field_id")),
            vec![],
        ),
        page(
            "POST",
            "/contacts/bulk".into(),
            vec![
                ("ids", c.to_string()),
                ("action", "add_tag".into()),
                ("tag", "hacked".into()),
            ],
        ),
        page(
            "POST",
            "/contacts/bulk".into(),
            vec![("ids", c.to_string()), ("action", "delete".into())],
        ),
        page(
            "POST",
            "/contacts/bulk".into(),
            vec![
                ("ids", other.contact_id.to_string()),
                ("action", "move_stage".into()),
                ("stage_id", other.stage_id.to_string()),
            ],
        ),
    ]
}
