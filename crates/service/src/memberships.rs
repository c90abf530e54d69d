//! Memberships (subscriptions): the one way they are created and changed,
//! shared by the JSON API and the contact page, and the daily check.
//!
//! A create writes `membership.created`; an update writes the event of its
//! transition (`af_core::membership::transition`: `.renewed`, `.cancelled`,
//! `.expired`, `payment.failed`) or `membership.updated` when only other
//! values changed, in the same transaction. A request naming an
//! `external_id` the workspace already has updates that membership (the
//! billing system's retries and renewals land on one row). The contact is
//! `contact_id`, or an email / phone through the one contact rule (a
//! known address finds its contact; an unknown one creates it).
//!
//! The hourly check ([`check_memberships`]) sends `membership.expiring`
//! once per notice point and period — 7 days before the end, and at each
//! active `subscription_expiring` workflow's days (the `ends_at` and the
//! `days_left` last told are kept on the row) — and expires running and
//! past-due memberships whose end has passed.

use af_core::contact_input::{NO_CUSTOM_FIELDS, RawContact, validate_contact};
use af_core::jobs::CheckMemberships;
use af_core::membership::{self as rules, Standing};
use af_core::vocab::{EventKind, MembershipStatus};
use af_core::{Actor, ContactId, MembershipId, WorkspaceId, money};
use af_db::events::{NewEvent, insert_event};
use af_db::memberships::{self as store, Membership, MembershipValues};
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, Ts, Tx, contacts};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer};

/// A membership as a door sends it. On a create `plan` is required,
/// `status` defaults to `active` and `starts_at` to now; on an update an
/// absent field keeps its value and `null` clears an optional one
/// (`ends_at`, `amount`, `currency`). Instants are RFC 3339
/// (`2026-04-01T00:00:00Z`) or a date (`2026-04-01`, midnight in the
/// workspace's zone).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MembershipRequest {
    pub contact_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The new contact's name, when the email or phone is unknown.
    pub name: Option<String>,
    pub plan: Option<String>,
    pub status: Option<String>,
    pub starts_at: Option<String>,
    #[serde(deserialize_with = "present")]
    pub ends_at: Option<Option<String>>,
    /// Minor units (cents), a whole number ≥ 0.
    #[serde(deserialize_with = "present")]
    pub amount: Option<Option<serde_json::Value>>,
    #[serde(deserialize_with = "present")]
    pub currency: Option<Option<String>>,
    pub external_id: Option<String>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    /// Nothing was stored: `(field, message)` pairs, messages in English.
    #[error("invalid membership")]
    Invalid(Vec<(String, String)>),
    /// No such membership in this workspace.
    #[error("no such membership")]
    NotFound,
    /// The email and phone belong to two different contacts.
    #[error("the email or phone belongs to another contact")]
    ContactTaken,
    /// Another writer changed the membership meanwhile; try again.
    #[error("the membership changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbError),
}

type Problems = Vec<(String, String)>;

fn problem(p: &mut Problems, field: &str, message: impl Into<String>) {
    p.push((field.to_string(), message.into()));
}

/// Reads an instant: RFC 3339, or a date at midnight in `tz`.
pub fn parse_instant(raw: &str, tz: &TimeZone) -> Option<Ts> {
    let t = raw.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(Ts::new(ts));
    }
    let date: jiff::civil::Date = t.parse().ok()?;
    date.to_zoned(tz.clone())
        .ok()
        .map(|z| Ts::new(z.timestamp()))
}

fn zone(ws: &Workspace) -> TimeZone {
    TimeZone::get(&ws.time_zone).unwrap_or(TimeZone::UTC)
}

/// The request's values over `base` (a create's defaults, or the stored
/// membership), checked: every problem at once.
fn merge(
    req: &MembershipRequest,
    base: &MembershipValues,
    ws: &Workspace,
    now: Ts,
) -> Result<MembershipValues, Problems> {
    let tz = zone(ws);
    let mut p = Problems::new();
    let mut v = base.clone();
    if let Some(plan) = &req.plan {
        match rules::plan(plan) {
            Ok(plan) => v.plan = plan,
            Err(m) => problem(&mut p, "plan", m),
        }
    } else if v.plan.is_empty() {
        problem(&mut p, "plan", "plan is required");
    }
    if let Some(s) = &req.status {
        match MembershipStatus::parse(s.trim()) {
            Some(s) => v.status = s.as_str().to_string(),
            None => problem(
                &mut p,
                "status",
                format!(
                    "status must be one of {}",
                    MembershipStatus::NAMES.join(", ")
                ),
            ),
        }
    }
    if let Some(raw) = &req.starts_at {
        match parse_instant(raw, &tz) {
            Some(t) => v.starts_at = t,
            None => problem(
                &mut p,
                "starts_at",
                "starts_at must be an RFC 3339 instant or a date (YYYY-MM-DD)",
            ),
        }
    }
    match &req.ends_at {
        Some(Some(raw)) => match parse_instant(raw, &tz) {
            Some(t) => v.ends_at = Some(t),
            None => problem(
                &mut p,
                "ends_at",
                "ends_at must be an RFC 3339 instant or a date (YYYY-MM-DD)",
            ),
        },
        Some(None) => v.ends_at = None,
        None => {}
    }
    if let Some(end) = v.ends_at
        && end < v.starts_at
    {
        problem(&mut p, "ends_at", "ends_at must not be before starts_at");
    }
    match &req.amount {
        Some(Some(raw)) => match money::minor_from_json(raw) {
            Ok(a) if a < 0 => problem(
                &mut p,
                "amount",
                "amount must be zero or more (integer minor units)",
            ),
            Ok(a) => v.amount_minor = Some(a),
            Err(m) => problem(&mut p, "amount", format!("amount {m}")),
        },
        Some(None) => v.amount_minor = None,
        None => {}
    }
    match &req.currency {
        Some(Some(raw)) => match af_core::contact::currency(raw) {
            Ok(c) => v.currency = Some(c),
            Err(m) => problem(&mut p, "currency", m),
        },
        Some(None) => v.currency = None,
        None => {}
    }
    if v.amount_minor.is_some() && v.currency.is_none() {
        v.currency = Some(money::currency_for_country(&ws.country).to_string());
    }
    if let Some(raw) = &req.external_id {
        match rules::external_id(raw) {
            Ok(e) => v.external_id = Some(e),
            Err(m) => problem(&mut p, "external_id", m),
        }
    }
    let was_cancelled = base.status == MembershipStatus::Cancelled && !base.plan.is_empty();
    v.cancelled_at = if v.status != MembershipStatus::Cancelled {
        None
    } else if was_cancelled {
        base.cancelled_at.or(Some(now))
    } else {
        Some(now)
    };
    if p.is_empty() { Ok(v) } else { Err(p) }
}

/// What [`save`] did.
#[derive(Debug, Clone)]
pub struct Saved {
    pub membership: Membership,
    /// A new membership (201), not an update by external id (200).
    pub created: bool,
}

/// `POST /api/v1/memberships`: creates a membership, or updates the one
/// with the request's `external_id` (the contact fields are then not
/// used: a membership keeps its contact).
pub async fn save(
    db: &Db,
    ws: &Workspace,
    req: &MembershipRequest,
    actor: &Actor,
    now: Ts,
) -> Result<Saved, MembershipError> {
    let mut tx = db.begin().await?;
    if let Some(raw) = &req.external_id
        && let Ok(ext) = rules::external_id(raw)
        && let Some(old) = store::find_by_external_id(&mut tx, ws.id, &ext).await?
    {
        let membership = update_in(&mut tx, ws, old, req, actor, now).await?;
        tx.commit().await?;
        return Ok(Saved {
            membership,
            created: false,
        });
    }
    let defaults = MembershipValues {
        external_id: None,
        plan: String::new(),
        status: MembershipStatus::Active.as_str().into(),
        starts_at: now,
        ends_at: None,
        amount_minor: None,
        currency: None,
        cancelled_at: None,
    };
    let mut problems = Problems::new();
    let values = merge(req, &defaults, ws, now)
        .map_err(|p| problems.extend(p))
        .ok();
    let contact = resolve_contact(db, ws, req, &mut problems).await?;
    let (Some(values), Some(contact), true) = (values, contact, problems.is_empty()) else {
        return Err(MembershipError::Invalid(problems));
    };
    let contact_id = match contact {
        Ok(id) => id,
        Err(input) => {
            let found = contacts::find_match(
                &mut tx,
                ws.id,
                input.email.as_deref(),
                input.phone.as_deref(),
            )
            .await?;
            match found {
                Some(c) => c.id,
                None => match contacts::upsert_contact(&mut tx, ws.id, &input, actor, now).await {
                    Ok(u) => u.contact.id,
                    Err(e) if e.unique_violation().is_some() => {
                        return Err(MembershipError::ContactTaken);
                    }
                    Err(e) => return Err(e.into()),
                },
            }
        }
    };
    let m = match store::insert_membership(&mut tx, ws.id, contact_id, &values, now).await {
        Ok(m) => m,
        // Another request created this external id meanwhile.
        Err(e) if e.unique_violation().is_some() => return Err(MembershipError::Conflict),
        Err(e) => return Err(e.into()),
    };
    write_event(
        &mut tx,
        EventKind::MembershipCreated,
        &m,
        None,
        None,
        actor,
        now,
    )
    .await?;
    resolve_alerts(&mut tx, ws, &m, actor, now).await?;
    tx.commit().await?;
    Ok(Saved {
        membership: m,
        created: true,
    })
}

/// The membership's contact: an existing id (checked), or a validated
/// contact input for the one contact rule. `None` with problems recorded.
async fn resolve_contact(
    db: &Db,
    ws: &Workspace,
    req: &MembershipRequest,
    problems: &mut Problems,
) -> Result<Option<Result<ContactId, af_core::contact_input::ContactInput>>, MembershipError> {
    if let Some(raw) = &req.contact_id {
        let Ok(id) = raw.trim().parse::<ContactId>() else {
            problem(problems, "contact_id", "contact_id must be a contact's id");
            return Ok(None);
        };
        if contacts::find_contact(db, ws.id, id).await?.is_none() {
            problem(problems, "contact_id", "no such contact in this workspace");
            return Ok(None);
        }
        return Ok(Some(Ok(id)));
    }
    if req.email.is_none() && req.phone.is_none() {
        problem(
            problems,
            "contact_id",
            "contact_id, email or phone is required",
        );
        return Ok(None);
    }
    let raw = RawContact {
        email: req.email.clone(),
        phone: req.phone.clone(),
        name: req.name.clone(),
        ..Default::default()
    };
    match validate_contact(&raw, &ws.country, &NO_CUSTOM_FIELDS) {
        Ok(input) => Ok(Some(Err(input))),
        Err(errors) => {
            for e in errors {
                problems.push((e.field.as_str().into_owned(), e.message));
            }
            Ok(None)
        }
    }
}

/// `PATCH /api/v1/memberships/{id}` and the contact page's changes.
pub async fn update(
    db: &Db,
    ws: &Workspace,
    id: MembershipId,
    req: &MembershipRequest,
    actor: &Actor,
    now: Ts,
) -> Result<Membership, MembershipError> {
    let mut p = Problems::new();
    for (field, given) in [
        ("contact_id", req.contact_id.is_some()),
        ("email", req.email.is_some()),
        ("phone", req.phone.is_some()),
        ("name", req.name.is_some()),
    ] {
        if given {
            problem(&mut p, field, "a membership's contact cannot be changed");
        }
    }
    if !p.is_empty() {
        return Err(MembershipError::Invalid(p));
    }
    let mut tx = db.begin().await?;
    let old = store::find_membership_tx(&mut tx, ws.id, id)
        .await?
        .ok_or(MembershipError::NotFound)?;
    let m = update_in(&mut tx, ws, old, req, actor, now).await?;
    tx.commit().await?;
    Ok(m)
}

fn values_of(m: &Membership) -> MembershipValues {
    MembershipValues {
        external_id: m.external_id.clone(),
        plan: m.plan.clone(),
        status: m.status.clone(),
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        amount_minor: m.amount_minor,
        currency: m.currency.clone(),
        cancelled_at: m.cancelled_at,
    }
}

fn standing(v: &MembershipValues) -> Option<Standing> {
    Some(Standing {
        status: MembershipStatus::parse(&v.status)?,
        ends_at: v.ends_at.map(|t| t.0),
    })
}

async fn update_in(
    tx: &mut Tx,
    ws: &Workspace,
    old: Membership,
    req: &MembershipRequest,
    actor: &Actor,
    now: Ts,
) -> Result<Membership, MembershipError> {
    let before = values_of(&old);
    let after = merge(req, &before, ws, now).map_err(MembershipError::Invalid)?;
    if after == before {
        return Ok(old);
    }
    let kind = match (standing(&before), standing(&after)) {
        (Some(o), Some(n)) => rules::transition(o, n),
        _ => None,
    }
    .unwrap_or(EventKind::MembershipUpdated);
    let m = match store::update_membership(tx, ws.id, old.id, &old.status, &after, now).await {
        Ok(Some(m)) => m,
        Ok(None) => return Err(MembershipError::Conflict),
        Err(e) if e.unique_violation().is_some() => {
            return Err(MembershipError::Invalid(vec![(
                "external_id".into(),
                "another membership has this external_id".into(),
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    write_event(tx, kind, &m, Some(&old.status), None, actor, now).await?;
    resolve_alerts(tx, ws, &m, actor, now).await?;
    Ok(m)
}

/// A running membership (a renewal, a payment that went through, a new
/// period) ends the contact's "membership expiring" and "payment failed"
/// alerts at once, in the same transaction (`auto:renewed`, `auto:paid`).
async fn resolve_alerts(
    tx: &mut Tx,
    ws: &Workspace,
    m: &Membership,
    actor: &Actor,
    now: Ts,
) -> Result<(), DbError> {
    if MembershipStatus::parse(&m.status).is_some_and(MembershipStatus::is_running) {
        af_db::retention::resolve_membership(tx, ws.id, m.contact_id, &zone(ws), actor, now)
            .await?;
    }
    Ok(())
}

/// The event of a membership change: id, contact, plan, status (and the
/// old one), period, amount, external id (and `days_left` for
/// `membership.expiring`).
async fn write_event(
    tx: &mut Tx,
    kind: EventKind,
    m: &Membership,
    old_status: Option<&str>,
    days_left: Option<(i64, Option<i64>)>,
    actor: &Actor,
    now: Ts,
) -> Result<(), DbError> {
    let mut data = serde_json::json!({
        "membership_id": m.id,
        "contact_id": m.contact_id,
        "plan": m.plan,
        "status": m.status,
        "old_status": old_status,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "amount": m.amount_minor,
        "currency": m.currency,
        "external_id": m.external_id,
    });
    if let Some((d, previous)) = days_left {
        data["days_left"] = d.into();
        data["previous_days_left"] = previous.into();
    }
    insert_event(
        tx,
        &NewEvent {
            workspace: m.workspace_id,
            kind: kind.as_str(),
            entity_type: "membership",
            entity_id: Some(m.id.to_string()),
            actor,
            data,
        },
        now,
    )
    .await?;
    Ok(())
}

/// What one run of the check did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOutcome {
    pub expiring: usize,
    pub expired: usize,
}

/// The check over every workspace, one transaction per workspace:
/// expires what ended, then tells what reached a notice point
/// (`window_days` and the workspace's `subscription_expiring` days).
pub async fn check_memberships(
    db: &Db,
    now: Ts,
    window_days: i64,
) -> Result<CheckOutcome, DbError> {
    let mut out = CheckOutcome::default();
    for ws in store::workspaces_with_running(db).await? {
        let o = check_workspace(db, ws, now, window_days).await?;
        out.expiring += o.expiring;
        out.expired += o.expired;
    }
    if out != CheckOutcome::default() {
        tracing::info!(
            expiring = out.expiring,
            expired = out.expired,
            "membership check"
        );
    }
    Ok(out)
}

/// The check of one workspace.
pub async fn check_workspace(
    db: &Db,
    ws: WorkspaceId,
    now: Ts,
    window_days: i64,
) -> Result<CheckOutcome, DbError> {
    let actor = Actor::system();
    let mut out = CheckOutcome::default();
    let mut tx = db.begin().await?;
    for old in store::list_ended(&mut tx, ws, now).await? {
        let mut v = values_of(&old);
        v.status = MembershipStatus::Expired.as_str().into();
        if let Some(m) = store::update_membership(&mut tx, ws, old.id, &old.status, &v, now).await?
        {
            write_event(
                &mut tx,
                EventKind::MembershipExpired,
                &m,
                Some(&old.status),
                None,
                &actor,
                now,
            )
            .await?;
            out.expired += 1;
        }
    }
    let mut points = store::expiring_trigger_days(&mut tx, ws).await?;
    points.push(window_days);
    points.retain(|p| *p > 0);
    let widest = points.iter().copied().max().unwrap_or(window_days);
    let until = Ts::new(now.0 + SignedDuration::from_hours(24 * widest));
    for m in store::list_ending(&mut tx, ws, now, until).await? {
        let Some(end) = m.ends_at else { continue };
        let left = rules::days_left(now.0, end.0);
        let previous = (m.expiring_notice_for == Some(end))
            .then_some(m.expiring_notice_days)
            .flatten()
            .map(i64::from);
        if !rules::notice_due(left, previous, &points) {
            continue;
        }
        let left32 = i32::try_from(left).unwrap_or(i32::MAX);
        if !store::set_expiring_notice(&mut tx, ws, &m, left32, now).await? {
            continue;
        }
        write_event(
            &mut tx,
            EventKind::MembershipExpiring,
            &m,
            Some(&m.status),
            Some((left, previous)),
            &actor,
            now,
        )
        .await?;
        out.expiring += 1;
    }
    tx.commit().await?;
    Ok(out)
}

/// The check's schedule: hourly (system-wide). Every run is idempotent —
/// a notice point is told once per period, an ended membership expires
/// once — so running often only makes notices and expiries timely in
/// every time zone (within the hour of the moment they fall due).
pub fn schedule() -> Result<af_jobs::NewSchedule, DbError> {
    af_jobs::NewSchedule::system("10 * * * *", &CheckMemberships {})
}

/// The handler of [`CheckMemberships`].
pub fn check_job() -> impl af_jobs::JobHandler {
    af_jobs::typed_handler(|ctx, _job, _: CheckMemberships| async move {
        check_memberships(&ctx.db, ctx.now(), rules::DEFAULT_EXPIRING_DAYS)
            .await
            .map(|_| ())
            .map_err(af_jobs::JobError::retry)
    })
}
