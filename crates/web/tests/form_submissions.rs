//! Forms feed the CRM (issue 14): the submissions list under the form's
//! labels, its CSV export (formula-guarded, workspace-scoped) and the
//! answers on the contact's timeline, on the backend chosen by
//! `AF_TEST_BACKEND`.

use af_testkit::{Tenant, TestApp, tenant};
use jiff::SignedDuration;
use serde_json::{Value, json};

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> (u16, String) {
    let mut req = app
        .http()
        .request(method.parse().expect("method"), app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

async fn create_form(app: &TestApp, t: &Tenant) -> String {
    let body = json!({
        "name": "Cotización",
        "fields": [
            {"name": "name", "type": "text", "label": "Nombre", "required": true},
            {"name": "email", "type": "email", "label": "Correo", "required": true},
            {"name": "phone", "type": "phone", "label": "Teléfono"},
            {"name": "presupuesto", "type": "text", "label": "Presupuesto", "label_en": "Budget"},
            {"name": "servicio", "type": "select", "label": "Servicio", "options": ["SEO", "Ads"]},
            {"name": "notas", "type": "textarea", "label": "Notas"},
            {"name": "novedades", "type": "checkbox", "label": "Quiero novedades"},
            {"name": "campana", "type": "hidden", "label": "", "value": "primavera"}
        ],
        "tags": ["web"]
    });
    let auth = format!("Bearer {}", t.api_key);
    let (s, b) = send(
        app,
        "POST",
        "/api/v1/forms",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let v: Value = serde_json::from_str(&b).expect("json");
    v["id"].as_str().expect("id").to_string()
}

async fn submit(app: &TestApp, form_id: &str, fields: &[(&str, &str)]) {
    let (s, html) = send(app, "GET", &format!("/f/{form_id}"), &[], None).await;
    assert_eq!(s, 200, "{html}");
    let marker = "name=\"_t\" value=\"";
    let i = html.find(marker).expect("token input") + marker.len();
    let token = html[i..i + html[i..].find('"').expect("end")].to_string();
    app.clock.advance(SignedDuration::from_secs(5));
    let mut all = vec![("_t", token.as_str()), ("_hp", "")];
    all.extend_from_slice(fields);
    let body = serde_urlencoded::to_string(&all).expect("encode");
    let (s, b) = send(
        app,
        "POST",
        &format!("/f/{form_id}"),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(body.into_bytes()),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(b.contains("data-testid=\"form-success\""), "{b}");
}

async fn filled(app: &TestApp, t: &Tenant) -> String {
    let id = create_form(app, t).await;
    submit(
        app,
        &id,
        &[
            ("utm_source", "google"),
            ("landing_page", "https://example.com/landing"),
            ("name", "María López"),
            ("email", "maria@example.com"),
            ("phone", "55 1234 5678"),
            ("presupuesto", "20000"),
            ("servicio", "SEO"),
            ("notas", "=HYPERLINK(\"http://evil\")"),
            ("novedades", "on"),
        ],
    )
    .await;
    id
}

#[tokio::test]
async fn submissions_show_labels_and_export_a_guarded_csv_of_the_workspace_only() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let b = tenant(&app, "beta").await;
    let id = filled(&app, &a).await;

    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let page = browser.get(&format!("/forms/{id}/submissions")).await;
    assert_eq!(page.status, 200);
    for label in [
        "Presupuesto:",
        "Servicio:",
        "Quiero novedades:",
        "Fuente (UTM):",
        "Página de llegada:",
        "campana:",
        "Exportar CSV",
    ] {
        assert!(page.contains(label), "{label} in {}", page.body);
    }
    for key in ["presupuesto:", "landing_page:", "utm_source:", ">true<"] {
        assert!(!page.contains(key), "{key} in {}", page.body);
    }
    assert!(page.contains(&format!("href=\"/forms/{id}/submissions.csv\"")));

    let csv = browser.get(&format!("/forms/{id}/submissions.csv")).await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/csv")
    );
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment")
    );
    let body = csv.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert_eq!(
        lines[0],
        "Fecha,Nombre del contacto,Correo del contacto,Teléfono del contacto,Nombre,Correo,Teléfono,Presupuesto,Servicio,Notas,Quiero novedades,campana,Fuente (UTM),Medio (UTM),Campaña (UTM),Término (UTM),Contenido (UTM),Referente,Página de llegada"
    );
    let row = lines[1];
    // ISO 8601 with the zone's offset, then the contact.
    let date = &row[..25];
    assert!(
        jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%:z", date).is_ok(),
        "{date}"
    );
    assert!(
        row[25..].starts_with(",María López,maria@example.com,'+525512345678,"),
        "{row}"
    );
    assert!(
        row.contains(",20000,SEO,\"'=HYPERLINK(\"\"http://evil\"\")\",Sí,primavera,google,"),
        "the formula is guarded: {row}"
    );
    assert!(row.ends_with(",https://example.com/landing"), "{row}");

    // Another workspace's form is not found, page and file alike.
    let other = app.browser();
    other.login(&b.owner_email, &b.password).await;
    assert_eq!(
        other
            .get(&format!("/forms/{id}/submissions.csv"))
            .await
            .status,
        404
    );
    assert_eq!(
        other.get(&format!("/forms/{id}/submissions")).await.status,
        404
    );
    assert_eq!(other.get("/forms/nope/submissions.csv").await.status, 404);
    // Members see the page, so they get the file too.
    let member = app.browser();
    member.login(&a.member_email, &a.password).await;
    assert_eq!(
        member
            .get(&format!("/forms/{id}/submissions.csv"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_contact_timeline_reads_the_forms_name_and_answers() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let _ = filled(&app, &a).await;
    let auth = format!("Bearer {}", a.api_key);
    let (_, found) = send(
        &app,
        "GET",
        "/api/v1/contacts?q=maria@example.com",
        &[("authorization", &auth)],
        None,
    )
    .await;
    let found: Value = serde_json::from_str(&found).expect("json");
    let cid = found["data"][0]["id"].as_str().expect("contact");
    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let page = browser.get(&format!("/contacts/{cid}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains(
            "Envió el formulario «Cotización»: Presupuesto 20000, Servicio SEO, Notas =HYPERLINK(&#34;http://evil&#34;), Quiero novedades"
        ) || page.contains(
            "Envió el formulario «Cotización»: Presupuesto 20000, Servicio SEO, Notas =HYPERLINK(&quot;http://evil&quot;), Quiero novedades"
        ),
        "{}",
        page.body
    );
    assert!(!page.contains("Envió un formulario"));
}

#[tokio::test]
async fn the_builder_loads_sortable_before_its_script_and_keeps_the_buttons() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let id = create_form(&app, &a).await;
    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let page = browser.get(&format!("/forms/{id}")).await;
    assert_eq!(page.status, 200);
    let sortable = page
        .body
        .find("/vendor/sortable-")
        .expect("sortable loaded");
    let builder = page.body.find("/js/forms").expect("builder script");
    assert!(sortable < builder, "Sortable must exist when forms.js runs");
    assert!(page.contains("data-l-up=\"Subir\""));
    assert!(page.contains("data-l-drag=\"Arrastra para cambiar el orden\""));
}

#[tokio::test]
async fn starter_forms_prefill_the_builder() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let page = browser.get("/forms/new").await;
    assert!(page.contains("href=\"/forms/new?starter=cotizacion\""));
    let page = browser.get("/forms/new?starter=cotizacion").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("value=\"Cotización\""), "{}", page.body);
    assert!(page.contains("presupuesto"), "{}", page.body);
    assert_eq!(browser.get("/forms/new?starter=nope").await.status, 200);
}
