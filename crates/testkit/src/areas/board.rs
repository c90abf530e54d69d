//! Test fixtures of the board area: what [`seed`] adds to every tenant, and
//! the area's routes that take an id, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// Adds this area's records to a tenant (ids go into `tenant.ids`): the id
/// of the default pipeline's second stage (`board.stage2`), a target for
/// moves.
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let pipeline = af_db::pipelines::find_pipeline(&app.db, t.ws.id, t.pipeline_id)
        .await
        .expect("pipeline")
        .expect("the tenant's pipeline exists");
    if let Some(s) = pipeline.stages.get(1) {
        t.ids.insert("board.stage2", s.id.to_string());
    }
}

/// This area's routes that take an id, filled with `other`'s ids. Each must
/// answer 404 to a signed-in owner of another workspace.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let p = other.pipeline_id;
    let s = other.stage_id;
    let d = other.deal_id;
    let page = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    vec![
        page("GET", format!("/pipelines/{p}"), vec![]),
        page("GET", format!("/pipelines/{p}/summary"), vec![]),
        page("GET", format!("/pipelines/{p}/events"), vec![]),
        page("GET", format!("/pipelines/{p}/stages/{s}/cards"), vec![]),
        page("GET", format!("/pipelines/{p}/contact-search?q=a"), vec![]),
        page(
            "POST",
            format!("/pipelines/{p}/deals"),
            vec![("title", "Intruso".into()), ("first_name", "X".into())],
        ),
        page("GET", format!("/pipelines/{p}/settings"), vec![]),
        page(
            "POST",
            format!("/pipelines/{p}/rename"),
            vec![("name", "Hacked".into())],
        ),
        page(
            "POST",
            format!("/pipelines/{p}/booked"),
            vec![("stage_id", s.to_string())],
        ),
        page(
            "POST",
            format!("/pipelines/{p}/stages"),
            vec![("name", "Hacked".into()), ("kind", "open".into())],
        ),
        page(
            "POST",
            format!("/pipelines/{p}/stages/{s}"),
            vec![("name", "Hacked".into()), ("kind", "open".into())],
        ),
        page(
            "POST",
            format!("/pipelines/{p}/stages/{s}/reorder"),
            vec![("direction", "down".into())],
        ),
        page("POST", format!("/pipelines/{p}/stages/{s}/delete"), vec![]),
        page("GET", format!("/deals/{d}/card"), vec![]),
        page(
            "POST",
            format!("/deals/{d}/move"),
            vec![("stage_id", s.to_string())],
        ),
        page("GET", format!("/deals/{d}/panel"), vec![]),
        page(
            "POST",
            format!("/deals/{d}/stage"),
            vec![("stage_id", s.to_string())],
        ),
        page(
            "POST",
            format!("/deals/{d}/owner"),
            vec![("owner_id", String::new())],
        ),
        page("POST", format!("/deals/{d}/won"), vec![]),
        page(
            "POST",
            format!("/deals/{d}/lost"),
            vec![("reason", "Intruso".into())],
        ),
    ]
}
