//! Test fixtures of the forms / intake area: what [`seed`] adds to every
//! tenant (a form on the default pipeline's first stage and an appointment
//! of its contact), and the area's routes that take an id, for the
//! cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// Adds `forms.form_id` and `forms.appointment_id` to `tenant.ids`.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let now = app.now();
    let actor = af_core::Actor::system();
    let mut tx = app.db.begin().await.expect("tx");
    let form = af_db::forms::insert_form(
        &mut tx,
        t.ws.id,
        &af_db::forms::FormInput {
            name: "Contacto".into(),
            fields: serde_json::json!([
                {"name": "name", "type": "text", "label": "Nombre", "required": true},
                {"name": "email", "type": "email", "label": "Correo", "required": true}
            ]),
            styling: serde_json::json!({}),
            success_message: None,
            redirect_url: None,
            pipeline_id: None,
            stage_id: Some(t.stage_id),
            tags: vec![],
            consent_text: None,
            active: true,
        },
        &actor,
        now,
    )
    .await
    .expect("form");
    let appt = af_db::appointments::insert_appointment(
        &mut tx,
        t.ws.id,
        &af_db::appointments::AppointmentInput {
            contact_id: t.contact_id,
            deal_id: None,
            // Neither language's word: the one-language test reads the pages
            // that show it (agenda, contact).
            title: "Demo Zoom".into(),
            starts_at: Some(now),
            ends_at: Some(now),
            time_zone: None,
            organizer_time_zone: None,
            status: "booked",
            source: "calcom",
            external_uid: Some(format!("seed-{}", t.ws.slug)),
            metadata: serde_json::json!({}),
        },
        now,
    )
    .await
    .expect("appointment");
    tx.commit().await.expect("commit");
    t.ids.insert("forms.form_id", form.id.to_string());
    t.ids.insert("forms.appointment_id", appt.id.to_string());
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let f = other.ids.get("forms.form_id").cloned().unwrap_or_default();
    let a = other
        .ids
        .get("forms.appointment_id")
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
        page("GET", format!("/forms/{f}"), vec![]),
        page(
            "POST",
            format!("/forms/{f}"),
            vec![("name", "Hacked".into()), ("fields_json", "[]".into())],
        ),
        page("POST", format!("/forms/{f}/delete"), vec![]),
        page("GET", format!("/forms/{f}/submissions"), vec![]),
        api("GET", format!("/api/v1/forms/{f}"), vec![]),
        api(
            "PUT",
            format!("/api/v1/forms/{f}"),
            vec![("name", "Hacked".into())],
        ),
        api("DELETE", format!("/api/v1/forms/{f}"), vec![]),
        api("GET", format!("/api/v1/forms/{f}/submissions"), vec![]),
        api("GET", format!("/api/v1/appointments/{a}"), vec![]),
    ]
}
