//! The kanban board over real HTTP on the backend `AF_TEST_BACKEND` picks:
//! columns with counts and totals, paging of a big column, moves (between
//! and within columns, and the 404s of foreign stages), stage management,
//! new deals from the board, and the live path (the pub/sub and the SSE
//! endpoint; on PostgreSQL across two separate pools, i.e. two nodes).

use af_core::{Actor, ContactId, DealId, PipelineId, StageId, WorkspaceId};
use af_db::contacts::{ContactInput, upsert_contact};
use af_db::deals::{self, NewDeal, Placement};
use af_db::live::{self, Hub, LiveKind, Recv};
use af_db::{Backend, Db, Ts};
use af_testkit::{Browser, PASSWORD, Tenant, TestApp, tenant, two_workspaces};
use jiff::SignedDuration;
use std::time::Duration;

/// Bound on every wait for something asynchronous (never a sleep).
const WAIT: Duration = Duration::from_secs(10);

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let b = app.browser();
    b.login(email, PASSWORD).await;
    b
}

async fn stages(db: &Db, t: &Tenant) -> Vec<af_db::pipelines::Stage> {
    af_db::pipelines::find_pipeline(db, t.ws.id, t.pipeline_id)
        .await
        .expect("pipeline")
        .expect("exists")
        .stages
}

async fn add_deal(
    db: &Db,
    ws: WorkspaceId,
    stage: StageId,
    first: &str,
    value: i64,
    currency: &str,
    now: Ts,
) -> DealId {
    let mut tx = db.begin().await.expect("tx");
    let contact = upsert_contact(
        &mut tx,
        ws,
        &ContactInput {
            first_name: first.into(),
            last_name: "Test".into(),
            email: Some(format!("{}@example.com", first.to_lowercase())),
            ..Default::default()
        },
        &Actor::system(),
        now,
    )
    .await
    .expect("contact")
    .contact;
    let deal = deals::insert_deal(
        &mut tx,
        ws,
        &NewDeal {
            contact_id: contact.id,
            pipeline_id: None,
            stage_id: Some(stage),
            title: format!("Deal of {first}"),
            value_minor: value,
            currency: currency.into(),
            owner_id: None,
        },
        &Actor::system(),
        now,
    )
    .await
    .expect("deal");
    tx.commit().await.expect("commit");
    deal.id
}

/// The deal ids of a column in board order.
async fn column(db: &Db, ws: WorkspaceId, stage: StageId) -> Vec<DealId> {
    deals::list_cards(db, ws, stage, None, 10_000)
        .await
        .expect("cards")
        .into_iter()
        .map(|c| c.id)
        .collect()
}

async fn count_events(db: &Db, ws: WorkspaceId, kind: &str) -> usize {
    af_db::events::list_events(db, ws, 10_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .count()
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[tokio::test]
async fn the_board_shows_columns_with_counts_totals_and_cards() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "tablero").await;
    let st = stages(&app.db, &t).await;
    let now = app.now();
    add_deal(&app.db, t.ws.id, t.stage_id, "Ana", 250_050, "MXN", now).await;
    add_deal(&app.db, t.ws.id, t.stage_id, "Beto", 10_000, "USD", now).await;
    let mut tx = app.db.begin().await.expect("tx");
    af_db::contacts::add_tag(&mut tx, t.ws.id, t.contact_id, "VIP", &Actor::system(), now)
        .await
        .expect("tag");
    tx.commit().await.expect("commit");
    let b = signed_in(&app, &t.owner_email).await;

    let list = b.get("/pipelines").await;
    assert_eq!(list.status, 200);
    assert!(list.contains("Ventas"), "{}", list.body);
    assert!(list.contains(&format!("/pipelines/{}", t.pipeline_id)));

    app.clock.advance(SignedDuration::from_hours(72));
    let page = b.get(&format!("/pipelines/{}", t.pipeline_id)).await;
    assert_eq!(page.status, 200);
    for s in &st {
        assert!(page.contains(&s.name), "stage {} missing", s.name);
    }
    // First column: three deals, totals per currency (1,500,000 + 250,050
    // cents of MXN; 10,000 cents of USD), in the workspace's format.
    assert!(page.contains(">3</span>"), "{}", page.body);
    assert!(
        page.contains("$17,500.50 MXN · $100.00 USD"),
        "{}",
        page.body
    );
    assert!(page.contains("Lucía Gómez"));
    assert!(page.contains("Sitio web"));
    assert!(
        page.contains(">VIP</li>"),
        "the card shows the contact's tags"
    );
    assert!(page.contains("hace 3 días"));
    // Script wiring: SortableJS and board.js from our origin, nothing inline.
    assert!(page.contains("/assets/vendor/sortable-1.15.7."));
    let js = page
        .body
        .split("src=\"")
        .filter_map(|s| s.split('"').next())
        .find(|s| s.starts_with("/assets/js/board."))
        .expect("board.js is linked");
    assert_eq!(b.get(js).await.status, 200, "{js} is served");
    assert!(!page.body.contains("<script>"));

    // The summary endpoint agrees, and an English user reads English.
    let sum = json(
        &b.get(&format!("/pipelines/{}/summary", t.pipeline_id))
            .await
            .body,
    );
    assert_eq!(sum["stages"][t.stage_id.to_string()]["count"], "3");
    let mut tx = app.db.begin().await.expect("tx");
    sqlx_update_locale(&mut tx, &t).await;
    tx.commit().await.expect("commit");
    let en = signed_in(&app, &t.owner_email).await;
    let page = en.get(&format!("/pipelines/{}", t.pipeline_id)).await;
    assert!(page.contains("3 days"), "{}", page.body);
}

async fn sqlx_update_locale(tx: &mut af_db::Tx, t: &Tenant) {
    af_db::with_tx!(tx, c => {
        sqlx::query("UPDATE workspaces SET locale = 'en' WHERE id = $1")
            .bind(t.ws.id.0)
            .execute(&mut *c)
            .await
            .expect("update");
    });
}

#[tokio::test]
async fn a_big_column_loads_in_pages_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "grande").await;
    let now = app.now();
    for i in 0..120 {
        add_deal(
            &app.db,
            t.ws.id,
            t.stage_id,
            &format!("P{i:03}"),
            100,
            "MXN",
            now,
        )
        .await;
    }
    let b = signed_in(&app, &t.owner_email).await;
    let page = b.get(&format!("/pipelines/{}", t.pipeline_id)).await;
    assert_eq!(page.status, 200);
    let ids = |body: &str| -> Vec<String> {
        body.split("data-deal-id=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(str::to_string)
            .collect()
    };
    let next = |body: &str| -> Option<String> {
        let marker = format!("id=\"more-{}\"", t.stage_id);
        let at = body.find(&marker)?;
        let tag = &body[at..at + body[at..].find('>')?];
        let url = tag.split("hx-get=\"").nth(1)?.split('"').next()?;
        Some(url.replace("&#38;", "&").replace("&amp;", "&"))
    };
    let mut seen = ids(&page.body);
    assert_eq!(seen.len(), 50, "one page of the first column");
    assert!(
        page.contains(">121</span>"),
        "the count is of the whole column"
    );
    let mut url = next(&page.body).expect("a sentinel for more");
    let mut pages = 1;
    loop {
        let more = b.get(&url).await;
        assert_eq!(more.status, 200, "{url}: {}", more.body);
        assert!(more.contains("hx-swap-oob"), "the sentinel is replaced");
        seen.extend(ids(&more.body));
        pages += 1;
        match next(&more.body) {
            Some(u) => url = u,
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let in_db: Vec<String> = column(&app.db, t.ws.id, t.stage_id)
        .await
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(seen, in_db, "pages are the column in order, once each");
    // A malformed cursor is a 400, not a crash.
    let bad = format!(
        "/pipelines/{}/stages/{}/cards?after_pos=NaN&after_id=x",
        t.pipeline_id, t.stage_id
    );
    assert_eq!(b.get(&bad).await.status, 400);
}

#[tokio::test]
async fn moves_persist_and_write_stage_changed_only_across_stages() {
    let t = two_workspaces().await;
    let app = &t.app;
    let a = &t.a;
    let st = stages(&app.db, a).await;
    let (s1, s2) = (st[0].id, st[1].id);
    let now = app.now();
    let x = add_deal(&app.db, a.ws.id, s2, "Xavi", 100, "MXN", now).await;
    let y = add_deal(&app.db, a.ws.id, s2, "Yola", 100, "MXN", now).await;
    // Column 2 is [y, x] (new deals go on top).
    assert_eq!(column(&app.db, a.ws.id, s2).await, vec![y, x]);
    let b = signed_in(app, &a.member_email).await;
    b.get(&format!("/pipelines/{}", a.pipeline_id)).await;
    let before_events = count_events(&app.db, a.ws.id, "deal.stage_changed").await;

    // Between columns: the tenant's deal goes between y and x.
    let res = b
        .post(
            &format!("/deals/{}/move", a.deal_id),
            &[
                ("stage_id", &s2.to_string()),
                ("after", &y.to_string()),
                ("before", &x.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let answer = json(&res.body);
    assert_eq!(answer["stage_id"], s2.to_string());
    assert_eq!(answer["summary"]["stages"][s2.to_string()]["count"], "3");
    assert_eq!(answer["summary"]["stages"][s1.to_string()]["count"], "0");
    assert_eq!(column(&app.db, a.ws.id, s2).await, vec![y, a.deal_id, x]);
    let evs = af_db::events::list_events(&app.db, a.ws.id, 100)
        .await
        .expect("events");
    let changed: Vec<_> = evs
        .iter()
        .filter(|e| e.kind == "deal.stage_changed")
        .collect();
    assert_eq!(changed.len(), before_events + 1);
    let data = json(&changed[0].data);
    assert_eq!(data["from_stage_id"], s1.to_string());
    assert_eq!(data["to_stage_id"], s2.to_string());
    assert_eq!(
        changed[0].entity_id.as_deref(),
        Some(a.deal_id.to_string().as_str())
    );

    // Within the column: x to the top (only "before"), then y to the bottom
    // (only "after"). Order changes, no stage_changed event.
    let res = b
        .post(
            &format!("/deals/{x}/move"),
            &[("stage_id", &s2.to_string()), ("before", &y.to_string())],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(column(&app.db, a.ws.id, s2).await, vec![x, y, a.deal_id]);
    let res = b
        .post(
            &format!("/deals/{y}/move"),
            &[
                ("stage_id", &s2.to_string()),
                ("after", &a.deal_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(column(&app.db, a.ws.id, s2).await, vec![x, a.deal_id, y]);
    // "After x" alone lands right after x, not after the whole column.
    let res = b
        .post(
            &format!("/deals/{y}/move"),
            &[("stage_id", &s2.to_string()), ("after", &x.to_string())],
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(column(&app.db, a.ws.id, s2).await, vec![x, y, a.deal_id]);
    assert_eq!(
        count_events(&app.db, a.ws.id, "deal.stage_changed").await,
        before_events + 1
    );

    // Foreign targets are 404 and change nothing: another workspace's
    // stage, a stage of another pipeline of this workspace, another
    // workspace's deal, an unknown deal.
    let mut tx = app.db.begin().await.expect("tx");
    let other_pipeline = af_db::pipelines::create_pipeline(
        &mut tx,
        a.ws.id,
        "Otro",
        &[("Uno", "open", false)],
        &Actor::system(),
        now,
    )
    .await
    .expect("pipeline");
    tx.commit().await.expect("commit");
    let other_stage = af_db::pipelines::find_pipeline(&app.db, a.ws.id, other_pipeline)
        .await
        .expect("p")
        .expect("p")
        .stages[0]
        .id;
    for (deal, stage) in [
        (x, t.b.stage_id),
        (x, other_stage),
        (t.b.deal_id, s2),
        (DealId::new(), s2),
    ] {
        let res = b
            .post(
                &format!("/deals/{deal}/move"),
                &[("stage_id", &stage.to_string())],
            )
            .await;
        assert_eq!(res.status, 404, "move {deal} to {stage}");
    }
    // Malformed input is a 400.
    let res = b
        .post(
            &format!("/deals/{x}/move"),
            &[("stage_id", &s1.to_string()), ("after", "not-an-id")],
        )
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(column(&app.db, a.ws.id, s2).await, vec![x, y, a.deal_id]);
    assert_eq!(
        column(&app.db, t.b.ws.id, t.b.stage_id).await,
        vec![t.b.deal_id]
    );
    // Without the CSRF token the move is refused.
    let res = b
        .post_raw(
            &format!("/deals/{x}/move"),
            &[("stage_id", &s1.to_string())],
        )
        .await;
    assert_eq!(res.status, 403);
}

#[tokio::test]
async fn neighbours_far_apart_in_precision_are_respaced() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "precision").await;
    let now = app.now();
    let s = t.stage_id;
    let x = add_deal(&app.db, t.ws.id, s, "Xime", 1, "MXN", now).await;
    let y = add_deal(&app.db, t.ws.id, s, "Yuri", 1, "MXN", now).await;
    // Column is [y, x, tenant's]; keep moving the tenant's deal between y
    // and x, alternating with x, far past what halving can represent.
    let mut ids = [t.deal_id, x];
    for _ in 0..80 {
        let mut tx = app.db.begin().await.expect("tx");
        let place = Placement {
            after: Some(y),
            before: Some(ids[1]),
        };
        deals::move_deal(&mut tx, t.ws.id, ids[0], s, place, &Actor::system(), now)
            .await
            .expect("move");
        tx.commit().await.expect("commit");
        assert_eq!(column(&app.db, t.ws.id, s).await[..2], [y, ids[0]]);
        ids.swap(0, 1);
    }
}

#[tokio::test]
async fn admins_manage_pipelines_and_stages_with_clear_refusals() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "gestion").await;
    let member = signed_in(&app, &t.member_email).await;
    member.get("/pipelines").await;
    let settings = format!("/pipelines/{}/settings", t.pipeline_id);
    assert_eq!(member.get(&settings).await.status, 403);
    assert_eq!(
        member.post("/pipelines", &[("name", "Mío")]).await.status,
        403
    );
    assert_eq!(
        member
            .post(
                &format!("/pipelines/{}/stages", t.pipeline_id),
                &[("name", "X")]
            )
            .await
            .status,
        403
    );

    let b = signed_in(&app, &t.owner_email).await;
    b.get("/pipelines").await;
    // Create: with default stages, and empty.
    let res = b
        .post(
            "/pipelines",
            &[("name", "Postventa"), ("stages", "default")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let all = af_db::pipelines::list_pipelines(&app.db, t.ws.id)
        .await
        .expect("list");
    let post = all
        .iter()
        .find(|p| p.pipeline.name == "Postventa")
        .expect("created");
    assert_eq!(post.stages.len(), 6);
    assert!(!post.pipeline.is_default);
    let res = b
        .post("/pipelines", &[("name", "Vacío"), ("stages", "empty")])
        .await;
    assert_eq!(res.status, 303);
    let empty_id: PipelineId = res
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/pipelines/"))
        .and_then(|id| id.parse().ok())
        .expect("redirect to the new board");
    let page = b.get(&format!("/pipelines/{empty_id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("no tiene etapas"));
    let res = b.post("/pipelines", &[("name", "  ")]).await;
    assert_eq!(res.status, 422);
    assert!(res.contains("Escribe un nombre"));

    // Rename the pipeline; add, rename, re-kind, reorder and delete stages.
    let base = format!("/pipelines/{empty_id}");
    b.get(&format!("{base}/settings")).await;
    assert_eq!(
        b.post(&format!("{base}/rename"), &[("name", "Renovaciones")])
            .await
            .status,
        303
    );
    for (name, kind) in [("Llamar", "open"), ("Firmado", "won"), ("Perdido", "lost")] {
        let res = b
            .post(&format!("{base}/stages"), &[("name", name), ("kind", kind)])
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
    }
    let res = b
        .post(
            &format!("{base}/stages"),
            &[("name", "Raro"), ("kind", "maybe")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.contains("tipo de etapa"));
    let now = pipeline(&app.db, t.ws.id, empty_id).await;
    assert_eq!(now.pipeline.name, "Renovaciones");
    let names: Vec<&str> = now.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Llamar", "Firmado", "Perdido"]);
    let (llamar, firmado, perdido) = (now.stages[0].id, now.stages[1].id, now.stages[2].id);
    assert_eq!(
        b.post(
            &format!("{base}/stages/{llamar}"),
            &[("name", "Llamar otra vez"), ("kind", "open")]
        )
        .await
        .status,
        303
    );
    assert_eq!(
        b.post(
            &format!("{base}/stages/{perdido}/reorder"),
            &[("direction", "up")]
        )
        .await
        .status,
        303
    );
    let res = b
        .post(
            &format!("{base}/stages/{llamar}/reorder"),
            &[("direction", "up")],
        )
        .await;
    assert_eq!(res.status, 422, "the first stage cannot go up");
    // Booked: one per pipeline, movable, clearable; a stage of another
    // pipeline is 404.
    assert_eq!(
        b.post(
            &format!("{base}/booked"),
            &[("stage_id", &llamar.to_string())]
        )
        .await
        .status,
        303
    );
    assert_eq!(
        b.post(
            &format!("{base}/booked"),
            &[("stage_id", &firmado.to_string())]
        )
        .await
        .status,
        303
    );
    assert_eq!(
        b.post(
            &format!("{base}/booked"),
            &[("stage_id", &t.stage_id.to_string())]
        )
        .await
        .status,
        404
    );
    let now = pipeline(&app.db, t.ws.id, empty_id).await;
    let view: Vec<(&str, &str, bool)> = now
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.kind.as_str(), s.is_booked))
        .collect();
    assert_eq!(
        view,
        [
            ("Llamar otra vez", "open", false),
            ("Perdido", "lost", false),
            ("Firmado", "won", true)
        ]
    );

    // A stage with deals cannot be deleted; once empty it can.
    let deal = add_deal(&app.db, t.ws.id, llamar, "Dora", 1, "MXN", app.now()).await;
    let res = b.post(&format!("{base}/stages/{llamar}/delete"), &[]).await;
    assert_eq!(res.status, 422);
    assert!(res.contains("la etapa tiene 1 negocios"), "{}", res.body);
    assert_eq!(pipeline(&app.db, t.ws.id, empty_id).await.stages.len(), 3);
    let res = b
        .post(
            &format!("/deals/{deal}/move"),
            &[("stage_id", &perdido.to_string())],
        )
        .await;
    assert_eq!(res.status, 200);
    b.get(&format!("{base}/settings")).await;
    assert_eq!(
        b.post(&format!("{base}/stages/{llamar}/delete"), &[])
            .await
            .status,
        303
    );
    let now = pipeline(&app.db, t.ws.id, empty_id).await;
    let positions: Vec<i32> = now.stages.iter().map(|s| s.position).collect();
    assert_eq!(positions, [1, 2], "positions stay 1..n");
    assert!(count_events(&app.db, t.ws.id, "stage.deleted").await == 1);
    assert!(count_events(&app.db, t.ws.id, "pipeline.created").await == 2);
}

#[tokio::test]
async fn new_deals_from_the_board_for_picked_or_new_contacts() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "nuevo").await;
    let b = signed_in(&app, &t.member_email).await;
    let board = format!("/pipelines/{}", t.pipeline_id);
    let page = b.get(&board).await;
    assert!(
        page.contains("value=\"MXN\""),
        "MX workspace defaults to MXN"
    );

    // Contact search (htmx fragment).
    let found = b.get(&format!("{board}/contact-search?q=luc")).await;
    assert_eq!(found.status, 200);
    assert!(found.contains(&t.contact_id.to_string()));
    assert!(found.contains("Lucía Gómez"));
    let none = b.get(&format!("{board}/contact-search?q=zzzz")).await;
    assert!(none.contains("Ningún contacto"));

    // Picked contact, htmx: 201 with a fresh form.
    let res = b
        .client
        .post(app.url(&format!("{board}/deals")))
        .header("hx-request", "true")
        .header(
            "x-csrf-token",
            af_testkit::csrf_from(&page.body).expect("token"),
        )
        .form(&[
            ("contact_id", t.contact_id.to_string().as_str()),
            ("title", "Rediseño"),
            ("value", "12.500,50"),
            ("currency", "mxn"),
            ("stage_id", &t.stage_id.to_string()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let body = res.text().await.expect("body");
    assert!(body.contains("Negocio creado"), "{body}");
    let all = deals::list_deals(&app.db, t.ws.id, &Default::default(), 100)
        .await
        .expect("deals");
    let made = all.iter().find(|d| d.title == "Rediseño").expect("created");
    assert_eq!(
        (made.value_minor, made.currency.as_str()),
        (1_250_050, "MXN")
    );
    assert_eq!(made.contact_id, t.contact_id);

    // New contact by name + email, plain form: 303 back to the board.
    let res = b
        .post(
            &format!("{board}/deals"),
            &[
                ("first_name", "Nora"),
                ("last_name", "Ruiz"),
                ("email", "Nora@Example.com"),
                ("title", "Campaña"),
                ("value", "800"),
                ("currency", "USD"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let c = af_db::contacts::list_contacts(
        &app.db,
        t.ws.id,
        &af_db::contacts::ContactFilter {
            q: Some("nora".into()),
            ..Default::default()
        },
        None,
        10,
    )
    .await
    .expect("contacts");
    assert_eq!(c.len(), 1);

    // Bad input: 4xx, nothing created.
    let before = deals::list_deals(&app.db, t.ws.id, &Default::default(), 1000)
        .await
        .expect("d")
        .len();
    let (unknown_contact, unknown_stage) =
        (ContactId::new().to_string(), StageId::new().to_string());
    for fields in [
        vec![("first_name", "A"), ("title", ""), ("currency", "MXN")],
        vec![
            ("first_name", "A"),
            ("title", "T"),
            ("value", "12,34,5"),
            ("currency", "MXN"),
        ],
        vec![("first_name", "A"), ("title", "T"), ("currency", "pesos")],
        vec![("title", "T"), ("currency", "MXN")],
        vec![
            ("email", "not-an-email"),
            ("title", "T"),
            ("currency", "MXN"),
        ],
        vec![
            ("contact_id", unknown_contact.as_str()),
            ("title", "T"),
            ("currency", "MXN"),
        ],
        vec![
            ("first_name", "A"),
            ("title", "T"),
            ("stage_id", unknown_stage.as_str()),
        ],
    ] {
        let res = b.post(&format!("{board}/deals"), &fields).await;
        assert!(
            (400..500).contains(&res.status),
            "{fields:?} answered {}",
            res.status
        );
    }
    let after = deals::list_deals(&app.db, t.ws.id, &Default::default(), 1000)
        .await
        .expect("d")
        .len();
    assert_eq!(before, after);
}

/// Waits for the next event of `deal` on `sub`, skipping others.
async fn next_event_of(sub: &mut live::Subscription, deal: DealId) -> live::LiveEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Recv::Event(e) = sub.recv().await
                && e.deal_id == deal
            {
                return e;
            }
        }
    })
    .await
    .expect("the live event arrives in time")
}

#[tokio::test]
async fn a_move_over_http_reaches_live_subscribers_and_the_sse_stream() {
    let t = two_workspaces().await;
    let app = &t.app;
    let a = &t.a;
    let s2: StageId = a.ids["board.stage2"].parse().expect("stage id");
    let mut sub = live::subscribe(&app.db).await.expect("subscribe");

    // The SSE stream of A's board, read as a browser would.
    let viewer = signed_in(app, &a.owner_email).await;
    let mut stream = viewer
        .client
        .get(app.url(&format!("/pipelines/{}/events", a.pipeline_id)))
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/event-stream")
    );

    // B moves its deal first (must not reach A's stream), then A's member.
    let bb = signed_in(app, &t.b.owner_email).await;
    bb.get(&format!("/pipelines/{}", t.b.pipeline_id)).await;
    let s2b = t.b.ids["board.stage2"].clone();
    let res = bb
        .post(
            &format!("/deals/{}/move", t.b.deal_id),
            &[("stage_id", &s2b)],
        )
        .await;
    assert_eq!(res.status, 200);
    let mover = signed_in(app, &a.member_email).await;
    mover.get(&format!("/pipelines/{}", a.pipeline_id)).await;
    let res = mover
        .post(
            &format!("/deals/{}/move", a.deal_id),
            &[("stage_id", &s2.to_string())],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    let ev = next_event_of(&mut sub, a.deal_id).await;
    assert_eq!(ev.kind, LiveKind::Moved);
    assert_eq!(ev.workspace_id, a.ws.id);
    assert_eq!(ev.from_stage, Some(a.stage_id));
    assert_eq!(ev.to_stage, s2);

    let text = tokio::time::timeout(WAIT, async {
        let mut text = String::new();
        while !text.contains(&a.deal_id.to_string()) {
            match stream.chunk().await.expect("chunk") {
                Some(c) => text.push_str(&String::from_utf8_lossy(&c)),
                None => panic!("stream ended: {text}"),
            }
        }
        text
    })
    .await
    .expect("the SSE event arrives in time");
    assert!(text.contains("event: deal"), "{text}");
    assert!(text.contains(&s2.to_string()));
    assert!(
        !text.contains(&t.b.deal_id.to_string()),
        "another workspace's move leaked: {text}"
    );

    // The card the client re-fetches is there, in its new stage.
    let card = viewer.get(&format!("/deals/{}/card", a.deal_id)).await;
    assert_eq!(card.status, 200);
    assert!(card.contains("Lucía Gómez"));
}

async fn pipeline(
    db: &Db,
    ws: WorkspaceId,
    id: PipelineId,
) -> af_db::pipelines::PipelineWithStages {
    af_db::pipelines::find_pipeline(db, ws, id)
        .await
        .expect("pipeline")
        .expect("exists")
}

/// A workspace with one deal on its own fresh database (no web server).
async fn fixture(db: &Db, now: Ts) -> (WorkspaceId, DealId, StageId, StageId) {
    let ws = af_service::provision::create_workspace(db, "vivo", "Vivo", None, None, None, now)
        .await
        .expect("workspace");
    let p = af_db::pipelines::default_pipeline(db, ws.id)
        .await
        .expect("p")
        .expect("p");
    let (s1, s2) = (p.stages[0].id, p.stages[1].id);
    let deal = add_deal(db, ws.id, s1, "Vera", 500, "MXN", now).await;
    (ws.id, deal, s1, s2)
}

async fn move_on(db: &Db, ws: WorkspaceId, deal: DealId, to: StageId, commit: bool) {
    let mut tx = db.begin().await.expect("tx");
    let now = Ts::new(af_testkit::start_time());
    deals::move_deal(
        &mut tx,
        ws,
        deal,
        to,
        Placement::default(),
        &Actor::system(),
        now,
    )
    .await
    .expect("move");
    // Committing is all it takes: the transaction publishes its live
    // events on both backends.
    if commit {
        tx.commit().await.expect("commit");
    } else {
        tx.rollback().await.expect("rollback");
    }
}

#[tokio::test]
async fn live_events_cross_separate_pools_and_only_after_commit() {
    let tdb = af_db::testing::fresh_db().await;
    let now = Ts::new(af_testkit::start_time());
    let (ws, deal, s1, s2) = fixture(&tdb.db, now).await;
    // Two more handles on the same database: two "nodes" with a pool each.
    let node1 = Db::connect(&tdb.url).await.expect("node 1");
    let node2 = Db::connect(&tdb.url).await.expect("node 2");
    let (mut on1, mut on2) = match tdb.db.backend() {
        // PostgreSQL: each node has its own hub and LISTEN connection, like
        // two processes; nothing in memory is shared between them.
        Backend::Postgres => (
            Hub::start(&node1).await.expect("hub 1").subscribe(),
            Hub::start(&node2).await.expect("hub 2").subscribe(),
        ),
        // SQLite: one process owns the file; every handle on it shares
        // this process's hub.
        Backend::Sqlite => (
            live::subscribe(&node1).await.expect("sub 1"),
            live::subscribe(&node2).await.expect("sub 2"),
        ),
    };
    // A rolled-back move announces nothing; the committed one that follows
    // is the first event either node sees.
    move_on(&node2, ws, deal, s2, false).await;
    move_on(&node2, ws, deal, s2, true).await;
    for sub in [&mut on1, &mut on2] {
        let ev = next_event_of(sub, deal).await;
        assert_eq!((ev.from_stage, ev.to_stage), (Some(s1), s2));
        assert_eq!(ev.workspace_id, ws);
    }
    // And back, moved from node 1: node 2 hears it.
    move_on(&node1, ws, deal, s1, true).await;
    let ev = next_event_of(&mut on2, deal).await;
    assert_eq!(ev.to_stage, s1);
    let ev = next_event_of(&mut on1, deal).await;
    assert_eq!(ev.to_stage, s1);
}

/// One amount per currency, read back from every surface that shows it:
/// the board card, the contact page, the JSON API (integer minor units) and
/// the CSV export (major units). Zero-decimal CLP and two-decimal COP follow
/// ISO 4217; each currency is written in its home style.
#[tokio::test]
async fn a_deal_amount_reads_the_same_on_every_surface() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "money").await;
    let cases = [
        ("CLP", 15_000_i64, "$15.000 CLP", "15000"),
        ("COP", 150_000_000, "$1.500.000,00 COP", "1500000.00"),
        ("PEN", 123_450, "S/ 1,234.50 PEN", "1234.50"),
        ("MXN", 123_450, "$1,234.50 MXN", "1234.50"),
        ("USD", 5, "$0.05 USD", "0.05"),
    ];
    let http = app.http();
    let b = signed_in(&app, &t.owner_email).await;
    for (currency, minor, shown, csv) in cases {
        let title = format!("Deal in {currency}");
        let res = http
            .post(app.url("/api/v1/deals"))
            .bearer_auth(&t.api_key)
            .json(&serde_json::json!({
                "contact_id": t.contact_id.to_string(),
                "title": title,
                "value": minor,
                "currency": currency,
            }))
            .send()
            .await
            .expect("create");
        assert_eq!(res.status().as_u16(), 201, "{currency}");
        let created: serde_json::Value = res.json().await.expect("json");
        let id = created["id"].as_str().expect("id").to_string();

        let api: serde_json::Value = http
            .get(app.url(&format!("/api/v1/deals/{id}")))
            .bearer_auth(&t.api_key)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(
            (api["value"].as_i64(), api["currency"].as_str()),
            (Some(minor), Some(currency)),
            "API"
        );

        let board = b.get(&format!("/pipelines/{}", t.pipeline_id)).await;
        assert_eq!(board.status, 200);
        assert!(
            board.contains(&title) && html_has(&board.body, shown),
            "board shows {shown}"
        );
        let contact = b.get(&format!("/contacts/{}", t.contact_id)).await;
        assert!(html_has(&contact.body, shown), "contact page shows {shown}");

        let export = b.get("/deals/export?format=csv").await;
        assert_eq!(export.status, 200);
        assert!(
            export.contains(&format!("{title},{csv},{minor},{currency}")),
            "CSV export: {}",
            export.body
        );
    }
}

/// Whether rendered HTML shows `text` (askama escapes `/` in some
/// versions, so `S/` may arrive as `S&#x2f;`).
fn html_has(html: &str, text: &str) -> bool {
    html.contains(text) || html.contains(&text.replace('/', "&#x2f;"))
}

// ------------------------------------------------------------ deal drawer

/// An htmx POST from a signed-in page (the token header, as app.js sends).
async fn hx_post(
    app: &TestApp,
    b: &Browser,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let res = b
        .client
        .post(app.url(path))
        .header("hx-request", "true")
        .header("x-csrf-token", token)
        .form(form)
        .send()
        .await
        .expect("post");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.expect("body"))
}

/// The signed-in board page's CSRF token.
async fn board_token(b: &Browser, t: &Tenant) -> String {
    let page = b.get(&format!("/pipelines/{}", t.pipeline_id)).await;
    assert_eq!(page.status, 200);
    af_testkit::csrf_from(&page.body).expect("token")
}

fn stage_of_kind(st: &[af_db::pipelines::Stage], kind: &str) -> StageId {
    st.iter()
        .find(|s| s.kind == kind)
        .expect("stage of kind")
        .id
}

async fn deal_now(db: &Db, ws: WorkspaceId, id: DealId) -> deals::Deal {
    deals::find_deal(db, ws, id)
        .await
        .expect("deal")
        .expect("exists")
}

#[tokio::test]
async fn the_drawer_shows_the_deal_its_contact_and_quick_actions_and_404s_elsewhere() {
    let t = two_workspaces().await;
    let app = &t.app;
    let a = &t.a;
    let now = app.now();
    let mut tx = app.db.begin().await.expect("tx");
    let contact = upsert_contact(
        &mut tx,
        a.ws.id,
        &ContactInput {
            first_name: "Marta".into(),
            last_name: "Ríos".into(),
            email: Some("marta@example.com".into()),
            phone: Some("+525512345678".into()),
            ..Default::default()
        },
        &Actor::system(),
        now,
    )
    .await
    .expect("contact")
    .contact;
    af_db::contacts::add_tag(&mut tx, a.ws.id, contact.id, "VIP", &Actor::system(), now)
        .await
        .expect("tag");
    let deal = deals::insert_deal(
        &mut tx,
        a.ws.id,
        &NewDeal {
            contact_id: contact.id,
            pipeline_id: None,
            stage_id: Some(a.stage_id),
            title: "Campaña de verano".into(),
            value_minor: 4_250_000,
            currency: "MXN".into(),
            owner_id: None,
        },
        &Actor::system(),
        now,
    )
    .await
    .expect("deal");
    tx.commit().await.expect("commit");

    let b = signed_in(app, &a.member_email).await;
    let board = b.get(&format!("/pipelines/{}", a.pipeline_id)).await;
    assert!(
        board.contains("<h1 class=\"min-w-0 truncate text-2xl font-semibold\">Ventas</h1>"),
        "the board's heading is the pipeline's name: {}",
        board.body
    );
    assert!(
        board.contains(&format!("data-deal-id=\"{}\"", deal.id))
            && board.contains("tabindex=\"0\""),
        "cards are focusable"
    );
    assert!(board.contains("aria-label=\"Marta Ríos · Campaña de verano · $42,500.00 MXN\""));
    assert!(board.contains("<dialog id=\"deal-drawer\""));

    let panel = b.get(&format!("/deals/{}/panel", deal.id)).await;
    assert_eq!(panel.status, 200, "{}", panel.body);
    for text in [
        "Campaña de verano",
        "$42,500.00 MXN",
        "Marta Ríos",
        &format!("href=\"/contacts/{}\"", contact.id),
        "href=\"mailto:marta@example.com\"",
        "href=\"tel:+525512345678\"",
        "href=\"https://wa.me/525512345678\"",
        "<label for=\"deal-stage\"",
        "<label for=\"deal-owner\"",
        ">Member</option>",
        "<span>VIP</span>",
        "aria-label=\"Quitar la etiqueta VIP\"",
        "<label for=\"deal-new-tag\"",
        "Sin tareas pendientes.",
        "Marcar como ganado",
        "Motivo de la pérdida",
        "data-testid=\"deal-activity\"",
    ] {
        assert!(panel.contains(text), "{text} missing: {}", panel.body);
    }
    assert!(
        panel.contains(&format!("<option value=\"{}\" selected>", a.stage_id)),
        "the current stage is selected"
    );
    // Without a phone there is no WhatsApp or call link.
    let plain = b.get(&format!("/deals/{}/panel", a.deal_id)).await;
    assert_eq!(plain.status, 200);
    assert!(!plain.contains("wa.me") && !plain.contains("tel:"));

    // Another workspace's deal, an unknown one and a malformed id: 404.
    let other = b.get(&format!("/deals/{}/panel", t.b.deal_id)).await;
    assert_eq!(other.status, 404);
    assert!(!other.contains("Sitio web"));
    assert_eq!(
        b.get(&format!("/deals/{}/panel", DealId::new()))
            .await
            .status,
        404
    );
    assert_eq!(b.get("/deals/not-a-uuid/panel").await.status, 404);
    let token = board_token(&b, a).await;
    let (status, _, _) = hx_post(
        app,
        &b,
        &token,
        &format!("/deals/{}/stage", t.b.deal_id),
        &[("stage_id", &t.b.stage_id.to_string())],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        deal_now(&app.db, t.b.ws.id, t.b.deal_id).await.stage_id,
        t.b.stage_id
    );
}

#[tokio::test]
async fn a_stage_change_in_the_drawer_is_the_same_move_as_a_drag() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "cajon").await;
    let st = stages(&app.db, &t).await;
    let (s1, s2) = (st[0].id, st[1].id);
    let now = app.now();
    let dragged = add_deal(&app.db, t.ws.id, s1, "Dora", 100, "MXN", now).await;
    let b = signed_in(&app, &t.member_email).await;
    let token = board_token(&b, &t).await;
    let mut sub = live::subscribe(&app.db).await.expect("subscribe");

    // A drag, for comparison.
    let res = b
        .post(
            &format!("/deals/{dragged}/move"),
            &[("stage_id", &s2.to_string())],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);

    let before = count_events(&app.db, t.ws.id, "deal.stage_changed").await;
    let (status, headers, body) = hx_post(
        &app,
        &b,
        &token,
        &format!("/deals/{}/stage", t.deal_id),
        &[("stage_id", &s2.to_string())],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("Negocio movido a «Propuesta enviada»."),
        "{body}"
    );
    let trigger = headers["hx-trigger"].to_str().expect("ascii");
    let trigger = json(trigger);
    assert_eq!(trigger["af-deal-changed"]["deal_id"], t.deal_id.to_string());
    assert_eq!(trigger["af-deal-changed"]["stage_id"], s2.to_string());
    assert_eq!(deal_now(&app.db, t.ws.id, t.deal_id).await.stage_id, s2);
    assert_eq!(
        column(&app.db, t.ws.id, s2).await.first(),
        Some(&t.deal_id),
        "on top of its new column"
    );

    // The same event as the drag's, with the same fields.
    assert_eq!(
        count_events(&app.db, t.ws.id, "deal.stage_changed").await,
        before + 1
    );
    let evs = af_db::events::list_events(&app.db, t.ws.id, 100)
        .await
        .expect("events");
    let data_of = |deal: DealId| {
        let e = evs
            .iter()
            .find(|e| {
                e.kind == "deal.stage_changed" && e.entity_id.as_deref() == Some(&deal.to_string())
            })
            .expect("stage_changed event");
        json(&e.data)
    };
    let (drawer, drag) = (data_of(t.deal_id), data_of(dragged));
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&drawer), keys(&drag));
    assert_eq!(drawer["from_stage_id"], s1.to_string());
    assert_eq!(drawer["to_stage_id"], s2.to_string());
    // And the live boards hear it like a drop.
    let ev = next_event_of(&mut sub, t.deal_id).await;
    assert_eq!(ev.kind, LiveKind::Moved);
    assert_eq!(ev.to_stage, s2);

    // A stage of another pipeline, or garbage: 422, nothing moves.
    let mut tx = app.db.begin().await.expect("tx");
    let other = af_db::pipelines::create_pipeline(
        &mut tx,
        t.ws.id,
        "Otro",
        &[("Uno", "open", false)],
        &Actor::system(),
        now,
    )
    .await
    .expect("pipeline");
    tx.commit().await.expect("commit");
    let other = af_db::pipelines::find_pipeline(&app.db, t.ws.id, other)
        .await
        .expect("pipeline")
        .expect("exists");
    for bad in [other.stages[0].id.to_string(), "nope".into(), String::new()] {
        let (status, headers, body) = hx_post(
            &app,
            &b,
            &token,
            &format!("/deals/{}/stage", t.deal_id),
            &[("stage_id", &bad)],
        )
        .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body.contains("Elige una etapa de este embudo."), "{body}");
        assert!(headers.get("hx-trigger").is_none());
    }
    assert_eq!(deal_now(&app.db, t.ws.id, t.deal_id).await.stage_id, s2);
    assert_eq!(
        count_events(&app.db, t.ws.id, "deal.stage_changed").await,
        before + 1
    );

    // Without the CSRF token nothing changes.
    let res = b
        .post_raw(
            &format!("/deals/{}/stage", t.deal_id),
            &[("stage_id", &s1.to_string())],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(deal_now(&app.db, t.ws.id, t.deal_id).await.stage_id, s2);

    // Without htmx (no script): back to the board with a flash.
    let res = b
        .post(
            &format!("/deals/{}/stage", t.deal_id),
            &[("stage_id", &s1.to_string())],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        res.location.as_deref(),
        Some(format!("/pipelines/{}", t.pipeline_id).as_str())
    );
    assert_eq!(deal_now(&app.db, t.ws.id, t.deal_id).await.stage_id, s1);
}

#[tokio::test]
async fn mark_lost_requires_a_reason_stores_it_and_won_clears_it() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "perdido").await;
    let st = stages(&app.db, &t).await;
    let (won, lost) = (stage_of_kind(&st, "won"), stage_of_kind(&st, "lost"));
    let b = signed_in(&app, &t.member_email).await;
    let token = board_token(&b, &t).await;
    let path = format!("/deals/{}/lost", t.deal_id);
    let before = count_events(&app.db, t.ws.id, "deal.stage_changed").await;

    let too_long = "x".repeat(deals::MAX_LOST_REASON + 1);
    for bad in ["", "   ", "dos\nlíneas", too_long.as_str()] {
        let (status, headers, body) = hx_post(&app, &b, &token, &path, &[("reason", bad)]).await;
        assert_eq!(status, 422, "{bad:?}: {body}");
        assert!(
            body.contains("Escribe por qué se perdió el negocio"),
            "{body}"
        );
        assert!(headers.get("hx-trigger").is_none());
    }
    let d = deal_now(&app.db, t.ws.id, t.deal_id).await;
    assert_eq!(d.stage_id, t.stage_id, "nothing moved");
    assert_eq!(d.lost_reason, None);
    assert_eq!(
        count_events(&app.db, t.ws.id, "deal.stage_changed").await,
        before
    );

    let (status, headers, body) =
        hx_post(&app, &b, &token, &path, &[("reason", "  Precio muy alto ")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(headers.get("hx-trigger").is_some());
    assert!(body.contains("Negocio marcado como perdido."), "{body}");
    assert!(
        body.contains("Motivo de la pérdida: Precio muy alto"),
        "{body}"
    );
    let d = deal_now(&app.db, t.ws.id, t.deal_id).await;
    assert_eq!(d.stage_id, lost);
    assert_eq!(d.lost_reason.as_deref(), Some("Precio muy alto"));
    let evs = af_db::events::list_events(&app.db, t.ws.id, 100)
        .await
        .expect("events");
    let e = evs
        .iter()
        .find(|e| e.kind == "deal.stage_changed")
        .expect("event");
    let data = json(&e.data);
    assert_eq!(data["to_stage_id"], lost.to_string());
    assert_eq!(data["to_kind"], "lost");
    assert_eq!(data["lost_reason"], "Precio muy alto");

    // The panel shows it when opened again; a reorder within the lost
    // column keeps it.
    let panel = b.get(&format!("/deals/{}/panel", t.deal_id)).await;
    assert!(panel.contains("Precio muy alto"), "{}", panel.body);
    let res = b
        .post(
            &format!("/deals/{}/move", t.deal_id),
            &[("stage_id", &lost.to_string())],
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        deal_now(&app.db, t.ws.id, t.deal_id)
            .await
            .lost_reason
            .as_deref(),
        Some("Precio muy alto")
    );

    // Won: to the won stage, the reason of the old loss is gone.
    let (status, _, body) =
        hx_post(&app, &b, &token, &format!("/deals/{}/won", t.deal_id), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Negocio marcado como ganado."));
    let d = deal_now(&app.db, t.ws.id, t.deal_id).await;
    assert_eq!(d.stage_id, won);
    assert_eq!(d.lost_reason, None);
}

#[tokio::test]
async fn the_owner_is_a_member_of_the_workspace() {
    let t = two_workspaces().await;
    let app = &t.app;
    let a = &t.a;
    let b = signed_in(app, &a.member_email).await;
    let token = board_token(&b, a).await;
    let path = format!("/deals/{}/owner", a.deal_id);

    let (status, _, body) = hx_post(
        app,
        &b,
        &token,
        &path,
        &[("owner_id", &a.member_id.to_string())],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Responsable guardado."));
    let d = deal_now(&app.db, a.ws.id, a.deal_id).await;
    assert_eq!(d.owner_id, Some(a.member_id.0));
    assert_eq!(count_events(&app.db, a.ws.id, "deal.updated").await, 1);

    // Another workspace's member, or garbage: 422, unchanged.
    for bad in [t.b.member_id.to_string(), "nadie".into()] {
        let (status, _, body) = hx_post(app, &b, &token, &path, &[("owner_id", &bad)]).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("Elige a un miembro de este espacio de trabajo."));
    }
    assert_eq!(
        deal_now(&app.db, a.ws.id, a.deal_id).await.owner_id,
        Some(a.member_id.0)
    );

    // Nobody.
    let (status, _, _) = hx_post(app, &b, &token, &path, &[("owner_id", "")]).await;
    assert_eq!(status, 200);
    assert_eq!(deal_now(&app.db, a.ws.id, a.deal_id).await.owner_id, None);
    assert_eq!(count_events(&app.db, a.ws.id, "deal.updated").await, 2);
}

#[tokio::test]
async fn the_drawer_edits_the_contacts_tags_and_shows_her_next_task() {
    let t = two_workspaces().await;
    let app = &t.app;
    let a = &t.a;
    let b = signed_in(app, &a.member_email).await;
    let token = board_token(&b, a).await;
    let deal = deal_now(&app.db, a.ws.id, a.deal_id).await;
    let tags_of = || async {
        af_db::contacts::tags_of(&app.db, a.ws.id, &[deal.contact_id])
            .await
            .expect("tags")
            .into_iter()
            .map(|(_, name)| name)
            .collect::<Vec<_>>()
    };

    // Add: the panel comes back with the tag, the card is told to re-render.
    let add = format!("/deals/{}/tags", a.deal_id);
    let (status, headers, body) = hx_post(app, &b, &token, &add, &[("name", "  Caliente ")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("Etiqueta «Caliente» agregada al contacto."),
        "{body}"
    );
    assert!(body.contains("<span>Caliente</span>"));
    assert!(headers.contains_key("hx-trigger"));
    assert_eq!(tags_of().await, ["Caliente"]);
    assert_eq!(count_events(&app.db, a.ws.id, "tag.added").await, 1);

    // A bad tag changes nothing and says why.
    let (status, _, body) = hx_post(app, &b, &token, &add, &[("name", "   ")]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Escribe una etiqueta de 1 a 50 caracteres."));
    assert_eq!(tags_of().await, ["Caliente"]);

    // Remove.
    let remove = format!("/deals/{}/tags/remove", a.deal_id);
    let (status, _, body) = hx_post(app, &b, &token, &remove, &[("name", "Caliente")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Etiqueta «Caliente» quitada del contacto."));
    assert!(tags_of().await.is_empty());

    // Another workspace's deal: 404, its contact untouched.
    let other = format!("/deals/{}/tags", t.b.deal_id);
    let (status, _, _) = hx_post(app, &b, &token, &other, &[("name", "x")]).await;
    assert_eq!(status, 404);

    // The next task is the first open one, overdue ones flagged.
    let now = app.now();
    let mut tx = app.db.begin().await.expect("tx");
    for (title, due) in [
        (
            "Enviar propuesta",
            Some(Ts::new(now.0 - SignedDuration::from_hours(2))),
        ),
        (
            "Llamar el viernes",
            Some(Ts::new(now.0 + SignedDuration::from_hours(48))),
        ),
    ] {
        af_db::tasks::insert_task(
            &mut tx,
            a.ws.id,
            &af_db::tasks::NewTask {
                contact_id: deal.contact_id,
                title: title.into(),
                due_at: due,
                assignee_id: Some(a.member_id),
            },
            None,
            &Actor::system(),
            now,
        )
        .await
        .expect("task");
    }
    tx.commit().await.expect("commit");
    let panel = b.get(&format!("/deals/{}/panel", a.deal_id)).await;
    let next = panel
        .body
        .split_once("data-testid=\"deal-next-task\"")
        .and_then(|(_, rest)| rest.split_once("</div>"))
        .map(|(block, _)| block)
        .expect("the next task block");
    assert!(
        next.contains("Enviar propuesta") && next.contains("Vencida"),
        "{next}"
    );
    assert!(
        !next.contains("Llamar el viernes"),
        "only the next task: {next}"
    );
}
