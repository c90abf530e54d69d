//! End to end with the real binary (`agencyflow serve` on the backend
//! chosen by `AF_TEST_BACKEND`): the PAUTA speed-to-lead workflow is created
//! through the API, a lead arrives through the API, the test fast-forwards
//! through the waits (`skip-wait`) and reads the outbox through the API —
//! exactly the expected messages, in order — then books mid-way and sees
//! the rest stop. Every wait is on a condition with a time limit.

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
    key: String,
    http: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(url: &str, data: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("AF_DATA_DIR", data)
        .env("AF_LOG", "error")
        .env_remove("AF_CONFIG")
        .output()
        .expect("run agencyflow");
    assert!(
        out.status.success(),
        "agencyflow {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Server {
    async fn start() -> Server {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (url, dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
        let data = tempfile::tempdir().expect("data dir");
        cli(&url, data.path(), &["migrate"]);
        cli(
            &url,
            data.path(),
            &[
                "workspace",
                "create",
                "--slug",
                "pauta",
                "--name",
                "PAUTA",
                "--time-zone",
                "America/Mexico_City",
                "--country",
                "MX",
            ],
        );
        let key: Value = serde_json::from_str(
            cli(
                &url,
                data.path(),
                &[
                    "apikey",
                    "create",
                    "--workspace",
                    "pauta",
                    "--name",
                    "e2e",
                    "--json",
                ],
            )
            .trim(),
        )
        .expect("key json");
        let key = key["key"].as_str().expect("key").to_string();
        let bind = format!("127.0.0.1:{}", free_port());
        let child = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
            .args(["serve", "--bind", &bind])
            .env("DATABASE_URL", &url)
            .env("AF_DATA_DIR", data.path())
            .env("AF_LOG", "warn")
            .env("AF_JOB_POLL_MS", "200")
            .env("BOOKING_URL", "https://cal.example/pauta")
            .env("CALCOM_WEBHOOK_SECRET", CALCOM_SECRET)
            // Real time here: without this the SMS, WhatsApp and call would
            // wait for 08:00 in Mexico City when the test runs at night.
            .env("AF_QUIET_HOURS", "00:00-00:00")
            .env_remove("AF_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start serve");
        let s = Server {
            child,
            base: format!("http://{bind}"),
            key,
            http: reqwest::Client::new(),
            _dir: dir,
            _data: data,
        };
        s.wait_until("the server is ready", || async {
            s.http
                .get(format!("{}/readyz", s.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
        s
    }

    async fn wait_until<F, Fut>(&self, what: &str, ok: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = Instant::now();
        while !ok().await {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The outbox, oldest first: (channel, subject or body, status).
    async fn outbox(&self) -> Vec<(String, String, String)> {
        let (_, v) = self
            .call(reqwest::Method::GET, "/api/v1/messages?limit=100", None)
            .await;
        let mut out: Vec<(String, String, String)> = v["data"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| {
                        let text = m["subject"]
                            .as_str()
                            .or(m["body"].as_str())
                            .unwrap_or("")
                            .to_string();
                        (
                            m["channel"].as_str().unwrap_or("").to_string(),
                            text,
                            m["status"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.reverse();
        out
    }

    async fn wait_for_messages(&self, n: usize) -> Vec<(String, String, String)> {
        self.wait_until(&format!("{n} delivered or skipped messages"), || async {
            let o = self.outbox().await;
            o.len() >= n && o.iter().all(|m| m.2 != "queued")
        })
        .await;
        self.outbox().await
    }

    async fn enrollment(&self, wf: &str) -> Value {
        let (_, v) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/workflows/{wf}/enrollments"),
                None,
            )
            .await;
        v["data"][0].clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pauta_speed_to_lead_through_the_real_binary() {
    let s = Server::start().await;
    let (status, created) = s
        .call(
            reqwest::Method::POST,
            "/api/v1/workflows",
            Some(af_engine::library::pauta_speed_to_lead()),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let wf = created["id"].as_str().expect("id").to_string();

    let (status, lead) = s
        .call(reqwest::Method::POST, "/api/v1/contacts", Some(json!({
            "first_name": "Ana", "last_name": "Gómez", "email": "ana@example.com", "phone": "+52 55 1234 5678",
            "company": "Acme"})))
        .await;
    assert_eq!(status, 201, "{lead}");

    // At once: Kommo sync, welcome email, the call; the outbox's call is not
    // answered, so the WhatsApp with the booking link follows.
    let out = s.wait_for_messages(4).await;
    let channels: Vec<&str> = out.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(channels, ["kommo", "email", "voice", "whatsapp"]);
    let statuses: Vec<&str> = out.iter().map(|m| m.2.as_str()).collect();
    // Kommo is not configured in this test: the sync is skipped with that reason.
    assert_eq!(statuses, ["skipped", "sent", "sent", "sent"]);
    assert_eq!(out[1].1, "¡Hola Ana! Gracias por escribirnos");
    assert!(
        out[3].1.contains("https://cal.example/pauta"),
        "{}",
        out[3].1
    );
    s.wait_until("the day-3 wait", || async {
        s.enrollment(&wf).await["current_step"] == "day_3_whatsapp"
    })
    .await;

    // Fast-forward: day 3 WhatsApp, day 6 email.
    let e = s.enrollment(&wf).await;
    let id = e["id"].as_str().expect("enrollment id").to_string();
    let (status, _) = s
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/enrollments/{id}/skip-wait"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let out = s.wait_for_messages(5).await;
    assert_eq!(out[4].0, "whatsapp");
    assert!(
        out[4].1.starts_with("Hola Ana, ¿pudiste agendar"),
        "{}",
        out[4].1
    );
    s.wait_until("the day-6 wait", || async {
        s.enrollment(&wf).await["current_step"] == "day_6_email"
    })
    .await;
    s.call(
        reqwest::Method::POST,
        &format!("/api/v1/enrollments/{id}/skip-wait"),
        None,
    )
    .await;
    let out = s.wait_for_messages(6).await;
    assert_eq!(
        out[5],
        (
            "email".into(),
            "Un recurso para tu proyecto".into(),
            "sent".into()
        )
    );

    // The lead books: the enrolment ends and nothing else is sent.
    book(&s, lead["id"].as_str().expect("contact id")).await;
    s.wait_until("the exit", || async {
        s.enrollment(&wf).await["status"] == "exited"
    })
    .await;
    let (status, _) = s
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/enrollments/{id}/skip-wait"),
            None,
        )
        .await;
    assert_eq!(status, 409, "no wait to skip after the exit");
    assert_eq!(s.outbox().await.len(), 6);
    let (_, full) = s
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/enrollments/{id}"),
            None,
        )
        .await;
    assert_eq!(full["exit_reason"], "goal: appointment.booked");
}

/// The server's Cal.com signing secret (`CALCOM_WEBHOOK_SECRET`).
const CALCOM_SECRET: &str = "e2e-calcom-secret";

/// Books through the Cal.com webhook, signed with the server's secret the
/// way Cal.com signs it (`X-Cal-Signature-256`), as PAUTA's booking page
/// does; the lead is found by the attendee's email.
async fn book(s: &Server, _contact_id: &str) {
    let body = json!({
        "triggerEvent": "BOOKING_CREATED",
        "createdAt": "2026-03-02T16:00:00Z",
        "payload": {
            "uid": "e2e-booking-1", "title": "Reunión", "startTime": "2026-12-20T16:00:00Z",
            "endTime": "2026-12-20T16:30:00Z",
            "attendees": [{"email": "ana@example.com", "name": "Ana Gómez", "timeZone": "America/Mexico_City"}],
            "organizer": {"timeZone": "America/Mexico_City"},
            "responses": {"email": {"value": "ana@example.com"}}
        }
    });
    let res = s
        .http
        .post(format!("{}/webhooks/calcom/pauta", s.base))
        .header("content-type", "application/json")
        .header(
            "x-cal-signature-256",
            af_web::api::intake::calcom_signature(CALCOM_SECRET, body.to_string().as_bytes()),
        )
        .body(body.to_string())
        .send()
        .await
        .expect("calcom");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    assert!(status.is_success(), "Cal.com webhook: {status} {text}");
}
