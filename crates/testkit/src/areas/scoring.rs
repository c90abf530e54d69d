//! Test fixtures of the scoring area: every tenant has the default rules
//! (provisioning writes them); [`seed`] notes the first rule's id, and
//! [`routes`] lists the area's routes that take an id, for the
//! cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};

/// `tenant.ids` key of the tenant's first scoring rule.
pub const RULE: &str = "scoring.rule";

pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let rules = af_db::scoring::list_rules(&app.db, t.ws.id)
        .await
        .expect("rules");
    let first = rules.first().expect("a new workspace has default rules");
    t.ids.insert(RULE, first.id.to_string());
}

pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let api = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Api,
        method,
        path,
        form,
    };
    let page = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    let rule = other.ids.get(RULE).cloned().unwrap_or_default();
    vec![
        api(
            "GET",
            format!("/api/v1/contacts/{}/activities", other.contact_id),
            vec![],
        ),
        api(
            "GET",
            format!("/api/v1/contacts/{}/score", other.contact_id),
            vec![],
        ),
        api(
            "PATCH",
            format!("/api/v1/scoring/rules/{rule}"),
            vec![("points", "99".into())],
        ),
        api("DELETE", format!("/api/v1/scoring/rules/{rule}"), vec![]),
        page(
            "POST",
            format!("/contacts/{}/activities", other.contact_id),
            vec![("type", "visit".into())],
        ),
        page("GET", format!("/contacts/scoring/rules/{rule}"), vec![]),
        page(
            "POST",
            format!("/contacts/scoring/rules/{rule}"),
            vec![
                ("name", "Hacked".into()),
                ("on_type", "visit".into()),
                ("points", "99".into()),
                ("frequency", "always".into()),
                ("group", "fit".into()),
            ],
        ),
        page(
            "POST",
            format!("/contacts/scoring/rules/{rule}/delete"),
            vec![],
        ),
    ]
}
