//! The automations JSON API contract (issue 5), on the backend chosen by
//! `AF_TEST_BACKEND`: workflows, enrolments, skip-wait, retries, custom
//! events, templates and the paginated outbox, all scoped to the key's
//! workspace.

use af_testkit::{Api, two_workspaces};
use serde_json::{Value, json};

fn welcome() -> Value {
    json!({"name": "Bienvenida", "trigger": {"type": "lead_created"},
        "steps": [{"type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "..."},
                  {"type": "wait", "days": 2}, {"type": "send_sms", "body": "¿Hablamos?"}],
        "exit_on": ["appointment_booked"], "active": true})
}

#[tokio::test]
async fn workflows_crud_versions_and_validation() {
    let t = two_workspaces().await;
    let api = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.a.api_key.clone(),
    };

    let (status, created) = api.call("POST", "/api/v1/workflows", Some(welcome())).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let (status, w) = api
        .call("GET", &format!("/api/v1/workflows/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            w["name"].as_str(),
            w["version"].as_i64(),
            w["active"].as_bool()
        ),
        (Some("Bienvenida"), Some(1), Some(true))
    );
    assert_eq!(w["definition"]["steps"][0]["id"], "s1", "ids are assigned");

    let mut v2 = welcome();
    v2["name"] = json!("Bienvenida v2");
    let (status, saved) = api
        .call("PUT", &format!("/api/v1/workflows/{id}"), Some(v2))
        .await;
    assert_eq!((status, saved["version"].as_i64()), (200, Some(2)));

    // Invalid: 422 naming the fields, nothing changed.
    let bad = json!({"name": "x", "trigger": {"type": "lead_created"}, "steps": [{"type": "wait"},
        {"type": "move_to_stage", "stage_id": t.b.stage_id.to_string()}]});
    let (status, err) = api
        .call("PUT", &format!("/api/v1/workflows/{id}"), Some(bad))
        .await;
    assert_eq!(status, 422, "{err}");
    assert!(err["error"]["fields"]["steps[0]"].is_string(), "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("does not exist in this workspace")
            || err["error"]["fields"]["steps[0]"].is_string()
    );
    let (_, w) = api
        .call("GET", &format!("/api/v1/workflows/{id}"), None)
        .await;
    assert_eq!(w["version"], 2);
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/workflows",
            Some(json!({"name": "x", "trigger": {"type": "nope"}})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = api
        .call("POST", "/api/v1/workflows", Some(json!("not an object")))
        .await;
    assert_eq!(status, 422);

    let (status, list) = api.call("GET", "/api/v1/workflows", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|w| w["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&"Bienvenida v2"), "{names:?}");
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/workflows/{id}/status"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, 204);
    let (_, w) = api
        .call("GET", &format!("/api/v1/workflows/{id}"), None)
        .await;
    assert_eq!(w["status"], "paused");

    // Another workspace's key sees nothing of it.
    let other = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.b.api_key.clone(),
    };
    for (m, p) in [
        ("GET", format!("/api/v1/workflows/{id}")),
        ("PUT", format!("/api/v1/workflows/{id}")),
        ("DELETE", format!("/api/v1/workflows/{id}")),
        ("GET", format!("/api/v1/workflows/{id}/enrollments")),
        ("POST", format!("/api/v1/workflows/{id}/status")),
    ] {
        let body = match m {
            "PUT" => Some(welcome()),
            "POST" => Some(json!({"active": true})),
            _ => None,
        };
        let (status, _) = other.call(m, &p, body).await;
        assert_eq!(status, 404, "{m} {p}");
    }
    let (status, _) = api
        .call("DELETE", &format!("/api/v1/workflows/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = api
        .call("GET", &format!("/api/v1/workflows/{id}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_lead_enrols_skip_wait_and_the_outbox_pages() {
    let t = two_workspaces().await;
    let api = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.a.api_key.clone(),
    };
    let worker = t.app.engine_worker();
    let (_, created) = api.call("POST", "/api/v1/workflows", Some(welcome())).await;
    let wf = created["id"].as_str().expect("id").to_string();
    for i in 0..3 {
        let (status, _) = api
            .call(
                "POST",
                "/api/v1/contacts",
                Some(
                    json!({"first_name": format!("Lead{i}"), "email": format!("l{i}@example.com"),
                "phone": format!("+52551234567{i}")}),
                ),
            )
            .await;
        assert_eq!(status, 201);
    }
    t.app.run_jobs(&worker).await;
    let (_, e) = api
        .call(
            "GET",
            &format!("/api/v1/workflows/{wf}/enrollments?limit=2"),
            None,
        )
        .await;
    assert_eq!(e["data"].as_array().map(Vec::len), Some(2));
    let cursor = e["next_cursor"].as_str().expect("cursor").to_string();
    let (_, rest) = api
        .call(
            "GET",
            &format!("/api/v1/workflows/{wf}/enrollments?limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["data"].as_array().map(Vec::len), Some(1));
    assert!(rest["next_cursor"].is_null());
    let first = e["data"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(e["data"][0]["current_step"], "s3");

    let (status, skipped) = api
        .call(
            "POST",
            &format!("/api/v1/enrollments/{first}/skip-wait"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{skipped}");
    t.app.run_jobs(&worker).await;
    let (_, one) = api
        .call("GET", &format!("/api/v1/enrollments/{first}"), None)
        .await;
    assert_eq!(one["status"], "completed");
    assert_eq!(one["steps"].as_array().map(Vec::len), Some(3));
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/enrollments/{first}/skip-wait"),
            None,
        )
        .await;
    assert_eq!(status, 409);

    // Outbox: 3 emails + 1 SMS (+ the tenant's invitation), newest first, paged, filtered.
    let (_, page) = api.call("GET", "/api/v1/messages?limit=3", None).await;
    let data = page["data"].as_array().expect("data");
    assert_eq!(data.len(), 3);
    for k in [
        "id",
        "contact_id",
        "channel",
        "to",
        "subject",
        "body",
        "status",
        "created_at",
    ] {
        assert!(data[0].get(k).is_some(), "{k} in {}", data[0]);
    }
    assert_eq!(data[0]["channel"], "sms");
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let (_, next) = api
        .call(
            "GET",
            &format!("/api/v1/messages?limit=3&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(next["data"].as_array().map(Vec::len), Some(2));
    assert!(next["next_cursor"].is_null());
    let (_, sms) = api.call("GET", "/api/v1/messages?channel=sms", None).await;
    assert_eq!(sms["data"].as_array().map(Vec::len), Some(1));
    let contact = data[0]["contact_id"].as_str().expect("contact");
    let (_, mine) = api
        .call(
            "GET",
            &format!("/api/v1/messages?contact_id={contact}"),
            None,
        )
        .await;
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(2));
    for bad in [
        "/api/v1/messages?limit=0",
        "/api/v1/messages?cursor=zzz",
        "/api/v1/messages?contact_id=nope",
    ] {
        let (status, _) = api.call("GET", bad, None).await;
        assert_eq!(status, 422, "{bad}");
    }
    let other = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.b.api_key.clone(),
    };
    let (_, theirs) = other.call("GET", "/api/v1/messages", None).await;
    assert!(
        theirs["data"]
            .as_array()
            .is_some_and(|d| d.iter().all(|m| m["contact_id"] != contact))
    );
    let (status, _) = other
        .call("GET", &format!("/api/v1/enrollments/{first}"), None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = other
        .call(
            "POST",
            &format!("/api/v1/enrollments/{first}/skip-wait"),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn custom_events_test_mode_templates_and_library() {
    let t = two_workspaces().await;
    let api = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.a.api_key.clone(),
    };
    let worker = t.app.engine_worker();
    let (status, tpl) = api
        .call(
            "POST",
            "/api/v1/message-templates",
            Some(json!({"name": "Pago", "channel": "email",
            "subject": "Gracias {{ contact.first_name }}", "body": "Recibimos tu pago."})),
        )
        .await;
    assert_eq!(status, 201, "{tpl}");
    let tpl_id = tpl["id"].as_str().expect("id");
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/message-templates",
            Some(json!({"name": "x", "channel": "fax", "body": "{{ x"})),
        )
        .await;
    assert_eq!(status, 422);
    let (_, created) = api
        .call("POST", "/api/v1/workflows", Some(json!({"name": "Pagos", "trigger": {"type": "custom_event", "name": "payment.received"},
            "active": true, "steps": [{"type": "send_email", "template_id": tpl_id}]})))
        .await;
    let wf = created["id"].as_str().expect("workflow").to_string();
    let contact = t.a.contact_id.to_string();
    let (status, ev) = api
        .call(
            "POST",
            "/api/v1/events",
            Some(
                json!({"contact_id": contact, "name": "payment.received", "data": {"amount": 100}}),
            ),
        )
        .await;
    assert_eq!(status, 202, "{ev}");
    t.app.run_jobs(&worker).await;
    let (_, msgs) = api
        .call(
            "GET",
            &format!("/api/v1/messages?contact_id={contact}"),
            None,
        )
        .await;
    assert!(
        msgs["data"][0]["subject"]
            .as_str()
            .is_some_and(|s| s.starts_with("Gracias")),
        "{msgs}"
    );
    // A template in use by an active workflow cannot be deleted.
    let (status, _) = api
        .call(
            "DELETE",
            &format!("/api/v1/message-templates/{tpl_id}"),
            None,
        )
        .await;
    assert_eq!(status, 409);
    // Events about another workspace's contact, or with a bad name: 422.
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"contact_id": t.b.contact_id.to_string(), "name": "x"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"contact_id": contact, "name": "bad name!"})),
        )
        .await;
    assert_eq!(status, 422);

    // Test mode: enrol now whatever the trigger, then the library.
    let (status, e) = api
        .call(
            "POST",
            &format!("/api/v1/workflows/{wf}/enrollments"),
            Some(json!({"contact_id": contact, "skip_waits": true})),
        )
        .await;
    assert_eq!(status, 201, "test mode ignores the re-entry rule: {e}");
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/workflows/{wf}/enrollments"),
            Some(json!({"contact_id": contact})),
        )
        .await;
    assert_eq!(status, 409, "one live enrolment at a time");
    t.app.run_jobs(&worker).await;
    let (_, msgs) = api
        .call(
            "GET",
            &format!("/api/v1/messages?contact_id={contact}&channel=email"),
            None,
        )
        .await;
    assert_eq!(msgs["data"].as_array().map(Vec::len), Some(2));
    let (_, lib) = api.call("GET", "/api/v1/workflow-templates", None).await;
    assert_eq!(lib["data"].as_array().map(Vec::len), Some(5));
    let (status, installed) = api
        .call(
            "POST",
            "/api/v1/workflow-templates/pauta_booking/install",
            None,
        )
        .await;
    assert_eq!(status, 201, "{installed}");
    assert_eq!(installed["workflows"].as_array().map(Vec::len), Some(3));
    let (status, _) = api
        .call("POST", "/api/v1/workflow-templates/nope/install", None)
        .await;
    assert_eq!(status, 404);
}
