//! The background jobs admin page on the backend chosen by
//! `AF_TEST_BACKEND`: what an admin sees, retry / discard / retry all /
//! run now (with htmx and as plain forms), 403 for members, and tenancy
//! (another workspace's ids and system jobs answer 404 and are untouched).

use af_core::JobId;
use af_db::jobs::{self, NewJob};
use af_testkit::areas::jobs::{DEAD_JOB, SCHEDULE, SCHEDULE_NAME, dead_job};
use af_testkit::{Browser, PASSWORD, Page, TwoTenants, csrf_from, two_workspaces};

fn id(t: &af_testkit::Tenant, key: &str) -> String {
    t.ids.get(key).cloned().expect("seeded id")
}

async fn state(t: &TwoTenants, id: &str) -> Option<String> {
    let id: JobId = id.parse().expect("job id");
    jobs::find_job(&t.app.db, id)
        .await
        .expect("find")
        .map(|j| j.state)
}

/// Posts as htmx does: the token in `X-CSRF-Token`, `HX-Request` set.
async fn hx_post(b: &Browser, base: &str, token: &str, path: &str) -> Page {
    let res = b
        .client
        .post(format!("{base}{path}"))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
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

/// Runs the jobs the seed queued (the dispatch of its task's event, which
/// the bell listens to), so the counts below are this test's jobs only.
async fn drain_seed_jobs(t: &TwoTenants) {
    t.app.run_jobs(&t.app.engine_worker()).await;
}

async fn owner_of_a(t: &TwoTenants) -> (Browser, String) {
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let page = b.get("/settings/jobs").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = csrf_from(&page.body).expect("csrf token");
    (b, token)
}

#[tokio::test]
async fn admins_see_counts_failures_and_schedules_of_their_workspace_only() {
    let t = two_workspaces().await;
    drain_seed_jobs(&t).await;
    // A system job (no workspace) that failed: operators' business only.
    let now = t.app.now();
    let mut tx = t.app.db.begin().await.expect("begin");
    jobs::enqueue(
        &mut tx,
        &NewJob::new("prune_jobs", serde_json::json!({}), now),
        now,
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");

    let (b, _) = owner_of_a(&t).await;
    let page = b.get("/settings/jobs").await;
    assert!(page.contains("data-testid=\"jobs-panel\""));
    assert!(page.contains(&format!("data-job=\"{}\"", id(&t.a, DEAD_JOB))));
    assert!(
        !page.contains(&id(&t.b, DEAD_JOB)),
        "B's job is not listed to A"
    );
    assert!(page.contains("SMTP 550: mailbox unavailable"), "the error");
    assert!(
        page.contains("data-testid=\"count-dead\">1<"),
        "one dead job"
    );
    assert!(
        page.contains("data-testid=\"count-pending\">0<"),
        "the system job is not counted for the workspace"
    );
    assert!(!page.contains("prune_jobs"));
    assert!(page.contains("data-testid=\"operators-note\""));
    assert!(page.contains(&format!("data-schedule=\"{SCHEDULE_NAME}\"")));
    // Next run in the workspace's zone (America/Mexico_City by default):
    // 2026-03-07T15:00Z + 30 days, shown as local wall time.
    let next = af_db::schedules::find_schedule(
        &t.app.db,
        id(&t.a, SCHEDULE).parse().expect("schedule id"),
    )
    .await
    .expect("find")
    .expect("exists")
    .next_run_at;
    let local = af_web::pages::fmt_when(next, &t.a.ws.time_zone, af_core::Locale::Es);
    assert!(
        page.contains(&local),
        "next run {local} in the workspace zone"
    );

    // English for an English workspace user is covered by the i18n struct;
    // Spanish is the default here.
    assert!(page.contains("Reintentar todos"));
}

#[tokio::test]
async fn members_get_403() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.login(&t.a.member_email, PASSWORD).await;
    assert_eq!(b.get("/settings/jobs").await.status, 403);
    b.get("/dashboard").await; // a page with a CSRF token
    let job = id(&t.a, DEAD_JOB);
    for path in [
        format!("/settings/jobs/{job}/retry"),
        format!("/settings/jobs/{job}/discard"),
        "/settings/jobs/retry-all".to_string(),
        format!("/settings/jobs/schedules/{}/run", id(&t.a, SCHEDULE)),
    ] {
        assert_eq!(b.post(&path, &[]).await.status, 403, "{path}");
    }
    assert_eq!(state(&t, &job).await.as_deref(), Some("dead"), "untouched");
}

#[tokio::test]
async fn retry_with_htmx_returns_the_panel_and_queues_the_job_again() {
    let t = two_workspaces().await;
    drain_seed_jobs(&t).await;
    let (b, token) = owner_of_a(&t).await;
    let job = id(&t.a, DEAD_JOB);
    let page = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &format!("/settings/jobs/{job}/retry"),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.trim_start().starts_with("<div id=\"jobs-panel\""),
        "a fragment, not a page"
    );
    assert!(page.contains("data-testid=\"jobs-notice\""));
    assert!(page.contains("El trabajo vuelve a estar en cola."));
    assert!(page.contains("data-testid=\"count-pending\">1<"));
    let j = jobs::find_job(&t.app.db, job.parse().expect("id"))
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(
        (j.state.as_str(), j.attempts, j.last_error),
        ("pending", 0, None)
    );
    assert_eq!(j.run_at, t.app.now(), "due now (the injected clock)");

    // A second retry finds nothing dead: said so, nothing changes.
    let page = hx_post(
        &b,
        &t.app.base_url,
        &token,
        &format!("/settings/jobs/{job}/retry"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.contains("No se reintentó"));
    // The action is audited.
    let audit = af_db::audit::list_audit(&t.app.db, t.a.ws.id, 50)
        .await
        .expect("audit");
    assert!(audit.iter().any(|e| e.action == "job.retried"));
}

#[tokio::test]
async fn discard_as_a_plain_form_redirects_with_a_flash() {
    let t = two_workspaces().await;
    let (b, _) = owner_of_a(&t).await;
    let job = id(&t.a, DEAD_JOB);
    let page = b.post(&format!("/settings/jobs/{job}/discard"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/settings/jobs"));
    assert_eq!(state(&t, &job).await, None, "deleted");
    let page = b.get("/settings/jobs").await;
    assert!(page.contains("Trabajo descartado."));
    assert!(page.contains("data-testid=\"no-failures\""));
}

#[tokio::test]
async fn retry_all_touches_only_this_workspaces_dead_jobs() {
    let t = two_workspaces().await;
    let extra = dead_job(&t.app, &t.a, "sync_calendar", "timeout").await;
    let (b, token) = owner_of_a(&t).await;
    let page = b.get("/settings/jobs").await;
    assert!(page.contains("data-testid=\"retry-all\""));
    let page = hx_post(&b, &t.app.base_url, &token, "/settings/jobs/retry-all").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.contains("Trabajos que vuelven a la cola: 2"),
        "{}",
        page.body
    );
    assert_eq!(
        state(&t, &id(&t.a, DEAD_JOB)).await.as_deref(),
        Some("pending")
    );
    assert_eq!(
        state(&t, &extra.to_string()).await.as_deref(),
        Some("pending")
    );
    assert_eq!(
        state(&t, &id(&t.b, DEAD_JOB)).await.as_deref(),
        Some("dead"),
        "B's dead job stays dead"
    );
}

#[tokio::test]
async fn run_now_enqueues_the_schedule_once_and_records_the_run() {
    let t = two_workspaces().await;
    let (b, token) = owner_of_a(&t).await;
    let schedule = id(&t.a, SCHEDULE);
    let path = format!("/settings/jobs/schedules/{schedule}/run");
    let page = hx_post(&b, &t.app.base_url, &token, &path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("Tarea en cola para ejecutarse ahora."));
    assert!(
        !page.contains("data-testid=\"last-run\">Nunca"),
        "last run shown"
    );
    let queued = jobs::list_jobs(&t.app.db, Some("pending"), 100)
        .await
        .expect("jobs");
    let mine: Vec<_> = queued
        .iter()
        .filter(|j| j.dedupe_key.as_deref() == Some(&format!("schedule:{schedule}:now")))
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].workspace_id, Some(t.a.ws.id.0));
    assert_eq!(mine[0].kind, "send_digest");
    assert_eq!(mine[0].payload, r#"{"digest":"weekly"}"#);

    // A double click queues nothing more.
    let page = hx_post(&b, &t.app.base_url, &token, &path).await;
    assert!(page.contains("Esa tarea ya estaba en cola"));
    let again = jobs::list_jobs(&t.app.db, Some("pending"), 100)
        .await
        .expect("jobs");
    assert_eq!(again.len(), queued.len());
}

#[tokio::test]
async fn other_workspaces_ids_and_system_jobs_answer_404() {
    let t = two_workspaces().await;
    let now = t.app.now();
    // A dead system job.
    let mut tx = t.app.db.begin().await.expect("begin");
    let system = jobs::enqueue(
        &mut tx,
        &NewJob::new("prune_jobs", serde_json::json!({}), now),
        now,
    )
    .await
    .expect("enqueue")
    .expect("id");
    tx.commit().await.expect("commit");
    let (b, _) = owner_of_a(&t).await;
    let b_job = id(&t.b, DEAD_JOB);
    for path in [
        format!("/settings/jobs/{b_job}/retry"),
        format!("/settings/jobs/{b_job}/discard"),
        format!("/settings/jobs/schedules/{}/run", id(&t.b, SCHEDULE)),
        format!("/settings/jobs/{system}/discard"),
        "/settings/jobs/not-a-uuid/retry".to_string(),
    ] {
        assert_eq!(b.post(&path, &[]).await.status, 404, "{path}");
    }
    assert_eq!(state(&t, &b_job).await.as_deref(), Some("dead"));
    assert_eq!(
        state(&t, &system.to_string()).await.as_deref(),
        Some("pending")
    );
    let b_runs =
        af_db::schedules::find_schedule(&t.app.db, id(&t.b, SCHEDULE).parse().expect("id"))
            .await
            .expect("find")
            .expect("exists");
    assert_eq!(b_runs.last_run_at, None);
}
