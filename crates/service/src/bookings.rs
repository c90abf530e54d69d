//! Bookings made elsewhere: a Cal.com delivery, once the web has read and
//! verified it, is claimed (repeats are no-ops), matched to its lead
//! (`payload.metadata.lead_id`, the body's `lead_id`, or the attendee's
//! email, creating the contact when none matches), recorded as an
//! appointment, and on booking or rescheduling the lead's deal moves to the
//! workspace's booked stage ("Agendado") — all in one transaction with the
//! delivery's record. Failed and unmatched deliveries can be replayed.

use crate::deals;
use crate::intake::public_actor;
use af_core::contact_input::{NO_CUSTOM_FIELDS, RawContact, validate_contact};
use af_core::vocab::EventKind;
use af_core::{Actor, AppointmentId, ContactId, DealId, InboundWebhookId, crypto};
use af_db::appointments::{self, AppointmentInput};
use af_db::inbound_webhooks::{self, Delivery, NewDelivery};
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, GroupCommit, Ts, Tx, contacts, forms, pipelines};
use serde_json::{Value, json};

/// The `source` of Cal.com deliveries and appointments.
pub const CALCOM: &str = "calcom";

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// Only failed or unmatched deliveries are replayed.
    #[error("only failed or unmatched deliveries are replayed")]
    NotReplayable,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalcomOutcome {
    /// The same delivery was already recorded.
    Duplicate,
    /// A trigger this product does not act on.
    Ignored { trigger: String },
    /// No lead of this workspace and no attendee email.
    Unmatched,
    /// Late news about an appointment that has moved on (a creation after
    /// a cancellation, a request after a confirmation).
    Stale {
        appointment_id: AppointmentId,
        status: String,
    },
    Processed {
        appointment_id: AppointmentId,
        contact_id: ContactId,
        status: String,
        deal_id: Option<DealId>,
    },
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn ts_at(v: &Value, key: &str) -> Option<Ts> {
    str_at(v, &[key])
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(Ts::new)
}

/// What a trigger does: (status, event kind), or None when ignored.
fn trigger_effect(trigger: &str) -> Option<(&'static str, EventKind)> {
    match trigger {
        "BOOKING_CREATED" => Some(("booked", EventKind::AppointmentBooked)),
        "BOOKING_REQUESTED" => Some(("pending", EventKind::AppointmentRequested)),
        "BOOKING_RESCHEDULED" => Some(("rescheduled", EventKind::AppointmentRescheduled)),
        "BOOKING_CANCELLED" => Some(("cancelled", EventKind::AppointmentCancelled)),
        _ => None,
    }
}

/// Receives a verified delivery: `text` is its body and `body` that body
/// parsed (a JSON object). Stored, deduplicated and processed in one unit
/// of the intake's group commit (committed, possibly with other leads,
/// before this returns); when processing fails the delivery is recorded as
/// failed (so it can be replayed) and the error returned.
pub async fn receive_calcom(
    intake: &GroupCommit,
    ws: &Workspace,
    text: &str,
    body: &Value,
    signed: bool,
    now: Ts,
) -> Result<CalcomOutcome, BookingError> {
    let trigger = str_at(body, &["triggerEvent"])
        .or_else(|| str_at(body, &["event"]))
        .unwrap_or("UNKNOWN")
        .chars()
        .take(80)
        .collect::<String>();
    let payload = body.get("payload").cloned().unwrap_or(Value::Null);
    let uid = str_at(&payload, &["uid"]).map(|u| u.chars().take(200).collect::<String>());
    let dedupe = match &uid {
        Some(u) => format!("{trigger}:{u}"),
        // Without Cal.com's id, the same bytes are the same delivery.
        None => format!("{trigger}:sha256:{}", crypto::sha256_hex(text)),
    };
    let owned = (ws.clone(), trigger.clone(), uid.clone(), dedupe.clone());
    let (text_owned, body_owned) = (text.to_string(), body.clone());
    let outcome = intake
        .run(move |tx| {
            Box::pin(async move {
                let (ws, trigger, uid, dedupe) = owned;
                let delivery = NewDelivery {
                    source: CALCOM,
                    event: &trigger,
                    external_id: uid.as_deref(),
                    dedupe_key: &dedupe,
                    body: &text_owned,
                    signature_ok: signed,
                };
                calcom_writes(tx, &ws, &delivery, &body_owned, None, now).await
            })
        })
        .await;
    match outcome {
        Ok(out) => Ok(out),
        Err(e) => {
            let db = intake.db();
            let delivery = NewDelivery {
                source: CALCOM,
                event: &trigger,
                external_id: uid.as_deref(),
                dedupe_key: &dedupe,
                body: text,
                signature_ok: signed,
            };
            if let Err(e2) =
                inbound_webhooks::record_failed_delivery(db, ws.id, &delivery, &format!("{e}"), now)
                    .await
            {
                tracing::error!(error = %e2, "could not record the failed delivery");
            }
            Err(e.into())
        }
    }
}

/// Runs a stored failed or unmatched delivery again (the lead may exist by
/// now), updating its record.
pub async fn replay_calcom(
    db: &Db,
    ws: &Workspace,
    stored: &Delivery,
    now: Ts,
) -> Result<CalcomOutcome, BookingError> {
    if !matches!(stored.result.as_str(), "failed" | "unmatched") {
        return Err(BookingError::NotReplayable);
    }
    // The body was JSON when it was stored; should it not parse now, it
    // is replayed as empty and ends unmatched, as a bad body would have.
    let body: Value = serde_json::from_str(&stored.body).unwrap_or_default();
    let delivery = NewDelivery {
        source: &stored.source,
        event: &stored.event,
        external_id: stored.external_id.as_deref(),
        dedupe_key: &stored.dedupe_key,
        body: &stored.body,
        signature_ok: stored.signature_ok,
    };
    let mut tx = db.begin().await?;
    let out = calcom_writes(&mut tx, ws, &delivery, &body, Some(stored.id), now).await?;
    tx.commit().await?;
    Ok(out)
}

/// The writes of one delivery, in the caller's transaction (which commits
/// them whatever the outcome: a duplicate wrote nothing). With `replay` (a
/// stored delivery's id) the claim step is skipped and that record is
/// updated instead.
async fn calcom_writes(
    tx: &mut Tx,
    ws: &Workspace,
    d: &NewDelivery<'_>,
    body: &Value,
    replay: Option<InboundWebhookId>,
    now: Ts,
) -> Result<CalcomOutcome, DbError> {
    let id = match replay {
        Some(id) => id,
        None => match inbound_webhooks::claim_delivery(tx, ws.id, d, now).await? {
            Some(id) => id,
            None => return Ok(CalcomOutcome::Duplicate),
        },
    };
    let Some((status, kind)) = trigger_effect(d.event) else {
        inbound_webhooks::finish_delivery(
            tx,
            ws.id,
            id,
            "ignored",
            Some("trigger not handled"),
            now,
        )
        .await?;
        return Ok(CalcomOutcome::Ignored {
            trigger: d.event.to_string(),
        });
    };
    let payload = body.get("payload").cloned().unwrap_or(Value::Null);
    let actor = public_actor(CALCOM);
    let Some(contact) = find_or_create_contact(tx, ws, body, &payload, &actor, now).await? else {
        inbound_webhooks::finish_delivery(
            tx,
            ws.id,
            id,
            "unmatched",
            Some("no lead_id of this workspace and no attendee email"),
            now,
        )
        .await?;
        return Ok(CalcomOutcome::Unmatched);
    };
    let uid = d.external_id.map(str::to_string);
    let mut existing = match &uid {
        Some(u) => appointments::find_by_external_uid_tx(tx, ws.id, CALCOM, u).await?,
        None => None,
    };
    if existing.is_none() && d.event == "BOOKING_RESCHEDULED" {
        let from = str_at(&payload, &["rescheduleUid"])
            .or_else(|| str_at(&payload, &["fromReschedule"]))
            .or_else(|| str_at(&payload, &["originalRescheduledBooking", "uid"]));
        if let Some(from) = from {
            existing = appointments::find_by_external_uid_tx(tx, ws.id, CALCOM, from).await?;
        }
    }
    // A late creation (or request) never undoes a cancellation, and a late
    // request never demotes a confirmed booking.
    if let Some(a) = &existing
        && ((a.status == "cancelled" && d.event != "BOOKING_CANCELLED")
            || (d.event == "BOOKING_REQUESTED" && a.status != "pending"))
    {
        let detail = format!("appointment already {}", a.status);
        inbound_webhooks::finish_delivery(tx, ws.id, id, "stale", Some(&detail), now).await?;
        return Ok(CalcomOutcome::Stale {
            appointment_id: a.id,
            status: a.status.clone(),
        });
    }
    let moved = if matches!(status, "booked" | "rescheduled") {
        move_to_booked(tx, ws, contact, &actor, now).await?
    } else {
        None
    };
    let attendee = payload.get("attendees").and_then(|a| a.get(0));
    let input = AppointmentInput {
        contact_id: contact,
        deal_id: moved,
        title: str_at(&payload, &["title"])
            .or_else(|| str_at(&payload, &["eventTitle"]))
            .unwrap_or("Cal.com")
            .chars()
            .take(300)
            .collect(),
        starts_at: ts_at(&payload, "startTime"),
        ends_at: ts_at(&payload, "endTime"),
        time_zone: attendee
            .and_then(|a| str_at(a, &["timeZone"]))
            .map(str::to_string),
        organizer_time_zone: str_at(&payload, &["organizer", "timeZone"]).map(str::to_string),
        status,
        source: CALCOM,
        external_uid: uid.clone(),
        metadata: json!({
            "trigger": d.event,
            "booking_id": payload.get("bookingId"),
            "event_type_id": payload.get("eventTypeId"),
            "location": payload.get("location"),
            "organizer": payload.get("organizer"),
            "metadata": payload.get("metadata"),
            "cancellation_reason": payload.get("cancellationReason"),
            "previous_uid": existing.as_ref().and_then(|a| a.external_uid.clone()),
        }),
    };
    let appt = match &existing {
        Some(a) => appointments::update_appointment(tx, ws.id, a.id, &input, now).await?,
        None => appointments::insert_appointment(tx, ws.id, &input, now).await?,
    };
    appointments::write_event(tx, ws.id, kind, &appt, &actor, now).await?;
    inbound_webhooks::finish_delivery(tx, ws.id, id, "processed", None, now).await?;
    Ok(CalcomOutcome::Processed {
        appointment_id: appt.id,
        contact_id: appt.contact_id,
        status: appt.status,
        deal_id: appt.deal_id.map(DealId),
    })
}

/// The lead: `payload.metadata.lead_id`, then the body's `lead_id` (a PAUTA
/// lead number or a contact id of this workspace), then the attendee's or
/// `responses.email.value` email (a contact created when none matches).
async fn find_or_create_contact(
    tx: &mut Tx,
    ws: &Workspace,
    body: &Value,
    payload: &Value,
    actor: &Actor,
    now: Ts,
) -> Result<Option<ContactId>, DbError> {
    for lead in [
        payload.get("metadata").and_then(|m| m.get("lead_id")),
        body.get("lead_id"),
    ]
    .into_iter()
    .flatten()
    {
        let text = match lead {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_string(),
            _ => continue,
        };
        if let Ok(n) = text.parse::<i64>()
            && let Some(c) = forms::find_contact_by_lead_number(tx, ws.id, n).await?
        {
            return Ok(Some(c));
        }
        if let Ok(id) = text.parse::<ContactId>() {
            match contacts::get_contact_tx(tx, ws.id, id).await {
                Ok(c) => return Ok(Some(c.id)),
                Err(DbError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let attendee = payload.get("attendees").and_then(|a| a.get(0));
    let email = attendee
        .and_then(|a| str_at(a, &["email"]))
        .or_else(|| str_at(payload, &["responses", "email", "value"]));
    let Some(email) = email else {
        return Ok(None);
    };
    let name = attendee
        .and_then(|a| str_at(a, &["name"]))
        .or_else(|| str_at(payload, &["responses", "name", "value"]));
    let raw = RawContact {
        name: name.map(str::to_string),
        email: Some(email.to_string()),
        source: Some("Cal.com".into()),
        ..Default::default()
    };
    // A delivery whose attendee cannot be a contact is unmatched, not an
    // error: it is kept and can be replayed once the lead exists.
    let Ok(input) = validate_contact(&raw, &ws.country, &NO_CUSTOM_FIELDS) else {
        return Ok(None);
    };
    if let Some(found) = contacts::find_match(tx, ws.id, input.email.as_deref(), None).await? {
        return Ok(Some(found.id));
    }
    let up = contacts::upsert_contact_with_event_data(
        tx,
        ws.id,
        &input,
        actor,
        now,
        serde_json::Map::from_iter([("via".to_string(), json!(CALCOM))]),
    )
    .await?;
    Ok(Some(up.contact.id))
}

/// Moves the contact's open deal to its pipeline's booked stage, or puts a
/// new deal on the default pipeline's booked stage. Returns the deal.
async fn move_to_booked(
    tx: &mut Tx,
    ws: &Workspace,
    contact: ContactId,
    actor: &Actor,
    now: Ts,
) -> Result<Option<DealId>, DbError> {
    if let Some(deal) = af_db::deals::find_open_deal_tx(tx, ws.id, contact, None).await? {
        let Some(booked) = pipelines::booked_stage_tx(tx, ws.id, deal.pipeline_id).await? else {
            return Ok(Some(deal.id));
        };
        if booked.id == deal.stage_id {
            return Ok(Some(deal.id));
        }
        af_db::deals::move_deal(
            tx,
            ws.id,
            deal.id,
            booked.id,
            Default::default(),
            actor,
            now,
        )
        .await?;
        return Ok(Some(deal.id));
    }
    let pipeline = pipelines::default_pipeline_tx(tx, ws.id).await?;
    let booked = pipelines::booked_stage_tx(tx, ws.id, pipeline).await?;
    let c = contacts::get_contact_tx(tx, ws.id, contact).await?;
    let new = af_db::deals::NewDeal {
        contact_id: contact,
        pipeline_id: Some(pipeline),
        stage_id: booked.map(|s| s.id),
        title: c.deal_title("Cal.com"),
        value_minor: 0,
        currency: af_core::money::currency_for_country(&ws.country).to_string(),
        owner_id: None,
    };
    let deal = deals::create_deal_in(tx, ws, &new, actor, now).await?;
    Ok(Some(deal.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_and_paths() {
        assert_eq!(
            trigger_effect("BOOKING_CREATED"),
            Some(("booked", EventKind::AppointmentBooked))
        );
        assert_eq!(trigger_effect("MEETING_ENDED"), None);
        let v = json!({"payload": {"organizer": {"timeZone": " America/Bogota "}, "startTime": "2026-03-10T15:00:00Z", "n": 1}});
        assert_eq!(
            str_at(&v, &["payload", "organizer", "timeZone"]),
            Some("America/Bogota")
        );
        assert_eq!(str_at(&v, &["payload", "n"]), None, "numbers are not text");
        assert_eq!(str_at(&v, &["payload", "missing", "x"]), None);
        assert!(ts_at(&v["payload"], "startTime").is_some());
        assert!(ts_at(&json!({"startTime": "tomorrow"}), "startTime").is_none());
    }
}
