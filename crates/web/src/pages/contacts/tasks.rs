//! Tasks: the tasks part of the contact page and "my tasks" (`/tasks`), the
//! signed-in user's open tasks with overdue ones first. Creating and
//! completing write `task.created` / `task.completed` (in `af_db::tasks`).

use super::show::{Ctx, load_contact, timeline_section};
use super::{contacts_js, ct, db_err, render};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::{HxRequest, IdPath};
use crate::i18n::contacts::ContactsTr;
use crate::pages::fmt_when;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::{ContactId, TaskId, UserId};
use af_db::Ts;
use af_db::contacts::Contact;
use af_db::tasks::{self, NewTask, Task};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

pub struct TaskView {
    pub id: TaskId,
    pub title: String,
    pub due: String,
    pub overdue: bool,
    pub done: bool,
    pub assignee: String,
    pub contact_id: String,
    pub contact_name: String,
}

fn task_view(t: &ContactsTr, task: Task, now: Ts, tz: &str, locale: af_core::Locale) -> TaskView {
    TaskView {
        id: task.id,
        overdue: task.is_overdue(now),
        done: task.done_at.is_some(),
        due: task
            .due_at
            .map(|d| fmt_when(d, tz, locale))
            .unwrap_or_else(|| t.no_due.into()),
        assignee: task
            .assignee_name
            .clone()
            .unwrap_or_else(|| t.unassigned.into()),
        contact_id: task.contact_id.map(|c| c.to_string()).unwrap_or_default(),
        contact_name: task.contact_name(),
        title: task.title,
    }
}

#[derive(Template)]
#[template(path = "contacts/_tasks.html")]
pub(super) struct TasksSection {
    ct: &'static ContactsTr,
    cid: ContactId,
    tasks: Vec<TaskView>,
    members: Vec<(String, String)>,
    me: String,
    error: Option<String>,
}

pub(super) async fn tasks_section(
    st: &AppState,
    ctx: &Ctx,
    cu: &CurrentUser,
    c: &Contact,
) -> AppResult<TasksSection> {
    let now = st.now();
    let tasks = tasks::list_contact_tasks(&st.db, c.workspace_id, c.id)
        .await?
        .into_iter()
        .map(|task| task_view(ctx.t, task, now, &ctx.time_zone, ctx.locale))
        .collect();
    Ok(TasksSection {
        ct: ctx.t,
        cid: c.id,
        tasks,
        members: ctx
            .members
            .iter()
            .map(|m| (m.user_id.to_string(), super::member_name(m)))
            .collect(),
        me: cu.user.id.to_string(),
        error: None,
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct TaskForm {
    title: String,
    due: String,
    assignee_id: String,
}

fn validate_task(ctx: &Ctx, c: &Contact, f: &TaskForm) -> Result<NewTask, &'static str> {
    let t = ctx.t;
    let title = f.title.trim();
    if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
        return Err(t.err_task_title);
    }
    let due_at = match f.due.trim() {
        "" => None,
        raw => Some(super::parse_local(raw, &ctx.time_zone, true).ok_or(t.err_due)?),
    };
    let assignee_id = match f.assignee_id.trim() {
        "" => None,
        raw => {
            let id = raw.parse::<UserId>().map_err(|_| t.err_assignee)?;
            if !ctx.members.iter().any(|m| m.user_id == id) {
                return Err(t.err_assignee);
            }
            Some(id)
        }
    };
    Ok(NewTask {
        contact_id: c.id,
        title: title.to_string(),
        due_at,
        assignee_id,
    })
}

/// `POST /contacts/{id}/tasks`: adds a task to the contact.
pub async fn create_task(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath(id): IdPath<ContactId>,
    Form(f): Form<TaskForm>,
) -> AppResult<Response> {
    let c = load_contact(&st, &cu, id).await?;
    let ctx = Ctx::load(&st, &cu).await?;
    let new = match validate_task(&ctx, &c, &f) {
        Ok(n) => n,
        Err(message) => {
            let mut section = tasks_section(&st, &ctx, &cu, &c).await?;
            section.error = Some(message.into());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(render(&section)?)).into_response());
        }
    };
    let mut tx = st.db.begin().await?;
    tasks::insert_task(
        &mut tx,
        c.workspace_id,
        &new,
        Some(cu.user.id),
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(db_err)?;
    tx.commit().await?;
    contact_tasks_answer(&st, &ctx, &cu, hx, &c).await
}

async fn contact_tasks_answer(
    st: &AppState,
    ctx: &Ctx,
    cu: &CurrentUser,
    hx: bool,
    c: &Contact,
) -> AppResult<Response> {
    if !hx {
        return Ok(Redirect::to(&format!("/contacts/{}", c.id)).into_response());
    }
    let section = render(&tasks_section(st, ctx, cu, c).await?)?;
    let timeline = render(&timeline_section(st, ctx, c, true).await?)?;
    Ok(Html(section + &timeline).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct CompleteForm {
    /// `contact` when completed on the contact page (answer: its tasks).
    from: String,
}

/// `POST /tasks/{id}/complete`: marks a task done. From "my tasks" the row
/// disappears (empty answer); from the contact page its tasks re-render.
pub async fn complete_task(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    IdPath(id): IdPath<TaskId>,
    Form(f): Form<CompleteForm>,
) -> AppResult<Response> {
    let mut tx = st.db.begin().await?;
    let task = tasks::complete_task(&mut tx, cu.workspace.id, id, &cu.actor(), st.now())
        .await
        .map_err(db_err)?;
    tx.commit().await?;
    let contact = match task.contact_id {
        Some(c) if f.from == "contact" => Some(load_contact(&st, &cu, ContactId(c)).await?),
        _ => None,
    };
    match contact {
        Some(c) => {
            let ctx = Ctx::load(&st, &cu).await?;
            contact_tasks_answer(&st, &ctx, &cu, hx, &c).await
        }
        None if hx => Ok(Html(String::new()).into_response()),
        None => Ok(Redirect::to("/tasks").into_response()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/tasks.html")]
struct MyTasksPage {
    shell: Shell,
    ct: &'static ContactsTr,
    js: &'static str,
    tasks: Vec<TaskView>,
}

/// `GET /tasks`: "my tasks".
pub async fn my_tasks(State(st): State<AppState>, cu: CurrentUser) -> AppResult<impl IntoResponse> {
    let t = ct(&cu);
    let now = st.now();
    let tz = cu.workspace.time_zone.clone();
    let tasks = tasks::list_open_tasks_for(&st.db, cu.workspace.id, cu.user.id, 500)
        .await?
        .into_iter()
        .map(|task| task_view(t, task, now, &tz, cu.locale()))
        .collect();
    Ok(MyTasksPage {
        shell: Shell::new(&cu, Area::Tasks).await?,
        ct: t,
        js: contacts_js(),
        tasks,
    })
}
