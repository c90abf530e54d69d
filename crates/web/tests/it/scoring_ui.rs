//! The lead-scoring pages through real HTTP on a real database (issue
//! 17), on the backend chosen by `AF_TEST_BACKEND`: the contact page's
//! score, "why" panel and log-activity form (htmx and plain post), the
//! Contactos → Puntuación page (rules, caps, thresholds; members read
//! only; bad input changes nothing), its dashboard with the SVG chart, the
//! 7-day trend on the list and the board, the workflow builder's
//! threshold picker, and other workspaces' ids answering 404.

use af_testkit::{Browser, PASSWORD, TwoTenants, csrf_from, two_workspaces};

/// Signs in, sets the language and returns the CSRF token.
async fn sign_in(t: &TwoTenants, email: &str, lang: &str) -> (Browser, String) {
    let b = t.app.browser();
    b.login(email, PASSWORD).await;
    b.get("/settings/profile").await;
    assert_eq!(b.post("/language", &[("lang", lang)]).await.status, 303);
    let page = b.get("/contacts").await;
    let token = csrf_from(&page.body).expect("token");
    (b, token)
}

/// The text between `data-testid="{id}">` and the next `<`.
fn testid_text(body: &str, id: &str) -> Option<String> {
    let marker = format!("data-testid=\"{id}\">");
    let i = body.find(&marker)? + marker.len();
    Some(body[i..i + body[i..].find('<')?].trim().to_string())
}

/// The page's text without tags (attributes are not read).
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
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
    out
}

async fn rule_count(t: &TwoTenants) -> usize {
    af_db::scoring::list_rules(&t.app.db, t.a.ws.id)
        .await
        .expect("rules")
        .len()
}

#[tokio::test]
async fn pages_read_in_spanish_and_english() {
    let t = two_workspaces().await;
    let c = t.a.contact_id;
    for (lang, words) in [
        (
            "es",
            [
                "Reglas",
                "Topes y mínimo",
                "Umbrales",
                "Visita",
                "Cada vez",
                "Como máximo cada 7 días",
                "Inactividad (sin respuesta)",
            ],
        ),
        (
            "en",
            [
                "Rules",
                "Caps and floor",
                "Thresholds",
                "Visit",
                "Every time",
                "At most every 7 days",
                "Inactivity (no response)",
            ],
        ),
    ] {
        let (b, _) = sign_in(&t, &t.a.owner_email, lang).await;
        let page = b.get("/contacts/scoring").await;
        assert_eq!(page.status, 200, "{}", page.body);
        for w in words {
            assert!(page.contains(w), "{lang}: {w} missing");
        }
        assert!(page.contains("Visita registrada"), "the seeded rule");
        let text = visible_text(&page.body);
        for code in [
            "every_days",
            "on_type",
            "inactivity",
            "engagement",
            "fit",
            "always",
            "once",
        ] {
            assert!(
                !text.split_whitespace().any(|w| w == code),
                "{lang}: {code} shows"
            );
        }
        let panel = b.get("/contacts/scoring/panel").await;
        assert_eq!(panel.status, 200, "{}", panel.body);
        let contact = b.get(&format!("/contacts/{c}")).await;
        assert_eq!(contact.status, 200, "{}", contact.body);
        let why = if lang == "es" {
            "¿Por qué 0?"
        } else {
            "Why 0?"
        };
        assert!(contact.contains(why), "{lang}: {why}");
        let log = if lang == "es" {
            "Registrar actividad"
        } else {
            "Log activity"
        };
        assert!(contact.contains(log));
    }
}

#[tokio::test]
async fn logging_an_activity_changes_the_score_and_the_panel() {
    let t = two_workspaces().await;
    let c = t.a.contact_id;
    let (b, _) = sign_in(&t, &t.a.owner_email, "es").await;
    let path = format!("/contacts/{c}/activities");

    // htmx: the section comes back with the new score, the open panel and
    // the header's score out of band.
    let res = b
        .hx_post(
            &path,
            &[("type", "visit"), ("note", "Pasó por la recepción")],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(testid_text(&res.body, "score-total").as_deref(), Some("10"));
    assert!(res.contains("¿Por qué 10?"));
    assert!(res.contains("data-testid=\"score-why\" open"));
    assert!(res.contains("Visita registrada"));
    assert!(res.contains(">+10<"));
    assert!(res.contains("Pasó por la recepción"));
    assert!(res.contains("id=\"header-score\" hx-swap-oob=\"true\""));
    assert!(res.contains("sube 10 en 7 días"));
    // The line links to its activity, listed below.
    let activity = af_db::scoring::list_activities(&t.app.db, t.a.ws.id, c, None, 5)
        .await
        .expect("activities");
    assert_eq!(activity.len(), 1);
    assert_eq!(activity[0].source, "ui");
    assert!(res.contains(&format!("href=\"#activity-{}\"", activity[0].id)));
    assert!(res.contains(&format!("id=\"activity-{}\"", activity[0].id)));

    // A plain post (no JavaScript) redirects to the page, which shows it.
    let res = b
        .post(
            &path,
            &[
                ("type", "purchase"),
                ("amount", "450.00"),
                ("currency", "mxn"),
                ("occurred", "2026-03-07T10:30"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = b.get(&format!("/contacts/{c}")).await;
    assert_eq!(
        testid_text(&page.body, "score-total").as_deref(),
        Some("35")
    );
    assert!(page.contains("¿Por qué 35?"));
    assert!(page.contains("Compra"));
    assert!(
        page.contains("$450.00"),
        "the amount in the activities list"
    );
    let scores = af_db::scoring::scores_of(&t.app.db, t.a.ws.id, c)
        .await
        .expect("scores");
    assert_eq!(scores.map(|s| s.total), Some(35));

    // Refused: a bad custom type, a purchase without an amount, a bad date.
    for form in [
        vec![("type", "custom"), ("custom_type", "Mal Tipo!")],
        vec![("type", "purchase")],
        vec![("type", "visit"), ("occurred", "ayer")],
    ] {
        let res = b.hx_post(&path, &form).await;
        assert_eq!(res.status, 422, "{form:?}: {}", res.body);
        assert!(res.contains("data-field-error=\"activity\""));
        assert_eq!(testid_text(&res.body, "score-total").as_deref(), Some("35"));
    }
    // A custom type is accepted without registering it first.
    let res = b
        .hx_post(&path, &[("type", "custom"), ("custom_type", "clase_yoga")])
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.contains("clase_yoga"));
    let n = af_db::scoring::list_activities(&t.app.db, t.a.ws.id, c, None, 50)
        .await
        .expect("activities")
        .len();
    assert_eq!(n, 3, "the refused ones wrote nothing");

    // The list and the board show the 7-day trend, with words for a
    // screen reader.
    let list = b.get("/contacts").await;
    assert!(list.contains("▲"), "{}", list.body);
    assert!(list.contains("sube 35 en 7 días"));
    let board = b.get(&format!("/pipelines/{}", t.a.pipeline_id)).await;
    assert_eq!(board.status, 200);
    assert!(board.contains("sube 35 en 7 días"), "{}", board.body);

    // The dashboard: the lead, its last reason, its stage; the chart.
    let panel = b.get("/contacts/scoring/panel").await;
    assert_eq!(panel.status, 200);
    assert!(panel.contains(&format!("href=\"/contacts/{c}\"")));
    // Both lines were written at the test clock's one instant: either is
    // the newest.
    assert!(
        panel.contains("Compra") || panel.contains("Visita registrada"),
        "last reason"
    );
    assert!(panel.contains("data-testid=\"score-chart\""));
    assert!(panel.contains("role=\"img\""));
    assert!(panel.contains("<title>Contactos por rango de puntuación</title>"));
    assert!(panel.contains("30–39: 1"), "the text alternative");
    assert!(!panel.contains(" style="), "no inline style attributes");
    assert!(!panel.contains(" style="));
    let page = b.get(&format!("/contacts/{c}")).await;
    assert!(!page.contains(" style="));
}

#[tokio::test]
async fn members_read_the_rules_but_cannot_change_them() {
    let t = two_workspaces().await;
    let (b, _) = sign_in(&t, &t.a.member_email, "es").await;
    let page = b.get("/contacts/scoring").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("Visita registrada"));
    assert!(page.contains("data-testid=\"scoring-read-only\""));
    assert!(!page.contains("data-testid=\"rule-form\""));
    assert!(!page.contains("/delete\""));
    assert_eq!(b.get("/contacts/scoring/panel").await.status, 200);
    let rule = t.a.ids["scoring.rule"].clone();
    let before = rule_count(&t).await;
    for (path, form) in [
        (
            "/contacts/scoring/rules".to_string(),
            vec![
                ("name", "Hack"),
                ("on_type", "visit"),
                ("points", "5"),
                ("frequency", "always"),
                ("group", "fit"),
            ],
        ),
        (
            format!("/contacts/scoring/rules/{rule}"),
            vec![("name", "Hack"), ("points", "5")],
        ),
        (format!("/contacts/scoring/rules/{rule}/delete"), vec![]),
        (
            "/contacts/scoring/limits".to_string(),
            vec![("total_cap", "5")],
        ),
        (
            "/contacts/scoring/thresholds".to_string(),
            vec![("name", "X"), ("enter", "5"), ("exit", "1")],
        ),
    ] {
        let res = b.post(&path, &form).await;
        assert_eq!(res.status, 403, "{path}");
    }
    assert_eq!(
        b.get(&format!("/contacts/scoring/rules/{rule}"))
            .await
            .status,
        403
    );
    assert_eq!(rule_count(&t).await, before);
    let limits = af_db::scoring::limits(&t.app.db, t.a.ws.id)
        .await
        .expect("limits");
    assert_eq!(limits.total_cap, None);
    // Members log activities on contacts (the actor is the member).
    // The contact page hands the member its CSRF token.
    b.get(&format!("/contacts/{}", t.a.contact_id)).await;
    let res = b
        .hx_post(
            &format!("/contacts/{}/activities", t.a.contact_id),
            &[("type", "visit")],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test]
async fn rules_caps_and_thresholds_are_checked_and_saved() {
    let t = two_workspaces().await;
    let (b, _) = sign_in(&t, &t.a.owner_email, "es").await;
    b.get("/contacts/scoring").await;
    let before = af_db::scoring::list_rules(&t.app.db, t.a.ws.id)
        .await
        .expect("rules");

    // Every bad field answers with its own message; nothing is written.
    let res = b
        .post(
            "/contacts/scoring/rules",
            &[
                ("name", ""),
                ("on_type", "custom"),
                ("custom_type", "Mal Tipo"),
                ("filter", "amount >= mucho"),
                ("points", "0"),
                ("frequency", "every_days"),
                ("days", "x"),
                ("group", "engagement"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    for f in ["filter", "frequency"] {
        assert!(
            res.contains(&format!("data-field-error=\"{f}\"")),
            "{f}: {}",
            res.body
        );
    }
    assert!(res.contains("Revisa los campos marcados."));
    assert!(
        res.contains("mucho</textarea>"),
        "the input is kept: {}",
        res.body
    );
    let res = b
        .post(
            "/contacts/scoring/rules",
            &[
                ("name", ""),
                ("on_type", "custom"),
                ("custom_type", "Mal Tipo"),
                ("points", "0"),
                ("frequency", "always"),
                ("group", "engagement"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    for f in ["name", "on_type", "points"] {
        assert!(
            res.contains(&format!("data-field-error=\"{f}\"")),
            "{f}: {}",
            res.body
        );
    }
    let res = b
        .post(
            "/contacts/scoring/rules",
            &[
                ("name", "Inactivo"),
                ("on_type", "inactivity"),
                ("points", "-5"),
                ("frequency", "always"),
                ("group", "engagement"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "an inactivity rule needs its period");
    assert!(res.contains("data-field-error=\"frequency\""));
    assert_eq!(
        af_db::scoring::list_rules(&t.app.db, t.a.ws.id)
            .await
            .expect("rules")
            .len(),
        before.len()
    );

    // A good rule, with a filter and a period.
    let res = b
        .post(
            "/contacts/scoring/rules",
            &[
                ("name", "Compra grande"),
                ("on_type", "purchase"),
                ("filter", "amount >= 100000"),
                ("points", "30"),
                ("frequency", "every_days"),
                ("days", "30"),
                ("group", "fit"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let rules = af_db::scoring::list_rules(&t.app.db, t.a.ws.id)
        .await
        .expect("rules");
    let new = rules
        .iter()
        .find(|r| r.name == "Compra grande")
        .expect("created");
    assert_eq!(new.points, 30);
    assert_eq!(new.grp, "fit");
    assert_eq!(new.every_days, Some(30));
    assert_eq!(
        new.filter_map()["amount"],
        serde_json::json!({"gte": 100000})
    );
    let page = b.get("/contacts/scoring").await;
    assert!(page.contains("Regla creada."));
    assert!(page.contains("100000</span>"), "{}", page.body);
    assert!(page.contains("Como máximo cada 30 días"));

    // The edit form is filled; a bad edit changes nothing; a good one saves.
    let edit = b.get(&format!("/contacts/scoring/rules/{}", new.id)).await;
    assert_eq!(edit.status, 200);
    assert!(edit.contains("value=\"Compra grande\""));
    assert!(edit.contains(&format!("action=\"/contacts/scoring/rules/{}\"", new.id)));
    let bad = b
        .post(
            &format!("/contacts/scoring/rules/{}", new.id),
            &[
                ("name", "Compra grande"),
                ("on_type", "purchase"),
                ("points", "99999"),
                ("frequency", "always"),
                ("group", "fit"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"points\""));
    let same = af_db::scoring::find_rule(&t.app.db, t.a.ws.id, af_core::ScoringRuleId(new.id))
        .await
        .expect("find")
        .expect("rule");
    assert_eq!(same.points, 30);
    let ok = b
        .post(
            &format!("/contacts/scoring/rules/{}", new.id),
            &[
                ("name", "Compra mayor"),
                ("on_type", "purchase"),
                ("points", "-3"),
                ("frequency", "once"),
                ("group", "engagement"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let edited = af_db::scoring::find_rule(&t.app.db, t.a.ws.id, af_core::ScoringRuleId(new.id))
        .await
        .expect("find")
        .expect("rule");
    assert_eq!(
        (
            edited.name.as_str(),
            edited.points,
            edited.frequency.as_str(),
            edited.active
        ),
        ("Compra mayor", -3, "once", false)
    );
    assert!(edited.filter_map().is_empty());
    // Delete.
    b.get("/contacts/scoring").await;
    let del = b
        .post(&format!("/contacts/scoring/rules/{}/delete", new.id), &[])
        .await;
    assert_eq!(del.status, 303);
    assert_eq!(
        af_db::scoring::list_rules(&t.app.db, t.a.ws.id)
            .await
            .expect("rules")
            .len(),
        before.len()
    );

    // Caps and floor.
    b.get("/contacts/scoring").await;
    let bad = b
        .post(
            "/contacts/scoring/limits",
            &[("fit_cap", "mucho"), ("total_cap", "50"), ("floor", "60")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"fit_cap\""));
    let bad = b
        .post(
            "/contacts/scoring/limits",
            &[("total_cap", "50"), ("floor", "60")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"floor\""));
    assert_eq!(
        af_db::scoring::limits(&t.app.db, t.a.ws.id)
            .await
            .expect("limits"),
        af_core::scoring::Limits::default()
    );
    let ok = b
        .post(
            "/contacts/scoring/limits",
            &[
                ("fit_cap", "40"),
                ("engagement_cap", ""),
                ("total_cap", "100"),
                ("floor", "0"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let limits = af_db::scoring::limits(&t.app.db, t.a.ws.id)
        .await
        .expect("limits");
    assert_eq!(
        (
            limits.fit_cap,
            limits.engagement_cap,
            limits.total_cap,
            limits.floor
        ),
        (Some(40), None, Some(100), 0)
    );
    assert!(b.get("/contacts/scoring").await.contains("value=\"40\""));

    // Thresholds: exit must be below enter; the name is unique.
    let bad = b
        .post(
            "/contacts/scoring/thresholds",
            &[("name", "Tibio"), ("enter", "30"), ("exit", "40")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"exit\""));
    let bad = b
        .post(
            "/contacts/scoring/thresholds",
            &[("name", "Hot Lead"), ("enter", "80"), ("exit", "70")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"th_name\""));
    let ok = b
        .post(
            "/contacts/scoring/thresholds",
            &[("name", "Tibio"), ("enter", "40"), ("exit", "30")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let names: Vec<String> = af_db::scoring::list_thresholds(&t.app.db, t.a.ws.id)
        .await
        .expect("thresholds")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Tibio", "Hot Lead"]);
}

#[tokio::test]
async fn other_workspaces_ids_are_404() {
    let t = two_workspaces().await;
    let (b, _) = sign_in(&t, &t.a.owner_email, "es").await;
    let other_rule = t.b.ids["scoring.rule"].clone();
    let res = b
        .hx_post(
            &format!("/contacts/{}/activities", t.b.contact_id),
            &[("type", "visit")],
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(
        b.get(&format!("/contacts/scoring/rules/{other_rule}"))
            .await
            .status,
        404
    );
    b.get("/contacts/scoring").await;
    let res = b
        .post(
            &format!("/contacts/scoring/rules/{other_rule}"),
            &[
                ("name", "Hack"),
                ("on_type", "visit"),
                ("points", "5"),
                ("frequency", "always"),
                ("group", "fit"),
            ],
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(
        b.post(&format!("/contacts/scoring/rules/{other_rule}/delete"), &[])
            .await
            .status,
        404
    );
    let theirs = af_db::scoring::list_rules(&t.app.db, t.b.ws.id)
        .await
        .expect("rules");
    assert!(
        theirs
            .iter()
            .any(|r| r.id.to_string() == other_rule && r.name == "Visita registrada")
    );
    let scores = af_db::scoring::scores_of(&t.app.db, t.b.ws.id, t.b.contact_id)
        .await
        .expect("scores");
    assert_eq!(scores.map(|s| s.total), Some(0));
}

#[tokio::test]
async fn the_score_trigger_picks_a_named_threshold() {
    let t = two_workspaces().await;
    let (b, _) = sign_in(&t, &t.a.owner_email, "es").await;
    b.get("/automations/new").await;
    let res = b
        .post(
            "/automations",
            &[("name", "Lead caliente"), ("trigger_type", "score_reached")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let builder_path = res.location.expect("location");
    let page = b.get(&builder_path).await;
    assert!(page.contains("name=\"threshold_name\""), "{}", page.body);
    assert!(page.contains("<option value=\"Hot Lead\""));
    let res = b
        .hx_post(
            &format!("{builder_path}/settings"),
            &[
                ("name", "Lead caliente"),
                ("trigger_type", "score_reached"),
                ("threshold", ""),
                ("threshold_name", "Hot Lead"),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let page = b.get(&builder_path).await;
    assert!(
        page.contains("<option value=\"Hot Lead\" selected"),
        "{}",
        page.body
    );
}
