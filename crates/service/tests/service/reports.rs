//! Reports against a hand-built fixture on a real database: leads counted
//! in the workspace's local days (a DST day in Santiago included), first
//! vs last touch, the funnel, messages, bookings, the CSV equal to the
//! series, and the roll-up that never reads a workspace the reader is not
//! a member of.

use af_core::contact::Attribution;
use af_core::reports::ReportName;
use af_core::vocab::{Channel, MessageStatus};
use af_core::{Actor, ContactId, Role, WorkspaceId};
use af_db::contacts::ContactInput;
use af_db::testing::{fresh_db, lead_input, pauta_workspace};
use af_db::workspaces::Workspace;
use af_db::{Db, Ts};
use af_service::reports::{self, ReportParams, ReportQuery};
use serde_json::{Value, json};

fn at(s: &str) -> Ts {
    Ts::new(s.parse().expect("instant"))
}

/// Noon on 2026-09-08 in Santiago: the fixture's days are just before.
fn now() -> Ts {
    at("2026-09-08T15:00:00Z")
}

async fn santiago(db: &Db) -> Workspace {
    let ws = pauta_workspace(db, at("2026-09-01T00:00:00Z")).await;
    af_db::testing::set_time_zone(db, ws.id, "America/Santiago").await;
    Workspace {
        time_zone: "America/Santiago".into(),
        ..ws
    }
}

fn touch(source: &str, campaign: &str) -> Attribution {
    Attribution {
        utm_source: Some(source.into()),
        utm_medium: Some("cpc".into()),
        utm_campaign: Some(campaign.into()),
        ..Default::default()
    }
}

async fn lead(
    db: &Db,
    ws: WorkspaceId,
    name: &str,
    source: &str,
    first: Option<Attribution>,
    created: Ts,
) -> ContactId {
    let mut input: ContactInput =
        lead_input(name, "Test", Some(&format!("{name}@example.com")), None);
    input.source = Some(source.into());
    input.attribution = first.unwrap_or_default();
    af_db::testing::insert_lead(db, ws, &input, created).await
}

fn query(ws: &Workspace, params: Value) -> ReportQuery {
    let p: ReportParams = serde_json::from_value(params).expect("params");
    ReportQuery::parse(&p, af_core::datetime::zone(&ws.time_zone), now()).expect("query")
}

fn column(series: &Value, name: &str) -> Vec<Value> {
    series
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r[name].clone())
        .collect()
}

#[tokio::test]
async fn leads_are_counted_in_local_days_across_a_dst_change() {
    let t = fresh_db().await;
    let db = t.db.clone();
    let ws = santiago(&db).await;
    // Chile's clocks jump from 00:00 to 01:00 on 2026-09-06 (UTC-4 → UTC-3).
    // 03:30Z on the 6th is 23:30 on the 5th; 03:30Z on the 7th is 00:30 on
    // the 7th (a fixed UTC-4 would say 23:30 on the 6th).
    lead(
        &db,
        ws.id,
        "ana",
        "facebook",
        None,
        at("2026-09-06T03:30:00Z"),
    )
    .await;
    lead(
        &db,
        ws.id,
        "bea",
        "facebook",
        None,
        at("2026-09-06T05:00:00Z"),
    )
    .await;
    lead(
        &db,
        ws.id,
        "cris",
        "google",
        None,
        at("2026-09-07T02:30:00Z"),
    )
    .await;
    lead(
        &db,
        ws.id,
        "dani",
        "google",
        None,
        at("2026-09-07T03:30:00Z"),
    )
    .await;
    lead(&db, ws.id, "eva", "", None, at("2026-09-07T12:00:00Z")).await;
    // Outside the period on both sides.
    lead(
        &db,
        ws.id,
        "fer",
        "facebook",
        None,
        at("2026-09-05T03:59:00Z"),
    )
    .await;
    lead(
        &db,
        ws.id,
        "gabi",
        "facebook",
        None,
        at("2026-09-08T03:00:00Z"),
    )
    .await;

    let q = query(&ws, json!({"from": "2026-09-05", "to": "2026-09-07"}));
    let r = reports::report(&db, ws.id, ReportName::LeadsBySource, &q)
        .await
        .expect("report");
    let j = r.to_json();
    assert_eq!(
        column(&j["series"], "day"),
        vec![
            json!("2026-09-05"),
            json!("2026-09-06"),
            json!("2026-09-07")
        ]
    );
    assert_eq!(
        column(&j["series"], "leads"),
        vec![json!(1), json!(2), json!(2)]
    );
    assert_eq!(
        column(&j["series"], "facebook"),
        vec![json!(1), json!(1), json!(0)]
    );
    assert_eq!(
        column(&j["series"], "google"),
        vec![json!(0), json!(1), json!(1)]
    );
    assert_eq!(j["totals"]["leads"], json!(5));
    // "eva" came with no source: counted, under "(none)".
    assert_eq!(
        column(&j["series"], "(none)"),
        vec![json!(0), json!(0), json!(1)]
    );

    // The CSV is the series, line for line.
    let csv = r.series.to_csv();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("day,leads,facebook,google,(none)"));
    assert_eq!(lines.next(), Some("2026-09-05,1,1,0,0"));
    assert_eq!(lines.next(), Some("2026-09-06,2,1,1,0"));
    assert_eq!(lines.next(), Some("2026-09-07,2,0,1,1"));
    assert_eq!(lines.next(), None);

    // A filter narrows every number.
    let q = query(
        &ws,
        json!({"from": "2026-09-05", "to": "2026-09-07", "source": "google"}),
    );
    let r = reports::report(&db, ws.id, ReportName::LeadsBySource, &q)
        .await
        .expect("report");
    assert_eq!(r.totals["leads"], 2);
}

#[tokio::test]
async fn attribution_counts_first_and_last_touch_apart() {
    let t = fresh_db().await;
    let db = t.db.clone();
    let ws = santiago(&db).await;
    let day = at("2026-09-07T15:00:00Z");
    // Ana came from "primavera" and converted on "verano"; Bea only from
    // "primavera"; Cris from nothing tracked.
    lead(
        &db,
        ws.id,
        "ana",
        "ads",
        Some(touch("facebook", "primavera")),
        day,
    )
    .await;
    let mut again = lead_input("ana", "Test", Some("ana@example.com"), None);
    again.attribution = touch("google", "verano");
    af_db::testing::insert_lead(&db, ws.id, &again, at("2026-09-07T16:00:00Z")).await;
    lead(
        &db,
        ws.id,
        "bea",
        "ads",
        Some(touch("facebook", "primavera")),
        day,
    )
    .await;
    lead(&db, ws.id, "cris", "ads", None, day).await;

    let q = query(&ws, json!({"period": "7"}));
    let r = reports::report(&db, ws.id, ReportName::LeadsBySource, &q)
        .await
        .expect("report");
    let attribution = r.to_json()["attribution"].clone();
    let row = |k: &str| {
        attribution
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["utm_campaign"] == json!(k))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        row("primavera"),
        json!({"utm_campaign": "primavera", "first_touch": 2, "last_touch": 1})
    );
    assert_eq!(
        row("verano"),
        json!({"utm_campaign": "verano", "first_touch": 0, "last_touch": 1})
    );
    assert_eq!(
        row("(none)"),
        json!({"utm_campaign": "(none)", "first_touch": 1, "last_touch": 1})
    );

    // Grouped by UTM source, last touch: Ana moves to google.
    let q = query(
        &ws,
        json!({"period": "7", "dim": "utm_source", "touch": "last"}),
    );
    let r = reports::report(&db, ws.id, ReportName::LeadsBySource, &q)
        .await
        .expect("report");
    let values = r.to_json()["values"].clone();
    assert!(
        values
            .as_array()
            .expect("rows")
            .contains(&json!({"utm_source": "google", "leads": 1, "share_pct": 33}))
    );
    assert!(
        values
            .as_array()
            .expect("rows")
            .contains(&json!({"utm_source": "facebook", "leads": 1, "share_pct": 33}))
    );
}

#[tokio::test]
async fn the_funnel_counts_deals_reached_and_won_or_lost_in_the_period() {
    let t = fresh_db().await;
    let db = t.db.clone();
    let ws = santiago(&db).await;
    let pipelines = af_db::pipelines::list_pipelines(&db, ws.id)
        .await
        .expect("pipelines");
    let p = &pipelines[0];
    let open: Vec<_> = p.stages.iter().filter(|s| s.kind == "open").collect();
    let won = p
        .stages
        .iter()
        .find(|s| s.kind == "won")
        .expect("won stage");
    let lost = p
        .stages
        .iter()
        .find(|s| s.kind == "lost")
        .expect("lost stage");
    let mut n = 0;
    let mut deal = |stage: af_core::StageId, value: i64, when: Ts| {
        n += 1;
        let name = format!("c{n}");
        let db = db.clone();
        let ws = ws.clone();
        async move {
            let c = lead(&db, ws.id, &name, "web", None, when).await;
            let req = af_service::deals::NewDealRequest {
                contact: af_service::deals::DealContact::Existing(c),
                pipeline_id: Some(p_id(&db, &ws).await),
                stage_id: Some(stage),
                title: name,
                value_minor: value,
                currency: Some("CLP".into()),
                owner_id: None,
            };
            af_service::deals::create_deal(&db, &ws, &req, &Actor::system(), when)
                .await
                .expect("deal");
        }
    };
    let t = at("2026-09-07T15:00:00Z");
    deal(open[0].id, 1000, t).await;
    deal(open[0].id, 1000, t).await;
    deal(open[1].id, 5000, t).await;
    deal(won.id, 9000, t).await;
    deal(lost.id, 300, t).await;
    // Won long ago: not in the period's won figures, still in the stage.
    deal(won.id, 7000, at("2026-01-01T12:00:00Z")).await;

    let q = query(&ws, json!({"period": "30"}));
    let r = reports::report(&db, ws.id, ReportName::Funnel, &q)
        .await
        .expect("report");
    let j = r.to_json();
    let series = j["series"].as_array().expect("rows").clone();
    let first = &series[0];
    assert_eq!(first["deals"], json!(2));
    // Reached the first stage: every deal still in the funnel or won.
    let open_after: i64 = 2 + 1 + 2;
    assert_eq!(first["reached"], json!(open_after));
    assert_eq!(series[1]["deals"], json!(1));
    assert_eq!(series[1]["reached"], json!(3));
    assert_eq!(series[1]["conversion_pct"], json!(60));
    let won_row = series
        .iter()
        .find(|s| s["kind"] == json!("won"))
        .expect("won row");
    assert_eq!(won_row["deals"], json!(2));
    assert_eq!(won_row["value_CLP"], json!("16000"));
    assert_eq!(j["totals"]["won"], json!(1));
    assert_eq!(j["totals"]["lost"], json!(1));
    assert_eq!(j["totals"]["deals"], json!(6));
}

async fn p_id(db: &Db, ws: &Workspace) -> af_core::PipelineId {
    af_db::pipelines::list_pipelines(db, ws.id)
        .await
        .expect("pipelines")[0]
        .pipeline
        .id
}

async fn message(
    db: &Db,
    ws: WorkspaceId,
    channel: Channel,
    provider: &str,
    status: MessageStatus,
    when: Ts,
) {
    let mut tx = db.begin().await.expect("tx");
    af_db::messages::insert_message(
        &mut tx,
        &af_db::messages::NewMessage {
            workspace: ws,
            channel,
            provider,
            to: "+56911111111",
            from: None,
            subject: None,
            body_text: "Hola",
            body_html: None,
            category: "marketing",
            status,
            contact_id: None,
            enrollment_id: None,
            step_id: None,
            idempotency_key: None,
        },
        when,
    )
    .await
    .expect("message");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn messages_count_by_channel_status_and_provider() {
    let t = fresh_db().await;
    let db = t.db.clone();
    let ws = santiago(&db).await;
    let t = at("2026-09-07T15:00:00Z");
    use MessageStatus as S;
    for s in [S::Sent, S::Delivered, S::Delivered, S::Replied, S::Failed] {
        message(&db, ws.id, Channel::Sms, "twilio", s, t).await;
    }
    for s in [S::Opened, S::Undelivered, S::Queued] {
        message(&db, ws.id, Channel::Email, "sendgrid", s, t).await;
    }
    let q = query(&ws, json!({"period": "7"}));
    let r = reports::report(&db, ws.id, ReportName::Messages, &q)
        .await
        .expect("report");
    let j = r.to_json();
    assert_eq!(j["totals"]["messages"], json!(8));
    assert_eq!(j["totals"]["failed"], json!(2));
    assert_eq!(j["totals"]["delivered"], json!(2));
    let sms = j["providers"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["channel"] == json!("sms"))
        .cloned()
        .expect("sms row");
    // 5 left our hands, 3 reached the person (2 delivered + 1 replied), 1 replied.
    assert_eq!(sms["sent"], json!(5));
    assert_eq!(sms["delivered"], json!(3));
    assert_eq!(sms["delivery_rate_pct"], json!(60));
    assert_eq!(sms["reply_rate_pct"], json!(33));

    let q = query(&ws, json!({"period": "7", "channel": "email"}));
    let r = reports::report(&db, ws.id, ReportName::Messages, &q)
        .await
        .expect("report");
    assert_eq!(r.totals["messages"], 3);
    let bad: ReportParams = serde_json::from_value(json!({"channel": "pigeon"})).expect("params");
    assert!(ReportQuery::parse(&bad, af_core::datetime::zone(&ws.time_zone), now()).is_err());
}

#[tokio::test]
async fn bookings_count_what_became_of_each_appointment() {
    let t = fresh_db().await;
    let db = t.db.clone();
    let ws = santiago(&db).await;
    let t = at("2026-09-07T15:00:00Z");
    let c = lead(&db, ws.id, "ana", "web", None, t).await;
    for status in ["booked", "cancelled", "no_show", "completed", "booked"] {
        let mut tx = db.begin().await.expect("tx");
        af_db::appointments::insert_appointment(
            &mut tx,
            ws.id,
            &af_db::appointments::AppointmentInput {
                contact_id: c,
                deal_id: None,
                title: "Asesoría".into(),
                starts_at: Some(at("2026-09-10T15:00:00Z")),
                ends_at: Some(at("2026-09-10T15:30:00Z")),
                time_zone: None,
                organizer_time_zone: None,
                status,
                source: "test",
                external_uid: None,
                metadata: json!({}),
            },
            t,
        )
        .await
        .expect("appointment");
        tx.commit().await.expect("commit");
    }
    let q = query(&ws, json!({"period": "7"}));
    let r = reports::report(&db, ws.id, ReportName::Bookings, &q)
        .await
        .expect("report");
    assert_eq!(r.totals["appointments"], 5);
    assert_eq!(r.totals["booked"], 2);
    assert_eq!(r.totals["no_show"], 1);
    let j = r.to_json();
    let last = j["series"]
        .as_array()
        .expect("rows")
        .last()
        .cloned()
        .expect("today");
    assert_eq!(last["day"], json!("2026-09-08"));
    let sept7 = j["series"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["day"] == json!("2026-09-07"))
        .cloned()
        .expect("day");
    assert_eq!(sept7["appointments"], json!(5));
    assert_eq!(sept7["cancelled"], json!(1));

    // The dashboard sees the two still booked as upcoming.
    let user = af_db::testing::insert_member(&db, ws.id, "dueña@example.com", Role::Owner).await;
    let d = reports::dashboard(&db, ws.id, user, &q)
        .await
        .expect("dashboard");
    assert_eq!(d.upcoming, 2);
    assert_eq!(d.leads_today.value, 0);
    assert_eq!(d.leads_7.value, 1);
}

#[tokio::test]
async fn the_roll_up_reads_only_the_readers_workspaces() {
    let t = fresh_db().await;
    let db = t.db.clone();
    let a = santiago(&db).await;
    let b = af_db::testing::workspace_named(&db, "cliente-b", at("2026-09-01T00:00:00Z")).await;
    let c = af_db::testing::workspace_named(&db, "ajena", at("2026-09-01T00:00:00Z")).await;
    let user = af_db::testing::insert_member(&db, a.id, "agencia@example.com", Role::Owner).await;
    af_db::testing::add_member(&db, b.id, user, Role::Admin).await;
    let t = at("2026-09-07T15:00:00Z");
    lead(&db, a.id, "ana", "web", None, t).await;
    lead(&db, b.id, "bea", "web", None, t).await;
    lead(&db, b.id, "cris", "web", None, t).await;
    // A workspace the reader does not belong to, with more than both.
    for i in 0..5 {
        lead(&db, c.id, &format!("x{i}"), "web", None, t).await;
    }
    message(&db, c.id, Channel::Sms, "twilio", MessageStatus::Sent, t).await;
    message(&db, b.id, Channel::Sms, "twilio", MessageStatus::Failed, t).await;

    let q = query(&a, json!({"period": "7"}));
    let acc = reports::accounts(&db, user, &q).await.expect("accounts");
    let ids: Vec<_> = acc.rows.iter().map(|r| r.workspace_id).collect();
    assert_eq!(acc.rows.len(), 2);
    assert!(ids.contains(&a.id.0) && ids.contains(&b.id.0));
    assert!(!ids.contains(&c.id.0));
    assert_eq!(acc.total.leads, 3);
    assert_eq!(acc.total.messages_sent, 0);
    assert_eq!(acc.total.failures, 1);
}

#[tokio::test]
async fn closed_days_are_stored_once_and_recounted_by_the_job() {
    let t = fresh_db().await;
    let db = t.db.clone();
    let ws = santiago(&db).await;
    let sept5 = at("2026-09-05T15:00:00Z");
    message(
        &db,
        ws.id,
        Channel::Sms,
        "twilio",
        MessageStatus::Sent,
        sept5,
    )
    .await;
    message(
        &db,
        ws.id,
        Channel::Sms,
        "twilio",
        MessageStatus::Sent,
        sept5,
    )
    .await;
    // Today's message is counted live.
    message(
        &db,
        ws.id,
        Channel::Email,
        "sendgrid",
        MessageStatus::Sent,
        now(),
    )
    .await;
    let q = query(&ws, json!({"period": "7"}));
    let r = reports::report(&db, ws.id, ReportName::Messages, &q)
        .await
        .expect("report");
    assert_eq!(r.totals["sent"], 3);
    let stored: i64 = af_db::with_pool!(&db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM report_days_done WHERE workspace_id = $1")
            .bind(ws.id.0).fetch_one(p).await.expect("count")
    });
    assert_eq!(stored, 6, "the six closed days of the period are stored");

    // A delivery report arrives for a closed day: the stored day still
    // says sent until the job recounts it.
    af_db::with_pool!(&db, p => {
        sqlx::query("UPDATE messages SET status = 'delivered' WHERE workspace_id = $1 AND channel = 'sms'")
            .bind(ws.id.0).execute(p).await.expect("update");
    });
    let r = reports::report(&db, ws.id, ReportName::Messages, &q)
        .await
        .expect("report");
    assert_eq!(r.totals["sent"], 3);
    assert_eq!(reports::refresh(&db, now(), 7).await.expect("refresh"), 1);
    let r = reports::report(&db, ws.id, ReportName::Messages, &q)
        .await
        .expect("report");
    assert_eq!(r.totals["sent"], 1);
    assert_eq!(r.totals["delivered"], 2);

    // Stored and live agree: the same period through a filter the roll-up
    // cannot serve (an owner) counts the same leads.
    lead(&db, ws.id, "ana", "web", None, sept5).await;
    reports::refresh(&db, now(), 7).await.expect("refresh");
    let rolled = reports::report(&db, ws.id, ReportName::LeadsBySource, &q)
        .await
        .expect("report");
    let live_q = query(&ws, json!({"period": "7", "dim": "utm_medium"}));
    let live = reports::report(&db, ws.id, ReportName::LeadsBySource, &live_q)
        .await
        .expect("report");
    assert_eq!(rolled.totals["leads"], 1);
    assert_eq!(live.totals["leads"], rolled.totals["leads"]);
}
