//! Contactos → Retención (issue 18): the alert list (filters by status,
//! reason, assignee, risk and date; counts per status; keyset pages; a
//! chart of the active alerts by reason), each alert's actions (take,
//! assign, in progress, resolve, dismiss, reopen, with a note) and
//! history; "check now"; and the Reglas tab (rules, the check's hour, the
//! retention team). Everyone works alerts; owners and admins change rules.
//! Every change goes through `af_service::retention`, the JSON API's path.

use super::{contacts_js, member_name};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath};
use crate::i18n::retention::RetentionTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::shell::{Area, Shell};
use crate::pages::{fmt_ago, fmt_when};
use crate::state::AppState;
use af_core::retention::Escalation;
use af_core::vocab::{AlertStatus, AlertType};
use af_core::{RetentionAlertId, RetentionRuleId, Role, UserId};
use af_db::retention::{self as store, Alert, HistoryLine, Rule};
use af_db::workspaces::{self, Member};
use af_service::retention::{self as service, AlertPatch, AlertQuery, RetentionError, RuleRequest};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

type Errors = HashMap<&'static str, &'static str>;

const PAGE: i64 = 25;

fn rt_of(cu: &CurrentUser) -> &'static RetentionTr {
    RetentionTr::get(cu.locale())
}

fn zone(cu: &CurrentUser) -> TimeZone {
    TimeZone::get(&cu.workspace.time_zone).unwrap_or(TimeZone::UTC)
}

/// The tone of a risk badge (colour plus the number itself, never colour
/// alone).
fn risk_tone(risk: i64) -> &'static str {
    match risk {
        80.. => "bg-red-100 text-red-900",
        60..=79 => "bg-orange-100 text-orange-900",
        40..=59 => "bg-amber-100 text-amber-900",
        _ => "bg-slate-100 text-slate-800",
    }
}

// ------------------------------------------------------------ the alerts

/// One alert as a card shows it.
pub struct AlertCard {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub contact_name: String,
    pub type_label: String,
    pub status: String,
    pub status_label: String,
    pub risk: i64,
    pub risk_label: String,
    pub tone: &'static str,
    pub opened: String,
    pub assignee: String,
    pub assignee_id: Option<Uuid>,
    pub quiet: Option<String>,
    pub active: bool,
    pub mine: bool,
    pub history: Vec<String>,
    pub focus: bool,
    /// Why the last action on it was refused (the card after an htmx post).
    pub error: Option<&'static str>,
}

fn reason_text(t: &RetentionTr, reason: &str) -> String {
    match reason {
        "auto:attended" => t.reason_attended,
        "auto:renewed" => t.reason_renewed,
        "auto:paid" => t.reason_paid,
        "auto:booked" => t.reason_booked,
        "auto:recovered" => t.reason_recovered,
        "manual" => t.reason_manual,
        "dismissed" => t.reason_dismissed,
        other => other,
    }
    .to_string()
}

fn history_text(cu: &CurrentUser, t: &RetentionTr, v: &VocabTr, h: &HistoryLine) -> String {
    let what = match h.action.as_str() {
        "opened" => t.h_opened.replace("{risk}", &h.risk.to_string()),
        "escalated" => t.h_escalated.replace("{risk}", &h.risk.to_string()),
        "assigned" => t.h_assigned.to_string(),
        "status" => t
            .h_status
            .replace("{status}", v.alert_status_text(&h.status)),
        "resolved" => t.h_resolved.replace(
            "{reason}",
            &reason_text(t, h.reason.as_deref().unwrap_or_default()),
        ),
        _ => t.h_note.to_string(),
    };
    let who = h
        .actor_name
        .clone()
        .unwrap_or_else(|| t.by_system.to_string());
    let when = fmt_when(h.at, &cu.workspace.time_zone, cu.locale());
    match &h.note {
        Some(n) => format!("{when} · {who}: {what} — {n}"),
        None => format!("{when} · {who}: {what}"),
    }
}

fn card(
    cu: &CurrentUser,
    now: af_db::Ts,
    a: &Alert,
    history: &[HistoryLine],
    focus: bool,
) -> AlertCard {
    let t = rt_of(cu);
    let v = VocabTr::get(cu.locale());
    let status = AlertStatus::parse(&a.status).unwrap_or(AlertStatus::Open);
    AlertCard {
        id: a.id,
        contact_id: a.contact_id,
        contact_name: if a.contact_name.is_empty() {
            "—".into()
        } else {
            a.contact_name.clone()
        },
        type_label: v.alert_type_text(&a.alert_type).to_string(),
        status: a.status.clone(),
        status_label: v.alert_status_text(&a.status).to_string(),
        risk: a.risk,
        risk_label: t.risk_of.replace("{n}", &a.risk.to_string()),
        tone: risk_tone(a.risk),
        opened: t.opened.replace(
            "{when}",
            &fmt_ago(a.opened_at, now, &cu.workspace.time_zone, cu.locale()),
        ),
        assignee: a
            .assignee_name
            .clone()
            .map(|n| t.assigned_to.replace("{name}", &n))
            .unwrap_or_else(|| t.unassigned.to_string()),
        assignee_id: a.assignee_id,
        quiet: (status == AlertStatus::Dismissed)
            .then_some(a.quiet_until)
            .flatten()
            .map(|q| {
                t.quiet_until
                    .replace("{when}", &fmt_when(q, &cu.workspace.time_zone, cu.locale()))
            }),
        active: status.is_active(),
        mine: a.assignee_id == Some(cu.user.id.0),
        history: history
            .iter()
            .filter(|h| h.alert_id == a.id)
            .map(|h| history_text(cu, t, v, h))
            .collect(),
        focus,
        error: None,
    }
}

/// The filter form's values, as the query string gave them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    status: Option<String>,
    #[serde(rename = "type")]
    alert_type: Option<String>,
    assignee: Option<String>,
    min_risk: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    /// An alert to show first and open (a notification's link).
    alert: Option<String>,
}

impl ListParams {
    fn query(&self) -> AlertQuery {
        AlertQuery {
            // No status chosen: the active ones.
            status: Some(self.status.clone().unwrap_or_else(|| "active".into())),
            alert_type: self.alert_type.clone(),
            assignee: self.assignee.clone(),
            min_risk: self.min_risk.clone(),
            max_risk: None,
            from: self.from.clone(),
            to: self.to.clone(),
            contact_id: None,
        }
    }

    /// The query string of this filter with another cursor.
    fn href(&self, cursor: Option<&str>) -> String {
        let mut parts: Vec<(&str, &str)> = Vec::new();
        for (k, v) in [
            ("status", &self.status),
            ("type", &self.alert_type),
            ("assignee", &self.assignee),
            ("min_risk", &self.min_risk),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push((k, v));
            }
        }
        if let Some(c) = cursor {
            parts.push(("cursor", c));
        }
        let qs = serde_urlencoded::to_string(&parts).unwrap_or_default();
        if qs.is_empty() {
            "/contacts/retention".into()
        } else {
            format!("/contacts/retention?{qs}")
        }
    }
}

pub struct Count {
    pub status: &'static str,
    pub label: &'static str,
    pub n: i64,
    pub href: String,
    pub current: bool,
}

pub struct Bar {
    pub label: &'static str,
    pub n: i64,
    pub width: i64,
    pub y: i64,
    pub text_y: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/retention_results.html")]
struct Results {
    rt: &'static RetentionTr,
    csrf: String,
    members: Vec<(Uuid, String)>,
    alerts: Vec<AlertCard>,
    more: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/retention.html")]
struct ListPage {
    shell: Shell,
    rt: &'static RetentionTr,
    js: &'static str,
    params: ListParams,
    error: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    types: Vec<(&'static str, &'static str)>,
    members: Vec<(Uuid, String)>,
    counts: Vec<Count>,
    bars: Vec<Bar>,
    chart_height: i64,
    last_check: String,
    alerts: Vec<AlertCard>,
    more: Option<String>,
}

fn member_options(members: &[Member]) -> Vec<(Uuid, String)> {
    members
        .iter()
        .map(|m| (m.user_id.0, member_name(m)))
        .collect()
}

/// `GET /contacts/retention`
pub async fn alerts_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let t = rt_of(&cu);
    let v = VocabTr::get(cu.locale());
    let ws = cu.workspace.id;
    let now = st.now();
    let members = workspaces::list_members(&st.db, ws).await?;
    let tz = zone(&cu);
    let (filter, error) = match service::filter_of(&params.query(), Some(cu.user.id), &tz) {
        Ok(f) => (f, None),
        Err(_) => (
            service::filter_of(&AlertQuery::default(), None, &tz).unwrap_or_default(),
            Some(t.err_form.to_string()),
        ),
    };
    let after = params
        .cursor
        .as_deref()
        .and_then(|c| crate::api::retention::decode_cursor(c).ok());
    let (mut page, next) = service::list_alerts(&st.db, ws, &filter, after, PAGE).await?;
    // A notification's alert comes first, whatever the filters.
    let focus = params
        .alert
        .as_deref()
        .and_then(|a| Uuid::parse_str(a).ok());
    if let Some(id) = focus
        && after.is_none()
    {
        page.retain(|a| a.id != id);
        if let Some(a) = store::find_alert(&st.db, ws, id).await? {
            page.insert(0, a);
        }
    }
    let ids: Vec<Uuid> = page.iter().map(|a| a.id).collect();
    let history = store::history_of(&st.db, ws, &ids).await?;
    let alerts: Vec<AlertCard> = page
        .iter()
        .map(|a| card(&cu, now, a, &history, Some(a.id) == focus))
        .collect();
    let more = next.map(|c| params.href(Some(&crate::api::retention::encode_cursor(c))));
    let opts = member_options(&members);
    if hx {
        return Ok(Results {
            rt: t,
            csrf: crate::auth::csrf_token(&cu.session).await?,
            members: opts,
            alerts,
            more,
        }
        .into_response());
    }
    let counts_raw = store::count_by_status(&st.db, ws, &filter).await?;
    let chosen = params.status.clone().unwrap_or_else(|| "active".into());
    let counts = AlertStatus::ALL
        .iter()
        .map(|s| {
            let mut p = params.clone();
            p.status = Some(s.as_str().to_string());
            p.cursor = None;
            Count {
                status: s.as_str(),
                label: v.alert_status_label(*s),
                n: counts_raw
                    .iter()
                    .find(|(k, _)| k == s.as_str())
                    .map_or(0, |(_, n)| *n),
                href: p.href(None),
                current: chosen == s.as_str(),
            }
        })
        .collect();
    let by_type = store::active_by_type(&st.db, ws).await?;
    let max = by_type.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let bars: Vec<Bar> = AlertType::ALL
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            let n = by_type
                .iter()
                .find(|(k, _)| k == ty.as_str())
                .map_or(0, |(_, n)| *n);
            let y = i as i64 * 28;
            Bar {
                label: v.alert_type_label(*ty),
                n,
                width: if n == 0 { 0 } else { (n * 200 / max).max(2) },
                y,
                text_y: y + 15,
            }
        })
        .collect();
    let settings = store::settings_now(&st.db, ws).await?;
    Ok(ListPage {
        shell: Shell::new(&cu, Area::Contacts).await?,
        rt: t,
        js: contacts_js(),
        chart_height: bars.len() as i64 * 28,
        params,
        error,
        statuses: AlertStatus::ALL
            .iter()
            .map(|s| (s.as_str(), v.alert_status_label(*s)))
            .collect(),
        types: AlertType::ALL
            .iter()
            .map(|s| (s.as_str(), v.alert_type_label(*s)))
            .collect(),
        members: opts,
        counts,
        bars,
        last_check: match settings.last_check_at {
            Some(at) => t.last_check.replace(
                "{when}",
                &fmt_when(at, &cu.workspace.time_zone, cu.locale()),
            ),
            None => t.never_checked.to_string(),
        },
        alerts,
        more,
    }
    .into_response())
}

/// `POST /contacts/retention/check`: runs the check now.
pub async fn check_now(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    let t = rt_of(&cu);
    let out = service::check_now(&st.db, &cu.workspace, &cu.actor(), st.now()).await?;
    let msg = t
        .checked
        .replace("{opened}", &out.opened.to_string())
        .replace("{escalated}", &out.escalated.to_string())
        .replace("{resolved}", &out.resolved.to_string());
    set_flash(&cu.session, true, &msg).await?;
    Ok(Redirect::to("/contacts/retention").into_response())
}

/// An action on one alert, as its card's forms post it.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AlertAction {
    /// take, start, resolve, dismiss, reopen or assign.
    action: String,
    assignee_id: String,
    note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/retention_card.html")]
struct OneCard {
    rt: &'static RetentionTr,
    csrf: String,
    members: Vec<(Uuid, String)>,
    a: AlertCard,
}

/// `POST /contacts/retention/alerts/{id}`: htmx swaps the card; a plain
/// post goes back to the list.
pub async fn act(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath(id): IdPath<RetentionAlertId>,
    Form(f): Form<AlertAction>,
) -> AppResult<Response> {
    let t = rt_of(&cu);
    let ws = cu.workspace.id;
    let mut patch = AlertPatch {
        note: Some(f.note.clone()).filter(|n| !n.trim().is_empty()),
        ..AlertPatch::default()
    };
    match f.action.as_str() {
        "take" => patch.assignee_id = Some(Some(cu.user.id.0)),
        "assign" => {
            patch.assignee_id = Some(if f.assignee_id.is_empty() {
                None
            } else {
                Some(
                    Uuid::parse_str(&f.assignee_id)
                        .map_err(|_| AppError::BadRequest(t.err_assignee.into()))?,
                )
            })
        }
        "start" => patch.status = Some("in_progress".into()),
        "resolve" => patch.status = Some("resolved".into()),
        "dismiss" => patch.status = Some("dismissed".into()),
        "reopen" => patch.status = Some("open".into()),
        "note" => {}
        _ => return Err(AppError::BadRequest(t.err_form.into())),
    }
    let error = match service::change_alert(&st.db, ws, id.0, &patch, &cu.actor(), st.now()).await {
        Ok(_) => None,
        Err(RetentionError::NotFound) => return Err(AppError::NotFound),
        Err(RetentionError::Conflict(_)) => Some(t.err_conflict),
        Err(RetentionError::Invalid(fields)) => Some(match fields.first().map(|f| f.0.as_str()) {
            Some("note") => t.err_note,
            Some("assignee_id") => t.err_assignee,
            _ => t.err_form,
        }),
        Err(RetentionError::Db(e)) => return Err(e.into()),
    };
    if !hx {
        match error {
            Some(e) => set_flash(&cu.session, false, e).await?,
            None => set_flash(&cu.session, true, t.changed).await?,
        }
        return Ok(Redirect::to(&format!("/contacts/retention?alert={}", id.0)).into_response());
    }
    let alert = store::find_alert(&st.db, ws, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = store::history_of(&st.db, ws, &[alert.id]).await?;
    let members = workspaces::list_members(&st.db, ws).await?;
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        OneCard {
            rt: t,
            csrf: crate::auth::csrf_token(&cu.session).await?,
            members: member_options(&members),
            a: AlertCard {
                error,
                ..card(&cu, st.now(), &alert, &history, true)
            },
        },
    )
        .into_response())
}

// ------------------------------------------------------------- the rules

/// A rule as the form posts it (and fills it back).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    #[serde(rename = "type")]
    alert_type: String,
    days: String,
    count: String,
    rate: String,
    window_days: String,
    min_bookings: String,
    risk: String,
    /// One step per line: `days = risk`.
    escalations: String,
    notify: String,
    quiet_days: String,
    assignee_id: String,
    active: String,
}

impl RuleForm {
    fn blank() -> Self {
        RuleForm {
            alert_type: "no_attendance".into(),
            days: "14".into(),
            risk: "70".into(),
            notify: "in_app".into(),
            quiet_days: "14".into(),
            active: "on".into(),
            ..RuleForm::default()
        }
    }

    fn of(r: &Rule) -> Self {
        let n = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        RuleForm {
            alert_type: r.alert_type.clone(),
            days: n(r.days),
            count: n(r.count),
            rate: n(r.rate),
            window_days: n(r.window_days),
            min_bookings: n(r.min_bookings),
            risk: r.risk.to_string(),
            escalations: r
                .escalation_steps()
                .iter()
                .map(|e| format!("{} = {}", e.days, e.risk))
                .collect::<Vec<_>>()
                .join("\n"),
            notify: r.notify.clone(),
            quiet_days: r.quiet_days.to_string(),
            assignee_id: r.assignee_id.map(|u| u.to_string()).unwrap_or_default(),
            active: if r.active { "on".into() } else { String::new() },
        }
    }

    /// The request, or the fields that are not numbers / steps.
    fn request(&self) -> Result<RuleRequest, Errors> {
        let mut errors = Errors::new();
        let mut num = |field: &'static str, raw: &str| -> Option<i64> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match raw.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.insert(field, field);
                    None
                }
            }
        };
        let days = num("days", &self.days);
        let count = num("count", &self.count);
        let rate = num("rate", &self.rate);
        let window_days = num("window_days", &self.window_days);
        let min_bookings = num("min_bookings", &self.min_bookings);
        let risk = num("risk", &self.risk);
        let quiet_days = num("quiet_days", &self.quiet_days);
        let mut steps = Vec::new();
        for line in self
            .escalations
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let parsed = line
                .split_once('=')
                .and_then(|(d, r)| Some((d.trim().parse().ok()?, r.trim().parse().ok()?)));
            match parsed {
                Some((days, risk)) => steps.push(Escalation { days, risk }),
                None => {
                    errors.insert("escalations", "escalations");
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(RuleRequest {
            alert_type: Some(self.alert_type.trim().to_string()).filter(|t| !t.is_empty()),
            days,
            count,
            rate,
            window_days,
            min_bookings,
            risk,
            escalations: Some(steps),
            notify: Some(self.notify.trim().to_string()).filter(|n| !n.is_empty()),
            quiet_days,
            assignee_id: Some(Uuid::parse_str(self.assignee_id.trim()).ok()),
            active: Some(matches!(self.active.as_str(), "on" | "true" | "1")),
        })
    }
}

/// The form's message for a refused field.
fn field_error(t: &RetentionTr, field: &str) -> (&'static str, &'static str) {
    match field {
        "type" => ("type", t.err_type),
        "days" => ("days", t.err_days),
        "count" => ("count", t.err_count),
        "rate" => ("rate", t.err_rate),
        "window_days" => ("window_days", t.err_window),
        "min_bookings" => ("min_bookings", t.err_min_bookings),
        "risk" => ("risk", t.err_risk),
        "escalations" => ("escalations", t.err_escalations),
        "quiet_days" => ("quiet_days", t.err_quiet),
        "assignee_id" => ("assignee_id", t.err_assignee),
        _ => ("form", t.err_form),
    }
}

pub struct RuleRow {
    pub id: String,
    pub type_label: &'static str,
    pub condition: String,
    pub escalations: String,
    pub risk: i64,
    pub tone: &'static str,
    pub notify: &'static str,
    pub active: bool,
}

fn rule_row(t: &RetentionTr, v: &VocabTr, r: &Rule) -> RuleRow {
    let n = |o: Option<i64>| o.map(|n| n.to_string()).unwrap_or_default();
    let ty = AlertType::parse(&r.alert_type);
    let condition = match ty {
        Some(AlertType::NoAttendance) => t.d_no_attendance.replace("{days}", &n(r.days)),
        Some(AlertType::MembershipExpiring) => {
            t.d_membership_expiring.replace("{days}", &n(r.days))
        }
        Some(AlertType::LowBookings) => t
            .d_low_bookings
            .replace("{count}", &n(r.count))
            .replace("{window}", &n(r.window_days)),
        Some(AlertType::PaymentFailed) => t.d_payment_failed.to_string(),
        Some(AlertType::HighCancellationRate) => t
            .d_high_cancellation_rate
            .replace("{rate}", &n(r.rate))
            .replace("{window}", &n(r.window_days))
            .replace("{min}", &n(r.min_bookings)),
        None => r.alert_type.clone(),
    };
    RuleRow {
        id: r.id.to_string(),
        type_label: ty.map_or("", |t| v.alert_type_label(t)),
        condition,
        escalations: r
            .escalation_steps()
            .iter()
            .map(|e| {
                t.d_escalation
                    .replace("{days}", &e.days.to_string())
                    .replace("{risk}", &e.risk.to_string())
            })
            .collect::<Vec<_>>()
            .join(" · "),
        risk: r.risk,
        tone: risk_tone(r.risk),
        notify: match r.notify.as_str() {
            "email" => t.notify_email,
            "whatsapp" => t.notify_whatsapp,
            _ => t.notify_in_app,
        },
        active: r.active,
    }
}

pub struct DutyRow {
    pub user_id: Uuid,
    pub name: String,
    pub duty: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/retention_rules.html")]
struct RulesPage {
    shell: Shell,
    rt: &'static RetentionTr,
    js: &'static str,
    can_edit: bool,
    rules: Vec<RuleRow>,
    types: Vec<(&'static str, &'static str)>,
    members: Vec<(Uuid, String)>,
    editing: Option<String>,
    form: RuleForm,
    errors: Errors,
    check_hour: i32,
    hours: Vec<(i32, String)>,
    duty: Vec<DutyRow>,
}

impl RulesPage {
    async fn load(st: &AppState, cu: &CurrentUser) -> AppResult<RulesPage> {
        let t = rt_of(cu);
        let v = VocabTr::get(cu.locale());
        let ws = cu.workspace.id;
        let rules = service::list_rules(&st.db, ws, st.now()).await?;
        let members = workspaces::list_members(&st.db, ws).await?;
        let settings = store::settings_now(&st.db, ws).await?;
        Ok(RulesPage {
            shell: Shell::new(cu, Area::Contacts).await?,
            rt: t,
            js: contacts_js(),
            can_edit: cu.role.can_manage(),
            rules: rules.iter().map(|r| rule_row(t, v, r)).collect(),
            types: AlertType::ALL
                .iter()
                .map(|s| (s.as_str(), v.alert_type_label(*s)))
                .collect(),
            members: member_options(&members),
            editing: None,
            form: RuleForm::blank(),
            errors: Errors::new(),
            check_hour: settings.check_hour,
            hours: (0..24).map(|h| (h, format!("{h:02}:00"))).collect(),
            duty: members
                .iter()
                .map(|m| DutyRow {
                    user_id: m.user_id.0,
                    name: member_name(m),
                    duty: m.retention_duty,
                })
                .collect(),
        })
    }

    fn refused(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}

/// `GET /contacts/retention/rules`
pub async fn rules_page(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    Ok(RulesPage::load(&st, &cu).await?.into_response())
}

/// `GET /contacts/retention/rules/{id}`: the page with the rule's form.
pub async fn edit_rule_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<RetentionRuleId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let rules = store::list_rules(&st.db, cu.workspace.id).await?;
    let rule = rules
        .iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    let mut page = RulesPage::load(&st, &cu).await?;
    page.editing = Some(id.to_string());
    page.form = RuleForm::of(rule);
    Ok(page.into_response())
}

async fn save_rule(
    st: &AppState,
    cu: &CurrentUser,
    id: Option<RetentionRuleId>,
    f: RuleForm,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = rt_of(cu);
    let errors = match f.request() {
        Err(fields) => fields.keys().map(|k| field_error(t, k)).collect::<Errors>(),
        Ok(req) => {
            let ws = cu.workspace.id;
            let saved = match id {
                Some(id) => service::update_rule(&st.db, ws, id, &req, &cu.actor(), st.now()).await,
                None => service::create_rule(&st.db, ws, &req, &cu.actor(), st.now()).await,
            };
            match saved {
                Ok(_) => {
                    set_flash(&cu.session, true, t.rule_saved).await?;
                    return Ok(Redirect::to("/contacts/retention/rules").into_response());
                }
                Err(RetentionError::Invalid(fields)) => {
                    fields.iter().map(|(k, _)| field_error(t, k)).collect()
                }
                Err(RetentionError::NotFound) => return Err(AppError::NotFound),
                Err(RetentionError::Conflict(_)) => [("form", t.err_form)].into_iter().collect(),
                Err(RetentionError::Db(e)) => return Err(e.into()),
            }
        }
    };
    let mut page = RulesPage::load(st, cu).await?;
    page.editing = id.map(|i| i.to_string());
    page.form = f;
    page.errors = errors;
    Ok(page.refused())
}

/// `POST /contacts/retention/rules`
pub async fn create_rule(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<RuleForm>,
) -> AppResult<Response> {
    save_rule(&st, &cu, None, f).await
}

/// `POST /contacts/retention/rules/{id}`
pub async fn update_rule(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<RetentionRuleId>,
    Form(f): Form<RuleForm>,
) -> AppResult<Response> {
    save_rule(&st, &cu, Some(id), f).await
}

/// `POST /contacts/retention/rules/{id}/delete`
pub async fn delete_rule(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<RetentionRuleId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    match service::delete_rule(&st.db, cu.workspace.id, id, &cu.actor(), st.now()).await {
        Ok(()) => {}
        Err(RetentionError::NotFound) => return Err(AppError::NotFound),
        Err(RetentionError::Db(e)) => return Err(e.into()),
        Err(_) => return Err(AppError::BadRequest(rt_of(&cu).err_form.into())),
    }
    set_flash(&cu.session, true, rt_of(&cu).rule_deleted).await?;
    Ok(Redirect::to("/contacts/retention/rules").into_response())
}

/// The check's hour and who has the retention duty.
#[derive(Debug, Default)]
pub struct SettingsForm {
    check_hour: Option<i32>,
    duty: Vec<Uuid>,
}

/// `POST /contacts/retention/settings` (a form with repeated `duty`
/// fields, read from the raw body).
pub async fn save_settings(
    State(st): State<AppState>,
    cu: CurrentUser,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = rt_of(&cu);
    let mut f = SettingsForm::default();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest(t.err_form.into()))?;
    for (k, v) in pairs {
        match k.as_str() {
            "check_hour" => f.check_hour = v.parse().ok().filter(|h| (0..24).contains(h)),
            "duty" => {
                if let Ok(u) = Uuid::parse_str(&v) {
                    f.duty.push(u);
                }
            }
            _ => {}
        }
    }
    let Some(hour) = f.check_hour else {
        return Err(AppError::BadRequest(t.err_form.into()));
    };
    let ws = cu.workspace.id;
    let now = st.now();
    let members = workspaces::list_members(&st.db, ws).await?;
    let mut tx = st.db.begin().await?;
    store::ensure_setup(&mut tx, ws, now).await?;
    store::set_check_hour(&mut tx, ws, hour, now).await?;
    for m in &members {
        let want = f.duty.contains(&m.user_id.0);
        if want != m.retention_duty {
            store::set_retention_duty(&mut tx, ws, UserId(m.user_id.0), want).await?;
        }
    }
    af_db::audit::insert_audit(
        &mut tx,
        &af_db::audit::NewAudit {
            workspace: Some(ws),
            actor: &cu.actor(),
            action: "retention.settings_changed",
            target_type: Some("workspace"),
            target_id: Some(ws.to_string()),
            result: "ok",
            details: serde_json::json!({"check_hour": hour, "duty": f.duty}),
            ip: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(&cu.session, true, t.settings_saved).await?;
    Ok(Redirect::to("/contacts/retention/rules").into_response())
}

// -------------------------------------------------------- the contact page

/// The contact page's open alerts (rendered HTML, empty when none).
#[derive(Template)]
#[template(path = "contacts/_retention_alerts.html")]
struct ContactAlerts {
    rt: &'static RetentionTr,
    alerts: Vec<AlertCard>,
}

pub async fn contact_alerts_html(
    st: &AppState,
    cu: &CurrentUser,
    contact: af_core::ContactId,
) -> AppResult<String> {
    let alerts = store::active_for_contact(&st.db, cu.workspace.id, contact).await?;
    if alerts.is_empty() {
        return Ok(String::new());
    }
    let now = st.now();
    let cards = alerts
        .iter()
        .map(|a| card(cu, now, a, &[], false))
        .collect();
    ContactAlerts {
        rt: rt_of(cu),
        alerts: cards,
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))
}
