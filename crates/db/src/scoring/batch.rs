//! Recording activities set-based: a batch (one activity or the API's
//! 1,000) is written with a fixed handful of multi-row statements instead
//! of eight to ten statements per activity — the activities, the replays'
//! earlier rows, the first-visit counts, the contacts' scores (locked), the
//! frequency checks, the ledger, the new cached scores and the events.
//! Scoring itself runs in memory, in the batch's order, on the scores read
//! under the lock, so the result is what recording the activities one by
//! one in the same transaction gives.

use super::{Activity, NewActivity, Recorded, Scorer, cross_thresholds};
use crate::events::{NewEvent, insert_events};
use crate::placeholders::{Marks, STEADY_LIST, STEADY_ROWS, steady_chunks};
use crate::{Backend, DbError, DbResult, Ts, Tx, with_tx};
use af_core::scoring::{self as rules, Frequency, Group, Scores};
use af_core::vocab::EventKind;
use af_core::{ActivityId, Actor, ContactId, WorkspaceId};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use uuid::Uuid;

/// Records the activities with their `activity.recorded` events (and
/// `contact.first_visit` for a contact's first visit) and scores them, in
/// the caller's transaction. One answer per item, in order: an item whose
/// idempotency key is already used (earlier, or by an item before it in
/// the batch) records nothing and answers the earlier activity.
pub async fn record_activities(
    tx: &mut Tx,
    ws: WorkspaceId,
    scorer: &Scorer,
    items: &[NewActivity],
    actor: &Actor,
    now: Ts,
) -> DbResult<Vec<Recorded>> {
    let rows: Vec<Activity> = items
        .iter()
        .map(|a| Activity {
            id: ActivityId::new().0,
            workspace_id: ws.0,
            contact_id: a.contact.0,
            kind: a.kind.clone(),
            occurred_at: a.occurred_at,
            source: a.source.clone(),
            data: a.data.to_string(),
            idempotency_key: a.idempotency_key.clone(),
            created_at: now,
        })
        .collect();
    // The keys already used answer their earlier activity; of the new ones
    // the first item with a key records it and later ones replay it.
    // SQLite looks every key up first (no row comes back for a written
    // one); PostgreSQL inserts first and looks up only the keys that
    // conflicted (its look-ups go one key at a time).
    let keys: Vec<&str> = match tx.backend() {
        Backend::Sqlite => rows
            .iter()
            .filter_map(|r| r.idempotency_key.as_deref())
            .collect(),
        Backend::Postgres => Vec::new(),
    };
    let mut earlier = activities_by_key(tx, ws, &keys).await?;
    let mut fresh: Vec<&Activity> = Vec::with_capacity(rows.len());
    let mut claimed: HashSet<&str> = HashSet::new();
    for r in &rows {
        match r.idempotency_key.as_deref() {
            Some(k) if earlier.contains_key(k) || !claimed.insert(k) => {}
            _ => fresh.push(r),
        }
    }
    let inserted = insert_activities(tx, ws, &fresh).await?;
    if inserted.len() < fresh.len() {
        // Another transaction took some of the keys meanwhile (PostgreSQL).
        let late: Vec<&str> = fresh
            .iter()
            .filter(|r| !inserted.contains(&r.id))
            .filter_map(|r| r.idempotency_key.as_deref())
            .collect();
        earlier.extend(activities_by_key(tx, ws, &late).await?);
    }

    let mut out = Vec::with_capacity(rows.len());
    let mut created: Vec<(&Activity, &NewActivity)> = Vec::new();
    for (row, item) in rows.iter().zip(items) {
        if inserted.contains(&row.id) {
            created.push((row, item));
            out.push(Recorded {
                activity: row.clone(),
                created: true,
            });
        } else {
            let key = row.idempotency_key.as_deref().unwrap_or("");
            let first = earlier
                .get(key)
                .or_else(|| {
                    created
                        .iter()
                        .map(|(r, _)| *r)
                        .find(|r| r.idempotency_key.as_deref() == Some(key))
                })
                .ok_or(DbError::NotFound("activity"))?;
            out.push(Recorded {
                activity: first.clone(),
                created: false,
            });
        }
    }

    let mut events: Vec<NewEvent<'_>> = Vec::with_capacity(created.len() * 2);
    let first_visits = first_visits(tx, ws, &created).await?;
    for (row, item) in &created {
        events.push(NewEvent {
            workspace: ws,
            kind: EventKind::ActivityRecorded.as_str(),
            entity_type: "contact",
            entity_id: Some(item.contact.to_string()),
            actor,
            data: serde_json::json!({
                "contact_id": item.contact, "type": item.kind, "activity_id": row.id,
                "occurred_at": item.occurred_at, "data": item.data,
            }),
        });
        if first_visits.contains(&row.id) {
            events.push(NewEvent {
                workspace: ws,
                kind: EventKind::ContactFirstVisit.as_str(),
                entity_type: "contact",
                entity_id: Some(item.contact.to_string()),
                actor,
                data: serde_json::json!({ "contact_id": item.contact, "activity_id": row.id }),
            });
        }
    }
    score(tx, ws, scorer, &created, actor, now, &mut events).await?;
    insert_events(tx, &events, now).await?;
    // Attendance ends a no-attendance alert the moment it is recorded.
    let attended: Vec<ContactId> = created
        .iter()
        .filter(|(_, i)| af_core::retention::ATTENDANCE_TYPES.contains(&i.kind.as_str()))
        .map(|(_, i)| i.contact)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !attended.is_empty() {
        crate::retention::resolve_attended(tx, ws, &attended, actor, now).await?;
    }
    Ok(out)
}

/// Inserts the rows (a used idempotency key skips its row); the ids of
/// the rows written. Nothing comes back when every row is written (the
/// usual case: the keys were checked first) — each row a statement returns
/// is a hand-off between threads in sqlx's SQLite driver.
async fn insert_activities(
    tx: &mut Tx,
    ws: WorkspaceId,
    rows: &[&Activity],
) -> DbResult<HashSet<Uuid>> {
    const COLS: usize = 9;
    let mut written = HashSet::with_capacity(rows.len());
    for r in steady_chunks(rows.len(), STEADY_ROWS) {
        let group = &rows[r];
        let sql = format!(
            "INSERT INTO activities (id, workspace_id, contact_id, type, occurred_at, source, data, idempotency_key, created_at)
             VALUES {} ON CONFLICT (workspace_id, idempotency_key) DO NOTHING",
            Marks::new(tx).rows(group.len(), COLS)
        );
        let n = with_tx!(tx, c => {
            // Only placeholders are formatted into the text.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for r in group {
                q = q.bind(r.id).bind(r.workspace_id).bind(r.contact_id).bind(&r.kind)
                    .bind(r.occurred_at).bind(&r.source).bind(&r.data).bind(&r.idempotency_key)
                    .bind(r.created_at);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
        if n == group.len() as u64 {
            written.extend(group.iter().map(|r| r.id));
            continue;
        }
        let mut m = Marks::new(tx);
        let sql = format!(
            // The workspace as an expression: see `lock_scores`.
            "SELECT id FROM activities WHERE COALESCE(workspace_id, workspace_id) = {} AND id IN ({})",
            m.one(),
            m.list(group.len())
        );
        let ids: Vec<Uuid> = with_tx!(tx, c => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for r in group {
                q = q.bind(r.id);
            }
            q.fetch_all(&mut *c).await?
        });
        written.extend(ids);
    }
    Ok(written)
}

/// The activities holding these idempotency keys, by key.
async fn activities_by_key(
    tx: &mut Tx,
    ws: WorkspaceId,
    keys: &[&str],
) -> DbResult<HashMap<String, Activity>> {
    let mut found = HashMap::with_capacity(keys.len());
    if tx.backend() == Backend::Postgres {
        // One key a statement: with statistics of a smaller table,
        // PostgreSQL answered a key list by walking every activity of the
        // workspace through its (workspace, contact) index (measured: 1.6–
        // 2.8 s a batch at 300,000 activities); an equality on both columns
        // of the unique key always takes it.
        for k in keys {
            let hit: Option<Activity> = with_tx!(tx, c => {
                sqlx::query_as::<_, Activity>(concat!("SELECT ", activity_columns!(),
                    " FROM activities WHERE workspace_id = $1 AND idempotency_key = $2"))
                    .bind(ws.0).bind(*k).fetch_optional(&mut *c).await?
            });
            if let Some(a) = hit {
                found.insert((*k).to_string(), a);
            }
        }
        return Ok(found);
    }
    for r in steady_chunks(keys.len(), STEADY_LIST) {
        let group = &keys[r];
        let mut m = Marks::new(tx);
        let sql = format!(
            "SELECT {} FROM activities WHERE workspace_id = {} AND idempotency_key IN ({})",
            activity_columns!(),
            m.one(),
            m.list(group.len())
        );
        let rows: Vec<Activity> = with_tx!(tx, c => {
            let mut q = sqlx::query_as::<_, Activity>(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for k in group {
                q = q.bind(*k);
            }
            q.fetch_all(&mut *c).await?
        });
        for a in rows {
            if let Some(k) = a.idempotency_key.clone() {
                found.insert(k, a);
            }
        }
    }
    Ok(found)
}

/// The new visits that are their contact's first: a contact whose visits
/// are all in this batch has its first one here.
async fn first_visits(
    tx: &mut Tx,
    ws: WorkspaceId,
    created: &[(&Activity, &NewActivity)],
) -> DbResult<HashSet<Uuid>> {
    let mut new_visits: HashMap<Uuid, (i64, Uuid)> = HashMap::new();
    for (row, _) in created.iter().filter(|(r, _)| r.kind == rules::VISIT) {
        new_visits
            .entry(row.contact_id)
            .and_modify(|(n, _)| *n += 1)
            .or_insert((1, row.id));
    }
    let contacts: Vec<Uuid> = new_visits.keys().copied().collect();
    let mut first = HashSet::new();
    for r in steady_chunks(contacts.len(), STEADY_LIST) {
        let group = &contacts[r];
        let mut m = Marks::new(tx);
        let sql = format!(
            "SELECT contact_id, COUNT(*) FROM activities
             WHERE workspace_id = {} AND type = {} AND contact_id IN ({}) GROUP BY contact_id",
            m.one(),
            m.one(),
            m.list(group.len())
        );
        let counts: Vec<(Uuid, i64)> = with_tx!(tx, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0).bind(rules::VISIT);
            for id in group {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        for (contact, total) in counts {
            if let Some((in_batch, id)) = new_visits.get(&contact)
                && *in_batch == total
            {
                first.insert(*id);
            }
        }
    }
    Ok(first)
}

/// One ledger row the batch writes.
struct LedgerRow {
    contact: Uuid,
    rule_key: String,
    source_key: String,
    points: i32,
    group: Group,
    reason: String,
    activity_id: Uuid,
}

/// Applies the scorer's rules to the new activities: in memory on the
/// locked scores, then the ledger rows, the changed cached scores, the
/// `contact.score_changed` events (added to `events`) and the threshold
/// crossings — what `apply_points` does line by line.
async fn score<'a>(
    tx: &mut Tx,
    ws: WorkspaceId,
    scorer: &Scorer,
    created: &[(&Activity, &NewActivity)],
    actor: &'a Actor,
    now: Ts,
    events: &mut Vec<NewEvent<'a>>,
) -> DbResult<()> {
    // Every (activity, rule) pair that gives points, in the batch's order.
    let mut pairs = Vec::new();
    for (row, item) in created {
        for rule in &scorer.rules {
            if rule.on_type == row.kind && rules::filter_matches(&rule.filter_map(), &item.data) {
                pairs.push((*row, rule));
            }
        }
    }
    if pairs.is_empty() {
        return Ok(());
    }
    let contacts: BTreeSet<Uuid> = pairs.iter().map(|(a, _)| a.contact_id).collect();
    let contacts: Vec<Uuid> = contacts.into_iter().collect();
    let mut scores = lock_scores(tx, ws, &contacts).await?;
    let limited: Vec<String> = pairs
        .iter()
        .filter(|(_, r)| !matches!(r.frequency(), Frequency::Always))
        .map(|(_, r)| r.id.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut last = last_lines(tx, ws, &limited, &contacts).await?;

    let mut ledger = Vec::with_capacity(pairs.len());
    let mut changed: HashSet<Uuid> = HashSet::new();
    let mut crossings = Vec::new();
    for (activity, rule) in pairs {
        let contact = activity.contact_id;
        let rule_key = rule.id.to_string();
        let frequency = rule.frequency();
        let seen = last.get(&(contact, rule_key.clone()));
        let skip = match frequency {
            Frequency::Always => false,
            Frequency::Once => seen.is_some_and(|(once, _)| *once),
            Frequency::EveryDays(n) => {
                let since = Ts::new(now.0 - jiff::SignedDuration::from_hours(24 * i64::from(n)));
                seen.is_some_and(|(_, at)| *at > since)
            }
        };
        if skip {
            continue;
        }
        let now_scores = scores
            .get_mut(&contact)
            .ok_or(DbError::NotFound("contact"))?;
        let group = rule.group();
        let points = rules::clamp(i64::from(rule.points), group, *now_scores, &scorer.limits);
        let points = i32::try_from(points).unwrap_or(0);
        let once = matches!(frequency, Frequency::Once);
        last.insert((contact, rule_key.clone()), (once, now));
        let source_key = if once {
            "once".to_string()
        } else {
            activity.id.to_string()
        };
        ledger.push(LedgerRow {
            contact,
            rule_key: rule_key.clone(),
            source_key: source_key.clone(),
            points,
            group,
            reason: rule.name.clone(),
            activity_id: activity.id,
        });
        if points == 0 {
            continue;
        }
        let old = now_scores.total;
        now_scores.total += i64::from(points);
        match group {
            Group::Fit => now_scores.fit += i64::from(points),
            Group::Engagement => now_scores.engagement += i64::from(points),
        }
        let new = now_scores.total;
        changed.insert(contact);
        events.push(NewEvent {
            workspace: ws,
            kind: EventKind::ContactScoreChanged.as_str(),
            entity_type: "contact",
            entity_id: Some(contact.to_string()),
            actor,
            data: serde_json::json!({
                "old": old, "new": new, "delta": points, "reason": rule.name,
                "rule": rule_key, "source": source_key,
            }),
        });
        if scorer.thresholds.iter().any(|t| {
            rules::crossing(old, new, t.enter_score.into(), t.exit_score.into())
                != rules::Crossing::None
        }) {
            crossings.push((contact, old, new));
        }
    }
    insert_ledger(tx, ws, &ledger, now).await?;
    let changed: Vec<(Uuid, Scores)> = contacts
        .iter()
        .filter(|c| changed.contains(c))
        .filter_map(|c| scores.get(c).map(|s| (*c, *s)))
        .collect();
    write_scores(tx, ws, &changed, now).await?;
    // Rare (a crossing needs a score to pass a threshold): one by one, on
    // the stored membership, in the batch's order.
    for (contact, old, new) in crossings {
        cross_thresholds(
            tx,
            ws,
            &scorer.thresholds,
            af_core::ContactId(contact),
            old,
            new,
            actor,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Locks the contacts' rows and reads their scores: concurrent writers on
/// one contact queue here. PostgreSQL takes the row locks in id order (two
/// batches never wait on each other crosswise) and in the mode an `UPDATE`
/// of non-key columns takes, which the activities' foreign-key checks do
/// not block; SQLite has one writer, which this transaction already is.
/// The workspace is compared as an expression so no index serves it:
/// SQLite keeps no statistics, guesses that a workspace holds ten
/// contacts, and walked every contact of the workspace through the
/// (workspace, score, id) index instead of looking the ids up (measured:
/// 34 ms a batch at 100,000 contacts). The ids still pin the rows.
async fn lock_scores(
    tx: &mut Tx,
    ws: WorkspaceId,
    contacts: &[Uuid],
) -> DbResult<HashMap<Uuid, Scores>> {
    let lock = match tx.backend() {
        Backend::Postgres => " ORDER BY id FOR NO KEY UPDATE",
        Backend::Sqlite => "",
    };
    let mut scores = HashMap::with_capacity(contacts.len());
    for r in steady_chunks(contacts.len(), STEADY_LIST) {
        let group = &contacts[r];
        let mut m = Marks::new(tx);
        let sql = format!(
            "SELECT id, score, score_fit, score_engagement FROM contacts
             WHERE COALESCE(workspace_id, workspace_id) = {} AND id IN ({}){lock}",
            m.one(),
            m.list(group.len())
        );
        let rows: Vec<(Uuid, i32, i32, i32)> = with_tx!(tx, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for id in group {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        for (id, total, fit, engagement) in rows {
            scores.insert(
                id,
                Scores {
                    total: total.into(),
                    fit: fit.into(),
                    engagement: engagement.into(),
                },
            );
        }
    }
    Ok(scores)
}

/// For the once and every-N-days rules: per (contact, rule), whether the
/// contact already has its `once` line, and its latest line's time.
async fn last_lines(
    tx: &mut Tx,
    ws: WorkspaceId,
    rule_keys: &[String],
    contacts: &[Uuid],
) -> DbResult<HashMap<(Uuid, String), (bool, Ts)>> {
    let mut last = HashMap::new();
    if rule_keys.is_empty() {
        return Ok(last);
    }
    for r in steady_chunks(contacts.len(), STEADY_LIST) {
        let group = &contacts[r];
        let mut m = Marks::new(tx);
        let sql = format!(
            "SELECT contact_id, rule_key, MAX(CASE WHEN source_key = 'once' THEN 1 ELSE 0 END), MAX(at)
             FROM score_ledger WHERE workspace_id = {} AND rule_key IN ({}) AND contact_id IN ({})
             GROUP BY contact_id, rule_key",
            m.one(),
            m.list(rule_keys.len()),
            m.list(group.len())
        );
        let rows: Vec<(Uuid, String, i32, Ts)> = with_tx!(tx, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for k in rule_keys {
                q = q.bind(k);
            }
            for id in group {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c).await?
        });
        for (contact, rule, once, at) in rows {
            last.insert((contact, rule), (once == 1, at));
        }
    }
    Ok(last)
}

/// Writes the ledger rows. Each is new (a fresh activity, or a `once` line
/// checked under the contact's lock), so there is no `ON CONFLICT`: a
/// conflict would mean the invariant broke, and the unique key refuses the
/// transaction rather than let the cached scores drift from the ledger.
async fn insert_ledger(tx: &mut Tx, ws: WorkspaceId, rows: &[LedgerRow], now: Ts) -> DbResult<()> {
    const COLS: usize = 9;
    for r in steady_chunks(rows.len(), STEADY_ROWS) {
        let group = &rows[r];
        let sql = format!(
            "INSERT INTO score_ledger (workspace_id, contact_id, rule_key, source_key, points, grp, reason, activity_id, at)
             VALUES {}",
            Marks::new(tx).rows(group.len(), COLS)
        );
        with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for r in group {
                q = q.bind(ws.0).bind(r.contact).bind(&r.rule_key).bind(&r.source_key)
                    .bind(r.points).bind(r.group.as_str()).bind(&r.reason).bind(r.activity_id)
                    .bind(now);
            }
            q.execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// Sets the contacts' cached scores, one statement per few dozen contacts:
/// `CASE id WHEN … THEN …` per column over the listed ids (a derived table
/// of the values would need a typed first term, which SQLite evaluates by
/// walking the workspace's contacts once per statement).
async fn write_scores(
    tx: &mut Tx,
    ws: WorkspaceId,
    rows: &[(Uuid, Scores)],
    now: Ts,
) -> DbResult<()> {
    for r in steady_chunks(rows.len(), STEADY_ROWS) {
        let group = &rows[r];
        // Placeholders in text order: (id, value) pairs per column, now,
        // the workspace, the ids.
        let mut m = Marks::new(tx);
        let mut sql = String::from("UPDATE contacts SET ");
        for (k, col) in ["score", "score_fit", "score_engagement"]
            .iter()
            .enumerate()
        {
            if k > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "{col} = CASE id");
            for _ in group {
                let _ = write!(sql, " WHEN {} THEN CAST({} AS INTEGER)", m.one(), m.one());
            }
            sql.push_str(" END");
        }
        let _ = write!(
            sql,
            ", updated_at = {} WHERE COALESCE(workspace_id, workspace_id) = {} AND id IN ({})",
            m.one(),
            m.one(),
            m.list(group.len())
        );
        let value = |v: i64| i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX });
        with_tx!(tx, c => {
            // Only placeholders and column names are formatted into the text.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (id, s) in group {
                q = q.bind(*id).bind(value(s.total));
            }
            for (id, s) in group {
                q = q.bind(*id).bind(value(s.fit));
            }
            for (id, s) in group {
                q = q.bind(*id).bind(value(s.engagement));
            }
            q = q.bind(now).bind(ws.0);
            for (id, _) in group {
                q = q.bind(*id);
            }
            q.execute(&mut *c).await?;
        });
    }
    Ok(())
}
