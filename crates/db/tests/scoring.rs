//! The scoring ledger on the backend chosen by `AF_TEST_BACKEND` (issue
//! 17's "Done means"): random activities with replays keep every cached
//! score equal to its ledger's sum with each (rule, source) once;
//! thresholds enter and leave with hysteresis; a threshold created after
//! the fact enters the contacts above it once; decay run twice changes
//! nothing the second time.

use af_core::scoring::{Frequency, Group, Limits, RuleSpec};
use af_core::{Actor, ContactId, ThresholdId, WorkspaceId};
use af_db::recalculations;
use af_db::scoring::{self, NewActivity, Scorer};
use af_db::testing::{fresh_db, insert_lead, lead_input, pauta_workspace};
use af_db::{Db, Ts, with_pool};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

fn t0() -> Ts {
    Ts::new("2026-12-07T15:00:00Z".parse::<Timestamp>().expect("time"))
}

fn rule(name: &str, on: &str, points: i64, frequency: Frequency, group: Group) -> RuleSpec {
    RuleSpec {
        name: name.into(),
        on_type: on.into(),
        filter: Default::default(),
        points,
        frequency,
        group,
        active: true,
    }
}

async fn events_of(db: &Db, ws: WorkspaceId, kind: &str) -> i64 {
    with_pool!(db, p => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM events WHERE workspace_id = $1 AND kind = $2")
            .bind(ws.0).bind(kind).fetch_one(p).await.expect("count")
    })
}

async fn score(db: &Db, ws: WorkspaceId, c: ContactId) -> i64 {
    scoring::scores_of(db, ws, c)
        .await
        .expect("scores")
        .expect("contact")
        .total
}

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The rules, caps and threshold the random tests score with: every
/// frequency, both groups, a filter, a penalty.
async fn seed_rules(db: &Db, ws: WorkspaceId, now: Ts) {
    let mut tx = db.begin().await.expect("tx");
    let mut purchase = rule(
        "Big purchase",
        "purchase",
        7,
        Frequency::EveryDays(3),
        Group::Fit,
    );
    purchase.filter = json!({"amount": {"gte": 5000}})
        .as_object()
        .cloned()
        .unwrap_or_default();
    for spec in [
        rule("Visit", "visit", 3, Frequency::Always, Group::Engagement),
        rule(
            "First open",
            "email_opened",
            5,
            Frequency::Once,
            Group::Engagement,
        ),
        purchase,
        rule("Profile", "form_submitted", 40, Frequency::Once, Group::Fit),
        rule(
            "Reply penalty",
            "message_replied",
            -4,
            Frequency::Always,
            Group::Engagement,
        ),
        rule(
            "Weekly class",
            "class_booked",
            6,
            Frequency::EveryDays(7),
            Group::Engagement,
        ),
    ] {
        scoring::insert_rule(&mut tx, ws, &spec, now)
            .await
            .expect("rule");
    }
    let limits = Limits {
        fit_cap: Some(60),
        engagement_cap: Some(150),
        total_cap: Some(200),
        floor: 0,
    };
    scoring::set_limits(&mut tx, ws, &limits, now)
        .await
        .expect("limits");
    scoring::insert_threshold(&mut tx, ws, "Hot Lead", 70, 60, now)
        .await
        .expect("threshold");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn random_activities_with_replays_keep_cache_equal_to_ledger() {
    let tdb = fresh_db().await;
    let db = &tdb.db;
    let mut now = t0();
    let ws = pauta_workspace(db, now).await.id;
    seed_rules(db, ws, now).await;

    let mut contacts = Vec::new();
    for i in 0..200 {
        let input = lead_input(
            "Lead",
            &format!("{i}"),
            Some(&format!("lead{i}@example.com")),
            None,
        );
        contacts.push(insert_lead(db, ws, &input, now).await);
    }
    let types = [
        "visit",
        "email_opened",
        "purchase",
        "form_submitted",
        "message_replied",
        "class_booked",
        "custom.thing",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let mut sent: Vec<(ContactId, &str, String, serde_json::Value)> = Vec::new();
    let actor = Actor::system();
    let (total, batch) = (10_000, 250);
    let mut replays = 0;
    let mut k = 0;
    while k < total {
        let mut tx = db.begin().await.expect("tx");
        let scorer = Scorer::load(&mut tx, ws).await.expect("scorer");
        for _ in 0..batch {
            k += 1;
            now = Ts::new(now.0 + SignedDuration::from_mins(rng.below(90) as i64));
            let item = if !sent.is_empty() && rng.below(5) == 0 {
                replays += 1;
                sent[rng.below(sent.len() as u64) as usize].clone()
            } else {
                let kind = types[rng.below(types.len() as u64) as usize];
                let data = if kind == "purchase" {
                    json!({"amount": rng.below(10_000) as i64, "currency": "MXN"})
                } else {
                    json!({})
                };
                let c = contacts[rng.below(contacts.len() as u64) as usize];
                let item = (c, kind, format!("key-{k}"), data);
                sent.push(item.clone());
                item
            };
            let a = NewActivity {
                contact: item.0,
                kind: item.1.into(),
                occurred_at: now,
                source: "test".into(),
                data: item.3,
                idempotency_key: Some(item.2),
            };
            let rec = scoring::record_activity(&mut tx, ws, &scorer, &a, &actor, now)
                .await
                .expect("record");
            // A retried job replays a workflow step's score change too.
            if rng.below(50) == 0 {
                let run = format!("run-{}", rng.below(100));
                for _ in 0..2 {
                    let line = scoring::Line {
                        rule_key: "workflow".into(),
                        source_key: run.clone(),
                        points: 10,
                        group: Group::Engagement,
                        reason: "workflow".into(),
                        activity_id: None,
                    };
                    scoring::apply_points(
                        &mut tx, ws, &scorer, a.contact, &line, None, &actor, now,
                    )
                    .await
                    .expect("apply");
                }
            }
            assert!(!rec.activity.id.is_nil());
        }
        tx.commit().await.expect("commit");
    }
    assert!(replays > 1500, "about 20 % replays: {replays}");

    assert_eq!(
        scoring::ledger_mismatches(db, ws).await.expect("check"),
        vec![]
    );
    let (activities, keys, dupes, below_floor, over_caps): (i64, i64, i64, i64, i64) = with_pool!(db, p => {
        let a: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activities WHERE workspace_id = $1")
            .bind(ws.0).fetch_one(p).await.expect("count");
        let k: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT idempotency_key) FROM activities WHERE workspace_id = $1")
            .bind(ws.0).fetch_one(p).await.expect("count");
        let d: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT contact_id, rule_key, source_key FROM score_ledger WHERE workspace_id = $1
               GROUP BY contact_id, rule_key, source_key HAVING COUNT(*) > 1) x")
            .bind(ws.0).fetch_one(p).await.expect("count");
        let f: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE workspace_id = $1 AND score < 0")
            .bind(ws.0).fetch_one(p).await.expect("count");
        let o: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1 AND (score_fit > 60 OR score_engagement > 150 OR score > 200)")
            .bind(ws.0).fetch_one(p).await.expect("count");
        (a, k, d, f, o)
    });
    assert_eq!(
        activities,
        (total - replays) as i64,
        "a replayed key records nothing"
    );
    assert_eq!(activities, keys);
    assert_eq!(dupes, 0, "each (rule, source) once per contact");
    assert_eq!(below_floor, 0, "the floor holds");
    assert_eq!(over_caps, 0, "the caps hold");
    // Once-rules scored under the one key `once`.
    for r in scoring::list_rules(db, ws).await.expect("rules") {
        if r.frequency != "once" {
            continue;
        }
        let other: i64 = with_pool!(db, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM score_ledger WHERE workspace_id = $1 AND rule_key = $2 AND source_key <> 'once'")
                .bind(ws.0).bind(r.id.to_string()).fetch_one(p).await.expect("count")
        });
        assert_eq!(other, 0);
    }
    let top = scoring::top_leads(db, ws, 5).await.expect("top");
    assert_eq!(top.len(), 5);
    assert!(top.windows(2).all(|w| w[0].score >= w[1].score));
    let hist = scoring::score_histogram(db, ws, 10)
        .await
        .expect("histogram");
    assert_eq!(hist.iter().map(|(_, n)| n).sum::<i64>(), 200);
}

/// A second workspace beside PAUTA's.
async fn other_workspace(db: &Db, now: Ts) -> WorkspaceId {
    let mut tx = db.begin().await.expect("tx");
    let ws = af_db::workspaces::insert_workspace(
        &mut tx,
        &af_db::workspaces::NewWorkspace {
            slug: "otra".into(),
            name: "Otra".into(),
            time_zone: "America/Mexico_City".into(),
            locale: af_core::Locale::Es,
            country: "MX".into(),
        },
        now,
    )
    .await
    .expect("workspace");
    tx.commit().await.expect("commit");
    ws.id
}

/// The set-based batch path scores exactly as recording the same items
/// one by one: two workspaces with the same rules get the same stream
/// (replays, keys repeated inside a batch, batches of 1 to 300), one item
/// at a time in one and whole batches in the other.
#[tokio::test]
async fn batches_score_as_one_by_one() {
    let tdb = fresh_db().await;
    let db = &tdb.db;
    let mut now = t0();
    let one = pauta_workspace(db, now).await.id;
    let many = other_workspace(db, now).await;
    let mut people: Vec<(ContactId, ContactId)> = Vec::new();
    for ws in [one, many] {
        seed_rules(db, ws, now).await;
    }
    for i in 0..60 {
        let input = lead_input(
            "Lead",
            &format!("{i}"),
            Some(&format!("lead{i}@example.com")),
            None,
        );
        let a = insert_lead(db, one, &input, now).await;
        let b = insert_lead(db, many, &input, now).await;
        people.push((a, b));
    }
    let types = [
        "visit",
        "email_opened",
        "purchase",
        "form_submitted",
        "message_replied",
        "class_booked",
        "custom.thing",
    ];
    let mut rng = Rng(0x0bad_cafe_1234_5678);
    let mut keys: Vec<String> = Vec::new();
    let actor = Actor::system();
    let mut sent = 0;
    while sent < 3_000 {
        now = Ts::new(now.0 + SignedDuration::from_hours(rng.below(60) as i64));
        let size = 1 + rng.below(300) as usize;
        let mut batch: Vec<(usize, &str, String, serde_json::Value)> = Vec::with_capacity(size);
        for _ in 0..size {
            sent += 1;
            let key = if !keys.is_empty() && rng.below(5) == 0 {
                keys[rng.below(keys.len() as u64) as usize].clone()
            } else {
                let k = format!("key-{sent}");
                keys.push(k.clone());
                k
            };
            let kind = types[rng.below(types.len() as u64) as usize];
            let data = json!({"amount": rng.below(10_000) as i64, "currency": "MXN"});
            batch.push((rng.below(people.len() as u64) as usize, kind, key, data));
        }
        let item =
            |ws_many: bool, (who, kind, key, data): &(usize, &str, String, serde_json::Value)| {
                NewActivity {
                    contact: if ws_many {
                        people[*who].1
                    } else {
                        people[*who].0
                    },
                    kind: (*kind).into(),
                    occurred_at: now,
                    source: "test".into(),
                    data: data.clone(),
                    idempotency_key: Some(key.clone()),
                }
            };
        let mut tx = db.begin().await.expect("tx");
        let scorer = Scorer::load(&mut tx, one).await.expect("scorer");
        let mut singles = Vec::new();
        for b in &batch {
            let rec = scoring::record_activity(&mut tx, one, &scorer, &item(false, b), &actor, now)
                .await
                .expect("record");
            singles.push(rec.created);
        }
        tx.commit().await.expect("commit");
        let mut tx = db.begin().await.expect("tx");
        let scorer = Scorer::load(&mut tx, many).await.expect("scorer");
        let items: Vec<NewActivity> = batch.iter().map(|b| item(true, b)).collect();
        let recs = scoring::record_activities(&mut tx, many, &scorer, &items, &actor, now)
            .await
            .expect("record batch");
        tx.commit().await.expect("commit");
        assert_eq!(recs.iter().map(|r| r.created).collect::<Vec<_>>(), singles);
        for (r, b) in recs.iter().zip(&batch) {
            assert_eq!(r.activity.idempotency_key.as_deref(), Some(b.2.as_str()));
        }
    }
    for (a, b) in &people {
        assert_eq!(
            scoring::scores_of(db, one, *a).await.expect("a"),
            scoring::scores_of(db, many, *b).await.expect("b"),
        );
    }
    for kind in [
        "activity.recorded",
        "contact.first_visit",
        "contact.score_changed",
        "score.threshold_entered",
        "score.threshold_exited",
    ] {
        assert_eq!(
            events_of(db, one, kind).await,
            events_of(db, many, kind).await,
            "{kind}"
        );
    }
    assert!(events_of(db, many, "score.threshold_entered").await > 0);
    for ws in [one, many] {
        assert_eq!(
            scoring::ledger_mismatches(db, ws).await.expect("check"),
            vec![]
        );
    }
}

async fn nudge(db: &Db, ws: WorkspaceId, c: ContactId, delta: i64, run: &str, now: Ts) {
    let mut tx = db.begin().await.expect("tx");
    scoring::change_score(
        &mut tx,
        ws,
        c,
        delta,
        "workflow",
        run,
        "test",
        &Actor::system(),
        now,
    )
    .await
    .expect("change");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn thresholds_enter_and_leave_with_hysteresis() {
    let tdb = fresh_db().await;
    let db = &tdb.db;
    let now = t0();
    let ws = pauta_workspace(db, now).await.id;
    let mut tx = db.begin().await.expect("tx");
    let hot = scoring::insert_threshold(&mut tx, ws, "Hot Lead", 70, 60, now)
        .await
        .expect("t");
    tx.commit().await.expect("commit");
    let c = insert_lead(
        db,
        ws,
        &lead_input("Ana", "H", Some("ana@example.com"), None),
        now,
    )
    .await;
    let entered = "score.threshold_entered";
    let exited = "score.threshold_exited";

    nudge(db, ws, c, 69, "r1", now).await;
    nudge(db, ws, c, 2, "r2", now).await; // 71
    nudge(db, ws, c, -2, "r3", now).await; // 69
    nudge(db, ws, c, 2, "r4", now).await; // 71
    nudge(db, ws, c, 2, "r4", now).await; // a replay: still 71
    assert_eq!(score(db, ws, c).await, 71);
    assert_eq!(
        events_of(db, ws, entered).await,
        1,
        "69 → 71 → 69 → 71 enters once"
    );
    assert!(scoring::is_member(db, ws, hot.id, c).await.expect("member"));
    nudge(db, ws, c, -12, "r5", now).await; // 59
    assert_eq!(events_of(db, ws, exited).await, 1, "71 → 59 exits once");
    nudge(db, ws, c, -5, "r6", now).await; // 54
    assert_eq!(events_of(db, ws, exited).await, 1);
    assert!(!scoring::is_member(db, ws, hot.id, c).await.expect("member"));
    nudge(db, ws, c, 16, "r7", now).await; // 70 again: a new entry
    assert_eq!(events_of(db, ws, entered).await, 2);
    let data: String = with_pool!(db, p => {
        sqlx::query_scalar("SELECT data FROM events WHERE workspace_id = $1 AND kind = $2 ORDER BY occurred_at LIMIT 1")
            .bind(ws.0).bind(entered).fetch_one(p).await.expect("event")
    });
    let data: serde_json::Value = serde_json::from_str(&data).expect("json");
    assert_eq!(
        (data["name"].as_str(), data["score"].as_i64()),
        (Some("Hot Lead"), Some(71))
    );
    assert_eq!(
        scoring::ledger_mismatches(db, ws).await.expect("check"),
        vec![]
    );
    // Explain: newest first.
    let lines = scoring::list_ledger(db, ws, c, 10).await.expect("ledger");
    assert_eq!(lines.len(), 7);
    assert_eq!(lines.iter().map(|l| i64::from(l.points)).sum::<i64>(), 70);
}

#[tokio::test]
async fn a_threshold_created_later_enters_those_above_it_once() {
    let tdb = fresh_db().await;
    let db = &tdb.db;
    let now = t0();
    let ws = pauta_workspace(db, now).await.id;
    let mut ids = Vec::new();
    for (i, s) in [80, 75, 50].into_iter().enumerate() {
        let c = insert_lead(
            db,
            ws,
            &lead_input(
                "C",
                &i.to_string(),
                Some(&format!("c{i}@example.com")),
                None,
            ),
            now,
        )
        .await;
        nudge(db, ws, c, s, "seed", now).await;
        ids.push(c);
    }
    let mut tx = db.begin().await.expect("tx");
    let t = scoring::insert_threshold(&mut tx, ws, "VIP", 70, 60, now)
        .await
        .expect("t");
    tx.commit().await.expect("commit");
    let queued: i64 = with_pool!(db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE workspace_id = $1 AND kind = 'backfill_threshold'")
            .bind(ws.0).fetch_one(p).await.expect("jobs")
    });
    assert_eq!(queued, 1, "creating a threshold queues its backfill");
    let id = ThresholdId(t.id);
    assert_eq!(
        scoring::backfill_threshold(db, ws, id, now)
            .await
            .expect("backfill"),
        2
    );
    assert_eq!(
        scoring::backfill_threshold(db, ws, id, now)
            .await
            .expect("again"),
        0
    );
    assert_eq!(events_of(db, ws, "score.threshold_entered").await, 2);
    assert!(scoring::is_member(db, ws, t.id, ids[0]).await.expect("m"));
    assert!(!scoring::is_member(db, ws, t.id, ids[2]).await.expect("m"));
    let since = Ts::new(now.0 - SignedDuration::from_hours(1));
    assert_eq!(
        scoring::entered_since(db, ws, since)
            .await
            .expect("entered")
            .len(),
        2
    );
}

#[tokio::test]
async fn decay_applies_once_per_period_and_respects_the_floor() {
    let tdb = fresh_db().await;
    let db = &tdb.db;
    let start = t0();
    let ws = pauta_workspace(db, start).await.id;
    let mut tx = db.begin().await.expect("tx");
    let decay = rule(
        "Semana sin respuesta",
        "inactivity",
        -5,
        Frequency::EveryDays(7),
        Group::Engagement,
    );
    scoring::insert_rule(&mut tx, ws, &decay, start)
        .await
        .expect("rule");
    scoring::insert_rule(
        &mut tx,
        ws,
        &rule("Visit", "visit", 10, Frequency::Always, Group::Engagement),
        start,
    )
    .await
    .expect("rule");
    scoring::insert_threshold(&mut tx, ws, "Warm", 20, 16, start)
        .await
        .expect("t");
    tx.commit().await.expect("commit");
    let quiet = insert_lead(
        db,
        ws,
        &lead_input("Q", "uiet", Some("q@example.com"), None),
        start,
    )
    .await;
    let active = insert_lead(
        db,
        ws,
        &lead_input("A", "ctive", Some("a@example.com"), None),
        start,
    )
    .await;
    let low = insert_lead(
        db,
        ws,
        &lead_input("L", "ow", Some("l@example.com"), None),
        start,
    )
    .await;
    nudge(db, ws, quiet, 20, "seed", start).await; // enters Warm
    nudge(db, ws, low, 3, "seed", start).await;
    let now = Ts::new(start.0 + SignedDuration::from_hours(24 * 10));
    // The active contact visited two days ago.
    let mut tx = db.begin().await.expect("tx");
    let scorer = Scorer::load(&mut tx, ws).await.expect("scorer");
    let visit = NewActivity {
        contact: active,
        kind: "visit".into(),
        occurred_at: Ts::new(now.0 - SignedDuration::from_hours(48)),
        source: "test".into(),
        data: json!({}),
        idempotency_key: None,
    };
    scoring::record_activity(&mut tx, ws, &scorer, &visit, &Actor::system(), now)
        .await
        .expect("visit");
    tx.commit().await.expect("commit");
    assert_eq!(events_of(db, ws, "contact.first_visit").await, 1);

    let today = jiff::civil::date(2026, 12, 17);
    assert_eq!(
        scoring::workspaces_with_decay(db)
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        scoring::decay_workspace(db, ws, today, now)
            .await
            .expect("decay"),
        2
    );
    assert_eq!(score(db, ws, quiet).await, 15);
    assert_eq!(score(db, ws, low).await, 0, "stops at the floor");
    assert_eq!(
        score(db, ws, active).await,
        10,
        "active contacts keep their points"
    );
    assert_eq!(
        events_of(db, ws, "score.threshold_exited").await,
        1,
        "15 ≤ 16 leaves Warm"
    );
    let later = Ts::new(now.0 + SignedDuration::from_hours(1));
    assert_eq!(
        scoring::decay_workspace(db, ws, today, later)
            .await
            .expect("again"),
        0,
        "twice adds nothing"
    );
    assert_eq!(score(db, ws, quiet).await, 15);
    assert_eq!(
        scoring::ledger_mismatches(db, ws).await.expect("check"),
        vec![]
    );
    // The next week is another period.
    let next = Ts::new(now.0 + SignedDuration::from_hours(24 * 7));
    let next_day = jiff::civil::date(2026, 12, 24);
    assert_eq!(
        scoring::decay_workspace(db, ws, next_day, next)
            .await
            .expect("next"),
        2
    );
    assert_eq!(score(db, ws, quiet).await, 10);
    assert_eq!(
        scoring::ledger_mismatches(db, ws).await.expect("check"),
        vec![]
    );
}

async fn visit(db: &Db, ws: WorkspaceId, c: ContactId, key: &str, at: Ts) {
    let mut tx = db.begin().await.expect("tx");
    let scorer = Scorer::load(&mut tx, ws).await.expect("scorer");
    let a = NewActivity {
        contact: c,
        kind: "visit".into(),
        occurred_at: at,
        source: "test".into(),
        data: json!({}),
        idempotency_key: Some(key.into()),
    };
    scoring::record_activity(&mut tx, ws, &scorer, &a, &Actor::system(), at)
        .await
        .expect("record");
    tx.commit().await.expect("commit");
}

/// Runs a recalculation to its end as the job does; the batches it took.
async fn recalculate(
    db: &Db,
    ws: WorkspaceId,
    now: Ts,
) -> (af_db::recalculations::Recalculation, usize) {
    let mut tx = db.begin().await.expect("tx");
    let run = recalculations::start(&mut tx, ws, None, now)
        .await
        .expect("start")
        .expect("none running");
    tx.commit().await.expect("commit");
    let mut tx = db.begin().await.expect("tx");
    assert!(
        recalculations::start(&mut tx, ws, None, now)
            .await
            .expect("start")
            .is_none(),
        "one live run per workspace"
    );
    drop(tx);
    let mut batches = 1;
    while recalculations::run_batch(db, ws, run.id, now)
        .await
        .expect("batch")
    {
        batches += 1;
    }
    let done = recalculations::find(db, ws, run.id)
        .await
        .expect("find")
        .expect("run");
    (done, batches)
}

#[tokio::test]
async fn recalculation_applies_edited_rules_to_the_past_and_keeps_other_lines() {
    let tdb = fresh_db().await;
    let db = &tdb.db;
    let now = t0();
    let ws = pauta_workspace(db, now).await.id;
    let mut tx = db.begin().await.expect("tx");
    let visit_rule = scoring::insert_rule(
        &mut tx,
        ws,
        &rule("Visit", "visit", 10, Frequency::Always, Group::Engagement),
        now,
    )
    .await
    .expect("rule");
    scoring::insert_rule(
        &mut tx,
        ws,
        &rule(
            "Weekly visit",
            "visit",
            1,
            Frequency::EveryDays(7),
            Group::Fit,
        ),
        now,
    )
    .await
    .expect("rule");
    scoring::insert_threshold(&mut tx, ws, "Hot Lead", 70, 60, now)
        .await
        .expect("threshold");
    tx.commit().await.expect("commit");
    // More contacts than one batch takes.
    let n = recalculations::BATCH_CONTACTS + 20;
    let mut ids = Vec::new();
    for i in 0..n {
        let input = lead_input(
            "R",
            &i.to_string(),
            Some(&format!("r{i}@example.com")),
            None,
        );
        ids.push(insert_lead(db, ws, &input, now).await);
    }
    let (a, b) = (ids[3], ids[n - 1]);
    for d in 0..3 {
        let at = Ts::new(now.0 + SignedDuration::from_hours(24 * 4 * d));
        visit(db, ws, a, &format!("a{d}"), at).await;
    }
    visit(db, ws, b, "b0", now).await;
    nudge(db, ws, a, 5, "run-1", now).await;
    assert_eq!(
        score(db, ws, a).await,
        30 + 2 + 5,
        "the weekly rule scores days 0 and 8, not day 4"
    );
    assert_eq!(score(db, ws, b).await, 11);

    let later = Ts::new(now.0 + SignedDuration::from_hours(24 * 30));
    let (run, batches) = recalculate(db, ws, later).await;
    assert_eq!(batches, 2);
    assert_eq!(
        (run.status.as_str(), run.processed, run.total),
        ("done", n as i32, n as i32)
    );
    assert_eq!(run.changed, 0, "unchanged rules give the same scores");
    assert_eq!(score(db, ws, a).await, 37);

    // The visit rule now gives 25: a recalculation applies it to the past.
    let mut tx = db.begin().await.expect("tx");
    scoring::update_rule(
        &mut tx,
        ws,
        af_core::ScoringRuleId(visit_rule.id),
        &rule("Visit", "visit", 25, Frequency::Always, Group::Engagement),
        later,
    )
    .await
    .expect("update")
    .expect("rule");
    tx.commit().await.expect("commit");
    assert_eq!(score(db, ws, a).await, 37, "edits apply forward");
    let (run, _) = recalculate(db, ws, later).await;
    assert_eq!(run.changed, 2);
    assert_eq!(
        score(db, ws, a).await,
        75 + 2 + 5,
        "the workflow's line is kept"
    );
    assert_eq!(score(db, ws, b).await, 26);
    assert_eq!(
        scoring::ledger_mismatches(db, ws).await.expect("check"),
        vec![]
    );
    assert_eq!(events_of(db, ws, "score.threshold_entered").await, 1);
    let fit: i64 = with_pool!(db, p => {
        sqlx::query_scalar::<_, i32>("SELECT score_fit FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(a.0).fetch_one(p).await.expect("fit").into()
    });
    assert_eq!(fit, 2);

    // Again: nothing changes, nothing fires.
    let (run, _) = recalculate(db, ws, later).await;
    assert_eq!(run.changed, 0);
    assert_eq!(events_of(db, ws, "score.threshold_entered").await, 1);
    let dupes: i64 = with_pool!(db, p => {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT contact_id, rule_key, source_key FROM score_ledger WHERE workspace_id = $1
               GROUP BY contact_id, rule_key, source_key HAVING COUNT(*) > 1) x")
            .bind(ws.0).fetch_one(p).await.expect("count")
    });
    assert_eq!(dupes, 0);
    let queued: i64 = with_pool!(db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE workspace_id = $1 AND kind = 'recalculate_scores'")
            .bind(ws.0).fetch_one(p).await.expect("jobs")
    });
    assert_eq!(queued, 3, "each run queued its job");
}
