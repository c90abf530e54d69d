//! The chunked write path of CSV imports: a chunk of validated rows is
//! matched, merged and written with a fixed handful of multi-row statements
//! (about a dozen round trips per chunk instead of ~8 per row), the same
//! SQL on both backends.
//!
//! The upsert rule is applied in memory, row after row, to the contacts the
//! chunk's emails and phones can reach (read in one query), so a chunk ends
//! as [`contacts::upsert_contact`] called row by row would leave it:
//! duplicates inside the chunk merge, a row matches by email (primary, then
//! another address of a contact) before its phone, a row whose email and
//! phone would belong to two contacts is rejected alone (`Conflict`), and
//! the same events are written in the same order (`contact.created` /
//! `contact.updated` / `contact.email_added` / `tag.added`, then the
//! opt-outs of erased people). [`plan`] decides without writing;
//! [`write_chunk`] then writes what it decided.
//!
//! Should the database still refuse a statement with a unique violation
//! (a key taken by a concurrent writer on PostgreSQL, or two contacts
//! swapping a phone within one `UPDATE`), the caller rolls back and redoes
//! the chunk row by row.

use crate::contacts::{self, Contact, ContactInput, ContactPatch, Tag};
use crate::gdpr::ErasedSet;
use crate::placeholders::{max_binds, placeholder_list, placeholder_rows};
use crate::{DbError, DbResult, Ts, Tx, with_tx};
use af_core::contact::{Attribution, tag_key};
use af_core::validate::email_key;
use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, EventId, TagId, WorkspaceId};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use uuid::Uuid;

/// Rows per bulk `UPDATE`: each row is one term of a compound `SELECT`,
/// and SQLite allows at most 500 terms.
const UPDATE_ROWS: usize = 400;

/// One validated row of a chunk and the time it is written at.
pub(super) struct ChunkRow<'a> {
    pub input: &'a ContactInput,
    pub now: Ts,
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Created,
    Updated,
    /// Its email and its phone belong to two different contacts.
    Conflict,
}

/// Who writes, and what every event of the import carries.
pub(super) struct Ctx<'a> {
    pub ws: WorkspaceId,
    pub actor: &'a Actor,
    /// Merged into every event's data (`"import": true` ...).
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
    pub erased: &'a ErasedSet,
}

/// Matches, merges and writes `rows` in `tx`; one outcome per row, in order.
pub(super) async fn write_chunk(
    tx: &mut Tx,
    ctx: &Ctx<'_>,
    rows: &[ChunkRow<'_>],
) -> DbResult<Vec<Outcome>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let known = load_known(tx, ctx.ws, rows).await?;
    let plan = plan(known, ctx.ws, rows, ctx.erased);
    write_plan(tx, ctx, &plan).await?;
    Ok(plan.outcomes)
}

// ------------------------------------------------------------ what is known

/// The contacts a chunk can reach and how the upsert rule finds them, kept
/// up to date as the chunk's rows are merged in.
#[derive(Default)]
struct Known {
    contacts: Vec<Contact>,
    /// Read from the database (else created by this chunk).
    existed: Vec<bool>,
    /// Changed by this chunk.
    changed: Vec<bool>,
    by_id: HashMap<Uuid, usize>,
    /// Primary email key → contact.
    by_email: HashMap<String, usize>,
    /// Another address's key → the contact that has had it longest.
    by_other_email: HashMap<String, usize>,
    /// (contact, email key) of the `contact_emails` rows.
    other_emails: HashSet<(usize, String)>,
    by_phone: HashMap<String, usize>,
    /// (contact, tag key) of the tag links.
    links: HashSet<(usize, String)>,
}

impl Known {
    fn add(&mut self, c: Contact, existed: bool) -> usize {
        if let Some(&i) = self.by_id.get(&c.id.0) {
            return i;
        }
        let i = self.contacts.len();
        self.by_id.insert(c.id.0, i);
        if let Some(e) = &c.email {
            self.by_email.insert(email_key(e), i);
        }
        if let Some(p) = &c.phone {
            self.by_phone.insert(p.clone(), i);
        }
        self.contacts.push(c);
        self.existed.push(existed);
        self.changed.push(false);
        i
    }

    /// The contact the upsert rule matches (`contacts::find_match`).
    fn find_match(&self, email: Option<&str>, phone: Option<&str>) -> Option<usize> {
        if let Some(k) = email.map(email_key)
            && let Some(&i) = self
                .by_email
                .get(&k)
                .or_else(|| self.by_other_email.get(&k))
        {
            return Some(i);
        }
        phone.and_then(|p| self.by_phone.get(p).copied())
    }

    /// Whether contact `i` may take `c`'s email and phone (the unique keys).
    fn may_take(&self, i: usize, c: &Contact) -> bool {
        let free = |owner: Option<&usize>| owner.is_none_or(|&o| o == i);
        c.email
            .as_deref()
            .is_none_or(|e| free(self.by_email.get(&email_key(e))))
            && c.phone
                .as_deref()
                .is_none_or(|p| free(self.by_phone.get(p)))
    }

    /// Replaces contact `i` with `new`, moving its keys.
    fn replace(&mut self, i: usize, new: Contact) {
        let old = &self.contacts[i];
        let (old_key, new_key) = (
            old.email.as_deref().map(email_key),
            new.email.as_deref().map(email_key),
        );
        if old_key != new_key {
            if let Some(k) = old_key {
                self.by_email.remove(&k);
            }
            if let Some(k) = new_key {
                self.by_email.insert(k, i);
            }
        }
        if old.phone != new.phone {
            if let Some(p) = &old.phone {
                self.by_phone.remove(p);
            }
            if let Some(p) = &new.phone {
                self.by_phone.insert(p.clone(), i);
            }
        }
        self.contacts[i] = new;
        self.changed[i] = true;
    }
}

macro_rules! contact_columns {
    () => {
        "id, workspace_id, first_name, last_name, email, phone, company, source, owner_id, lifecycle, score, \
         email_unsubscribed, sms_opted_out, custom, first_utm_source, first_utm_medium, first_utm_campaign, \
         first_utm_term, first_utm_content, first_referrer, first_landing_page, first_touch_at, last_utm_source, \
         last_utm_medium, last_utm_campaign, last_utm_term, last_utm_content, last_referrer, last_landing_page, \
         last_touch_at, last_activity_at, created_at, updated_at"
    };
}

/// Reads what the chunk's rows can match: the contacts with their emails
/// (primary or other) or phones, the other addresses with those emails,
/// and those contacts' links to the chunk's tags. Three queries at most.
async fn load_known(tx: &mut Tx, ws: WorkspaceId, rows: &[ChunkRow<'_>]) -> DbResult<Known> {
    let mut emails: Vec<String> = vec![];
    let mut phones: Vec<String> = vec![];
    let mut tags: Vec<String> = vec![];
    let (mut seen_e, mut seen_p, mut seen_t) = (HashSet::new(), HashSet::new(), HashSet::new());
    for r in rows {
        if let Some(e) = &r.input.email {
            let k = email_key(e);
            if seen_e.insert(k.clone()) {
                emails.push(k);
            }
        }
        if let Some(p) = &r.input.phone
            && seen_p.insert(p.clone())
        {
            phones.push(p.clone());
        }
        for t in &r.input.tags {
            let k = tag_key(t);
            if seen_t.insert(k.clone()) {
                tags.push(k);
            }
        }
    }
    let mut known = Known::default();

    // The contacts, by primary email, other email or phone: one statement
    // (each part through its own index), the key lists bound once.
    let mut parts: Vec<String> = vec![];
    let emails_at = 2;
    let phones_at = emails_at + emails.len();
    if !emails.is_empty() {
        let list = placeholder_list(emails.len(), emails_at);
        parts.push(format!(
            concat!(
                "SELECT ",
                contact_columns!(),
                " FROM contacts WHERE workspace_id = $1 AND email_key IN ({})"
            ),
            list
        ));
        parts.push(format!(
            concat!(
                "SELECT ",
                contact_columns!(),
                " FROM contacts WHERE workspace_id = $1 AND id IN
                   (SELECT contact_id FROM contact_emails WHERE workspace_id = $1 AND email_key IN ({}))"
            ),
            list
        ));
    }
    if !phones.is_empty() {
        parts.push(format!(
            concat!(
                "SELECT ",
                contact_columns!(),
                " FROM contacts WHERE workspace_id = $1 AND phone IN ({})"
            ),
            placeholder_list(phones.len(), phones_at)
        ));
    }
    if parts.is_empty() {
        return Ok(known);
    }
    let sql = parts.join(" UNION ");
    let found: Vec<Contact> = with_tx!(tx, c => {
        // Only placeholders are formatted into the text; values are bound.
        let mut q = sqlx::query_as::<_, Contact>(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
        for k in &emails {
            q = q.bind(k);
        }
        for p in &phones {
            q = q.bind(p);
        }
        q.fetch_all(&mut *c).await?
    });
    for c in found {
        known.add(c, true);
    }

    // Other addresses, oldest first: the first per key is the match.
    if !emails.is_empty() {
        let sql = format!(
            "SELECT email_key, contact_id FROM contact_emails WHERE workspace_id = $1 AND email_key IN ({})
             ORDER BY created_at",
            placeholder_list(emails.len(), 2)
        );
        let rows: Vec<(String, Uuid)> = with_tx!(tx, c => {
            let mut q = sqlx::query_as::<_, (String, Uuid)>(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for k in &emails {
                q = q.bind(k);
            }
            q.fetch_all(&mut *c).await?
        });
        for (key, contact) in rows {
            if let Some(&i) = known.by_id.get(&contact) {
                known.by_other_email.entry(key.clone()).or_insert(i);
                known.other_emails.insert((i, key));
            }
        }
    }

    // Links of those contacts to the chunk's tags (as `card_tags`: SQLite
    // starts from the contact ids, the primary key of `contact_tags`).
    if !tags.is_empty() && !known.contacts.is_empty() {
        let ids: Vec<Uuid> = known.contacts.iter().map(|c| c.id.0).collect();
        for group in ids.chunks(max_binds(tx) / 2) {
            let sql = format!(
                "SELECT ct.contact_id, t.name_key FROM contact_tags ct CROSS JOIN tags t
                 WHERE ct.contact_id IN ({}) AND t.id = ct.tag_id AND t.workspace_id = $1",
                placeholder_list(group.len(), 2)
            );
            let links: Vec<(Uuid, String)> = with_tx!(tx, c => {
                let mut q = sqlx::query_as::<_, (Uuid, String)>(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
                for id in group {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut *c).await?
            });
            for (contact, key) in links {
                if let Some(&i) = known.by_id.get(&contact) {
                    known.links.insert((i, key));
                }
            }
        }
    }
    Ok(known)
}

// --------------------------------------------------------------------- plan

/// An event to write, in order.
struct PlannedEvent {
    kind: EventKind,
    contact: usize,
    data: EventData,
    at: Ts,
}

enum EventData {
    Ready(serde_json::Value),
    /// `tag.added` of the tag with this key (its id and stored name are
    /// known once the tags are written).
    TagAdded(String),
}

/// What a chunk writes.
struct Plan {
    known: Known,
    outcomes: Vec<Outcome>,
    /// Tag keys the chunk uses, first spelling and time, in order.
    tags: Vec<(String, String, Ts)>,
    /// (contact, address, key, time) of the new other addresses.
    emails: Vec<(usize, String, String, Ts)>,
    /// (contact, tag key, time) of the new links.
    links: Vec<(usize, String, Ts)>,
    events: Vec<PlannedEvent>,
}

/// Applies the upsert rule to `rows` in order, in memory.
fn plan(mut known: Known, ws: WorkspaceId, rows: &[ChunkRow<'_>], erased: &ErasedSet) -> Plan {
    let mut p = Plan {
        known: Known::default(),
        outcomes: Vec::with_capacity(rows.len()),
        tags: vec![],
        emails: vec![],
        links: vec![],
        events: vec![],
    };
    let mut tag_seen: HashSet<String> = HashSet::new();
    for row in rows {
        let (i, now) = (row.input, row.now);
        let at = match known.find_match(i.email.as_deref(), i.phone.as_deref()) {
            None => {
                let c = contacts::new_contact(ws, ContactId::new(), i, now);
                let data = contacts::created_event_data(&c, &i.attribution);
                let at = known.add(c, false);
                known.changed[at] = true;
                p.event(EventKind::ContactCreated, at, data, now);
                p.outcomes.push(Outcome::Created);
                at
            }
            Some(at) => {
                let old = &known.contacts[at];
                let (patch, other_email) = contacts::merge_plan(old, i);
                let new = contacts::patched(old, &patch, now);
                if !known.may_take(at, &new) {
                    p.outcomes.push(Outcome::Conflict);
                    continue;
                }
                if let Some(data) = contacts::updated_event_data(old, &new, &patch.attribution) {
                    p.event(EventKind::ContactUpdated, at, data, now);
                }
                known.replace(at, new);
                if let Some(address) = other_email {
                    let key = email_key(&address);
                    if known.other_emails.insert((at, key.clone())) {
                        known.by_other_email.entry(key.clone()).or_insert(at);
                        let data = contacts::email_added_event_data(&known.contacts[at], &address);
                        p.event(EventKind::ContactEmailAdded, at, data, now);
                        p.emails.push((at, address, key, now));
                    }
                }
                p.outcomes.push(Outcome::Updated);
                at
            }
        };
        for name in &i.tags {
            let key = tag_key(name);
            if tag_seen.insert(key.clone()) {
                p.tags.push((key.clone(), name.clone(), now));
            }
            if known.links.insert((at, key.clone())) {
                p.links.push((at, key.clone(), now));
                p.events.push(PlannedEvent {
                    kind: EventKind::TagAdded,
                    contact: at,
                    data: EventData::TagAdded(key),
                    at: now,
                });
            }
        }
        // An erased person coming back keeps their opt-outs
        // (`gdpr::apply_opt_outs`).
        if !erased.is_empty() {
            let c = &known.contacts[at];
            let o = erased.get(c.email.as_deref(), c.phone.as_deref());
            let unsub = o.email_unsubscribed && !c.email_unsubscribed;
            let opt_out = o.sms_opted_out && !c.sms_opted_out;
            if unsub || opt_out {
                let patch = ContactPatch {
                    email_unsubscribed: unsub.then_some(true),
                    sms_opted_out: opt_out.then_some(true),
                    ..Default::default()
                };
                let new = contacts::patched(c, &patch, now);
                if let Some(data) = contacts::updated_event_data(c, &new, &Attribution::default()) {
                    p.event(EventKind::ContactUpdated, at, data, now);
                }
                known.replace(at, new);
            }
        }
    }
    p.known = known;
    p
}

impl Plan {
    fn event(&mut self, kind: EventKind, contact: usize, data: serde_json::Value, at: Ts) {
        self.events.push(PlannedEvent {
            kind,
            contact,
            data: EventData::Ready(data),
            at,
        });
    }
}

// -------------------------------------------------------------------- write

/// Writes a plan: tags, changed contacts, new contacts, other addresses,
/// tag links, events (and their dispatch jobs), in that order (updates
/// before inserts: a phone an update gives up may go to a new contact).
async fn write_plan(tx: &mut Tx, ctx: &Ctx<'_>, p: &Plan) -> DbResult<()> {
    let tags = ensure_tags(tx, ctx.ws, &p.tags).await?;
    let k = &p.known;
    let updated: Vec<&Contact> = (0..k.contacts.len())
        .filter(|&i| k.existed[i] && k.changed[i])
        .map(|i| &k.contacts[i])
        .collect();
    update_contacts(tx, ctx.ws, &updated).await?;
    let created: Vec<&Contact> = (0..k.contacts.len())
        .filter(|&i| !k.existed[i])
        .map(|i| &k.contacts[i])
        .collect();
    insert_contacts(tx, &created).await?;
    insert_other_emails(tx, ctx.ws, p).await?;
    insert_links(tx, ctx.ws, p, &tags).await?;
    insert_events(tx, ctx, p, &tags).await
}

/// The chunk's tags, created when missing (first spelling wins, as
/// `contacts::ensure_tag`), by key.
async fn ensure_tags(
    tx: &mut Tx,
    ws: WorkspaceId,
    tags: &[(String, String, Ts)],
) -> DbResult<HashMap<String, Tag>> {
    let mut out = HashMap::new();
    for group in tags.chunks(max_binds(tx) / 5) {
        let sql = format!(
            "INSERT INTO tags (id, workspace_id, name, name_key, created_at) VALUES {}
             ON CONFLICT (workspace_id, name_key) DO NOTHING",
            placeholder_rows(group.len(), 5, 1)
        );
        let select = format!(
            "SELECT id, name, color, name_key FROM tags WHERE workspace_id = $1 AND name_key IN ({})",
            placeholder_list(group.len(), 2)
        );
        let found: Vec<(Uuid, String, Option<String>, String)> = with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (key, name, at) in group {
                q = q.bind(Uuid::now_v7()).bind(ws.0).bind(name).bind(key).bind(*at);
            }
            q.execute(&mut *c).await?;
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(select.clone())).bind(ws.0);
            for (key, _, _) in group {
                q = q.bind(key);
            }
            q.fetch_all(&mut *c).await?
        });
        for (id, name, color, key) in found {
            out.insert(
                key,
                Tag {
                    id: TagId(id),
                    name,
                    color,
                },
            );
        }
    }
    Ok(out)
}

/// The columns `contacts::apply_patch` sets, and the contact's id.
const UPDATE_COLUMNS: [&str; 32] = [
    "id",
    "first_name",
    "last_name",
    "email",
    "email_key",
    "phone",
    "company",
    "source",
    "owner_id",
    "lifecycle",
    "email_unsubscribed",
    "sms_opted_out",
    "custom",
    "search_text",
    "updated_at",
    "last_activity_at",
    "first_utm_source",
    "first_utm_medium",
    "first_utm_campaign",
    "first_utm_term",
    "first_utm_content",
    "first_referrer",
    "first_landing_page",
    "first_touch_at",
    "last_utm_source",
    "last_utm_medium",
    "last_utm_campaign",
    "last_utm_term",
    "last_utm_content",
    "last_referrer",
    "last_landing_page",
    "last_touch_at",
];

/// Writes the merged state of contacts that existed, one statement per
/// [`UPDATE_ROWS`]. The new values come as a derived table whose first
/// term (`SELECT ... FROM contacts WHERE FALSE`) gives every column its
/// type, so PostgreSQL types the bound parameters of the other terms as
/// the columns (a plain `VALUES` list would make them text).
async fn update_contacts(tx: &mut Tx, ws: WorkspaceId, rows: &[&Contact]) -> DbResult<()> {
    let cols = UPDATE_COLUMNS.len();
    for group in rows.chunks(UPDATE_ROWS.min(max_binds(tx) / cols)) {
        let mut sql = String::from("UPDATE contacts SET ");
        for (n, col) in UPDATE_COLUMNS.iter().skip(1).enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "{col} = v.{col}");
        }
        let _ = write!(
            sql,
            " FROM (SELECT {} FROM contacts WHERE workspace_id = $1 AND FALSE",
            UPDATE_COLUMNS.join(", ")
        );
        for r in 0..group.len() {
            let _ = write!(
                sql,
                " UNION ALL SELECT {}",
                placeholder_list(cols, 2 + r * cols)
            );
        }
        sql.push_str(") AS v WHERE contacts.workspace_id = $1 AND contacts.id = v.id");
        let done = with_tx!(tx, c => {
            // Only placeholders and column names are formatted into the text.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
            for x in group {
                q = q
                    .bind(x.id.0).bind(&x.first_name).bind(&x.last_name).bind(&x.email)
                    .bind(x.email.as_deref().map(email_key)).bind(&x.phone).bind(&x.company)
                    .bind(&x.source).bind(x.owner_id).bind(&x.lifecycle).bind(x.email_unsubscribed)
                    .bind(x.sms_opted_out).bind(&x.custom).bind(contacts::search_text_of(x))
                    .bind(x.updated_at).bind(x.last_activity_at)
                    .bind(&x.first_utm_source).bind(&x.first_utm_medium).bind(&x.first_utm_campaign)
                    .bind(&x.first_utm_term).bind(&x.first_utm_content).bind(&x.first_referrer)
                    .bind(&x.first_landing_page).bind(x.first_touch_at)
                    .bind(&x.last_utm_source).bind(&x.last_utm_medium).bind(&x.last_utm_campaign)
                    .bind(&x.last_utm_term).bind(&x.last_utm_content).bind(&x.last_referrer)
                    .bind(&x.last_landing_page).bind(x.last_touch_at);
            }
            q.execute(&mut *c).await?.rows_affected()
        });
        // A contact deleted since it was read: what the row-by-row path's
        // read-back reports too.
        if done != group.len() as u64 {
            return Err(DbError::NotFound("contact"));
        }
    }
    Ok(())
}

/// Inserts the chunk's new contacts (final state), as `insert_contact`.
async fn insert_contacts(tx: &mut Tx, rows: &[&Contact]) -> DbResult<()> {
    const COLS: usize = 35;
    for group in rows.chunks(max_binds(tx) / COLS) {
        let sql = format!(
            "INSERT INTO contacts (id, workspace_id, first_name, last_name, email, email_key, phone, company, source,
                owner_id, lifecycle, score, email_unsubscribed, sms_opted_out, custom,
                first_utm_source, first_utm_medium, first_utm_campaign, first_utm_term, first_utm_content,
                first_referrer, first_landing_page, first_touch_at,
                last_utm_source, last_utm_medium, last_utm_campaign, last_utm_term, last_utm_content,
                last_referrer, last_landing_page, last_touch_at,
                search_text, last_activity_at, created_at, updated_at)
             VALUES {}",
            placeholder_rows(group.len(), COLS, 1)
        );
        with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for x in group {
                q = q
                    .bind(x.id.0).bind(x.workspace_id.0).bind(&x.first_name).bind(&x.last_name)
                    .bind(&x.email).bind(x.email.as_deref().map(email_key)).bind(&x.phone)
                    .bind(&x.company).bind(&x.source).bind(x.owner_id).bind(&x.lifecycle).bind(x.score)
                    .bind(x.email_unsubscribed).bind(x.sms_opted_out).bind(&x.custom)
                    .bind(&x.first_utm_source).bind(&x.first_utm_medium).bind(&x.first_utm_campaign)
                    .bind(&x.first_utm_term).bind(&x.first_utm_content).bind(&x.first_referrer)
                    .bind(&x.first_landing_page).bind(x.first_touch_at)
                    .bind(&x.last_utm_source).bind(&x.last_utm_medium).bind(&x.last_utm_campaign)
                    .bind(&x.last_utm_term).bind(&x.last_utm_content).bind(&x.last_referrer)
                    .bind(&x.last_landing_page).bind(x.last_touch_at)
                    .bind(contacts::search_text_of(x)).bind(x.last_activity_at).bind(x.created_at)
                    .bind(x.updated_at);
            }
            q.execute(&mut *c).await?;
        });
    }
    Ok(())
}

async fn insert_other_emails(tx: &mut Tx, ws: WorkspaceId, p: &Plan) -> DbResult<()> {
    for group in p.emails.chunks(max_binds(tx) / 5) {
        let sql = format!(
            "INSERT INTO contact_emails (workspace_id, contact_id, email, email_key, created_at) VALUES {}
             ON CONFLICT (contact_id, email_key) DO NOTHING",
            placeholder_rows(group.len(), 5, 1)
        );
        with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (i, address, key, at) in group {
                q = q.bind(ws.0).bind(p.known.contacts[*i].id.0).bind(address).bind(key).bind(*at);
            }
            q.execute(&mut *c).await?;
        });
    }
    Ok(())
}

async fn insert_links(
    tx: &mut Tx,
    ws: WorkspaceId,
    p: &Plan,
    tags: &HashMap<String, Tag>,
) -> DbResult<()> {
    let rows: Vec<(Uuid, Uuid, Ts)> = p
        .links
        .iter()
        .map(|(i, key, at)| {
            let tag = tags.get(key).ok_or(DbError::NotFound("tag"))?;
            Ok((p.known.contacts[*i].id.0, tag.id.0, *at))
        })
        .collect::<DbResult<_>>()?;
    for group in rows.chunks(max_binds(tx) / 4) {
        let sql = format!(
            "INSERT INTO contact_tags (workspace_id, contact_id, tag_id, created_at) VALUES {}
             ON CONFLICT (contact_id, tag_id) DO NOTHING",
            placeholder_rows(group.len(), 4, 1)
        );
        with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (contact, tag, at) in group {
                q = q.bind(ws.0).bind(*contact).bind(*tag).bind(*at);
            }
            q.execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// Writes the events (as `events::insert_event` would, one by one) and a
/// dispatch job for each one a subscriber may react to.
async fn insert_events(
    tx: &mut Tx,
    ctx: &Ctx<'_>,
    p: &Plan,
    tags: &HashMap<String, Tag>,
) -> DbResult<()> {
    let mut rows: Vec<(EventId, &'static str, String, String, bool, Ts)> = vec![];
    for e in &p.events {
        let data = match &e.data {
            EventData::Ready(d) => d.clone(),
            EventData::TagAdded(key) => {
                contacts::tag_added_event_data(tags.get(key).ok_or(DbError::NotFound("tag"))?)
            }
        };
        let data = if ctx.extra.is_empty() {
            data
        } else {
            contacts::with_extra_data(data, ctx.extra)
        };
        let quiet = af_core::events::is_quiet(&data);
        rows.push((
            EventId::new(),
            e.kind.as_str(),
            p.known.contacts[e.contact].id.to_string(),
            data.to_string(),
            quiet,
            e.at,
        ));
    }
    for group in rows.chunks(max_binds(tx) / 9) {
        let sql = format!(
            "INSERT INTO events (id, workspace_id, kind, entity_type, entity_id, actor_type, actor_id, data, occurred_at)
             VALUES {}",
            placeholder_rows(group.len(), 9, 1)
        );
        with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (id, kind, entity, data, _, at) in group {
                q = q
                    .bind(id.0).bind(ctx.ws.0).bind(*kind).bind("contact").bind(entity)
                    .bind(ctx.actor.kind.as_str()).bind(ctx.actor.id).bind(data).bind(*at);
            }
            q.execute(&mut *c).await?;
        });
    }
    let listening = crate::subscriptions::listening(tx, ctx.ws).await?;
    for (id, kind, _, _, quiet, at) in &rows {
        if listening.hears(kind, *quiet) {
            let job = af_core::jobs::DispatchEvent { event_id: *id };
            crate::jobs::enqueue_job(tx, Some(ctx.ws), &job, *at, *at).await?;
        }
    }
    Ok(())
}
