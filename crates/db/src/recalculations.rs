//! "Recalculate scores": every line of the ledger that an activity made is
//! derived again from the contact's activities under the current rules
//! (rule edits otherwise apply forward only), a batch of contacts per
//! transaction. Lines no activity made — decay, workflow steps, the
//! opening line of old scores — are kept and counted first. The cached
//! scores are set to the new sums in the same transaction (so cache ==
//! ledger holds after every batch), a contact whose total changed gets one
//! `contact.score_changed` and the threshold crossings of old → new total.
//!
//! The run is a row of `scoring_recalculations` with its progress and its
//! cursor (the last contact id done): the job resumes after the last
//! committed batch. The replay itself is pure: `af_core::scoring::replay`.

use crate::events::{NewEvent, insert_event};
use crate::placeholders::{max_binds, placeholder_list, placeholder_rows};
use crate::scoring::{Scorer, cross_thresholds};
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::scoring::{self as rules, Group, ReplayActivity, ReplayRule, Scores};
use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, WorkspaceId};
use std::collections::HashMap;
use uuid::Uuid;

/// Contacts per transaction: small enough that other writers wait little
/// and progress moves, large enough that the statements per batch (a
/// handful, multi-row) amortise.
pub const BATCH_CONTACTS: usize = 500;

/// Status of a run.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Recalculation {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub status: String,
    pub total: i32,
    pub processed: i32,
    /// Contacts whose total changed.
    pub changed: i32,
    #[serde(skip)]
    pub cursor: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: Ts,
    pub finished_at: Option<Ts>,
}

impl Recalculation {
    pub fn is_finished(&self) -> bool {
        self.status == status::DONE
    }

    /// Progress in whole percent.
    pub fn percent(&self) -> i32 {
        if self.total <= 0 {
            return if self.is_finished() { 100 } else { 0 };
        }
        ((i64::from(self.processed) * 100) / i64::from(self.total)).clamp(0, 100) as i32
    }

    /// The API form.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "status": self.status, "total": self.total,
            "processed": self.processed, "changed": self.changed, "percent": self.percent(),
            "created_at": self.created_at, "finished_at": self.finished_at,
        })
    }
}

macro_rules! recalc_columns {
    () => {
        "id, workspace_id, status, total, processed, changed, cursor, created_by, created_at, finished_at"
    };
}

/// Queues a run and its job, in the caller's transaction; `Ok(None)` when
/// one is already queued or running (the partial unique index decides, so
/// two nodes cannot both start one).
pub async fn start(
    tx: &mut Tx,
    ws: WorkspaceId,
    by: Option<af_core::UserId>,
    now: Ts,
) -> DbResult<Option<Recalculation>> {
    let id = Uuid::now_v7();
    let total: i64 = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE workspace_id = $1")
            .bind(ws.0).fetch_one(&mut *c).await?
    });
    let row: Option<Recalculation> = with_tx!(tx, c => {
        sqlx::query_as::<_, Recalculation>(concat!(
            "INSERT INTO scoring_recalculations (id, workspace_id, status, total, processed, changed, created_by, created_at)
             VALUES ($1, $2, $3, $4, 0, 0, $5, $6)
             ON CONFLICT (workspace_id) WHERE status IN ('queued', 'running') DO NOTHING
             RETURNING ", recalc_columns!()))
            .bind(id).bind(ws.0).bind(status::QUEUED).bind(i32::try_from(total).unwrap_or(i32::MAX))
            .bind(by.map(|u| u.0)).bind(now).fetch_optional(&mut *c).await?
    });
    if let Some(r) = &row {
        let job = af_core::jobs::RecalculateScores {
            recalculation_id: r.id,
        };
        crate::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    }
    Ok(row)
}

pub async fn find(db: &crate::Db, ws: WorkspaceId, id: Uuid) -> DbResult<Option<Recalculation>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Recalculation>(concat!("SELECT ", recalc_columns!(),
            " FROM scoring_recalculations WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id).fetch_optional(p).await?
    }))
}

/// The workspace's latest run, if any.
pub async fn latest(db: &crate::Db, ws: WorkspaceId) -> DbResult<Option<Recalculation>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Recalculation>(concat!("SELECT ", recalc_columns!(),
            " FROM scoring_recalculations WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"))
            .bind(ws.0).fetch_optional(p).await?
    }))
}

/// Runs the next batch of a run in one transaction; `Ok(true)` while
/// contacts remain. A finished (or unknown) run does nothing.
pub async fn run_batch(db: &crate::Db, ws: WorkspaceId, id: Uuid, now: Ts) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let run: Option<Recalculation> = with_tx!(tx, c => {
        sqlx::query_as::<_, Recalculation>(concat!("SELECT ", recalc_columns!(),
            " FROM scoring_recalculations WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id).fetch_optional(&mut *c).await?
    });
    let Some(run) = run.filter(|r| !r.is_finished()) else {
        return Ok(false);
    };
    let after = run.cursor.unwrap_or(Uuid::nil());
    let ids: Vec<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT id FROM contacts WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3")
            .bind(ws.0).bind(after).bind(BATCH_CONTACTS as i64).fetch_all(&mut *c).await?
    });
    let changed = if ids.is_empty() {
        0
    } else {
        recalculate_contacts(&mut tx, ws, &ids, now).await?
    };
    let more = ids.len() == BATCH_CONTACTS;
    let state = if more { status::RUNNING } else { status::DONE };
    let cursor = ids.last().copied().or(run.cursor);
    let processed = run
        .processed
        .saturating_add(i32::try_from(ids.len()).unwrap_or(0));
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE scoring_recalculations SET status = $3, processed = $4, changed = changed + $5, cursor = $6,
                    total = CASE WHEN $4 > total THEN $4 ELSE total END, finished_at = $7
             WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id).bind(state).bind(processed).bind(changed)
            .bind(cursor).bind(if more { None } else { Some(now) })
            .execute(&mut *c).await?;
    });
    tx.commit().await?;
    Ok(more)
}

/// One activity of the batch, as read.
#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: Uuid,
    contact_id: Uuid,
    #[sqlx(rename = "type")]
    kind: String,
    occurred_at: Ts,
    data: String,
}

/// A ledger line to write.
struct NewLine {
    contact: Uuid,
    rule_key: String,
    source_key: String,
    points: i32,
    group: Group,
    reason: String,
    activity: Uuid,
    at: Ts,
}

/// Recalculates `ids` (the workspace's contacts) in `tx`; the number whose
/// total changed.
pub async fn recalculate_contacts(
    tx: &mut Tx,
    ws: WorkspaceId,
    ids: &[Uuid],
    now: Ts,
) -> DbResult<i32> {
    let scorer = Scorer::load(tx, ws).await?;
    let step = max_binds(tx).saturating_sub(1).max(1);
    // Lock the contacts and read their cached scores: concurrent scoring
    // of these contacts waits for this batch.
    let mut old: HashMap<Uuid, Scores> = HashMap::with_capacity(ids.len());
    for group in ids.chunks(step) {
        let sql = format!(
            "UPDATE contacts SET score = score WHERE workspace_id = $1 AND id IN ({})
             RETURNING id, score, score_fit, score_engagement",
            placeholder_list(group.len(), 2)
        );
        let rows: Vec<(Uuid, i32, i32, i32)> = with_tx!(tx, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for id in group {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        for (id, total, fit, engagement) in rows {
            let s = Scores {
                total: total.into(),
                fit: fit.into(),
                engagement: engagement.into(),
            };
            old.insert(id, s);
        }
    }
    // What the kept lines (no activity) sum to, per contact and group.
    let mut kept: HashMap<Uuid, Scores> = HashMap::with_capacity(ids.len());
    let mut activities: HashMap<Uuid, Vec<ActivityRow>> = HashMap::new();
    for group in ids.chunks(step) {
        let list = placeholder_list(group.len(), 2);
        let sums_sql = format!(
            "SELECT contact_id, grp, SUM(points) FROM score_ledger
             WHERE workspace_id = $1 AND activity_id IS NULL AND contact_id IN ({list})
             GROUP BY contact_id, grp"
        );
        let sums: Vec<(Uuid, String, i64)> = with_tx!(tx, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sums_sql.clone())).bind(ws.0);
            for id in group {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        for (contact, grp, sum) in sums {
            let s = kept.entry(contact).or_default();
            s.total += sum;
            match Group::parse(&grp).unwrap_or(Group::Engagement) {
                Group::Fit => s.fit += sum,
                Group::Engagement => s.engagement += sum,
            }
        }
        let acts_sql = format!(
            "SELECT id, contact_id, type, occurred_at, data FROM activities
             WHERE workspace_id = $1 AND contact_id IN ({list})"
        );
        let rows: Vec<ActivityRow> = with_tx!(tx, c => {
            let mut q = sqlx::query_as::<_, ActivityRow>(sqlx::AssertSqlSafe(acts_sql.clone())).bind(ws.0);
            for id in group {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        for r in rows {
            activities.entry(r.contact_id).or_default().push(r);
        }
        let delete_sql = format!(
            "DELETE FROM score_ledger WHERE workspace_id = $1 AND activity_id IS NOT NULL AND contact_id IN ({list})"
        );
        with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(delete_sql.clone())).bind(ws.0);
            for id in group {
                q = q.bind(*id);
            }
            q.execute(&mut *c).await?;
        });
    }
    let replay_rules: Vec<ReplayRule> = scorer
        .rules
        .iter()
        .map(|r| ReplayRule {
            on_type: r.on_type.clone(),
            filter: r.filter_map(),
            points: i64::from(r.points),
            frequency: r.frequency(),
            group: r.group(),
        })
        .collect();
    let mut lines: Vec<NewLine> = Vec::new();
    let mut changed: Vec<(Uuid, Scores, Scores)> = Vec::new();
    for id in ids {
        let Some(before) = old.get(id).copied() else {
            continue; // deleted meanwhile
        };
        let start = kept.get(id).copied().unwrap_or_default();
        let acts = activities.remove(id).unwrap_or_default();
        let replay: Vec<ReplayActivity> = acts
            .iter()
            .map(|a| ReplayActivity {
                kind: a.kind.clone(),
                occurred_at: a.occurred_at.0,
                data: serde_json::from_str(&a.data).unwrap_or_default(),
            })
            .collect();
        let (made, after) = rules::replay(&replay_rules, &scorer.limits, start, &replay);
        for l in made {
            let (rule, act) = (&scorer.rules[l.rule], &acts[l.activity]);
            lines.push(NewLine {
                contact: *id,
                rule_key: rule.id.to_string(),
                source_key: match rule.frequency() {
                    rules::Frequency::Once => "once".to_string(),
                    _ => act.id.to_string(),
                },
                points: i32::try_from(l.points).unwrap_or(0),
                group: rule.group(),
                reason: rule.name.clone(),
                activity: act.id,
                at: if act.occurred_at.0 < now.0 {
                    act.occurred_at
                } else {
                    now
                },
            });
        }
        if after != before {
            changed.push((*id, before, after));
        }
    }
    for group in lines.chunks((max_binds(tx) / 9).max(1)) {
        let sql = format!(
            "INSERT INTO score_ledger (workspace_id, contact_id, rule_key, source_key, points, grp, reason, activity_id, at)
             VALUES {}",
            placeholder_rows(group.len(), 9, 1)
        );
        with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for l in group {
                q = q.bind(ws.0).bind(l.contact).bind(&l.rule_key).bind(&l.source_key).bind(l.points)
                    .bind(l.group.as_str()).bind(&l.reason).bind(l.activity).bind(l.at);
            }
            q.execute(&mut *c).await?;
        });
    }
    let actor = Actor::system();
    for (id, before, after) in &changed {
        let to32 = |v: i64| i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX });
        with_tx!(tx, c => {
            sqlx::query(
                "UPDATE contacts SET score = $3, score_fit = $4, score_engagement = $5, updated_at = $6
                 WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0).bind(*id).bind(to32(after.total)).bind(to32(after.fit))
                .bind(to32(after.engagement)).bind(now).execute(&mut *c).await?;
        });
        if after.total != before.total {
            let event = NewEvent {
                workspace: ws,
                kind: EventKind::ContactScoreChanged.as_str(),
                entity_type: "contact",
                entity_id: Some(id.to_string()),
                actor: &actor,
                data: serde_json::json!({
                    "old": before.total, "new": after.total, "delta": after.total - before.total,
                    "reason": "recalculation", "rule": "recalculation", "source": "recalculation",
                }),
            };
            insert_event(tx, &event, now).await?;
            cross_thresholds(
                tx,
                ws,
                &scorer.thresholds,
                ContactId(*id),
                before.total,
                after.total,
                &actor,
                now,
            )
            .await?;
        }
    }
    let n = changed
        .iter()
        .filter(|(_, b, a)| a.total != b.total)
        .count();
    Ok(i32::try_from(n).unwrap_or(i32::MAX))
}
