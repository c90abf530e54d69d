//! What steps read and write about a contact: score, time zone, open
//! deal, tags, custom fields, and the team's emails.

use crate::{DbResult, Ts, Tx, with_tx};
use af_core::{ContactId, WorkspaceId};
use uuid::Uuid;

// ------------------------------------------------------------ contact score

/// Adds `delta` to a contact's score and writes `contact.score_changed`
/// with the old and new values (what `score_reached` triggers read).
#[expect(clippy::too_many_arguments, reason = "one change and its context")]
pub async fn change_score(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    delta: i64,
    reason: &str,
    source_key: &str,
    actor: &af_core::Actor,
    now: Ts,
) -> DbResult<(i64, i64)> {
    // Through the ledger (`reason` is its rule key: `workflow`, `demo`):
    // a retried step scores once, caps and the floor hold, and
    // `contact.score_changed` is written when the score moves.
    let applied = crate::scoring::change_score(
        tx, ws, contact, delta, reason, source_key, reason, actor, now,
    )
    .await?;
    if let Some(a) = applied {
        return Ok((a.old, a.new));
    }
    let row: Option<(i32,)> = with_tx!(tx, c => {
        sqlx::query_as("SELECT score FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).fetch_optional(&mut *c).await?
    });
    let now_score = i64::from(row.ok_or(crate::DbError::NotFound("contact"))?.0);
    Ok((now_score, now_score))
}

/// The contact's own time zone, if set.
pub async fn contact_time_zone(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Option<String>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar::<_, Option<String>>("SELECT time_zone FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).fetch_optional(&mut *c).await?
    })
    .flatten())
}

/// The contact's newest deal in an open stage of `pipeline`.
pub async fn open_deal_in_pipeline(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    pipeline: af_core::PipelineId,
) -> DbResult<Option<af_core::DealId>> {
    let id: Option<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.workspace_id = $1 AND d.contact_id = $2 AND d.pipeline_id = $3 AND s.kind = 'open'
             ORDER BY d.created_at DESC, d.id DESC LIMIT 1",
        )
        .bind(ws.0).bind(contact.0).bind(pipeline.0).fetch_optional(&mut *c).await?
    });
    Ok(id.map(af_core::DealId))
}

/// Emails of the workspace's members (for "notify team").
pub async fn member_emails(tx: &mut Tx, ws: WorkspaceId) -> DbResult<Vec<String>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email",
        )
        .bind(ws.0).fetch_all(&mut *c).await?
    }))
}

/// The contact, or `None` when it is gone (deleted since the event).
pub async fn find_contact_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ContactId,
) -> DbResult<Option<crate::contacts::Contact>> {
    match crate::contacts::get_contact_tx(tx, ws, id).await {
        Ok(c) => Ok(Some(c)),
        Err(crate::DbError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The contact's tag keys (lower-cased names), for conditions.
pub async fn contact_tag_keys(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Vec<String>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT t.name_key FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
             WHERE ct.workspace_id = $1 AND ct.contact_id = $2 ORDER BY t.name_key",
        )
        .bind(ws.0).bind(contact.0).fetch_all(&mut *c).await?
    }))
}

/// The workspace's custom field definitions, inside a transaction.
pub async fn custom_field_defs_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
) -> DbResult<Vec<crate::custom_fields::FieldDef>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, crate::custom_fields::FieldDef>(
            "SELECT id, key, label, kind, options, position FROM custom_fields WHERE workspace_id = $1 ORDER BY position, key",
        )
        .bind(ws.0).fetch_all(&mut *c).await?
    }))
}
