//! Test fixtures of the jobs area: what [`seed`] adds to every tenant (a
//! dead-lettered job and a periodic task of the workspace), and the area's
//! routes that take an id, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};
use af_db::jobs::{self, NewJob};
use af_db::schedules::{self, NewSchedule};
use af_db::{Ts, with_pool};

/// `tenant.ids` key of the tenant's dead-lettered job.
pub const DEAD_JOB: &str = "jobs.dead_job";
/// `tenant.ids` key of the tenant's periodic task.
pub const SCHEDULE: &str = "jobs.schedule";
/// The seeded periodic task's name.
pub const SCHEDULE_NAME: &str = "weekly_digest";

/// Adds a job that is already dead-lettered (as after exhausting its
/// attempts) and a weekly schedule far from firing.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let now = app.now();
    let id = dead_job(app, t, "send_digest", "SMTP 550: mailbox unavailable").await;
    t.ids.insert(DEAD_JOB, id.to_string());
    let s = NewSchedule {
        workspace: Some(t.ws.id),
        name: SCHEDULE_NAME.into(),
        cron: "0 9 * * 1".into(),
        time_zone: t.ws.time_zone.clone(),
        job_kind: "send_digest".into(),
        payload: serde_json::json!({ "digest": "weekly" }),
        enabled: true,
    };
    let next = Ts::new(now.0 + jiff::SignedDuration::from_hours(24 * 30));
    let s = schedules::upsert_schedule(&app.db, &s, next, now)
        .await
        .expect("seed schedule");
    t.ids.insert(SCHEDULE, s.id.to_string());
}

/// Enqueues a job of `kind` in `t`'s workspace and marks it dead with
/// `error`, as the worker does when its attempts run out. Returns its id.
pub async fn dead_job(app: &TestApp, t: &Tenant, kind: &str, error: &str) -> af_core::JobId {
    let now = app.now();
    let mut job = NewJob::new(kind, serde_json::json!({}), now);
    job.workspace = Some(t.ws.id);
    job.max_attempts = 3;
    let mut tx = app.db.begin().await.expect("begin");
    let id = jobs::enqueue(&mut tx, &job, now)
        .await
        .expect("enqueue")
        .expect("no dedupe key");
    tx.commit().await.expect("commit");
    // Straight to the end state: a worker here would also run the other
    // tenants' jobs.
    let marked = with_pool!(&app.db, p => {
        sqlx::query(
            "UPDATE jobs SET state = 'dead', attempts = 3, last_error = $2, finished_at = $3, updated_at = $3
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(error)
        .bind(now)
        .execute(p)
        .await
        .expect("mark dead")
        .rows_affected()
    });
    assert_eq!(marked, 1);
    id
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let page = |path: String| IdRoute {
        via: Via::Page,
        method: "POST",
        path,
        form: vec![],
    };
    let mut routes = vec![];
    if let Some(job) = other.ids.get(DEAD_JOB) {
        routes.push(page(format!("/settings/jobs/{job}/retry")));
        routes.push(page(format!("/settings/jobs/{job}/discard")));
    }
    if let Some(s) = other.ids.get(SCHEDULE) {
        routes.push(page(format!("/settings/jobs/schedules/{s}/run")));
    }
    routes
}
