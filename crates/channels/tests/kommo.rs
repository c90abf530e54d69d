//! Kommo client against a local fake: auth, body shape, batching by 50, and
//! pacing computed by the limiter (the injected pace records waits instead of
//! sleeping).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use af_channels::config::{Secret, UtmFieldIds};
use af_channels::kommo::{
    ContactInput, KommoClient, KommoConfig, KommoLimiters, KommoPacing, LeadInput, Pace,
    PaceFuture, Utm,
};
use af_channels::ssrf::SsrfPolicy;
use common::{Recorded, Reply, install_crypto, start};
use serde_json::json;

/// A fake clock: `sleep` records the wait and moves time forward at once.
#[derive(Debug)]
struct FakePace {
    start: Instant,
    offset: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl FakePace {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
            sleeps: Mutex::new(Vec::new()),
        })
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().expect("lock").clone()
    }
}

impl Pace for FakePace {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().expect("lock")
    }

    fn sleep(&self, d: Duration) -> PaceFuture<'_> {
        self.sleeps.lock().expect("lock").push(d);
        *self.offset.lock().expect("lock") += d;
        Box::pin(async {})
    }
}

fn config(base: &str) -> KommoConfig {
    KommoConfig {
        base_url: base.to_owned(),
        access_token: Secret::new("kommo-token"),
        pipeline_id: 77,
        status_id_inicial: 1001,
        status_id_agendado: Some(1002),
        field_id_empresa: Some(11),
        field_id_servicio: Some(12),
        field_id_fuente: Some(13),
        utm_field_ids: UtmFieldIds {
            source: Some(21),
            ..UtmFieldIds::default()
        },
    }
}

fn client(base: &str, pace: Arc<FakePace>, policy: SsrfPolicy) -> KommoClient {
    install_crypto();
    KommoClient::new(
        config(base),
        Duration::from_secs(5),
        policy,
        KommoPacing::InProcess(KommoLimiters::default(), pace),
    )
}

const INTRANET: SsrfPolicy = SsrfPolicy {
    allow_private: true,
};

fn lead(i: usize) -> LeadInput {
    LeadInput {
        name: format!("Lead {i}"),
        company: Some("Acme".into()),
        service: Some("Pilates".into()),
        source: Some("formulario".into()),
        utm: Utm {
            source: Some("google".into()),
            campaign: Some("verano".into()),
            ..Utm::default()
        },
        contact: ContactInput {
            name: format!("Ana {i}"),
            email: Some(format!("ana{i}@x.test")),
            phone: Some("+525512345678".into()),
        },
        request_id: Some(format!("r{i}")),
        status_id: None,
    }
}

/// Answers a complex call with one created lead per input lead.
fn complex_answer(r: &Recorded) -> Reply {
    let leads = r.json();
    let n = leads.as_array().map_or(0, Vec::len);
    let out: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            json!({
                "id": 5000 + i,
                "contact_id": 9000 + i,
                "company_id": null,
                "request_id": [leads[i]["request_id"].clone()],
                "merged": i == 0,
            })
        })
        .collect();
    Reply::new(200, &serde_json::Value::Array(out).to_string())
}

#[tokio::test]
async fn creates_leads_with_the_documented_body() {
    let fake = start(complex_answer).await;
    let pace = FakePace::new();
    let created = client(&fake.base, pace, INTRANET)
        .create_leads(&[lead(1)])
        .await
        .expect("created");
    assert_eq!(created.len(), 1);
    assert_eq!(
        (created[0].id, created[0].contact_id, created[0].merged),
        (5000, Some(9000), true)
    );
    assert_eq!(created[0].request_id, vec!["r1"]);

    let r = fake.only_request();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/v4/leads/complex")
    );
    assert_eq!(r.header("authorization"), Some("Bearer kommo-token"));
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    let b = r.json();
    let l = &b[0];
    assert_eq!(l["name"], "Lead 1");
    assert_eq!(l["pipeline_id"], 77);
    assert_eq!(l["status_id"], 1001);
    assert_eq!(l["request_id"], "r1");
    let fields = l["custom_fields_values"].as_array().expect("fields");
    let find = |key: &str, val: serde_json::Value| {
        fields
            .iter()
            .find(|f| f[key] == val)
            .map(|f| f["values"][0]["value"].clone())
    };
    assert_eq!(find("field_id", json!(11)), Some(json!("Acme")));
    assert_eq!(find("field_id", json!(12)), Some(json!("Pilates")));
    assert_eq!(find("field_id", json!(13)), Some(json!("formulario")));
    assert_eq!(
        find("field_id", json!(21)),
        Some(json!("google")),
        "configured UTM id"
    );
    assert_eq!(
        find("field_code", json!("UTM_CAMPAIGN")),
        Some(json!("verano")),
        "tracking field code"
    );
    let c = &l["_embedded"]["contacts"][0];
    assert_eq!(c["name"], "Ana 1");
    assert_eq!(c["custom_fields_values"][0]["field_code"], "EMAIL");
    assert_eq!(
        c["custom_fields_values"][0]["values"][0]["value"],
        "ana1@x.test"
    );
    assert_eq!(c["custom_fields_values"][1]["field_code"], "PHONE");
    assert_eq!(
        c["custom_fields_values"][1]["values"][0]["value"],
        "+525512345678"
    );
    assert!(
        l["_embedded"].get("companies").is_none(),
        "company goes in its field"
    );
}

#[tokio::test]
async fn batches_of_fifty_paced_below_seven_per_second() {
    let fake = start(complex_answer).await;
    let pace = FakePace::new();
    let c = client(&fake.base, pace.clone(), INTRANET);
    let leads: Vec<LeadInput> = (0..420).map(lead).collect();
    let created = c.create_leads(&leads).await.expect("created");
    assert_eq!(created.len(), 420);
    assert_eq!(created[419].request_id, vec!["r419"]);

    let sizes: Vec<usize> = fake
        .requests()
        .iter()
        .map(|r| r.json().as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [50, 50, 50, 50, 50, 50, 50, 50, 20]);

    // The first call goes at once; every later one waited for its slot, so
    // no seven calls fall inside one second (computed waits, not wall time).
    let sleeps = pace.sleeps();
    assert_eq!(sleeps.len(), 8, "{sleeps:?}");
    let mut t = Duration::ZERO;
    let mut starts = vec![t];
    for s in &sleeps {
        t += *s;
        starts.push(t);
    }
    for w in starts.windows(7) {
        assert!(w[6] - w[0] >= Duration::from_secs(1), "{starts:?}");
    }
}

#[tokio::test]
async fn the_limiter_is_shared_per_account() {
    let fake = start(complex_answer).await;
    let pace = FakePace::new();
    let limiters = KommoLimiters::default();
    install_crypto();
    let a = KommoClient::new(
        config(&fake.base),
        Duration::from_secs(5),
        INTRANET,
        KommoPacing::InProcess(limiters.clone(), pace.clone()),
    );
    let b = KommoClient::new(
        config(&fake.base),
        Duration::from_secs(5),
        INTRANET,
        KommoPacing::InProcess(limiters, pace.clone()),
    );
    a.create_leads(&[lead(1)]).await.expect("a");
    b.create_leads(&[lead(2)]).await.expect("b");
    assert_eq!(
        pace.sleeps().len(),
        1,
        "the second client waited for the first one's slot"
    );
}

#[tokio::test]
async fn moves_a_lead_to_the_booked_status() {
    let fake = start(|_| {
        Reply::new(
            200,
            r#"{"_links":{},"_embedded":{"leads":[{"id":5000,"updated_at":1}]}}"#,
        )
    })
    .await;
    client(&fake.base, FakePace::new(), INTRANET)
        .mark_booked(5000)
        .await
        .expect("moved");
    let r = fake.only_request();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("PATCH", "/api/v4/leads")
    );
    assert_eq!(r.header("authorization"), Some("Bearer kommo-token"));
    assert_eq!(
        r.json(),
        json!([{ "id": 5000, "status_id": 1002, "pipeline_id": 77 }])
    );
}

#[tokio::test]
async fn errors_classify_and_private_bases_are_refused() {
    let fake = start(|_| Reply::new(429, "").header("Retry-After", "2")).await;
    let e = client(&fake.base, FakePace::new(), INTRANET)
        .create_leads(&[lead(1)])
        .await
        .expect_err("429");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));

    let fake = start(|_| {
        Reply::new(
            400,
            r#"{"title":"Bad Request","status":400,"detail":"Request validation failed","validation-errors":[{"request_id":"0"}]}"#,
        )
    })
    .await;
    let e = client(&fake.base, FakePace::new(), INTRANET)
        .create_leads(&[lead(1)])
        .await
        .expect_err("400");
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("Request validation failed"), "{e}");

    let fake = start(|_| Reply::new(401, r#"{"title":"Unauthorized","status":401}"#)).await;
    assert!(
        !client(&fake.base, FakePace::new(), INTRANET)
            .move_lead(1, 2)
            .await
            .expect_err("401")
            .is_retryable()
    );

    // Kommo base URLs can be set per workspace: without allow_private the
    // local fake is refused before any request.
    let fake = start(complex_answer).await;
    let e = client(&fake.base, FakePace::new(), SsrfPolicy::default())
        .create_leads(&[lead(1)])
        .await
        .expect_err("refused");
    assert!(!e.is_retryable());
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn one_batch_is_at_most_fifty() {
    let fake = start(complex_answer).await;
    let c = client(&fake.base, FakePace::new(), INTRANET);
    let leads: Vec<LeadInput> = (0..51).map(lead).collect();
    assert!(
        !c.create_batch(&leads)
            .await
            .expect_err("too many")
            .is_retryable()
    );
    assert!(c.create_batch(&[]).await.expect("empty").is_empty());
    assert!(fake.requests().is_empty());
    assert_eq!(c.create_batch(&leads[..50]).await.expect("50").len(), 50);
}
