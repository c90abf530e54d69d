//! The daily check's statements: per rule, one `INSERT … SELECT … ON
//! CONFLICT` opens an alert for every contact the rule's condition holds
//! for and raises the risk of an active one whose condition worsened (the
//! partial unique index `retention_alerts_active_idx` allows one active
//! alert per contact and type); per type, one `UPDATE` resolves the alerts
//! whose condition ended. No loop over contacts: the work is the
//! database's, whatever the number of members.
//!
//! A rule's condition is a CTE `<prefix>scored (contact_id, since, risk)`
//! (risk NULL where the condition does not hold) built from its parameters;
//! days become instants in the workspace's zone in Rust
//! (`af_core::retention`), so both backends compare instants only.

use super::alerts::{Changed, HistoryAction, NewHistory, insert_history};
use crate::{Backend, DbResult, Ts, Tx, with_tx};
use af_core::retention::{self as r, ATTENDANCE_TYPES, BOOKING_TYPES, RuleParams};
use af_core::vocab::{AlertStatus, AlertType, EventKind};
use af_core::{Actor, ContactId, WorkspaceId};
use jiff::tz::TimeZone;
use uuid::Uuid;

use crate::placeholders::{Params, Val, bind_vals};

/// `'a', 'b'` for a fixed list of our own constants (never user input).
fn quoted(list: &[&str]) -> String {
    list.iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fresh row id inside an `INSERT … SELECT`.
fn new_uuid_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "randomblob(16)",
        Backend::Postgres => "gen_random_uuid()",
    }
}

/// What the statements of one rule need to know.
#[derive(Debug, Clone, Copy)]
pub struct RuleRun<'a> {
    pub ws: WorkspaceId,
    pub rule_id: Uuid,
    pub params: &'a RuleParams,
    /// Who gets an alert when the contact has no owner and no member has
    /// the retention duty.
    pub fallback_assignee: Option<Uuid>,
    pub tz: &'a TimeZone,
    pub now: Ts,
}

/// The CTEs of a rule's condition, named with `prefix`; the last one is
/// `<prefix>scored (contact_id, since, risk)`.
fn condition_ctes(p: &mut Params, ws: &str, run: &RuleRun<'_>, prefix: &str) -> String {
    let now_ts = run.now.0;
    let now = p.push(Val::At(run.now));
    let tz = run.tz;
    let rp = run.params;
    let running = "'trial', 'active', 'past_due'";
    // CASE over the levels, highest risk first (risks are validated
    // integers, written into the text so PostgreSQL types them).
    let levels_case = |p: &mut Params, column: &str, cut: &dyn Fn(i64) -> jiff::Timestamp| {
        let mut s = String::from("CASE");
        for l in rp.day_levels() {
            let m = p.push(Val::At(Ts::new(cut(l.days))));
            s.push_str(&format!(" WHEN {column} < {m} THEN {}", l.risk));
        }
        s.push_str(" END");
        s
    };
    match rp.alert_type {
        AlertType::NoAttendance => {
            let case = levels_case(p, "last_seen", &|d| r::absent_since_cut(now_ts, tz, d));
            format!(
                "{prefix}members AS (
                    SELECT contact_id, MAX(starts_at) AS since FROM contact_memberships
                    WHERE workspace_id = {ws} AND status IN ({running}) AND starts_at <= {now}
                    GROUP BY contact_id),
                 {prefix}attended AS (
                    SELECT contact_id, MAX(occurred_at) AS last_at FROM activities
                    WHERE workspace_id = {ws} AND type IN ({att}) AND occurred_at <= {now}
                    GROUP BY contact_id),
                 {prefix}seen AS (
                    SELECT m.contact_id,
                           CASE WHEN a.last_at IS NULL OR a.last_at < m.since THEN m.since ELSE a.last_at END AS last_seen
                    FROM {prefix}members m LEFT JOIN {prefix}attended a ON a.contact_id = m.contact_id
                    UNION ALL
                    SELECT a.contact_id, a.last_at FROM {prefix}attended a
                    WHERE NOT EXISTS (SELECT 1 FROM contact_memberships x
                                      WHERE x.workspace_id = {ws} AND x.contact_id = a.contact_id)),
                 {prefix}scored AS (
                    SELECT contact_id, last_seen AS since, {case} AS risk FROM {prefix}seen)",
                att = quoted(ATTENDANCE_TYPES),
            )
        }
        AlertType::MembershipExpiring => {
            let case = levels_case(p, "MIN(m.ends_at)", &|d| r::ends_within_cut(now_ts, tz, d));
            let widest = rp.day_levels().iter().map(|l| l.days).max().unwrap_or(0);
            let outer = p.push(Val::At(Ts::new(r::ends_within_cut(now_ts, tz, widest))));
            format!(
                "{prefix}scored AS (
                    SELECT m.contact_id, CAST(NULL AS TIMESTAMPTZ) AS since, {case} AS risk
                    FROM contact_memberships m
                    WHERE m.workspace_id = {ws} AND m.status IN ('trial', 'active')
                      AND m.ends_at > {now} AND m.ends_at < {outer}
                      AND NOT EXISTS (
                          SELECT 1 FROM contact_memberships n
                          WHERE n.workspace_id = {ws} AND n.contact_id = m.contact_id
                            AND n.status IN ('trial', 'active')
                            AND (n.ends_at IS NULL OR n.ends_at >= {outer}))
                    GROUP BY m.contact_id)"
            )
        }
        AlertType::PaymentFailed => format!(
            "{prefix}scored AS (
                SELECT contact_id, CAST(NULL AS TIMESTAMPTZ) AS since, {risk} AS risk
                FROM contact_memberships
                WHERE workspace_id = {ws} AND status = 'past_due'
                GROUP BY contact_id)",
            risk = rp.risk
        ),
        AlertType::LowBookings => {
            let from = p.push(Val::At(Ts::new(r::window_start(
                now_ts,
                tz,
                rp.window_days.unwrap_or(30),
            ))));
            let count = p.push(Val::Int(rp.count.unwrap_or(1)));
            format!(
                "{prefix}bookings AS (
                    SELECT contact_id, starts_at AS at FROM appointments
                    WHERE workspace_id = {ws} AND status NOT IN ('cancelled', 'rescheduled') AND starts_at <= {now}
                    UNION ALL
                    SELECT contact_id, occurred_at AS at FROM activities
                    WHERE workspace_id = {ws} AND type IN ({booked}) AND occurred_at <= {now}),
                 {prefix}subjects AS (
                    SELECT contact_id FROM contact_memberships
                    WHERE workspace_id = {ws} AND status IN ({running}) AND starts_at <= {from}
                    UNION
                    SELECT b.contact_id FROM {prefix}bookings b
                    WHERE NOT EXISTS (SELECT 1 FROM contact_memberships x
                                      WHERE x.workspace_id = {ws} AND x.contact_id = b.contact_id)),
                 {prefix}recent AS (
                    SELECT contact_id, COUNT(*) AS n FROM {prefix}bookings WHERE at >= {from}
                    GROUP BY contact_id),
                 {prefix}scored AS (
                    SELECT s.contact_id, CAST(NULL AS TIMESTAMPTZ) AS since,
                           CASE WHEN COALESCE(b.n, 0) < {count} THEN {risk} END AS risk
                    FROM {prefix}subjects s LEFT JOIN {prefix}recent b ON b.contact_id = s.contact_id)",
                booked = quoted(BOOKING_TYPES),
                risk = rp.risk,
            )
        }
        AlertType::HighCancellationRate => {
            let from = p.push(Val::At(Ts::new(r::window_start(
                now_ts,
                tz,
                rp.window_days.unwrap_or(30),
            ))));
            let min = p.push(Val::Int(rp.min_bookings.unwrap_or(r::DEFAULT_MIN_BOOKINGS)));
            let rate = p.push(Val::Int(rp.rate.unwrap_or(50)));
            // Bookings whose time falls in the window, future ones too (a
            // class cancelled today for next week counts); a rescheduled
            // booking's old row is not a booking of its own.
            format!(
                "{prefix}scored AS (
                    SELECT contact_id, CAST(NULL AS TIMESTAMPTZ) AS since, {risk} AS risk
                    FROM appointments
                    WHERE workspace_id = {ws} AND starts_at >= {from} AND status <> 'rescheduled'
                    GROUP BY contact_id
                    HAVING COUNT(*) >= {min}
                       AND 100 * SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) > {rate} * COUNT(*))",
                risk = rp.risk,
            )
        }
    }
}

/// Runs one rule: opens an alert for each contact its condition holds for
/// (unless an active one of the type exists, or a dismissed one is still
/// quiet at that risk or above) and raises the risk of an active alert
/// the condition now rates higher. One statement. The rows it changed;
/// `handed_out` the round-robin position of the first.
pub async fn apply_rule(tx: &mut Tx, run: &RuleRun<'_>, rr_cursor: i64) -> DbResult<Vec<Changed>> {
    let backend = tx.backend();
    let mut p = Params::default();
    let ws = p.push(Val::Id(run.ws.0));
    let conds = condition_ctes(&mut p, &ws, run, "r_");
    let t = p.push(Val::Text(run.params.alert_type.as_str().to_string()));
    let now = p.push(Val::At(run.now));
    let duty = p.push(Val::Bool(true));
    let cursor = p.push(Val::Int(rr_cursor));
    let rule = p.push(Val::Id(run.rule_id));
    let fallback = p.push(Val::OptId(run.fallback_assignee));
    let sql = format!(
        "WITH {conds},
         staff AS (
            SELECT user_id, ROW_NUMBER() OVER (ORDER BY user_id) - 1 AS k FROM memberships
            WHERE workspace_id = {ws} AND retention_duty = {duty}),
         cand AS (
            SELECT s.contact_id, s.since, s.risk, ROW_NUMBER() OVER (ORDER BY s.contact_id) AS rn
            FROM r_scored s
            WHERE s.risk IS NOT NULL
              AND NOT EXISTS (
                  SELECT 1 FROM retention_alerts d
                  WHERE d.workspace_id = {ws} AND d.contact_id = s.contact_id AND d.type = {t}
                    AND d.status = 'dismissed' AND d.quiet_until > {now} AND d.risk >= s.risk))
         INSERT INTO retention_alerts (id, workspace_id, contact_id, type, rule_id, risk, status,
                                       assignee_id, since, opened_at, updated_at)
         SELECT {uuid}, {ws}, cand.contact_id, {t}, {rule}, cand.risk, 'open',
                COALESCE(c.owner_id,
                         (SELECT st.user_id FROM staff st
                          WHERE st.k = (cand.rn + {cursor}) % (SELECT NULLIF(COUNT(*), 0) FROM staff)),
                         {fallback}),
                cand.since, {now}, {now}
         FROM cand JOIN contacts c ON c.workspace_id = {ws} AND c.id = cand.contact_id
         WHERE true
         ON CONFLICT (workspace_id, contact_id, type) WHERE status IN ('open', 'in_progress')
         DO UPDATE SET risk = excluded.risk, rule_id = excluded.rule_id,
                       escalated_at = excluded.opened_at, updated_at = excluded.updated_at
         WHERE excluded.risk > retention_alerts.risk
         RETURNING id, contact_id, type, risk, status, assignee_id, escalated_at",
        uuid = new_uuid_sql(backend),
    );
    let rows: Vec<ChangedRow> = with_tx!(tx, c => {
        let q = sqlx::query_as::<_, ChangedRow>(sqlx::AssertSqlSafe(sql.clone()));
        bind_vals!(q, &p.vals).fetch_all(&mut *c).await?
    });
    Ok(rows
        .into_iter()
        .map(|r| {
            let opened = r.escalated_at.is_none();
            r.into_changed(if opened {
                HistoryAction::Opened
            } else {
                HistoryAction::Escalated
            })
        })
        .collect())
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChangedRow {
    id: Uuid,
    contact_id: Uuid,
    #[sqlx(rename = "type")]
    alert_type: String,
    risk: i64,
    status: String,
    assignee_id: Option<Uuid>,
    escalated_at: Option<Ts>,
}

impl ChangedRow {
    pub(crate) fn into_changed(self, action: HistoryAction) -> Changed {
        Changed {
            id: self.id,
            contact_id: ContactId(self.contact_id),
            alert_type: self.alert_type,
            risk: self.risk,
            status: self.status,
            assignee_id: self.assignee_id,
            action,
        }
    }
}

/// Resolves the active alerts of `alert_type` in `ws` whose condition
/// ended, with the type's reason (`auto:attended`, `auto:renewed`,
/// `auto:paid`, `auto:booked`, `auto:recovered`); only the contacts in
/// `only` when given (an activity or a renewal that just arrived). One
/// statement:
/// - no attendance: attendance after the last time the contact had been
///   seen when the alert opened;
/// - membership expiring: a running membership that no longer ends within
///   the widest notice of the type's rules (a renewal);
/// - payment failed: no membership past due any more and one running;
/// - low bookings, cancellation rate: the contact meets no active rule of
///   the type any more (`rules`, with the zone and now, rebuild their
///   conditions).
pub async fn resolve_ended(
    tx: &mut Tx,
    ws: WorkspaceId,
    alert_type: AlertType,
    rules: &[RuleRun<'_>],
    only: Option<&[ContactId]>,
    now: Ts,
) -> DbResult<Vec<Changed>> {
    let mut p = Params::default();
    let wsm = p.push(Val::Id(ws.0));
    let mut ctes = String::new();
    let condition = match alert_type {
        AlertType::NoAttendance => format!(
            "retention_alerts.since IS NOT NULL AND EXISTS (
                 SELECT 1 FROM activities a
                 WHERE a.workspace_id = {wsm} AND a.type IN ({att})
                   AND a.contact_id = retention_alerts.contact_id AND a.occurred_at > retention_alerts.since)",
            att = quoted(ATTENDANCE_TYPES)
        ),
        AlertType::MembershipExpiring => {
            let widest = rules
                .iter()
                .flat_map(|r| r.params.day_levels())
                .map(|l| l.days)
                .max()
                .unwrap_or(af_core::membership::DEFAULT_EXPIRING_DAYS);
            let tz = rules
                .first()
                .map(|r| r.tz.clone())
                .unwrap_or(TimeZone::UTC);
            let outer = p.push(Val::At(Ts::new(r::ends_within_cut(now.0, &tz, widest))));
            format!(
                "EXISTS (SELECT 1 FROM contact_memberships n
                         WHERE n.workspace_id = {wsm} AND n.contact_id = retention_alerts.contact_id
                           AND n.status IN ('trial', 'active') AND (n.ends_at IS NULL OR n.ends_at >= {outer}))"
            )
        }
        AlertType::PaymentFailed => format!(
            "NOT EXISTS (SELECT 1 FROM contact_memberships n
                         WHERE n.workspace_id = {wsm} AND n.contact_id = retention_alerts.contact_id
                           AND n.status = 'past_due')
             AND EXISTS (SELECT 1 FROM contact_memberships n
                         WHERE n.workspace_id = {wsm} AND n.contact_id = retention_alerts.contact_id
                           AND n.status IN ('trial', 'active'))"
        ),
        AlertType::LowBookings | AlertType::HighCancellationRate => {
            if rules.is_empty() {
                // No rule says what the condition is any more: leave them.
                return Ok(Vec::new());
            }
            let mut names = Vec::new();
            for (i, run) in rules.iter().enumerate() {
                let prefix = format!("r{i}_");
                if !ctes.is_empty() {
                    ctes.push_str(",\n");
                }
                ctes.push_str(&condition_ctes(&mut p, &wsm, run, &prefix));
                names.push(format!(
                    "SELECT contact_id FROM {prefix}scored WHERE risk IS NOT NULL"
                ));
            }
            format!(
                "retention_alerts.contact_id NOT IN ({})",
                names.join(" UNION ")
            )
        }
    };
    let t = p.push(Val::Text(alert_type.as_str().to_string()));
    let nowm = p.push(Val::At(now));
    let reason = p.push(Val::Text(r::auto_reason(alert_type).to_string()));
    let mut only_sql = String::new();
    if let Some(ids) = only {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = ids.iter().map(|c| p.push(Val::Id(c.0))).collect();
        only_sql = format!(" AND retention_alerts.contact_id IN ({})", marks.join(", "));
    }
    let with = if ctes.is_empty() {
        String::new()
    } else {
        format!("WITH {ctes}\n")
    };
    let sql = format!(
        "{with}UPDATE retention_alerts
         SET status = 'resolved', resolution = {reason}, closed_at = {nowm}, updated_at = {nowm}
         WHERE retention_alerts.workspace_id = {wsm} AND retention_alerts.type = {t}
           AND retention_alerts.status IN ('open', 'in_progress'){only_sql}
           AND {condition}
         RETURNING id, contact_id, type, risk, status, assignee_id, escalated_at"
    );
    let rows: Vec<ChangedRow> = with_tx!(tx, c => {
        let q = sqlx::query_as::<_, ChangedRow>(sqlx::AssertSqlSafe(sql.clone()));
        bind_vals!(q, &p.vals).fetch_all(&mut *c).await?
    });
    Ok(rows
        .into_iter()
        .map(|r| r.into_changed(HistoryAction::Resolved))
        .collect())
}

/// Writes the history lines and events of alerts the check or an arrival
/// changed (`reason` on resolutions), in the caller's transaction.
pub async fn record_changes(
    tx: &mut Tx,
    ws: WorkspaceId,
    changed: &[Changed],
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let lines: Vec<NewHistory> = changed
        .iter()
        .map(|c| NewHistory {
            alert_id: c.id,
            action: c.action,
            risk: c.risk,
            status: c.status.clone(),
            assignee_id: c.assignee_id,
            note: None,
            reason: (c.action == HistoryAction::Resolved)
                .then(|| AlertType::parse(&c.alert_type).map(r::auto_reason))
                .flatten()
                .map(str::to_string),
        })
        .collect();
    insert_history(tx, ws, &lines, actor, now).await?;
    let events: Vec<crate::events::NewEvent<'_>> = changed
        .iter()
        .map(|c| crate::events::NewEvent {
            workspace: ws,
            kind: match c.action {
                HistoryAction::Opened => EventKind::RetentionAlertOpened.as_str(),
                HistoryAction::Escalated => EventKind::RetentionAlertEscalated.as_str(),
                _ => EventKind::RetentionAlertResolved.as_str(),
            },
            entity_type: "retention_alert",
            entity_id: Some(c.id.to_string()),
            actor,
            data: c.event_data(),
        })
        .collect();
    crate::events::insert_events(tx, &events, now).await?;
    Ok(())
}

/// Resolves at once the no-attendance alerts of contacts whose attendance
/// was just recorded (in the recording's transaction): the alert's
/// condition ended the moment they came back.
pub async fn resolve_attended(
    tx: &mut Tx,
    ws: WorkspaceId,
    contacts: &[ContactId],
    actor: &Actor,
    now: Ts,
) -> DbResult<usize> {
    let mut total = 0;
    for chunk in contacts.chunks(crate::placeholders::STEADY_LIST) {
        let changed = resolve_ended(tx, ws, AlertType::NoAttendance, &[], Some(chunk), now).await?;
        record_changes(tx, ws, &changed, actor, now).await?;
        total += changed.len();
    }
    Ok(total)
}

/// Resolves at once the membership alerts of `contact` whose condition a
/// membership change ended (a renewal, a payment), in that change's
/// transaction.
pub async fn resolve_membership(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    tz: &TimeZone,
    actor: &Actor,
    now: Ts,
) -> DbResult<usize> {
    let rules = super::list_rules_tx(tx, ws).await?;
    let params: Vec<(Uuid, RuleParams)> = rules
        .iter()
        .filter(|r| r.active && r.alert_type == AlertType::MembershipExpiring.as_str())
        .filter_map(|r| r.params().map(|p| (r.id.0, p)))
        .collect();
    let runs: Vec<RuleRun<'_>> = params
        .iter()
        .map(|(id, p)| RuleRun {
            ws,
            rule_id: *id,
            params: p,
            fallback_assignee: None,
            tz,
            now,
        })
        .collect();
    let mut total = 0;
    for t in [AlertType::MembershipExpiring, AlertType::PaymentFailed] {
        let changed = resolve_ended(tx, ws, t, &runs, Some(&[contact]), now).await?;
        record_changes(tx, ws, &changed, actor, now).await?;
        total += changed.len();
    }
    Ok(total)
}

/// Whether `status` counts as active (open or in progress).
pub fn is_active(status: &str) -> bool {
    AlertStatus::parse(status).is_some_and(AlertStatus::is_active)
}

/// Most alerts one check tells one member about in the bell, one
/// notification each; the rest wait in the list and the daily digest (a
/// first check over a large base should not bury the bell).
pub const MAX_PUSHES_PER_MEMBER: usize = 20;

/// Tells each assignee in the bell about the alerts the check opened for
/// them or escalated (`retention_alert_assigned` /
/// `retention_alert_escalated`, keyed so a retried run tells once), and by
/// email when the rule says so.
pub async fn notify_assignees(
    tx: &mut Tx,
    ws: WorkspaceId,
    changed: &[Changed],
    emailed_types: &[String],
    now: Ts,
) -> DbResult<usize> {
    use af_core::vocab::NotificationKind;
    let mut per_member: std::collections::HashMap<Uuid, usize> = Default::default();
    let wanted: Vec<&Changed> = changed
        .iter()
        .filter(|c| matches!(c.action, HistoryAction::Opened | HistoryAction::Escalated))
        .filter(|c| match c.assignee_id {
            Some(u) => {
                let n = per_member.entry(u).or_default();
                *n += 1;
                *n <= MAX_PUSHES_PER_MEMBER
            }
            None => false,
        })
        .collect();
    if wanted.is_empty() {
        return Ok(0);
    }
    let ids: Vec<ContactId> = wanted.iter().map(|c| c.contact_id).collect();
    let names = contact_names(tx, ws, &ids).await?;
    let mut pushed = 0;
    for c in wanted {
        let Some(user) = c.assignee_id else { continue };
        let kind = if c.action == HistoryAction::Opened {
            NotificationKind::RetentionAlertAssigned
        } else {
            NotificationKind::RetentionAlertEscalated
        };
        let n = crate::notifications::NewNotification {
            workspace_id: ws,
            user_id: af_core::UserId(user),
            kind,
            params: serde_json::json!({
                "alert_id": c.id, "contact_id": c.contact_id, "risk": c.risk, "type": c.alert_type,
                "contact_name": names.get(&c.contact_id.0).cloned().unwrap_or_default(),
            }),
            link: format!("/contacts/retention?alert={}", c.id),
        };
        let key = format!("retention:{}:{}:{}", c.id, c.action.as_str(), c.risk);
        let also_email = emailed_types.contains(&c.alert_type);
        if crate::notifications::push_keyed_with(tx, &n, &key, also_email, now)
            .await?
            .is_some()
        {
            pushed += 1;
        }
    }
    Ok(pushed)
}

/// The names of contacts, by id (multi-row look-ups).
async fn contact_names(
    tx: &mut Tx,
    ws: WorkspaceId,
    ids: &[ContactId],
) -> DbResult<std::collections::HashMap<Uuid, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(crate::placeholders::STEADY_LIST) {
        let mut p = Params::default();
        let wsm = p.push(Val::Id(ws.0));
        let marks: Vec<String> = chunk.iter().map(|c| p.push(Val::Id(c.0))).collect();
        let sql = format!(
            "SELECT id, TRIM(first_name || ' ' || last_name) FROM contacts
             WHERE workspace_id = {wsm} AND id IN ({})",
            marks.join(", ")
        );
        let rows: Vec<(Uuid, String)> = with_tx!(tx, c => {
            let q = sqlx::query_as::<_, (Uuid, String)>(sqlx::AssertSqlSafe(sql.clone()));
            bind_vals!(q, &p.vals).fetch_all(&mut *c).await?
        });
        out.extend(rows);
    }
    Ok(out)
}
