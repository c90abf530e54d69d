//! Imports, exports and GDPR on the backend chosen by `AF_TEST_BACKEND`:
//! CSV edge cases (BOM, `;`, quoted newlines, duplicates, bad rows, 10k
//! rows), event flags, formula-safe exports and the export → import round
//! trip, GDPR export content and erase.

use af_core::csv_io::{self, CsvFile, Field};
use af_core::{Actor, Clock, ImportId, Locale, ManualClock, WorkspaceId};
use af_db::exports::{ContactExport, ContactSelection, DealExport, DealExportFilter, ExportFormat};
use af_db::imports::{self, ImportOptions, ImportReport};
use af_db::testing::fresh_db;
use af_db::{Db, Ts, contacts, custom_fields, events, gdpr, workspaces};

fn clock() -> ManualClock {
    ManualClock::new("2026-11-21T10:00:00Z".parse().expect("time"))
}

fn now() -> Ts {
    Ts::new(clock().now())
}

async fn workspace(db: &Db, slug: &str) -> WorkspaceId {
    let mut tx = db.begin().await.expect("tx");
    let ws = workspaces::insert_workspace(
        &mut tx,
        &workspaces::NewWorkspace {
            slug: slug.into(),
            name: slug.into(),
            time_zone: "America/Mexico_City".into(),
            locale: Locale::Es,
            country: "MX".into(),
        },
        now(),
    )
    .await
    .expect("workspace");
    tx.commit().await.expect("commit");
    ws.id
}

/// Imports `data` with the suggested mapping; returns the finished row.
async fn import(db: &Db, ws: WorkspaceId, data: &[u8], fire: bool) -> imports::Import {
    let headers = imports::read_headers(data).expect("headers");
    let custom = imports::custom_keys(db, ws).await.expect("custom");
    let mapping = csv_io::suggest_mapping(&headers, &custom);
    import_mapped(db, ws, data, &mapping, fire).await
}

async fn import_mapped(
    db: &Db,
    ws: WorkspaceId,
    data: &[u8],
    mapping: &[Field],
    fire: bool,
) -> imports::Import {
    let mut tx = db.begin().await.expect("tx");
    let id = imports::insert_import(
        &mut tx,
        ws,
        "test.csv",
        imports::status::RUNNING,
        0,
        &ImportReport::default(),
        None,
        now(),
    )
    .await
    .expect("import row");
    tx.commit().await.expect("commit");
    let opts = ImportOptions {
        fire_triggers: fire,
        country: "MX".into(),
        actor: Actor::system(),
    };
    let mut calls = 0;
    let done = imports::run_import(db, ws, id, data, mapping, &opts, &clock(), &mut |_| {
        calls += 1
    })
    .await
    .expect("import runs");
    if done.status == "done" {
        assert!(calls >= 2, "progress is reported");
    }
    done
}

async fn all_contacts(db: &Db, ws: WorkspaceId) -> Vec<contacts::Contact> {
    contacts::list_contacts(db, ws, &Default::default(), None, 100_000)
        .await
        .expect("list")
}

#[tokio::test]
async fn bom_semicolons_quoted_newlines_duplicates_and_bad_rows() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let other = workspace(&t.db, "other").await;
    let csv = "\u{feff}Nombre;Apellidos;Correo electrónico;Teléfono;Empresa;Etiquetas;Notas\r\n\
        Ana;Pérez;ana@example.com;81 1234 5678;\"Acme; S.A.\";vip|web;\"dos\nlíneas\"\r\n\
        ANA;;Ana@Example.com;;;nuevo;\r\n\
        Luis;Gómez;no-es-correo;;;;\r\n\
        Eva;Ruiz;;123;;;\r\n\
        Sin;Datos;;;;;\r\n\
        Raúl;Soto;;+52 55 1234 5678;;;\r\n";
    let done = import(&t.db, ws, csv.as_bytes(), false).await;
    assert_eq!(done.status, "done");
    assert_eq!(
        (
            done.processed_rows,
            done.created_rows,
            done.updated_rows,
            done.rejected_rows
        ),
        (6, 2, 1, 3)
    );
    let report = done.report();
    let reasons: Vec<(usize, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.row, r.code.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (4, "invalid_email"),
            (5, "invalid_phone"),
            (6, "no_email_or_phone")
        ]
    );
    assert_eq!(report.rejected[0].value.as_deref(), Some("no-es-correo"));

    let list = all_contacts(&t.db, ws).await;
    assert_eq!(list.len(), 2, "the duplicate row merged: never a twin");
    let ana = list
        .iter()
        .find(|c| c.email.as_deref().map(str::to_lowercase).as_deref() == Some("ana@example.com"))
        .expect("ana");
    assert_eq!(ana.phone.as_deref(), Some("+528112345678"));
    assert_eq!(ana.company.as_deref(), Some("Acme; S.A."));
    assert_eq!(ana.last_name, "Pérez", "an empty cell never erases");
    let tags: Vec<String> = contacts::tags_of(&t.db, ws, &[ana.id])
        .await
        .expect("tags")
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(tags, ["nuevo", "vip", "web"]);
    assert!(all_contacts(&t.db, other).await.is_empty());

    // Every event of the import says so, and that triggers are off.
    let evs = events::list_events(&t.db, ws, 100).await.expect("events");
    assert!(!evs.is_empty());
    for e in &evs {
        let data: serde_json::Value = serde_json::from_str(&e.data).expect("json");
        assert_eq!(data["import"], true, "{}", e.kind);
        assert_eq!(data["fire_triggers"], false, "{}", e.kind);
    }
    let fired = import(&t.db, ws, b"email\nnew@example.com\n", true).await;
    assert_eq!(fired.created_rows, 1);
    let evs = events::list_events(&t.db, ws, 1).await.expect("events");
    let data: serde_json::Value = serde_json::from_str(&evs[0].data).expect("json");
    assert_eq!(data["fire_triggers"], true);
}

#[tokio::test]
async fn unreadable_files_fail_with_a_reason_and_change_nothing() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let done = import_mapped(&t.db, ws, b"\xff\xfe\x00garbage", &[Field::Email], false).await;
    assert_eq!(done.status, "failed");
    assert!(done.report().error.expect("error").contains("UTF-8"));
    let done = import_mapped(&t.db, ws, b"nombre\nAna\n", &[Field::FirstName], false).await;
    assert_eq!(done.status, "failed", "no email or phone column");
    assert!(all_contacts(&t.db, ws).await.is_empty());
}

#[tokio::test]
async fn custom_fields_tags_and_conflicting_rows() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let mut tx = t.db.begin().await.expect("tx");
    custom_fields::insert_field(
        &mut tx,
        ws,
        "presupuesto",
        "Presupuesto",
        "number",
        &[],
        now(),
    )
    .await
    .expect("field");
    tx.commit().await.expect("commit");
    let csv = "email,phone,Presupuesto,tags\n\
        a@x.com,8112345678,1500,uno\n\
        b@x.com,8112345679,mucho,\n\
        c@x.com,8112345678,,\n";
    let done = import(&t.db, ws, csv.as_bytes(), false).await;
    // Row 4: c@x.com is new, but its phone is a@x.com's, so the upsert
    // rule merges it into a (email c replaces a's): the importer does what
    // the API does.
    assert_eq!(done.rejected_rows, 1, "{:?}", done.report().rejected);
    let rej = &done.report().rejected[0];
    assert_eq!((rej.row, rej.code.as_str()), (3, "invalid_custom"));
    assert_eq!(rej.field.as_deref(), Some("custom:presupuesto"));
    let list = all_contacts(&t.db, ws).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].custom_map()["presupuesto"],
        serde_json::json!(1500.0)
    );

    // An email of one contact with the phone of another cannot be both:
    // that row alone is rejected, the rest of its batch goes in.
    let csv =
        "email,phone\nz@x.com,8112340000\nq@x.com,8112340001\nz@x.com,8112340001\nlast@x.com,\n";
    let done = import(&t.db, ws, csv.as_bytes(), false).await;
    assert_eq!((done.created_rows, done.rejected_rows), (3, 1));
    assert_eq!(done.report().rejected[0].code, "conflict");
    assert_eq!(done.report().rejected[0].row, 4);
}

fn big_csv(n: usize) -> String {
    let mut s = String::from("first_name,last_name,email,phone,company,tags\n");
    for i in 0..n {
        s.push_str(&format!(
            "Nombre{i},Apellido,persona{i}@example.com,81{:08},Empresa {},lead\n",
            i,
            i % 50
        ));
    }
    s
}

#[tokio::test]
async fn ten_thousand_rows_import_in_batches() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let start = std::time::Instant::now();
    let done = import(&t.db, ws, big_csv(10_000).as_bytes(), false).await;
    assert_eq!((done.created_rows, done.rejected_rows), (10_000, 0));
    assert_eq!(done.total_rows, 10_000);
    assert_eq!(
        contacts::count_contacts(&t.db, ws).await.expect("count"),
        10_000
    );
    // Not a benchmark (see BENCHMARKS.md); catches an accidental
    // per-row transaction or quadratic step.
    assert!(start.elapsed().as_secs() < 120, "{:?}", start.elapsed());
}

async fn export_all(db: &Db, ws: WorkspaceId, format: ExportFormat) -> Vec<u8> {
    let mut e = ContactExport::new(db, ws, format, ContactSelection::Filter(Default::default()))
        .await
        .expect("export");
    let mut out = vec![];
    while let Some(chunk) = e.next_chunk().await.expect("chunk") {
        out.extend(chunk);
    }
    out
}

#[tokio::test]
async fn exports_are_formula_safe_and_import_back() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let csv = "nombre,apellido,email,telefono,empresa,fuente,etiquetas,utm_source\n\
        =HYPERLINK(\"http://evil\"),@SUM(A1),eva@x.com,8112345678,\"-2+3, \"\"quoted\"\"\",+web,\"a,b\",google\n\
        Ana,Pérez,ana@x.com,,\"line1\nline2\",,vip,\n";
    let done = import(&t.db, ws, csv.as_bytes(), false).await;
    assert_eq!(done.created_rows, 2, "{:?}", done.report().rejected);
    let out = export_all(&t.db, ws, ExportFormat::Csv).await;
    assert!(out.starts_with(csv_io::UTF8_BOM), "BOM for Excel");
    let text = String::from_utf8(out.clone()).expect("utf8");
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "{text}"
    );
    assert!(text.contains(",'@SUM(A1),"));
    assert!(text.contains(",'+528112345678,"));
    assert!(text.contains("\"'-2+3, \"\"quoted\"\"\""));
    assert!(
        text.contains(",line1 line2,"),
        "names and companies are one line"
    );
    // No cell of any line starts with a formula character.
    let mut f = CsvFile::open(&out).expect("reads");
    let mut raw_cells = 0;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_io::strip_bom(&out));
    for rec in reader.records() {
        for cell in rec.expect("record").iter() {
            raw_cells += 1;
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
    assert!(raw_cells > 0);
    assert!(f.next_row().is_some());

    // Round trip into another workspace: the same contacts.
    let copy = workspace(&t.db, "copy").await;
    let again = import(&t.db, copy, &out, false).await;
    assert_eq!(again.created_rows, 2, "{:?}", again.report().rejected);
    let key = |c: &contacts::Contact| {
        (
            c.first_name.clone(),
            c.last_name.clone(),
            c.email.clone(),
            c.phone.clone(),
            c.company.clone(),
            c.source.clone(),
            c.first_utm_source.clone(),
        )
    };
    let mut a: Vec<_> = all_contacts(&t.db, ws).await.iter().map(key).collect();
    let mut b: Vec<_> = all_contacts(&t.db, copy).await.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);

    let jsonl = String::from_utf8(export_all(&t.db, ws, ExportFormat::Jsonl).await).expect("utf8");
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .any(|l| l["first_name"] == "=HYPERLINK(\"http://evil\")"),
        "JSON is not guarded"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["tags"] == serde_json::json!(["a", "b"]))
    );
    assert!(lines.iter().all(|l| l.get("workspace_id").is_none()));
}

#[tokio::test]
async fn exports_page_through_many_rows_and_deals() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    import(&t.db, ws, big_csv(1_234).as_bytes(), false).await;
    let out = export_all(&t.db, ws, ExportFormat::Jsonl).await;
    let ids: std::collections::HashSet<String> = String::from_utf8(out)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1_234, "every contact exactly once across pages");

    let list = all_contacts(&t.db, ws).await;
    let mut tx = t.db.begin().await.expect("tx");
    for c in list.iter().take(3) {
        af_db::deals::insert_deal(
            &mut tx,
            ws,
            &af_db::deals::NewDeal {
                contact_id: c.id,
                pipeline_id: None,
                stage_id: None,
                title: "=cmd|' /C calc'!A0".into(),
                value_minor: 150_050,
                currency: "MXN".into(),
                owner_id: None,
            },
            &Actor::system(),
            now(),
        )
        .await
        .expect("deal");
    }
    tx.commit().await.expect("commit");
    let mut e = DealExport::new(&t.db, ws, ExportFormat::Csv, DealExportFilter::default());
    let mut out = vec![];
    while let Some(c) = e.next_chunk().await.expect("chunk") {
        out.extend(c);
    }
    let text = String::from_utf8(out).expect("utf8");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.contains("'=cmd|' /C calc'!A0,1500.50,150050,MXN"),
        "{text}"
    );
    let other = workspace(&t.db, "other").await;
    let mut e = DealExport::new(
        &t.db,
        other,
        ExportFormat::Jsonl,
        DealExportFilter::default(),
    );
    let mut n = 0;
    while let Some(c) = e.next_chunk().await.expect("chunk") {
        n += c.len();
    }
    assert_eq!(n, 0, "another workspace's deals never leak");
}

#[tokio::test]
async fn gdpr_export_and_erase_leave_only_the_opt_out_hash() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let other = workspace(&t.db, "other").await;
    let csv = "nombre,email,telefono,etiquetas\nMaría José Pérez,maria@x.com,8112345678,vip\nOtro Señor,otro@x.com,,\n";
    import(&t.db, ws, csv.as_bytes(), false).await;
    import(&t.db, other, csv.as_bytes(), false).await;
    let list = all_contacts(&t.db, ws).await;
    let maria = list
        .iter()
        .find(|c| c.email.as_deref() == Some("maria@x.com"))
        .expect("maria")
        .clone();
    let mut tx = t.db.begin().await.expect("tx");
    contacts::update_contact(
        &mut tx,
        ws,
        maria.id,
        &contacts::ContactPatch {
            email_unsubscribed: Some(true),
            ..Default::default()
        },
        &Actor::system(),
        now(),
    )
    .await
    .expect("unsubscribe");
    let deal = af_db::deals::insert_deal(
        &mut tx,
        ws,
        &af_db::deals::NewDeal {
            contact_id: maria.id,
            pipeline_id: None,
            stage_id: None,
            title: "Sitio".into(),
            value_minor: 100,
            currency: "MXN".into(),
            owner_id: None,
        },
        &Actor::system(),
        now(),
    )
    .await
    .expect("deal");
    for to in ["MARIA@x.com", "+528112345678", "otro@x.com"] {
        af_db::messages::insert_message(
            &mut tx,
            &af_db::messages::NewMessage {
                workspace: ws,
                channel: af_core::vocab::Channel::Email,
                provider: "outbox",
                to,
                from: None,
                subject: Some("Hola"),
                body_text: "Hola María",
                body_html: None,
                category: "marketing",
                status: af_core::vocab::MessageStatus::Sent,
                ..Default::default()
            },
            now(),
        )
        .await
        .expect("message");
    }
    // A Kommo sync of hers (her details in the body, not the address).
    af_db::messages::insert_message(
        &mut tx,
        &af_db::messages::NewMessage {
            workspace: ws,
            channel: af_core::vocab::Channel::Kommo,
            provider: "kommo",
            to: "kommo",
            body_text: r#"{"contact":{"email":"maria@x.com"}}"#,
            category: "system",
            status: af_core::vocab::MessageStatus::Sent,
            contact_id: Some(maria.id),
            ..Default::default()
        },
        now(),
    )
    .await
    .expect("kommo message");
    // Her Cal.com booking: the appointment and the raw delivery.
    af_db::appointments::insert_appointment(
        &mut tx,
        ws,
        &af_db::appointments::AppointmentInput {
            contact_id: maria.id,
            deal_id: None,
            title: "Demo".into(),
            starts_at: None,
            ends_at: None,
            time_zone: None,
            organizer_time_zone: None,
            status: "booked",
            source: "calcom",
            external_uid: Some("uid-maria".into()),
            metadata: serde_json::json!({}),
        },
        now(),
    )
    .await
    .expect("appointment");
    let delivery = af_db::inbound_webhooks::NewDelivery {
        source: "calcom",
        event: "BOOKING_CREATED",
        external_id: Some("uid-maria"),
        dedupe_key: "BOOKING_CREATED:uid-maria",
        body: r#"{"payload":{"attendees":[{"email":"maria@x.com"}]}}"#,
        signature_ok: true,
    };
    af_db::inbound_webhooks::claim_delivery(&mut tx, ws, &delivery, now())
        .await
        .expect("delivery");
    // An event of something else that mentions her email.
    events::insert_event(
        &mut tx,
        &events::NewEvent {
            workspace: ws,
            kind: "form.submitted",
            entity_type: "form",
            entity_id: Some("f1".into()),
            actor: &Actor::system(),
            data: serde_json::json!({"fields": {"correo": "maria@x.com", "nombre": "María José Pérez"}}),
        },
        now(),
    )
    .await
    .expect("event");
    tx.commit().await.expect("commit");

    let doc = gdpr::export_contact(&t.db, ws, maria.id, now())
        .await
        .expect("export")
        .expect("found");
    assert_eq!(doc["contact"]["email"], "maria@x.com");
    assert_eq!(doc["contact"]["first_name"], "María");
    assert_eq!(doc["tags"], serde_json::json!(["vip"]));
    assert_eq!(doc["deals"][0]["title"], "Sitio");
    assert_eq!(doc["messages"].as_array().expect("messages").len(), 3);
    assert_eq!(doc["appointments"][0]["title"], "Demo");
    assert!(doc["form_submissions"].is_array());
    let kinds: Vec<&str> = doc["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in [
        "contact.created",
        "tag.added",
        "contact.updated",
        "deal.created",
        "form.submitted",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(
        gdpr::export_contact(&t.db, other, maria.id, now())
            .await
            .expect("export")
            .is_none(),
        "another workspace's contact is not found"
    );

    let mut tx = t.db.begin().await.expect("tx");
    assert!(matches!(
        gdpr::erase_contact(&mut tx, other, maria.id, &Actor::system(), now()).await,
        Err(af_db::DbError::NotFound(_))
    ));
    let erased = gdpr::erase_contact(&mut tx, ws, maria.id, &Actor::system(), now())
        .await
        .expect("erase");
    tx.commit().await.expect("commit");
    assert_eq!((erased.deals, erased.messages), (1, 3));
    let raw = af_db::inbound_webhooks::list_deliveries(&t.db, ws, 10)
        .await
        .expect("deliveries");
    assert_eq!(raw.len(), 1, "the delivery's record stays");
    assert!(!raw[0].body.contains("maria@x.com"), "{}", raw[0].body);
    assert!(
        contacts::find_contact(&t.db, ws, maria.id)
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        af_db::deals::find_deal(&t.db, ws, deal.id)
            .await
            .expect("find")
            .is_none()
    );
    let msgs = af_db::messages::list_messages(&t.db, ws, 100)
        .await
        .expect("messages");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].to_address, "otro@x.com");
    for e in events::list_events(&t.db, ws, 1000).await.expect("events") {
        let d = e.data.to_lowercase();
        for needle in [
            "maria@x.com",
            "8112345678",
            "maría josé pérez",
            "\"maría\"",
            "josé pérez",
        ] {
            assert!(
                !d.contains(needle),
                "{needle} left in {} {}",
                e.kind,
                e.data
            );
        }
    }
    // The other workspace's María is untouched.
    assert_eq!(all_contacts(&t.db, other).await.len(), 2);

    // She comes back in an import: the opt-out holds.
    let back = import(&t.db, ws, b"correo,telefono\nMaria@X.com,\n", false).await;
    assert_eq!(back.created_rows, 1);
    let again = contacts::list_contacts(
        &t.db,
        ws,
        &contacts::ContactFilter {
            q: Some("maria@x.com".into()),
            ..Default::default()
        },
        None,
        10,
    )
    .await
    .expect("list");
    assert_eq!(again.len(), 1);
    assert!(again[0].email_unsubscribed, "opt-out honoured after erase");
    assert!(!again[0].sms_opted_out);
    let mut tx = t.db.begin().await.expect("tx");
    let o = gdpr::erased_opt_outs(&mut tx, ws, None, Some("+528112345678"))
        .await
        .expect("opt-outs");
    assert!(o.email_unsubscribed, "found by phone hash too");
    let none = gdpr::erased_opt_outs(&mut tx, other, Some("maria@x.com"), None)
        .await
        .expect("opt-outs");
    assert!(!none.any(), "hashes are per workspace");
    tx.rollback().await.expect("rollback");
}

#[tokio::test]
async fn a_stored_upload_runs_once_through_the_queue() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let data = b"Nombre,Correo\nAna,ana@x.com\n";
    let headers = imports::read_headers(data).expect("headers");
    let mapping = csv_io::suggest_mapping(&headers, &[]);
    let mut tx = t.db.begin().await.expect("tx");
    let id = imports::insert_import(
        &mut tx,
        ws,
        "web.csv",
        imports::status::UPLOADED,
        1,
        &ImportReport::default(),
        None,
        now(),
    )
    .await
    .expect("row");
    imports::insert_import_file(&mut tx, ws, id, data, &mapping, now())
        .await
        .expect("file");
    assert!(
        imports::queue_import(&mut tx, ws, id, &mapping, true, now())
            .await
            .expect("queue")
    );
    assert!(
        !imports::queue_import(&mut tx, ws, id, &mapping, true, now())
            .await
            .expect("again")
    );
    tx.commit().await.expect("commit");
    let other = workspace(&t.db, "other").await;
    assert!(
        imports::run_queued_import(&t.db, other, id, &clock())
            .await
            .expect("run")
            .is_none()
    );
    let done = imports::run_queued_import(&t.db, ws, id, &clock())
        .await
        .expect("run")
        .expect("found");
    assert_eq!((done.status.as_str(), done.created_rows), ("done", 1));
    assert!(
        imports::find_import_file(&t.db, ws, id)
            .await
            .expect("file")
            .is_none(),
        "upload deleted"
    );
    let again = imports::run_queued_import(&t.db, ws, id, &clock())
        .await
        .expect("run")
        .expect("found");
    assert_eq!(again.created_rows, 1, "a second run does nothing");
    let _: ImportId = id;
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// Any contacts exported as CSV import back as the same contacts.
    #[test]
    fn export_then_import_gives_the_same_contacts(
        people in proptest::collection::vec(
            (
                "[A-Za-zÁéñü=+@'\",;|-]{1,10}( [A-Za-z'=]{1,6})?",
                "[A-Za-zñ=@\"-]{0,10}",
                proptest::option::of("[A-Za-z0-9 ,;\"=+.-]{1,20}"),
                proptest::option::of(0u32..99_999_999),
            ),
            1..8,
        )
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async {
            let t = fresh_db().await;
            let ws = workspace(&t.db, "from").await;
            let mut tx = t.db.begin().await.expect("tx");
            for (i, (first, last, company, phone)) in people.iter().enumerate() {
                let company = company.as_deref().map(|c| c.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|c| !c.is_empty());
                contacts::upsert_contact(&mut tx, ws, &contacts::ContactInput {
                    first_name: first.clone(),
                    last_name: last.clone(),
                    email: Some(format!("p{i}@example.com")),
                    phone: phone.map(|p| format!("+5281{p:08}")),
                    company,
                    ..Default::default()
                }, &Actor::system(), now()).await.expect("upsert");
            }
            tx.commit().await.expect("commit");
            let out = export_all(&t.db, ws, ExportFormat::Csv).await;
            let copy = workspace(&t.db, "to").await;
            let done = import(&t.db, copy, &out, false).await;
            assert_eq!(done.rejected_rows, 0, "{:?}", done.report().rejected);
            let key = |c: &contacts::Contact| (c.email.clone(), c.first_name.clone(), c.last_name.clone(), c.phone.clone(), c.company.clone());
            let mut a: Vec<_> = all_contacts(&t.db, ws).await.iter().map(key).collect();
            let mut b: Vec<_> = all_contacts(&t.db, copy).await.iter().map(key).collect();
            a.sort();
            b.sort();
            assert_eq!(a, b);
        });
    }
}

/// Imports `data` (suggested mapping); returns the row and how many times
/// progress was reported.
async fn import_counting_progress(
    db: &Db,
    ws: WorkspaceId,
    data: &[u8],
) -> (imports::Import, usize) {
    let headers = imports::read_headers(data).expect("headers");
    let custom = imports::custom_keys(db, ws).await.expect("custom");
    let mapping = csv_io::suggest_mapping(&headers, &custom);
    let mut tx = db.begin().await.expect("tx");
    let id = imports::insert_import(
        &mut tx,
        ws,
        "test.csv",
        imports::status::RUNNING,
        0,
        &ImportReport::default(),
        None,
        now(),
    )
    .await
    .expect("import row");
    tx.commit().await.expect("commit");
    let opts = ImportOptions {
        fire_triggers: false,
        country: "MX".into(),
        actor: Actor::system(),
    };
    let mut calls = 0;
    let done = imports::run_import(db, ws, id, data, &mapping, &opts, &clock(), &mut |_| {
        calls += 1
    })
    .await
    .expect("import runs");
    (done, calls)
}

/// Kinds of the workspace's events, oldest first.
async fn event_kinds(db: &Db, ws: WorkspaceId) -> Vec<String> {
    let mut evs = events::list_events(db, ws, 100_000).await.expect("events");
    evs.reverse();
    evs.into_iter().map(|e| e.kind).collect()
}

#[tokio::test]
async fn a_chunk_boundary_is_crossed_with_duplicates_and_bad_rows_on_both_sides() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let n = imports::BATCH_ROWS + 1;
    let mut csv = String::from("first_name,email,phone,tags\n");
    for i in 0..n {
        let line = match i {
            // Row 3 (file row 4): a bad email in the first chunk.
            2 => "Mala,no-es-correo,,\n".to_string(),
            // The second row repeats the first: merged in the same chunk.
            1 => "Ana,ANA0@example.com,,web\n".to_string(),
            // The last row (alone in the second chunk) repeats the first
            // row's phone with a new email: a match by phone across chunks.
            i if i == n - 1 => "Otra,otra@example.com,8100000000,tarde\n".to_string(),
            i => format!("Nombre{i},ana{i}@example.com,81{i:08},lead\n"),
        };
        csv.push_str(&line);
    }
    let (done, calls) = import_counting_progress(&t.db, ws, csv.as_bytes()).await;
    assert_eq!(done.status, "done");
    assert!(calls >= 3, "progress after each chunk: {calls}");
    assert_eq!(
        (
            done.processed_rows,
            done.created_rows,
            done.updated_rows,
            done.rejected_rows
        ),
        (n as i32, n as i32 - 3, 2, 1)
    );
    let rej = &done.report().rejected;
    assert_eq!((rej[0].row, rej[0].code.as_str()), (4, "invalid_email"));
    assert_eq!(
        contacts::count_contacts(&t.db, ws).await.expect("count"),
        n as i64 - 3
    );
    let list = all_contacts(&t.db, ws).await;
    let ana = list
        .iter()
        .find(|c| c.email.as_deref() == Some("ANA0@example.com"))
        .expect("ana, with the later row's spelling of the same address");
    assert_eq!(
        ana.first_name, "Ana",
        "the later duplicate corrected the name"
    );
    assert_eq!(ana.phone.as_deref(), Some("+528100000000"));
    assert_eq!(
        contacts::other_emails(&t.db, ws, ana.id)
            .await
            .expect("emails"),
        ["otra@example.com"],
        "matched by phone with another email: kept as another address"
    );
    let tags: Vec<String> = contacts::tags_of(&t.db, ws, &[ana.id])
        .await
        .expect("tags")
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(tags, ["lead", "tarde", "web"]);
    let kinds = event_kinds(&t.db, ws).await;
    let count = |k: &str| kinds.iter().filter(|x| *x == k).count();
    assert_eq!(count("contact.created"), n - 3);
    assert_eq!(count("tag.added"), n - 3 + 2);
    // Row 2 corrected the name; the last row changed nothing but the
    // other address (`contact.email_added` alone).
    assert_eq!(count("contact.updated"), 1);
    assert_eq!(count("contact.email_added"), 1);
    // Each row's events follow its order: created, then its tag.
    assert_eq!(
        &kinds[..4],
        [
            "contact.created",
            "tag.added",
            "contact.updated",
            "tag.added"
        ]
    );
}

/// The chunked path against the rule it implements: the same rows
/// upserted one by one (`contacts::upsert_contact_with_event_data`, a
/// transaction each, a unique violation skipping the row) into another
/// workspace holding the same contacts end with the same contacts, other
/// addresses, tags and events.
#[tokio::test]
async fn a_chunk_ends_as_the_upsert_rule_row_by_row() {
    let t = fresh_db().await;
    let bulk = workspace(&t.db, "bulk").await;
    let rowwise = workspace(&t.db, "rows").await;
    for ws in [bulk, rowwise] {
        let mut tx = t.db.begin().await.expect("tx");
        custom_fields::insert_field(
            &mut tx,
            ws,
            "presupuesto",
            "Presupuesto",
            "number",
            &[],
            now(),
        )
        .await
        .expect("field");
        let seed =
            |first: &str, email: Option<&str>, phone: &str, tags: &[&str]| contacts::ContactInput {
                first_name: first.into(),
                email: email.map(str::to_string),
                phone: Some(phone.into()),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            };
        for input in [
            seed("Old", Some("old@x.com"), "+528110000001", &["vip"]),
            seed("", None, "+528110000002", &[]),
            seed("Tres", Some("p3@x.com"), "+528110000003", &[]),
            seed("Cuatro", Some("p4@x.com"), "+528110000004", &[]),
        ] {
            contacts::upsert_contact(&mut tx, ws, &input, &Actor::system(), now())
                .await
                .expect("seed");
        }
        let p3 = contacts::find_match(&mut tx, ws, Some("p3@x.com"), None)
            .await
            .expect("find")
            .expect("p3");
        contacts::add_other_email(&mut tx, &p3, "alias@x.com", &Actor::system(), now())
            .await
            .expect("alias");
        tx.commit().await.expect("commit");
    }
    let csv = "email,phone,first_name,last_name,company,tags,Presupuesto,utm_source\n\
        old@x.com,8110000001,Nuevo,,Acme,vip|web,10,google\n\
        ,8110000002,Eva,Ruiz,,,,\n\
        new2@x.com,8110000002,,,,,,\n\
        another@x.com,8110000002,Zed,,,,,\n\
        alias@x.com,,Alias,,,,,\n\
        p4@x.com,8110000001,,,,,,\n\
        fresh@x.com,8119999999,Fresh,,,nuevo,,facebook\n\
        FRESH@x.com,,Fresh2,,,NUEVO|otro,5,\n\
        ,8119999999,,,,otro,,\n\
        bad-email,,,,,,,\n\
        another@x.com,,,,Otra SA,x,,\n\
        p4@x.com,8110000005,,,,,,\n\
        ,8110000004,Nuevo4,,,,,\n\
        old@x.com,8110000001,,,,,abc,\n";
    let done = import(&t.db, bulk, csv.as_bytes(), false).await;
    let rejected: Vec<(usize, String)> = done
        .report()
        .rejected
        .iter()
        .map(|r| (r.row, r.code.clone()))
        .collect();
    assert_eq!(
        rejected,
        [
            (7, "conflict".to_string()),
            (11, "invalid_email".to_string()),
            (15, "invalid_custom".to_string())
        ]
    );
    assert_eq!((done.created_rows, done.updated_rows), (2, 9));

    // The same rows, one by one, with the same event data.
    let headers = imports::read_headers(csv.as_bytes()).expect("headers");
    let custom = imports::custom_keys(&t.db, rowwise).await.expect("custom");
    let mapping = csv_io::suggest_mapping(&headers, &custom);
    let defs = custom_fields::list_fields(&t.db, rowwise)
        .await
        .expect("defs");
    let mut file = CsvFile::open(csv.as_bytes()).expect("csv");
    let mut extra = serde_json::Map::new();
    extra.insert("import".into(), true.into());
    extra.insert("fire_triggers".into(), false.into());
    while let Some(Ok((_, cells))) = file.next_row() {
        let Ok(input) = imports::validate_row(csv_io::map_row(&mapping, &cells), "MX", &defs)
        else {
            continue;
        };
        let mut tx = t.db.begin().await.expect("tx");
        match contacts::upsert_contact_with_event_data(
            &mut tx,
            rowwise,
            &input,
            &Actor::system(),
            now(),
            extra.clone(),
        )
        .await
        {
            Ok(_) => tx.commit().await.expect("commit"),
            Err(e) if e.unique_violation().is_some() => tx.rollback().await.expect("rollback"),
            Err(e) => panic!("{e}"),
        }
    }

    async fn state(db: &Db, ws: WorkspaceId) -> Vec<String> {
        let mut out = vec![];
        for c in all_contacts(db, ws).await {
            let others = contacts::other_emails(db, ws, c.id).await.expect("emails");
            let tags: Vec<String> = contacts::tags_of(db, ws, &[c.id])
                .await
                .expect("tags")
                .into_iter()
                .map(|(_, n)| n)
                .collect();
            out.push(format!(
                "{:?} {:?} {:?} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                c.email,
                c.phone,
                (&c.first_name, &c.last_name),
                c.custom,
                c.lifecycle,
                c.company,
                (c.email_unsubscribed, c.sms_opted_out),
                (&c.first_utm_source, c.first_touch_at),
                (&c.last_utm_source, c.last_touch_at),
                (c.created_at, c.updated_at, c.last_activity_at),
                c.source,
                others,
                tags,
            ));
        }
        out.sort();
        out
    }
    assert_eq!(state(&t.db, bulk).await, state(&t.db, rowwise).await);

    // Events in order, without the ids that differ between workspaces.
    async fn event_log(db: &Db, ws: WorkspaceId) -> Vec<String> {
        let mut evs = events::list_events(db, ws, 1000).await.expect("events");
        evs.reverse();
        evs.into_iter()
            .map(|e| {
                let mut data: serde_json::Value = serde_json::from_str(&e.data).expect("json");
                if let Some(m) = data.as_object_mut() {
                    m.remove("import_id");
                    m.remove("tag_id");
                }
                format!("{} {} {} {}", e.kind, e.entity_type, e.actor_type, data)
            })
            .collect()
    }
    let (a, b) = (
        event_log(&t.db, bulk).await,
        event_log(&t.db, rowwise).await,
    );
    assert!(a.len() > 15, "{a:#?}");
    assert_eq!(a, b);
}
