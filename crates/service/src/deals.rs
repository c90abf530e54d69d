//! Deals: the one way a deal is created. The JSON API and the board call
//! [`create_deal`]; lead intake and bookings, already inside their own
//! transaction, call [`open_or_create_deal`] and [`create_deal_in`]. All of
//! them end in [`create_deal_in`], a wrapper of `af_db::deals::insert_deal`
//! (which the automation engine calls directly, since it may not depend on
//! this crate), so a deal always lands at the top of its stage with its
//! `deal.created` event and live-board notice.

use af_core::contact_input::{
    ContactError, ContactInput, NO_CUSTOM_FIELDS, RawContact, validate_contact,
};
use af_core::{Actor, ContactId, PipelineId, StageId, UserId, money};
use af_db::contacts::{self, Contact};
use af_db::deals::{self, Deal, NewDeal};
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, DbResult, Ts, Tx};

/// Longest deal title.
pub const MAX_TITLE: usize = 200;

/// Whose deal it is.
#[derive(Debug, Clone)]
pub enum DealContact {
    /// A contact of the workspace.
    Existing(ContactId),
    /// A new contact (the upsert rule applies: a known email or phone
    /// updates that contact instead of making a twin).
    New(Box<RawContact>),
}

/// A deal as a door asks for it. Doors parse amounts in their own format
/// (minor units in JSON, typed text on the board) into `value_minor`.
#[derive(Debug, Clone)]
pub struct NewDealRequest {
    pub contact: DealContact,
    /// The stage's pipeline, or the first stage of this pipeline when no
    /// stage is given; the default pipeline when neither is.
    pub pipeline_id: Option<PipelineId>,
    pub stage_id: Option<StageId>,
    pub title: String,
    pub value_minor: i64,
    /// ISO 4217; the currency of the workspace's country when absent.
    pub currency: Option<String>,
    pub owner_id: Option<UserId>,
}

/// A refused part of a [`NewDealRequest`]; messages are English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealProblem {
    Title(String),
    Value(String),
    Currency(String),
    Contact(Vec<ContactError>),
}

#[derive(Debug, thiserror::Error)]
pub enum DealError {
    /// Nothing was stored.
    #[error("invalid deal")]
    Invalid(Vec<DealProblem>),
    /// The new contact's email or phone belongs to another contact than
    /// the one the upsert rule matched.
    #[error("the contact's email or phone belongs to another contact")]
    ContactTaken,
    /// The contact, stage or pipeline is not the workspace's (`what` names
    /// it as `af_db` does: "contact", "stage", "stage in that pipeline", ...).
    #[error("no such {0} in this workspace")]
    NotFound(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A request that passed [`check`].
#[derive(Debug, Clone)]
pub struct CheckedDeal {
    contact: Result<ContactId, ContactInput>,
    pipeline_id: Option<PipelineId>,
    stage_id: Option<StageId>,
    title: String,
    value_minor: i64,
    currency: String,
    owner_id: Option<UserId>,
}

/// A deal title: trimmed, 1 to [`MAX_TITLE`] characters, no control
/// characters.
pub fn title(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > MAX_TITLE {
        return Err(format!(
            "title is required (at most {MAX_TITLE} characters)"
        ));
    }
    if t.chars().any(char::is_control) {
        return Err("title contains control characters".into());
    }
    Ok(t.to_string())
}

/// The rules of a new deal, without the database: every problem at once,
/// so a door can show them together with its own.
pub fn check(req: &NewDealRequest, ws: &Workspace) -> Result<CheckedDeal, Vec<DealProblem>> {
    let mut problems = Vec::new();
    let title = title(&req.title)
        .map_err(|m| problems.push(DealProblem::Title(m)))
        .unwrap_or_default();
    if req.value_minor < 0 {
        problems.push(DealProblem::Value(
            "value must be zero or more (integer minor units)".into(),
        ));
    } else if let Err(m) = money::check_minor(req.value_minor) {
        problems.push(DealProblem::Value(format!("value {m}")));
    }
    let currency = match req.currency.as_deref() {
        Some(c) => af_core::contact::currency(c)
            .map_err(|m| problems.push(DealProblem::Currency(m)))
            .unwrap_or_default(),
        None => money::currency_for_country(&ws.country).to_string(),
    };
    let contact = match &req.contact {
        DealContact::Existing(id) => Ok(*id),
        DealContact::New(raw) => match validate_contact(raw, &ws.country, &NO_CUSTOM_FIELDS) {
            Ok(input) => Err(input),
            Err(errors) => {
                problems.push(DealProblem::Contact(errors));
                Err(ContactInput::default())
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CheckedDeal {
        contact,
        pipeline_id: req.pipeline_id,
        stage_id: req.stage_id,
        title,
        value_minor: req.value_minor,
        currency,
        owner_id: req.owner_id,
    })
}

/// Creates a deal (and its new contact) in one transaction: see the module
/// doc. Nothing is stored when it fails.
pub async fn create_deal(
    db: &Db,
    ws: &Workspace,
    req: &NewDealRequest,
    actor: &Actor,
    now: Ts,
) -> Result<Deal, DealError> {
    let checked = check(req, ws).map_err(DealError::Invalid)?;
    let mut tx = db.begin().await?;
    let contact_id = match &checked.contact {
        Ok(id) => *id,
        Err(input) => match contacts::upsert_contact(&mut tx, ws.id, input, actor, now).await {
            Ok(u) => u.contact.id,
            Err(e) if e.unique_violation().is_some() => return Err(DealError::ContactTaken),
            Err(e) => return Err(e.into()),
        },
    };
    let new = NewDeal {
        contact_id,
        pipeline_id: checked.pipeline_id,
        stage_id: checked.stage_id,
        title: checked.title,
        value_minor: checked.value_minor,
        currency: checked.currency,
        owner_id: checked.owner_id,
    };
    let deal = create_deal_in(&mut tx, ws, &new, actor, now)
        .await
        .map_err(|e| match e {
            DbError::NotFound(what) => DealError::NotFound(what),
            e => DealError::Db(e),
        })?;
    tx.commit().await?;
    Ok(deal)
}

/// Inserts a checked deal in the caller's transaction: the one place every
/// deal of this crate is made. The contact, pipeline and stage must be the
/// workspace's (else `DbError::NotFound`).
pub async fn create_deal_in(
    tx: &mut Tx,
    ws: &Workspace,
    new: &NewDeal,
    actor: &Actor,
    now: Ts,
) -> DbResult<Deal> {
    deals::insert_deal(tx, ws.id, new, actor, now).await
}

/// The contact's open deal in `pipeline`, or a new one there (on `stage`,
/// else the pipeline's first stage) titled by `Contact::deal_title`, in the
/// workspace's currency. For doors that turn a lead into a deal inside
/// their own transaction.
#[expect(clippy::too_many_arguments, reason = "one transaction's context")]
pub async fn open_or_create_deal(
    tx: &mut Tx,
    ws: &Workspace,
    contact: &Contact,
    pipeline: PipelineId,
    stage: Option<StageId>,
    fallback_title: &str,
    actor: &Actor,
    now: Ts,
) -> DbResult<Deal> {
    if let Some(d) = deals::find_open_deal_tx(tx, ws.id, contact.id, Some(pipeline)).await? {
        return Ok(d);
    }
    let new = NewDeal {
        contact_id: contact.id,
        pipeline_id: Some(pipeline),
        stage_id: stage,
        title: contact.deal_title(fallback_title),
        value_minor: 0,
        currency: money::currency_for_country(&ws.country).to_string(),
        owner_id: None,
    };
    create_deal_in(tx, ws, &new, actor, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use af_core::contact_input::Problem;

    fn ws() -> Workspace {
        Workspace {
            id: af_core::WorkspaceId::new(),
            slug: "acme".into(),
            name: "Acme".into(),
            time_zone: "America/Mexico_City".into(),
            locale: "es".into(),
            country: "CO".into(),
            brand_color: None,
            sender_name: None,
            has_logo: false,
            created_at: Ts::new(jiff::Timestamp::UNIX_EPOCH),
            updated_at: Ts::new(jiff::Timestamp::UNIX_EPOCH),
        }
    }

    fn req() -> NewDealRequest {
        NewDealRequest {
            contact: DealContact::Existing(ContactId::new()),
            pipeline_id: None,
            stage_id: None,
            title: " Rediseño ".into(),
            value_minor: 0,
            currency: None,
            owner_id: None,
        }
    }

    #[test]
    fn a_deal_needs_a_title_a_currency_and_no_negative_value() {
        let ok = check(&req(), &ws()).expect("valid");
        assert_eq!(ok.title, "Rediseño");
        assert_eq!(ok.currency, "COP", "the workspace's country's currency");
        let bad = NewDealRequest {
            title: "a\u{0}b".into(),
            value_minor: -5,
            currency: Some("pesos".into()),
            ..req()
        };
        let problems = check(&bad, &ws()).expect_err("invalid");
        assert!(matches!(problems[0], DealProblem::Title(_)));
        assert!(matches!(problems[1], DealProblem::Value(_)));
        assert!(matches!(problems[2], DealProblem::Currency(_)));
        for t in ["", "   ", &"x".repeat(MAX_TITLE + 1)] {
            assert!(title(t).is_err(), "{t:?}");
        }
        assert!(title(&"ñ".repeat(MAX_TITLE)).is_ok());
    }

    #[test]
    fn a_new_contact_goes_through_the_contact_validator() {
        let new = |raw: RawContact| NewDealRequest {
            contact: DealContact::New(Box::new(raw)),
            ..req()
        };
        let ok = check(
            &new(RawContact {
                first_name: Some("Nora".into()),
                email: Some("Nora@Example.com".into()),
                ..Default::default()
            }),
            &ws(),
        )
        .expect("valid");
        let input = ok.contact.expect_err("a new contact");
        assert_eq!(input.email.as_deref(), Some("Nora@example.com"));
        let problems = check(&new(RawContact::default()), &ws()).expect_err("no contact");
        match &problems[..] {
            [DealProblem::Contact(errors)] => {
                assert_eq!(errors[0].problem, Problem::NoContactPoint)
            }
            other => panic!("{other:?}"),
        }
    }
}
