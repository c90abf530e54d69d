//! Search across the workspace from the header: contacts (every word in
//! the name, email, company or phone in any format, ignoring case and
//! accents — see [`af_core::search::terms`]; indexed, see
//! `crate::contacts::contact_search`),
//! deals by title, forms and workflows by name. A few hits of each kind,
//! always scoped to one workspace.

use crate::contacts::{Contact, ContactFilter, list_contacts};
use crate::{DbResult, with_pool};
use af_core::WorkspaceId;
use uuid::Uuid;

/// A deal found by its title.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DealHit {
    pub id: Uuid,
    pub title: String,
    pub pipeline_id: Uuid,
    pub value_minor: i64,
    pub currency: String,
}

/// A form or a workflow found by its name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NamedHit {
    pub id: Uuid,
    pub name: String,
}

/// What one query found, at most `per_kind` of each, best first (newest).
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub contacts: Vec<Contact>,
    pub deals: Vec<DealHit>,
    pub forms: Vec<NamedHit>,
    pub workflows: Vec<NamedHit>,
}

impl Results {
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
            && self.deals.is_empty()
            && self.forms.is_empty()
            && self.workflows.is_empty()
    }
}

/// Searches everything for `q` (an empty query finds nothing). Titles and
/// names are compared lower-cased on both sides; SQLite's `lower()` folds
/// ASCII only, so an upper-case accented letter in a stored name must be
/// typed as it is stored.
pub async fn everything(
    db: &crate::Db,
    ws: WorkspaceId,
    q: &str,
    per_kind: i64,
) -> DbResult<Results> {
    if af_core::search::terms(q).is_empty() {
        return Ok(Results::default());
    }
    let contacts = list_contacts(
        db,
        ws,
        &ContactFilter {
            q: Some(q.to_string()),
            ..Default::default()
        },
        None,
        per_kind,
    )
    .await?;
    // Titles and names are matched on the text as typed (not its digits).
    let text = format!(
        "%{}%",
        q.trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let (deals, forms, workflows) = with_pool!(db, p => {
        let deals = sqlx::query_as::<_, DealHit>(
            "SELECT id, title, pipeline_id, value_minor, currency FROM deals
             WHERE workspace_id = $1 AND lower(title) LIKE $2 ESCAPE '\\'
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(ws.0).bind(&text).bind(per_kind).fetch_all(p).await?;
        let forms = sqlx::query_as::<_, NamedHit>(
            "SELECT id, name FROM forms WHERE workspace_id = $1 AND lower(name) LIKE $2 ESCAPE '\\'
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(ws.0).bind(&text).bind(per_kind).fetch_all(p).await?;
        let workflows = sqlx::query_as::<_, NamedHit>(
            "SELECT id, name FROM workflows WHERE workspace_id = $1 AND lower(name) LIKE $2 ESCAPE '\\'
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(ws.0).bind(&text).bind(per_kind).fetch_all(p).await?;
        (deals, forms, workflows)
    });
    Ok(Results {
        contacts,
        deals,
        forms,
        workflows,
    })
}
