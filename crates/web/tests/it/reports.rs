//! Dashboards and reports (issue 19) through HTTP on the backend chosen by
//! `AF_TEST_BACKEND`: the API's JSON and CSV carry the same rows, a chart's
//! CSV holds the numbers drawn, bad requests are refused with the field
//! named, a hostile source is escaped, each workspace sees only its own
//! numbers, and "Todas mis cuentas" lists only the reader's workspaces.

use af_db::testing::{insert_lead, lead_input};
use af_testkit::{Api, Browser, Tenant, TestApp, two_workspaces};
use serde_json::Value;

async fn owner(app: &TestApp, t: &Tenant) -> Browser {
    let b = app.browser();
    b.login(&t.owner_email, &t.password).await;
    b
}

async fn leads(app: &TestApp, t: &Tenant, source: &str, n: usize) {
    for i in 0..n {
        let mut input = lead_input(
            &format!("{source}{i}"),
            "Lead",
            Some(
                &format!("{i}.{source}@{}.test", t.ws.slug).replace(['<', '>', '/', '(', ')'], ""),
            ),
            None,
        );
        input.source = Some(source.to_string());
        insert_lead(&app.db, t.ws.id, &input, app.now()).await;
    }
}

async fn csv_of(app: &TestApp, t: &Tenant, path: &str) -> (u16, String, String) {
    let res = app
        .http()
        .get(app.url(path))
        .bearer_auth(&t.api_key)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, ct, res.text().await.expect("body"))
}

/// A JSON row as the CSV writes it (plain values: no quoting needed).
fn csv_line(columns: &[String], row: &Value) -> String {
    columns
        .iter()
        .map(|c| match &row[c] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test]
async fn the_api_returns_series_and_totals_and_the_same_rows_as_csv() {
    let two = two_workspaces().await;
    let (app, a, b) = (&two.app, &two.a, &two.b);
    leads(app, a, "facebook", 3).await;
    leads(app, b, "google", 7).await;
    let api = Api::of(app, a);

    let (status, j) = api
        .call("GET", "/api/v1/reports/leads_by_source?period=7", None)
        .await;
    assert_eq!(status, 200, "{j}");
    let series = j["series"].as_array().expect("series");
    assert_eq!(series.len(), 7);
    // The tenant's seeded contact plus its three: never the other's seven.
    assert_eq!(j["totals"]["leads"], 4);
    assert!(series.iter().all(|r| r.get("google").is_none()));
    let today = series.last().expect("today");
    assert_eq!(today["facebook"], 3);

    let (status, ct, csv) = csv_of(
        app,
        a,
        "/api/v1/reports/leads_by_source?period=7&format=csv",
    )
    .await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let mut lines = csv.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    for (row, line) in series.iter().zip(lines) {
        assert_eq!(csv_line(&header, row), line);
    }

    for name in ["funnel", "automations", "messages", "bookings"] {
        let (status, j) = api
            .call("GET", &format!("/api/v1/reports/{name}?period=30"), None)
            .await;
        assert_eq!(status, 200, "{name}: {j}");
        assert!(
            j["series"].is_array() && j["totals"].is_object(),
            "{name}: {j}"
        );
    }
    let (status, _) = api
        .call("GET", "/api/v1/reports/funnel?period=30&pipeline=", None)
        .await;
    assert_eq!(status, 200);
    let (status, csv) = {
        let (s, _, body) = csv_of(app, a, "/api/v1/reports/funnel?format=csv&table=won_lost").await;
        (s, body)
    };
    assert_eq!(status, 200);
    assert!(csv.starts_with("outcome,reason,deals"), "{csv}");
}

#[tokio::test]
async fn bad_report_requests_are_refused_and_name_the_field() {
    let two = two_workspaces().await;
    let (app, a, b) = (&two.app, &two.a, &two.b);
    let api = Api::of(app, a);
    let (status, _) = api.call("GET", "/api/v1/reports/nope", None).await;
    assert_eq!(status, 404);
    let (status, j) = api
        .call(
            "GET",
            "/api/v1/reports/messages?from=2026-03-09&to=2026-03-01",
            None,
        )
        .await;
    assert_eq!(status, 422, "{j}");
    assert!(j["error"]["fields"]["from"].is_string(), "{j}");
    let (status, j) = api
        .call("GET", "/api/v1/reports/messages?channel=pigeon", None)
        .await;
    assert_eq!(status, 422, "{j}");
    let (status, j) = api
        .call(
            "GET",
            "/api/v1/reports/leads_by_source?owner=not-an-id",
            None,
        )
        .await;
    assert_eq!(status, 422, "{j}");
    // Another workspace's pipeline is no pipeline of this one.
    let (status, j) = api
        .call(
            "GET",
            &format!("/api/v1/reports/funnel?pipeline={}", b.pipeline_id),
            None,
        )
        .await;
    assert_eq!(status, 422, "{j}");
    let (status, _) = api
        .call("GET", "/api/v1/reports/funnel?format=xml", None)
        .await;
    assert_eq!(status, 422);
    let res = app
        .http()
        .get(app.url("/api/v1/reports/funnel"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn pages_draw_the_numbers_their_csv_downloads_hold() {
    let two = two_workspaces().await;
    let (app, a, b) = (&two.app, &two.a, &two.b);
    leads(app, a, "facebook", 2).await;
    leads(app, a, "<script>alert(1)</script>", 1).await;
    leads(app, b, "google", 5).await;
    let br = owner(app, a).await;

    let dash = br.get("/dashboard?period=7").await;
    assert_eq!(dash.status, 200);
    assert!(dash.contains("Leads nuevos hoy"));
    assert!(dash.contains("data-testid=\"kpis\""));
    assert!(
        !dash.body.contains("<script>alert(1)"),
        "a hostile label is escaped"
    );
    assert!(dash.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !dash.contains("google"),
        "another workspace's source never shows"
    );

    // The chart's CSV: one line per day, and each day's numbers sum to the
    // API's count for that day.
    assert!(dash.contains("Ver tabla"));
    let chart = br
        .get("/reports/leads_by_source/charts/leads-by-day?period=7")
        .await;
    assert_eq!(chart.status, 200);
    let api = Api::of(app, a);
    let (_, j) = api
        .call("GET", "/api/v1/reports/leads_by_source?period=7", None)
        .await;
    let per_day: Vec<i64> = j["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|r| r["leads"].as_i64().expect("leads"))
        .collect();
    let mut rd = csv::Reader::from_reader(chart.body.as_bytes());
    let drawn: Vec<i64> = rd
        .records()
        .map(|r| {
            let r = r.expect("record");
            r.iter()
                .skip(1)
                .map(|v| v.trim_start_matches('\'').parse::<f64>().expect("number") as i64)
                .sum()
        })
        .collect();
    assert_eq!(drawn, per_day);

    for path in [
        "/reports/leads_by_source?period=30&dim=utm_campaign&touch=last",
        "/reports/funnel",
        "/reports/automations?period=90",
        "/reports/messages?channel=sms",
        "/reports/bookings",
    ] {
        let p = br.get(path).await;
        assert_eq!(p.status, 200, "{path}");
        assert!(p.contains("Descargar CSV"), "{path}");
    }
    let table = br
        .get("/reports/leads_by_source/tables/values?period=7")
        .await;
    assert_eq!(table.status, 200);
    assert!(table.body.starts_with("source,leads,share_pct"));
    assert_eq!(br.get("/reports/nope").await.status, 404);
    assert_eq!(
        br.get("/reports/funnel/charts/leads-by-day").await.status,
        404
    );
    assert_eq!(br.get("/reports/funnel/tables/nope").await.status, 404);
    let redirect = br.get("/reports?period=7").await;
    assert_eq!(
        redirect.location.as_deref(),
        Some("/reports/leads_by_source?period=7")
    );

    // A bad period is explained, and the page still answers.
    let bad = br.get("/dashboard?from=2026-03-09&to=2026-03-01").await;
    assert_eq!(bad.status, 200);
    assert!(bad.contains("Ese periodo no es válido"));
    let bad = br
        .get(&format!("/reports/funnel?pipeline={}", b.pipeline_id))
        .await;
    assert_eq!(bad.status, 200);
    assert!(bad.contains("Un filtro no es válido"));
}

#[tokio::test]
async fn all_my_accounts_lists_only_the_readers_workspaces() {
    let two = two_workspaces().await;
    let (app, a, b) = (&two.app, &two.a, &two.b);
    leads(app, a, "facebook", 2).await;
    leads(app, b, "google", 5).await;
    let br = owner(app, a).await;
    let page = br.get("/accounts?period=7").await;
    assert_eq!(page.status, 200);
    assert!(page.contains(&a.ws.name));
    assert!(!page.contains(&b.ws.name));
    assert_eq!(page.body.matches("data-testid=\"account-row\"").count(), 1);
    let by_day = br
        .get("/accounts/charts/accounts-leads-by-day?period=7")
        .await;
    assert_eq!(by_day.status, 200);
    // Today's line sums the reader's accounts only: the seeded contact and two.
    let today = by_day.body.lines().last().expect("today");
    assert!(today.ends_with(",3"), "{today}");
    assert_eq!(br.get("/accounts/charts/nope").await.status, 404);
    let csv = br.get("/accounts/charts/accounts?period=7").await;
    assert_eq!(csv.status, 200);
    assert!(csv.contains(&a.ws.name));
    assert!(!csv.contains(&b.ws.name));
}
