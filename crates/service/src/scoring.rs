//! Activities and lead scoring, the use cases (issue 17): recording one
//! activity or a batch (the contact by id, or by email / phone through the
//! one contact rule, an unknown one created), scoring rules and thresholds
//! with their checks, a contact's score explained, and what the scoring
//! pages read (top leads, the histogram, recent threshold entries). The
//! SQL is `af_db::scoring`, the pure rules `af_core::scoring`.

use af_core::contact_input::{RawContact, validate_contact};
use af_core::scoring::{self as rules, RawRule, Scores};
use af_core::{Actor, ContactId, ScoringRuleId, WorkspaceId};
use af_db::custom_fields::FieldDef;
use af_db::recalculations::{self, Recalculation};
use af_db::scoring::{self as store, NewActivity, Recorded, Rule, Scorer, Threshold};
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, Ts, Tx, contacts};
use serde::Deserialize;
use serde_json::Value;

/// Largest batch of `POST /api/v1/activities`.
pub const MAX_BATCH: usize = 1000;

/// Field errors: (field, message).
pub type Fields = Vec<(String, String)>;

#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    /// Refused; nothing was written.
    #[error("invalid")]
    Invalid(Fields),
    /// The contact (or rule) is not the workspace's.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// An activity as a client sends it (`POST /api/v1/activities`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActivity {
    pub contact_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub occurred_at: Option<String>,
    pub data: Option<Value>,
    pub idempotency_key: Option<String>,
    /// Where it came from (default `api`).
    pub source: Option<String>,
}

/// Who an activity is about, once checked.
#[derive(Debug, Clone)]
enum Who {
    Id(ContactId),
    Keys(Box<af_core::contact_input::ContactInput>),
}

#[derive(Debug, Clone)]
struct Checked {
    who: Who,
    kind: String,
    occurred_at: Ts,
    data: Value,
    idempotency_key: Option<String>,
    source: String,
}

/// Checks one activity without touching the database.
fn check(raw: &RawActivity, ws: &Workspace, now: Ts) -> Result<Checked, Fields> {
    let mut errs: Fields = Vec::new();
    let kind = raw.kind.as_deref().unwrap_or("").trim().to_string();
    if let Err(m) = rules::check_type(&kind) {
        errs.push(("type".into(), format!("an activity type is required: {m}")));
    }
    let data = raw
        .data
        .clone()
        .unwrap_or_else(|| Value::Object(Default::default()));
    if errs.is_empty()
        && let Err((field, m)) = rules::check_data(&kind, &data)
    {
        errs.push((field.into(), m));
    }
    let occurred_at = match raw.occurred_at.as_deref() {
        None => now,
        Some(s) => match s.parse::<jiff::Timestamp>() {
            Ok(t) => Ts::new(t),
            Err(_) => {
                errs.push((
                    "occurred_at".into(),
                    "must be an RFC 3339 instant (2026-12-07T10:00:00Z)".into(),
                ));
                now
            }
        },
    };
    let idempotency_key = raw
        .idempotency_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    if idempotency_key.as_ref().is_some_and(|k| k.len() > 200) {
        errs.push(("idempotency_key".into(), "at most 200 characters".into()));
    }
    let source = raw.source.as_deref().unwrap_or("api").trim().to_string();
    if source.is_empty() || source.len() > 40 {
        errs.push(("source".into(), "1 to 40 characters".into()));
    }
    let who = match (raw.contact_id.as_deref(), &raw.email, &raw.phone) {
        (Some(id), _, _) => match id.parse::<ContactId>() {
            Ok(id) => Some(Who::Id(id)),
            Err(_) => {
                errs.push(("contact_id".into(), "must be a contact id (UUID)".into()));
                None
            }
        },
        (None, None, None) => {
            errs.push((
                "contact_id".into(),
                "a contact_id, an email or a phone is required".into(),
            ));
            None
        }
        (None, email, phone) => {
            let raw = RawContact {
                email: email.clone(),
                phone: phone.clone(),
                ..Default::default()
            };
            match validate_contact::<FieldDef>(&raw, &ws.country, &[]) {
                Ok(input) => Some(Who::Keys(Box::new(input))),
                Err(list) => {
                    errs.extend(
                        list.into_iter()
                            .map(|e| (e.field.as_str().into_owned(), e.message)),
                    );
                    None
                }
            }
        }
    };
    match who {
        Some(who) if errs.is_empty() => Ok(Checked {
            who,
            kind,
            occurred_at,
            data,
            idempotency_key,
            source,
        }),
        _ => Err(errs),
    }
}

/// The contact an activity is about, in the transaction: by id (the
/// workspace's, or `None`), or by email / phone as the upsert rule matches
/// — an unknown one is created.
async fn resolve(
    tx: &mut Tx,
    ws: WorkspaceId,
    who: &Who,
    actor: &Actor,
    now: Ts,
) -> Result<Option<ContactId>, DbError> {
    match who {
        Who::Id(id) => Ok(store::contact_exists(tx, ws, *id).await?.then_some(*id)),
        Who::Keys(input) => {
            let found =
                contacts::find_match(tx, ws, input.email.as_deref(), input.phone.as_deref())
                    .await?;
            match found {
                Some(c) => Ok(Some(c.id)),
                None => Ok(Some(
                    contacts::upsert_contact(tx, ws, input, actor, now)
                        .await?
                        .contact
                        .id,
                )),
            }
        }
    }
}

/// Records one activity (and its scoring) in its own transaction.
pub async fn record(
    db: &Db,
    ws: &Workspace,
    raw: &RawActivity,
    actor: &Actor,
    now: Ts,
) -> Result<Recorded, ScoringError> {
    let mut out = record_batch(db, ws, std::slice::from_ref(raw), actor, now).await?;
    out.pop().unwrap_or(Err(ScoringError::NotFound))
}

/// Records a batch in one transaction (the rules read once): each item
/// answers on its own (an invalid item or an unknown contact is refused
/// alone); a database failure fails the whole batch.
pub async fn record_batch(
    db: &Db,
    ws: &Workspace,
    items: &[RawActivity],
    actor: &Actor,
    now: Ts,
) -> Result<Vec<Result<Recorded, ScoringError>>, ScoringError> {
    let checked: Vec<Result<Checked, Fields>> = items.iter().map(|r| check(r, ws, now)).collect();
    let mut tx = db.begin().await?;
    let scorer = Scorer::load(&mut tx, ws.id).await?;
    // Contacts named by id are checked in one query; by email or phone,
    // one by one (the one contact rule may create them).
    let ids: Vec<ContactId> = checked
        .iter()
        .filter_map(|c| match c {
            Ok(Checked {
                who: Who::Id(id), ..
            }) => Some(*id),
            _ => None,
        })
        .collect();
    let known = store::existing_contacts(&mut tx, ws.id, &ids).await?;
    let mut answers: Vec<Result<usize, ScoringError>> = Vec::with_capacity(items.len());
    let mut news = Vec::with_capacity(items.len());
    for c in checked {
        let c = match c {
            Ok(c) => c,
            Err(f) => {
                answers.push(Err(ScoringError::Invalid(f)));
                continue;
            }
        };
        let contact = match &c.who {
            Who::Id(id) => known.contains(&id.0).then_some(*id),
            who => resolve(&mut tx, ws.id, who, actor, now).await?,
        };
        let Some(contact) = contact else {
            answers.push(Err(ScoringError::NotFound));
            continue;
        };
        answers.push(Ok(news.len()));
        news.push(NewActivity {
            contact,
            kind: c.kind,
            occurred_at: c.occurred_at,
            source: c.source,
            data: c.data,
            idempotency_key: c.idempotency_key,
        });
    }
    let mut recorded: Vec<Option<Recorded>> =
        store::record_activities(&mut tx, ws.id, &scorer, &news, actor, now)
            .await?
            .into_iter()
            .map(Some)
            .collect();
    tx.commit().await?;
    Ok(answers
        .into_iter()
        .map(|a| {
            a.and_then(|i| {
                recorded
                    .get_mut(i)
                    .and_then(Option::take)
                    .ok_or(ScoringError::NotFound)
            })
        })
        .collect())
}

// ------------------------------------------------------------------ rules

/// Adds a rule (checked).
pub async fn create_rule(
    db: &Db,
    ws: WorkspaceId,
    raw: &RawRule,
    now: Ts,
) -> Result<Rule, ScoringError> {
    let spec = rules::validate_rule(raw).map_err(ScoringError::Invalid)?;
    let mut tx = db.begin().await?;
    let rule = store::insert_rule(&mut tx, ws, &spec, now).await?;
    tx.commit().await?;
    Ok(rule)
}

/// Changes a rule: the fields given replace the stored ones, the result
/// is checked whole. Applies forward only.
pub async fn update_rule(
    db: &Db,
    ws: WorkspaceId,
    id: ScoringRuleId,
    patch: &serde_json::Map<String, Value>,
    now: Ts,
) -> Result<Rule, ScoringError> {
    let old = store::find_rule(db, ws, id)
        .await?
        .ok_or(ScoringError::NotFound)?;
    let mut merged = serde_json::Map::new();
    let current = old.to_json();
    for key in ["name", "on", "points", "frequency", "group", "active"] {
        if let Some(v) = patch.get(key).or_else(|| current.get(key)) {
            merged.insert(key.into(), v.clone());
        }
    }
    if let Some(extra) = patch.keys().find(|k| !merged.contains_key(*k)) {
        return Err(ScoringError::Invalid(vec![(
            extra.clone(),
            "unknown field".into(),
        )]));
    }
    let raw: RawRule = serde_json::from_value(Value::Object(merged))
        .map_err(|e| ScoringError::Invalid(vec![("body".into(), e.to_string())]))?;
    let spec = rules::validate_rule(&raw).map_err(ScoringError::Invalid)?;
    let mut tx = db.begin().await?;
    let rule = store::update_rule(&mut tx, ws, id, &spec, now)
        .await?
        .ok_or(ScoringError::NotFound)?;
    tx.commit().await?;
    Ok(rule)
}

pub async fn delete_rule(db: &Db, ws: WorkspaceId, id: ScoringRuleId) -> Result<(), ScoringError> {
    let mut tx = db.begin().await?;
    let found = store::delete_rule(&mut tx, ws, id).await?;
    tx.commit().await?;
    if found {
        Ok(())
    } else {
        Err(ScoringError::NotFound)
    }
}

pub async fn list_rules(db: &Db, ws: WorkspaceId) -> Result<Vec<Rule>, ScoringError> {
    Ok(store::list_rules(db, ws).await?)
}

// ------------------------------------------------------------- thresholds

/// A threshold as a client sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThreshold {
    pub name: Option<String>,
    pub enter: Option<i64>,
    pub exit: Option<i64>,
}

/// Adds a threshold; a job enters the contacts already above it.
pub async fn create_threshold(
    db: &Db,
    ws: WorkspaceId,
    raw: &RawThreshold,
    now: Ts,
) -> Result<Threshold, ScoringError> {
    let (name, enter, exit) = rules::validate_threshold(raw.name.as_deref(), raw.enter, raw.exit)
        .map_err(ScoringError::Invalid)?;
    let mut tx = db.begin().await?;
    let t = match store::insert_threshold(&mut tx, ws, &name, enter, exit, now).await {
        Ok(t) => t,
        Err(e) if e.unique_violation().is_some() => {
            return Err(ScoringError::Invalid(vec![(
                "name".into(),
                "a threshold with this name exists".into(),
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(t)
}

pub async fn list_thresholds(db: &Db, ws: WorkspaceId) -> Result<Vec<Threshold>, ScoringError> {
    Ok(store::list_thresholds(db, ws).await?)
}

// ---------------------------------------------------------------- explain

/// One line of "why this score".
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExplainLine {
    pub points: i32,
    /// The rule's name when applied (or `workflow`, `manual`...).
    pub rule: String,
    pub reason: String,
    pub at: Ts,
    /// The activity id, or what else caused it (`workflow`, `decay`, ...).
    pub source: String,
    pub group: String,
}

/// A contact's score and the ledger lines that make it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explain {
    pub total: i64,
    pub fit: i64,
    pub engagement: i64,
    pub lines: Vec<ExplainLine>,
}

/// `GET /api/v1/contacts/{id}/score`: the scores and up to `limit` lines,
/// newest first. `None` when the contact is not the workspace's.
pub async fn explain(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    limit: i64,
) -> Result<Option<Explain>, ScoringError> {
    let Some(Scores {
        total,
        fit,
        engagement,
    }) = store::scores_of(db, ws, contact).await?
    else {
        return Ok(None);
    };
    let lines = store::list_ledger(db, ws, contact, limit)
        .await?
        .into_iter()
        .map(|l| {
            let source = match (l.activity_id, l.rule_key.as_str()) {
                (Some(a), _) => a.to_string(),
                (None, k) if k.starts_with("decay:") => "decay".into(),
                (None, k) => k.to_string(),
            };
            let rule = if l.rule_key.starts_with("decay:") || l.rule_key.len() == 36 {
                l.reason.clone()
            } else {
                l.rule_key.clone()
            };
            ExplainLine {
                points: l.points,
                rule,
                reason: l.reason,
                at: l.at,
                source,
                group: l.grp,
            }
        })
        .collect();
    Ok(Some(Explain {
        total,
        fit,
        engagement,
        lines,
    }))
}

/// The scoring page's numbers: the top leads, the histogram, the contacts
/// who entered a threshold in the last 7 days.
pub async fn top_leads(
    db: &Db,
    ws: WorkspaceId,
    limit: i64,
) -> Result<Vec<store::TopLead>, ScoringError> {
    Ok(store::top_leads(db, ws, limit.clamp(1, 500)).await?)
}

pub async fn histogram(
    db: &Db,
    ws: WorkspaceId,
    width: i64,
) -> Result<Vec<(i64, i64)>, ScoringError> {
    Ok(store::score_histogram(db, ws, width).await?)
}

pub async fn crossed_this_week(
    db: &Db,
    ws: WorkspaceId,
    now: Ts,
) -> Result<Vec<(uuid::Uuid, uuid::Uuid, Ts)>, ScoringError> {
    let since = Ts::new(now.0 - jiff::SignedDuration::from_hours(24 * 7));
    Ok(store::entered_since(db, ws, since).await?)
}

// ---------------------------------------------------------- recalculation

/// Starts a recalculation of every contact's score under the current
/// rules (a background job with progress). When one is already queued or
/// running, that one is answered and `started` is false.
pub async fn start_recalculation(
    db: &Db,
    ws: WorkspaceId,
    by: Option<af_core::UserId>,
    now: Ts,
) -> Result<(Recalculation, bool), ScoringError> {
    let mut tx = db.begin().await?;
    let started = recalculations::start(&mut tx, ws, by, now).await?;
    tx.commit().await?;
    match started {
        Some(r) => Ok((r, true)),
        None => match recalculations::latest(db, ws).await? {
            Some(r) => Ok((r, false)),
            None => Err(ScoringError::NotFound),
        },
    }
}

/// One recalculation of the workspace's.
pub async fn find_recalculation(
    db: &Db,
    ws: WorkspaceId,
    id: uuid::Uuid,
) -> Result<Recalculation, ScoringError> {
    recalculations::find(db, ws, id)
        .await?
        .ok_or(ScoringError::NotFound)
}

/// The workspace's latest recalculation, if any.
pub async fn latest_recalculation(
    db: &Db,
    ws: WorkspaceId,
) -> Result<Option<Recalculation>, ScoringError> {
    Ok(recalculations::latest(db, ws).await?)
}

// ----------------------------------------------------------------- limits

/// Largest cap or floor magnitude the pages and the API accept.
pub const MAX_LIMIT: i64 = 1_000_000;

pub async fn limits(db: &Db, ws: WorkspaceId) -> Result<rules::Limits, ScoringError> {
    Ok(store::limits(db, ws).await?)
}

/// Sets the caps (each `None` for no cap, else 0 to [`MAX_LIMIT`]) and the
/// floor (from -[`MAX_LIMIT`] up to the total cap). Applies forward.
pub async fn set_limits(
    db: &Db,
    ws: WorkspaceId,
    l: &rules::Limits,
    now: Ts,
) -> Result<(), ScoringError> {
    let mut errs: Fields = Vec::new();
    for (field, cap) in [
        ("fit_cap", l.fit_cap),
        ("engagement_cap", l.engagement_cap),
        ("total_cap", l.total_cap),
    ] {
        if cap.is_some_and(|c| !(0..=MAX_LIMIT).contains(&c)) {
            errs.push((field.into(), format!("0 to {MAX_LIMIT}, or none")));
        }
    }
    if l.floor.unsigned_abs() > MAX_LIMIT.unsigned_abs() || l.total_cap.is_some_and(|c| l.floor > c)
    {
        errs.push(("floor".into(), format!("-{MAX_LIMIT} up to the total cap")));
    }
    if !errs.is_empty() {
        return Err(ScoringError::Invalid(errs));
    }
    let mut tx = db.begin().await?;
    store::set_limits(&mut tx, ws, l, now).await?;
    tx.commit().await?;
    Ok(())
}

// ------------------------------------------------------------------ trend

/// Each contact's points of the last 7 days (absent: none), for a page of
/// contacts in one query.
pub async fn trends(
    db: &Db,
    ws: WorkspaceId,
    contacts: &[uuid::Uuid],
    now: Ts,
) -> Result<std::collections::HashMap<uuid::Uuid, i64>, ScoringError> {
    if contacts.is_empty() {
        return Ok(Default::default());
    }
    let since = Ts::new(now.0 - jiff::SignedDuration::from_hours(24 * 7));
    Ok(store::trend_since(db, ws, contacts, since)
        .await?
        .into_iter()
        .collect())
}
