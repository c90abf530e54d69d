//! Who gets a notification in the bell (issue 18), for the sources the
//! engine sees. Every notification goes through
//! `af_db::notifications::push`, in the transaction of what caused it.
//!
//! | source | who | how |
//! |---|---|---|
//! | `task.created` with an assignee | the assignee, unless they assigned it to themselves | [`on_event`] (dispatch) |
//! | `score.threshold_entered` (a hot lead) | the contact's owner; without one, the workspace's owners and admins | [`on_event`] (dispatch) |
//! | `appointment.booked` with a host | the host | [`on_event`] (dispatch) |
//! | a workflow or webhook alert (`automation_alerts`) | owners and admins, once per workflow and kind while an alert of that kind is open | [`raise_alert`] |
//! | the "notify team" step | every member of the workspace | [`notify_team`] |
//! | `message.inbound` (a contact wrote) | the conversation's assignee, else the contact's owner | [`on_event`] (dispatch) |
//! | `conversation.assigned` | the new assignee, unless they took it themselves | [`on_event`] (dispatch) |
//!
//! Events reach the bell through the dispatch job, so each push is keyed
//! `event:<id>:<kind>`: a retried dispatch adds nothing twice.

use crate::EngineResult;
use af_core::vocab::{EventKind, NotificationKind};
use af_core::{ContactId, EnrollmentId, Role, UserId, WorkflowId, WorkspaceId};
use af_db::automations as store;
use af_db::events::Event;
use af_db::notifications::{self, NewNotification};
use af_db::{Db, DbResult, Ts, Tx};
use serde_json::{Value, json};

/// Who hears about workspace-wide matters (failing automations, hot leads
/// nobody owns).
const MANAGERS: &[Role] = &[Role::Owner, Role::Admin];

/// Turns one event into the notifications it causes (dispatch's
/// `Subscriber::Notifications`), in one transaction.
pub(crate) async fn on_event(
    db: &Db,
    ws: WorkspaceId,
    event: &Event,
    data: &Value,
    now: Ts,
) -> EngineResult<()> {
    let Some(kind) = EventKind::parse(&event.kind) else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    let pushes = match kind {
        EventKind::TaskCreated => task_assigned(&mut tx, ws, event, data).await?,
        EventKind::ScoreThresholdEntered => hot_lead(&mut tx, ws, data).await?,
        EventKind::AppointmentBooked => booking_created(&mut tx, ws, data).await?,
        EventKind::MessageInbound => message_replied(&mut tx, ws, data).await?,
        EventKind::ConversationAssigned => conversation_assigned(&mut tx, ws, event, data).await?,
        _ => Vec::new(),
    };
    let key = format!("event:{}", event.id);
    for n in &pushes {
        notifications::push_keyed(&mut tx, n, &key, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn uuid_at<T: From<uuid::Uuid>>(data: &Value, key: &str) -> Option<T> {
    data.get(key)
        .and_then(Value::as_str)
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(T::from)
}

async fn contact_name(tx: &mut Tx, ws: WorkspaceId, id: Option<ContactId>) -> EngineResult<String> {
    Ok(match id {
        Some(c) => match af_db::contacts::get_contact_tx(tx, ws, c).await {
            Ok(contact) => contact.full_name(),
            Err(af_db::DbError::NotFound(_)) => String::new(),
            Err(e) => return Err(e.into()),
        },
        None => String::new(),
    })
}

fn contact_link(contact: Option<ContactId>, otherwise: &str) -> String {
    contact.map_or_else(|| otherwise.to_string(), |c| format!("/contacts/{c}"))
}

async fn task_assigned(
    tx: &mut Tx,
    ws: WorkspaceId,
    event: &Event,
    data: &Value,
) -> EngineResult<Vec<NewNotification>> {
    let Some(assignee) = uuid_at::<UserId>(data, "assignee_id") else {
        return Ok(Vec::new());
    };
    // Giving oneself a task is not news.
    if event.actor_type == "user" && event.actor_id == Some(assignee.0) {
        return Ok(Vec::new());
    }
    let contact = event
        .entity_id
        .as_deref()
        .filter(|_| event.entity_type == "contact")
        .and_then(|s| s.parse::<ContactId>().ok());
    let name = contact_name(tx, ws, contact).await?;
    Ok(vec![NewNotification {
        workspace_id: ws,
        user_id: assignee,
        kind: NotificationKind::TaskAssigned,
        params: json!({
            "task_id": data.get("task_id"), "title": data.get("title"),
            "due_at": data.get("due_at"), "contact_id": contact, "contact_name": name,
        }),
        link: contact_link(contact, "/tasks"),
    }])
}

async fn hot_lead(
    tx: &mut Tx,
    ws: WorkspaceId,
    data: &Value,
) -> EngineResult<Vec<NewNotification>> {
    let Some(contact_id) = uuid_at::<ContactId>(data, "contact_id") else {
        return Ok(Vec::new());
    };
    let contact = match af_db::contacts::get_contact_tx(tx, ws, contact_id).await {
        Ok(c) => c,
        Err(af_db::DbError::NotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let to = match contact.owner_id {
        Some(owner) => vec![UserId(owner)],
        None => notifications::members_with_role(tx, ws, MANAGERS).await?,
    };
    let params = json!({
        "contact_id": contact_id, "contact_name": contact.full_name(),
        "threshold": data.get("name"), "score": data.get("score"),
    });
    Ok(to
        .into_iter()
        .map(|user| NewNotification {
            workspace_id: ws,
            user_id: user,
            kind: NotificationKind::HotLead,
            params: params.clone(),
            link: contact_link(Some(contact_id), "/contacts"),
        })
        .collect())
}

async fn booking_created(
    tx: &mut Tx,
    ws: WorkspaceId,
    data: &Value,
) -> EngineResult<Vec<NewNotification>> {
    let Some(host) = uuid_at::<UserId>(data, "host_user_id") else {
        return Ok(Vec::new());
    };
    let contact = uuid_at::<ContactId>(data, "contact_id");
    let name = contact_name(tx, ws, contact).await?;
    Ok(vec![NewNotification {
        workspace_id: ws,
        user_id: host,
        kind: NotificationKind::BookingCreated,
        params: json!({
            "appointment_id": data.get("appointment_id"), "contact_id": contact,
            "contact_name": name, "starts_at": data.get("start"),
        }),
        link: contact_link(contact, "/calendars"),
    }])
}

/// A contact wrote: whoever answers her hears it — the conversation's
/// assignee, else the contact's owner (nobody when neither exists: the
/// inbox's unread count shows it to everyone).
async fn message_replied(
    tx: &mut Tx,
    ws: WorkspaceId,
    data: &Value,
) -> EngineResult<Vec<NewNotification>> {
    let Some(contact_id) = uuid_at::<ContactId>(data, "contact_id") else {
        return Ok(Vec::new());
    };
    let Some(conversation) = af_db::conversations::find_tx(tx, ws, contact_id).await? else {
        return Ok(Vec::new());
    };
    let Some(to) = conversation.assignee_id.or(conversation.owner_id) else {
        return Ok(Vec::new());
    };
    let body = data.get("body").and_then(Value::as_str).unwrap_or_default();
    Ok(vec![NewNotification {
        workspace_id: ws,
        user_id: UserId(to),
        kind: NotificationKind::MessageReplied,
        params: json!({
            "contact_id": contact_id, "contact_name": conversation.contact_name(),
            "channel": data.get("channel"),
            "preview": af_db::conversations::preview(body),
        }),
        link: format!("/conversations/{contact_id}"),
    }])
}

async fn conversation_assigned(
    tx: &mut Tx,
    ws: WorkspaceId,
    event: &Event,
    data: &Value,
) -> EngineResult<Vec<NewNotification>> {
    let Some(assignee) = uuid_at::<UserId>(data, "assignee_id") else {
        return Ok(Vec::new());
    };
    if event.actor_type == "user" && event.actor_id == Some(assignee.0) {
        return Ok(Vec::new());
    }
    let contact = uuid_at::<ContactId>(data, "contact_id");
    let name = contact_name(tx, ws, contact).await?;
    Ok(vec![NewNotification {
        workspace_id: ws,
        user_id: assignee,
        kind: NotificationKind::ConversationAssigned,
        params: json!({ "contact_id": contact, "contact_name": name, "by": data.get("by") }),
        link: contact.map_or_else(
            || "/conversations".to_string(),
            |c| format!("/conversations/{c}"),
        ),
    }])
}

/// Records an automation alert (`automation_alerts`, as before) and, when
/// it is the first open alert of its kind for the workflow (or has no
/// workflow), tells the owners and admins in the bell: a workflow failing
/// for a thousand contacts rings once, not a thousand times.
pub async fn raise_alert(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: Option<WorkflowId>,
    enrollment: Option<EnrollmentId>,
    kind: &str,
    message: &str,
    now: Ts,
) -> DbResult<()> {
    let first = match wf {
        Some(w) => !store::has_open_alert(tx, ws, w, kind).await?,
        None => true,
    };
    store::insert_alert(tx, ws, wf, enrollment, kind, message, now).await?;
    if !first {
        return Ok(());
    }
    let workflow_name = match wf {
        Some(w) => store::find_workflow_tx(tx, ws, w)
            .await?
            .map(|w| w.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let link = wf.map_or_else(
        || "/automations".to_string(),
        |w| format!("/automations/{w}"),
    );
    for user in notifications::members_with_role(tx, ws, MANAGERS).await? {
        let n = NewNotification {
            workspace_id: ws,
            user_id: user,
            kind: NotificationKind::AutomationFailing,
            params: json!({ "alert_kind": kind, "workflow_id": wf, "workflow_name": workflow_name }),
            link: link.clone(),
        };
        notifications::push(tx, &n, now).await?;
    }
    Ok(())
}

/// The "notify team" step: every member of the workspace gets `message`
/// (the step's text, rendered for this contact) in the bell. How many
/// were pushed (members who turned the kind off are not counted).
pub async fn notify_team(
    tx: &mut Tx,
    ws: WorkspaceId,
    workflow_name: &str,
    contact: ContactId,
    contact_name: &str,
    message: &str,
    now: Ts,
) -> DbResult<usize> {
    let everyone =
        notifications::members_with_role(tx, ws, &[Role::Owner, Role::Admin, Role::Member]).await?;
    let mut pushed = 0;
    for user in everyone {
        let n = NewNotification {
            workspace_id: ws,
            user_id: user,
            kind: NotificationKind::TeamNotification,
            params: json!({
                "message": message, "workflow_name": workflow_name,
                "contact_id": contact, "contact_name": contact_name,
            }),
            link: format!("/contacts/{contact}"),
        };
        if notifications::push(tx, &n, now).await?.is_some() {
            pushed += 1;
        }
    }
    Ok(pushed)
}
