//! Tasks: something a member has to do, usually about a contact, with an
//! optional due date and an assignee. Creating and completing one writes
//! `task.created` / `task.completed` in the same transaction.

use crate::events::{NewEvent, insert_event};
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, TaskId, UserId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

/// A task with the names the lists show.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Task {
    #[sqlx(try_from = "Uuid")]
    pub id: TaskId,
    pub contact_id: Option<Uuid>,
    pub title: String,
    pub due_at: Option<Ts>,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub done_at: Option<Ts>,
    pub created_at: Ts,
    pub contact_first_name: Option<String>,
    pub contact_last_name: Option<String>,
}

impl Task {
    /// Open and due before `now`.
    pub fn is_overdue(&self, now: Ts) -> bool {
        self.done_at.is_none() && self.due_at.is_some_and(|d| d < now)
    }

    pub fn contact_name(&self) -> String {
        format!(
            "{} {}",
            self.contact_first_name.as_deref().unwrap_or(""),
            self.contact_last_name.as_deref().unwrap_or("")
        )
        .trim()
        .to_string()
    }
}

macro_rules! task_select {
    () => {
        "SELECT t.id, t.contact_id, t.title, t.due_at, t.assignee_id, u.name AS assignee_name, t.done_at,
                t.created_at, c.first_name AS contact_first_name, c.last_name AS contact_last_name
         FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id LEFT JOIN contacts c ON c.id = t.contact_id "
    };
}

/// A validated new task.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub contact_id: ContactId,
    pub title: String,
    pub due_at: Option<Ts>,
    pub assignee_id: Option<UserId>,
}

/// Whether `user` is a member of the workspace (an assignee must be).
pub async fn is_member(tx: &mut Tx, ws: WorkspaceId, user: UserId) -> DbResult<bool> {
    let n: i64 = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).fetch_one(&mut *c).await?
    });
    Ok(n > 0)
}

/// Creates a task on a contact of this workspace and writes `task.created`.
/// The contact and the assignee must belong to the workspace (NotFound).
pub async fn insert_task(
    tx: &mut Tx,
    ws: WorkspaceId,
    t: &NewTask,
    created_by: Option<UserId>,
    actor: &Actor,
    now: Ts,
) -> DbResult<TaskId> {
    crate::contacts::get_contact_tx(tx, ws, t.contact_id).await?;
    if let Some(a) = t.assignee_id
        && !is_member(tx, ws, a).await?
    {
        return Err(DbError::NotFound("assignee"));
    }
    let id = TaskId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO tasks (id, workspace_id, contact_id, deal_id, title, due_at, assignee_id, created_by,
                                done_at, created_at, updated_at)
             VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, NULL, $8, $8)",
        )
        .bind(id.0).bind(ws.0).bind(t.contact_id.0).bind(&t.title).bind(t.due_at)
        .bind(t.assignee_id.map(|u| u.0)).bind(created_by.map(|u| u.0)).bind(now)
        .execute(&mut *c).await?;
    });
    let event = NewEvent {
        workspace: ws,
        kind: EventKind::TaskCreated.as_str(),
        entity_type: "contact",
        entity_id: Some(t.contact_id.to_string()),
        actor,
        data: serde_json::json!({
            "task_id": id, "title": t.title, "due_at": t.due_at, "assignee_id": t.assignee_id,
        }),
    };
    insert_event(tx, &event, now).await?;
    Ok(id)
}

/// Marks a task of this workspace done and writes `task.completed`.
/// Completing a done task changes nothing and writes nothing.
pub async fn complete_task(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: TaskId,
    actor: &Actor,
    now: Ts,
) -> DbResult<Task> {
    let task = get_task_tx(tx, ws, id).await?;
    if task.done_at.is_some() {
        return Ok(task);
    }
    with_tx!(tx, c => {
        sqlx::query("UPDATE tasks SET done_at = $3, updated_at = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(now)
            .execute(&mut *c).await?;
    });
    let (entity_type, entity_id) = match task.contact_id {
        Some(c) => ("contact", c.to_string()),
        None => ("task", id.to_string()),
    };
    let event = NewEvent {
        workspace: ws,
        kind: EventKind::TaskCompleted.as_str(),
        entity_type,
        entity_id: Some(entity_id),
        actor,
        data: serde_json::json!({ "task_id": id, "title": task.title }),
    };
    insert_event(tx, &event, now).await?;
    get_task_tx(tx, ws, id).await
}

/// A task of this workspace (NotFound otherwise).
pub async fn get_task_tx(tx: &mut Tx, ws: WorkspaceId, id: TaskId) -> DbResult<Task> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Task>(concat!(task_select!(), "WHERE t.workspace_id = $1 AND t.id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("task"))
}

/// The tasks of a contact: open ones first (by due date, undated last),
/// then done ones, most recently done first.
pub async fn list_contact_tasks(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Vec<Task>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Task>(concat!(task_select!(),
            "WHERE t.workspace_id = $1 AND t.contact_id = $2
             ORDER BY (t.done_at IS NOT NULL), (t.due_at IS NULL), t.due_at, t.done_at DESC, t.created_at, t.id
             LIMIT 200"))
        .bind(ws.0).bind(contact.0).fetch_all(p).await?
    }))
}

/// A user's open tasks in a workspace: by due date, so overdue ones come
/// first, then the ones due soonest; undated ones last.
pub async fn list_open_tasks_for(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
    limit: i64,
) -> DbResult<Vec<Task>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Task>(concat!(task_select!(),
            "WHERE t.workspace_id = $1 AND t.assignee_id = $2 AND t.done_at IS NULL
             ORDER BY (t.due_at IS NULL), t.due_at, t.created_at, t.id
             LIMIT $3"))
        .bind(ws.0).bind(user.0).bind(limit).fetch_all(p).await?
    }))
}
