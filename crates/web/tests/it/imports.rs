//! The imports area over HTTP: CSV upload → mapping (suggestions, preview)
//! → queued job → progress fragment and report; exports (formula-safe CSV,
//! JSON lines, selected ids); GDPR export and erase; roles and tenancy.

use af_core::{ImportId, ManualClock};
use af_testkit::{Browser, PASSWORD, TestApp, Via, csrf_from, two_workspaces};

/// Posts `file` as multipart field `file`, the CSRF token in the query as
/// the upload form does.
async fn upload(app: &TestApp, b: &Browser, name: &str, file: &[u8]) -> (u16, String, String) {
    upload_kind(app, b, None, name, file).await
}

/// [`upload`] with the form's "what are you importing" choice.
async fn upload_kind(
    app: &TestApp,
    b: &Browser,
    kind: Option<&str>,
    name: &str,
    file: &[u8],
) -> (u16, String, String) {
    let page = b.get("/contacts/import").await;
    let token = csrf_from(&page.body).expect("csrf token on the page");
    let boundary = "----afboundary7MA4YWxk";
    let mut body = Vec::new();
    if let Some(kind) = kind {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = b
        .client
        .post(app.url(&format!("/contacts/import?_csrf={token}")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, location, res.text().await.expect("body"))
}

fn import_id(location: &str) -> ImportId {
    location
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("import id in the redirect")
}

#[tokio::test]
async fn upload_map_queue_progress_and_report() {
    let t = two_workspaces().await;
    let app = &t.app;
    let b = app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let page = b.get("/contacts/import").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("Importar datos"), "Spanish by default");

    let csv = "\u{feff}Nombre;Apellidos;Correo electrónico;Teléfono;Etiquetas\r\n\
        Ana;Pérez;ana@example.com;8112345678;vip|web\r\n\
        Luis;Gómez;no-es-correo;;\r\n\
        \"María\nJosé\";Ruiz;maria@example.com;;\r\n";
    let (status, location, body) = upload(app, &b, "clientes.csv", csv.as_bytes()).await;
    assert_eq!(status, 303, "{body}");
    let id = import_id(&location);

    let mapping = b.get(&location).await;
    assert_eq!(mapping.status, 200);
    for (col, field) in [
        (0, "first_name"),
        (1, "last_name"),
        (2, "email"),
        (3, "phone"),
        (4, "tags"),
    ] {
        let select = mapping
            .body
            .split(&format!("name=\"col_{col}\""))
            .nth(1)
            .and_then(|s| s.split("</select>").next())
            .expect("select");
        assert!(
            select.contains(&format!("<option value=\"{field}\" selected>")),
            "column {col} suggests {field}"
        );
    }
    assert!(mapping.contains("data-testid=\"import-preview\""));
    assert!(mapping.contains("ana@example.com"), "preview shows rows");
    assert!(mapping.contains("Disparar automatizaciones"));

    // A mapping without email or phone is refused and nothing is queued.
    let bad = b
        .post(
            &format!("{location}/start"),
            &[
                ("col_0", "first_name"),
                ("col_1", "ignore"),
                ("col_2", "ignore"),
                ("col_3", "ignore"),
                ("col_4", "ignore"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("Asigna una columna a correo o a teléfono"));
    let twice = b
        .post(
            &format!("{location}/start"),
            &[("col_0", "email"), ("col_2", "email")],
        )
        .await;
    assert_eq!(twice.status, 422);

    let start = b
        .post(
            &format!("{location}/start"),
            &[
                ("col_0", "first_name"),
                ("col_1", "last_name"),
                ("col_2", "email"),
                ("col_3", "phone"),
                ("col_4", "tags"),
            ],
        )
        .await;
    assert_eq!(start.status, 303, "{}", start.body);
    let again = b
        .post(&format!("{location}/start"), &[("col_2", "email")])
        .await;
    assert_eq!(again.status, 400, "an import starts once");

    let progress = b.get(&format!("{location}/progress")).await;
    assert_eq!(progress.status, 200);
    assert!(
        progress.contains("hx-trigger=\"every 1s\""),
        "polls while queued"
    );
    assert!(progress.contains("En cola"));
    assert!(!progress.contains("<html"), "a fragment");

    // The worker's part, run here instead of by a worker.
    let done =
        af_db::imports::run_queued_import(&app.db, t.a.ws.id, id, &app.clock as &ManualClock)
            .await
            .expect("run")
            .expect("found");
    assert_eq!((done.created_rows, done.rejected_rows), (2, 1));

    let progress = b.get(&format!("{location}/progress")).await;
    assert!(
        !progress.contains("hx-trigger"),
        "stops polling when finished"
    );
    assert!(progress.contains("Terminada"));
    assert!(progress.contains("data-testid=\"rejected-rows\""));
    assert!(progress.contains("Correo no válido"));
    assert!(progress.contains("no-es-correo"));
    let show = b.get(&location).await;
    assert!(show.contains("data-testid=\"import-progress\""));
    let list = b.get("/contacts/import").await;
    assert!(list.contains("clientes.csv"));

    // The newest contact event (other areas' fixtures write their own).
    let evs = af_db::events::list_events(&app.db, t.a.ws.id, 50)
        .await
        .expect("events");
    let ev = evs
        .iter()
        .find(|e| e.entity_type == "contact")
        .expect("a contact event");
    let data: serde_json::Value = serde_json::from_str(&ev.data).expect("json");
    assert_eq!(
        (data["import"].clone(), data["fire_triggers"].clone()),
        (true.into(), false.into())
    );
    let maria = af_db::contacts::list_contacts(
        &app.db,
        t.a.ws.id,
        &af_db::contacts::ContactFilter {
            q: Some("maria@example.com".into()),
            ..Default::default()
        },
        None,
        5,
    )
    .await
    .expect("list");
    assert_eq!(
        maria[0].first_name, "María José",
        "quoted newline read as one cell"
    );
}

#[tokio::test]
async fn bad_uploads_are_clear_4xx_and_change_nothing() {
    let t = two_workspaces().await;
    let app = &t.app;
    let b = app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let before = af_db::imports::list_imports(&app.db, t.a.ws.id, 100)
        .await
        .expect("list")
        .len();
    let (status, _, body) = upload(app, &b, "x.csv", b"\xff\xfe\x00\x01binary").await;
    assert_eq!(status, 422);
    assert!(body.contains("no es texto UTF-8"), "{body}");
    let (status, _, body) = upload(app, &b, "x.csv", b"").await;
    assert_eq!(status, 422);
    assert!(body.contains("Elige un archivo CSV"));
    let (status, _, _) = upload(app, &b, "big.csv", &vec![b'a'; 2 * 1024 * 1024]).await;
    assert!((400..500).contains(&status), "too big: {status}");
    // Without the token the upload is refused.
    let res = b
        .client
        .post(app.url("/contacts/import"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status().as_u16(), 403);
    let after = af_db::imports::list_imports(&app.db, t.a.ws.id, 100)
        .await
        .expect("list")
        .len();
    assert_eq!(before, after);

    // Members may export but not import or erase.
    let m = app.browser();
    m.login(&t.a.member_email, PASSWORD).await;
    assert_eq!(m.get("/contacts/import").await.status, 403);
    m.get("/dashboard").await;
    let erase = m
        .post(&format!("/contacts/{}/erase", t.a.contact_id), &[])
        .await;
    assert_eq!(erase.status, 403);
    assert!(
        af_db::contacts::find_contact(&app.db, t.a.ws.id, t.a.contact_id)
            .await
            .expect("find")
            .is_some()
    );
    assert_eq!(m.get("/contacts/export?format=csv").await.status, 200);
    assert_eq!(m.get("/contacts/export?format=xlsx").await.status, 400);
    assert_eq!(
        m.get("/contacts/export?format=csv&score_min=muchos")
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn exports_are_streamed_formula_safe_and_scoped() {
    let t = two_workspaces().await;
    let app = &t.app;
    let now = app.now();
    let mut tx = app.db.begin().await.expect("tx");
    af_db::contacts::upsert_contact(
        &mut tx,
        t.a.ws.id,
        &af_db::contacts::ContactInput {
            first_name: "=HYPERLINK(\"http://evil\")".into(),
            last_name: "@SUM(1)".into(),
            email: Some("evil@example.com".into()),
            company: Some("Comillas \"y, comas\"".into()),
            ..Default::default()
        },
        &af_core::Actor::system(),
        now,
    )
    .await
    .expect("contact");
    tx.commit().await.expect("commit");
    let b = app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let res = b
        .client
        .get(app.url("/contacts/export?format=csv"))
        .send()
        .await
        .expect("export");
    assert_eq!(res.status().as_u16(), 200);
    let headers = res.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("cd")
            .contains("attachment")
    );
    let bytes = res.bytes().await.expect("body");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let text = String::from_utf8(bytes.to_vec()).expect("utf8");
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(text.contains(",'@SUM(1),"));
    assert!(text.contains("\"Comillas \"\"y, comas\"\"\""));
    assert!(text.contains("lucia@alpha.test"));
    assert!(
        !text.contains("lucia@bravo.test"),
        "never another workspace's"
    );

    let filtered = b.get("/contacts/export?format=jsonl&q=evil").await;
    assert_eq!(filtered.status, 200);
    let lines: Vec<&str> = filtered.body.lines().collect();
    assert_eq!(lines.len(), 1, "{}", filtered.body);
    let v: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    assert_eq!(v["email"], "evil@example.com");

    b.get("/dashboard").await;
    let selected = b
        .post(
            "/contacts/export",
            &[("ids", &t.a.contact_id.to_string()), ("format", "jsonl")],
        )
        .await;
    assert_eq!(selected.status, 200);
    assert_eq!(selected.body.lines().count(), 1);
    assert!(selected.contains("lucia@alpha.test"));
    let mixed = b
        .post(
            "/contacts/export",
            &[
                ("ids", &t.a.contact_id.to_string()),
                ("ids", &t.b.contact_id.to_string()),
            ],
        )
        .await;
    assert_eq!(mixed.status, 404, "another workspace's id is not found");
    let none = b.post("/contacts/export", &[("ids", "nope")]).await;
    assert_eq!(none.status, 400);

    let deals = b.get("/deals/export?format=csv").await;
    assert_eq!(deals.status, 200);
    assert!(
        deals.contains("Sitio web,15000.00,1500000,MXN"),
        "{}",
        deals.body
    );
    assert_eq!(deals.body.lines().count(), 2);
    let deals = b.get("/deals/export?format=jsonl").await;
    assert_eq!(deals.body.lines().count(), 1);

    let audit = af_db::audit::list_audit(&app.db, t.a.ws.id, 20)
        .await
        .expect("audit");
    assert!(audit.iter().any(|a| a.action == "contacts.exported"));
    assert!(audit.iter().any(|a| a.action == "deals.exported"));
}

#[tokio::test]
async fn gdpr_export_and_erase_over_http() {
    let t = two_workspaces().await;
    let app = &t.app;
    let b = app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let id = t.a.contact_id;
    let res = b.get(&format!("/contacts/{id}/gdpr-export")).await;
    assert_eq!(res.status, 200);
    assert!(
        res.headers["content-disposition"]
            .to_str()
            .expect("cd")
            .contains("attachment")
    );
    let doc: serde_json::Value = serde_json::from_str(&res.body).expect("json");
    assert_eq!(doc["contact"]["email"], "lucia@alpha.test");
    assert_eq!(doc["deals"][0]["title"], "Sitio web");
    assert!(!doc["events"].as_array().expect("events").is_empty());
    assert_eq!(b.get("/contacts/not-an-id/gdpr-export").await.status, 404);

    b.get("/dashboard").await;
    let erase = b.post(&format!("/contacts/{id}/erase"), &[]).await;
    assert_eq!(erase.status, 303);
    assert!(
        af_db::contacts::find_contact(&app.db, t.a.ws.id, id)
            .await
            .expect("find")
            .is_none()
    );
    assert_eq!(
        b.get(&format!("/contacts/{id}/gdpr-export")).await.status,
        404
    );
    for e in af_db::events::list_events(&app.db, t.a.ws.id, 500)
        .await
        .expect("events")
    {
        assert!(
            !e.data.contains("lucia@alpha.test"),
            "{} {}",
            e.kind,
            e.data
        );
        assert!(!e.data.contains("Lucía"), "{} {}", e.kind, e.data);
    }
    let audit = af_db::audit::list_audit(&app.db, t.a.ws.id, 20)
        .await
        .expect("audit");
    assert!(audit.iter().any(
        |a| a.action == "contact.erased" && a.target_id.as_deref() == Some(&id.to_string()[..])
    ));
    assert!(audit.iter().any(|a| a.action == "contact.gdpr_exported"));
    // B's contact is untouched.
    assert!(
        af_db::contacts::find_contact(&app.db, t.b.ws.id, t.b.contact_id)
            .await
            .expect("find")
            .is_some()
    );
}

#[tokio::test]
async fn this_areas_id_routes_answer_404_to_another_workspace() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    for route in af_testkit::areas::imports::routes(&t.b) {
        assert_eq!(route.via, Via::Page);
        b.get("/dashboard").await;
        let form: Vec<(&str, &str)> = route.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let status = match route.method {
            "GET" => b.get(&route.path).await.status,
            _ => b.post(&route.path, &form).await.status,
        };
        assert_eq!(status, 404, "{} {}", route.method, route.path);
    }
    let import: ImportId = t.b.ids["import_id"].parse().expect("id");
    let still = af_db::imports::find_import(&t.app.db, t.b.ws.id, import)
        .await
        .expect("find")
        .expect("there");
    assert_eq!(still.status, "uploaded", "B's import was not started");
    assert!(
        af_db::contacts::find_contact(&t.app.db, t.b.ws.id, t.b.contact_id)
            .await
            .expect("find")
            .is_some()
    );
}

fn selected(page: &str, col: usize) -> String {
    page.split(&format!("name=\"col_{col}\""))
        .nth(1)
        .and_then(|s| s.split("</select>").next())
        .and_then(|s| s.split("\" selected>").next())
        .and_then(|s| s.rsplit("value=\"").next())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn activities_import_through_the_apis_checks_and_scores() {
    let t = two_workspaces().await;
    let app = &t.app;
    let b = app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let csv = "Correo;Tipo;Fecha;Monto;Moneda;Notas\r\n\
        ana@example.com;Visita;01/12/2026 18:30;;;primera\r\n\
        ana@example.com;Compra;2026-12-02;1.250,50;MXN;\r\n\
        nuevo@example.com;Check-in;2026-12-03;;;\r\n\
        mal;Visita;2026-12-01;;;\r\n\
        ana@example.com;Visita;ayer;;;\r\n\
        ana@example.com;Compra;2026-12-02;;;\r\n";
    let (status, location, body) =
        upload_kind(app, &b, Some("activities"), "visitas.csv", csv.as_bytes()).await;
    assert_eq!(status, 303, "{body}");
    let id = import_id(&location);
    let mapping = b.get(&location).await;
    assert_eq!(mapping.status, 200);
    let suggested: Vec<String> = (0..6).map(|c| selected(&mapping.body, c)).collect();
    assert_eq!(
        suggested,
        ["email", "type", "occurred_at", "amount", "currency", "note"]
    );
    assert!(!mapping.contains("fire_triggers"), "contacts only");
    assert!(mapping.contains("Tipo de actividad"));

    // No type column: refused, nothing queued.
    let bad = b
        .post(
            &format!("{location}/start"),
            &[
                ("col_0", "email"),
                ("col_1", "ignore"),
                ("col_2", "occurred_at"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("Asigna una columna al tipo de actividad."));
    let unknown = b
        .post(&format!("{location}/start"), &[("col_0", "plan")])
        .await;
    assert_eq!(
        unknown.status, 422,
        "a memberships column in an activities file"
    );
    let start = b
        .post(
            &format!("{location}/start"),
            &[
                ("col_0", "email"),
                ("col_1", "type"),
                ("col_2", "occurred_at"),
                ("col_3", "amount"),
                ("col_4", "currency"),
                ("col_5", "note"),
            ],
        )
        .await;
    assert_eq!(start.status, 303, "{}", start.body);
    let queued: i64 = af_db::with_pool!(&app.db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE workspace_id = $1 AND kind = 'import_records'")
            .bind(t.a.ws.id.0).fetch_one(p).await.expect("jobs")
    });
    assert_eq!(queued, 1);

    let done = af_service::record_imports::run(
        &app.db,
        t.a.ws.id,
        id,
        &app.clock as &ManualClock,
        &mut |_| {},
    )
    .await
    .expect("run")
    .expect("found");
    assert_eq!(
        (
            done.status.as_str(),
            done.created_rows,
            done.rejected_rows,
            done.processed_rows
        ),
        ("done", 3, 3, 6)
    );
    let progress = b.get(&format!("{location}/progress")).await;
    assert!(progress.contains("Terminada"));
    for reason in ["Correo no válido", "Fecha no válida", "Monto no válido"] {
        assert!(progress.contains(reason), "{reason}");
    }
    assert!(progress.contains("Actividades"));

    let ana = af_db::contacts::list_contacts(
        &app.db,
        t.a.ws.id,
        &af_db::contacts::ContactFilter {
            q: Some("ana@example.com".into()),
            ..Default::default()
        },
        None,
        5,
    )
    .await
    .expect("list");
    let ana = ana[0].id;
    let acts = af_db::scoring::list_activities(&app.db, t.a.ws.id, ana, None, 10)
        .await
        .expect("activities");
    let kinds: Vec<&str> = acts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["purchase", "visit"]);
    assert_eq!(acts[0].data_json()["amount"], 125050);
    assert_eq!(
        acts[1].occurred_at.0.to_string(),
        "2026-12-02T00:30:00Z",
        "18:30 in Mexico City"
    );
    assert_eq!(acts[1].source, "import");
    let score = af_db::scoring::scores_of(&app.db, t.a.ws.id, ana)
        .await
        .expect("score")
        .expect("contact");
    assert!(score.total > 0, "the default rules scored the import");

    // Running the finished import again adds nothing.
    let again = af_service::record_imports::run(
        &app.db,
        t.a.ws.id,
        id,
        &app.clock as &ManualClock,
        &mut |_| {},
    )
    .await
    .expect("run")
    .expect("found");
    assert_eq!(again.created_rows, 3);

    // Workspace B cannot see it.
    let other = app.browser();
    other.login(&t.b.owner_email, PASSWORD).await;
    assert_eq!(other.get(&location).await.status, 404);
}

#[tokio::test]
async fn memberships_import_creates_then_updates_by_external_id() {
    let t = two_workspaces().await;
    let app = &t.app;
    let b = app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let run = |csv: &'static str| {
        let b = &b;
        async move {
            let (status, location, body) =
                upload_kind(app, b, Some("memberships"), "socios.csv", csv.as_bytes()).await;
            assert_eq!(status, 303, "{body}");
            let mapping = b.get(&location).await;
            let cols: Vec<String> = (0..7).map(|c| selected(&mapping.body, c)).collect();
            assert_eq!(
                cols,
                [
                    "email",
                    "plan",
                    "status",
                    "starts_at",
                    "ends_at",
                    "amount",
                    "external_id"
                ]
            );
            let fields: Vec<(String, String)> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("col_{i}"), c.clone()))
                .collect();
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let start = b.post(&format!("{location}/start"), &fields).await;
            assert_eq!(start.status, 303, "{}", start.body);
            af_service::record_imports::run(
                &app.db,
                t.a.ws.id,
                import_id(&location),
                &app.clock as &ManualClock,
                &mut |_| {},
            )
            .await
            .expect("run")
            .expect("found")
        }
    };
    let first = run("Email,Plan,Estado,Inicio,Vencimiento,Monto,ID externo\r\n\
        ana@example.com,Mensual,Activa,2026-12-01,2026-12-31,499.00,sub_1\r\n\
        luis@example.com,Anual,Vencida,01/01/2026,31/12/2026,,sub_2\r\n\
        ana@example.com,Mensual,quizás,2026-12-01,,,sub_3\r\n")
    .await;
    assert_eq!(
        (first.created_rows, first.updated_rows, first.rejected_rows),
        (2, 0, 1),
        "{}",
        first.report
    );
    assert!(
        first.report.contains("quizás"),
        "the refused status is reported"
    );
    let second = run("Email,Plan,Estado,Inicio,Vencimiento,Monto,ID externo\r\n\
        ana@example.com,Mensual,Cancelada,2026-12-01,2026-12-31,499.00,sub_1\r\n")
    .await;
    assert_eq!((second.created_rows, second.updated_rows), (0, 1));
    let all =
        af_db::memberships::list_memberships(&app.db, t.a.ws.id, &Default::default(), None, 50)
            .await
            .expect("list");
    let imported: Vec<_> = all.iter().filter(|m| m.external_id.is_some()).collect();
    assert_eq!(imported.len(), 2, "sub_1 updated, not added again");
    let sub1 = imported
        .iter()
        .find(|m| m.external_id.as_deref() == Some("sub_1"))
        .expect("sub_1");
    assert_eq!(
        (sub1.status.as_str(), sub1.amount_minor),
        ("cancelled", Some(49900))
    );
}
