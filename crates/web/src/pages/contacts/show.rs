//! The contact page: details with inline editing per field, consent,
//! custom fields, tags, deals, notes, tasks, attribution and the timeline.
//!
//! Each part is its own small template rendered into the page and, alone,
//! into htmx answers; a change answers with its part plus the timeline as an
//! out-of-band swap, so the history is always current without a reload.

use super::form::{short_text, unique_field};
use super::{contacts_js, ct, db_err, member_name, member_name_by_id, render};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath};
use crate::i18n::contacts::ContactsTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::shell::{Area, Shell};
use crate::pages::{fmt_ago, fmt_when};
use crate::state::AppState;
use af_core::contact::{LIFECYCLES, normalize_phone, tag_name};
use af_core::vocab::EventKind;
use af_core::{ContactId, Locale, UserId, validate};
use af_db::contacts::{self, Contact, ContactPatch};
use af_db::custom_fields::{self, FieldDef};
use af_db::deals::{self, DealFilter};
use af_db::events::{self, Event};
use af_db::workspaces::{self, Member};
use af_db::{Ts, notes, pipelines};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// What most parts of the page need besides the contact.
pub(super) struct Ctx {
    pub t: &'static ContactsTr,
    pub members: Vec<Member>,
    pub defs: Vec<FieldDef>,
    pub time_zone: String,
    /// The reader's language, for dates and the vocabulary's labels.
    pub locale: Locale,
    /// The workspace's country: its numbers show in national format.
    pub country: String,
}

impl Ctx {
    pub async fn load(st: &AppState, cu: &CurrentUser) -> AppResult<Ctx> {
        let ws = cu.workspace.id;
        Ok(Ctx {
            t: ct(cu),
            members: workspaces::list_members(&st.db, ws).await?,
            defs: custom_fields::list_fields(&st.db, ws).await?,
            time_zone: cu.workspace.time_zone.clone(),
            locale: cu.locale(),
            country: cu.workspace.country.clone(),
        })
    }

    fn member_choices(&self) -> Vec<(String, String)> {
        self.members
            .iter()
            .map(|m| (m.user_id.to_string(), member_name(m)))
            .collect()
    }
}

/// The contact of this workspace, or 404.
pub(super) async fn load_contact(
    st: &AppState,
    cu: &CurrentUser,
    id: ContactId,
) -> AppResult<Contact> {
    contacts::find_contact(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn lifecycle_label(t: &ContactsTr, v: &str) -> String {
    match v {
        "lead" => t.lc_lead,
        "qualified" => t.lc_qualified,
        "customer" => t.lc_customer,
        "churned" => t.lc_churned,
        "other" => t.lc_other,
        other => other,
    }
    .to_string()
}

fn yes_no(t: &ContactsTr, b: bool) -> String {
    if b { t.yes } else { t.no }.to_string()
}

// ------------------------------------------------------------------ fields

/// One inline-editable field: shown as text, or as an input while editing.
#[derive(Template)]
#[template(path = "contacts/_field.html")]
pub(super) struct FieldView {
    ct: &'static ContactsTr,
    cid: ContactId,
    name: String,
    label: String,
    display: String,
    value: String,
    /// text, email, tel, number, date or select.
    input: &'static str,
    options: Vec<(String, String)>,
    editing: bool,
    error: Option<String>,
}

/// The standard fields shown in "Details" and "Consent", in order.
const DETAIL_FIELDS: [&str; 8] = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "source",
    "lifecycle",
    "owner",
];
const CONSENT_FIELDS: [&str; 2] = ["email_unsubscribed", "sms_opted_out"];

fn field_view(ctx: &Ctx, c: &Contact, name: &str) -> Option<FieldView> {
    let t = ctx.t;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let bool_opts = || vec![("false".into(), t.no.into()), ("true".into(), t.yes.into())];
    let (label, value, display, input, options): (
        String,
        String,
        String,
        &'static str,
        Vec<(String, String)>,
    ) = match name {
        "first_name" => (
            t.first_name.into(),
            c.first_name.clone(),
            c.first_name.clone(),
            "text",
            vec![],
        ),
        "last_name" => (
            t.last_name.into(),
            c.last_name.clone(),
            c.last_name.clone(),
            "text",
            vec![],
        ),
        "email" => (
            t.email.into(),
            text(&c.email),
            text(&c.email),
            "email",
            vec![],
        ),
        "phone" => (
            t.phone.into(),
            text(&c.phone),
            c.phone
                .as_deref()
                .map(|p| af_core::phone::display(p, &ctx.country))
                .unwrap_or_default(),
            "tel",
            vec![],
        ),
        "company" => (
            t.company.into(),
            text(&c.company),
            text(&c.company),
            "text",
            vec![],
        ),
        "source" => (
            t.source.into(),
            text(&c.source),
            text(&c.source),
            "text",
            vec![],
        ),
        "lifecycle" => (
            t.lifecycle.into(),
            c.lifecycle.clone(),
            lifecycle_label(t, &c.lifecycle),
            "select",
            LIFECYCLES
                .iter()
                .map(|l| (l.to_string(), lifecycle_label(t, l)))
                .collect(),
        ),
        "owner" => {
            let mut options = vec![(String::new(), t.no_owner.to_string())];
            options.extend(ctx.member_choices());
            (
                t.owner.into(),
                c.owner_id.map(|o| o.to_string()).unwrap_or_default(),
                member_name_by_id(&ctx.members, c.owner_id).unwrap_or_default(),
                "select",
                options,
            )
        }
        "email_unsubscribed" => (
            t.email_unsubscribed.into(),
            c.email_unsubscribed.to_string(),
            yes_no(t, c.email_unsubscribed),
            "select",
            bool_opts(),
        ),
        "sms_opted_out" => (
            t.sms_opted_out.into(),
            c.sms_opted_out.to_string(),
            yes_no(t, c.sms_opted_out),
            "select",
            bool_opts(),
        ),
        other => {
            let key = other.strip_prefix("cf-")?;
            let def = ctx.defs.iter().find(|d| d.key == key)?;
            let v = match c.custom_map().get(key) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            };
            let (input, options) = match def.kind.as_str() {
                "number" => ("number", vec![]),
                "date" => ("date", vec![]),
                "select" => {
                    let mut o = vec![(String::new(), "—".to_string())];
                    o.extend(def.choices().into_iter().map(|c| (c.clone(), c)));
                    ("select", o)
                }
                _ => ("text", vec![]),
            };
            (def.label.clone(), v.clone(), v, input, options)
        }
    };
    Some(FieldView {
        ct: t,
        cid: c.id,
        name: name.to_string(),
        label,
        display,
        value,
        input,
        options,
        editing: false,
        error: None,
    })
}

/// Reads a submitted value into a patch; `Err` is the message to show.
fn patch_for(ctx: &Ctx, country: &str, name: &str, raw: &str) -> Result<ContactPatch, String> {
    let t = ctx.t;
    let mut p = ContactPatch::default();
    let text = |raw: &str| short_text(raw).map_err(|_| t.err_too_long.to_string());
    let flag = |raw: &str| match raw.trim() {
        "true" | "on" | "1" => Ok(true),
        "false" | "off" | "0" | "" => Ok(false),
        _ => Err(t.err_bulk_action.to_string()),
    };
    match name {
        "first_name" => {
            p.first_name = Some(text(raw)?.ok_or_else(|| t.err_first_name.to_string())?)
        }
        "last_name" => p.last_name = Some(text(raw)?.unwrap_or_default()),
        "company" => p.company = Some(text(raw)?),
        "source" => p.source = Some(text(raw)?),
        "email" => {
            p.email = Some(match raw.trim() {
                "" => None,
                v => Some(validate::email(v).map_err(|_| t.err_email.to_string())?),
            })
        }
        "phone" => {
            p.phone = Some(match raw.trim() {
                "" => None,
                v => Some(
                    normalize_phone(v, country)
                        .map_err(|_| t.err_phone.replace("{country}", country))?,
                ),
            })
        }
        "lifecycle" => {
            p.lifecycle =
                Some(af_core::contact::lifecycle(raw).map_err(|_| t.err_bulk_action.to_string())?)
        }
        "owner" => {
            p.owner_id = Some(match raw.trim() {
                "" => None,
                v => {
                    let id = v.parse::<UserId>().map_err(|_| t.err_owner.to_string())?;
                    if !ctx.members.iter().any(|m| m.user_id == id) {
                        return Err(t.err_owner.into());
                    }
                    Some(id)
                }
            })
        }
        "email_unsubscribed" => p.email_unsubscribed = Some(flag(raw)?),
        "sms_opted_out" => p.sms_opted_out = Some(flag(raw)?),
        other => {
            let key = other.strip_prefix("cf-").unwrap_or(other);
            let def = ctx
                .defs
                .iter()
                .find(|d| d.key == key)
                .ok_or_else(|| t.err_bulk_action.to_string())?;
            let value = def.check(&Value::String(raw.to_string())).map_err(|_| {
                match def.kind.as_str() {
                    "number" => t.err_cf_number,
                    "date" => t.err_cf_date,
                    "select" => t.err_cf_select,
                    _ => t.err_cf_text,
                }
            })?;
            p.custom.insert(key.to_string(), value);
        }
    }
    Ok(p)
}

/// `GET /contacts/{id}/fields/{field}`: the field as text (cancel an edit).
pub async fn show_field(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath((id, field)): IdPath<(ContactId, String)>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let ctx = Ctx::load(&st, &cu).await?;
    let view = field_view(&ctx, &c, &field).ok_or(AppError::NotFound)?;
    Ok(Html(render(&view)?).into_response())
}

/// `GET /contacts/{id}/fields/{field}/edit`: the field as an input.
pub async fn edit_field(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath((id, field)): IdPath<(ContactId, String)>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let ctx = Ctx::load(&st, &cu).await?;
    let mut view = field_view(&ctx, &c, &field).ok_or(AppError::NotFound)?;
    view.editing = true;
    Ok(Html(render(&view)?).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ValueForm {
    value: String,
}

/// `POST /contacts/{id}/fields/{field}`: saves one field through
/// `update_contact` (so the event carries old and new), answers the field
/// as text plus the refreshed timeline, or the input with its error (422).
pub async fn update_field(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath((id, field)): IdPath<(ContactId, String)>,
    Form(form): Form<ValueForm>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let ctx = Ctx::load(&st, &cu).await?;
    let mut view = field_view(&ctx, &c, &field).ok_or(AppError::NotFound)?;
    let invalid = |mut view: FieldView, message: String| -> AppResult<Response> {
        view.editing = true;
        view.value = form.value.clone();
        view.error = Some(message);
        Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render(&view)?)).into_response())
    };
    let patch = match patch_for(&ctx, &cu.workspace.country, &field, &form.value) {
        Ok(p) => p,
        Err(message) => return invalid(view, message),
    };
    let mut tx = st.db.begin().await?;
    let updated = match contacts::update_contact(
        &mut tx,
        cu.workspace.id,
        c.id,
        &patch,
        &cu.actor(),
        st.now(),
    )
    .await
    {
        Ok(u) => u,
        Err(e) => {
            drop(tx);
            return match unique_field(&e) {
                Some("email") => invalid(view, ctx.t.err_email_taken.into()),
                Some(_) => invalid(view, ctx.t.err_phone_taken.into()),
                None => Err(db_err(e)),
            };
        }
    };
    tx.commit().await?;
    if !hx {
        return Ok(Redirect::to(&format!("/contacts/{}", c.id)).into_response());
    }
    view = field_view(&ctx, &updated, &field).ok_or(AppError::NotFound)?;
    let timeline = timeline_section(&st, &ctx, &updated, true).await?;
    let mut html = render(&view)? + &render(&timeline)?;
    if field == "first_name" || field == "last_name" {
        html += &render(&Heading {
            name: updated.full_name(),
            oob: true,
        })?;
    }
    Ok(Html(html).into_response())
}

/// The page's heading (the contact's name), refreshed when a name changes.
#[derive(Template)]
#[template(
    source = r#"<h1 id="contact-name" class="text-2xl font-semibold" data-testid="contact-name"{% if oob %} hx-swap-oob="true"{% endif %}>{% if name.is_empty() %}—{% else %}{{ name }}{% endif %}</h1>"#,
    ext = "html"
)]
struct Heading {
    name: String,
    oob: bool,
}

// -------------------------------------------------------------------- tags

#[derive(Template)]
#[template(path = "contacts/_tags.html")]
pub(super) struct TagsSection {
    ct: &'static ContactsTr,
    cid: ContactId,
    tags: Vec<String>,
    error: Option<String>,
}

async fn tags_section(st: &AppState, ctx: &Ctx, c: &Contact) -> AppResult<TagsSection> {
    let tags = contacts::tags_of(&st.db, c.workspace_id, &[c.id])
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    Ok(TagsSection {
        ct: ctx.t,
        cid: c.id,
        tags,
        error: None,
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct TagForm {
    name: String,
}

/// The answer to a change on the page: the changed part and the timeline
/// (htmx), or back to the page (plain form).
async fn part_and_timeline(
    st: &AppState,
    ctx: &Ctx,
    hx: bool,
    c: &Contact,
    part: String,
) -> AppResult<Response> {
    if !hx {
        return Ok(Redirect::to(&format!("/contacts/{}", c.id)).into_response());
    }
    let timeline = timeline_section(st, ctx, c, true).await?;
    Ok(Html(part + &render(&timeline)?).into_response())
}

async fn change_tag(
    st: AppState,
    cu: CurrentUser,
    hx: bool,
    id: ContactId,
    name: String,
    add: bool,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let ctx = Ctx::load(&st, &cu).await?;
    let tag = match tag_name(&name) {
        Ok(tag) => tag,
        Err(_) => {
            let mut section = tags_section(&st, &ctx, &c).await?;
            section.error = Some(ctx.t.err_tag.into());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render(&section)?)).into_response());
        }
    };
    let (now, actor) = (st.now(), cu.actor());
    let mut tx = st.db.begin().await?;
    if add {
        contacts::add_tag(&mut tx, c.workspace_id, c.id, &tag, &actor, now).await?;
    } else {
        contacts::remove_tag(&mut tx, c.workspace_id, c.id, &tag, &actor, now).await?;
    }
    tx.commit().await?;
    let section = render(&tags_section(&st, &ctx, &c).await?)?;
    part_and_timeline(&st, &ctx, hx, &c, section).await
}

/// `POST /contacts/{id}/tags`: adds a tag (`name`).
pub async fn add_tag(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath(id): IdPath<ContactId>,
    Form(f): Form<TagForm>,
) -> AppResult<Response> {
    change_tag(st, cu, hx, id, f.name, true).await
}

/// `POST /contacts/{id}/tags/remove`: removes a tag (`name`).
pub async fn remove_tag(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath(id): IdPath<ContactId>,
    Form(f): Form<TagForm>,
) -> AppResult<Response> {
    change_tag(st, cu, hx, id, f.name, false).await
}

// ------------------------------------------------------------------- notes

pub struct NoteView {
    pub author: String,
    pub when: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "contacts/_notes.html")]
pub(super) struct NotesSection {
    ct: &'static ContactsTr,
    cid: ContactId,
    notes: Vec<NoteView>,
    error: Option<String>,
    draft: String,
}

async fn notes_section(st: &AppState, ctx: &Ctx, c: &Contact) -> AppResult<NotesSection> {
    let notes = notes::list_notes(&st.db, c.workspace_id, c.id, 100)
        .await?
        .into_iter()
        .map(|n| NoteView {
            author: n.author_name.unwrap_or_default(),
            when: fmt_when(n.created_at, &ctx.time_zone, ctx.locale),
            body: n.body,
        })
        .collect();
    Ok(NotesSection {
        ct: ctx.t,
        cid: c.id,
        notes,
        error: None,
        draft: String::new(),
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    body: String,
}

/// `POST /contacts/{id}/notes`: adds a note (writes `note.added`).
pub async fn add_note(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath(id): IdPath<ContactId>,
    Form(f): Form<NoteForm>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let ctx = Ctx::load(&st, &cu).await?;
    let body = f.body.trim();
    if body.is_empty() || body.chars().count() > notes::MAX_NOTE_CHARS {
        let mut section = notes_section(&st, &ctx, &c).await?;
        section.error = Some(ctx.t.err_note.into());
        section.draft = f.body.chars().take(notes::MAX_NOTE_CHARS).collect();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render(&section)?)).into_response());
    }
    let mut tx = st.db.begin().await?;
    notes::insert_note(
        &mut tx,
        c.workspace_id,
        c.id,
        Some(cu.user.id),
        body,
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(db_err)?;
    tx.commit().await?;
    let section = render(&notes_section(&st, &ctx, &c).await?)?;
    part_and_timeline(&st, &ctx, hx, &c, section).await
}

// ---------------------------------------------------------------- timeline

pub struct TimelineItem {
    pub when: String,
    pub text: String,
    pub actor: String,
    /// A note's text, shown as a block.
    pub body: Option<String>,
    /// Where the entry leads (a message: its conversation; an enrolment:
    /// its workflow).
    pub link: Option<String>,
    at: (Ts, Uuid),
}

#[derive(Template)]
#[template(path = "contacts/_timeline.html")]
pub(super) struct TimelineSection {
    ct: &'static ContactsTr,
    items: Vec<TimelineItem>,
    /// Rendered as an htmx out-of-band swap (inside another part's answer).
    oob: bool,
}

fn field_label(ctx: &Ctx, key: &str) -> String {
    let t = ctx.t;
    match key {
        "first_name" => t.first_name,
        "last_name" => t.last_name,
        "email" => t.email,
        "phone" => t.phone,
        "company" => t.company,
        "source" => t.source,
        "owner_id" => t.owner,
        "lifecycle" => t.lifecycle,
        "email_unsubscribed" => t.email_unsubscribed,
        "sms_opted_out" => t.sms_opted_out,
        other => {
            return ctx
                .defs
                .iter()
                .find(|d| d.key == other)
                .map(|d| d.label.clone())
                .unwrap_or_else(|| other.to_string());
        }
    }
    .to_string()
}

fn value_text(ctx: &Ctx, key: &str, v: Option<&Value>) -> String {
    let t = ctx.t;
    match v {
        None | Some(Value::Null) => t.empty_value.to_string(),
        Some(Value::Bool(b)) => yes_no(t, *b),
        Some(Value::String(s)) if key == "owner_id" => s
            .parse::<Uuid>()
            .ok()
            .and_then(|id| member_name_by_id(&ctx.members, Some(id)))
            .unwrap_or_else(|| s.clone()),
        Some(Value::String(s)) if key == "lifecycle" => lifecycle_label(t, s),
        Some(Value::String(s)) if s.is_empty() => t.empty_value.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// "Empresa: Acme → Beta; Ciclo de vida: Lead → Cliente".
fn changes_text(ctx: &Ctx, data: &Value) -> String {
    let empty = serde_json::Map::new();
    let old = data.get("old").and_then(Value::as_object).unwrap_or(&empty);
    let new = data.get("new").and_then(Value::as_object).unwrap_or(&empty);
    let mut parts = Vec::new();
    for (k, v) in new {
        if k == "custom" {
            let old_custom = old
                .get("custom")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let new_custom = v.as_object().unwrap_or(&empty);
            let mut keys: Vec<&String> = old_custom.keys().chain(new_custom.keys()).collect();
            keys.sort();
            keys.dedup();
            for ck in keys {
                let (a, b) = (old_custom.get(ck), new_custom.get(ck));
                if a != b {
                    parts.push(format!(
                        "{}: {} → {}",
                        field_label(ctx, ck),
                        value_text(ctx, ck, a),
                        value_text(ctx, ck, b)
                    ));
                }
            }
        } else {
            parts.push(format!(
                "{}: {} → {}",
                field_label(ctx, k),
                value_text(ctx, k, old.get(k)),
                value_text(ctx, k, Some(v))
            ));
        }
    }
    if parts.is_empty() {
        ctx.t.attribution.to_string()
    } else {
        parts.join("; ")
    }
}

/// An event as a sentence in the user's language.
fn event_text(ctx: &Ctx, e: &Event) -> String {
    let t = ctx.t;
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    let s = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let v = VocabTr::get(ctx.locale);
    match EventKind::parse(&e.kind) {
        Some(EventKind::ContactCreated) if data.get("import") == Some(&Value::Bool(true)) => {
            t.ev_imported.to_string()
        }
        Some(EventKind::ContactCreated) => t.ev_created.to_string(),
        Some(EventKind::ContactErased) => t.ev_erased.to_string(),
        Some(EventKind::ContactUpdated) => {
            t.ev_updated.replace("{changes}", &changes_text(ctx, &data))
        }
        Some(EventKind::ContactDeleted) => t.ev_deleted.to_string(),
        Some(EventKind::ContactEmailAdded) => t.ev_email_added.replace("{email}", &s("email")),
        Some(EventKind::TagAdded) => t.ev_tag_added.replace("{tag}", &s("tag")),
        Some(EventKind::TagRemoved) => t.ev_tag_removed.replace("{tag}", &s("tag")),
        Some(EventKind::DealCreated) => t
            .ev_deal_created
            .replace("{title}", &s("title"))
            .replace("{stage}", &s("stage")),
        Some(EventKind::DealStageChanged) => t
            .ev_stage_changed
            .replace("{from}", &s("from_stage"))
            .replace("{to}", &s("to_stage")),
        Some(EventKind::TaskCreated) => t.ev_task_created.replace("{title}", &s("title")),
        Some(EventKind::TaskCompleted) => t.ev_task_completed.replace("{title}", &s("title")),
        Some(EventKind::FormSubmitted) if !s("form_name").is_empty() => {
            let ft = crate::i18n::forms::FormsTr::get(ctx.locale);
            match af_service::submissions::answers_summary(&data, ctx.locale) {
                answers if answers.is_empty() => {
                    ft.ev_submitted_named.replace("{form}", &s("form_name"))
                }
                answers => ft
                    .ev_submitted_answers
                    .replace("{form}", &s("form_name"))
                    .replace("{answers}", &answers),
            }
        }
        Some(
            kind @ (EventKind::AppointmentBooked
            | EventKind::AppointmentRequested
            | EventKind::AppointmentRescheduled
            | EventKind::AppointmentCancelled
            | EventKind::AppointmentConfirmed
            | EventKind::AppointmentCompleted
            | EventKind::AppointmentNoShow),
        ) => {
            // "Agendó una cita: Asesoría, 9 mar 2026 10:00" in the page's zone.
            let label = v.event_kind_label(kind);
            let when = data
                .get("start")
                .and_then(Value::as_str)
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| {
                    af_core::datetime::date_time(
                        t,
                        &af_core::datetime::zone(&ctx.time_zone),
                        ctx.locale,
                    )
                });
            match when {
                Some(when) => crate::i18n::calendars::CalendarsTr::get(ctx.locale)
                    .appointment_text
                    .replace("{what}", label)
                    .replace("{title}", &s("title"))
                    .replace("{when}", &when),
                None => label.to_string(),
            }
        }
        Some(EventKind::ContactScoreChanged) if data.get("new").is_some() => {
            let n = |key: &str| data.get(key).map(|v| v.to_string()).unwrap_or_default();
            t.ev_score_changed
                .replace("{old}", &n("old"))
                .replace("{new}", &n("new"))
        }
        Some(other) => v.event_kind_label(other).to_string(),
        // Written by earlier versions as an event; now an audit entry.
        None if e.kind == "contact.gdpr_exported" => t.ev_gdpr_exported.to_string(),
        // A custom event (`custom.paid`) or a kind this version does not know.
        None => t.ev_other.replace("{kind}", v.event_kind(&e.kind)),
    }
}

fn actor_text(ctx: &Ctx, e: &Event) -> String {
    match e.actor_type.as_str() {
        "user" => member_name_by_id(&ctx.members, e.actor_id).unwrap_or_default(),
        "api_key" => "API".into(),
        _ => ctx.t.actor_system.into(),
    }
}

/// Every event of the contact and its deals plus its notes, newest first.
/// (Notes come from their table, which holds their current text.)
pub(super) async fn timeline_section(
    st: &AppState,
    ctx: &Ctx,
    c: &Contact,
    oob: bool,
) -> AppResult<TimelineSection> {
    let ws = c.workspace_id;
    let filter = DealFilter {
        contact_id: Some(c.id.0),
        ..Default::default()
    };
    let deal_ids: Vec<String> = deals::list_deals(&st.db, ws, &filter, 500)
        .await?
        .into_iter()
        .map(|d| d.id.to_string())
        .collect();
    let events = events::list_entity_events(&st.db, ws, &c.id.to_string(), &deal_ids, 300).await?;
    // Messages and enrolments are told from their own rows (their status
    // and reason as they are now), so their events are not repeated.
    let told_elsewhere = [
        EventKind::NoteAdded,
        EventKind::MessageInbound,
        EventKind::MessageSent,
    ];
    let mut items: Vec<TimelineItem> = events
        .iter()
        .filter(|e| !told_elsewhere.iter().any(|k| e.kind == *k))
        .map(|e| TimelineItem {
            when: fmt_when(e.occurred_at, &ctx.time_zone, ctx.locale),
            text: event_text(ctx, e),
            actor: actor_text(ctx, e),
            body: None,
            link: None,
            at: (e.occurred_at, e.id),
        })
        .collect();
    for n in notes::list_notes(&st.db, ws, c.id, 100).await? {
        items.push(TimelineItem {
            when: fmt_when(n.created_at, &ctx.time_zone, ctx.locale),
            text: ctx.t.ev_note.to_string(),
            actor: n.author_name.unwrap_or_default(),
            body: Some(n.body),
            link: None,
            at: (n.created_at, n.id.0),
        });
    }
    items.extend(message_items(st, ctx, c).await?);
    items.extend(enrollment_items(st, ctx, c).await?);
    items.sort_by_key(|i| std::cmp::Reverse(i.at));
    Ok(TimelineSection {
        ct: ctx.t,
        items,
        oob,
    })
}

/// The contact's messages in and out, each a sentence with its status,
/// leading to the conversation.
async fn message_items(st: &AppState, ctx: &Ctx, c: &Contact) -> AppResult<Vec<TimelineItem>> {
    let v = VocabTr::get(ctx.locale);
    let t = ctx.t;
    let link = format!("/conversations/{}", c.id);
    let rows = af_db::conversations::thread(&st.db, c.workspace_id, c.id, None, 100).await?;
    Ok(rows
        .iter()
        .map(|m| {
            // A template's text is Twilio's: its row has no body.
            let text = if m.content_sid.is_some() && m.body_text.is_empty() {
                t.ev_msg_template.to_string()
            } else {
                af_db::conversations::preview(
                    m.subject
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .unwrap_or(&m.body_text),
                )
            };
            let sentence = if m.direction == "inbound" {
                t.ev_msg_in
                    .replace("{channel}", v.channel(&m.channel))
                    .replace("{text}", &text)
            } else {
                t.ev_msg_out
                    .replace("{channel}", v.channel(&m.channel))
                    .replace("{status}", v.message_status(&m.status))
                    .replace("{text}", &text)
            };
            TimelineItem {
                when: fmt_when(m.created_at, &ctx.time_zone, ctx.locale),
                text: sentence,
                actor: m
                    .sent_by_name
                    .clone()
                    .or_else(|| m.workflow_name.clone())
                    .unwrap_or_default(),
                body: None,
                link: Some(link.clone()),
                at: (m.created_at, m.id.0),
            }
        })
        .collect())
}

/// The contact's enrolments: when she entered each workflow, and how she
/// left it (finished, left with the reason, failed).
async fn enrollment_items(st: &AppState, ctx: &Ctx, c: &Contact) -> AppResult<Vec<TimelineItem>> {
    let t = ctx.t;
    let rows = af_db::automations::enrollments_of_contact(&st.db, c.workspace_id, c.id, 50).await?;
    let mut out = Vec::new();
    for e in rows {
        let link = Some(format!("/automations/{}", e.workflow_id));
        out.push(TimelineItem {
            when: fmt_when(e.started_at, &ctx.time_zone, ctx.locale),
            text: t.ev_enrolled.replace("{name}", &e.workflow_name),
            actor: String::new(),
            body: None,
            link: link.clone(),
            at: (e.started_at, e.id),
        });
        let Some(end) = e.finished_at else {
            continue;
        };
        let text = match e.status.as_str() {
            "completed" => t.ev_enrol_completed.replace("{name}", &e.workflow_name),
            "failed" => t.ev_enrol_failed.replace("{name}", &e.workflow_name),
            _ => t
                .ev_enrol_exited
                .replace("{name}", &e.workflow_name)
                .replace(
                    "{reason}",
                    &e.exit_reason
                        .as_deref()
                        .map(|r| crate::i18n::details::detail(ctx.locale, r))
                        .unwrap_or_default(),
                )
                .trim_end_matches([':', ' '])
                .to_string(),
        };
        out.push(TimelineItem {
            when: fmt_when(end, &ctx.time_zone, ctx.locale),
            text,
            actor: String::new(),
            body: None,
            link,
            // After the entry of the same instant.
            at: (end, uuid::Uuid::max()),
        });
    }
    Ok(out)
}

/// The contact's newest `n` timeline items, worded as on the contact page
/// (the board's deal drawer shows them).
pub(crate) async fn recent_timeline(
    st: &AppState,
    cu: &CurrentUser,
    c: &Contact,
    n: usize,
) -> AppResult<Vec<TimelineItem>> {
    let ctx = Ctx::load(st, cu).await?;
    let mut section = timeline_section(st, &ctx, c, false).await?;
    section.items.truncate(n);
    Ok(section.items)
}

// -------------------------------------------------------------------- page

pub struct DealView {
    pub title: String,
    pub stage: String,
    pub pipeline: String,
    pub pipeline_id: String,
    pub value: String,
}

pub struct TouchView {
    pub label: &'static str,
    pub when: String,
    pub rows: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/show.html")]
struct ContactPage {
    shell: Shell,
    ct: &'static ContactsTr,
    js: &'static str,
    cid: ContactId,
    name: String,
    heading: String,
    score: i32,
    created: String,
    last_activity: String,
    details: Vec<String>,
    consent: Vec<String>,
    /// Why marketing email no longer goes to the contact's address (a hard
    /// bounce or a spam report), translated.
    email_suppressed: Option<String>,
    custom: Vec<String>,
    can_manage: bool,
    tags: String,
    deals: Vec<DealView>,
    notes: String,
    tasks: String,
    touches: Vec<TouchView>,
    timeline: String,
    /// The contact's appointments with their status actions.
    appointments: String,
    /// The contact's memberships with their status actions.
    memberships: String,
    /// Its active retention alerts (empty when none).
    retention: String,
    /// The score, its "why" panel, the log-activity form and activities.
    score_part: String,
    /// Asks before cancelling an appointment.
    cal_js: String,
    reach: crate::pages::ReachLinks,
}

fn touch(
    label: &'static str,
    when: Option<Ts>,
    tz: &str,
    ctx: &Ctx,
    fields: [&Option<String>; 7],
) -> Option<TouchView> {
    let names = [
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        ctx.t.referrer,
        ctx.t.landing_page,
    ];
    let rows: Vec<(String, String)> = names
        .iter()
        .zip(fields)
        .filter_map(|(n, v)| v.clone().map(|v| (n.to_string(), v)))
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(TouchView {
        label,
        when: when
            .map(|w| fmt_when(w, tz, ctx.locale))
            .unwrap_or_default(),
        rows,
    })
}

/// `GET /contacts/{id}`.
pub async fn show_contact(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<ContactId>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let ctx = Ctx::load(&st, &cu).await?;
    let tz = ctx.time_zone.clone();
    let views = |names: &mut dyn Iterator<Item = String>| -> AppResult<Vec<String>> {
        names
            .filter_map(|n| field_view(&ctx, &c, &n))
            .map(|v| render(&v))
            .collect()
    };
    let details = views(&mut DETAIL_FIELDS.iter().map(|s| s.to_string()))?;
    let consent = views(&mut CONSENT_FIELDS.iter().map(|s| s.to_string()))?;
    let email_suppressed = match &c.email {
        Some(e) => af_db::email_events::suppression(&st.db, c.workspace_id, e)
            .await?
            .map(|s| {
                crate::i18n::details::detail(
                    ctx.locale,
                    af_db::email_events::skip_reason(&s.reason),
                )
            }),
        None => None,
    };
    let custom = views(&mut ctx.defs.iter().map(|d| format!("cf-{}", d.key)))?;
    let all_pipelines = pipelines::list_pipelines(&st.db, c.workspace_id).await?;
    let filter = DealFilter {
        contact_id: Some(c.id.0),
        ..Default::default()
    };
    let deals = deals::list_deals(&st.db, c.workspace_id, &filter, 100)
        .await?
        .into_iter()
        .map(|d| {
            let p = all_pipelines
                .iter()
                .find(|p| p.pipeline.id == d.pipeline_id);
            DealView {
                title: d.title.clone(),
                stage: p
                    .and_then(|p| p.stages.iter().find(|s| s.id == d.stage_id))
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                pipeline: p.map(|p| p.pipeline.name.clone()).unwrap_or_default(),
                pipeline_id: d.pipeline_id.to_string(),
                value: af_core::money::format(d.value_minor, &d.currency),
            }
        })
        .collect();
    let touches = [
        touch(
            ctx.t.first_touch,
            c.first_touch_at,
            &tz,
            &ctx,
            [
                &c.first_utm_source,
                &c.first_utm_medium,
                &c.first_utm_campaign,
                &c.first_utm_term,
                &c.first_utm_content,
                &c.first_referrer,
                &c.first_landing_page,
            ],
        ),
        touch(
            ctx.t.last_touch,
            c.last_touch_at,
            &tz,
            &ctx,
            [
                &c.last_utm_source,
                &c.last_utm_medium,
                &c.last_utm_campaign,
                &c.last_utm_term,
                &c.last_utm_content,
                &c.last_referrer,
                &c.last_landing_page,
            ],
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let page = ContactPage {
        ct: ctx.t,
        js: contacts_js(),
        cid: c.id,
        name: c.full_name(),
        heading: render(&Heading {
            name: c.full_name(),
            oob: false,
        })?,
        score: c.score,
        created: fmt_when(c.created_at, &tz, ctx.locale),
        last_activity: fmt_ago(c.last_activity_at, st.now(), &tz, ctx.locale),
        details,
        consent,
        email_suppressed,
        custom,
        can_manage: cu.role.can_manage(),
        tags: render(&tags_section(&st, &ctx, &c).await?)?,
        deals,
        notes: render(&notes_section(&st, &ctx, &c).await?)?,
        tasks: render(&super::tasks::tasks_section(&st, &ctx, &cu, &c).await?)?,
        memberships: render(&super::memberships::memberships_section(&st, &ctx, &cu, &c).await?)?,
        retention: super::retention::contact_alerts_html(&st, &cu, c.id).await?,
        score_part: render(&super::score::score_section(&st, &ctx, &cu, &c).await?)?,
        touches,
        timeline: render(&timeline_section(&st, &ctx, &c, false).await?)?,
        appointments: crate::pages::calendars::agenda::contact_section(
            &st,
            &cu,
            c.id,
            &crate::auth::csrf_token(&cu.session).await?,
        )
        .await?,
        cal_js: crate::assets::url_of("js/calendars.js"),
        reach: crate::pages::ReachLinks::of(c.phone.as_deref(), c.email.as_deref()),
        shell: Shell::new(&cu, Area::Contacts).await?,
    };
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use af_core::Locale;

    fn ctx(locale: Locale) -> Ctx {
        Ctx {
            t: ContactsTr::get(locale),
            members: vec![],
            defs: vec![],
            time_zone: "UTC".into(),
            locale,
            country: "MX".into(),
        }
    }

    fn event(kind: &str, data: Value) -> Event {
        Event {
            id: Uuid::nil(),
            workspace_id: Uuid::nil(),
            kind: kind.into(),
            entity_type: "contact".into(),
            entity_id: None,
            actor_type: "system".into(),
            actor_id: None,
            data: data.to_string(),
            occurred_at: Ts::new(jiff::Timestamp::UNIX_EPOCH),
        }
    }

    #[test]
    fn events_read_as_sentences_in_both_languages() {
        let moved = event(
            "deal.stage_changed",
            serde_json::json!({"from_stage": "Contacto inicial", "to_stage": "Agendado"}),
        );
        assert_eq!(
            event_text(&ctx(Locale::Es), &moved),
            "Etapa cambiada: Contacto inicial → Agendado"
        );
        assert_eq!(
            event_text(&ctx(Locale::En), &moved),
            "Stage changed: Contacto inicial → Agendado"
        );
        let edit = event(
            "contact.updated",
            serde_json::json!({
                "old": {"company": null, "sms_opted_out": false, "custom": {}},
                "new": {"company": "Acme", "sms_opted_out": true, "custom": {"plan": "Pro"}},
            }),
        );
        assert_eq!(
            event_text(&ctx(Locale::En), &edit),
            "Details changed: Company: (empty) → Acme; plan: (empty) → Pro; Opted out of SMS: No → Yes"
        );
        let imported = event("contact.created", serde_json::json!({"import": true}));
        assert_eq!(
            event_text(&ctx(Locale::Es), &imported),
            "Contacto creado por una importación"
        );
        assert_eq!(
            event_text(&ctx(Locale::En), &event("x.y", serde_json::json!({}))),
            "Event: x.y"
        );
        // Kinds without a sentence of their own read as their label, never
        // as the stored code.
        let submitted = event("form.submitted", serde_json::json!({}));
        assert_eq!(
            event_text(&ctx(Locale::Es), &submitted),
            "Envió un formulario"
        );
        assert_eq!(
            event_text(
                &ctx(Locale::Es),
                &event("custom.paid", serde_json::json!({}))
            ),
            "Evento: paid"
        );
    }
}
