//! The automations pages on the backend chosen by `AF_TEST_BACKEND`: the
//! list, installing a shipped template, the builder's htmx form posts (add,
//! edit, move, delete steps; settings; JSON), 422 with nothing saved,
//! test mode with skip wait, bulk retry of failed enrolments, message
//! templates with preview, the outbox filters, roles, and escaping.

use af_core::{Actor, ContactId, WorkflowId};
use af_db::automations as store;
use af_engine::ops;
use af_testkit::areas::automations::{ENROLLMENT, STEP_ID, TEMPLATE, WORKFLOW, WORKFLOW_NAME};
use af_testkit::{Browser, PASSWORD, Page, Tenant, TwoTenants, csrf_from, two_workspaces};
use serde_json::{Value, json};

fn id(t: &Tenant, key: &str) -> String {
    t.ids.get(key).cloned().expect("seeded id")
}

/// Posts a form as htmx does: the token in `X-CSRF-Token`, `HX-Request` set.
async fn hx_post(b: &Browser, base: &str, token: &str, path: &str, form: &[(&str, &str)]) -> Page {
    let res = b
        .client
        .post(format!("{base}{path}"))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .form(form)
        .send()
        .await
        .expect("POST");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page {
        status,
        location: None,
        headers,
        body: res.text().await.expect("body"),
    }
}

async fn signed_in(t: &TwoTenants, email: &str) -> (Browser, String) {
    let b = t.app.browser();
    b.login(email, PASSWORD).await;
    let page = b.get("/automations").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = csrf_from(&page.body).expect("csrf token");
    (b, token)
}

async fn definition(t: &TwoTenants, ws: af_core::WorkspaceId, wf: &str) -> (i32, Value) {
    let w = store::find_workflow(&t.app.db, ws, wf.parse().expect("id"))
        .await
        .expect("find")
        .expect("exists");
    (
        w.current_version,
        serde_json::from_str(&w.definition).expect("json"),
    )
}

async fn contact(t: &TwoTenants, first: &str, email: &str) -> ContactId {
    let now = t.app.now();
    let mut tx = t.app.db.begin().await.expect("tx");
    let c = af_db::contacts::upsert_contact(
        &mut tx,
        t.a.ws.id,
        &af_db::contacts::ContactInput {
            first_name: first.into(),
            last_name: "Prueba".into(),
            email: Some(email.into()),
            ..Default::default()
        },
        &Actor::system(),
        now,
    )
    .await
    .expect("contact")
    .contact;
    tx.commit().await.expect("commit");
    c.id
}

#[tokio::test]
async fn the_list_shows_workflows_counts_alerts_and_templates_of_the_workspace() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    let page = b.get("/automations").await;
    let wf = id(&t.a, WORKFLOW);
    assert!(page.contains(&format!("data-workflow=\"{wf}\"")));
    assert!(page.contains(WORKFLOW_NAME));
    assert!(
        !page.contains(&id(&t.b, WORKFLOW)),
        "B's workflow is not listed"
    );
    assert!(
        page.contains("data-testid=\"completed\">1<"),
        "one completed"
    );
    assert!(page.contains("data-testid=\"alerts\""));
    assert!(page.contains("seed alert"));
    assert!(page.contains(&format!(
        "/automations/enrollments/{}",
        id(&t.a, ENROLLMENT)
    )));
    for tpl in af_engine::library::TEMPLATES {
        assert!(page.contains(&format!("data-testid=\"install-{}\"", tpl.key)));
    }
    assert!(!page.contains("data-testid=\"not-built\""));

    // Resolve the alert; pause / activate.
    let alert =
        t.a.ids
            .get(af_testkit::areas::automations::ALERT)
            .expect("alert");
    let res = b
        .post(&format!("/automations/alerts/{alert}/resolve"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert!(!b.get("/automations").await.contains("seed alert"));
    let res = b
        .post(&format!("/automations/{wf}/active"), &[("active", "true")])
        .await;
    assert_eq!(res.status, 303);
    let w = store::find_workflow(&t.app.db, t.a.ws.id, wf.parse().expect("id"))
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(w.status, "active");
}

#[tokio::test]
async fn installing_a_template_takes_one_click_and_opens_the_builder() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    let res = b
        .post("/automations/install", &[("key", "welcome_sequence")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.location.expect("location");
    assert!(to.starts_with("/automations/"), "{to}");
    let page = b.get(&to).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("Bienvenida nuevos leads"));
    for s in ["s1", "s2", "s3", "s4", "s5"] {
        assert!(page.contains(&format!("data-step=\"{s}\"")), "{s}");
    }
    assert!(page.contains("Plantilla instalada"));
    let list = b.get("/automations").await;
    assert!(list.contains("Bienvenida nuevos leads"));
    // An unknown template is a 404.
    let res = b.post("/automations/install", &[("key", "nope")]).await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn a_template_installs_paused_and_installing_it_again_asks_first() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    let count = |key: &'static str| {
        let db = t.app.db.clone();
        let ws = t.a.ws.id;
        async move {
            store::list_workflows(&db, ws)
                .await
                .expect("list")
                .into_iter()
                .filter(|w| w.template_key.as_deref() == Some(key))
                .collect::<Vec<_>>()
        }
    };
    let res = b
        .post("/automations/install", &[("key", "welcome_sequence")])
        .await;
    assert_eq!(res.status, 303);
    let installed = count("welcome_sequence").await;
    assert_eq!(installed.len(), 1);
    assert_eq!(
        installed[0].status, "paused",
        "nothing is sent before review"
    );
    let list = b.get("/automations").await;
    assert!(list.contains("data-testid=\"installed-welcome_sequence\""));
    assert!(list.contains("Instalada ✓"));
    assert!(list.contains("data-testid=\"again-welcome_sequence\""));

    // A second click without the confirmation installs nothing.
    let res = b
        .post("/automations/install", &[("key", "welcome_sequence")])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/automations"));
    assert!(b.get("/automations").await.contains("ya está instalada"));
    assert_eq!(count("welcome_sequence").await.len(), 1);

    // Confirmed: a second, paused copy.
    let res = b
        .post(
            "/automations/install",
            &[("key", "welcome_sequence"), ("again", "yes")],
        )
        .await;
    assert_eq!(res.status, 303);
    let copies = count("welcome_sequence").await;
    assert_eq!(copies.len(), 2);
    assert!(copies.iter().all(|w| w.status == "paused"));

    // Both active: the list warns that a lead would get both emails.
    assert!(
        !b.get("/automations")
            .await
            .contains("data-testid=\"overlaps\"")
    );
    for w in &copies {
        let res = b
            .post(
                &format!("/automations/{}/active", w.id),
                &[("active", "true")],
            )
            .await;
        assert_eq!(res.status, 303);
    }
    let list = b.get("/automations").await;
    assert!(list.contains("data-testid=\"overlaps\""), "{}", list.body);
    assert!(list.contains("empiezan con «Se crea un lead» y escriben por correo"));
    let builder = b.get(&format!("/automations/{}", copies[0].id)).await;
    assert!(
        builder.contains("data-testid=\"overlaps\""),
        "the builder warns too"
    );
}

#[tokio::test]
async fn the_builder_does_not_warn_about_the_booking_link_which_always_exists() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    // PAUTA's speed-to-lead emails "agenda tu reunión aquí: {{ booking_url }}";
    // without BOOKING_URL it merges the workspace's booking page.
    let res = b
        .post("/automations/install", &[("key", "pauta_speed_to_lead")])
        .await;
    let to = res.location.expect("builder");
    let builder = b.get(&to).await;
    assert_eq!(builder.status, 200);
    assert!(!builder.contains("data-testid=\"booking-missing\""));
    assert!(
        !builder.contains("BOOKING_URL"),
        "no warning naming the setting"
    );
}

#[tokio::test]
async fn the_builder_adds_edits_moves_and_deletes_steps_through_htmx_posts() {
    let t = two_workspaces().await;
    let (b, token) = signed_in(&t, &t.a.owner_email).await;
    let wf = id(&t.a, WORKFLOW);
    let page = b.get(&format!("/automations/{wf}")).await;
    assert_eq!(page.status, 200);
    assert!(page.contains(&format!("data-step=\"{STEP_ID}\"")));

    // The editor for a new step comes as a fragment.
    let res = b
        .client
        .get(t.app.url(&format!(
            "/automations/{wf}/steps/new?step_type=add_tag&parent=&branch="
        )))
        .header("hx-request", "true")
        .send()
        .await
        .expect("GET");
    let form = res.text().await.expect("body");
    assert!(form.contains("data-testid=\"step-form\""), "{form}");
    assert!(form.contains("name=\"tag\""));

    // Add.
    let path = format!("/automations/{wf}/steps");
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &path,
        &[
            ("step_type", "add_tag"),
            ("parent", ""),
            ("branch", ""),
            ("tag", "vip"),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.contains("id=\"builder\""));
    assert!(res.contains("data-testid=\"builder-notice\""));
    let (v, def) = definition(&t, t.a.ws.id, &wf).await;
    assert_eq!(v, 2);
    assert_eq!(def["steps"][1]["type"], "add_tag");
    let new_id = def["steps"][1]["id"].as_str().expect("id").to_string();

    // Edit.
    let edit = b
        .get(&format!("/automations/{wf}/steps/{new_id}/edit"))
        .await;
    assert!(edit.contains("value=\"vip\""));
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &format!("/automations/{wf}/steps/{new_id}"),
        &[("tag", "cliente vip")],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (v, def) = definition(&t, t.a.ws.id, &wf).await;
    assert_eq!(v, 3);
    assert_eq!(def["steps"][1]["tag"], "cliente vip");
    assert_eq!(def["steps"][1]["id"], new_id.as_str());

    // Move up.
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &format!("/automations/{wf}/steps/{new_id}/move"),
        &[("dir", "up")],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (_, def) = definition(&t, t.a.ws.id, &wf).await;
    assert_eq!(def["steps"][0]["id"], new_id.as_str());
    assert_eq!(def["steps"][1]["id"], STEP_ID);

    // An if/else, then a step inside its "then" branch.
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &path,
        &[
            ("step_type", "if_else"),
            ("cond_type", "has_tag"),
            ("cond_value", "vip"),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (_, def) = definition(&t, t.a.ws.id, &wf).await;
    let branch = def["steps"][2]["id"].as_str().expect("id").to_string();
    assert_eq!(
        def["steps"][2]["condition"],
        json!({"type": "has_tag", "tag": "vip"})
    );
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &path,
        &[
            ("step_type", "send_sms"),
            ("parent", &branch),
            ("branch", "then"),
            ("body", "Hola {{ contact.first_name }}"),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (_, def) = definition(&t, t.a.ws.id, &wf).await;
    let nested = &def["steps"][2]["then"][0];
    assert_eq!(nested["type"], "send_sms");
    let nested_id = nested["id"].as_str().expect("id").to_string();
    // Shown nested: the branch header and the step indented under it.
    assert!(res.contains(&format!("data-branch=\"{branch}:then\"")));
    assert!(res.contains(&format!("data-depth=\"2\" data-step=\"{nested_id}\"")));

    // Delete (plain form post: redirect back).
    let res = b
        .post(&format!("/automations/{wf}/steps/{branch}/delete"), &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let (v, def) = definition(&t, t.a.ws.id, &wf).await;
    assert_eq!(v, 7, "one version per edit; now: {def}");
    assert_eq!(def["steps"].as_array().expect("steps").len(), 2);
    assert!(
        !b.get(&format!("/automations/{wf}"))
            .await
            .contains(&nested_id)
    );
    // An unknown step is a 404.
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &format!("/automations/{wf}/steps/nope/delete"),
        &[],
    )
    .await;
    assert_eq!(res.status, 404, "{}", res.body);
}

#[tokio::test]
async fn an_invalid_edit_answers_422_with_the_reasons_and_saves_nothing() {
    let t = two_workspaces().await;
    let (b, token) = signed_in(&t, &t.a.owner_email).await;
    let wf = id(&t.a, WORKFLOW);
    let (v0, def0) = definition(&t, t.a.ws.id, &wf).await;
    let path = format!("/automations/{wf}/steps");
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &path,
        &[("step_type", "webhook"), ("url", "ftp://example.com/hook")],
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.contains("data-testid=\"builder-errors\""));
    assert!(res.contains("url: an http(s) URL"), "{}", res.body);
    // The editor stays open with what was typed.
    assert!(res.contains("value=\"ftp://example.com/hook\""));
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &path,
        &[("step_type", "change_score"), ("delta", "diez")],
    )
    .await;
    assert_eq!(res.status, 422);
    // A stage of another workspace is refused by reference validation.
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &path,
        &[
            ("step_type", "move_to_stage"),
            ("stage_id", &t.b.stage_id.to_string()),
        ],
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(res.contains("does not exist in this workspace"));
    // Settings: a tag trigger without its tag; JSON that is not JSON.
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &format!("/automations/{wf}/settings"),
        &[("name", "x"), ("trigger_type", "tag_added"), ("tag", "")],
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(res.contains("trigger.tag: required"), "{}", res.body);
    let res = b
        .post(
            &format!("/automations/{wf}/json"),
            &[("definition", "{nope")],
        )
        .await;
    assert_eq!(res.status, 422);
    let (v1, def1) = definition(&t, t.a.ws.id, &wf).await;
    assert_eq!((v0, def0), (v1, def1), "nothing saved");

    // The valid settings save: a new version with the trigger's parameter.
    let res = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &format!("/automations/{wf}/settings"),
        &[
            ("name", "Etiquetados"),
            ("trigger_type", "tag_added"),
            ("tag", "vip"),
            ("exit_on", "appointment_booked"),
            ("reentry", "after_exit"),
            ("active", "on"),
        ],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (v, def) = definition(&t, t.a.ws.id, &wf).await;
    assert_eq!(v, v0 + 1);
    assert_eq!(def["trigger"], json!({"type": "tag_added", "tag": "vip"}));
    assert_eq!(def["exit_on"], json!(["appointment_booked"]));
    assert_eq!(def["reentry"], "after_exit");
    assert_eq!(def["active"], true);
}

#[tokio::test]
async fn new_workflows_start_paused_and_open_in_the_builder() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    assert_eq!(b.get("/automations/new").await.status, 200);
    let res = b
        .post(
            "/automations",
            &[("name", "Puntaje alto"), ("trigger_type", "score_reached")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = b.get(&res.location.expect("location")).await;
    assert!(page.contains("Puntaje alto"));
    assert!(page.contains("data-testid=\"no-steps\""));
    assert!(page.contains("name=\"threshold\" value=\"70\""));
    let res = b
        .post(
            "/automations",
            &[("name", ""), ("trigger_type", "lead_created")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.contains("name: required"));
}

#[tokio::test]
async fn test_mode_enrols_a_contact_and_skip_wait_runs_the_rest() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    let wf = id(&t.a, WORKFLOW);
    let worker = t.app.engine_worker();
    let def = json!({"name": "Prueba", "trigger": {"type": "lead_created"}, "steps": [
        {"id": "first", "type": "add_tag", "tag": "probado"},
        {"id": "pause", "type": "wait", "days": 2},
        {"id": "email", "type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "Bienvenida"}]});
    ops::save_workflow(
        &t.app.db,
        t.a.ws.id,
        Some(wf.parse().expect("id")),
        &def,
        None,
        t.app.state.config.channels.ssrf(),
        t.app.now(),
    )
    .await
    .expect("save");
    let c = contact(&t, "Marta", "marta@example.com").await;
    t.app.run_jobs(&worker).await;

    // Contact search for the test form.
    let found = b
        .get(&format!("/automations/{wf}/test/contacts?q=marta"))
        .await;
    assert!(found.contains(&format!("value=\"{c}\"")), "{}", found.body);
    assert!(!found.contains("lucia@"));

    b.get(&format!("/automations/{wf}")).await;
    let res = b
        .post(
            &format!("/automations/{wf}/test"),
            &[("contact_id", &c.to_string())],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.location.expect("location");
    assert!(to.starts_with("/automations/enrollments/"), "{to}");
    t.app.run_jobs(&worker).await;
    let page = b.get(&to).await;
    assert!(page.contains("data-run-step=\"first\""), "{}", page.body);
    assert!(page.contains("data-testid=\"skip-wait\""));
    assert!(!page.contains("data-run-step=\"email\""), "still waiting");

    let res = b.post(&format!("{to}/skip-wait"), &[]).await;
    assert_eq!(res.status, 303);
    t.app.run_jobs(&worker).await;
    let page = b.get(&to).await;
    assert!(page.contains("data-run-step=\"email\""), "{}", page.body);
    assert!(
        page.contains("data-testid=\"enrollment-status\" data-status=\"completed\">Completada<")
    );
    assert!(page.contains("data-testid=\"enrollment-messages\""));
    assert!(page.contains("Hola Marta"));
    // Nothing left to skip: the reason is flashed.
    let res = b.post(&format!("{to}/skip-wait"), &[]).await;
    assert_eq!(res.status, 303);
    // In the page's language, the status by its label.
    let page = b.get(&to).await;
    assert!(
        page.contains("No hay espera que saltar: la inscripción está «Completada»."),
        "{}",
        page.body
    );
    // The log lists the run and the enrolment.
    let log = b
        .get(&format!("/automations/{wf}/log?status=completed"))
        .await;
    assert!(log.contains(&format!("/contacts/{c}")));
    assert!(log.contains("data-run-step=\"email\""));
    let log = b.get(&format!("/automations/{wf}/log?status=failed")).await;
    assert!(log.contains("data-testid=\"no-enrollments\""));
}

#[tokio::test]
async fn failed_enrolments_are_retried_in_bulk_from_the_log() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    let worker = t.app.engine_worker();
    let ws = t.a.ws.id;
    let pipelines = af_db::pipelines::list_pipelines(&t.app.db, ws)
        .await
        .expect("p");
    let doomed = pipelines[0].stages[1].id;
    let def = json!({"name": "Mover", "trigger": {"type": "lead_created"}, "steps": [
        {"id": "s1", "type": "move_to_stage", "stage_id": doomed.to_string()}]});
    let wf: WorkflowId = ops::save_workflow(
        &t.app.db,
        ws,
        None,
        &def,
        None,
        t.app.state.config.channels.ssrf(),
        t.app.now(),
    )
    .await
    .expect("save")
    .id;
    let mut tx = t.app.db.begin().await.expect("tx");
    ops::delete_stage(&mut tx, ws, doomed, &Actor::system(), t.app.now())
        .await
        .expect("delete");
    tx.commit().await.expect("commit");
    let e = ops::enroll_test(&t.app.db, ws, wf, t.a.contact_id, true, t.app.now())
        .await
        .expect("enrol");
    t.app.run_jobs(&worker).await;
    let page = b.get(&format!("/automations/enrollments/{e}")).await;
    assert!(
        page.contains("data-testid=\"enrollment-status\" data-status=\"failed\">Fallida<"),
        "{}",
        page.body
    );
    assert!(page.contains("data-testid=\"retry\""));
    assert!(page.contains("data-run-status=\"failed\""));
    assert!(
        b.get("/automations")
            .await
            .contains("data-testid=\"alerts\"")
    );
    let log = b.get(&format!("/automations/{wf}/log")).await;
    assert!(log.contains("data-testid=\"retry-all-failed\""));

    // Fix the workflow and move the enrolment to the fixed version.
    let fixed = json!({"name": "Mover", "trigger": {"type": "lead_created"}, "steps": [
        {"id": "s1", "type": "add_tag", "tag": "reintentado"}]});
    ops::save_workflow(
        &t.app.db,
        ws,
        Some(wf),
        &fixed,
        None,
        t.app.state.config.channels.ssrf(),
        t.app.now(),
    )
    .await
    .expect("fix");
    ops::migrate_enrollments(&t.app.db, ws, wf, t.app.now())
        .await
        .expect("migrate");
    let mut tx = t.app.db.begin().await.expect("tx");
    store::set_enrollment_version(&mut tx, ws, e, 2, t.app.now())
        .await
        .expect("v");
    tx.commit().await.expect("commit");
    let res = b
        .post(&format!("/automations/{wf}/retry-failed"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert!(
        b.get(&format!("/automations/{wf}/log"))
            .await
            .contains(": 1")
    );
    t.app.run_jobs(&worker).await;
    let page = b.get(&format!("/automations/enrollments/{e}")).await;
    assert!(
        page.contains("data-testid=\"enrollment-status\" data-status=\"completed\">Completada<"),
        "{}",
        page.body
    );
    // A completed enrolment cannot be retried: the reason is flashed.
    b.post(&format!("/automations/enrollments/{e}/retry"), &[])
        .await;
    assert!(
        b.get(&format!("/automations/enrollments/{e}"))
            .await
            .contains("Solo se reintentan las inscripciones fallidas (esta está «Completada»).")
    );
}

#[tokio::test]
async fn message_templates_are_created_previewed_safely_and_deleted() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    let c = contact(&t, "{{ 7*7 }}", "siete@example.com").await;
    let page = b.get("/automations/templates").await;
    assert!(page.contains("Bienvenida"));
    let res = b
        .post(
            "/automations/templates",
            &[
                ("name", "Recordatorio"),
                ("channel", "sms"),
                ("subject", ""),
                (
                    "body",
                    "Hola {{ contact.first_name }} de {{ workspace.name }}",
                ),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = b
        .post(
            "/automations/templates",
            &[("name", "Roto"), ("channel", "sms"), ("body", "{{ x")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.contains("data-testid=\"template-errors\""));
    let tpl = id(&t.a, TEMPLATE);
    let preview = b
        .get(&format!(
            "/automations/templates/{tpl}/preview?contact_id={c}"
        ))
        .await;
    assert_eq!(preview.status, 200);
    // The contact's name is data: `{{ 7*7 }}` stays literal, never 49.
    assert!(preview.contains("Hola {{ 7*7 }}"), "{}", preview.body);
    assert!(!preview.contains("Hola 49"));
    assert!(preview.contains("bienvenido a alpha agency"));
    assert!(preview.contains("data-testid=\"preview-html\""));
    // Another workspace's contact is a 404.
    let res = b
        .get(&format!(
            "/automations/templates/{tpl}/preview?contact_id={}",
            t.b.contact_id
        ))
        .await;
    assert_eq!(res.status, 404);
    let res = b
        .post(&format!("/automations/templates/{tpl}/delete"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert!(
        store::list_templates(&t.app.db, t.a.ws.id)
            .await
            .expect("list")
            .iter()
            .all(|x| x.id.to_string() != tpl)
    );
}

async fn message(
    t: &TwoTenants,
    channel: &str,
    status: &str,
    skip: Option<&str>,
    contact: Option<ContactId>,
) {
    let now = t.app.now();
    let mut tx = t.app.db.begin().await.expect("tx");
    let id = af_db::messages::insert_message(
        &mut tx,
        &af_db::messages::NewMessage {
            workspace: t.a.ws.id,
            channel: channel.parse().expect("channel"),
            provider: "outbox",
            to: "+525512345678",
            subject: None,
            body_text: "Tu cita es mañana",
            category: "marketing",
            status: af_core::vocab::MessageStatus::Queued,
            contact_id: contact,
            ..Default::default()
        },
        now,
    )
    .await
    .expect("message");
    if status != af_core::vocab::MessageStatus::Queued {
        af_db::messages::update_status(
            &mut tx,
            t.a.ws.id,
            id,
            &af_db::messages::StatusUpdate {
                status: status.parse().expect("status"),
                skip_reason: skip,
                ..Default::default()
            },
            now,
        )
        .await
        .expect("status");
    }
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn the_outbox_filters_by_channel_and_status_and_pages() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    message(
        &t,
        "sms",
        "skipped",
        Some("unsubscribed"),
        Some(t.a.contact_id),
    )
    .await;
    for _ in 0..51 {
        message(&t, "whatsapp", "queued", None, None).await;
    }
    let all = b.get("/messages").await;
    assert!(all.contains("data-testid=\"outbox\""));
    assert!(all.contains("data-testid=\"more\""));
    let sms = b.get("/messages?channel=sms").await;
    assert!(sms.contains("data-channel=\"sms\""));
    assert!(!sms.contains("data-channel=\"whatsapp\""));
    assert!(!sms.contains("data-channel=\"email\""));
    assert!(sms.contains("unsubscribed"));
    assert!(sms.contains(&format!("/contacts/{}", t.a.contact_id)));
    assert!(sms.contains("Lucía Gómez"));
    let skipped = b.get("/messages?status=skipped").await;
    assert!(skipped.contains("data-status=\"skipped\""));
    assert!(!skipped.contains("data-status=\"queued\""));
    let wa = b.get("/messages?channel=whatsapp").await;
    assert_eq!(wa.body.matches("data-channel=\"whatsapp\"").count(), 50);
    let next = wa
        .body
        .split("data-testid=\"more\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("more link")
        .replace("&amp;", "&");
    let page2 = b.get(&next).await;
    assert_eq!(page2.body.matches("data-channel=\"whatsapp\"").count(), 1);
    assert!(!page2.contains("data-testid=\"more\""));
    // One message shows its text.
    let detail = b.get(&format!("/messages/{}", t.a.message_id)).await;
    assert!(detail.contains("data-testid=\"message-body\""));
}

#[tokio::test]
async fn members_view_automations_but_only_admins_change_them() {
    let t = two_workspaces().await;
    let (b, token) = signed_in(&t, &t.a.member_email).await;
    let wf = id(&t.a, WORKFLOW);
    let list = b.get("/automations").await;
    assert!(list.contains(WORKFLOW_NAME));
    assert!(!list.contains("data-testid=\"install-welcome_sequence\""));
    assert!(!list.contains("data-testid=\"new-workflow\""));
    let builder = b.get(&format!("/automations/{wf}")).await;
    assert_eq!(builder.status, 200);
    assert!(!builder.contains("data-testid=\"add-step\""));
    assert!(!builder.contains("data-testid=\"enrol-test\""));
    assert_eq!(b.get(&format!("/automations/{wf}/log")).await.status, 200);
    assert_eq!(
        b.get(&format!(
            "/automations/enrollments/{}",
            id(&t.a, ENROLLMENT)
        ))
        .await
        .status,
        200
    );
    assert_eq!(b.get("/automations/templates").await.status, 200);
    assert_eq!(b.get("/automations/new").await.status, 403);
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/automations/install".into(),
            vec![("key", "welcome_sequence")],
        ),
        (
            "/automations".into(),
            vec![("name", "x"), ("trigger_type", "lead_created")],
        ),
        (
            format!("/automations/{wf}/steps"),
            vec![("step_type", "add_tag"), ("tag", "x")],
        ),
        (
            format!("/automations/{wf}/settings"),
            vec![("name", "x"), ("trigger_type", "lead_created")],
        ),
        (
            format!("/automations/{wf}/active"),
            vec![("active", "true")],
        ),
        (format!("/automations/{wf}/test"), vec![("contact_id", "x")]),
        (format!("/automations/{wf}/retry-failed"), vec![]),
        (format!("/automations/{wf}/delete"), vec![]),
        (
            "/automations/templates".into(),
            vec![("name", "x"), ("channel", "sms"), ("body", "x")],
        ),
    ];
    for (path, form) in posts {
        let res = hx_post(&b, &t.app.base_url, &token, &path, &form).await;
        assert_eq!(res.status, 403, "{path}");
    }
    let (v, _) = definition(&t, t.a.ws.id, &wf).await;
    assert_eq!(v, 1, "nothing saved");
    assert_eq!(
        store::list_workflows(&t.app.db, t.a.ws.id)
            .await
            .expect("list")
            .len(),
        1
    );
}

#[tokio::test]
async fn workflow_and_contact_names_are_escaped() {
    let t = two_workspaces().await;
    let (b, _) = signed_in(&t, &t.a.owner_email).await;
    let ws = t.a.ws.id;
    let def = json!({"name": "<script>alert(1)</script>", "trigger": {"type": "lead_created"},
        "steps": [{"id": "w", "type": "wait", "days": 3}]});
    let wf = ops::save_workflow(
        &t.app.db,
        ws,
        None,
        &def,
        None,
        t.app.state.config.channels.ssrf(),
        t.app.now(),
    )
    .await
    .expect("save")
    .id;
    let c = contact(&t, "<img src=x onerror=alert(2)>", "xss@example.com").await;
    let e = ops::enroll_test(&t.app.db, ws, wf, c, false, t.app.now())
        .await
        .expect("enrol");
    t.app.run_jobs(&t.app.engine_worker()).await;
    for path in [
        "/automations".to_string(),
        format!("/automations/{wf}"),
        format!("/automations/{wf}/log"),
        format!("/automations/enrollments/{e}"),
        format!("/automations/{wf}/test/contacts?q=xss"),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.contains("<script>alert(1)"), "{path}");
        assert!(!page.contains("<img src=x"), "{path}");
        assert!(
            page.contains("&#60;script&#62;") || page.contains("&#60;img"),
            "{path}: escaped"
        );
    }
}
