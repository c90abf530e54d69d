//! Message templates `/automations/templates`: list, create, delete (not
//! while an active workflow uses one), and a preview against a chosen
//! contact with the same merge fields the engine uses.

use super::{at, can_edit};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::automations::AutoTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::templating::{check, render_html, render_text};
use af_core::vocab::Channel;
use af_core::{ContactId, Role, TemplateId};
use af_db::automations::{self as store, MessageTemplate};
use af_db::contacts::{ContactFilter, list_contacts};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The channels a message template is written for.
const CHANNELS: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::WhatsApp];

/// A preview rendered for one contact.
pub struct Preview {
    pub template_id: TemplateId,
    pub contact_name: String,
    pub subject: String,
    pub text: String,
    /// The body rendered as HTML (emails), shown in a sandboxed frame.
    pub html: Option<String>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "automations/templates.html")]
struct TemplatesPage {
    shell: Shell,
    t: &'static AutoTr,
    can_edit: bool,
    templates: Vec<MessageTemplate>,
    contacts: Vec<(ContactId, String)>,
    /// (stored channel, label) for the channel select.
    channels: Vec<(&'static str, &'static str)>,
    vocab: &'static VocabTr,
    form: TemplateForm,
    errors: Vec<String>,
    preview: Option<Preview>,
}

#[derive(Deserialize, Default, Clone)]
pub struct TemplateForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
}

async fn page(
    st: &AppState,
    cu: &CurrentUser,
    form: TemplateForm,
    errors: Vec<String>,
    preview: Option<Preview>,
) -> AppResult<TemplatesPage> {
    let ws = cu.workspace.id;
    let contacts = list_contacts(&st.db, ws, &ContactFilter::default(), None, 50)
        .await?
        .into_iter()
        .map(|c| {
            let label = match &c.email {
                Some(e) => format!("{} <{e}>", c.full_name()),
                None => c.full_name(),
            };
            (c.id, label)
        })
        .collect();
    Ok(TemplatesPage {
        shell: Shell::new(cu, Area::Automations).await?,
        t: at(cu),
        can_edit: can_edit(cu),
        templates: store::list_templates(&st.db, ws).await?,
        contacts,
        channels: CHANNELS
            .iter()
            .map(|c| (c.as_str(), VocabTr::get(cu.locale()).channel_label(*c)))
            .collect(),
        vocab: VocabTr::get(cu.locale()),
        form,
        errors,
        preview,
    })
}

/// GET /automations/templates
pub async fn list_templates(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    let form = TemplateForm {
        channel: Channel::Email.as_str().into(),
        ..Default::default()
    };
    Ok(page(&st, &cu, form, vec![], None).await?.into_response())
}

/// POST /automations/templates
pub async fn create_template(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<TemplateForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = at(&cu);
    let mut errors = Vec::new();
    let name = f.name.trim();
    if name.is_empty() {
        errors.push(format!("{}: {}", t.template_name, t.required));
    }
    if !Channel::parse(&f.channel).is_some_and(|c| CHANNELS.contains(&c)) {
        let v = VocabTr::get(cu.locale());
        let names: Vec<&str> = CHANNELS.iter().map(|c| v.channel_label(*c)).collect();
        errors.push(format!("{}: {}", t.channel, names.join(", ")));
    }
    if f.body.trim().is_empty() {
        errors.push(format!("{}: {}", t.body, t.required));
    }
    for (label, src) in [(t.subject, &f.subject), (t.body, &f.body)] {
        if let Err(e) = check(src) {
            errors.push(format!("{label}: {e}"));
        }
    }
    if !errors.is_empty() {
        let p = page(&st, &cu, f, errors, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response());
    }
    let subject = Some(f.subject.trim()).filter(|s| !s.is_empty() && f.channel == Channel::Email);
    let body = f.body.trim().replace("\r\n", "\n");
    let mut tx = st.db.begin().await?;
    store::insert_template(
        &mut tx,
        cu.workspace.id,
        name,
        &f.channel,
        subject,
        &body,
        st.now(),
    )
    .await?;
    tx.commit().await?;
    set_flash(&cu.session, true, t.done).await?;
    Ok(Redirect::to("/automations/templates").into_response())
}

/// POST /automations/templates/{id}/delete
pub async fn delete_template(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<TemplateId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = at(&cu);
    let ws = cu.workspace.id;
    let mut tx = st.db.begin().await?;
    match store::delete_template(&mut tx, ws, id).await? {
        store::TemplateDeletion::Deleted => tx.commit().await?,
        store::TemplateDeletion::NotFound => return Err(AppError::NotFound),
        // An active workflow that sends it would fail at its next send.
        store::TemplateDeletion::UsedByWorkflow(name) => {
            set_flash(
                &cu.session,
                false,
                &format!("{} «{name}».", t.template_in_use),
            )
            .await?;
            return Ok(Redirect::to("/automations/templates").into_response());
        }
    }
    set_flash(&cu.session, true, t.deleted).await?;
    Ok(Redirect::to("/automations/templates").into_response())
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    contact_id: String,
}

/// GET /automations/templates/{id}/preview?contact_id=
pub async fn preview_template(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<TemplateId>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    let ws = cu.workspace.id;
    let tpl = store::list_templates(&st.db, ws)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or(AppError::NotFound)?;
    let contact_id: ContactId = q
        .contact_id
        .parse()
        .map_err(|_| AppError::BadRequest(at(&cu).pick_contact.into()))?;
    let contact = af_db::contacts::find_contact(&st.db, ws, contact_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ctx = af_engine::context::template_context(
        &st.engine_config(),
        &cu.workspace,
        &contact,
        &serde_json::json!({}),
    );
    let subject = tpl
        .subject
        .as_deref()
        .map(|s| render_text(s, &ctx))
        .transpose();
    let text = render_text(&tpl.body, &ctx);
    let html = (tpl.channel == Channel::Email)
        .then(|| render_html(&tpl.body, &ctx))
        .transpose();
    let preview = match (subject, text, html) {
        (Ok(subject), Ok(text), Ok(html)) => Preview {
            template_id: tpl.id,
            contact_name: contact.full_name(),
            subject: subject.unwrap_or_default(),
            text,
            // Plain-text bodies keep their line breaks in the frame.
            html: html.map(|h| {
                format!("<pre style=\"white-space:pre-wrap;font-family:sans-serif\">{h}</pre>")
            }),
            error: None,
        },
        (s, b, h) => Preview {
            template_id: tpl.id,
            contact_name: contact.full_name(),
            subject: String::new(),
            text: String::new(),
            html: None,
            error: s.err().or(b.err()).or(h.err()),
        },
    };
    let form = TemplateForm {
        channel: Channel::Email.as_str().into(),
        ..Default::default()
    };
    Ok(page(&st, &cu, form, vec![], Some(preview))
        .await?
        .into_response())
}
