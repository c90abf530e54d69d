//! Test fixtures of the automations area: what [`seed`] adds to every
//! tenant (a paused workflow with one wait step, a finished enrolment of the
//! tenant's contact, an open alert on it and a message template), and the
//! area's routes that take an id, for the cross-workspace 404 test.
//!
//! Nothing here enqueues a job, so other areas' job counts stay as they were.

use crate::{IdRoute, Tenant, TestApp, Via};
use af_db::automations::{self as store, NewEnrollment};

/// `tenant.ids` key of the seeded workflow.
pub const WORKFLOW: &str = "automations.workflow";
/// `tenant.ids` key of the seeded enrolment.
pub const ENROLLMENT: &str = "automations.enrollment";
/// `tenant.ids` key of the seeded open alert.
pub const ALERT: &str = "automations.alert";
/// `tenant.ids` key of the seeded message template.
pub const TEMPLATE: &str = "automations.template";
/// The seeded workflow's name and its step's id.
pub const WORKFLOW_NAME: &str = "Seguimiento semilla";
pub const STEP_ID: &str = "seed_wait";

pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let now = app.now();
    let def = serde_json::json!({
        "name": WORKFLOW_NAME, "trigger": {"type": "lead_created"}, "active": false,
        "steps": [{"id": STEP_ID, "type": "wait", "days": 1}],
    });
    let saved = af_engine::ops::save_workflow(
        &app.db,
        t.ws.id,
        None,
        &def,
        None,
        app.state.config.channels.ssrf(),
        now,
    )
    .await
    .expect("seed workflow");
    let mut tx = app.db.begin().await.expect("tx");
    // No first step: the enrolment is already completed and enqueues nothing.
    let enrollment = store::insert_enrollment(
        &mut tx,
        &NewEnrollment {
            workspace: t.ws.id,
            workflow: saved.id,
            version: saved.version,
            contact: t.contact_id,
            first_step: None,
            trigger_event: None,
            context: &serde_json::json!({"event": {}}),
            test_mode: true,
            run_at: now,
        },
        now,
    )
    .await
    .expect("seed enrolment")
    .expect("enrolled");
    let alert = store::insert_alert(
        &mut tx,
        t.ws.id,
        Some(saved.id),
        Some(enrollment),
        "failed",
        "seed alert",
        now,
    )
    .await
    .expect("seed alert");
    let template = store::insert_template(
        &mut tx,
        t.ws.id,
        "Bienvenida",
        "email",
        Some("Hola {{ contact.first_name }}"),
        "Hola {{ contact.first_name | default('amigo') }}, bienvenido a {{ workspace.name }}.",
        now,
    )
    .await
    .expect("seed template");
    tx.commit().await.expect("commit");
    t.ids.insert(WORKFLOW, saved.id.to_string());
    t.ids.insert(ENROLLMENT, enrollment.to_string());
    t.ids.insert(ALERT, alert.to_string());
    t.ids.insert(TEMPLATE, template.to_string());
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let route = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    let mut routes = vec![];
    if let Some(w) = other.ids.get(WORKFLOW) {
        let s = STEP_ID;
        for path in [
            format!("/automations/{w}"),
            format!("/automations/{w}/log"),
            format!("/automations/{w}/trigger-fields?trigger_type=tag_added"),
            format!("/automations/{w}/steps/new?step_type=add_tag"),
            format!("/automations/{w}/steps/{s}/edit"),
            format!("/automations/{w}/test/contacts?q=a"),
        ] {
            routes.push(route("GET", path, vec![]));
        }
        routes.push(route(
            "POST",
            format!("/automations/{w}/settings"),
            vec![
                ("name", "x".into()),
                ("trigger_type", "lead_created".into()),
            ],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/json"),
            vec![("definition", "{}".into())],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/active"),
            vec![("active", "true".into())],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/steps"),
            vec![("step_type", "add_tag".into()), ("tag", "x".into())],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/steps/{s}"),
            vec![("days", "2".into())],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/steps/{s}/move"),
            vec![("dir", "up".into())],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/steps/reorder"),
            vec![("order", s.into())],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/steps/{s}/delete"),
            vec![],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/test"),
            vec![("contact_id", other.contact_id.to_string())],
        ));
        routes.push(route(
            "POST",
            format!("/automations/{w}/retry-failed"),
            vec![],
        ));
        routes.push(route("POST", format!("/automations/{w}/delete"), vec![]));
    }
    if let Some(e) = other.ids.get(ENROLLMENT) {
        routes.push(route(
            "GET",
            format!("/automations/enrollments/{e}"),
            vec![],
        ));
        for action in ["skip-wait", "retry", "exit"] {
            routes.push(route(
                "POST",
                format!("/automations/enrollments/{e}/{action}"),
                vec![],
            ));
        }
    }
    if let Some(a) = other.ids.get(ALERT) {
        routes.push(route(
            "POST",
            format!("/automations/alerts/{a}/resolve"),
            vec![],
        ));
    }
    if let Some(tp) = other.ids.get(TEMPLATE) {
        routes.push(route(
            "GET",
            format!(
                "/automations/templates/{tp}/preview?contact_id={}",
                other.contact_id
            ),
            vec![],
        ));
        routes.push(route(
            "POST",
            format!("/automations/templates/{tp}/delete"),
            vec![],
        ));
    }
    routes
}
