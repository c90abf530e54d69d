//! The builder `/automations/{id}`: the workflow's settings (name, trigger
//! and its parameters, exit goals, re-entry, active), the step tree with
//! branches nested, a step editor per type, and a JSON tab. Each change is
//! applied to the stored definition and saved as a new version; a
//! definition the engine refuses answers 422 with its reasons, the editor
//! still open with what was typed, and nothing saved.

use super::steps::{self, FormData, Kind};
use super::{
    at, automations_js, can_edit, engine_err, event_label, field_label, render, status_label,
    step_label,
};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath};
use crate::i18n::automations::AutoTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::{Role, WorkflowId};
use af_db::automations::{self as store, Workflow};
use af_engine::{EngineError, ops};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// One choice of a select (or a checkbox of a group).
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opt(value: &str, label: &str, selected: bool) -> Opt {
    Opt {
        value: value.to_string(),
        label: label.to_string(),
        selected,
    }
}

/// A form input: `text`, `area`, `int`, `bool` or `select`.
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "automations/_fields.html")]
struct FieldsFrag<'a> {
    fields: &'a [FieldView],
}

/// A row of the step tree: a step, or the header of a branch.
pub struct StepRow {
    pub id: String,
    /// Nesting level, drawn as an indent by the stylesheet (`data-depth`).
    pub depth: usize,
    /// A branch header's label (`None` for a step row).
    pub header: Option<&'static str>,
    /// For headers: where "add a step here" appends.
    pub parent: String,
    pub branch: String,
    pub label: &'static str,
    /// What the step does, as a sentence with merge fields as chips.
    pub summary: Vec<super::describe::Seg>,
    pub first: bool,
    pub last: bool,
}

/// The open step editor.
#[derive(Template)]
#[template(path = "automations/_step_form.html")]
pub struct Editor {
    pub t: &'static AutoTr,
    pub csrf: String,
    pub wf: String,
    /// Where the form posts.
    pub action: String,
    pub title: &'static str,
    pub step_type: String,
    pub parent: String,
    pub branch: String,
    pub fields_html: String,
}

/// The part of the page htmx swaps (`#builder`).
pub struct Panel {
    pub t: &'static AutoTr,
    pub csrf: String,
    pub id: WorkflowId,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub status: &'static str,
    pub version: i32,
    pub can_edit: bool,
    pub trigger_types: Vec<Opt>,
    pub trigger_fields_html: String,
    pub exit_goals: Vec<Opt>,
    pub reentry: Vec<Opt>,
    pub rows: Vec<StepRow>,
    pub step_types: Vec<Opt>,
    pub editor_html: Option<String>,
    pub errors: Vec<String>,
    pub notice: Option<String>,
    pub json: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "automations/builder.html")]
struct BuilderPage {
    shell: Shell,
    p: Panel,
    js: &'static str,
    q: String,
    contacts_html: String,
    /// Overlaps this workflow is part of (it and another active one would
    /// message one contact twice).
    overlaps: Vec<super::list::OverlapRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "automations/_builder.html")]
struct BuilderPanel {
    p: Panel,
}

/// What the selects of the editor offer: stages, templates, workflows.
struct Lookups {
    stages: Vec<(String, String)>,
    templates: Vec<(String, String)>,
    workflows: Vec<(String, String)>,
    /// The workspace's score thresholds, by name (`score_reached`).
    thresholds: Vec<(String, String)>,
    /// The retention alert types with their labels (retention triggers).
    alert_types: Vec<(String, String)>,
}

async fn lookups(st: &AppState, cu: &CurrentUser, me: WorkflowId) -> AppResult<Lookups> {
    let ws = cu.workspace.id;
    let mut stages = Vec::new();
    for p in af_db::pipelines::list_pipelines(&st.db, ws).await? {
        for s in p.stages {
            stages.push((
                s.id.to_string(),
                format!("{} › {}", p.pipeline.name, s.name),
            ));
        }
    }
    let templates = store::list_templates(&st.db, ws)
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), format!("{} ({})", t.name, t.channel)))
        .collect();
    let workflows = store::list_workflows(&st.db, ws)
        .await?
        .into_iter()
        .filter(|w| w.id != me)
        .map(|w| (w.id.to_string(), w.name))
        .collect();
    let thresholds = af_db::scoring::list_thresholds(&st.db, ws)
        .await?
        .into_iter()
        .map(|t| (t.name.clone(), t.name))
        .collect();
    let v = crate::i18n::vocab::VocabTr::get(cu.locale());
    let alert_types = af_core::vocab::AlertType::ALL
        .iter()
        .map(|a| (a.as_str().to_string(), v.alert_type_label(*a).to_string()))
        .collect();
    Ok(Lookups {
        stages,
        templates,
        workflows,
        thresholds,
        alert_types,
    })
}

/// The workflow and its current definition, or 404.
async fn load(st: &AppState, cu: &CurrentUser, id: WorkflowId) -> AppResult<(Workflow, Value)> {
    let w = store::find_workflow(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let def: Value = serde_json::from_str(&w.definition).map_err(|e| {
        AppError::Internal(anyhow::anyhow!("workflow {id}: stored definition: {e}"))
    })?;
    Ok((w, def))
}

fn json_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn select(
    name: &'static str,
    label: &'static str,
    current: &str,
    blank: Option<&str>,
    choices: impl IntoIterator<Item = (String, String)>,
) -> FieldView {
    let mut options = Vec::new();
    if let Some(b) = blank {
        options.push(opt("", b, current.is_empty()));
    }
    options.extend(choices.into_iter().map(|(v, l)| Opt {
        selected: v == current,
        value: v,
        label: l,
    }));
    FieldView {
        name,
        label,
        kind: "select",
        value: current.to_string(),
        checked: false,
        options,
    }
}

fn simple(name: &'static str, label: &'static str, kind: &'static str, value: String) -> FieldView {
    FieldView {
        name,
        label,
        kind,
        value,
        checked: false,
        options: vec![],
    }
}

/// The inputs for `spec`, filled from `obj` (a step or a trigger).
fn field_views(
    t: &'static AutoTr,
    spec: &[steps::Field],
    obj: &Value,
    lk: &Lookups,
) -> Vec<FieldView> {
    let mut out = Vec::new();
    for f in spec {
        // The custom event's name is `name` in the JSON.
        let key = if f.name == "event_name" {
            "name"
        } else {
            f.name
        };
        let v = obj.get(key);
        let label = field_label(t, f.name);
        let blank = if f.optional { Some(t.none) } else { None };
        match f.kind {
            Kind::Text | Kind::Value => out.push(simple(f.name, label, "text", json_text(v))),
            Kind::Area => out.push(simple(f.name, label, "area", json_text(v))),
            Kind::Int => out.push(simple(f.name, label, "int", json_text(v))),
            Kind::Bool => out.push(FieldView {
                checked: v.and_then(Value::as_bool).unwrap_or(false),
                ..simple(f.name, label, "bool", String::new())
            }),
            Kind::Stage => out.push(select(
                f.name,
                label,
                &json_text(v),
                blank,
                lk.stages.clone(),
            )),
            Kind::Template => out.push(select(
                f.name,
                label,
                &json_text(v),
                blank,
                lk.templates.clone(),
            )),
            Kind::Workflow => out.push(select(
                f.name,
                label,
                &json_text(v),
                blank,
                lk.workflows.clone(),
            )),
            Kind::Threshold => {
                // A name no longer among the thresholds stays selectable,
                // so saving the form does not silently drop it.
                let cur = json_text(v);
                let mut choices = lk.thresholds.clone();
                if !cur.is_empty() && !choices.iter().any(|(n, _)| *n == cur) {
                    choices.push((cur.clone(), cur.clone()));
                }
                out.push(select(f.name, label, &cur, blank, choices));
            }
            Kind::AlertType => out.push(select(
                f.name,
                label,
                &json_text(v),
                blank,
                lk.alert_types.clone(),
            )),
            Kind::Zone => {
                let cur = v.and_then(Value::as_str).unwrap_or("contact");
                out.push(select(
                    f.name,
                    label,
                    cur,
                    None,
                    [
                        ("contact".to_string(), t.zone_contact.to_string()),
                        ("workspace".to_string(), t.zone_workspace.to_string()),
                    ],
                ));
            }
            Kind::Event => {
                let (cur, custom) = match v {
                    Some(Value::String(s)) => (s.clone(), String::new()),
                    Some(o) => (
                        json_text(o.get("type")),
                        if o.get("type").and_then(Value::as_str) == Some("custom_event") {
                            json_text(o.get("name"))
                        } else {
                            String::new()
                        },
                    ),
                    None => ("appointment_booked".into(), String::new()),
                };
                let choices = steps::SIMPLE_EVENTS
                    .iter()
                    .chain(["custom_event"].iter())
                    .map(|e| (e.to_string(), event_label(t, e).to_string()));
                out.push(select("event", label, &cur, None, choices));
                out.push(simple("event_custom", t.f_event_custom, "text", custom));
            }
            Kind::Condition => {
                let c = v.cloned().unwrap_or(json!({"type": "field"}));
                let ty = json_text(c.get("type"));
                let (cty, field, op, value) = match ty.as_str() {
                    "field" => (
                        "field",
                        json_text(c.get("field")),
                        json_text(c.get("op")),
                        json_text(c.get("value")),
                    ),
                    "has_tag" => (
                        "has_tag",
                        String::new(),
                        String::new(),
                        json_text(c.get("tag")),
                    ),
                    "score" => (
                        "score",
                        String::new(),
                        json_text(c.get("op")),
                        json_text(c.get("value")),
                    ),
                    "outcome" => (
                        "outcome",
                        String::new(),
                        String::new(),
                        c.get("in")
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default(),
                    ),
                    _ => ("json", String::new(), String::new(), String::new()),
                };
                let types = [
                    ("field", t.cond_field),
                    ("has_tag", t.cond_has_tag),
                    ("score", t.cond_score),
                    ("outcome", t.cond_outcome),
                    ("json", t.cond_json),
                ]
                .map(|(a, b)| (a.to_string(), b.to_string()));
                out.push(select("cond_type", t.f_cond_type, cty, None, types));
                out.push(simple("cond_field", t.f_cond_field, "text", field));
                let ops = [
                    "eq",
                    "ne",
                    "contains",
                    "empty",
                    "not_empty",
                    "gt",
                    "gte",
                    "lt",
                    "lte",
                ]
                .map(|o| (o.to_string(), o.to_string()));
                let op = if op.is_empty() { "eq".to_string() } else { op };
                out.push(select("cond_op", t.f_cond_op, &op, None, ops));
                out.push(simple("cond_value", t.f_cond_value, "text", value));
                let pretty = serde_json::to_string_pretty(&c).unwrap_or_default();
                out.push(simple("cond_json", t.f_cond_json, "area", pretty));
            }
        }
    }
    out
}

fn fields_html(fields: &[FieldView]) -> AppResult<String> {
    render(&FieldsFrag { fields })
}

/// A new step of `ty` with the defaults its form starts from.
fn default_step(ty: &str) -> Value {
    match ty {
        "voice_call" => json!({"timeout_minutes": 30}),
        "send_whatsapp" => json!({"fallback_sms": true}),
        "wait" => json!({"days": 1}),
        "wait_for_event" => json!({"event": "appointment_booked", "timeout_days": 1}),
        _ => json!({}),
    }
}

/// The editor for a step (new when `step_id` is empty).
#[expect(clippy::too_many_arguments, reason = "the editor's parts, all needed")]
fn editor(
    t: &'static AutoTr,
    csrf: &str,
    wf: WorkflowId,
    step_id: &str,
    step_type: &str,
    parent: &str,
    branch: &str,
    step: &Value,
    lk: &Lookups,
) -> AppResult<Editor> {
    let spec = steps::fields(step_type).ok_or(AppError::NotFound)?;
    let action = if step_id.is_empty() {
        format!("/automations/{wf}/steps")
    } else {
        format!("/automations/{wf}/steps/{step_id}")
    };
    Ok(Editor {
        t,
        csrf: csrf.to_string(),
        wf: wf.to_string(),
        action,
        title: step_label(t, step_type),
        step_type: step_type.to_string(),
        parent: parent.to_string(),
        branch: branch.to_string(),
        fields_html: fields_html(&field_views(t, spec, step, lk))?,
    })
}

fn tree_rows(
    t: &'static AutoTr,
    names: &super::describe::Names,
    steps: &[Value],
    depth: usize,
    out: &mut Vec<StepRow>,
) {
    let n = steps.len();
    for (i, s) in steps.iter().enumerate() {
        let id = json_text(s.get("id"));
        let ty = json_text(s.get("type"));
        out.push(StepRow {
            id: id.clone(),
            depth,
            header: None,
            parent: String::new(),
            branch: String::new(),
            label: step_label(t, &ty),
            summary: super::describe::step(t, names, s),
            first: i == 0,
            last: i + 1 == n,
        });
        let branches: &[(&str, &'static str)] = match ty.as_str() {
            "if_else" => &[("then", t.branch_then), ("else", t.branch_else)],
            "wait_for_event" => &[
                ("on_event", t.branch_on_event),
                ("on_timeout", t.branch_on_timeout),
            ],
            _ => &[],
        };
        for (key, label) in branches {
            out.push(StepRow {
                id: format!("{id}-{key}"),
                depth: depth + 1,
                header: Some(label),
                parent: id.clone(),
                branch: key.to_string(),
                label: "",
                summary: Vec::new(),
                first: false,
                last: false,
            });
            if let Some(b) = s.get(*key).and_then(Value::as_array) {
                tree_rows(t, names, b, depth + 2, out);
            }
        }
    }
}

/// Everything the builder panel shows, from the stored definition.
async fn panel(
    st: &AppState,
    cu: &CurrentUser,
    w: &Workflow,
    def: &Value,
    editor_html: Option<String>,
    errors: Vec<String>,
    notice: Option<String>,
) -> AppResult<Panel> {
    let t = at(cu);
    let lk = lookups(st, cu, w.id).await?;
    let trigger = def.get("trigger").cloned().unwrap_or(json!({}));
    let ttype = json_text(trigger.get("type"));
    let trigger_types = steps::TRIGGER_TYPES
        .iter()
        .map(|ty| opt(ty, event_label(t, ty), *ty == ttype))
        .collect();
    let tf = field_views(t, steps::trigger_fields(&ttype), &trigger, &lk);
    let exits: Vec<&str> = def
        .get("exit_on")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let exit_goals = steps::SIMPLE_EVENTS
        .iter()
        .map(|e| opt(e, event_label(t, e), exits.contains(e)))
        .collect();
    let re = def
        .get("reentry")
        .and_then(Value::as_str)
        .unwrap_or("never");
    let reentry = [
        ("never", t.reentry_never),
        ("after_exit", t.reentry_after_exit),
        ("always", t.reentry_always),
    ]
    .iter()
    .map(|(v, l)| opt(v, l, *v == re))
    .collect();
    let mut rows = Vec::new();
    if let Some(s) = def.get("steps").and_then(Value::as_array) {
        let names = super::describe::Names {
            stages: &lk.stages,
            templates: &lk.templates,
            workflows: &lk.workflows,
        };
        tree_rows(t, &names, s, 0, &mut rows);
    }
    let step_types = steps::STEP_TYPES
        .iter()
        .map(|ty| opt(ty, step_label(t, ty), false))
        .collect();
    Ok(Panel {
        t,
        csrf: crate::auth::csrf_token(&cu.session).await?,
        id: w.id,
        name: w.name.clone(),
        description: json_text(def.get("description")),
        active: w.status == "active",
        status: status_label(t, &w.status),
        version: w.current_version,
        can_edit: can_edit(cu),
        trigger_types,
        trigger_fields_html: fields_html(&tf)?,
        exit_goals,
        reentry,
        rows,
        step_types,
        editor_html,
        errors,
        notice,
        json: serde_json::to_string_pretty(def).unwrap_or_default(),
    })
}

async fn page(st: &AppState, cu: &CurrentUser, p: Panel, q: &str) -> AppResult<BuilderPage> {
    let contacts_html = if q.trim().is_empty() {
        String::new()
    } else {
        super::runs::contact_options(st, cu, q).await?
    };
    let all = store::list_workflows(&st.db, cu.workspace.id).await?;
    let overlaps = super::list::overlap_rows(p.t, &all)
        .into_iter()
        .filter(|o| o.ids.contains(&p.id))
        .collect();
    Ok(BuilderPage {
        shell: Shell::new(cu, Area::Automations).await?,
        overlaps,
        p,
        js: automations_js(),
        q: q.to_string(),
        contacts_html,
    })
}

#[derive(Deserialize, Default)]
pub struct BuilderQuery {
    #[serde(default)]
    q: String,
}

/// GET /automations/{id}
pub async fn show_builder(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<WorkflowId>,
    Query(bq): Query<BuilderQuery>,
) -> AppResult<Response> {
    let (w, def) = load(&st, &cu, id).await?;
    let p = panel(&st, &cu, &w, &def, None, vec![], None).await?;
    Ok(page(&st, &cu, p, &bq.q).await?.into_response())
}

/// Saves `def` as the next version and answers: the refreshed panel (htmx)
/// or a redirect to the builder. When the engine refuses it, 422 with the
/// reasons and `editor` (what the user typed) still open.
async fn save_and_respond(
    st: &AppState,
    cu: &CurrentUser,
    headers: &HeaderMap,
    w: &Workflow,
    stored: &Value,
    def: Result<Value, Vec<String>>,
    editor: Option<Editor>,
) -> AppResult<Response> {
    let t = at(cu);
    let result = match def {
        Ok(def) => {
            ops::save_workflow(
                &st.db,
                cu.workspace.id,
                Some(w.id),
                &def,
                None,
                st.config.channels.ssrf(),
                st.now(),
            )
            .await
        }
        Err(errors) => Err(EngineError::Invalid(errors)),
    };
    match result {
        Ok(saved) => {
            let notice = format!("{} {}", t.saved, saved.version);
            if HxRequest::from_headers(headers).0 {
                let (w, def) = load(st, cu, w.id).await?;
                let p = panel(st, cu, &w, &def, None, vec![], Some(notice)).await?;
                return Ok(BuilderPanel { p }.into_response());
            }
            set_flash(&cu.session, true, &notice).await?;
            Ok(Redirect::to(&format!("/automations/{}", w.id)).into_response())
        }
        Err(EngineError::Invalid(errors)) => {
            let editor_html = editor.map(|e| render(&e)).transpose()?;
            let p = panel(st, cu, w, stored, editor_html, errors, None).await?;
            let body = if HxRequest::from_headers(headers).0 {
                BuilderPanel { p }.into_response()
            } else {
                page(st, cu, p, "").await?.into_response()
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(engine_err(e)),
    }
}

/// POST /automations/{id}/settings
pub async fn save_settings(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath(id): IdPath<WorkflowId>,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let (w, stored) = load(&st, &cu, id).await?;
    let form = FormData(form);
    let mut def = stored.clone();
    let result = steps::trigger_from_form(def.get("trigger"), &form).map(|trigger| {
        def["name"] = Value::String(form.text("name"));
        let desc = form.text("description");
        if let Some(o) = def.as_object_mut() {
            if desc.is_empty() {
                o.remove("description");
            } else {
                o.insert("description".into(), Value::String(desc));
            }
        }
        def["trigger"] = trigger;
        // Checkboxes for the simple goals; goals with parameters (set in
        // the JSON tab) are kept.
        let mut exits: Vec<Value> = def
            .get("exit_on")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter(|e| !e.is_string()).cloned().collect())
            .unwrap_or_default();
        for e in form.all("exit_on") {
            exits.push(Value::String(e.to_string()));
        }
        def["exit_on"] = Value::Array(exits);
        let reentry = form.text("reentry");
        if !reentry.is_empty() {
            def["reentry"] = Value::String(reentry);
        }
        def["active"] = Value::Bool(form.checked("active"));
        def
    });
    save_and_respond(&st, &cu, &headers, &w, &stored, result, None).await
}

#[derive(Deserialize)]
pub struct TriggerQuery {
    #[serde(default)]
    trigger_type: String,
}

/// GET /automations/{id}/trigger-fields?trigger_type=: the parameters of a
/// trigger type (htmx swaps them in when the type changes).
pub async fn trigger_fields(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<WorkflowId>,
    Query(q): Query<TriggerQuery>,
) -> AppResult<Response> {
    let (w, def) = load(&st, &cu, id).await?;
    let t = at(&cu);
    let lk = lookups(&st, &cu, w.id).await?;
    let trigger = def.get("trigger").cloned().unwrap_or(json!({}));
    let same = trigger.get("type").and_then(Value::as_str) == Some(q.trigger_type.as_str());
    let source = if same { trigger } else { json!({}) };
    let fv = field_views(t, steps::trigger_fields(&q.trigger_type), &source, &lk);
    Ok(Html(fields_html(&fv)?).into_response())
}

#[derive(Deserialize)]
pub struct JsonForm {
    #[serde(default)]
    definition: String,
}

/// POST /automations/{id}/json: the raw definition.
pub async fn save_json(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath(id): IdPath<WorkflowId>,
    Form(f): Form<JsonForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = at(&cu);
    let (w, stored) = load(&st, &cu, id).await?;
    let def = serde_json::from_str::<Value>(&f.definition)
        .map_err(|e| vec![format!("{} {e}", t.json_invalid)]);
    save_and_respond(&st, &cu, &headers, &w, &stored, def, None).await
}

#[derive(Deserialize)]
pub struct NewStepQuery {
    #[serde(default)]
    step_type: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    branch: String,
}

/// GET /automations/{id}/steps/new?step_type=&parent=&branch=: the editor
/// for a new step (a fragment for htmx, else the builder with it open).
pub async fn new_step_form(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath(id): IdPath<WorkflowId>,
    Query(q): Query<NewStepQuery>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let (w, def) = load(&st, &cu, id).await?;
    let t = at(&cu);
    let lk = lookups(&st, &cu, w.id).await?;
    let csrf = crate::auth::csrf_token(&cu.session).await?;
    let ed = editor(
        t,
        &csrf,
        w.id,
        "",
        &q.step_type,
        &q.parent,
        &q.branch,
        &default_step(&q.step_type),
        &lk,
    )?;
    editor_response(&st, &cu, &headers, &w, &def, ed).await
}

async fn editor_response(
    st: &AppState,
    cu: &CurrentUser,
    headers: &HeaderMap,
    w: &Workflow,
    def: &Value,
    ed: Editor,
) -> AppResult<Response> {
    let html = render(&ed)?;
    if HxRequest::from_headers(headers).0 {
        return Ok(Html(html).into_response());
    }
    let p = panel(st, cu, w, def, Some(html), vec![], None).await?;
    Ok(page(st, cu, p, "").await?.into_response())
}

/// GET /automations/{id}/steps/{step}/edit
pub async fn edit_step_form(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath((id, step)): IdPath<(WorkflowId, String)>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let (w, def) = load(&st, &cu, id).await?;
    let s = steps::find_step(&def, &step)
        .ok_or(AppError::NotFound)?
        .clone();
    let ty = json_text(s.get("type"));
    let lk = lookups(&st, &cu, w.id).await?;
    let csrf = crate::auth::csrf_token(&cu.session).await?;
    let ed = editor(at(&cu), &csrf, w.id, &step, &ty, "", "", &s, &lk)?;
    editor_response(&st, &cu, &headers, &w, &def, ed).await
}

/// POST /automations/{id}/steps: adds a step (`step_type`, and `parent` +
/// `branch` for a branch) with its fields.
pub async fn add_step(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath(id): IdPath<WorkflowId>,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let (w, stored) = load(&st, &cu, id).await?;
    let form = FormData(form);
    let ty = form.text("step_type");
    let parent = form.text("parent");
    let branch = form.text("branch");
    let t = at(&cu);
    let built = steps::step_from_form(&ty, None, &form);
    let lk = lookups(&st, &cu, w.id).await?;
    let csrf = crate::auth::csrf_token(&cu.session).await?;
    let typed = built.clone().unwrap_or_else(|_| default_step(&ty));
    let ed = editor(t, &csrf, w.id, "", &ty, &parent, &branch, &typed, &lk)?;
    let def = built.and_then(|step| {
        let mut def = stored.clone();
        if steps::insert_step(&mut def, &parent, &branch, step) {
            Ok(def)
        } else {
            Err(vec![format!("step {parent}: no branch \"{branch}\"")])
        }
    });
    save_and_respond(&st, &cu, &headers, &w, &stored, def, Some(ed)).await
}

/// POST /automations/{id}/steps/{step}: saves a step's fields.
pub async fn update_step(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath((id, step)): IdPath<(WorkflowId, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let (w, stored) = load(&st, &cu, id).await?;
    let existing = steps::find_step(&stored, &step)
        .ok_or(AppError::NotFound)?
        .clone();
    let ty = json_text(existing.get("type"));
    let form = FormData(form);
    let built = steps::step_from_form(&ty, Some(&existing), &form);
    let lk = lookups(&st, &cu, w.id).await?;
    let csrf = crate::auth::csrf_token(&cu.session).await?;
    let typed = built.clone().unwrap_or_else(|_| existing.clone());
    let ed = editor(at(&cu), &csrf, w.id, &step, &ty, "", "", &typed, &lk)?;
    let def = built.map(|s| {
        let mut def = stored.clone();
        steps::replace_step(&mut def, &step, s);
        def
    });
    save_and_respond(&st, &cu, &headers, &w, &stored, def, Some(ed)).await
}

/// POST /automations/{id}/steps/{step}/delete
pub async fn delete_step(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath((id, step)): IdPath<(WorkflowId, String)>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let (w, stored) = load(&st, &cu, id).await?;
    let mut def = stored.clone();
    if !steps::delete_step(&mut def, &step) {
        return Err(AppError::NotFound);
    }
    save_and_respond(&st, &cu, &headers, &w, &stored, Ok(def), None).await
}

#[derive(Deserialize)]
pub struct MoveForm {
    dir: String,
}

/// POST /automations/{id}/steps/{step}/move (`dir=up|down`)
pub async fn move_step(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath((id, step)): IdPath<(WorkflowId, String)>,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let (w, stored) = load(&st, &cu, id).await?;
    if steps::find_step(&stored, &step).is_none() {
        return Err(AppError::NotFound);
    }
    let mut def = stored.clone();
    if !steps::move_step(&mut def, &step, f.dir == "up") {
        // Already at that end: nothing to save.
        let p = panel(&st, &cu, &w, &stored, None, vec![], None).await?;
        return Ok(if HxRequest::from_headers(&headers).0 {
            BuilderPanel { p }.into_response()
        } else {
            Redirect::to(&format!("/automations/{}", w.id)).into_response()
        });
    }
    save_and_respond(&st, &cu, &headers, &w, &stored, Ok(def), None).await
}

/// POST /automations/{id}/steps/reorder: `parent`, `branch` and the list's
/// step ids in their new order (`order`, repeated).
pub async fn reorder_steps(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    IdPath(id): IdPath<WorkflowId>,
    Form(form): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let (w, stored) = load(&st, &cu, id).await?;
    let form = FormData(form);
    let mut def = stored.clone();
    let order = form.all("order");
    let def = if steps::reorder(&mut def, &form.text("parent"), &form.text("branch"), &order) {
        Ok(def)
    } else {
        Err(vec!["order: not the steps of that list".to_string()])
    };
    save_and_respond(&st, &cu, &headers, &w, &stored, def, None).await
}
