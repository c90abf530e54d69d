//! `GET /search?q=`: the header's search across contacts, deals, forms and
//! workflows of the current workspace.

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

/// Hits shown per kind.
const PER_KIND: i64 = 8;
/// Longer queries are cut (a search box, not a document).
const MAX_QUERY_CHARS: usize = 200;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
}

pub struct Hit {
    pub href: String,
    pub title: String,
    pub detail: String,
}

/// The hits of one kind.
pub struct Section {
    pub kind: &'static str,
    pub heading: &'static str,
    pub hits: Vec<Hit>,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
struct SearchPage {
    shell: Shell,
    q: String,
    searched: bool,
    none: String,
    /// Only kinds with hits.
    sections: Vec<Section>,
}

pub async fn search(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(query): Query<SearchQuery>,
) -> AppResult<impl IntoResponse> {
    let shell = Shell::new(&cu, Area::Dashboard).await?;
    let q: String = query.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let found = af_db::search::everything(&st.db, cu.workspace.id, &q, PER_KIND).await?;
    let country = &cu.workspace.country;
    let contacts: Vec<Hit> = found
        .contacts
        .into_iter()
        .map(|c| {
            let detail = [
                c.email.clone(),
                c.phone
                    .as_deref()
                    .map(|p| af_core::phone::display(p, country)),
                c.company.clone(),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
            let name = c.full_name();
            Hit {
                href: format!("/contacts/{}", c.id),
                title: if name.is_empty() {
                    c.email
                        .clone()
                        .or_else(|| {
                            c.phone
                                .as_deref()
                                .map(|p| af_core::phone::display(p, country))
                        })
                        .unwrap_or_default()
                } else {
                    name
                },
                detail,
            }
        })
        .collect();
    let deals: Vec<Hit> = found
        .deals
        .into_iter()
        .map(|d| Hit {
            href: format!("/pipelines/{}", d.pipeline_id),
            title: d.title,
            detail: af_core::money::format(d.value_minor, &d.currency),
        })
        .collect();
    let named = |hits: Vec<af_db::search::NamedHit>, base: &str| -> Vec<Hit> {
        hits.into_iter()
            .map(|h| Hit {
                href: format!("{base}/{}", h.id),
                title: h.name,
                detail: String::new(),
            })
            .collect()
    };
    let t = shell.t;
    let sections = [
        ("contacts", t.nav_contacts, contacts),
        ("deals", t.search_deals, deals),
        ("forms", t.nav_forms, named(found.forms, "/forms")),
        (
            "workflows",
            t.search_workflows,
            named(found.workflows, "/automations"),
        ),
    ]
    .into_iter()
    .filter(|(_, _, hits)| !hits.is_empty())
    .map(|(kind, heading, hits)| Section {
        kind,
        heading,
        hits,
    })
    .collect();
    Ok(SearchPage {
        none: t.search_none.replace("{q}", &q),
        searched: !q.is_empty(),
        sections,
        q,
        shell,
    })
}
