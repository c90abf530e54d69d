//! Activities and the lead-scoring ledger (issue 17): recording what a
//! contact did, the rules that turn it into points, the append-only
//! `score_ledger` (unique per contact, rule and source, so a replay scores
//! once) with the cached `contacts.score` / `score_fit` /
//! `score_engagement` updated in the same transaction, thresholds with
//! hysteresis, set-based decay, and the reads the scoring pages need
//! (explain, top leads, histogram, recent crossings). The pure rules are
//! `af_core::scoring`.
//!
//! Writers serialise per contact: applying points first updates the
//! contact's row (a row lock on PostgreSQL; SQLite has one writer), then
//! reads its scores, so two transactions scoring one contact never both
//! read the same old score.

use crate::events::{NewEvent, insert_event};
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::scoring::{self as rules, Crossing, Frequency, Group, Limits, RuleSpec, Scores};
use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, ScoringRuleId, ThresholdId, WorkspaceId};
use uuid::Uuid;

macro_rules! rule_columns {
    () => {
        "id, workspace_id, name, on_type, filter, points, frequency, every_days, grp, active, position, created_at, updated_at"
    };
}

macro_rules! threshold_columns {
    () => {
        "id, workspace_id, name, enter_score, exit_score, created_at"
    };
}

// ------------------------------------------------------------- activities

/// One recorded activity.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Activity {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub contact_id: Uuid,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: Ts,
    pub source: String,
    pub data: String,
    pub idempotency_key: Option<String>,
    pub created_at: Ts,
}

impl Activity {
    /// The data as JSON (an object; stored by this module only).
    pub fn data_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or_default()
    }
}

macro_rules! activity_columns {
    () => {
        "id, workspace_id, contact_id, type, occurred_at, source, data, idempotency_key, created_at"
    };
}

mod batch;
pub use batch::record_activities;

/// An activity to record (already checked: `af_core::scoring::check_type`
/// and `check_data`).
#[derive(Debug, Clone)]
pub struct NewActivity {
    pub contact: ContactId,
    pub kind: String,
    pub occurred_at: Ts,
    /// Where it came from: `api`, `event`, `import`, `ui`, `demo`...
    pub source: String,
    pub data: serde_json::Value,
    pub idempotency_key: Option<String>,
}

/// What recording an activity did.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub activity: Activity,
    /// False when the idempotency key was already used: `activity` is the
    /// earlier one and nothing was written.
    pub created: bool,
}

/// `scoring_settings`: fit cap, engagement cap, total cap, floor.
type LimitsRow = (Option<i32>, Option<i32>, Option<i32>, i32);

/// What scoring needs of a workspace, read once per transaction (a batch
/// of activities reads it once).
#[derive(Debug, Clone)]
pub struct Scorer {
    pub rules: Vec<Rule>,
    pub limits: Limits,
    pub thresholds: Vec<Threshold>,
}

impl Scorer {
    /// Reads the active rules, the limits and the thresholds of `ws`.
    pub async fn load(tx: &mut Tx, ws: WorkspaceId) -> DbResult<Scorer> {
        let rules: Vec<Rule> = with_tx!(tx, c => {
            sqlx::query_as::<_, Rule>(concat!("SELECT ", rule_columns!(),
                " FROM scoring_rules WHERE workspace_id = $1 AND active ORDER BY position, id"))
                .bind(ws.0).fetch_all(&mut *c).await?
        });
        let limits: Option<LimitsRow> = with_tx!(tx, c => {
            sqlx::query_as("SELECT fit_cap, engagement_cap, total_cap, floor FROM scoring_settings WHERE workspace_id = $1")
                .bind(ws.0).fetch_optional(&mut *c).await?
        });
        let thresholds: Vec<Threshold> = with_tx!(tx, c => {
            sqlx::query_as::<_, Threshold>(concat!("SELECT ", threshold_columns!(),
                " FROM score_thresholds WHERE workspace_id = $1 ORDER BY enter_score, id"))
                .bind(ws.0).fetch_all(&mut *c).await?
        });
        let limits = limits
            .map(|(f, e, t, floor)| Limits {
                fit_cap: f.map(i64::from),
                engagement_cap: e.map(i64::from),
                total_cap: t.map(i64::from),
                floor: i64::from(floor),
            })
            .unwrap_or_default();
        Ok(Scorer {
            rules,
            limits,
            thresholds,
        })
    }
}

/// Records one activity with its `activity.recorded` event (and
/// `contact.first_visit` for a contact's first visit) and scores it, in
/// the caller's transaction. A used idempotency key records nothing and
/// answers the earlier activity. [`record_activities`] for a batch.
pub async fn record_activity(
    tx: &mut Tx,
    ws: WorkspaceId,
    scorer: &Scorer,
    a: &NewActivity,
    actor: &Actor,
    now: Ts,
) -> DbResult<Recorded> {
    record_activities(tx, ws, scorer, std::slice::from_ref(a), actor, now)
        .await?
        .pop()
        .ok_or(DbError::NotFound("activity"))
}

/// Whether the contact is the workspace's (in a transaction).
pub async fn contact_exists(tx: &mut Tx, ws: WorkspaceId, id: ContactId) -> DbResult<bool> {
    let hit: Option<i32> = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT 1 FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    });
    Ok(hit.is_some())
}

/// Which of these contacts are the workspace's (in a transaction). One
/// count per ~1,000 ids, and the ids themselves only when some are missing
/// (each row returned costs a hand-off in sqlx's SQLite driver).
pub async fn existing_contacts(
    tx: &mut Tx,
    ws: WorkspaceId,
    ids: &[ContactId],
) -> DbResult<std::collections::HashSet<Uuid>> {
    let mut found = std::collections::HashSet::with_capacity(ids.len());
    let mut unique: Vec<Uuid> = ids.iter().map(|c| c.0).collect();
    unique.sort_unstable();
    unique.dedup();
    for r in crate::placeholders::steady_chunks(unique.len(), crate::placeholders::STEADY_LIST) {
        let group = &unique[r];
        let mut m = crate::placeholders::Marks::new(tx);
        let sql = format!(
            // The workspace as an expression: see `batch::lock_scores`.
            "SELECT COUNT(*) FROM contacts WHERE COALESCE(workspace_id, workspace_id) = {} AND id IN ({})",
            m.one(),
            m.list(group.len())
        );
        let n: i64 = with_tx!(tx, c => {
            // Only placeholders are formatted into the text.
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for id in group {
                q = q.bind(*id);
            }
            q.fetch_one(&mut *c).await?
        });
        if n == group.len() as i64 {
            found.extend(group.iter().copied());
            continue;
        }
        let sql = sql.replacen("COUNT(*)", "id", 1);
        let rows: Vec<Uuid> = with_tx!(tx, c => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for id in group {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        found.extend(rows);
    }
    Ok(found)
}

/// One contact's activities, newest first, after `before` (a cursor:
/// occurred_at and id of the last one shown).
pub async fn list_activities(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
    before: Option<(Ts, Uuid)>,
    limit: i64,
) -> DbResult<Vec<Activity>> {
    let (at, id) = before.unwrap_or((Ts::new(jiff::Timestamp::MAX), Uuid::max()));
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Activity>(concat!("SELECT ", activity_columns!(),
            " FROM activities WHERE workspace_id = $1 AND contact_id = $2
              AND (occurred_at < $3 OR (occurred_at = $3 AND id < $4))
              ORDER BY occurred_at DESC, id DESC LIMIT $5"))
            .bind(ws.0).bind(contact.0).bind(at).bind(id).bind(limit).fetch_all(p).await?
    }))
}

// ----------------------------------------------------------------- ledger

/// One ledger line to apply.
#[derive(Debug, Clone)]
pub struct Line {
    /// A rule id, `workflow`, `manual` or `decay:<rule id>`.
    pub rule_key: String,
    /// What it is for, unique per contact and rule: an activity id, a step
    /// run, `once`, a decay period.
    pub source_key: String,
    /// As the rule gives them (before caps and floor).
    pub points: i64,
    pub group: Group,
    pub reason: String,
    pub activity_id: Option<Uuid>,
}

/// What applying a line did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub old: i64,
    pub new: i64,
    /// The points written (after caps and floor).
    pub points: i64,
}

/// Applies one ledger line to a contact, in the caller's transaction:
/// locks the contact, skips a line of an every-N-days rule younger than N
/// days, clamps the points (caps, floor), writes the ledger row — whose
/// unique key decides whether anything happens (`None`: a replay, or
/// skipped) — then the cached scores, `contact.score_changed`, and the
/// thresholds the change crosses.
#[expect(
    clippy::too_many_arguments,
    reason = "one line, its scorer and its context"
)]
pub async fn apply_points(
    tx: &mut Tx,
    ws: WorkspaceId,
    scorer: &Scorer,
    contact: ContactId,
    line: &Line,
    every_days: Option<i32>,
    actor: &Actor,
    now: Ts,
) -> DbResult<Option<Applied>> {
    // The lock first: concurrent writers on one contact queue here.
    let row: Option<(i32, i32, i32)> = with_tx!(tx, c => {
        sqlx::query_as(
            "UPDATE contacts SET updated_at = updated_at WHERE workspace_id = $1 AND id = $2
             RETURNING score, score_fit, score_engagement")
            .bind(ws.0).bind(contact.0).fetch_optional(&mut *c).await?
    });
    let (total, fit, engagement) = row.ok_or(DbError::NotFound("contact"))?;
    let scores = Scores {
        total: i64::from(total),
        fit: i64::from(fit),
        engagement: i64::from(engagement),
    };
    if let Some(n) = every_days {
        let since = Ts::new(now.0 - jiff::SignedDuration::from_hours(24 * i64::from(n)));
        let recent: Option<i32> = with_tx!(tx, c => {
            sqlx::query_scalar(
                "SELECT 1 FROM score_ledger WHERE workspace_id = $1 AND rule_key = $2 AND contact_id = $3 AND at > $4 LIMIT 1")
                .bind(ws.0).bind(&line.rule_key).bind(contact.0).bind(since).fetch_optional(&mut *c).await?
        });
        if recent.is_some() {
            return Ok(None);
        }
    }
    let points = rules::clamp(line.points, line.group, scores, &scorer.limits);
    let points32 = i32::try_from(points).unwrap_or(0);
    let written = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO score_ledger (workspace_id, contact_id, rule_key, source_key, points, grp, reason, activity_id, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING")
            .bind(ws.0).bind(contact.0).bind(&line.rule_key).bind(&line.source_key).bind(points32)
            .bind(line.group.as_str()).bind(&line.reason).bind(line.activity_id).bind(now)
            .execute(&mut *c).await?.rows_affected()
    });
    if written == 0 {
        return Ok(None);
    }
    let old = scores.total;
    let new = old + i64::from(points32);
    if points32 != 0 {
        let sql = match line.group {
            Group::Fit => {
                "UPDATE contacts SET score = score + $3, score_fit = score_fit + $3, updated_at = $4
                 WHERE workspace_id = $1 AND id = $2"
            }
            Group::Engagement => {
                "UPDATE contacts SET score = score + $3, score_engagement = score_engagement + $3, updated_at = $4
                 WHERE workspace_id = $1 AND id = $2"
            }
        };
        with_tx!(tx, c => {
            sqlx::query(sql).bind(ws.0).bind(contact.0).bind(points32).bind(now).execute(&mut *c).await?;
        });
        let event = NewEvent {
            workspace: ws,
            kind: EventKind::ContactScoreChanged.as_str(),
            entity_type: "contact",
            entity_id: Some(contact.to_string()),
            actor,
            data: serde_json::json!({
                "old": old, "new": new, "delta": points32, "reason": line.reason,
                "rule": line.rule_key, "source": line.source_key,
            }),
        };
        insert_event(tx, &event, now).await?;
        cross_thresholds(tx, ws, &scorer.thresholds, contact, old, new, actor, now).await?;
    }
    Ok(Some(Applied {
        old,
        new,
        points: i64::from(points32),
    }))
}

/// A workflow's `change_score` step (or any other line outside rules),
/// through the ledger: `rule_key` (`workflow`, `manual`) and `source_key`
/// (the step run) make a retried step score once. Engagement group.
#[expect(clippy::too_many_arguments, reason = "one change and its context")]
pub async fn change_score(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    delta: i64,
    rule_key: &str,
    source_key: &str,
    reason: &str,
    actor: &Actor,
    now: Ts,
) -> DbResult<Option<Applied>> {
    let scorer = Scorer::load(tx, ws).await?;
    let line = Line {
        rule_key: rule_key.to_string(),
        source_key: source_key.to_string(),
        points: delta,
        group: Group::Engagement,
        reason: reason.to_string(),
        activity_id: None,
    };
    apply_points(tx, ws, &scorer, contact, &line, None, actor, now).await
}

/// The cached scores of a contact.
pub async fn scores_of(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Option<Scores>> {
    let row: Option<(i32, i32, i32)> = with_pool!(db, p => {
        sqlx::query_as("SELECT score, score_fit, score_engagement FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).fetch_optional(p).await?
    });
    Ok(row.map(|(t, f, e)| Scores {
        total: i64::from(t),
        fit: i64::from(f),
        engagement: i64::from(e),
    }))
}

/// A contact's total score, in a transaction (0 when unknown).
pub async fn scores_of_tx(tx: &mut Tx, ws: WorkspaceId, contact: ContactId) -> DbResult<i64> {
    let row: Option<i32> = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT score FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).fetch_optional(&mut *c).await?
    });
    Ok(row.map(i64::from).unwrap_or(0))
}

/// One line of a contact's ledger.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct LedgerLine {
    pub rule_key: String,
    pub source_key: String,
    pub points: i32,
    pub grp: String,
    pub reason: String,
    pub activity_id: Option<Uuid>,
    pub at: Ts,
}

/// The lines that make a contact's score, newest first ("¿Por qué 72?").
pub async fn list_ledger(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
    limit: i64,
) -> DbResult<Vec<LedgerLine>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, LedgerLine>(
            "SELECT rule_key, source_key, points, grp, reason, activity_id, at FROM score_ledger
             WHERE workspace_id = $1 AND contact_id = $2 AND points <> 0
             ORDER BY at DESC, rule_key DESC, source_key DESC LIMIT $3")
            .bind(ws.0).bind(contact.0).bind(limit).fetch_all(p).await?
    }))
}

/// Contacts whose cached score differs from their ledger's sum (the
/// invariant; empty when it holds), with both values.
pub async fn ledger_mismatches(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<(Uuid, i64, i64)>> {
    let rows: Vec<(Uuid, i32, i64)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT c.id, c.score, COALESCE((SELECT SUM(l.points) FROM score_ledger l
                                             WHERE l.workspace_id = c.workspace_id AND l.contact_id = c.id), 0)
             FROM contacts c WHERE c.workspace_id = $1")
            .bind(ws.0).fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .filter(|(_, s, sum)| i64::from(*s) != *sum)
        .map(|(id, s, sum)| (id, i64::from(s), sum))
        .collect())
}

// ------------------------------------------------------------------ rules

/// A stored scoring rule.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rule {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub on_type: String,
    pub filter: String,
    pub points: i32,
    pub frequency: String,
    pub every_days: Option<i32>,
    pub grp: String,
    pub active: bool,
    pub position: i32,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl Rule {
    pub fn frequency(&self) -> Frequency {
        Frequency::from_stored(&self.frequency, self.every_days)
    }

    pub fn group(&self) -> Group {
        Group::parse(&self.grp).unwrap_or(Group::Engagement)
    }

    pub fn filter_map(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.filter).unwrap_or_default()
    }

    /// The API form (`POST /api/v1/scoring/rules` reads the same shape).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "name": self.name,
            "on": {"type": self.on_type, "filter": self.filter_map()},
            "points": self.points, "frequency": self.frequency().to_json(),
            "group": self.grp, "active": self.active, "position": self.position,
            "created_at": self.created_at, "updated_at": self.updated_at,
        })
    }
}

/// Adds a rule at the end of the workspace's list.
pub async fn insert_rule(tx: &mut Tx, ws: WorkspaceId, spec: &RuleSpec, now: Ts) -> DbResult<Rule> {
    let id = ScoringRuleId::new();
    let (frequency, every_days) = spec.frequency.stored();
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Rule>(concat!(
            "INSERT INTO scoring_rules (", rule_columns!(), ")
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                     (SELECT COUNT(*) + 1 FROM scoring_rules WHERE workspace_id = $2), $11, $11)
             RETURNING ", rule_columns!()))
            .bind(id.0).bind(ws.0).bind(&spec.name).bind(&spec.on_type)
            .bind(serde_json::Value::Object(spec.filter.clone()).to_string())
            .bind(i32::try_from(spec.points).unwrap_or(0)).bind(frequency).bind(every_days)
            .bind(spec.group.as_str()).bind(spec.active).bind(now)
            .fetch_one(&mut *c).await?
    }))
}

/// Replaces a rule's definition (applies forward: the ledger keeps what
/// was applied). `None` when it is not the workspace's.
pub async fn update_rule(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ScoringRuleId,
    spec: &RuleSpec,
    now: Ts,
) -> DbResult<Option<Rule>> {
    let (frequency, every_days) = spec.frequency.stored();
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Rule>(concat!(
            "UPDATE scoring_rules SET name = $3, on_type = $4, filter = $5, points = $6, frequency = $7,
                    every_days = $8, grp = $9, active = $10, updated_at = $11
             WHERE workspace_id = $1 AND id = $2 RETURNING ", rule_columns!()))
            .bind(ws.0).bind(id.0).bind(&spec.name).bind(&spec.on_type)
            .bind(serde_json::Value::Object(spec.filter.clone()).to_string())
            .bind(i32::try_from(spec.points).unwrap_or(0)).bind(frequency).bind(every_days)
            .bind(spec.group.as_str()).bind(spec.active).bind(now)
            .fetch_optional(&mut *c).await?
    }))
}

/// Deletes a rule (its ledger lines stay: they are history). Whether it
/// was there.
pub async fn delete_rule(tx: &mut Tx, ws: WorkspaceId, id: ScoringRuleId) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("DELETE FROM scoring_rules WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?.rows_affected() > 0
    }))
}

pub async fn find_rule(
    db: &crate::Db,
    ws: WorkspaceId,
    id: ScoringRuleId,
) -> DbResult<Option<Rule>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Rule>(concat!("SELECT ", rule_columns!(), " FROM scoring_rules WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// Every rule of the workspace, in their order.
pub async fn list_rules(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<Rule>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Rule>(concat!("SELECT ", rule_columns!(),
            " FROM scoring_rules WHERE workspace_id = $1 ORDER BY position, id"))
            .bind(ws.0).fetch_all(p).await?
    }))
}

/// Sets the caps and floor.
pub async fn set_limits(tx: &mut Tx, ws: WorkspaceId, l: &Limits, now: Ts) -> DbResult<()> {
    let n = |v: Option<i64>| v.and_then(|v| i32::try_from(v).ok());
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO scoring_settings (workspace_id, fit_cap, engagement_cap, total_cap, floor, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (workspace_id) DO UPDATE SET fit_cap = $2, engagement_cap = $3, total_cap = $4,
                 floor = $5, updated_at = $6")
            .bind(ws.0).bind(n(l.fit_cap)).bind(n(l.engagement_cap)).bind(n(l.total_cap))
            .bind(i32::try_from(l.floor).unwrap_or(0)).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}

// ------------------------------------------------------------- thresholds

/// A score threshold: enter at `score >= enter_score`, leave at
/// `score <= exit_score`.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Threshold {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub enter_score: i32,
    pub exit_score: i32,
    pub created_at: Ts,
}

/// Enters or leaves the thresholds a change from `old` to `new` crosses,
/// writing `score.threshold_entered` / `score.threshold_exited`.
#[expect(clippy::too_many_arguments, reason = "one change and its context")]
pub(crate) async fn cross_thresholds(
    tx: &mut Tx,
    ws: WorkspaceId,
    thresholds: &[Threshold],
    contact: ContactId,
    old: i64,
    new: i64,
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    for t in thresholds {
        let changed = match rules::crossing(old, new, t.enter_score.into(), t.exit_score.into()) {
            Crossing::None => continue,
            Crossing::MayEnter => with_tx!(tx, c => {
                sqlx::query(
                    "INSERT INTO score_threshold_members (workspace_id, threshold_id, contact_id, entered_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                    .bind(ws.0).bind(t.id).bind(contact.0).bind(now).execute(&mut *c).await?.rows_affected()
            }),
            Crossing::MayExit => with_tx!(tx, c => {
                sqlx::query(
                    "DELETE FROM score_threshold_members WHERE workspace_id = $1 AND threshold_id = $2 AND contact_id = $3")
                    .bind(ws.0).bind(t.id).bind(contact.0).execute(&mut *c).await?.rows_affected()
            }),
        };
        if changed > 0 {
            let kind = if new > old {
                EventKind::ScoreThresholdEntered
            } else {
                EventKind::ScoreThresholdExited
            };
            threshold_event(tx, ws, t, kind, contact, new, actor, now).await?;
        }
    }
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "one event and its context")]
async fn threshold_event(
    tx: &mut Tx,
    ws: WorkspaceId,
    t: &Threshold,
    kind: EventKind,
    contact: ContactId,
    score: i64,
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    let event = NewEvent {
        workspace: ws,
        kind: kind.as_str(),
        entity_type: "contact",
        entity_id: Some(contact.to_string()),
        actor,
        data: serde_json::json!({
            "contact_id": contact, "threshold_id": t.id, "name": t.name, "score": score,
            "enter": t.enter_score, "exit": t.exit_score,
        }),
    };
    insert_event(tx, &event, now).await?;
    Ok(())
}

/// Adds a threshold and queues the job that enters the contacts already
/// above it.
pub async fn insert_threshold(
    tx: &mut Tx,
    ws: WorkspaceId,
    name: &str,
    enter: i64,
    exit: i64,
    now: Ts,
) -> DbResult<Threshold> {
    let id = ThresholdId::new();
    let t = with_tx!(tx, c => {
        sqlx::query_as::<_, Threshold>(concat!(
            "INSERT INTO score_thresholds (", threshold_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING ", threshold_columns!()))
            .bind(id.0).bind(ws.0).bind(name).bind(i32::try_from(enter).unwrap_or(i32::MAX))
            .bind(i32::try_from(exit).unwrap_or(i32::MIN)).bind(now)
            .fetch_one(&mut *c).await?
    });
    let job = af_core::jobs::BackfillThreshold { threshold_id: t.id };
    crate::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    Ok(t)
}

pub async fn list_thresholds(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<Threshold>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Threshold>(concat!("SELECT ", threshold_columns!(),
            " FROM score_thresholds WHERE workspace_id = $1 ORDER BY enter_score, id"))
            .bind(ws.0).fetch_all(p).await?
    }))
}

/// Enters every contact at or above the threshold that is not inside yet
/// (one statement; each entry writes its event). Running it again enters
/// nobody twice. The number entered.
pub async fn backfill_threshold(
    db: &crate::Db,
    ws: WorkspaceId,
    id: ThresholdId,
    now: Ts,
) -> DbResult<usize> {
    let mut tx = db.begin().await?;
    let t: Option<Threshold> = with_tx!(&mut tx, c => {
        sqlx::query_as::<_, Threshold>(concat!("SELECT ", threshold_columns!(),
            " FROM score_thresholds WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    });
    let Some(t) = t else {
        return Ok(0);
    };
    let entered: Vec<(Uuid, i32)> = with_tx!(&mut tx, c => {
        sqlx::query_as(
            "INSERT INTO score_threshold_members (workspace_id, threshold_id, contact_id, entered_at)
             SELECT c.workspace_id, $2, c.id, $4 FROM contacts c
             WHERE c.workspace_id = $1 AND c.score >= $3
             ON CONFLICT DO NOTHING
             RETURNING contact_id, (SELECT score FROM contacts s WHERE s.workspace_id = $1 AND s.id = contact_id)")
            .bind(ws.0).bind(t.id).bind(t.enter_score).bind(now).fetch_all(&mut *c).await?
    });
    let actor = Actor::system();
    for (contact, score) in &entered {
        let kind = EventKind::ScoreThresholdEntered;
        threshold_event(
            &mut tx,
            ws,
            &t,
            kind,
            ContactId(*contact),
            i64::from(*score),
            &actor,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(entered.len())
}

/// Contacts inside a threshold who entered since `since` (the dashboard's
/// "crossed this week"), newest first.
pub async fn entered_since(
    db: &crate::Db,
    ws: WorkspaceId,
    since: Ts,
) -> DbResult<Vec<(Uuid, Uuid, Ts)>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as(
            "SELECT threshold_id, contact_id, entered_at FROM score_threshold_members
             WHERE workspace_id = $1 AND entered_at >= $2 ORDER BY entered_at DESC")
            .bind(ws.0).bind(since).fetch_all(p).await?
    }))
}

/// One contact who entered a threshold (the dashboard's "crossed this
/// week").
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Crossed {
    pub contact_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub score: i32,
    pub threshold: String,
    pub entered_at: Ts,
}

/// Contacts still inside a threshold they entered since `since`, newest
/// first, with their names and the threshold's, at most `limit`.
pub async fn crossed_since(
    db: &crate::Db,
    ws: WorkspaceId,
    since: Ts,
    limit: i64,
) -> DbResult<Vec<Crossed>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Crossed>(
            "SELECT m.contact_id, c.first_name, c.last_name, c.score, t.name AS threshold, m.entered_at
             FROM score_threshold_members m
             JOIN contacts c ON c.workspace_id = m.workspace_id AND c.id = m.contact_id
             JOIN score_thresholds t ON t.workspace_id = m.workspace_id AND t.id = m.threshold_id
             WHERE m.workspace_id = $1 AND m.entered_at >= $2
             ORDER BY m.entered_at DESC, m.contact_id LIMIT $3")
            .bind(ws.0).bind(since).bind(limit).fetch_all(p).await?
    }))
}

/// Whether a contact is inside a threshold.
pub async fn is_member(
    db: &crate::Db,
    ws: WorkspaceId,
    threshold: Uuid,
    contact: ContactId,
) -> DbResult<bool> {
    let hit: Option<i32> = with_pool!(db, p => {
        sqlx::query_scalar("SELECT 1 FROM score_threshold_members WHERE workspace_id = $1 AND threshold_id = $2 AND contact_id = $3")
            .bind(ws.0).bind(threshold).bind(contact.0).fetch_optional(p).await?
    });
    Ok(hit.is_some())
}

// -------------------------------------------------------------- dashboard

/// One of the top leads: the contact, its score and the reason of its
/// newest scoring line.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct TopLead {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub owner_id: Option<Uuid>,
    pub score: i32,
    pub last_reason: Option<String>,
}

/// The `limit` best-scored contacts (index `(workspace_id, score DESC)`).
pub async fn top_leads(db: &crate::Db, ws: WorkspaceId, limit: i64) -> DbResult<Vec<TopLead>> {
    Ok(with_pool!(db, p => {
        // The leads first, through the (workspace, score DESC) index; the
        // last reason only for them. With the subquery in the same SELECT,
        // SQLite computed it for every contact before the LIMIT (0.7 s at
        // 100k contacts).
        sqlx::query_as::<_, TopLead>(
            "WITH top AS MATERIALIZED (SELECT id, workspace_id, first_name, last_name, owner_id, score FROM contacts
                          WHERE workspace_id = $1 ORDER BY score DESC, id LIMIT $2)
             SELECT c.id, c.first_name, c.last_name, c.owner_id, c.score,
                    (SELECT l.reason FROM score_ledger l WHERE l.workspace_id = c.workspace_id
                       AND l.contact_id = c.id AND l.points <> 0 ORDER BY l.at DESC LIMIT 1) AS last_reason
             FROM top c ORDER BY c.score DESC, c.id")
            .bind(ws.0).bind(limit).fetch_all(p).await?
    }))
}

/// How many contacts have a score in each bucket of `width` points:
/// `(bucket start, count)`, ascending.
pub async fn score_histogram(
    db: &crate::Db,
    ws: WorkspaceId,
    width: i64,
) -> DbResult<Vec<(i64, i64)>> {
    let width = i32::try_from(width.max(1)).unwrap_or(10);
    let rows: Vec<(i32, i64)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT (CASE WHEN score >= 0 THEN score / $2 ELSE (score - $2 + 1) / $2 END) * $2 AS b, COUNT(*)
             FROM contacts WHERE workspace_id = $1 GROUP BY b ORDER BY b")
            .bind(ws.0).bind(width).fetch_all(p).await?
    });
    Ok(rows.into_iter().map(|(b, n)| (i64::from(b), n)).collect())
}

/// The stage of each contact's newest open deal (`(contact, stage name)`),
/// for a page's contacts in one statement.
pub async fn stages_of(
    db: &crate::Db,
    ws: WorkspaceId,
    contacts: &[Uuid],
) -> DbResult<Vec<(Uuid, String)>> {
    let mut out = Vec::new();
    for chunk in contacts.chunks(500) {
        let q = format!(
            "SELECT d.contact_id, s.name FROM deals d JOIN stages s ON s.workspace_id = d.workspace_id AND s.id = d.stage_id
             WHERE d.workspace_id = $1 AND d.contact_id IN ({}) ORDER BY d.created_at DESC, d.id DESC",
            placeholders(chunk.len(), 2)
        );
        let rows: Vec<(Uuid, String)> = with_pool!(db, p => {
            // Only placeholders are formatted into the text; ids are bound.
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(q.clone())).bind(ws.0);
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(p).await?
        });
        for (c, s) in rows {
            if !out.iter().any(|(o, _): &(Uuid, String)| *o == c) {
                out.push((c, s));
            }
        }
    }
    Ok(out)
}

/// `$start, $start+1, ...`: `n` placeholders for an `IN` list.
fn placeholders(n: usize, start: usize) -> String {
    (0..n)
        .map(|i| format!("${}", i + start))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The trend of a page's contacts: the sum of their ledger points since
/// `since` (`(contact, points)`; a contact without lines is absent), in
/// one statement per 500 contacts (the ledger's key leads with
/// `(workspace_id, contact_id)`).
pub async fn trend_since(
    db: &crate::Db,
    ws: WorkspaceId,
    contacts: &[Uuid],
    since: Ts,
) -> DbResult<Vec<(Uuid, i64)>> {
    let mut out = Vec::new();
    for chunk in contacts.chunks(500) {
        let q = format!(
            "SELECT contact_id, SUM(points) FROM score_ledger
             WHERE workspace_id = $1 AND at >= $2 AND contact_id IN ({})
             GROUP BY contact_id",
            placeholders(chunk.len(), 3)
        );
        let rows: Vec<(Uuid, i64)> = with_pool!(db, p => {
            // Only placeholders are formatted into the text; ids are bound.
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(q.clone())).bind(ws.0).bind(since);
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(p).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// The workspace's caps and floor (the defaults when never set).
pub async fn limits(db: &crate::Db, ws: WorkspaceId) -> DbResult<Limits> {
    let row: Option<LimitsRow> = with_pool!(db, p => {
        sqlx::query_as("SELECT fit_cap, engagement_cap, total_cap, floor FROM scoring_settings WHERE workspace_id = $1")
            .bind(ws.0).fetch_optional(p).await?
    });
    Ok(row
        .map(|(f, e, t, floor)| Limits {
            fit_cap: f.map(i64::from),
            engagement_cap: e.map(i64::from),
            total_cap: t.map(i64::from),
            floor: i64::from(floor),
        })
        .unwrap_or_default())
}

// ------------------------------------------------------------------ decay

/// Applies every active inactivity rule of `ws` for the period `today`
/// (a local date in the workspace's zone) falls in: one ledger row per
/// inactive contact (no engagement activity and created more than N days
/// ago), rule and period, in one `INSERT … SELECT`, then one `UPDATE` of
/// the cached scores from the rows that insert wrote (its `batch_id`), and
/// the threshold exits. The floor holds (a loss stops at it); running it
/// again in the same period adds nothing. Rows written.
pub async fn decay_workspace(
    db: &crate::Db,
    ws: WorkspaceId,
    today: jiff::civil::Date,
    now: Ts,
) -> DbResult<u64> {
    let mut tx = db.begin().await?;
    let scorer = Scorer::load(&mut tx, ws).await?;
    let mut total = 0;
    for rule in scorer
        .rules
        .iter()
        .filter(|r| r.on_type == rules::INACTIVITY && r.points < 0)
    {
        let Frequency::EveryDays(days) = rule.frequency() else {
            continue;
        };
        let period = rules::period_start(today, days).to_string();
        let since = Ts::new(now.0 - jiff::SignedDuration::from_hours(24 * i64::from(days)));
        let batch = Uuid::now_v7();
        let rule_key = format!("decay:{}", rule.id);
        let written = with_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO score_ledger (workspace_id, contact_id, rule_key, source_key, points, grp, reason, batch_id, at)
                 SELECT c.workspace_id, c.id, $2, $3,
                        CASE WHEN c.score + $4 >= $5 THEN $4 ELSE $5 - c.score END,
                        $6, $7, $8, $9
                 FROM contacts c
                 WHERE c.workspace_id = $1 AND c.score > $5 AND c.created_at <= $10
                   AND NOT EXISTS (SELECT 1 FROM activities a
                        WHERE a.workspace_id = c.workspace_id AND a.contact_id = c.id
                          AND a.type IN ('message_replied', 'email_opened', 'email_clicked', 'visit')
                          AND a.occurred_at > $10)
                 ON CONFLICT DO NOTHING")
                .bind(ws.0).bind(&rule_key).bind(&period).bind(rule.points)
                .bind(i32::try_from(scorer.limits.floor).unwrap_or(0)).bind(&rule.grp).bind(&rule.name)
                .bind(batch).bind(now).bind(since)
                .execute(&mut *c).await?.rows_affected()
        });
        if written == 0 {
            continue;
        }
        total += written;
        // One join of the batch's rows (UPDATE … FROM: PostgreSQL, and
        // SQLite since 3.33). A correlated subquery per contact found its
        // row through the (workspace, batch) index by scanning the whole
        // batch: quadratic in the contacts decayed.
        let sql = match rule.group() {
            Group::Fit => {
                "UPDATE contacts SET score = contacts.score + l.points,
                    score_fit = contacts.score_fit + l.points, updated_at = $3
                 FROM score_ledger l
                 WHERE l.workspace_id = $1 AND l.batch_id = $2
                   AND contacts.workspace_id = $1 AND contacts.id = l.contact_id"
            }
            Group::Engagement => {
                "UPDATE contacts SET score = contacts.score + l.points,
                    score_engagement = contacts.score_engagement + l.points, updated_at = $3
                 FROM score_ledger l
                 WHERE l.workspace_id = $1 AND l.batch_id = $2
                   AND contacts.workspace_id = $1 AND contacts.id = l.contact_id"
            }
        };
        with_tx!(&mut tx, c => {
            sqlx::query(sql).bind(ws.0).bind(batch).bind(now).execute(&mut *c).await?;
        });
        // Decay only lowers scores: only exits can follow.
        let actor = Actor::system();
        for t in &scorer.thresholds {
            let left: Vec<(Uuid, i32)> = with_tx!(&mut tx, c => {
                sqlx::query_as(
                    "DELETE FROM score_threshold_members
                     WHERE workspace_id = $1 AND threshold_id = $2
                       AND contact_id IN (SELECT id FROM contacts WHERE workspace_id = $1 AND score <= $3)
                     RETURNING contact_id, (SELECT score FROM contacts s WHERE s.workspace_id = $1 AND s.id = contact_id)")
                    .bind(ws.0).bind(t.id).bind(t.exit_score).fetch_all(&mut *c).await?
            });
            for (contact, score) in left {
                let kind = EventKind::ScoreThresholdExited;
                threshold_event(
                    &mut tx,
                    ws,
                    t,
                    kind,
                    ContactId(contact),
                    score.into(),
                    &actor,
                    now,
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(total)
}

/// The workspaces with an active inactivity rule, with their time zones
/// (the decay job's list).
pub async fn workspaces_with_decay(db: &crate::Db) -> DbResult<Vec<(WorkspaceId, String)>> {
    let rows: Vec<(Uuid, String)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT w.id, w.time_zone FROM workspaces w
             WHERE EXISTS (SELECT 1 FROM scoring_rules r WHERE r.workspace_id = w.id AND r.on_type = 'inactivity' AND r.active)")
            .fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, tz)| (WorkspaceId(id), tz))
        .collect())
}

// --------------------------------------------------------------- defaults

/// The defaults of a new workspace (the third seed's rules): engagement
/// points per visit, class, purchase, open, form and reply, −5 per week
/// without engagement, and "Hot Lead" at 70 (leaving at 60). Also makes
/// scoring hear the product's own events (they become activities).
pub async fn seed_defaults(tx: &mut Tx, ws: WorkspaceId, now: Ts) -> DbResult<()> {
    let rule = |name: &str, on: &str, points: i64, frequency| RuleSpec {
        name: name.into(),
        on_type: on.into(),
        filter: serde_json::Map::new(),
        points,
        frequency,
        group: Group::Engagement,
        active: true,
    };
    let defaults = [
        rule("Visita registrada", "visit", 10, Frequency::Always),
        rule("Clase reservada", "class_booked", 15, Frequency::Always),
        rule("Compra", "purchase", 25, Frequency::Always),
        rule("Email abierto", "email_opened", 5, Frequency::Always),
        rule(
            "Formulario enviado",
            "form_submitted",
            20,
            Frequency::Always,
        ),
        rule(
            "Respondió un mensaje",
            "message_replied",
            15,
            Frequency::Always,
        ),
        rule(
            "Semana sin respuesta",
            rules::INACTIVITY,
            -5,
            Frequency::EveryDays(7),
        ),
    ];
    for spec in &defaults {
        insert_rule(tx, ws, spec, now).await?;
    }
    with_tx!(tx, c => {
        sqlx::query(concat!(
            "INSERT INTO score_thresholds (", threshold_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(ThresholdId::new().0).bind(ws.0).bind("Hot Lead").bind(70_i32).bind(60_i32).bind(now)
            .execute(&mut *c).await?;
    });
    listen_to_product_events(tx, ws).await
}

/// The product events that become activities, with their activity types.
pub const PRODUCT_EVENTS: &[(EventKind, &str)] = &[
    (EventKind::FormSubmitted, "form_submitted"),
    (EventKind::AppointmentBooked, "appointment_booked"),
    (EventKind::AppointmentCompleted, "appointment_attended"),
    (EventKind::MessageInbound, "message_replied"),
];

/// Makes scoring hear [`PRODUCT_EVENTS`] in `ws`.
pub async fn listen_to_product_events(tx: &mut Tx, ws: WorkspaceId) -> DbResult<()> {
    for (kind, _) in PRODUCT_EVENTS {
        crate::subscriptions::add(tx, ws, af_core::events::Subscriber::Scoring, kind.as_str())
            .await?;
    }
    Ok(())
}
