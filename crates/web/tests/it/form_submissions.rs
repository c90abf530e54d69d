//! Forms feed the CRM (issue 14): the submissions list under the form's
//! labels, its CSV export (formula-guarded, workspace-scoped), the answers
//! on the contact's timeline, and where each answer is saved on the
//! contact (`maps_to`, custom fields created from the builder), on the
//! backend chosen by `AF_TEST_BACKEND`.

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
    post_form(app, t, &body).await
}

/// Creates a form through the API; its id.
async fn post_form(app: &TestApp, t: &Tenant, body: &Value) -> String {
    let (s, b) = api(app, t, "POST", "/api/v1/forms", Some(body)).await;
    assert_eq!(s, 201, "{b}");
    let v: Value = serde_json::from_str(&b).expect("json");
    v["id"].as_str().expect("id").to_string()
}

async fn api(
    app: &TestApp,
    t: &Tenant,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, String) {
    let auth = format!("Bearer {}", t.api_key);
    send(
        app,
        method,
        path,
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        body.map(|b| b.to_string().into_bytes()),
    )
    .await
}

/// The contact with this email, as the API shows it.
async fn contact_by_email(app: &TestApp, t: &Tenant, email: &str) -> Value {
    let (s, found) = api(app, t, "GET", &format!("/api/v1/contacts?q={email}"), None).await;
    assert_eq!(s, 200, "{found}");
    let found: Value = serde_json::from_str(&found).expect("json");
    let id = found["data"][0]["id"].as_str().expect("a contact");
    let (s, one) = api(app, t, "GET", &format!("/api/v1/contacts/{id}"), None).await;
    assert_eq!(s, 200, "{one}");
    serde_json::from_str(&one).expect("json")
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
    // A select's choices are one list: in the reader's language. Labels
    // come in both.
    assert!(page.contains("Publicidad"), "{}", page.body);
    assert!(!page.contains("Advertising"), "{}", page.body);
    let page = browser.get("/forms/new?starter=cita").await;
    assert!(
        page.contains("Mañana") && !page.contains("Morning"),
        "{}",
        page.body
    );
    let set = browser.post("/language", &[("lang", "en")]).await;
    assert_eq!(set.status, 303, "{}", set.body);
    let page = browser.get("/forms/new?starter=cotizacion").await;
    assert!(page.contains("value=\"Quote request\""), "{}", page.body);
    for choice in ["Advertising", "Social media", "Website"] {
        assert!(page.contains(choice), "{choice} in {}", page.body);
    }
    for es in ["Publicidad", "Redes sociales", "Sitio web"] {
        assert!(!page.contains(es), "{es} in {}", page.body);
    }
    // Labels stay in both languages: Spanish visitors read the Spanish.
    assert!(
        page.contains("Presupuesto") && page.contains("Budget"),
        "{}",
        page.body
    );
    let page = browser.get("/forms/new?starter=cita").await;
    assert!(
        page.contains("Morning") && page.contains("Afternoon"),
        "{}",
        page.body
    );
    assert!(!page.contains("Mañana"), "{}", page.body);
}

#[tokio::test]
async fn the_builder_offers_translated_types_and_destinations_and_both_preview_languages() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let page = browser.get("/forms/new").await;
    assert_eq!(page.status, 200);
    let attr = |name: &str| -> String {
        let marker = format!("{name}=\"");
        let i = page.body.find(&marker).expect(name) + marker.len();
        let raw = &page.body[i..i + page.body[i..].find('"').expect("end")];
        raw.replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    let cfg: Value = serde_json::from_str(&attr("data-builder")).expect("builder json");
    let types: Vec<(&str, &str)> = cfg["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| {
            (
                t["code"].as_str().unwrap_or(""),
                t["label"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            ("text", "Texto"),
            ("email", "Correo"),
            ("phone", "Teléfono"),
            ("select", "Lista"),
            ("textarea", "Texto largo"),
            ("checkbox", "Casilla"),
            ("hidden", "Oculto")
        ]
    );
    assert_eq!(
        cfg["targets"][0],
        json!({"code": "first_name", "label": "Nombre de pila"})
    );
    assert_eq!(cfg["custom"][0]["key"], "budget");
    assert_eq!(
        cfg["infer"][3],
        json!({"field": "email", "names": ["email", "correo"], "type": "email"})
    );
    assert_eq!(attr("data-submit-es"), "Enviar");
    assert_eq!(attr("data-submit-en"), "Send");
    assert_eq!(attr("data-l-maps-to"), "Guardar en el contacto");
    assert!(page.contains("aria-label=\"Idioma de la vista previa\""));
}

#[tokio::test]
async fn mapped_answers_fill_custom_fields_and_none_keeps_them_out_of_the_contact() {
    let app = TestApp::spawn().await;
    // Every test tenant has the number custom field `budget` ("Presupuesto").
    let a = tenant(&app, "alpha").await;
    let id = post_form(
        &app,
        &a,
        &json!({
            "name": "Mapeado",
            "fields": [
                {"name": "quien", "type": "text", "label": "Quién", "maps_to": "name"},
                {"name": "correo", "type": "email", "label": "Correo personal", "maps_to": "none"},
                {"name": "trabajo", "type": "email", "label": "Correo de trabajo", "maps_to": "email"},
                {"name": "monto", "type": "text", "label": "Monto mensual", "maps_to": "custom:budget"},
                {"name": "empresa", "type": "text", "label": "Empresa", "maps_to": "none"}
            ]
        }),
    )
    .await;
    submit(
        &app,
        &id,
        &[
            ("quien", "Lucía Pérez"),
            ("correo", "lucia@personal.example"),
            ("trabajo", "lucia@agencia.example"),
            ("monto", "12500,5"),
            ("empresa", "Agencia Sol"),
        ],
    )
    .await;
    let contact = contact_by_email(&app, &a, "lucia@agencia.example").await;
    assert_eq!(contact["email"], "lucia@agencia.example", "{contact}");
    assert_eq!(contact["first_name"], "Lucía");
    assert_eq!(contact["custom"]["budget"], json!(12500.5), "{contact}");
    assert!(
        contact["company"].is_null(),
        "none kept the company out: {contact}"
    );
    assert!(
        !contact.to_string().contains("lucia@personal.example"),
        "none kept the personal email out: {contact}"
    );
    // The submission keeps every answer.
    let (_, subs) = api(
        &app,
        &a,
        "GET",
        &format!("/api/v1/forms/{id}/submissions"),
        None,
    )
    .await;
    assert!(subs.contains("lucia@personal.example"), "{subs}");
    assert!(subs.contains("Agencia Sol"), "{subs}");

    // The contact page shows the custom field; the timeline sums up the
    // answers that did not feed the contact's own fields.
    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let cid = contact["id"].as_str().expect("id");
    let page = browser.get(&format!("/contacts/{cid}")).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("Presupuesto"), "{}", page.body);
    assert!(page.contains("12500.5"), "{}", page.body);
    assert!(
        page.contains(
            "Envió el formulario «Mapeado»: Correo personal lucia@personal.example, Monto mensual 12500,5, Empresa Agencia Sol"
        ),
        "{}",
        page.body
    );

    // A value the custom field refuses is said on the form's own field.
    let (s, b) = send(
        &app,
        "POST",
        &format!("/f/{id}"),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {}", a.api_key)),
        ],
        Some(
            json!({"quien": "Eva", "trabajo": "eva@agencia.example", "monto": "mucho"})
                .to_string()
                .into_bytes(),
        ),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let v: Value = serde_json::from_str(&b).expect("json");
    assert_eq!(
        v["fields"]["monto"], "Escribe un número, por ejemplo 12.5.",
        "{b}"
    );
}

#[tokio::test]
async fn a_bad_mapping_is_refused_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let id = create_form(&app, &a).await;
    let (_, before) = api(&app, &a, "GET", &format!("/api/v1/forms/{id}"), None).await;
    let before: Value = serde_json::from_str(&before).expect("json");

    // The builder: the error names the field by its label, in Spanish.
    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    browser.get(&format!("/forms/{id}")).await;
    let fields = json!([
        {"name": "email", "type": "email", "label": "Correo"},
        {"name": "presupuesto", "type": "text", "label": "Presupuesto mensual", "maps_to": "custom:no_existe"},
        {"name": "servicio", "type": "email", "label": "Servicio", "maps_to": "custom:budget"},
        {"name": "otro", "type": "text", "label": "Otro correo", "maps_to": "email"}
    ]);
    let page = browser
        .post(
            &format!("/forms/{id}"),
            &[
                ("name", "Cambiado"),
                ("fields_json", &fields.to_string()),
                ("primary_color", "#4f46e5"),
                ("text_color", "#111827"),
                ("background_color", "#ffffff"),
                ("font", "system"),
                ("radius", "6"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    for msg in [
        "El campo «Presupuesto mensual» se guarda en el campo personalizado «no_existe», que no existe en este espacio de trabajo.",
        "El campo «Servicio» (Correo) no puede llenar el campo personalizado «Presupuesto» (Número).",
        "El campo «Otro correo» se guarda en «Correo electrónico», que ya llena el campo «Correo».",
    ] {
        assert!(page.contains(msg), "{msg} in {}", page.body);
    }
    // The builder keeps what was typed, mappings included.
    assert!(page.contains("custom:no_existe"), "{}", page.body);

    // The API: 422 on the field's maps_to, in English.
    let (s, b) = api(
        &app,
        &a,
        "PUT",
        &format!("/api/v1/forms/{id}"),
        Some(&json!({"name": "Cambiado", "fields": [
            {"name": "email", "type": "email"},
            {"name": "acepto", "type": "checkbox", "maps_to": "email"},
            {"name": "monto", "type": "text", "maps_to": "presupuesto"}
        ]})),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let v: Value = serde_json::from_str(&b).expect("json");
    let errs = &v["error"]["fields"];
    assert!(
        errs["fields[1].maps_to"]
            .as_str()
            .is_some_and(|m| m.contains("field acepto is a checkbox")),
        "{b}"
    );
    assert!(
        errs["fields[2].maps_to"]
            .as_str()
            .is_some_and(|m| m.contains("field monto cannot be saved to \"presupuesto\"")),
        "{b}"
    );

    // Nothing changed.
    let (_, after) = api(&app, &a, "GET", &format!("/api/v1/forms/{id}"), None).await;
    let after: Value = serde_json::from_str(&after).expect("json");
    assert_eq!(before["name"], after["name"]);
    assert_eq!(before["fields"], after["fields"]);
    assert_eq!(before["updated_at"], after["updated_at"]);
}

#[tokio::test]
async fn the_builder_creates_custom_fields_for_admins_only() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let keys = |defs: Vec<af_db::custom_fields::FieldDef>| -> Vec<String> {
        defs.into_iter().map(|d| d.key).collect()
    };
    let before = keys(
        af_db::custom_fields::list_fields(&app.db, a.ws.id)
            .await
            .expect("defs"),
    );

    // Members: refused, nothing created.
    let member = app.browser();
    member.login(&a.member_email, &a.password).await;
    member.get("/forms").await;
    let page = member
        .post(
            "/forms/custom-fields",
            &[("label", "Plan"), ("kind", "text"), ("options", "")],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.contains("Solo los administradores"), "{}", page.body);

    let owner = app.browser();
    owner.login(&a.owner_email, &a.password).await;
    // The builder lists the workspace's custom fields and may create more.
    let builder = owner.get("/forms/new").await;
    assert!(
        builder.contains("&#34;key&#34;:&#34;budget&#34;")
            || builder.contains("&quot;key&quot;:&quot;budget&quot;"),
        "{}",
        builder.body
    );
    assert!(
        builder.contains("can_create&#34;:true") || builder.contains("can_create&quot;:true"),
        "{}",
        builder.body
    );
    let created = owner
        .post(
            "/forms/custom-fields",
            &[
                ("label", "Plan contratado"),
                ("kind", "select"),
                ("options", "Pro\nBásico"),
            ],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let v: Value = serde_json::from_str(&created.body).expect("json");
    assert_eq!(v["key"], "plan_contratado");
    assert_eq!(v["label"], "Plan contratado");
    assert_eq!(v["kind"], "select");
    assert_eq!(v["kind_label"], "Lista de opciones");
    assert_eq!(v["options"], json!(["Pro", "Básico"]));
    // The same label again gets its own key.
    let again = owner
        .post(
            "/forms/custom-fields",
            &[("label", "Plan contratado"), ("kind", "text")],
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert!(
        again.contains("\"key\":\"plan_contratado_2\""),
        "{}",
        again.body
    );
    // Refusals, in the user's language, per part.
    let bad = owner
        .post(
            "/forms/custom-fields",
            &[("label", " "), ("kind", "select"), ("options", "")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let v: Value = serde_json::from_str(&bad.body).expect("json");
    assert_eq!(
        v["errors"]["label"],
        "Escribe una etiqueta de 1 a 80 caracteres."
    );
    assert_eq!(
        v["errors"]["options"],
        "Escribe de 1 a 50 opciones de hasta 80 caracteres."
    );
    let bad = owner
        .post(
            "/forms/custom-fields",
            &[("label", "Algo"), ("kind", "file")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.contains("\"kind\":\"Elige un tipo válido.\""),
        "{}",
        bad.body
    );
    // Without the CSRF token: refused.
    let forged = owner
        .post_raw(
            "/forms/custom-fields",
            &[("label", "Forjado"), ("kind", "text")],
        )
        .await;
    assert_eq!(forged.status, 403);

    let mut expected = before.clone();
    expected.extend([
        "plan_contratado".to_string(),
        "plan_contratado_2".to_string(),
    ]);
    let after = keys(
        af_db::custom_fields::list_fields(&app.db, a.ws.id)
            .await
            .expect("defs"),
    );
    assert_eq!(after, expected);

    // A select form field whose choices the new field accepts can be saved to it.
    let id = post_form(
        &app,
        &a,
        &json!({"name": "Planes", "fields": [
            {"name": "email", "type": "email", "required": true},
            {"name": "plan", "type": "select", "options": ["Pro", "Básico"], "maps_to": "custom:plan_contratado"}
        ]}),
    )
    .await;
    submit(
        &app,
        &id,
        &[("email", "plan@example.com"), ("plan", "Básico")],
    )
    .await;
    let contact = contact_by_email(&app, &a, "plan@example.com").await;
    assert_eq!(contact["custom"]["plan_contratado"], "Básico", "{contact}");
}

#[tokio::test]
async fn forms_saved_before_mappings_fill_the_contact_as_before() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    // Stored as forms were before `maps_to`: the contact fields come from
    // names and types, and a field named like a custom field fills it.
    let mut tx = app.db.begin().await.expect("tx");
    let form = af_db::forms::insert_form(
        &mut tx,
        a.ws.id,
        &af_db::forms::FormInput {
            name: "Antiguo".into(),
            fields: json!([
                {"name": "nombre", "type": "text", "label": "Nombre"},
                {"name": "contacto", "type": "email", "label": "Correo"},
                {"name": "whatsapp", "type": "text", "label": "WhatsApp"},
                {"name": "empresa", "type": "text", "label": "Empresa"},
                {"name": "budget", "type": "text", "label": "Presupuesto"},
                {"name": "mensaje", "type": "textarea", "label": "Mensaje"}
            ]),
            styling: json!({}),
            success_message: None,
            redirect_url: None,
            pipeline_id: None,
            stage_id: None,
            tags: vec![],
            consent_text: None,
            active: true,
        },
        &af_core::Actor::system(),
        app.now(),
    )
    .await
    .expect("form");
    tx.commit().await.expect("commit");
    let id = form.id.to_string();
    submit(
        &app,
        &id,
        &[
            ("nombre", "Raúl Gómez"),
            ("contacto", "raul@example.com"),
            ("whatsapp", "55 1234 5678"),
            ("empresa", "Gómez y Asociados"),
            ("budget", "900"),
            ("mensaje", "Hola"),
        ],
    )
    .await;
    let contact = contact_by_email(&app, &a, "raul@example.com").await;
    assert_eq!(contact["first_name"], "Raúl", "{contact}");
    assert_eq!(contact["last_name"], "Gómez");
    assert_eq!(contact["phone"], "+525512345678");
    assert_eq!(contact["company"], "Gómez y Asociados");
    assert_eq!(contact["custom"]["budget"], json!(900.0), "{contact}");
    // The API shows the fields as stored: no maps_to appears.
    let (_, f) = api(&app, &a, "GET", &format!("/api/v1/forms/{id}"), None).await;
    assert!(!f.contains("maps_to"), "{f}");
}
