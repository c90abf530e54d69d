//! Kommo sync through the engine against a local fake Kommo that checks
//! each request as Kommo documents it (Bearer token, JSON array bodies, at
//! most 50 leads per `leads/complex` call), on SQLite or PostgreSQL per
//! AF_TEST_BACKEND: batching under load, the shared database pace (no
//! account ever sees 7 requests inside one second), a refused batch split
//! into single leads, retries, and the move to the booked status.

use af_core::crypto::SecretKey;
use af_core::{Actor, ContactId, ManualClock, WorkspaceId};
use af_db::testing::{TestDb, fresh_db};
use af_db::{Db, Ts};
use af_engine::channels::ChannelsConfig;
use af_engine::{EngineConfig, ops};
use af_jobs::{Registry, Worker, WorkerConfig};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One call as the fake saw it, at the test clock's time.
#[derive(Debug, Clone)]
struct Call {
    method: Method,
    path: String,
    body: Value,
    at: Timestamp,
    /// Answered with an error (forced, or a batch with a refused lead).
    refused: bool,
}

/// What the fake answers: created leads (echoing `request_id`, ids from
/// 1000) unless a status is forced for the next calls or a lead named
/// "Refused" is in the batch (Kommo rejects the whole call then).
#[derive(Default)]
struct State {
    calls: Vec<Call>,
    forced: Vec<u16>,
    next_id: i64,
}

#[derive(Clone)]
struct FakeKommo {
    base: String,
    state: Arc<Mutex<State>>,
}

impl FakeKommo {
    async fn start(clock: ManualClock) -> FakeKommo {
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            ..Default::default()
        }));
        let st = state.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (st, clock) = (st.clone(), clock.clone());
                async move { answer(&st, &clock, method, uri, headers, body) }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        FakeKommo {
            base: format!("http://{addr}"),
            state,
        }
    }

    fn calls(&self) -> Vec<Call> {
        self.state.lock().expect("lock").calls.clone()
    }

    fn force(&self, statuses: &[u16]) {
        self.state.lock().expect("lock").forced = statuses.to_vec();
    }
}

fn problem(status: u16, detail: &str) -> axum::response::Response {
    (
        StatusCode::from_u16(status).expect("status"),
        [("content-type", "application/problem+json")],
        json!({"title": "Error", "status": status, "detail": detail}).to_string(),
    )
        .into_response()
}

fn answer(
    st: &Mutex<State>,
    clock: &ManualClock,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if header("authorization") != "Bearer kommo-token" {
        return problem(401, "Unauthorized");
    }
    if !header("content-type").starts_with("application/json") {
        return problem(415, "Unsupported Media Type");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return problem(400, "body is not JSON");
    };
    let mut s = st.lock().expect("lock");
    s.calls.push(Call {
        method: method.clone(),
        path: uri.path().to_string(),
        body: v.clone(),
        at: af_core::Clock::now(clock),
        refused: false,
    });
    let last = s.calls.len() - 1;
    if !s.forced.is_empty() {
        let status = s.forced.remove(0);
        s.calls[last].refused = true;
        return problem(status, "forced");
    }
    let Some(items) = v.as_array() else {
        return problem(400, "body must be an array");
    };
    match (method, uri.path()) {
        (Method::POST, "/api/v4/leads/complex") => {
            if items.is_empty() || items.len() > 50 {
                return problem(400, "1 to 50 leads per call");
            }
            if items.iter().any(|l| l["name"] == "Refused Lead") {
                s.calls[last].refused = true;
                return problem(400, "Request validation failed");
            }
            let mut out = Vec::new();
            for l in items {
                if l["pipeline_id"] != 77 || l["_embedded"]["contacts"][0]["name"].is_null() {
                    return problem(400, "pipeline_id and an embedded contact are required");
                }
                s.next_id += 1;
                out.push(json!({"id": s.next_id, "contact_id": s.next_id + 50_000,
                    "company_id": null, "request_id": [l["request_id"].clone()], "merged": false}));
            }
            (
                StatusCode::OK,
                [("content-type", "application/hal+json")],
                Value::Array(out).to_string(),
            )
                .into_response()
        }
        (Method::PATCH, "/api/v4/leads") => {
            if items.iter().any(|l| l["id"].as_i64().is_none()) {
                return problem(400, "id is required");
            }
            (
                StatusCode::OK,
                [("content-type", "application/hal+json")],
                "{}".to_string(),
            )
                .into_response()
        }
        _ => problem(404, "Not Found"),
    }
}

struct Env {
    db: Db,
    clock: ManualClock,
    ws: WorkspaceId,
    cfg: EngineConfig,
    kommo: FakeKommo,
    _tdb: TestDb,
}

impl Env {
    async fn new() -> Env {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tdb = fresh_db().await;
        let clock = ManualClock::new("2026-03-02T15:00:00Z".parse().expect("ts"));
        let kommo = FakeKommo::start(clock.clone()).await;
        let vars: HashMap<String, String> = [
            ("KOMMO_BASE_URL", kommo.base.as_str()),
            ("KOMMO_ACCESS_TOKEN", "kommo-token"),
            ("KOMMO_PIPELINE_ID", "77"),
            ("KOMMO_STATUS_ID_INICIAL", "100"),
            ("KOMMO_STATUS_ID_AGENDADO", "200"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut channels = ChannelsConfig::from_lookup(&|k| vars.get(k).cloned()).expect("config");
        channels.options.ssrf.allow_private = true; // the fake listens on loopback
        let cfg = EngineConfig {
            base_url: "http://crm.test".into(),
            booking_url: None,
            secret: SecretKey::from_text(&"kommo-test-key-".repeat(3)).expect("key"),
            channels: Arc::new(channels),
        };
        let now = Ts::new(af_core::Clock::now(&clock));
        let ws = af_db::testing::pauta_workspace(&tdb.db, now).await;
        let def = json!({"name": "sync", "trigger": {"type": "lead_created"}, "active": true,
                         "steps": [{"type": "kommo_sync"}]});
        ops::save_workflow(
            &tdb.db,
            ws.id,
            None,
            &def,
            None,
            af_channels::ssrf::SsrfPolicy::default(),
            now,
        )
        .await
        .expect("saved");
        Env {
            db: tdb.db.clone(),
            clock,
            ws: ws.id,
            cfg,
            kommo,
            _tdb: tdb,
        }
    }

    fn now(&self) -> Ts {
        Ts::new(af_core::Clock::now(&self.clock))
    }

    /// A worker running one job at a time, in queue order: which send job
    /// leads which batch is then the same on every run and backend.
    fn worker(&self) -> Worker {
        self.worker_running(1)
    }

    fn worker_running(&self, concurrency: usize) -> Worker {
        let mut r = Registry::new();
        af_engine::register(&mut r, self.cfg.clone()).expect("register");
        let mut c = WorkerConfig::new("test-worker");
        c.batch_size = 200;
        c.concurrency = concurrency;
        Worker::new(self.db.clone(), Arc::new(self.clock.clone()), r, c)
    }

    /// Runs every job due now.
    async fn drain(&self, w: &Worker) {
        for _ in 0..500 {
            if w.run_once().await.expect("run").claimed == 0 {
                return;
            }
        }
        panic!("jobs kept coming");
    }

    /// Runs every job due, moving the clock on by `step` while any is
    /// pending, until none is left.
    async fn drain_over_time(&self, w: &Worker, step: SignedDuration) {
        for _ in 0..200 {
            self.drain(w).await;
            if self.kommo_messages_in(&["queued", "sending"]).await == 0 {
                return;
            }
            self.clock.advance(step);
        }
        panic!("Kommo messages never finished");
    }

    async fn lead(&self, name: &str) -> ContactId {
        let (first, last) = name.split_once(' ').unwrap_or((name, ""));
        let email = format!("{}@example.com", name.replace(' ', ".").to_lowercase());
        let input = af_db::testing::lead_input(first, last, Some(&email), None);
        af_db::testing::insert_lead(&self.db, self.ws, &input, self.now()).await
    }

    /// Queues lead syncs the way the `kommo_sync` step does (a message and
    /// its send job each), all before any worker runs.
    async fn queue_syncs(&self, names: &[&str]) {
        let mut tx = self.db.begin().await.expect("tx");
        for name in names {
            let body = json!({"contact": {"full_name": name}}).to_string();
            let new = af_db::messages::NewMessage {
                workspace: self.ws,
                channel: af_core::vocab::Channel::Kommo,
                provider: "outbox",
                to: "kommo",
                body_text: &body,
                category: "system",
                status: af_core::vocab::MessageStatus::Queued,
                ..Default::default()
            };
            let id = af_db::messages::insert_message(&mut tx, &new, self.now())
                .await
                .expect("message");
            let job = af_core::jobs::SendMessage { message_id: id };
            af_db::jobs::enqueue_job(&mut tx, Some(self.ws), &job, self.now(), self.now())
                .await
                .expect("job");
        }
        tx.commit().await.expect("commit");
    }

    async fn book(&self, contact: ContactId) {
        let mut tx = self.db.begin().await.expect("tx");
        let a = af_db::appointments::insert_appointment(
            &mut tx,
            self.ws,
            &af_db::appointments::AppointmentInput {
                contact_id: contact,
                deal_id: None,
                title: "Demo".into(),
                starts_at: Some(Ts::new(self.now().0 + SignedDuration::from_hours(48))),
                ends_at: None,
                time_zone: None,
                organizer_time_zone: None,
                status: "booked",
                source: "calcom",
                external_uid: None,
                metadata: json!({}),
            },
            self.now(),
        )
        .await
        .expect("appointment");
        af_db::appointments::write_event(
            &mut tx,
            self.ws,
            af_core::vocab::EventKind::AppointmentBooked,
            &a,
            &Actor::system(),
            self.now(),
        )
        .await
        .expect("event");
        tx.commit().await.expect("commit");
    }

    async fn messages(&self) -> Vec<af_db::messages::Message> {
        let mut all =
            af_db::messages::search_messages(&self.db, self.ws, None, Some("kommo"), None, 500)
                .await
                .expect("messages");
        all.reverse();
        all
    }

    async fn kommo_messages_in(&self, statuses: &[&str]) -> usize {
        self.messages()
            .await
            .iter()
            .filter(|m| statuses.contains(&m.status.as_str()))
            .count()
    }
}

fn lead_names(call: &Call) -> Vec<String> {
    call.body
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_burst_of_leads_goes_out_in_batches_of_fifty_paced_below_seven_per_second() {
    let env = Env::new().await;
    for i in 0..120 {
        env.lead(&format!("Lead N{i:03}")).await;
    }
    let w = env.worker();
    env.drain(&w).await;
    // The clock stands still: one call, then the slot is taken and the
    // other batches wait for it instead of sleeping.
    assert_eq!(env.kommo.calls().len(), 1);
    env.drain_over_time(&w, SignedDuration::from_millis(50))
        .await;

    let calls = env.kommo.calls();
    assert!(
        calls
            .iter()
            .all(|c| c.method == Method::POST && c.path == "/api/v4/leads/complex")
    );
    let mut sizes: Vec<usize> = calls.iter().map(|c| lead_names(c).len()).collect();
    sizes.sort_unstable();
    // SQLite's single writer runs every step before the first send; on
    // PostgreSQL a send may start a batch before the burst is all queued,
    // so only the bounds are fixed there.
    if matches!(env.db, Db::Sqlite(_)) {
        assert_eq!(sizes, [20, 50, 50], "120 leads in three calls");
    } else {
        assert!(sizes.len() <= 10 && sizes.contains(&50), "{sizes:?}");
    }
    assert_each_lead_created_once(&env, 120).await;
    assert!(
        calls
            .iter()
            .flat_map(|c| c.body.as_array().expect("array"))
            .all(|l| l["status_id"] == 100)
    );
}

/// Every sync message is sent, in exactly one call, with a lead id of its
/// own; no call carries more than 50 leads, and Kommo never receives 7
/// calls within one second (its limit), measured where they arrive.
async fn assert_each_lead_created_once(env: &Env, expected: usize) {
    let all = env.kommo.calls();
    assert!(all.iter().all(|c| lead_names(c).len() <= 50));
    for seven in all.windows(7) {
        let span = seven[6].at.duration_since(seven[0].at);
        assert!(
            span >= jiff::SignedDuration::from_secs(1),
            "7 calls arrived within {span:?}"
        );
    }
    let calls: Vec<Call> = all.into_iter().filter(|c| !c.refused).collect();
    let ms: Vec<_> = env
        .messages()
        .await
        .into_iter()
        .filter(|m| m.status != "failed")
        .collect();
    assert_eq!(ms.len(), expected);
    let mut ids = Vec::new();
    for m in &ms {
        assert_eq!((m.status.as_str(), m.provider.as_str()), ("sent", "kommo"));
        ids.push(m.provider_id.clone().expect("lead id"));
        let sent_as = calls
            .iter()
            .flat_map(|c| c.body.as_array().expect("array"))
            .filter(|l| l["request_id"] == json!(m.id.to_string()))
            .count();
        assert_eq!(sent_as, 1, "each message in exactly one call");
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected);
}

#[tokio::test]
async fn concurrent_workers_on_two_nodes_never_send_a_lead_twice() {
    let env = Env::new().await;
    for i in 0..150 {
        env.lead(&format!("Lead N{i:03}")).await;
    }
    // Two nodes, each running many jobs at once, race for the same queue.
    let (a, b) = (env.worker_running(32), env.worker_running(32));
    for _ in 0..400 {
        let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
        let claimed = ra.expect("a").claimed + rb.expect("b").claimed;
        if claimed == 0 {
            if env.kommo_messages_in(&["queued", "sending"]).await == 0 {
                break;
            }
            env.clock.advance(SignedDuration::from_millis(50));
        }
    }
    assert_each_lead_created_once(&env, 150).await;
    assert!(env.kommo.calls().len() < 150, "batched under load");
}

#[tokio::test]
async fn the_pace_is_shared_by_every_node() {
    let env = Env::new().await;
    let key = "kommo:https://acme.kommo.com";
    let step = af_engine::kommo::KOMMO_INTERVAL;
    let now = env.now();
    // Two nodes ask at the same instant: one gets the slot, the other waits.
    let a = af_db::rate_slots::try_acquire(&env.db, key, now, step)
        .await
        .expect("a");
    let b = af_db::rate_slots::try_acquire(&env.db, key, now, step)
        .await
        .expect("b");
    assert_eq!(a, None);
    assert_eq!(b, Some(step));
    // Another account is not slowed down.
    let other = af_db::rate_slots::try_acquire(&env.db, "kommo:https://b.kommo.com", now, step)
        .await
        .expect("other");
    assert_eq!(other, None);
    let later = Ts::new(now.0 + step);
    assert_eq!(
        af_db::rate_slots::try_acquire(&env.db, key, later, step)
            .await
            .expect("c"),
        None
    );

    // Two workers (two nodes) on one database never exceed the pace either.
    for i in 0..3 {
        env.lead(&format!("Solo N{i}")).await;
    }
    let (w1, w2) = (env.worker(), env.worker());
    // Each lead's sync runs alone: route and step jobs first, one send per
    // drain so batches stay single.
    for _ in 0..50 {
        w1.run_once().await.expect("w1");
        w2.run_once().await.expect("w2");
        if env.kommo_messages_in(&["queued", "sending"]).await == 0
            && !env.messages().await.is_empty()
        {
            break;
        }
        env.clock.advance(SignedDuration::from_millis(40));
    }
    let calls = env.kommo.calls();
    assert!(!calls.is_empty());
    for pair in calls.windows(2) {
        assert!(pair[1].at.duration_since(pair[0].at) >= step);
    }
}

#[tokio::test]
async fn a_refused_batch_is_split_so_one_bad_lead_does_not_sink_the_others() {
    let env = Env::new().await;
    env.queue_syncs(&["Ana Good", "Refused Lead", "Bea Good", "Cruz Good"])
        .await;
    let w = env.worker();
    env.drain_over_time(&w, SignedDuration::from_millis(200))
        .await;

    let calls = env.kommo.calls();
    assert!(
        calls.iter().any(|c| c.refused && lead_names(c).len() > 1),
        "the bad lead was batched with others: {:?}",
        calls.iter().map(lead_names).collect::<Vec<_>>()
    );
    // After the refusal every lead of that batch went alone.
    let solo = calls
        .iter()
        .filter(|c| lead_names(c) == ["Refused Lead"])
        .count();
    assert_eq!(solo, 1, "the bad lead, alone, refused once more");
    assert_each_lead_created_once(&env, 3).await;
    let failed: Vec<_> = env
        .messages()
        .await
        .into_iter()
        .filter(|m| m.status == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].body_text.contains("Refused Lead"));
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("Request validation failed")
    );
}

#[tokio::test]
async fn a_server_error_retries_without_creating_a_lead_twice() {
    let env = Env::new().await;
    env.kommo.force(&[503, 429]);
    // Both syncs are queued before any worker runs, so they travel in one
    // batch: each is refused twice and then created exactly once. (Leads
    // reach the queue through separate dispatch jobs, which may form two
    // batches, and then only the first would see the refusals.)
    env.queue_syncs(&["Ana Uno", "Bea Dos"]).await;
    let w = env.worker();
    env.drain_over_time(&w, SignedDuration::from_secs(30)).await;
    let calls = env.kommo.calls();
    assert_eq!(
        calls.iter().filter(|c| c.refused).count(),
        2,
        "503, then 429"
    );
    assert_each_lead_created_once(&env, 2).await;
    assert!(env.messages().await.iter().all(|m| m.attempts >= 2));
}

#[tokio::test]
async fn booking_moves_the_synced_lead_and_a_lead_booked_first_starts_booked() {
    let env = Env::new().await;
    let ana = env.lead("Ana Uno").await;
    let w = env.worker();
    env.drain_over_time(&w, SignedDuration::from_millis(200))
        .await;
    let lead_id = env.messages().await[0]
        .provider_id
        .clone()
        .expect("lead id");

    env.book(ana).await;
    env.drain_over_time(&w, SignedDuration::from_millis(200))
        .await;
    let calls = env.kommo.calls();
    let moved = calls.last().expect("call");
    assert_eq!(
        (moved.method.clone(), moved.path.as_str()),
        (Method::PATCH, "/api/v4/leads")
    );
    assert_eq!(
        moved.body,
        json!([{"id": lead_id.parse::<i64>().expect("id"), "status_id": 200, "pipeline_id": 77}])
    );
    let ms = env.messages().await;
    assert_eq!(ms.len(), 2);
    assert_eq!(
        (ms[1].to_address.as_str(), ms[1].status.as_str()),
        ("kommo:booked", "sent")
    );

    // A contact who books before the sync step ran: nothing to move, the
    // lead is created straight in the booked status.
    let before = env.kommo.calls().len();
    let bea = env.lead("Bea Dos").await;
    env.book(bea).await;
    env.drain_over_time(&w, SignedDuration::from_millis(200))
        .await;
    let calls = env.kommo.calls();
    assert_eq!(calls.len(), before + 1, "one create, no move");
    assert_eq!(lead_names(&calls[before]), ["Bea Dos"]);
    assert_eq!(calls[before].body[0]["status_id"], 200);
    assert_eq!(env.messages().await.len(), 3);
}

#[tokio::test]
async fn a_batch_whose_job_was_lost_goes_again_after_two_hours() {
    let env = Env::new().await;
    let ana = env.lead("Ana Uno").await;
    let w = env.worker();
    env.drain_over_time(&w, SignedDuration::from_millis(200))
        .await;
    assert_eq!(env.kommo.calls().len(), 1);
    // A batch claimed by a job that then died on its last attempt: the
    // message is `sending` and no job will ever send it.
    let body = json!({"contact": {"full_name": "Ana Dos"}}).to_string();
    let mut tx = env.db.begin().await.expect("tx");
    let new = af_db::messages::NewMessage {
        workspace: env.ws,
        channel: af_core::vocab::Channel::Kommo,
        provider: "outbox",
        to: "kommo",
        body_text: &body,
        category: "system",
        status: af_core::vocab::MessageStatus::Queued,
        contact_id: Some(ana),
        ..Default::default()
    };
    let id = af_db::messages::insert_message(&mut tx, &new, env.now())
        .await
        .expect("message");
    let claimed = af_db::kommo::claim_batch(&mut tx, env.ws, id, 1, env.now())
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    tx.commit().await.expect("commit");

    env.clock.advance(SignedDuration::from_mins(119));
    af_engine::sweep::sweep(&env.db, env.now())
        .await
        .expect("sweep");
    env.drain(&w).await;
    assert_eq!(
        env.kommo.calls().len(),
        1,
        "not yet: it may still be retrying"
    );
    env.clock.advance(SignedDuration::from_mins(2));
    af_engine::sweep::sweep(&env.db, env.now())
        .await
        .expect("sweep");
    env.drain(&w).await;
    let calls = env.kommo.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(lead_names(&calls[1]), ["Ana Dos"]);
    assert!(env.messages().await.iter().all(|m| m.status == "sent"));
}
