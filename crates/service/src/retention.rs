//! Retention alerts (issue 18, SPEC C8): the one path for the API, the
//! pages and the CLI — rules, the check (now, or daily at each
//! workspace's local hour), the alert list and people's changes.
//!
//! The check of a workspace is one transaction: for each type, one
//! `UPDATE` resolves the active alerts whose condition ended; then for
//! each active rule, one `INSERT … SELECT … ON CONFLICT` opens and
//! escalates (`af_db::retention::check`); the history lines and events of
//! what changed are written in bulk. Attendance, renewals and payments
//! resolve their alerts the moment they are recorded (in
//! `af_db::scoring::record_activities` and `memberships`), not only at the
//! next check.

use af_core::jobs::CheckRetention;
use af_core::retention::{self as rules, Escalation, Notify, RuleParams};
use af_core::vocab::{AlertStatus, AlertType};
use af_core::{Actor, RetentionRuleId, UserId, WorkspaceId};
use af_db::audit::{NewAudit, insert_audit};
use af_db::retention::{
    self as store, Alert, AlertChange, AlertCursor, AlertFilter, AssigneeFilter, ChangeRefused,
    Changed, HistoryAction, Rule, RuleRun,
};
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, Ts, Tx};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// Nothing was changed: `(field, message)` pairs, messages in English.
    #[error("invalid request")]
    Invalid(Vec<(String, String)>),
    #[error("not found")]
    NotFound,
    /// The change conflicts with the alert's state (a message in English).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn invalid(field: &str, msg: impl Into<String>) -> RetentionError {
    RetentionError::Invalid(vec![(field.to_string(), msg.into())])
}

fn zone(ws: &Workspace) -> TimeZone {
    TimeZone::get(&ws.time_zone).unwrap_or(TimeZone::UTC)
}

// ------------------------------------------------------------------ check

/// What one check of a workspace did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    pub opened: usize,
    pub escalated: usize,
    pub resolved: usize,
}

/// Runs `ws`'s check now (the API, the page's "run now", the CLI).
pub async fn check_now(
    db: &Db,
    ws: &Workspace,
    actor: &Actor,
    now: Ts,
) -> Result<CheckOutcome, DbError> {
    let mut tx = db.begin().await?;
    store::ensure_setup(&mut tx, ws.id, now).await?;
    let (out, handed_out) = run_check(&mut tx, ws, actor, now).await?;
    let today = rules::local_today(now.0, &zone(ws)).to_string();
    store::record_check(&mut tx, ws.id, &today, handed_out, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// The check's statements in the caller's transaction; with what it did,
/// how many alerts it handed out (the round-robin cursor moves past them).
async fn run_check(
    tx: &mut Tx,
    ws: &Workspace,
    actor: &Actor,
    now: Ts,
) -> Result<(CheckOutcome, i64), DbError> {
    let tz = zone(ws);
    let rules = store::list_rules_tx(tx, ws.id).await?;
    let settings = store::settings(tx, ws.id).await?;
    let params: Vec<(&Rule, RuleParams)> = rules
        .iter()
        .filter(|r| r.active)
        .filter_map(|r| r.params().map(|p| (r, p)))
        .collect();
    let runs: Vec<RuleRun<'_>> = params
        .iter()
        .map(|(r, p)| RuleRun {
            ws: ws.id,
            rule_id: r.id.0,
            params: p,
            fallback_assignee: r.assignee_id,
            tz: &tz,
            now,
        })
        .collect();
    let mut out = CheckOutcome::default();
    let mut changed: Vec<Changed> = Vec::new();
    for t in AlertType::ALL {
        let of_type: Vec<RuleRun<'_>> = runs
            .iter()
            .filter(|r| r.params.alert_type == *t)
            .copied()
            .collect();
        let resolved = store::resolve_ended(tx, ws.id, *t, &of_type, None, now).await?;
        out.resolved += resolved.len();
        changed.extend(resolved);
    }
    let mut cursor = settings.rr_cursor;
    for run in &runs {
        let rows = store::apply_rule(tx, run, cursor).await?;
        let opened = rows
            .iter()
            .filter(|c| c.action == HistoryAction::Opened)
            .count();
        out.opened += opened;
        out.escalated += rows.len() - opened;
        cursor += opened as i64;
        changed.extend(rows);
    }
    store::record_changes(tx, ws.id, &changed, actor, now).await?;
    let emailed: Vec<String> = params
        .iter()
        .filter(|(_, p)| p.notify == Notify::Email)
        .map(|(_, p)| p.alert_type.as_str().to_string())
        .collect();
    store::notify_assignees(tx, ws.id, &changed, &emailed, now).await?;
    Ok((out, cursor - settings.rr_cursor))
}

/// The hourly job: runs the daily check of every workspace whose local
/// check hour has come and whose check has not run for its local date
/// (claimed with a compare-and-set in the check's own transaction, so two
/// workers never both run it and a failed run is retried). The number of
/// workspaces checked.
pub async fn daily_checks(db: &Db, now: Ts) -> Result<usize, DbError> {
    let actor = Actor::system();
    let mut ran = 0;
    for w in store::workspaces_to_check(db).await? {
        let tz = TimeZone::get(&w.time_zone).unwrap_or(TimeZone::UTC);
        let local = now.0.to_zoned(tz.clone());
        let hour = w.check_hour.unwrap_or(store::DEFAULT_CHECK_HOUR);
        let today = local.date().to_string();
        if i32::from(local.hour()) < hour
            || w.last_check_on
                .as_deref()
                .is_some_and(|d| d >= today.as_str())
        {
            continue;
        }
        let Some(ws) = af_db::workspaces::find_workspace(db, w.workspace_id).await? else {
            continue;
        };
        let mut tx = db.begin().await?;
        store::ensure_setup(&mut tx, ws.id, now).await?;
        if !store::claim_daily(&mut tx, ws.id, &today, now).await? {
            continue;
        }
        let (out, handed_out) = run_check(&mut tx, &ws, &actor, now).await?;
        store::record_check(&mut tx, ws.id, &today, handed_out, now).await?;
        tx.commit().await?;
        ran += 1;
        tracing::info!(workspace = %ws.id, opened = out.opened, escalated = out.escalated,
            resolved = out.resolved, "retention check");
    }
    Ok(ran)
}

/// Hourly; each workspace's check runs once a day, in the first run at or
/// after its local hour.
pub fn schedule() -> Result<af_jobs::NewSchedule, DbError> {
    af_jobs::NewSchedule::system("20 * * * *", &CheckRetention {})
}

/// The handler of [`CheckRetention`].
pub fn check_job() -> impl af_jobs::JobHandler {
    af_jobs::typed_handler(|ctx, _job, _: CheckRetention| async move {
        daily_checks(&ctx.db, ctx.now())
            .await
            .map(|_| ())
            .map_err(af_jobs::JobError::retry)
    })
}

// ------------------------------------------------------------------ rules

/// A rule as the API and the page send it. On a create `type` and `risk`
/// are required; on an update an absent field keeps its value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleRequest {
    #[serde(rename = "type")]
    pub alert_type: Option<String>,
    pub days: Option<i64>,
    pub count: Option<i64>,
    pub rate: Option<i64>,
    pub window_days: Option<i64>,
    pub min_bookings: Option<i64>,
    pub risk: Option<i64>,
    pub escalations: Option<Vec<Escalation>>,
    pub notify: Option<String>,
    pub quiet_days: Option<i64>,
    /// Who gets the alerts of contacts without an owner when no member
    /// has the retention duty (`null` clears).
    pub assignee_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
}

/// A rule as the API answers it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub id: RetentionRuleId,
    #[serde(rename = "type")]
    pub alert_type: String,
    pub days: Option<i64>,
    pub count: Option<i64>,
    pub rate: Option<i64>,
    pub window_days: Option<i64>,
    pub min_bookings: Option<i64>,
    pub risk: i64,
    pub escalations: Vec<Escalation>,
    pub notify: String,
    pub quiet_days: i64,
    pub assignee_id: Option<Uuid>,
    pub active: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<&Rule> for RuleView {
    fn from(r: &Rule) -> Self {
        RuleView {
            id: r.id,
            alert_type: r.alert_type.clone(),
            days: r.days,
            count: r.count,
            rate: r.rate,
            window_days: r.window_days,
            min_bookings: r.min_bookings,
            risk: r.risk,
            escalations: r.escalation_steps(),
            notify: r.notify.clone(),
            quiet_days: r.quiet_days,
            assignee_id: r.assignee_id,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `req` over `base` (a create's blank, or the stored rule), checked.
fn merge_rule(req: &RuleRequest, base: Option<&RuleParams>) -> Result<RuleParams, RetentionError> {
    let alert_type = match (&req.alert_type, base) {
        (Some(t), _) => AlertType::parse(t.trim()).ok_or_else(|| {
            invalid(
                "type",
                format!("must be one of: {}", AlertType::NAMES.join(", ")),
            )
        })?,
        (None, Some(b)) => b.alert_type,
        (None, None) => return Err(invalid("type", "is required")),
    };
    let notify = match (&req.notify, base) {
        (Some(n), _) => Notify::parse(n.trim())
            .ok_or_else(|| invalid("notify", "must be one of: in_app, email, whatsapp"))?,
        (None, Some(b)) => b.notify,
        (None, None) => Notify::InApp,
    };
    let keep = |new: Option<i64>, old: Option<i64>| new.or(old);
    let p = RuleParams {
        alert_type,
        days: keep(req.days, base.and_then(|b| b.days)),
        count: keep(req.count, base.and_then(|b| b.count)),
        rate: keep(req.rate, base.and_then(|b| b.rate)),
        window_days: keep(req.window_days, base.and_then(|b| b.window_days)),
        min_bookings: keep(req.min_bookings, base.and_then(|b| b.min_bookings)),
        risk: req
            .risk
            .or(base.map(|b| b.risk))
            .ok_or_else(|| invalid("risk", "is required (0 to 100)"))?,
        escalations: req
            .escalations
            .clone()
            .or_else(|| base.map(|b| b.escalations.clone()))
            .unwrap_or_default(),
        notify,
        quiet_days: req
            .quiet_days
            .or(base.map(|b| b.quiet_days))
            .unwrap_or(rules::DEFAULT_QUIET_DAYS),
    };
    p.validated().map_err(|(field, msg)| invalid(field, msg))
}

async fn check_member(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: Option<Uuid>,
    field: &str,
) -> Result<(), RetentionError> {
    if let Some(u) = user
        && !af_db::tasks::is_member(tx, ws, UserId(u)).await?
    {
        return Err(invalid(field, "is not a member of this workspace"));
    }
    Ok(())
}

async fn audit(
    tx: &mut Tx,
    ws: WorkspaceId,
    actor: &Actor,
    action: &str,
    target: (&str, String),
    details: serde_json::Value,
    now: Ts,
) -> Result<(), DbError> {
    insert_audit(
        tx,
        &NewAudit {
            workspace: Some(ws),
            actor,
            action,
            target_type: Some(target.0),
            target_id: Some(target.1),
            result: "ok",
            details,
            ip: None,
        },
        now,
    )
    .await
}

pub async fn list_rules(db: &Db, ws: WorkspaceId, now: Ts) -> Result<Vec<Rule>, DbError> {
    store::ensure_setup_now(db, ws, now).await?;
    store::list_rules(db, ws).await
}

pub async fn create_rule(
    db: &Db,
    ws: WorkspaceId,
    req: &RuleRequest,
    actor: &Actor,
    now: Ts,
) -> Result<Rule, RetentionError> {
    let p = merge_rule(req, None)?;
    let mut tx = db.begin().await?;
    store::ensure_setup(&mut tx, ws, now).await?;
    let assignee = req.assignee_id.flatten();
    check_member(&mut tx, ws, assignee, "assignee_id").await?;
    let rule = store::insert_rule(
        &mut tx,
        ws,
        &p,
        assignee.map(UserId),
        req.active.unwrap_or(true),
        now,
    )
    .await?;
    audit(
        &mut tx,
        ws,
        actor,
        "retention_rule.created",
        ("retention_rule", rule.id.to_string()),
        serde_json::to_value(RuleView::from(&rule)).unwrap_or_default(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

pub async fn update_rule(
    db: &Db,
    ws: WorkspaceId,
    id: RetentionRuleId,
    req: &RuleRequest,
    actor: &Actor,
    now: Ts,
) -> Result<Rule, RetentionError> {
    let mut tx = db.begin().await?;
    let old = store::find_rule(&mut tx, ws, id)
        .await?
        .ok_or(RetentionError::NotFound)?;
    let base = old.params().ok_or(RetentionError::NotFound)?;
    let p = merge_rule(req, Some(&base))?;
    let assignee = match req.assignee_id {
        Some(a) => a,
        None => old.assignee_id,
    };
    check_member(&mut tx, ws, assignee, "assignee_id").await?;
    let rule = store::update_rule(
        &mut tx,
        ws,
        id,
        &p,
        assignee.map(UserId),
        req.active.unwrap_or(old.active),
        now,
    )
    .await?
    .ok_or(RetentionError::NotFound)?;
    audit(
        &mut tx,
        ws,
        actor,
        "retention_rule.updated",
        ("retention_rule", id.to_string()),
        serde_json::to_value(RuleView::from(&rule)).unwrap_or_default(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

pub async fn delete_rule(
    db: &Db,
    ws: WorkspaceId,
    id: RetentionRuleId,
    actor: &Actor,
    now: Ts,
) -> Result<(), RetentionError> {
    let mut tx = db.begin().await?;
    if !store::delete_rule(&mut tx, ws, id).await? {
        return Err(RetentionError::NotFound);
    }
    audit(
        &mut tx,
        ws,
        actor,
        "retention_rule.deleted",
        ("retention_rule", id.to_string()),
        serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ----------------------------------------------------------------- alerts

/// The list's filters as a query string gives them. `status`: one status
/// or several separated by commas (any case), `active` for open and in
/// progress; `assignee`: a member's id, `me` or `none`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AlertQuery {
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub alert_type: Option<String>,
    pub assignee: Option<String>,
    pub min_risk: Option<String>,
    pub max_risk: Option<String>,
    /// Opened on or after this local date (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Opened on or before this local date.
    pub to: Option<String>,
    pub contact_id: Option<String>,
}

/// Reads the query into a filter (`me` is `viewer`). Empty values are
/// "any", so a form's blank select filters nothing.
pub fn filter_of(
    q: &AlertQuery,
    viewer: Option<UserId>,
    tz: &TimeZone,
) -> Result<AlertFilter, RetentionError> {
    let some = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut f = AlertFilter::default();
    if let Some(s) = some(&q.status) {
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.eq_ignore_ascii_case("active") {
                f.statuses
                    .extend([AlertStatus::Open, AlertStatus::InProgress]);
            } else if part.eq_ignore_ascii_case("all") {
                f.statuses.clear();
                break;
            } else {
                f.statuses
                    .push(AlertStatus::parse_loose(part).ok_or_else(|| {
                        invalid(
                            "status",
                            "must be open, in_progress, resolved, dismissed, active or all",
                        )
                    })?);
            }
        }
    }
    if let Some(t) = some(&q.alert_type) {
        let t = AlertType::parse(&t.to_ascii_lowercase()).ok_or_else(|| {
            invalid(
                "type",
                format!("must be one of: {}", AlertType::NAMES.join(", ")),
            )
        })?;
        f.alert_type = Some(t.as_str().to_string());
    }
    if let Some(a) = some(&q.assignee) {
        f.assignee = Some(match a.as_str() {
            "none" | "nobody" => AssigneeFilter::Nobody,
            "me" => AssigneeFilter::User(
                viewer
                    .ok_or_else(|| invalid("assignee", "me needs a signed-in member"))?
                    .0,
            ),
            id => AssigneeFilter::User(
                Uuid::parse_str(id)
                    .map_err(|_| invalid("assignee", "must be a member id, me or none"))?,
            ),
        });
    }
    let risk = |field: &str, v: Option<String>| -> Result<Option<i64>, RetentionError> {
        v.map(|s| {
            s.parse::<i64>()
                .ok()
                .filter(|n| (0..=100).contains(n))
                .ok_or_else(|| invalid(field, "must be a number from 0 to 100"))
        })
        .transpose()
    };
    f.min_risk = risk("min_risk", some(&q.min_risk))?;
    f.max_risk = risk("max_risk", some(&q.max_risk))?;
    let date = |field: &str, v: Option<String>, next: bool| -> Result<Option<Ts>, RetentionError> {
        v.map(|s| {
            let d: jiff::civil::Date = s
                .parse()
                .map_err(|_| invalid(field, "must be a date YYYY-MM-DD"))?;
            let d = if next {
                d.tomorrow().map_err(|_| invalid(field, "out of range"))?
            } else {
                d
            };
            Ok(Ts::new(rules::start_of_day(d, tz)))
        })
        .transpose()
    };
    f.opened_from = date("from", some(&q.from), false)?;
    f.opened_until = date("to", some(&q.to), true)?;
    if let Some(c) = some(&q.contact_id) {
        f.contact =
            Some(af_core::ContactId(Uuid::parse_str(&c).map_err(|_| {
                invalid("contact_id", "must be a contact id")
            })?));
    }
    Ok(f)
}

/// One page of alerts and whether more follow (`limit + 1` read).
pub async fn list_alerts(
    db: &Db,
    ws: WorkspaceId,
    f: &AlertFilter,
    after: Option<AlertCursor>,
    limit: i64,
) -> Result<(Vec<Alert>, Option<AlertCursor>), DbError> {
    let mut rows = store::list_alerts(db, ws, f, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = more
        .then(|| {
            rows.last().map(|a| AlertCursor {
                risk: a.risk,
                id: a.id,
            })
        })
        .flatten();
    Ok((rows, next))
}

/// A person's change to an alert, as the API and the page send it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertPatch {
    pub status: Option<String>,
    /// A member's id; `null` unassigns.
    #[serde(deserialize_with = "present")]
    pub assignee_id: Option<Option<Uuid>>,
    pub note: Option<String>,
}

fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Applies a person's change (assign, take, move, note), audited. The
/// alert as it now is.
pub async fn change_alert(
    db: &Db,
    ws: WorkspaceId,
    id: Uuid,
    patch: &AlertPatch,
    actor: &Actor,
    now: Ts,
) -> Result<Alert, RetentionError> {
    let status = patch
        .status
        .as_deref()
        .map(|s| {
            AlertStatus::parse_loose(s).ok_or_else(|| {
                invalid("status", "must be open, in_progress, resolved or dismissed")
            })
        })
        .transpose()?;
    let note = match &patch.note {
        Some(n) => rules::note(n).map_err(|(f, m)| invalid(f, m))?,
        None => None,
    };
    if status.is_none() && patch.assignee_id.is_none() && note.is_none() {
        return Err(invalid(
            "status",
            "nothing to change: give status, assignee_id or note",
        ));
    }
    let mut tx = db.begin().await?;
    if let Some(a) = patch.assignee_id {
        check_member(&mut tx, ws, a, "assignee_id").await?;
    }
    let quiet_days = match store::find_alert(db, ws, id).await? {
        Some(a) => match a.rule_id {
            Some(r) => store::find_rule(&mut tx, ws, RetentionRuleId(r))
                .await?
                .map(|r| r.quiet_days),
            None => None,
        },
        None => return Err(RetentionError::NotFound),
    }
    .unwrap_or(rules::DEFAULT_QUIET_DAYS);
    let change = AlertChange {
        status,
        assignee: patch.assignee_id,
        note: note.clone(),
    };
    let (alert, actions) =
        match store::change_alert(&mut tx, ws, id, &change, quiet_days, actor, now).await? {
            Ok(done) => done,
            Err(ChangeRefused::NotFound) => return Err(RetentionError::NotFound),
            Err(ChangeRefused::Transition(from, to)) => {
                return Err(RetentionError::Conflict(format!(
                    "an alert that is {from} cannot move to {to}"
                )));
            }
            Err(ChangeRefused::AlreadyActive) => {
                return Err(RetentionError::Conflict(
                    "the contact already has an active alert of this type".into(),
                ));
            }
        };
    // The new assignee hears about it (not when taking it oneself).
    if let (true, Some(to)) = (
        actions.contains(&HistoryAction::Assigned),
        alert.assignee_id,
    ) && actor.id != Some(to)
    {
        let n = af_db::notifications::NewNotification {
            workspace_id: ws,
            user_id: UserId(to),
            kind: af_core::vocab::NotificationKind::RetentionAlertAssigned,
            params: serde_json::json!({
                "alert_id": alert.id, "contact_id": alert.contact_id, "risk": alert.risk,
                "type": alert.alert_type, "contact_name": alert.contact_name,
            }),
            link: format!("/contacts/retention?alert={}", alert.id),
        };
        af_db::notifications::push(&mut tx, &n, now).await?;
    }
    audit(
        &mut tx,
        ws,
        actor,
        "retention_alert.changed",
        ("retention_alert", id.to_string()),
        serde_json::json!({
            "status": alert.status, "assignee_id": alert.assignee_id, "note": note,
            "changes": actions.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(alert)
}

/// An alert with its history, as the API answers it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    #[serde(flatten)]
    pub alert: Alert,
    pub history: Vec<store::HistoryLine>,
}

/// Attaches each alert's history (one query for the page).
pub async fn with_history(
    db: &Db,
    ws: WorkspaceId,
    alerts: Vec<Alert>,
) -> Result<Vec<AlertView>, DbError> {
    let ids: Vec<Uuid> = alerts.iter().map(|a| a.id).collect();
    let mut lines = store::history_of(db, ws, &ids).await?;
    Ok(alerts
        .into_iter()
        .map(|alert| {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut lines)
                .into_iter()
                .partition(|l| l.alert_id == alert.id);
            lines = rest;
            AlertView {
                alert,
                history: mine,
            }
        })
        .collect())
}
