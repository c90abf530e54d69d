//! The contact list: live search, filters, keyset pages, saved filters and
//! bulk actions. The results table is one section rendered both inside the
//! page and alone for htmx (search as you type), so they cannot drift.

use super::{contacts_js, ct, db_err, member_name, render};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath};
use crate::i18n::contacts::ContactsTr;
use crate::pages::fmt_when;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::{ContactId, Role, SavedFilterId, StageId, UserId};
use af_db::contacts::{self, BulkAction, ContactFilter, Cursor};
use af_db::saved_filters::{self, SavedFilter};
use af_db::workspaces::Member;
use af_db::{Ts, pipelines, workspaces};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Contacts per page.
const PAGE_SIZE: i64 = 50;
/// Most contacts one bulk action may touch.
const MAX_BULK: usize = 500;

/// The list's query string as typed (empty fields mean "any").
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub tag: String,
    pub stage_id: String,
    pub source: String,
    pub owner_id: String,
    pub score_min: String,
    pub score_max: String,
    pub created_from: String,
    pub created_to: String,
    pub cursor: String,
}

impl ListQuery {
    fn pairs(&self) -> [(&'static str, &str); 9] {
        [
            ("q", &self.q),
            ("tag", &self.tag),
            ("stage_id", &self.stage_id),
            ("source", &self.source),
            ("owner_id", &self.owner_id),
            ("score_min", &self.score_min),
            ("score_max", &self.score_max),
            ("created_from", &self.created_from),
            ("created_to", &self.created_to),
        ]
    }

    /// The filters as a query string (no cursor): what saved filters store
    /// and where bulk actions return to.
    pub fn to_query(&self) -> String {
        self.pairs()
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencoding::encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Reads a query string back (a saved filter, a form's `back` field);
    /// anything unreadable is an empty filter.
    pub fn from_query(raw: &str) -> ListQuery {
        let raw = raw.trim_start_matches('?');
        format!("/contacts?{raw}")
            .parse::<axum::http::Uri>()
            .ok()
            .and_then(|uri| Query::<ListQuery>::try_from_uri(&uri).ok())
            .map(|Query(q)| ListQuery {
                cursor: String::new(),
                ..q
            })
            .unwrap_or_default()
    }

    fn has_filters(&self) -> bool {
        self.pairs().iter().any(|(_, v)| !v.trim().is_empty())
    }

    /// The repository filter; `Err(field)` names the first unreadable one.
    fn to_filter(&self, time_zone: &str) -> Result<ContactFilter, &'static str> {
        fn opt(s: &str) -> Option<&str> {
            Some(s.trim()).filter(|s| !s.is_empty())
        }
        let uuid = |s: &str, name| {
            opt(s)
                .map(|v| v.parse::<Uuid>().map_err(|_| name))
                .transpose()
        };
        let int = |s: &str, name| {
            opt(s)
                .map(|v| v.parse::<i32>().map_err(|_| name))
                .transpose()
        };
        let date = |s: &str, name, end| {
            opt(s)
                .map(|v| {
                    let d = v.parse::<jiff::civil::Date>().map_err(|_| name)?;
                    // "until" is inclusive: the list filters `created < next midnight`.
                    let d = if end {
                        d.tomorrow().map_err(|_| name)?
                    } else {
                        d
                    };
                    super::parse_local(&d.to_string(), time_zone, false).ok_or(name)
                })
                .transpose()
        };
        Ok(ContactFilter {
            q: opt(&self.q).map(|s| s.chars().take(200).collect()),
            tag: opt(&self.tag).map(str::to_string),
            stage_id: uuid(&self.stage_id, "stage_id")?,
            source: opt(&self.source).map(str::to_string),
            owner_id: uuid(&self.owner_id, "owner_id")?,
            score_min: int(&self.score_min, "score_min")?,
            score_max: int(&self.score_max, "score_max")?,
            created_from: date(&self.created_from, "created_from", false)?,
            created_to: date(&self.created_to, "created_to", true)?,
        })
    }
}

/// `created_at~id` of the last row of a page.
fn encode_cursor(c: &contacts::Contact) -> String {
    format!("{}~{}", c.created_at, c.id)
}

fn decode_cursor(raw: &str) -> Option<Cursor> {
    let (ts, id) = raw.split_once('~')?;
    Some(Cursor {
        created_at: Ts::new(ts.parse().ok()?),
        id: id.parse().ok()?,
    })
}

pub struct Row {
    pub id: ContactId,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub tags: Vec<String>,
    pub score: i32,
    /// The 7-day trend: `up`, `down` or `flat`, and its words.
    pub trend_dir: &'static str,
    pub trend: String,
    pub owner: String,
    pub created: String,
}

/// The results section: table, selection boxes and the next-page link.
#[derive(Template)]
#[template(path = "contacts/_results.html")]
struct Results {
    ct: &'static ContactsTr,
    rows: Vec<Row>,
    /// Query string of the next page, when there is one.
    next: Option<String>,
    is_later_page: bool,
    query: String,
    has_filters: bool,
    /// "3,017 contactos" (every page of the filter, not this one).
    total: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(items: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/list.html")]
struct ListPage {
    shell: Shell,
    ct: &'static ContactsTr,
    js: &'static str,
    f: ListQuery,
    results: String,
    tags: Vec<Choice>,
    stages: Vec<Choice>,
    /// Stages grouped for the bulk "move to stage" select.
    bulk_stages: Vec<Choice>,
    owners: Vec<Choice>,
    saved: Vec<SavedFilter>,
    can_delete: bool,
}

/// Loads one page of results for the query.
async fn results(
    st: &AppState,
    cu: &CurrentUser,
    f: &ListQuery,
    members: &[Member],
) -> AppResult<Results> {
    let t = ct(cu);
    let ws = &cu.workspace;
    let filter = f
        .to_filter(&ws.time_zone)
        .map_err(|field| AppError::BadRequest(t.err_filter.replace("{field}", field)))?;
    let cursor = match f.cursor.trim() {
        "" => None,
        raw => Some(decode_cursor(raw).ok_or_else(|| AppError::BadRequest(t.err_cursor.into()))?),
    };
    let mut found = contacts::list_contacts(&st.db, ws.id, &filter, cursor, PAGE_SIZE + 1).await?;
    let count = contacts::count_matching(&st.db, ws.id, &filter).await?;
    let total = if count == 1 {
        t.total_one.to_string()
    } else {
        t.total_many
            .replace("{n}", &af_core::numbers::format_count(count, &ws.country))
    };
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    let ids: Vec<ContactId> = found.iter().map(|c| c.id).collect();
    let mut tags: HashMap<ContactId, Vec<String>> = HashMap::new();
    for (id, name) in contacts::tags_of(&st.db, ws.id, &ids).await? {
        tags.entry(id).or_default().push(name);
    }
    // The 7-day trend of the page's contacts, in one query.
    let contact_ids: Vec<uuid::Uuid> = ids.iter().map(|c| c.0).collect();
    let trends = af_service::scoring::trends(&st.db, ws.id, &contact_ids, st.now()).await?;
    let sc = crate::i18n::scoring::ScoringTr::get(cu.locale());
    let query = f.to_query();
    let next = match (more, found.last()) {
        (true, Some(last)) => {
            let cursor = format!("cursor={}", urlencoding::encode(&encode_cursor(last)));
            Some(if query.is_empty() {
                cursor
            } else {
                format!("{query}&{cursor}")
            })
        }
        _ => None,
    };
    let rows = found
        .into_iter()
        .map(|c| Row {
            name: c.full_name(),
            email: c.email.clone().unwrap_or_default(),
            phone: c
                .phone
                .as_deref()
                .map(|p| af_core::phone::display(p, &ws.country))
                .unwrap_or_default(),
            company: c.company.clone().unwrap_or_default(),
            tags: tags.remove(&c.id).unwrap_or_default(),
            score: c.score,
            trend_dir: match trends.get(&c.id.0).copied().unwrap_or(0) {
                0 => "flat",
                d if d > 0 => "up",
                _ => "down",
            },
            trend: sc.trend(trends.get(&c.id.0).copied().unwrap_or(0)),
            owner: super::member_name_by_id(members, c.owner_id).unwrap_or_default(),
            created: fmt_when(c.created_at, &ws.time_zone, cu.locale()),
            id: c.id,
        })
        .collect();
    Ok(Results {
        ct: t,
        rows,
        next,
        is_later_page: cursor.is_some(),
        has_filters: f.has_filters(),
        total,
        query,
    })
}

/// `GET /contacts`: the page, or only the results for htmx.
pub async fn list_contacts(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
    headers: HeaderMap,
    Query(f): Query<ListQuery>,
) -> AppResult<Response> {
    let ws = cu.workspace.id;
    let members = workspaces::list_members(&st.db, ws).await?;
    let res = results(&st, &cu, &f, &members).await?;
    let target = headers.get("hx-target").and_then(|v| v.to_str().ok());
    if hx && target == Some("contact-results") {
        // The address bar shows the tidy query, not every empty form field.
        let mut url = format!("/contacts?{}", res.query);
        if !f.cursor.trim().is_empty() {
            url.push_str(&format!("&cursor={}", urlencoding::encode(f.cursor.trim())));
        }
        let url = url.replace("?&", "?").trim_end_matches('?').to_string();
        return Ok(([("hx-push-url", url)], Html(render(&res)?)).into_response());
    }
    let tags = contacts::list_tags(&st.db, ws)
        .await?
        .into_iter()
        .map(|t| (t.name.clone(), t.name));
    let all_pipelines = pipelines::list_pipelines(&st.db, ws).await?;
    let many = all_pipelines.len() > 1;
    let stage_items: Vec<(String, String)> = all_pipelines
        .iter()
        .flat_map(|p| {
            p.stages.iter().map(move |s| {
                let label = if many {
                    format!("{} · {}", p.pipeline.name, s.name)
                } else {
                    s.name.clone()
                };
                (s.id.to_string(), label)
            })
        })
        .collect();
    let owners = members
        .iter()
        .map(|m| (m.user_id.to_string(), member_name(m)));
    let saved = saved_filters::list_saved_filters(&st.db, ws, cu.user.id).await?;
    let page = ListPage {
        ct: ct(&cu),
        js: contacts_js(),
        tags: choices(tags, &f.tag),
        stages: choices(stage_items.clone(), &f.stage_id),
        bulk_stages: choices(stage_items, ""),
        owners: choices(owners, &f.owner_id),
        saved,
        can_delete: cu.role >= Role::Admin,
        results: render(&res)?,
        f,
        shell: Shell::new(&cu, Area::Contacts).await?,
    };
    Ok(page.into_response())
}

// --------------------------------------------------------------------- bulk

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct BulkForm {
    ids: Vec<String>,
    action: String,
    tag: String,
    stage_id: String,
    owner_id: String,
    confirm: String,
    back: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/confirm_delete.html")]
struct ConfirmDelete {
    shell: Shell,
    ct: &'static ContactsTr,
    title: String,
    names: Vec<String>,
    ids: Vec<ContactId>,
    back: String,
}

fn bulk_action(
    t: &'static ContactsTr,
    form: &BulkForm,
    members: &[Member],
    country: &str,
) -> Result<BulkAction, AppError> {
    let bad = |m: &str| AppError::BadRequest(m.to_string());
    Ok(match form.action.as_str() {
        "add_tag" | "remove_tag" => {
            let tag = af_core::contact::tag_name(&form.tag).map_err(|_| bad(t.err_tag))?;
            if form.action == "add_tag" {
                BulkAction::AddTag(tag)
            } else {
                BulkAction::RemoveTag(tag)
            }
        }
        "move_stage" => BulkAction::MoveToStage {
            // A stage of another workspace fails later as NotFound (404).
            stage: form
                .stage_id
                .trim()
                .parse::<StageId>()
                .map_err(|_| bad(t.err_stage))?,
            currency: af_core::money::currency_for_country(country).to_string(),
        },
        "assign_owner" => match form.owner_id.trim() {
            "" => BulkAction::AssignOwner(None),
            raw => {
                let id = raw.parse::<UserId>().map_err(|_| bad(t.err_owner))?;
                if !members.iter().any(|m| m.user_id == id) {
                    return Err(bad(t.err_owner));
                }
                BulkAction::AssignOwner(Some(id))
            }
        },
        "delete" => BulkAction::Delete,
        _ => return Err(bad(t.err_bulk_action)),
    })
}

/// `POST /contacts/bulk`: one action on the selected contacts. Deleting
/// (admin+) first shows a confirmation page.
pub async fn bulk_contacts(
    State(st): State<AppState>,
    cu: CurrentUser,
    axum_extra::extract::Form(form): axum_extra::extract::Form<BulkForm>,
) -> AppResult<Response> {
    let t = ct(&cu);
    let ws = cu.workspace.id;
    if form.ids.is_empty() {
        return Err(AppError::BadRequest(t.err_no_selection.into()));
    }
    if form.ids.len() > MAX_BULK {
        return Err(AppError::BadRequest(t.err_too_many.into()));
    }
    let mut ids = form
        .ids
        .iter()
        .map(|raw| raw.trim().parse::<ContactId>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::NotFound)?;
    ids.sort();
    ids.dedup();
    let members = workspaces::list_members(&st.db, ws).await?;
    let action = bulk_action(t, &form, &members, &cu.workspace.country)?;
    let back = ListQuery::from_query(&form.back).to_query();
    if matches!(action, BulkAction::Delete) {
        cu.require(Role::Admin)?;
        if form.confirm != "yes" {
            return confirm_delete(&st, &cu, ids, back).await;
        }
    }
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let changed = contacts::bulk_apply(&mut tx, ws, &ids, &action, &cu.actor(), now)
        .await
        .map_err(db_err)?;
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, action = form.action, contacts = ids.len(), changed, "bulk contact action");
    let message = if matches!(action, BulkAction::Delete) {
        t.deleted
    } else {
        t.bulk_done
    };
    set_flash(
        &cu.session,
        true,
        &message.replace("{n}", &changed.to_string()),
    )
    .await?;
    Ok(Redirect::to(&format!("/contacts?{back}")).into_response())
}

async fn confirm_delete(
    st: &AppState,
    cu: &CurrentUser,
    ids: Vec<ContactId>,
    back: String,
) -> AppResult<Response> {
    let t = ct(cu);
    let mut names = Vec::with_capacity(ids.len());
    for id in &ids {
        let c = contacts::find_contact(&st.db, cu.workspace.id, *id)
            .await?
            .ok_or(AppError::NotFound)?;
        let name = c.full_name();
        names.push(if name.is_empty() {
            c.email
                .or_else(|| {
                    c.phone
                        .map(|p| af_core::phone::display(&p, &cu.workspace.country))
                })
                .unwrap_or_default()
        } else {
            name
        });
    }
    Ok(ConfirmDelete {
        shell: Shell::new(cu, Area::Contacts).await?,
        ct: t,
        title: t
            .confirm_delete_title
            .replace("{n}", &ids.len().to_string()),
        names,
        ids,
        back,
    }
    .into_response())
}

// ------------------------------------------------------------ saved filters

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct SaveFilterForm {
    name: String,
    query: String,
}

/// `POST /contacts/filters`: saves the current filters under a name.
pub async fn save_filter(
    State(st): State<AppState>,
    cu: CurrentUser,
    axum::Form(form): axum::Form<SaveFilterForm>,
) -> AppResult<Response> {
    let t = ct(&cu);
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest(t.err_filter_name.into()));
    }
    let query = ListQuery::from_query(&form.query);
    // Refuse what the list itself would refuse, so a saved filter always opens.
    query
        .to_filter(&cu.workspace.time_zone)
        .map_err(|field| AppError::BadRequest(t.err_filter.replace("{field}", field)))?;
    let query = query.to_query();
    let mut tx = st.db.begin().await?;
    saved_filters::insert_saved_filter(
        &mut tx,
        cu.workspace.id,
        cu.user.id,
        name,
        &query,
        st.now(),
    )
    .await?;
    tx.commit().await?;
    set_flash(&cu.session, true, t.filter_saved).await?;
    Ok(Redirect::to(&format!("/contacts?{query}")).into_response())
}

/// `POST /contacts/filters/{id}/delete`: deletes one of the user's filters.
pub async fn delete_filter(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<SavedFilterId>,
) -> AppResult<Response> {
    let mut tx = st.db.begin().await?;
    if !saved_filters::delete_saved_filter(&mut tx, cu.workspace.id, cu.user.id, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    set_flash(&cu.session, true, ct(&cu).filter_deleted).await?;
    Ok(Redirect::to("/contacts").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_round_trip_without_the_cursor() {
        let q = ListQuery::from_query("q=ana%20m&tag=vip&cursor=x&score_min=10&bogus=1");
        assert_eq!(q.q, "ana m");
        assert_eq!(q.cursor, "");
        assert_eq!(q.to_query(), "q=ana%20m&tag=vip&score_min=10");
        assert_eq!(ListQuery::from_query("%%%").to_query(), "");
    }

    #[test]
    fn bad_filters_name_their_field() {
        let q = ListQuery {
            score_min: "diez".into(),
            ..Default::default()
        };
        assert_eq!(q.to_filter("UTC").err(), Some("score_min"));
        let q = ListQuery {
            created_to: "2026-03-07".into(),
            ..Default::default()
        };
        let f = q.to_filter("UTC").expect("valid");
        assert_eq!(
            f.created_to.map(|t| t.to_string()),
            Some("2026-03-08T00:00:00Z".into())
        );
    }
}
