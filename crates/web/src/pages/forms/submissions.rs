//! A form's received submissions (the latest 200) and their CSV export.
//! Every value is escaped by the template (form data is hostile), and
//! every CSV cell goes through `af_core::csv_io`'s formula guard.

use super::load_form;
use crate::auth::{ClientIp, CurrentUser};
use crate::error::AppResult;
use crate::extract::{IdPath, render};
use crate::i18n::forms::FormsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::csv_io::{UTF8_BOM, csv_line};
use af_core::{ContactId, FormId, Locale};
use af_db::audit::{NewAudit, insert_audit};
use af_db::contacts::Contact;
use af_db::forms::{self, Form, Submission};
use af_service::forms::{ATTRIBUTION_KEYS, fields_of};
use af_service::submissions::labelled_answers;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;

/// Most rows one export holds (newest first).
const EXPORT_ROWS: i64 = 10_000;

/// A submission as the list shows it (every value is escaped by the template).
pub struct SubmissionRow {
    pub created_at: String,
    pub lead_id: i64,
    pub contact_id: Option<String>,
    /// (label, value) in the form's field order.
    pub data: Vec<(String, String)>,
    /// (label, value) of the tracking keys.
    pub attribution: Vec<(String, String)>,
}

/// A stored value as text: strings as they are, checkboxes as yes / no.
fn value_text(v: &Value, ft: &FormsTr) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => ft.yes.to_string(),
        Value::Bool(false) => ft.no.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The tracking keys of a submission under their labels (unknown keys
/// under their own name), in the usual order.
fn tracking(json: &str, ft: &FormsTr) -> Vec<(String, String)> {
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(json) else {
        return vec![];
    };
    let mut out: Vec<(String, String)> = ATTRIBUTION_KEYS
        .iter()
        .filter_map(|k| {
            let v = m.get(*k).filter(|v| !v.is_null())?;
            Some((label_of_key(k, ft), value_text(v, ft)))
        })
        .collect();
    out.extend(
        m.iter()
            .filter(|(k, v)| !v.is_null() && !ATTRIBUTION_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (label_of_key(k, ft), value_text(v, ft))),
    );
    out
}

fn label_of_key(key: &str, ft: &FormsTr) -> String {
    ft.tracking_label(key).unwrap_or(key).to_string()
}

impl SubmissionRow {
    fn new(form: &Form, s: &Submission, tz: &str, locale: Locale) -> Self {
        let ft = FormsTr::get(locale);
        Self {
            created_at: crate::pages::fmt_when(s.created_at, tz, locale),
            lead_id: s.lead_number,
            contact_id: s.contact_id.map(|c| c.to_string()),
            data: labelled_answers(form, &s.data, locale)
                .into_iter()
                .map(|a| {
                    // A key the form no longer has may still be a tracking one.
                    let label = if a.kind.is_empty() {
                        label_of_key(&a.key, ft)
                    } else {
                        a.label
                    };
                    (label, value_text(&a.value, ft))
                })
                .collect(),
            attribution: tracking(&s.attribution, ft),
        }
    }
}

#[derive(Template)]
#[template(path = "forms/submissions.html")]
struct SubmissionsTemplate {
    shell: Shell,
    ft: &'static FormsTr,
    id: String,
    name: String,
    rows: Vec<SubmissionRow>,
}

/// `GET /forms/{id}/submissions`
pub(super) async fn submissions_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<FormId>,
) -> AppResult<Html<String>> {
    let form = load_form(&st, &cu, id).await?;
    let subs = forms::list_submissions(&st.db, cu.workspace.id, form.id, 200).await?;
    render(&SubmissionsTemplate {
        ft: FormsTr::get(cu.locale()),
        rows: subs
            .iter()
            .map(|s| SubmissionRow::new(&form, s, &cu.workspace.time_zone, cu.locale()))
            .collect(),
        id: form.id.to_string(),
        name: form.name,
        shell: Shell::new(&cu, Area::Forms).await?,
    })
}

/// ISO 8601 with the offset of the workspace's zone.
fn iso_in(ts: af_db::Ts, tz: &str) -> String {
    ts.0.to_zoned(af_core::datetime::zone(tz))
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn object(json: &str) -> serde_json::Map<String, Value> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

/// The CSV of a form's submissions (newest first): date, the contact's
/// name, email and phone, one column per form field (then keys the form no
/// longer has), then the tracking keys.
fn submissions_csv(
    form: &Form,
    subs: &[Submission],
    contacts: &HashMap<ContactId, Contact>,
    tz: &str,
    locale: Locale,
) -> Vec<u8> {
    let ft = FormsTr::get(locale);
    let specs = fields_of(form);
    let rows: Vec<(
        serde_json::Map<String, Value>,
        serde_json::Map<String, Value>,
    )> = subs
        .iter()
        .map(|s| (object(&s.data), object(&s.attribution)))
        .collect();
    let mut data_keys: Vec<(String, String)> = specs
        .iter()
        .map(|f| (f.name.clone(), f.label_in(locale).to_string()))
        .collect();
    let mut track_keys: Vec<String> = ATTRIBUTION_KEYS.iter().map(|k| k.to_string()).collect();
    for (data, attr) in &rows {
        for k in data.keys() {
            if !data_keys.iter().any(|(n, _)| n == k) {
                data_keys.push((k.clone(), label_of_key(k, ft)));
            }
        }
        for k in attr.keys() {
            if !track_keys.contains(k) {
                track_keys.push(k.clone());
            }
        }
    }
    let mut header = vec![
        ft.date.to_string(),
        ft.col_contact_name.to_string(),
        ft.col_contact_email.to_string(),
        ft.col_contact_phone.to_string(),
    ];
    header.extend(data_keys.iter().map(|(_, l)| l.clone()));
    header.extend(track_keys.iter().map(|k| label_of_key(k, ft)));
    let mut out = UTF8_BOM.to_vec();
    out.extend(csv_line(&header));
    for (s, (data, attr)) in subs.iter().zip(&rows) {
        let c = s.contact_id.and_then(|id| contacts.get(&ContactId(id)));
        let mut cells = vec![
            iso_in(s.created_at, tz),
            c.map(Contact::full_name).unwrap_or_default(),
            c.and_then(|c| c.email.clone()).unwrap_or_default(),
            c.and_then(|c| c.phone.clone()).unwrap_or_default(),
        ];
        cells.extend(
            data_keys
                .iter()
                .map(|(k, _)| data.get(k).map(|v| value_text(v, ft)).unwrap_or_default()),
        );
        cells.extend(
            track_keys
                .iter()
                .map(|k| attr.get(k).map(|v| value_text(v, ft)).unwrap_or_default()),
        );
        out.extend(csv_line(&cells));
    }
    out
}

/// `GET /forms/{id}/submissions.csv`: the form's latest submissions as a
/// spreadsheet, for whoever may see the submissions page; audited like
/// the contacts export.
pub(super) async fn submissions_csv_download(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath<FormId>,
) -> AppResult<Response> {
    let form = load_form(&st, &cu, id).await?;
    let ws = cu.workspace.id;
    let subs = forms::list_submissions(&st.db, ws, form.id, EXPORT_ROWS).await?;
    let mut contacts = HashMap::new();
    for cid in subs.iter().filter_map(|s| s.contact_id.map(ContactId)) {
        if contacts.contains_key(&cid) {
            continue;
        }
        if let Some(c) = af_db::contacts::find_contact(&st.db, ws, cid).await? {
            contacts.insert(cid, c);
        }
    }
    let mut tx = st.db.begin().await?;
    let actor = cu.actor();
    insert_audit(
        &mut tx,
        &NewAudit {
            workspace: Some(ws),
            actor: &actor,
            action: "form_submissions.exported",
            target_type: Some("form"),
            target_id: Some(form.id.to_string()),
            result: "ok",
            details: serde_json::json!({ "format": "csv", "rows": subs.len() }),
            ip: Some(&ip),
        },
        st.now(),
    )
    .await?;
    tx.commit().await?;
    let body = submissions_csv(
        &form,
        &subs,
        &contacts,
        &cu.workspace.time_zone,
        cu.locale(),
    );
    let ft = FormsTr::get(cu.locale());
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let disposition = format!("attachment; filename=\"{}-{}.csv\"", ft.csv_file, form.id);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
