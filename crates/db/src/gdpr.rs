//! GDPR for one contact: export everything stored about them as JSON, and
//! erase it everywhere (the contact and, by cascade, its deals, notes and
//! tasks; messages sent to their address; their personal values inside
//! event data). What remains is a one-way hash of the email and phone with
//! the opt-out flags, so someone who unsubscribed and is imported or
//! captured again stays unsubscribed ([`erased_opt_outs`]).

use crate::contacts::{Contact, ContactPatch};
use crate::events::NewEvent;
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::crypto::sha256_hex;
use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, WorkspaceId};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// What replaces an erased personal value inside event data.
pub const ERASED: &str = "[erased]";

/// The one-way hash kept of an email: SHA-256 hex of its comparison key
/// (lower-cased), so any spelling of the same address matches.
pub fn email_hash(email: &str) -> String {
    sha256_hex(&af_core::validate::email_key(email))
}

/// The one-way hash kept of a phone: SHA-256 hex of its E.164 form.
pub fn phone_hash(phone: &str) -> String {
    sha256_hex(phone.trim())
}

/// Opt-outs remembered for an erased person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OptOuts {
    pub email_unsubscribed: bool,
    pub sms_opted_out: bool,
}

impl OptOuts {
    fn or(self, o: OptOuts) -> OptOuts {
        OptOuts {
            email_unsubscribed: self.email_unsubscribed || o.email_unsubscribed,
            sms_opted_out: self.sms_opted_out || o.sms_opted_out,
        }
    }

    pub fn any(self) -> bool {
        self.email_unsubscribed || self.sms_opted_out
    }
}

/// The opt-outs recorded for an erased person with this (normalised)
/// email or E.164 phone. Call it when a contact is created or re-captured;
/// [`honour_erased_opt_outs`] applies the result.
pub async fn erased_opt_outs(
    tx: &mut Tx,
    ws: WorkspaceId,
    email: Option<&str>,
    phone: Option<&str>,
) -> DbResult<OptOuts> {
    if email.is_none() && phone.is_none() {
        return Ok(OptOuts::default());
    }
    let rows: Vec<(bool, bool)> = with_tx!(tx, c => {
        sqlx::query_as(
            "SELECT email_unsubscribed, sms_opted_out FROM erased_contacts
             WHERE workspace_id = $1 AND (email_hash = $2 OR phone_hash = $3)",
        )
        .bind(ws.0).bind(email.map(email_hash)).bind(phone.map(phone_hash))
        .fetch_all(&mut *c).await?
    });
    Ok(rows.into_iter().fold(OptOuts::default(), |acc, (e, s)| {
        acc.or(OptOuts {
            email_unsubscribed: e,
            sms_opted_out: s,
        })
    }))
}

/// Sets the contact's opt-out flags when an erased person with its email or
/// phone had opted out (writing `contact.updated`); returns the contact as
/// it is now.
pub async fn honour_erased_opt_outs(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: Contact,
    actor: &Actor,
    now: Ts,
) -> DbResult<Contact> {
    let o = erased_opt_outs(tx, ws, contact.email.as_deref(), contact.phone.as_deref()).await?;
    apply_opt_outs(tx, ws, contact, o, actor, now, serde_json::Map::new()).await
}

/// Sets the flags in `o` the contact does not have yet.
pub(crate) async fn apply_opt_outs(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: Contact,
    o: OptOuts,
    actor: &Actor,
    now: Ts,
    extra: serde_json::Map<String, Value>,
) -> DbResult<Contact> {
    let unsub = o.email_unsubscribed && !contact.email_unsubscribed;
    let opt_out = o.sms_opted_out && !contact.sms_opted_out;
    if !unsub && !opt_out {
        return Ok(contact);
    }
    let patch = ContactPatch {
        email_unsubscribed: unsub.then_some(true),
        sms_opted_out: opt_out.then_some(true),
        ..Default::default()
    };
    crate::contacts::update_contact_with_event_data(tx, ws, contact.id, &patch, actor, now, extra)
        .await
}

/// Every erased person's opt-outs of a workspace, in memory, for bulk
/// imports (one query instead of one per row).
#[derive(Debug, Default)]
pub struct ErasedSet {
    by_email: HashMap<String, OptOuts>,
    by_phone: HashMap<String, OptOuts>,
}

impl ErasedSet {
    pub fn get(&self, email: Option<&str>, phone: Option<&str>) -> OptOuts {
        let e = email
            .and_then(|e| self.by_email.get(&email_hash(e)))
            .copied()
            .unwrap_or_default();
        let p = phone
            .and_then(|p| self.by_phone.get(&phone_hash(p)))
            .copied()
            .unwrap_or_default();
        e.or(p)
    }

    pub fn is_empty(&self) -> bool {
        self.by_email.is_empty() && self.by_phone.is_empty()
    }
}

/// Loads the [`ErasedSet`] of a workspace (only entries with an opt-out).
pub async fn load_erased_set(db: &crate::Db, ws: WorkspaceId) -> DbResult<ErasedSet> {
    let rows: Vec<(Option<String>, Option<String>, bool, bool)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT email_hash, phone_hash, email_unsubscribed, sms_opted_out FROM erased_contacts
             WHERE workspace_id = $1 AND (email_unsubscribed OR sms_opted_out)",
        )
        .bind(ws.0).fetch_all(p).await?
    });
    let mut set = ErasedSet::default();
    for (e, p, unsub, opt) in rows {
        let o = OptOuts {
            email_unsubscribed: unsub,
            sms_opted_out: opt,
        };
        if let Some(e) = e {
            let v = set.by_email.entry(e).or_default();
            *v = v.or(o);
        }
        if let Some(p) = p {
            let v = set.by_phone.entry(p).or_default();
            *v = v.or(o);
        }
    }
    Ok(set)
}

// ------------------------------------------------------------------ queries

/// id, channel, provider, to, from, subject, body, status, created_at.
type MessageRow = (
    Uuid,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Ts,
);
/// id, title, value_minor, currency, pipeline, stage, created_at, updated_at.
type DealRow = (Uuid, String, i64, String, String, String, Ts, Ts);
/// id, title, due_at, done_at, created_at.
type SubmissionRow = (Uuid, i64, String, String, String, Option<String>, Ts);
type AppointmentRow = (Uuid, String, Option<Ts>, Option<Ts>, String, String, Ts);
type TaskRow = (Uuid, String, Option<Ts>, Option<Ts>, Ts);

async fn deal_ids(tx: &mut Tx, ws: WorkspaceId, id: ContactId) -> DbResult<Vec<Uuid>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar("SELECT id FROM deals WHERE workspace_id = $1 AND contact_id = $2 ORDER BY created_at, id")
            .bind(ws.0).bind(id.0).fetch_all(&mut *c).await?
    }))
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Events about the contact or its deals, or whose data mentions the
/// contact's id, email or phone. `(event, is_own)`: own events are about
/// the contact itself (every personal key is erased there); the others
/// only mention them (only their values are erased).
async fn related_events(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: &Contact,
    deals: &[Uuid],
) -> DbResult<Vec<(crate::events::Event, bool)>> {
    let id_text = contact.id.to_string();
    let id_like = format!("%{id_text}%");
    let email_like = contact
        .email
        .as_deref()
        .map(|e| format!("%{}%", like_escape(&af_core::validate::email_key(e))));
    let phone_like = contact
        .phone
        .as_deref()
        .map(|p| format!("%{}%", like_escape(p)));
    // Deal events carry the contact id in their data, so the id pattern
    // finds them too; a full scan of the workspace's events is acceptable
    // for a rare, audited operation.
    let rows: Vec<crate::events::Event> = with_tx!(tx, c => {
        sqlx::query_as(
            "SELECT id, workspace_id, kind, entity_type, entity_id, actor_type, actor_id, data, occurred_at
             FROM events WHERE workspace_id = $1
               AND (entity_id = $2 OR data LIKE $3
                    OR ($4 IS NOT NULL AND LOWER(data) LIKE $4 ESCAPE '\\')
                    OR ($5 IS NOT NULL AND data LIKE $5 ESCAPE '\\'))
             ORDER BY occurred_at, id",
        )
        .bind(ws.0).bind(&id_text).bind(&id_like).bind(&email_like).bind(&phone_like)
        .fetch_all(&mut *c).await?
    });
    let deal_texts: Vec<String> = deals.iter().map(Uuid::to_string).collect();
    Ok(rows
        .into_iter()
        .map(|e| {
            let own = e
                .entity_id
                .as_deref()
                .is_some_and(|x| x == id_text || deal_texts.iter().any(|d| d == x))
                || e.data.contains(&id_text);
            (e, own)
        })
        .collect())
}

async fn contact_messages(tx: &mut Tx, ws: WorkspaceId, contact: &Contact) -> DbResult<Vec<Value>> {
    let email_key = contact.email.as_deref().map(af_core::validate::email_key);
    let phone = contact.phone.clone();
    let wa = phone.as_ref().map(|p| format!("whatsapp:{p}"));
    let rows: Vec<MessageRow> = with_tx!(tx, c => {
        sqlx::query_as(
            "SELECT id, channel, provider, to_address, from_address, subject, body_text, status, created_at
             FROM messages WHERE workspace_id = $1
               AND (($2 IS NOT NULL AND LOWER(to_address) = $2) OR ($3 IS NOT NULL AND (to_address = $3 OR to_address = $4))
                    OR contact_id = $5)
             ORDER BY created_at, id",
        )
        .bind(ws.0).bind(&email_key).bind(&phone).bind(&wa).bind(contact.id.0)
        .fetch_all(&mut *c).await?
    });
    Ok(rows
        .into_iter()
        .map(
            |(id, channel, provider, to, from, subject, body, status, at)| {
                json!({ "id": id, "channel": channel, "provider": provider, "to": to, "from": from,
                    "subject": subject, "body_text": body, "status": status, "created_at": at })
            },
        )
        .collect())
}

/// Everything stored about a contact, as one JSON document (`None` when the
/// contact is not in this workspace).
pub async fn export_contact(
    db: &crate::Db,
    ws: WorkspaceId,
    id: ContactId,
    now: Ts,
) -> DbResult<Option<Value>> {
    // A read-only snapshot, in one transaction so the parts agree.
    let mut tx = db.begin().await?;
    let contact = match crate::contacts::get_contact_tx(&mut tx, ws, id).await {
        Ok(c) => c,
        Err(DbError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let tags: Vec<String> = with_tx!(&mut tx, c => {
        sqlx::query_scalar(
            "SELECT t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
             WHERE ct.workspace_id = $1 AND ct.contact_id = $2 ORDER BY t.name_key",
        )
        .bind(ws.0).bind(id.0).fetch_all(&mut *c).await?
    });
    let deals: Vec<Value> = {
        let rows: Vec<DealRow> = with_tx!(&mut tx, c => {
            sqlx::query_as(
                "SELECT d.id, d.title, d.value_minor, d.currency, p.name, s.name, d.created_at, d.updated_at
                 FROM deals d JOIN stages s ON s.id = d.stage_id JOIN pipelines p ON p.id = d.pipeline_id
                 WHERE d.workspace_id = $1 AND d.contact_id = $2 ORDER BY d.created_at, d.id",
            )
            .bind(ws.0).bind(id.0).fetch_all(&mut *c).await?
        });
        rows.into_iter()
            .map(|(id, title, value, cur, pipeline, stage, created, updated)| {
                json!({ "id": id, "title": title, "value_minor": value, "currency": cur,
                        "pipeline": pipeline, "stage": stage, "created_at": created, "updated_at": updated })
            })
            .collect()
    };
    let notes: Vec<Value> = {
        let rows: Vec<(Uuid, String, Ts)> = with_tx!(&mut tx, c => {
            sqlx::query_as("SELECT id, body, created_at FROM notes WHERE workspace_id = $1 AND contact_id = $2 ORDER BY created_at, id")
                .bind(ws.0).bind(id.0).fetch_all(&mut *c).await?
        });
        rows.into_iter()
            .map(|(id, body, at)| json!({ "id": id, "body": body, "created_at": at }))
            .collect()
    };
    let tasks: Vec<Value> = {
        let rows: Vec<TaskRow> = with_tx!(&mut tx, c => {
            sqlx::query_as(
                "SELECT id, title, due_at, done_at, created_at FROM tasks WHERE workspace_id = $1
                   AND (contact_id = $2 OR deal_id IN (SELECT id FROM deals WHERE workspace_id = $1 AND contact_id = $2))
                 ORDER BY created_at, id",
            )
            .bind(ws.0).bind(id.0).fetch_all(&mut *c).await?
        });
        rows.into_iter()
            .map(|(id, title, due, done, at)| {
                json!({ "id": id, "title": title, "due_at": due, "done_at": done, "created_at": at })
            })
            .collect()
    };
    let deal_list = deal_ids(&mut tx, ws, id).await?;
    let events: Vec<Value> = related_events(&mut tx, ws, &contact, &deal_list)
        .await?
        .into_iter()
        .map(|(e, _)| {
            let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::String(e.data));
            json!({ "id": e.id, "kind": e.kind, "entity_type": e.entity_type, "entity_id": e.entity_id,
                    "actor_type": e.actor_type, "data": data, "occurred_at": e.occurred_at })
        })
        .collect();
    let messages = contact_messages(&mut tx, ws, &contact).await?;
    let submissions: Vec<Value> = {
        let rows: Vec<SubmissionRow> = with_tx!(&mut tx, c => {
            sqlx::query_as(
                "SELECT id, lead_number, channel, data, attribution, consent_text, created_at FROM form_submissions
                 WHERE workspace_id = $1 AND contact_id = $2 ORDER BY created_at, id",
            )
            .bind(ws.0).bind(id.0).fetch_all(&mut *c).await?
        });
        rows.into_iter()
            .map(|(id, n, channel, data, attribution, consent, at)| {
                let parse = |t: String| serde_json::from_str(&t).unwrap_or(Value::String(t));
                json!({ "id": id, "lead_number": n, "channel": channel, "data": parse(data),
                        "attribution": parse(attribution), "consent_text": consent, "created_at": at })
            })
            .collect()
    };
    let appointments: Vec<Value> = {
        let rows: Vec<AppointmentRow> = with_tx!(&mut tx, c => {
            sqlx::query_as(
                "SELECT id, title, starts_at, ends_at, status, source, created_at FROM appointments
                 WHERE workspace_id = $1 AND contact_id = $2 ORDER BY created_at, id",
            )
            .bind(ws.0).bind(id.0).fetch_all(&mut *c).await?
        });
        rows.into_iter()
            .map(|(id, title, starts, ends, status, source, at)| {
                json!({ "id": id, "title": title, "starts_at": starts, "ends_at": ends,
                        "status": status, "source": source, "created_at": at })
            })
            .collect()
    };
    let other_emails: Vec<String> = with_tx!(&mut tx, c => {
        sqlx::query_scalar(
            "SELECT email FROM contact_emails WHERE workspace_id = $1 AND contact_id = $2 ORDER BY created_at, email_key",
        )
        .bind(ws.0).bind(contact.id.0).fetch_all(&mut *c).await?
    });
    tx.rollback().await?;
    Ok(Some(json!({
        "format": "agencyflow.gdpr_export.v1",
        "exported_at": now,
        "contact": contact,
        "other_emails": other_emails,
        "custom": contact.custom_map(),
        "tags": tags,
        "deals": deals,
        "notes": notes,
        "tasks": tasks,
        "events": events,
        "messages": messages,
        "form_submissions": submissions,
        "appointments": appointments,
    })))
}

/// What an erase removed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Erased {
    pub deals: usize,
    pub messages: u64,
    pub events_scrubbed: usize,
    pub opt_outs: OptOuts,
}

/// Keys whose values are personal in the contact's own events.
const PERSONAL_KEYS: &[&str] = &[
    "first_name",
    "last_name",
    "name",
    "full_name",
    "email",
    "phone",
    "company",
    "to",
    "to_address",
    "referrer",
    "landing_page",
    "custom",
    "body",
    "note",
];

/// Replaces personal values in `v`: the contact's email, phone and full
/// name anywhere in a string, and (in their own events) every value under a
/// personal key.
fn scrub(v: &mut Value, needles: &[String], own: bool) -> bool {
    match v {
        Value::String(s) => {
            let lower = s.to_lowercase();
            if needles.iter().any(|n| lower.contains(n.as_str())) {
                if lower.len() != s.len() {
                    // Lower-casing moved byte offsets: erase the whole value.
                    *s = ERASED.to_string();
                    return true;
                }
                let mut out = String::with_capacity(s.len());
                let mut i = 0;
                while i < s.len() {
                    let hit = needles.iter().find(|n| {
                        lower.get(i..).is_some_and(|l| l.starts_with(n.as_str()))
                            && s.is_char_boundary(i + n.len())
                    });
                    match hit {
                        Some(n) => {
                            out.push_str(ERASED);
                            i += n.len();
                        }
                        None => {
                            let ch = s[i..].chars().next().unwrap_or(' ');
                            out.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                *s = out;
                true
            } else {
                false
            }
        }
        Value::Array(a) => {
            // Every element is scrubbed: no short-circuit.
            let mut changed = false;
            for x in a.iter_mut() {
                changed |= scrub(x, needles, own);
            }
            changed
        }
        Value::Object(m) => {
            let mut changed = false;
            for (k, x) in m.iter_mut() {
                if own && PERSONAL_KEYS.contains(&k.as_str()) && !x.is_null() {
                    if x.as_str() != Some(ERASED) {
                        *x = match x {
                            Value::Object(inner) => Value::Object(
                                inner
                                    .keys()
                                    .map(|k| (k.clone(), Value::String(ERASED.into())))
                                    .collect(),
                            ),
                            _ => Value::String(ERASED.into()),
                        };
                        changed = true;
                    }
                } else {
                    changed |= scrub(x, needles, own);
                }
            }
            changed
        }
        _ => false,
    }
}

/// Erases a contact in the caller's transaction (see the module doc).
/// Writes a `contact.erased` event holding no personal data. The caller
/// audits.
pub async fn erase_contact(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ContactId,
    actor: &Actor,
    now: Ts,
) -> DbResult<Erased> {
    let contact = crate::contacts::get_contact_tx(tx, ws, id).await?;
    let deals = deal_ids(tx, ws, id).await?;
    let mut needles: Vec<String> = Vec::new();
    if let Some(e) = &contact.email {
        needles.push(af_core::validate::email_key(e));
    }
    if let Some(p) = &contact.phone {
        needles.push(p.to_lowercase());
        if let Some(digits) = p.strip_prefix('+') {
            needles.push(digits.to_string());
        }
    }
    let full = contact.full_name().to_lowercase();
    if full.chars().count() >= 4 && full.contains(' ') {
        needles.push(full);
    }
    needles.retain(|n| n.len() >= 4);
    let mut scrubbed = 0;
    for (event, own) in related_events(tx, ws, &contact, &deals).await? {
        let Ok(mut data) = serde_json::from_str::<Value>(&event.data) else {
            continue;
        };
        if scrub(&mut data, &needles, own) {
            with_tx!(tx, c => {
                sqlx::query("UPDATE events SET data = $3 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0).bind(event.id).bind(data.to_string())
                    .execute(&mut *c).await?;
            });
            scrubbed += 1;
        }
    }
    let email_key = contact.email.as_deref().map(af_core::validate::email_key);
    let wa = contact.phone.as_ref().map(|p| format!("whatsapp:{p}"));
    let messages = with_tx!(tx, c => {
        // By address, and by contact: Kommo syncs and webhook-step posts
        // carry her details in their bodies, not in `to_address`.
        sqlx::query(
            "DELETE FROM messages WHERE workspace_id = $1
               AND (($2 IS NOT NULL AND LOWER(to_address) = $2) OR ($3 IS NOT NULL AND (to_address = $3 OR to_address = $4))
                    OR contact_id = $5)",
        )
        .bind(ws.0).bind(&email_key).bind(&contact.phone).bind(&wa).bind(id.0)
        .execute(&mut *c).await?.rows_affected()
    });
    // The raw Cal.com deliveries of her bookings hold her name and email;
    // the record of each delivery stays (deduplication), its body goes.
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE inbound_webhooks SET body = $3
             WHERE workspace_id = $1 AND external_id IN (
                 SELECT external_uid FROM appointments
                 WHERE workspace_id = $1 AND contact_id = $2 AND external_uid IS NOT NULL)",
        )
        .bind(ws.0).bind(id.0).bind(r#"{"erased":true}"#)
        .execute(&mut *c).await?;
    });
    let opt_outs = OptOuts {
        email_unsubscribed: contact.email_unsubscribed,
        sms_opted_out: contact.sms_opted_out,
    };
    if contact.email.is_some() || contact.phone.is_some() {
        with_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO erased_contacts (id, workspace_id, email_hash, phone_hash, email_unsubscribed, sms_opted_out, erased_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(Uuid::now_v7()).bind(ws.0)
            .bind(contact.email.as_deref().map(email_hash)).bind(contact.phone.as_deref().map(phone_hash))
            .bind(opt_outs.email_unsubscribed).bind(opt_outs.sms_opted_out).bind(now)
            .execute(&mut *c).await?;
        });
    }
    // Deals, notes, tasks and tag links go with the contact (ON DELETE CASCADE).
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?;
    });
    let erased = Erased {
        deals: deals.len(),
        messages,
        events_scrubbed: scrubbed,
        opt_outs,
    };
    let event = NewEvent {
        workspace: ws,
        kind: EventKind::ContactErased.as_str(),
        entity_type: "contact",
        entity_id: Some(id.to_string()),
        actor,
        data: json!({ "deals": erased.deals, "messages": erased.messages, "events_scrubbed": scrubbed }),
    };
    crate::events::insert_event(tx, &event, now).await?;
    Ok(erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_replaces_values_and_personal_keys() {
        let needles = vec!["ana@x.com".to_string(), "+528112345678".to_string()];
        let mut own = json!({"contact": {"first_name": "Ana", "email": "Ana@X.com", "score": 3},
                             "msg": "escribió ANA@x.com hoy", "custom": {"k": "v"}});
        assert!(scrub(&mut own, &needles, true));
        assert_eq!(own["contact"]["first_name"], ERASED);
        assert_eq!(own["contact"]["score"], 3);
        assert_eq!(own["msg"], "escribió [erased] hoy");
        assert_eq!(own["custom"]["k"], ERASED);
        let mut other = json!({"name": "Luis", "cc": "+528112345678"});
        assert!(scrub(&mut other, &needles, false));
        assert_eq!(other["name"], "Luis");
        assert_eq!(other["cc"], ERASED);
        assert!(!scrub(&mut json!({"a": 1}), &needles, false));
    }
}
