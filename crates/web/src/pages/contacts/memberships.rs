//! The memberships part of the contact page: the contact's memberships
//! (plan, status, period, amount), a form to add one and the status
//! actions (cancel, payment failed, renew until a date). Every change goes
//! through `af_service::memberships`, the API's path, so the page writes
//! the same events.

use super::show::{Ctx, load_contact};
use super::{ct, render};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath};
use crate::i18n::contacts::ContactsTr;
use crate::i18n::vocab::VocabTr;
use crate::state::AppState;
use af_core::vocab::MembershipStatus;
use af_core::{ContactId, MembershipId, money};
use af_db::contacts::Contact;
use af_db::memberships::{self, Membership};
use af_service::memberships::{self as service, MembershipError, MembershipRequest};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

pub struct MembershipView {
    pub id: MembershipId,
    pub plan: String,
    pub status: String,
    pub status_label: &'static str,
    /// Tailwind classes of the status badge.
    pub badge: &'static str,
    pub period: String,
    pub amount: String,
    /// Cancel / payment failed / renew apply.
    pub changeable: bool,
}

fn badge(status: &str) -> &'static str {
    match MembershipStatus::parse(status) {
        Some(MembershipStatus::Active) => "bg-green-100 text-green-800",
        Some(MembershipStatus::Trial) => "bg-sky-100 text-sky-800",
        Some(MembershipStatus::PastDue) => "bg-amber-100 text-amber-900",
        Some(MembershipStatus::Cancelled) => "bg-slate-200 text-slate-700",
        Some(MembershipStatus::Expired) | None => "bg-red-100 text-red-800",
    }
}

fn date_of(t: af_db::Ts, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    t.0.to_zoned(zone).date().to_string()
}

fn view(ctx: &Ctx, vt: &VocabTr, m: Membership) -> MembershipView {
    let start = date_of(m.starts_at, &ctx.time_zone);
    let end = m
        .ends_at
        .map(|e| date_of(e, &ctx.time_zone))
        .unwrap_or_else(|| ctx.t.mb_open_ended.to_string());
    MembershipView {
        id: m.id,
        // A status written by a newer version shows as "?" (labels are
        // static strings of the vocabulary).
        status_label: MembershipStatus::parse(&m.status)
            .map_or("?", |s| vt.membership_status_label(s)),
        badge: badge(&m.status),
        period: format!("{start} → {end}"),
        amount: match (m.amount_minor, m.currency.as_deref()) {
            (Some(a), Some(c)) => money::format(a, c),
            _ => String::new(),
        },
        changeable: MembershipStatus::parse(&m.status)
            .is_some_and(|s| s != MembershipStatus::Cancelled),
        plan: m.plan,
        status: m.status,
    }
}

#[derive(Template)]
#[template(path = "contacts/_memberships.html")]
pub(super) struct MembershipsSection {
    ct: &'static ContactsTr,
    cid: ContactId,
    csrf: String,
    items: Vec<MembershipView>,
    /// `(value, label)` of every status, for the add form.
    statuses: Vec<(&'static str, &'static str)>,
    currency: String,
    error: Option<&'static str>,
}

pub(super) async fn memberships_section(
    st: &AppState,
    ctx: &Ctx,
    cu: &CurrentUser,
    c: &Contact,
) -> AppResult<MembershipsSection> {
    let vt = VocabTr::get(ctx.locale);
    let items = memberships::list_for_contact(&st.db, c.workspace_id, c.id)
        .await?
        .into_iter()
        .map(|m| view(ctx, vt, m))
        .collect();
    Ok(MembershipsSection {
        ct: ctx.t,
        cid: c.id,
        csrf: crate::auth::csrf_token(&cu.session).await?,
        items,
        statuses: MembershipStatus::ALL
            .iter()
            .map(|s| (s.as_str(), vt.membership_status_label(*s)))
            .collect(),
        currency: money::currency_for_country(&ctx.country).to_string(),
        error: None,
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    plan: String,
    status: String,
    starts: String,
    ends: String,
    amount: String,
    currency: String,
}

/// The page's message for the service's field errors.
fn message(t: &ContactsTr, e: &MembershipError) -> &'static str {
    match e {
        MembershipError::Invalid(fields) => match fields.first().map(|(f, _)| f.as_str()) {
            Some("plan") => t.err_mb_plan,
            Some("starts_at" | "ends_at") => t.err_mb_dates,
            Some("amount" | "currency") => t.err_mb_amount,
            _ => t.err_mb_other,
        },
        _ => t.err_mb_other,
    }
}

async fn answer(
    st: &AppState,
    cu: &CurrentUser,
    hx: bool,
    c: &Contact,
    error: Option<&'static str>,
) -> AppResult<Response> {
    if !hx && error.is_none() {
        return Ok(Redirect::to(&format!("/contacts/{}", c.id)).into_response());
    }
    let ctx = Ctx::load(st, cu).await?;
    let mut section = memberships_section(st, &ctx, cu, c).await?;
    section.error = error;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(render(&section)?)).into_response())
}

/// `POST /contacts/{id}/memberships`: adds a membership to the contact.
pub async fn add_membership(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath(id): IdPath<ContactId>,
    Form(f): Form<AddForm>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let t = ct(&cu);
    let currency = f.currency.trim().to_ascii_uppercase();
    let amount = match f.amount.trim() {
        "" => None,
        raw => match money::parse(raw, &currency) {
            Some(a) if a >= 0 => Some(serde_json::Value::from(a)),
            _ => return answer(&st, &cu, hx, &c, Some(t.err_mb_amount)).await,
        },
    };
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let req = MembershipRequest {
        contact_id: Some(c.id.to_string()),
        plan: Some(f.plan.clone()),
        status: opt(&f.status),
        starts_at: opt(&f.starts),
        ends_at: opt(&f.ends).map(Some),
        currency: amount.as_ref().map(|_| opt(&currency)),
        amount: amount.map(Some),
        ..Default::default()
    };
    match service::save(&st.db, &cu.workspace, &req, &cu.actor(), st.now()).await {
        Ok(_) => answer(&st, &cu, hx, &c, None).await,
        Err(MembershipError::Db(e)) => Err(e.into()),
        Err(e) => answer(&st, &cu, hx, &c, Some(message(t, &e))).await,
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    /// `cancel`, `payment_failed` or `renew`.
    action: String,
    /// The new end, for `renew`.
    ends: String,
}

/// `POST /contacts/{id}/memberships/{mid}`: cancel, payment failed, or
/// renew until a date (active again with the new end).
pub async fn change_membership(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath((id, mid)): IdPath<(ContactId, MembershipId)>,
    Form(f): Form<ChangeForm>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let m = memberships::find_membership(&st.db, cu.workspace.id, mid)
        .await?
        .filter(|m| m.contact_id == c.id)
        .ok_or(AppError::NotFound)?;
    let t = ct(&cu);
    let req = match f.action.as_str() {
        "cancel" => MembershipRequest {
            status: Some(MembershipStatus::Cancelled.as_str().into()),
            ..Default::default()
        },
        "payment_failed" => MembershipRequest {
            status: Some(MembershipStatus::PastDue.as_str().into()),
            ..Default::default()
        },
        "renew" if !f.ends.trim().is_empty() => MembershipRequest {
            status: Some(MembershipStatus::Active.as_str().into()),
            ends_at: Some(Some(f.ends.trim().to_string())),
            ..Default::default()
        },
        "renew" => return answer(&st, &cu, hx, &c, Some(t.err_mb_dates)).await,
        _ => return Err(AppError::NotFound),
    };
    match service::update(&st.db, &cu.workspace, m.id, &req, &cu.actor(), st.now()).await {
        Ok(_) => answer(&st, &cu, hx, &c, None).await,
        Err(MembershipError::NotFound) => Err(AppError::NotFound),
        Err(MembershipError::Db(e)) => Err(e.into()),
        Err(e) => answer(&st, &cu, hx, &c, Some(message(t, &e))).await,
    }
}
