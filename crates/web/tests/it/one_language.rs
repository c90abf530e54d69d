//! Issue 14, "one language at a time", on the backend chosen by
//! `AF_TEST_BACKEND`: every signed-in page, with data of every kind on it
//! (messages in each status, an enrolment with its step runs, events on the
//! timeline, a dead job, a webhook endpoint), read as visible text in
//! Spanish and then in English. A stored code (`queued`, `form.submitted`,
//! `send_message`), an English word the engine stored (`the contact has no
//! phone`) or, in English, a Spanish label fails the test with the page
//! and the word.
//!
//! Preformatted blocks (`<pre>`, `<textarea>`) and `<code>` are left out
//! on purpose: they show data or commands as they are (message bodies,
//! vendor errors, webhook payloads, a workflow's JSON, CLI commands), not
//! the interface's words.

use af_core::vocab::{Channel, EventKind, MessageStatus};
use af_core::{Actor, ContactId, Locale};
use af_testkit::areas::automations::{ENROLLMENT, WORKFLOW};
use af_testkit::areas::channels::WEBHOOK;
use af_testkit::areas::jobs::dead_job;
use af_testkit::{Browser, PASSWORD, Tenant, TwoTenants, two_workspaces};

/// Codes that must never show as text in Spanish (lower-case English
/// words: Spanish labels never contain them).
const CODES_ES: &[&str] = &[
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "skipped",
    "waiting",
    "active",
    "paused",
    "completed",
    "exited",
    "done",
    "whatsapp",
    "sms",
    "voice",
    "outbox",
];

/// English texts the engine stores, shown translated in Spanish.
const ENGINE_ENGLISH: &[&str] = &[
    "are the workers running",
    "the contact has no phone",
    "the contact has no email",
    "Kommo is not configured",
    "wait skipped (test mode)",
    "email to ",
    "goal: ",
];

/// Spanish labels that must not show on an English page.
const SPANISH: &[&str] = &[
    "Enviado",
    "En espera",
    "Omitido",
    "En cola",
    "Fallido",
    "Entregado",
    "Llamada",
    "Envió un formulario",
    "el contacto no tiene teléfono",
    "espera omitida",
    "Correo a ",
    "hace ",
];

/// The text a reader sees: no scripts, styles, preformatted data or tags.
fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for tag in ["script", "style", "pre", "textarea", "template", "code"] {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        while let Some(i) = s.find(&open) {
            let Some(j) = s[i..].find(&close) else { break };
            s.replace_range(i..i + j + close.len(), " ");
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Words of the text, where a word may hold `_` and inner dots
/// (`send_message`, `form.submitted`).
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Every stored code that is not a plain English word: event kinds, job
/// kinds, and the underscore outcomes.
fn dotted_codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = EventKind::NAMES.to_vec();
    v.extend(af_core::jobs::KINDS.iter().copied());
    v
}

/// A few words either side of `w`'s first place in `text`, to find it.
fn around(text: &str, w: &str) -> String {
    let Some(i) = text.find(w) else {
        return String::new();
    };
    let start = text[..i].char_indices().rev().nth(40).map_or(0, |(j, _)| j);
    let rest = &text[i..];
    let end = rest.char_indices().nth(40).map_or(rest.len(), |(j, _)| j);
    text[start..i + end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn problems(path: &str, html: &str, locale: Locale) -> Vec<String> {
    let text = visible_text(html);
    let mut out = Vec::new();
    let ws = words(&text);
    let dotted = dotted_codes();
    for w in &ws {
        if dotted.contains(w) || (locale == Locale::Es && CODES_ES.contains(w)) {
            out.push(format!("{path}: code {w:?} in {:?}", around(&text, w)));
        }
    }
    let phrases: &[&str] = match locale {
        Locale::Es => ENGINE_ENGLISH,
        Locale::En => SPANISH,
    };
    for p in phrases {
        if text.contains(p) {
            out.push(format!("{path}: {p:?}"));
        }
    }
    out
}

async fn message(
    t: &TwoTenants,
    contact: ContactId,
    channel: Channel,
    status: MessageStatus,
    skip: Option<&str>,
) -> af_core::MessageId {
    let now = t.app.now();
    let mut tx = t.app.db.begin().await.expect("tx");
    let id = af_db::messages::insert_message(
        &mut tx,
        &af_db::messages::NewMessage {
            workspace: t.a.ws.id,
            channel,
            provider: "outbox",
            to: "+525512345678",
            subject: None,
            body_text: "Tu cita es mañana",
            category: "marketing",
            status: MessageStatus::Queued,
            contact_id: Some(contact),
            ..Default::default()
        },
        now,
    )
    .await
    .expect("message");
    af_db::messages::update_status(
        &mut tx,
        t.a.ws.id,
        id,
        &af_db::messages::StatusUpdate {
            status,
            skip_reason: skip,
            ..Default::default()
        },
        now,
    )
    .await
    .expect("status");
    tx.commit().await.expect("commit");
    id
}

/// Data of every kind in tenant A; returns the pages that show it.
async fn seed(t: &TwoTenants) -> Vec<String> {
    let a: &Tenant = &t.a;
    let now = t.app.now();
    let mut tx = t.app.db.begin().await.expect("tx");
    let mario = af_db::contacts::upsert_contact(
        &mut tx,
        a.ws.id,
        &af_db::contacts::ContactInput {
            first_name: "Mario".into(),
            last_name: "Ruiz".into(),
            email: Some("mario@alpha.test".into()),
            phone: Some("+525512345678".into()),
            ..Default::default()
        },
        &Actor::system(),
        now,
    )
    .await
    .expect("contact")
    .contact;
    for kind in [
        EventKind::FormSubmitted,
        EventKind::MessageInbound,
        EventKind::CallCompleted,
        EventKind::AppointmentBooked,
    ] {
        af_db::events::insert_event(
            &mut tx,
            &af_db::events::NewEvent {
                workspace: a.ws.id,
                kind: kind.as_str(),
                entity_type: "contact",
                entity_id: Some(mario.id.to_string()),
                actor: &Actor::system(),
                data: serde_json::json!({ "contact_id": mario.id }),
            },
            now,
        )
        .await
        .expect("event");
    }
    let endpoint = af_db::webhooks::insert_endpoint(
        &mut tx,
        a.ws.id,
        "https://hooks.example.com/af",
        "sealed",
        &["contact.created".to_string(), "form.submitted".to_string()],
        now,
    )
    .await
    .expect("endpoint");
    // Alerts are written in English by the engine and read by their kind.
    for (kind, text) in [
        (
            "step_failed",
            "Idioma: step texto (send_sms) failed: HTTP 500",
        ),
        (
            "stuck",
            "a step is more than 30 minutes overdue: are the workers running?",
        ),
    ] {
        af_db::automations::insert_alert(&mut tx, a.ws.id, None, None, kind, text, now)
            .await
            .expect("alert");
    }
    tx.commit().await.expect("commit");

    let mut pages = Vec::new();
    let statuses = [
        (Channel::Sms, MessageStatus::Queued, None),
        (Channel::Email, MessageStatus::Delivered, None),
        (Channel::Voice, MessageStatus::Failed, None),
        (
            Channel::WhatsApp,
            MessageStatus::Skipped,
            Some("the contact has no phone"),
        ),
        (
            Channel::Kommo,
            MessageStatus::Skipped,
            Some("Kommo is not configured"),
        ),
        (Channel::Webhook, MessageStatus::Sent, None),
    ];
    for (channel, status, skip) in statuses {
        let id = message(t, mario.id, channel, status, skip).await;
        pages.push(format!("/messages/{id}"));
    }

    // A workflow whose test run skips an SMS (no phone on the seeded
    // contact), skips its wait and queues an email.
    let def = serde_json::json!({
        "name": "Idioma", "trigger": {"type": "form_submitted"}, "active": true,
        "exit_on": [{"type": "tag_added", "tag": "cliente"}],
        "steps": [
            {"id": "texto", "type": "send_sms", "body": "Hola"},
            {"id": "pausa", "type": "wait", "days": 1},
            {"id": "correo", "type": "send_email", "subject": "Hola", "body": "Hola"},
        ],
    });
    let saved = af_engine::ops::save_workflow(
        &t.app.db,
        a.ws.id,
        None,
        &def,
        None,
        t.app.state.config.channels.ssrf(),
        now,
    )
    .await
    .expect("workflow");
    let enrolled =
        af_engine::ops::enroll_test(&t.app.db, a.ws.id, saved.id, a.contact_id, true, now)
            .await
            .expect("enrol");
    let worker = t.app.engine_worker();
    t.app.run_jobs(&worker).await;
    dead_job(&t.app, a, "send_message", "HTTP 500: upstream").await;

    // A thread: Mario wrote by WhatsApp (the inbox and its thread).
    let mut tx = t.app.db.begin().await.expect("tx");
    let inbound = af_db::channels::InboundMessage {
        workspace: a.ws.id,
        provider: "twilio",
        channel: "whatsapp",
        subject: None,
        from: "+525512345678",
        to: "+15550002222",
        body: "Hola, ¿tienen cupo?",
        contact_id: Some(mario.id),
        provider_id: "SMlang1",
    };
    af_db::channels::insert_inbound_message(&mut tx, &inbound, t.app.now())
        .await
        .expect("inbound");
    tx.commit().await.expect("commit");
    pages.extend([
        format!("/conversations/{}", mario.id),
        format!("/conversations/{}/thread", mario.id),
        "/conversations".to_string(),
        "/conversations?status=all&who=mine&unread=1&channel=whatsapp&q=mario".to_string(),
        format!("/contacts/{}", mario.id),
        format!("/contacts/{}", a.contact_id),
        format!("/automations/{}", saved.id),
        format!("/automations/{}/log", saved.id),
        format!("/automations/enrollments/{enrolled}"),
        format!("/automations/{}/log", a.ids[WORKFLOW]),
        format!("/automations/enrollments/{}", a.ids[ENROLLMENT]),
        format!("/messages/{}", a.message_id),
        format!("/settings/webhooks/{endpoint}"),
        format!("/settings/webhooks/{}", a.ids[WEBHOOK]),
        format!("/contacts/import/{}", a.ids["import_id"]),
        format!("/pipelines/{}", a.pipeline_id),
        format!("/pipelines/{}/settings", a.pipeline_id),
        format!("/deals/{}/card", a.deal_id),
        format!("/forms/{}", a.ids["forms.form_id"]),
        format!("/forms/{}/submissions", a.ids["forms.form_id"]),
    ]);
    pages
}

/// Every page a signed-in user can GET (from `crates/web/src/lib.rs` and
/// each area's `routes()`), plus the pages of the seeded data. The board
/// and forms pages are in: they show no stored code today (their dates
/// are still `2026-12-05 01:28`, which this test does not look at).
fn pages(extra: Vec<String>) -> Vec<String> {
    let fixed = [
        "/dashboard",
        "/calendars",
        "/calendars/new",
        "/calendars/agenda",
        "/calendars/agenda?view=week&date=2026-03-07",
        "/dashboard?period=90",
        "/reports/leads_by_source",
        "/reports/leads_by_source?dim=utm_campaign&touch=last",
        "/reports/funnel",
        "/reports/automations",
        "/reports/messages",
        "/reports/bookings",
        "/accounts",
        "/messages",
        "/messages?status=skipped",
        "/messages?channel=whatsapp",
        "/workspaces/new",
        "/settings",
        "/settings/members",
        "/settings/api-keys",
        "/settings/profile",
        "/settings/jobs",
        "/settings/audit",
        "/settings/channels",
        "/settings/webhooks",
        "/settings/intake",
        "/search?q=Mario",
        "/search?q=5512",
        "/contacts",
        "/contacts/new",
        "/contacts/fields",
        "/contacts/scoring",
        "/contacts/scoring/panel",
        "/contacts/retention",
        "/contacts/retention/rules",
        "/contacts/import",
        "/tasks",
        "/automations",
        "/automations/new",
        "/automations/templates",
        "/forms",
        "/forms/new",
        "/pipelines",
        "/notifications",
        "/notifications?unread=1",
        "/notifications/menu",
        "/notifications/preferences",
        "/settings/whatsapp-templates",
    ];
    fixed.iter().map(|s| s.to_string()).chain(extra).collect()
}

async fn read_all(b: &Browser, paths: &[String], locale: Locale) -> Vec<String> {
    let mut out = Vec::new();
    for path in paths {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "GET {path}: {}", page.body);
        out.extend(problems(path, &page.body, locale));
    }
    out
}

#[tokio::test]
async fn signed_in_pages_speak_one_language() {
    let t = two_workspaces().await;
    let extra = seed(&t).await;
    let enrolment_page = extra
        .iter()
        .find(|p| p.starts_with("/automations/enrollments/"))
        .cloned()
        .expect("the test enrolment's page");
    let paths = pages(extra);
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;

    b.get("/settings/profile").await;
    let set = b.post("/language", &[("lang", "es")]).await;
    assert_eq!(set.status, 303, "{}", set.body);
    let found = read_all(&b, &paths, Locale::Es).await;
    assert!(found.is_empty(), "in Spanish:\n{}", found.join("\n"));

    // The labels really are there, and phones read as the workspace dials.
    let outbox = visible_text(&b.get("/messages").await.body);
    for label in ["Omitido", "En cola", "Entregado", "Llamada", "WhatsApp"] {
        assert!(outbox.contains(label), "outbox lacks {label}");
    }
    assert!(outbox.contains("el contacto no tiene teléfono"));
    let run = visible_text(&b.get(&enrolment_page).await.body);
    for text in [
        "espera omitida (modo de prueba)",
        "el contacto no tiene teléfono",
        "Omitido",
    ] {
        assert!(run.contains(text), "enrolment page lacks {text}: {run}");
    }
    let list = visible_text(&b.get("/automations").await.body);
    assert!(
        list.contains("Idioma: el paso texto (send_sms) falló"),
        "{list}"
    );
    let local = af_core::phone::display("+525512345678", &t.a.ws.country);
    assert_ne!(local, "+525512345678", "the seeded country is the phone's");
    let list = visible_text(&b.get("/contacts").await.body);
    assert!(list.contains(&local), "contact list shows {local}");
    let search = visible_text(&b.get("/search?q=Mario").await.body);
    assert!(search.contains(&local), "search shows {local}");

    b.get("/settings/profile").await;
    let set = b.post("/language", &[("lang", "en")]).await;
    assert_eq!(set.status, 303, "{}", set.body);
    let found = read_all(&b, &paths, Locale::En).await;
    assert!(found.is_empty(), "in English:\n{}", found.join("\n"));
    let outbox = visible_text(&b.get("/messages").await.body);
    for label in ["Skipped", "Queued", "Delivered", "Call"] {
        assert!(outbox.contains(label), "outbox lacks {label}");
    }
}

#[test]
fn visible_text_drops_markup_and_data_blocks() {
    let html = r#"<p title="queued">En cola</p><script>let s = "sent";</script><pre>{"type":"form.submitted"}</pre>"#;
    let text = visible_text(html);
    assert!(text.contains("En cola"));
    assert!(!text.contains("queued") && !text.contains("sent") && !text.contains("form.submitted"));
    assert_eq!(
        words("a form.submitted. send_message"),
        ["a", "form.submitted", "send_message"]
    );
}
