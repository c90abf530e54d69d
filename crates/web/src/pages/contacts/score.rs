//! The score part of the contact page (issue 17): the total with fit and
//! engagement, the 7-day trend, the "¿Por qué 72?" disclosure (the ledger
//! lines that make the score, grouped by rule, newest first), the
//! log-activity form and the contact's recent activities. Logging goes
//! through `af_service::scoring::record`, the API's path, so it writes the
//! same ledger lines and events; an htmx post answers with this part (and
//! the header's score out of band), a plain post redirects.

use super::show::{Ctx, load_contact};
use super::{parse_local, render};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath};
use crate::i18n::scoring::ScoringTr;
use crate::pages::fmt_when;
use crate::state::AppState;
use af_core::scoring::BUILT_IN_TYPES;
use af_core::{ContactId, money};
use af_db::contacts::Contact;
use af_db::scoring::{self as store, LedgerLine, Rule};
use af_service::scoring::{self as service, RawActivity, ScoringError};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Ledger lines the panel reads (newest first).
const PANEL_LINES: i64 = 200;
/// Activities the list shows.
const RECENT_ACTIVITIES: i64 = 20;

pub struct LineView {
    pub points: String,
    /// Tailwind classes of the points (gain / loss).
    pub tone: &'static str,
    pub reason: String,
    pub when: String,
    /// The activity it scored, when it is in the list below.
    pub activity: Option<Uuid>,
}

pub struct GroupView {
    pub name: String,
    pub sum: String,
    pub lines: Vec<LineView>,
}

pub struct ActivityView {
    pub id: Uuid,
    pub label: String,
    pub when: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "contacts/_score.html")]
pub(super) struct ScoreSection {
    st: &'static ScoringTr,
    cid: ContactId,
    csrf: String,
    pub(super) total: i64,
    fit: i64,
    engagement: i64,
    why: String,
    trend: String,
    /// `up`, `down` or `flat`.
    trend_dir: &'static str,
    groups: Vec<GroupView>,
    activities: Vec<ActivityView>,
    /// `(value, label)` of the built-in types.
    types: Vec<(&'static str, &'static str)>,
    currency: String,
    /// The panel starts open (after logging an activity).
    open: bool,
    error: Option<&'static str>,
    /// Also swap the page header's score (htmx answers).
    oob: bool,
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// The name of a ledger line's rule: the rule's current name, or what
/// else wrote it.
fn rule_name(st: &ScoringTr, rules: &[Rule], key: &str) -> String {
    let id = key.strip_prefix("decay:").unwrap_or(key);
    match (key, id.parse::<Uuid>()) {
        (_, Ok(id)) => rules
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| st.rule_deleted.to_string(), |r| r.name.clone()),
        ("workflow", _) => st.rule_workflow.to_string(),
        ("manual", _) => st.rule_manual.to_string(),
        (other, _) => other.to_string(),
    }
}

/// The lines grouped by rule: groups in the order of their newest line,
/// lines newest first (the order `list_ledger` reads them).
fn group_lines(
    st: &ScoringTr,
    ctx: &Ctx,
    rules: &[Rule],
    lines: Vec<LedgerLine>,
    shown: &[Uuid],
) -> Vec<GroupView> {
    let mut keys: Vec<String> = Vec::new();
    let mut groups: Vec<(i64, Vec<LineView>)> = Vec::new();
    for l in lines {
        let i = match keys.iter().position(|k| *k == l.rule_key) {
            Some(i) => i,
            None => {
                keys.push(l.rule_key.clone());
                groups.push((0, Vec::new()));
                keys.len() - 1
            }
        };
        groups[i].0 += i64::from(l.points);
        groups[i].1.push(LineView {
            points: signed(l.points.into()),
            tone: if l.points > 0 {
                "text-green-800"
            } else {
                "text-red-800"
            },
            reason: l.reason,
            when: fmt_when(l.at, &ctx.time_zone, ctx.locale),
            activity: l.activity_id.filter(|a| shown.contains(a)),
        });
    }
    keys.iter()
        .zip(groups)
        .map(|(k, (sum, lines))| GroupView {
            name: rule_name(st, rules, k),
            sum: signed(sum),
            lines,
        })
        .collect()
}

fn activity_view(st: &ScoringTr, ctx: &Ctx, a: &af_db::scoring::Activity) -> ActivityView {
    let data = a.data_json();
    let mut detail = Vec::new();
    if let (Some(amount), Some(cur)) = (
        data.get("amount").and_then(Value::as_i64),
        data.get("currency").and_then(Value::as_str),
    ) {
        detail.push(money::format(amount, cur));
    }
    if let Some(note) = data.get("note").and_then(Value::as_str) {
        detail.push(note.to_string());
    }
    ActivityView {
        id: a.id,
        label: st.type_text(&a.kind),
        when: fmt_when(a.occurred_at, &ctx.time_zone, ctx.locale),
        detail: detail.join(" · "),
    }
}

pub(super) async fn score_section(
    st: &AppState,
    ctx: &Ctx,
    cu: &CurrentUser,
    c: &Contact,
) -> AppResult<ScoreSection> {
    let t = ScoringTr::get(ctx.locale);
    let ws = c.workspace_id;
    let scores = store::scores_of(&st.db, ws, c.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let activities = store::list_activities(&st.db, ws, c.id, None, RECENT_ACTIVITIES).await?;
    let shown: Vec<Uuid> = activities.iter().map(|a| a.id).collect();
    let rules = store::list_rules(&st.db, ws).await?;
    let lines = store::list_ledger(&st.db, ws, c.id, PANEL_LINES).await?;
    let delta = service::trends(&st.db, ws, &[c.id.0], st.now())
        .await?
        .get(&c.id.0)
        .copied()
        .unwrap_or(0);
    Ok(ScoreSection {
        st: t,
        cid: c.id,
        csrf: crate::auth::csrf_token(&cu.session).await?,
        total: scores.total,
        fit: scores.fit,
        engagement: scores.engagement,
        why: t.why.replace("{n}", &scores.total.to_string()),
        trend: t.trend(delta),
        trend_dir: match delta {
            0 => "flat",
            d if d > 0 => "up",
            _ => "down",
        },
        groups: group_lines(t, ctx, &rules, lines, &shown),
        activities: activities
            .iter()
            .map(|a| activity_view(t, ctx, a))
            .collect(),
        types: BUILT_IN_TYPES
            .iter()
            .filter_map(|ty| t.type_label(ty).map(|l| (*ty, l)))
            .collect(),
        currency: money::currency_for_country(&ctx.country).to_string(),
        open: false,
        error: None,
        oob: false,
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct LogForm {
    /// A built-in type, or `custom` (then `custom_type`).
    #[serde(rename = "type")]
    kind: String,
    custom_type: String,
    /// `2026-03-31T10:00` in the workspace's zone; empty: now.
    occurred: String,
    note: String,
    amount: String,
    currency: String,
}

const MAX_NOTE: usize = 2000;

/// The activity the form describes, or the message to show.
fn raw_activity(
    t: &ScoringTr,
    ctx: &Ctx,
    c: &Contact,
    f: &LogForm,
) -> Result<RawActivity, &'static str> {
    let kind = match f.kind.trim() {
        "custom" => f.custom_type.trim().to_string(),
        k => k.to_string(),
    };
    let occurred_at = match f.occurred.trim() {
        "" => None,
        raw => Some(
            parse_local(raw, &ctx.time_zone, false)
                .ok_or(t.err_occurred)?
                .to_string(),
        ),
    };
    let mut data = Map::new();
    let note = f.note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(t.err_note);
    }
    if !note.is_empty() {
        data.insert("note".into(), note.into());
    }
    let currency = f.currency.trim().to_ascii_uppercase();
    match f.amount.trim() {
        "" if kind == "purchase" => return Err(t.err_amount),
        "" => {}
        raw => {
            let minor = money::parse(raw, &currency)
                .filter(|a| *a >= 0)
                .ok_or(t.err_amount)?;
            data.insert("amount".into(), minor.into());
            data.insert("currency".into(), currency.into());
        }
    }
    Ok(RawActivity {
        contact_id: Some(c.id.to_string()),
        kind: Some(kind),
        occurred_at,
        data: Some(Value::Object(data)),
        source: Some("ui".into()),
        ..Default::default()
    })
}

/// The page's message for the service's field errors.
fn message(t: &ScoringTr, fields: &[(String, String)]) -> &'static str {
    match fields.first().map(|(f, _)| f.as_str()) {
        Some("type") => t.err_type,
        Some("occurred_at") => t.err_occurred,
        Some(f) if f.starts_with("data.") => t.err_amount,
        _ => t.err_other,
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
        return Ok(Redirect::to(&format!("/contacts/{}#score-h", c.id)).into_response());
    }
    let ctx = Ctx::load(st, cu).await?;
    let mut section = score_section(st, &ctx, cu, c).await?;
    section.error = error;
    section.open = error.is_none();
    section.oob = true;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(render(&section)?)).into_response())
}

/// `POST /contacts/{id}/activities`: logs an activity by the member.
pub async fn log_activity(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath(id): IdPath<ContactId>,
    Form(f): Form<LogForm>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let ctx = Ctx::load(&st, &cu).await?;
    let t = ScoringTr::get(ctx.locale);
    let raw = match raw_activity(t, &ctx, &c, &f) {
        Ok(raw) => raw,
        Err(m) => return answer(&st, &cu, hx, &c, Some(m)).await,
    };
    match service::record(&st.db, &cu.workspace, &raw, &cu.actor(), st.now()).await {
        Ok(_) => answer(&st, &cu, hx, &c, None).await,
        Err(ScoringError::NotFound) => Err(AppError::NotFound),
        Err(ScoringError::Db(e)) => Err(e.into()),
        Err(ScoringError::Invalid(fields)) => {
            answer(&st, &cu, hx, &c, Some(message(t, &fields))).await
        }
    }
}
