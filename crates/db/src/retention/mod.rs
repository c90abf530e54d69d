//! Retention alerts (issue 18, SPEC C8): rules, the per-workspace settings
//! and the alerts with their history. The daily check's set-based
//! statements are in [`check`]; the list, the transitions and the
//! history are in [`alerts`]. Which parameters a rule may hold and how days
//! become instants in the workspace's zone is `af_core::retention`.

pub mod alerts;
pub mod check;

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::retention::{Escalation, Notify, RuleParams};
use af_core::vocab::AlertType;
use af_core::{RetentionRuleId, UserId, WorkspaceId};
use uuid::Uuid;

pub use alerts::*;
pub use check::*;

/// The local hour the daily check runs at, until a workspace picks another.
pub const DEFAULT_CHECK_HOUR: i32 = 7;

/// A stored rule.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Rule {
    #[sqlx(try_from = "Uuid")]
    pub id: RetentionRuleId,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub alert_type: String,
    pub days: Option<i64>,
    pub count: Option<i64>,
    pub rate: Option<i64>,
    pub window_days: Option<i64>,
    pub min_bookings: Option<i64>,
    pub risk: i64,
    /// JSON `[{days, risk}]`.
    #[serde(skip)]
    pub escalations: String,
    pub notify: String,
    pub quiet_days: i64,
    pub assignee_id: Option<Uuid>,
    pub active: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl Rule {
    /// The parameters as `af_core` reads them (`None` for a row written
    /// with a type this version does not know).
    pub fn params(&self) -> Option<RuleParams> {
        Some(RuleParams {
            alert_type: AlertType::parse(&self.alert_type)?,
            days: self.days,
            count: self.count,
            rate: self.rate,
            window_days: self.window_days,
            min_bookings: self.min_bookings,
            risk: self.risk,
            escalations: self.escalation_steps(),
            notify: Notify::parse(&self.notify).unwrap_or_default(),
            quiet_days: self.quiet_days,
        })
    }

    pub fn escalation_steps(&self) -> Vec<Escalation> {
        serde_json::from_str(&self.escalations).unwrap_or_default()
    }
}

macro_rules! rule_columns {
    () => {
        "id, type, days, count, rate, window_days, min_bookings, risk, escalations, notify, quiet_days, \
         assignee_id, active, created_at, updated_at"
    };
}

/// Per-workspace settings of the check.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Settings {
    pub check_hour: i32,
    /// The local date (`YYYY-MM-DD`) the daily check last ran for.
    pub last_check_on: Option<String>,
    pub last_check_at: Option<Ts>,
    pub rr_cursor: i64,
}

/// Makes sure `ws` has its settings row and, the first time, the default
/// rules (`af_core::retention::default_rules`). Provisioning calls it for
/// a new workspace; the check, the pages and the API call it for one made
/// before retention existed. Idempotent.
pub async fn ensure_setup(tx: &mut Tx, ws: WorkspaceId, now: Ts) -> DbResult<()> {
    let created = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO retention_settings (workspace_id, check_hour, rr_cursor, updated_at)
             VALUES ($1, $2, 0, $3) ON CONFLICT (workspace_id) DO NOTHING",
        )
        .bind(ws.0).bind(DEFAULT_CHECK_HOUR).bind(now).execute(&mut *c).await?.rows_affected()
    });
    if created == 1 {
        for p in af_core::retention::default_rules() {
            insert_rule(tx, ws, &p, None, true, now).await?;
        }
    }
    Ok(())
}

/// [`ensure_setup`] in a transaction of its own.
pub async fn ensure_setup_now(db: &crate::Db, ws: WorkspaceId, now: Ts) -> DbResult<()> {
    let mut tx = db.begin().await?;
    ensure_setup(&mut tx, ws, now).await?;
    tx.commit().await
}

pub async fn settings(tx: &mut Tx, ws: WorkspaceId) -> DbResult<Settings> {
    let row = with_tx!(tx, c => {
        sqlx::query_as::<_, Settings>(
            "SELECT check_hour, last_check_on, last_check_at, rr_cursor FROM retention_settings WHERE workspace_id = $1",
        )
        .bind(ws.0).fetch_optional(&mut *c).await?
    });
    Ok(row.unwrap_or(Settings {
        check_hour: DEFAULT_CHECK_HOUR,
        last_check_on: None,
        last_check_at: None,
        rr_cursor: 0,
    }))
}

pub async fn settings_now(db: &crate::Db, ws: WorkspaceId) -> DbResult<Settings> {
    let mut tx = db.begin().await?;
    let s = settings(&mut tx, ws).await?;
    tx.commit().await?;
    Ok(s)
}

pub async fn set_check_hour(tx: &mut Tx, ws: WorkspaceId, hour: i32, now: Ts) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE retention_settings SET check_hour = $2, updated_at = $3 WHERE workspace_id = $1")
            .bind(ws.0).bind(hour).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}

/// Records that the check ran for the local date `on` and moves the
/// round-robin cursor past the alerts it handed out.
pub async fn record_check(
    tx: &mut Tx,
    ws: WorkspaceId,
    on: &str,
    handed_out: i64,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE retention_settings SET last_check_on = $2, last_check_at = $3,
                 rr_cursor = rr_cursor + $4, updated_at = $3
             WHERE workspace_id = $1",
        )
        .bind(ws.0).bind(on).bind(now).bind(handed_out).execute(&mut *c).await?;
    });
    Ok(())
}

/// Claims the daily run of `on` (a local date) for `ws`: true for the one
/// caller that moves `last_check_on` to it (a compare-and-set, so two
/// workers or two nodes never both run the day's check).
pub async fn claim_daily(tx: &mut Tx, ws: WorkspaceId, on: &str, now: Ts) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query(
            "UPDATE retention_settings SET last_check_on = $2, updated_at = $3
             WHERE workspace_id = $1 AND (last_check_on IS NULL OR last_check_on < $2)",
        )
        .bind(ws.0).bind(on).bind(now).execute(&mut *c).await?.rows_affected()
    });
    Ok(n == 1)
}

/// Every workspace with its zone and settings (the hourly scheduler picks
/// those whose local hour has come).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkspaceCheck {
    #[sqlx(try_from = "Uuid")]
    pub workspace_id: WorkspaceId,
    pub time_zone: String,
    pub check_hour: Option<i32>,
    pub last_check_on: Option<String>,
}

pub async fn workspaces_to_check(db: &crate::Db) -> DbResult<Vec<WorkspaceCheck>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, WorkspaceCheck>(
            "SELECT w.id AS workspace_id, w.time_zone, s.check_hour, s.last_check_on
             FROM workspaces w LEFT JOIN retention_settings s ON s.workspace_id = w.id
             ORDER BY w.id",
        )
        .fetch_all(p).await?
    }))
}

pub async fn insert_rule(
    tx: &mut Tx,
    ws: WorkspaceId,
    p: &RuleParams,
    assignee: Option<UserId>,
    active: bool,
    now: Ts,
) -> DbResult<Rule> {
    let id = RetentionRuleId::new();
    let escalations = serde_json::to_string(&p.escalations).unwrap_or_else(|_| "[]".into());
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Rule>(concat!(
            "INSERT INTO retention_rules (id, workspace_id, type, days, count, rate, window_days, min_bookings,
                 risk, escalations, notify, quiet_days, assignee_id, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
             RETURNING ", rule_columns!()))
        .bind(id.0).bind(ws.0).bind(p.alert_type.as_str()).bind(p.days).bind(p.count).bind(p.rate)
        .bind(p.window_days).bind(p.min_bookings).bind(p.risk).bind(escalations)
        .bind(p.notify.as_str()).bind(p.quiet_days).bind(assignee.map(|u| u.0)).bind(active).bind(now)
        .fetch_one(&mut *c).await?
    }))
}

/// Writes `p` over rule `id` of `ws`; `None` when there is no such rule.
pub async fn update_rule(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: RetentionRuleId,
    p: &RuleParams,
    assignee: Option<UserId>,
    active: bool,
    now: Ts,
) -> DbResult<Option<Rule>> {
    let escalations = serde_json::to_string(&p.escalations).unwrap_or_else(|_| "[]".into());
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Rule>(concat!(
            "UPDATE retention_rules SET type = $3, days = $4, count = $5, rate = $6, window_days = $7,
                 min_bookings = $8, risk = $9, escalations = $10, notify = $11, quiet_days = $12,
                 assignee_id = $13, active = $14, updated_at = $15
             WHERE workspace_id = $1 AND id = $2
             RETURNING ", rule_columns!()))
        .bind(ws.0).bind(id.0).bind(p.alert_type.as_str()).bind(p.days).bind(p.count).bind(p.rate)
        .bind(p.window_days).bind(p.min_bookings).bind(p.risk).bind(escalations)
        .bind(p.notify.as_str()).bind(p.quiet_days).bind(assignee.map(|u| u.0)).bind(active).bind(now)
        .fetch_optional(&mut *c).await?
    }))
}

pub async fn delete_rule(tx: &mut Tx, ws: WorkspaceId, id: RetentionRuleId) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("DELETE FROM retention_rules WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?.rows_affected()
    }) == 1)
}

pub async fn find_rule(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: RetentionRuleId,
) -> DbResult<Option<Rule>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Rule>(concat!(
            "SELECT ", rule_columns!(), " FROM retention_rules WHERE workspace_id = $1 AND id = $2"))
        .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    }))
}

/// The workspace's rules, in the order they were made.
pub async fn list_rules_tx(tx: &mut Tx, ws: WorkspaceId) -> DbResult<Vec<Rule>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Rule>(concat!(
            "SELECT ", rule_columns!(), " FROM retention_rules WHERE workspace_id = $1 ORDER BY created_at, id"))
        .bind(ws.0).fetch_all(&mut *c).await?
    }))
}

pub async fn list_rules(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<Rule>> {
    let mut tx = db.begin().await?;
    let rules = list_rules_tx(&mut tx, ws).await?;
    tx.commit().await?;
    Ok(rules)
}

/// Gives or takes the retention duty of a member of `ws` (members with it
/// share the alerts of contacts without an owner).
pub async fn set_retention_duty(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    duty: bool,
) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("UPDATE memberships SET retention_duty = $3 WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).bind(duty).execute(&mut *c).await?.rows_affected()
    }) == 1)
}
