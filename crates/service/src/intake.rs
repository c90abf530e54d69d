//! Lead intake shared by every door a contact comes in through: the one
//! transaction that accepts a lead (hosted form, embed, PAUTA `/api/lead`),
//! the PAUTA lead's mapping onto the contact input, contacts created by the
//! REST API and the "new contact" page, and the public form's spam
//! defences (signed minimum-fill-time token, keyed IP hash).
//!
//! A door answers 2xx only after the function it called here returned: by
//! then the contact, its deal, the submission, their events and the jobs
//! those start are committed together.

use crate::deals;
use af_core::contact_input::{
    ContactError, ContactField, ContactInput, RawContact, validate_contact,
};
use af_core::crypto::SecretKey;
use af_core::{Actor, ContactId, DealId, FormId, PipelineId, StageId};
use af_db::contacts::{self, Upserted};
use af_db::custom_fields::{self, FieldDef};
use af_db::forms::{self, Form, NewSubmission, Submission};
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, DbResult, GroupCommit, Ts, Tx, pipelines};

/// Name of the honeypot input: hidden from people, filled by bots.
pub const HONEYPOT: &str = "_hp";
/// Name of the signed fill-time token input.
pub const TOKEN: &str = "_t";

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The contact was refused; nothing was stored.
    #[error("invalid contact")]
    Invalid(Vec<ContactError>),
    /// The email and the phone belong to two different contacts (the
    /// upsert rule matched one, the other's unique index refused it).
    #[error("the {} belongs to another contact", .0.as_str())]
    Taken(ContactField),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What [`accept_lead`] stores. Owned: the lead is handed to the group
/// writer, which may run it after the request's own future moved on.
pub struct Lead {
    pub form: Option<Form>,
    /// `form` or `api_lead`.
    pub channel: &'static str,
    pub input: ContactInput,
    pub data: serde_json::Value,
    pub attribution: serde_json::Value,
    pub consent_text: Option<String>,
    pub ip_hash: Option<String>,
    pub actor: Actor,
}

/// What an accepted lead became.
pub struct Accepted {
    pub submission: Submission,
    pub contact_id: ContactId,
    pub created: bool,
    pub deal_id: DealId,
}

/// Accepts a lead in one unit of work of the intake's group commit
/// ([`GroupCommit`]): the contact upsert (first touch kept, last touch
/// updated, tags), a deal on the form's stage (or the contact's open deal in
/// that pipeline), the stored submission and its events, all committed
/// together — possibly in one commit with other leads — before this
/// returns. The lead's contact was validated by the door, so only the
/// database can refuse it, and then nothing of it is kept.
pub async fn accept_lead(
    intake: &GroupCommit,
    ws: &Workspace,
    lead: Lead,
    now: Ts,
) -> DbResult<Accepted> {
    let lead_number = forms::reserve_lead_number(intake.db(), ws.id).await?;
    let ws = ws.clone();
    intake
        .run(move |tx| Box::pin(async move { write_lead(tx, &ws, lead, lead_number, now).await }))
        .await
}

/// The writes of [`accept_lead`], inside its unit of work.
async fn write_lead(
    tx: &mut Tx,
    ws: &Workspace,
    lead: Lead,
    lead_number: Option<i64>,
    now: Ts,
) -> DbResult<Accepted> {
    let mut extra = serde_json::Map::new();
    extra.insert("via".into(), lead.channel.into());
    if let Some(f) = &lead.form {
        extra.insert("form_id".into(), serde_json::json!(f.id));
    }
    let up =
        contacts::upsert_contact_with_event_data(tx, ws.id, &lead.input, &lead.actor, now, extra)
            .await?;
    // Where the deal goes: the form's stage, else its pipeline's first
    // stage, else the default pipeline's first stage.
    let (pipeline, stage) = match &lead.form {
        Some(f) => (f.pipeline_id.map(PipelineId), f.stage_id.map(StageId)),
        None => (None, None),
    };
    let stage = match stage {
        Some(s) => match pipelines::get_stage_tx(tx, ws.id, s).await {
            Ok(s) => Some(s),
            // The form's stage was deleted since: its pipeline still works.
            Err(DbError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let pipeline = match (&stage, pipeline) {
        (Some(s), _) => s.pipeline_id,
        (None, Some(p)) => p,
        (None, None) => pipelines::default_pipeline_tx(tx, ws.id).await?,
    };
    let deal = deals::open_or_create_deal(
        tx,
        ws,
        &up.contact,
        pipeline,
        stage.as_ref().map(|s| s.id),
        "Lead",
        &lead.actor,
        now,
    )
    .await?;
    let submission = forms::insert_submission(
        tx,
        ws.id,
        &NewSubmission {
            form: lead.form.as_ref(),
            channel: lead.channel,
            contact_id: up.contact.id,
            deal_id: Some(deal.id),
            data: lead.data,
            attribution: lead.attribution,
            consent_text: lead.consent_text,
            ip_hash: lead.ip_hash,
            lead_number,
        },
        &lead.actor,
        now,
    )
    .await?;
    Ok(Accepted {
        submission,
        contact_id: up.contact.id,
        created: up.created,
        deal_id: deal.id,
    })
}

// ------------------------------------------------------------------ PAUTA

/// A PAUTA lead (`{"nombre","email","telefono","empresa","servicio",
/// "fuente"}`), its values already read as text.
#[derive(Debug, Clone, Default)]
pub struct PautaLead {
    pub nombre: Option<String>,
    pub email: Option<String>,
    pub telefono: Option<String>,
    pub empresa: Option<String>,
    pub servicio: Option<String>,
    pub fuente: Option<String>,
}

/// The custom field PAUTA's `servicio` is kept in.
pub const SERVICIO: &str = "servicio";

/// The PAUTA field a contact error belongs to, so answers name what the
/// sender sent.
pub fn pauta_field(e: &ContactError) -> &'static str {
    use af_core::contact_input::Problem;
    if e.problem == Problem::NoContactPoint {
        return "nombre";
    }
    match e.field {
        ContactField::FirstName | ContactField::LastName | ContactField::Name => "nombre",
        ContactField::Email => "email",
        ContactField::Phone => "telefono",
        ContactField::Company => "empresa",
        ContactField::Source => "fuente",
        ContactField::Lifecycle => "lifecycle",
        ContactField::Tags => "tags",
        ContactField::Custom(_) => SERVICIO,
    }
}

/// Accepts a PAUTA lead: `servicio` goes to the workspace's `servicio`
/// text field (created on first use), the rest through the contact
/// validator, then [`accept_lead`] on the default pipeline. `data` is what
/// the submission keeps of the request.
pub async fn accept_pauta_lead(
    intake: &GroupCommit,
    ws: &Workspace,
    lead: PautaLead,
    data: serde_json::Value,
    ip_hash: Option<String>,
    actor: Actor,
    now: Ts,
) -> Result<Accepted, IntakeError> {
    let db = intake.db();
    let mut defs = custom_fields::list_fields(db, ws.id).await?;
    let mut raw = RawContact {
        name: lead.nombre,
        email: lead.email,
        phone: lead.telefono,
        company: lead.empresa,
        source: lead.fuente,
        ..Default::default()
    };
    let servicio = lead
        .servicio
        .map(|s| {
            s.trim()
                .chars()
                .take(crate::forms::MAX_TEXT)
                .collect::<String>()
        })
        .filter(|s| !s.is_empty());
    if let Some(s) = servicio {
        if !defs.iter().any(|d| d.key == SERVICIO) {
            let mut tx = db.begin().await?;
            let def =
                custom_fields::ensure_text_field(&mut tx, ws.id, SERVICIO, "Servicio", now).await?;
            tx.commit().await?;
            defs.push(def);
        }
        raw.custom
            .insert(SERVICIO.into(), serde_json::Value::String(s));
    }
    let input = validate_contact(&raw, &ws.country, &defs).map_err(IntakeError::Invalid)?;
    let lead = Lead {
        form: None,
        channel: "api_lead",
        attribution: serde_json::to_value(&input.attribution).unwrap_or_default(),
        input,
        data,
        consent_text: None,
        ip_hash,
        actor,
    };
    Ok(accept_lead(intake, ws, lead, now).await?)
}

// ---------------------------------------------------------------- contacts

/// Creates a contact from `raw` (REST API, "new contact" page), or by the
/// upsert rule updates the one with the same email, else the same phone.
pub async fn create_contact(
    db: &Db,
    ws: &Workspace,
    defs: &[FieldDef],
    raw: &RawContact,
    actor: &Actor,
    now: Ts,
) -> Result<Upserted, IntakeError> {
    let input = validate_contact(raw, &ws.country, defs).map_err(IntakeError::Invalid)?;
    let mut tx = db.begin().await?;
    let up = match contacts::upsert_contact(&mut tx, ws.id, &input, actor, now).await {
        Ok(up) => up,
        Err(e) => {
            return Err(match e.unique_violation() {
                Some(c) if c.contains("email") => IntakeError::Taken(ContactField::Email),
                Some(_) => IntakeError::Taken(ContactField::Phone),
                None => e.into(),
            });
        }
    };
    tx.commit().await?;
    Ok(up)
}

/// What the "new contact" page's save did (see [`create_or_ask`]).
#[derive(Debug)]
pub enum PageSave {
    /// No contact had that email or phone: a new one was created.
    Created(Upserted),
    /// The person confirmed: the contact they were shown was updated.
    Updated(Upserted),
    /// The email or phone belongs to `existing`; nothing was written.
    /// `changes` are the fields an update would change; `stale` says a
    /// confirmation was sent for another contact (or a forged id).
    Exists {
        existing: contacts::Contact,
        changes: Vec<contacts::FieldChange>,
        stale: bool,
    },
    /// A confirmation was sent but no contact has that email or phone any
    /// more; nothing was written.
    NoLongerMatches,
}

/// The "new contact" page's save: a new email and phone create a contact;
/// an email or phone that belongs to an existing contact (matched as the
/// upsert rule matches, after the same normalisation) writes nothing and
/// answers [`PageSave::Exists`], unless `confirm` names that very contact,
/// which is then updated with these values. The REST API keeps its
/// documented upsert ([`create_contact`]).
pub async fn create_or_ask(
    db: &Db,
    ws: &Workspace,
    defs: &[FieldDef],
    raw: &RawContact,
    confirm: Option<ContactId>,
    actor: &Actor,
    now: Ts,
) -> Result<PageSave, IntakeError> {
    let input = validate_contact(raw, &ws.country, defs).map_err(IntakeError::Invalid)?;
    let mut tx = db.begin().await?;
    let found = contacts::find_match(
        &mut tx,
        ws.id,
        input.email.as_deref(),
        input.phone.as_deref(),
    )
    .await?;
    let taken = |e: DbError| match e.unique_violation() {
        Some(c) if c.contains("email") => IntakeError::Taken(ContactField::Email),
        Some(_) => IntakeError::Taken(ContactField::Phone),
        None => e.into(),
    };
    let saved = match (found, confirm) {
        (None, None) => {
            let up = contacts::upsert_contact(&mut tx, ws.id, &input, actor, now)
                .await
                .map_err(taken)?;
            PageSave::Created(up)
        }
        (None, Some(_)) => return Ok(PageSave::NoLongerMatches),
        (Some(existing), Some(id)) if existing.id == id => {
            let contact = contacts::merge_into(&mut tx, &existing, &input, actor, now)
                .await
                .map_err(taken)?;
            PageSave::Updated(Upserted {
                contact,
                created: false,
            })
        }
        (Some(existing), confirm) => {
            let changes = contacts::merge_changes(&existing, &input);
            return Ok(PageSave::Exists {
                existing,
                changes,
                stale: confirm.is_some(),
            });
        }
    };
    tx.commit().await?;
    Ok(saved)
}

// ------------------------------------------------------------ spam defences

/// The actor recorded for anonymous public submissions.
pub fn public_actor(what: &str) -> Actor {
    Actor {
        kind: af_core::ActorKind::System,
        id: None,
        label: what.to_string(),
    }
}

const FILL_PURPOSE: &str = "form-fill";

/// A token saying "form `id` was shown at `now`", signed with the server key.
pub fn fill_token(secret: &SecretKey, id: FormId, now: Ts) -> String {
    let t = now.0.as_second();
    format!("{t}.{}", secret.sign(FILL_PURPOSE, &format!("{id}.{t}")))
}

/// True when the token is ours, for this form, and at least `min_secs`
/// (and at most two days) old.
pub fn fill_token_ok(secret: &SecretKey, id: FormId, token: &str, now: Ts, min_secs: i64) -> bool {
    let Some((t, sig)) = token.split_once('.') else {
        return false;
    };
    let Ok(issued) = t.parse::<i64>() else {
        return false;
    };
    if !secret.verify(FILL_PURPOSE, &format!("{id}.{issued}"), sig) {
        return false;
    }
    let age = now.0.as_second() - issued;
    (min_secs..=2 * 86_400).contains(&age)
}

/// A keyed hash of the client IP: enough to count and compare, not to
/// recover the address.
pub fn ip_hash(secret: &SecretKey, ip: &str) -> String {
    secret.sign("client-ip", ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use af_core::contact_input::Problem;

    fn ts(secs: i64) -> Ts {
        Ts::new(jiff::Timestamp::from_second(secs).expect("valid"))
    }

    #[test]
    fn fill_tokens_prove_the_form_was_shown_long_enough_ago() {
        let key = SecretKey::from_text(&"k".repeat(40)).expect("key");
        let other = SecretKey::from_text(&"j".repeat(40)).expect("key");
        let form = FormId::new();
        let token = fill_token(&key, form, ts(1_000));
        assert!(fill_token_ok(&key, form, &token, ts(1_005), 3));
        assert!(
            !fill_token_ok(&key, form, &token, ts(1_001), 3),
            "too fresh"
        );
        assert!(
            !fill_token_ok(&key, form, &token, ts(1_000 + 2 * 86_400 + 1), 3),
            "too old"
        );
        assert!(!fill_token_ok(&key, FormId::new(), &token, ts(1_005), 3));
        assert!(!fill_token_ok(&other, form, &token, ts(1_005), 3));
        for junk in ["", ".", "x.y", "1000", "1000.", "-1.abc"] {
            assert!(!fill_token_ok(&key, form, junk, ts(1_005), 3), "{junk:?}");
        }
        assert_eq!(ip_hash(&key, "10.0.0.1"), ip_hash(&key, "10.0.0.1"));
        assert_ne!(ip_hash(&key, "10.0.0.1"), ip_hash(&key, "10.0.0.2"));
    }

    #[test]
    fn pauta_errors_name_pauta_fields() {
        let e = |field, problem| ContactError {
            field,
            problem,
            value: None,
            message: String::new(),
        };
        assert_eq!(
            pauta_field(&e(ContactField::Email, Problem::NoContactPoint)),
            "nombre"
        );
        assert_eq!(
            pauta_field(&e(ContactField::Email, Problem::Email)),
            "email"
        );
        assert_eq!(
            pauta_field(&e(ContactField::Phone, Problem::Phone)),
            "telefono"
        );
        assert_eq!(
            pauta_field(&e(ContactField::Name, Problem::TooLong)),
            "nombre"
        );
        assert_eq!(
            pauta_field(&e(ContactField::Custom(SERVICIO.into()), Problem::Custom)),
            "servicio"
        );
    }
}
