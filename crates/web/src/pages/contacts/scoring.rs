//! Contactos → Puntuación (issue 17): the scoring rules (on type and
//! filter, points, frequency, group) with create / edit / delete, the caps
//! and floor, the thresholds; and its "Panel" tab: the top 50 leads, the
//! distribution of scores as a server-rendered SVG chart, and who crossed
//! a threshold this week. Everyone reads; owners and admins change. Every
//! change goes through `af_service::scoring`, the JSON API's path.

use super::{contacts_js, member_name_by_id};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::scoring::ScoringTr;
use crate::pages::fmt_when;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::scoring::{BUILT_IN_TYPES, Frequency, INACTIVITY, Limits, RawOn, RawRule};
use af_core::{Role, ScoringRuleId};
use af_db::scoring::{self as store, Rule};
use af_db::workspaces;
use af_service::scoring::{self as service, RawThreshold, ScoringError};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

type Errors = HashMap<&'static str, &'static str>;

fn st_of(cu: &CurrentUser) -> &'static ScoringTr {
    ScoringTr::get(cu.locale())
}

// ------------------------------------------------------------------ rules

/// A rule as the form posts it (and as the edit form is filled).
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct RuleForm {
    name: String,
    /// A built-in type, `inactivity`, or `custom` (then `custom_type`).
    on_type: String,
    custom_type: String,
    /// One condition per line: `key = value`, `key >= n`, `key <= n`.
    filter: String,
    points: String,
    /// `always`, `once` or `every_days` (then `days`).
    frequency: String,
    days: String,
    group: String,
    /// A checkbox: `on` when ticked.
    active: String,
}

impl RuleForm {
    fn blank() -> Self {
        RuleForm {
            on_type: "visit".into(),
            frequency: "always".into(),
            group: "engagement".into(),
            active: "on".into(),
            ..Default::default()
        }
    }

    fn of(r: &Rule) -> Self {
        let builtin = BUILT_IN_TYPES.contains(&r.on_type.as_str()) || r.on_type == INACTIVITY;
        let (frequency, days) = match r.frequency() {
            Frequency::Always => ("always", String::new()),
            Frequency::Once => ("once", String::new()),
            Frequency::EveryDays(n) => ("every_days", n.to_string()),
        };
        RuleForm {
            name: r.name.clone(),
            on_type: if builtin {
                r.on_type.clone()
            } else {
                "custom".into()
            },
            custom_type: if builtin {
                String::new()
            } else {
                r.on_type.clone()
            },
            filter: filter_text(&r.filter_map()),
            points: r.points.to_string(),
            frequency: frequency.into(),
            days,
            group: r.grp.clone(),
            active: if r.active { "on".into() } else { String::new() },
        }
    }

    fn is_active(&self) -> bool {
        matches!(self.active.as_str(), "on" | "true" | "1")
    }
}

/// A filter as the form's lines (`amount >= 50000`).
fn filter_text(f: &Map<String, Value>) -> String {
    let mut lines = Vec::new();
    for (k, v) in f {
        match v {
            Value::Object(ops) => {
                for (op, n) in ops {
                    let sign = if op == "gte" { ">=" } else { "<=" };
                    lines.push(format!("{k} {sign} {n}"));
                }
            }
            Value::String(s) => lines.push(format!("{k} = {s}")),
            other => lines.push(format!("{k} = {other}")),
        }
    }
    lines.join("\n")
}

/// Reads the form's filter lines; `None` when a line is not a condition.
fn parse_filter(text: &str) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (key, op, value) = if let Some((k, v)) = line.split_once(">=") {
            (k, Some("gte"), v)
        } else if let Some((k, v)) = line.split_once("<=") {
            (k, Some("lte"), v)
        } else {
            let (k, v) = line.split_once('=')?;
            (k, None, v)
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || key.len() > 64 || value.is_empty() {
            return None;
        }
        match op {
            None => {
                out.insert(key.into(), Value::String(value.into()));
            }
            Some(op) => {
                let n: Value = match value.parse::<i64>() {
                    Ok(i) => i.into(),
                    Err(_) => serde_json::Number::from_f64(value.parse::<f64>().ok()?)?.into(),
                };
                let entry = out.entry(key).or_insert_with(|| json!({}));
                entry.as_object_mut()?.insert(op.into(), n);
            }
        }
    }
    Some(out)
}

/// The rule the form describes (checked whole by `af_core::scoring`), or
/// the form's own errors.
fn raw_rule(t: &'static ScoringTr, f: &RuleForm) -> Result<RawRule, Errors> {
    let mut errors = Errors::new();
    let on_type = match f.on_type.trim() {
        "custom" => f.custom_type.trim().to_string(),
        other => other.to_string(),
    };
    let filter = parse_filter(&f.filter).unwrap_or_else(|| {
        errors.insert("filter", t.err_filter);
        Map::new()
    });
    let points = match f.points.trim().parse::<i64>() {
        Ok(p) => Value::from(p),
        Err(_) => {
            errors.insert("points", t.err_points);
            Value::Null
        }
    };
    let frequency = match f.frequency.as_str() {
        "always" => json!("always"),
        "once" => json!("once"),
        "every_days" => match f.days.trim().parse::<i64>() {
            Ok(n) => json!({ "every_days": n }),
            Err(_) => {
                errors.insert("frequency", t.err_frequency);
                json!("always")
            }
        },
        _ => {
            errors.insert("frequency", t.err_frequency);
            json!("always")
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(RawRule {
        name: Some(f.name.clone()),
        on: Some(RawOn {
            kind: Some(on_type),
            filter: Some(Value::Object(filter)),
        }),
        points: Some(points),
        frequency: Some(frequency),
        group: Some(f.group.clone()),
        active: Some(f.is_active()),
    })
}

/// The page's words for the service's field errors.
fn rule_errors(t: &'static ScoringTr, fields: &[(String, String)]) -> Errors {
    fields
        .iter()
        .map(|(f, _)| match f.as_str() {
            "name" => ("name", t.err_name),
            "on.type" => ("on_type", t.err_on_type),
            "on.filter" => ("filter", t.err_filter),
            "points" => ("points", t.err_points),
            "group" => ("group", t.err_group),
            _ => ("frequency", t.err_frequency),
        })
        .collect()
}

pub struct RuleView {
    pub id: String,
    pub name: String,
    pub on: String,
    pub filter: String,
    pub points: String,
    /// Tailwind classes of the points (gain / loss).
    pub tone: &'static str,
    pub frequency: String,
    pub group: &'static str,
    pub active: bool,
}

fn frequency_text(t: &ScoringTr, f: Frequency) -> String {
    match f {
        Frequency::Always => t.freq_always.to_string(),
        Frequency::Once => t.freq_once.to_string(),
        Frequency::EveryDays(n) => t.freq_every.replace("{n}", &n.to_string()),
    }
}

fn group_label(t: &ScoringTr, g: &str) -> &'static str {
    if g == "fit" { t.fit } else { t.engagement }
}

fn rule_view(t: &ScoringTr, r: &Rule) -> RuleView {
    let filter = filter_text(&r.filter_map()).replace('\n', "; ");
    RuleView {
        id: r.id.to_string(),
        name: r.name.clone(),
        on: t.type_text(&r.on_type),
        filter: if filter.is_empty() {
            t.no_filter.to_string()
        } else {
            filter
        },
        points: if r.points > 0 {
            format!("+{}", r.points)
        } else {
            r.points.to_string()
        },
        tone: if r.points > 0 {
            "text-green-800"
        } else {
            "text-red-800"
        },
        frequency: frequency_text(t, r.frequency()),
        group: group_label(t, &r.grp),
        active: r.active,
    }
}

// ----------------------------------------------------------- limits form

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct LimitsForm {
    fit_cap: String,
    engagement_cap: String,
    total_cap: String,
    floor: String,
}

impl LimitsForm {
    fn of(l: &Limits) -> Self {
        let cap = |c: Option<i64>| c.map(|c| c.to_string()).unwrap_or_default();
        LimitsForm {
            fit_cap: cap(l.fit_cap),
            engagement_cap: cap(l.engagement_cap),
            total_cap: cap(l.total_cap),
            floor: l.floor.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct ThresholdForm {
    name: String,
    enter: String,
    exit: String,
}

pub struct ThresholdView {
    pub name: String,
    pub enter: i32,
    pub exit: i32,
}

// ------------------------------------------------------------- the page

#[derive(Template, WebTemplate)]
#[template(path = "contacts/scoring.html")]
struct RulesPage {
    shell: Shell,
    st: &'static ScoringTr,
    js: &'static str,
    can_edit: bool,
    rules: Vec<RuleView>,
    /// `(value, label)` of the types a rule can be on.
    types: Vec<(&'static str, &'static str)>,
    /// The rule being edited (its id), else the form adds one.
    editing: Option<String>,
    form: RuleForm,
    errors: Errors,
    limits: LimitsForm,
    limit_errors: Errors,
    thresholds: Vec<ThresholdView>,
    th_form: ThresholdForm,
    th_errors: Errors,
    /// "Recalcular" and the latest run's progress (rendered HTML).
    recalc: String,
}

impl RulesPage {
    async fn load(st: &AppState, cu: &CurrentUser) -> AppResult<RulesPage> {
        let t = st_of(cu);
        let ws = cu.workspace.id;
        let rules = service::list_rules(&st.db, ws).await?;
        let limits = service::limits(&st.db, ws).await?;
        let thresholds = service::list_thresholds(&st.db, ws).await?;
        Ok(RulesPage {
            shell: Shell::new(cu, Area::Contacts).await?,
            st: t,
            js: contacts_js(),
            can_edit: cu.role.can_manage(),
            rules: rules.iter().map(|r| rule_view(t, r)).collect(),
            types: BUILT_IN_TYPES
                .iter()
                .chain([INACTIVITY].iter())
                .filter_map(|ty| t.type_label(ty).map(|l| (*ty, l)))
                .collect(),
            editing: None,
            form: RuleForm::blank(),
            errors: Errors::new(),
            limits: LimitsForm::of(&limits),
            limit_errors: Errors::new(),
            thresholds: thresholds
                .into_iter()
                .map(|th| ThresholdView {
                    name: th.name,
                    enter: th.enter_score,
                    exit: th.exit_score,
                })
                .collect(),
            th_form: ThresholdForm::default(),
            th_errors: Errors::new(),
            recalc: super::recalculation::RecalcCard::html(st, cu).await?,
        })
    }

    fn refused(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}

/// `GET /contacts/scoring`.
pub async fn rules_page(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    Ok(RulesPage::load(&st, &cu).await?.into_response())
}

/// `GET /contacts/scoring/rules/{id}`: the page with the rule's edit form.
pub async fn edit_rule_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<ScoringRuleId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let rule = store::find_rule(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = RulesPage::load(&st, &cu).await?;
    page.editing = Some(rule.id.to_string());
    page.form = RuleForm::of(&rule);
    Ok(page.into_response())
}

/// `POST /contacts/scoring/rules`.
pub async fn create_rule(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<RuleForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = st_of(&cu);
    let errors = match raw_rule(t, &f) {
        Err(e) => e,
        Ok(raw) => match service::create_rule(&st.db, cu.workspace.id, &raw, st.now()).await {
            Ok(_) => {
                set_flash(&cu.session, true, t.rule_created).await?;
                return Ok(Redirect::to("/contacts/scoring").into_response());
            }
            Err(ScoringError::Invalid(fields)) => rule_errors(t, &fields),
            Err(e) => return Err(e.into()),
        },
    };
    let mut page = RulesPage::load(&st, &cu).await?;
    page.form = f;
    page.errors = errors;
    Ok(page.refused())
}

/// `POST /contacts/scoring/rules/{id}`: replaces the rule (applies forward).
pub async fn update_rule(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<ScoringRuleId>,
    Form(f): Form<RuleForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = st_of(&cu);
    let ws = cu.workspace.id;
    store::find_rule(&st.db, ws, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let errors = match raw_rule(t, &f) {
        Err(e) => e,
        Ok(raw) => {
            let patch = json!({
                "name": raw.name, "on": {"type": raw.on.as_ref().and_then(|o| o.kind.clone()),
                "filter": raw.on.as_ref().and_then(|o| o.filter.clone())},
                "points": raw.points, "frequency": raw.frequency, "group": raw.group,
                "active": raw.active,
            });
            let patch = patch.as_object().cloned().unwrap_or_default();
            match service::update_rule(&st.db, ws, id, &patch, st.now()).await {
                Ok(_) => {
                    set_flash(&cu.session, true, t.rule_saved).await?;
                    return Ok(Redirect::to("/contacts/scoring").into_response());
                }
                Err(ScoringError::Invalid(fields)) => rule_errors(t, &fields),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let mut page = RulesPage::load(&st, &cu).await?;
    page.editing = Some(id.to_string());
    page.form = f;
    page.errors = errors;
    Ok(page.refused())
}

/// `POST /contacts/scoring/rules/{id}/delete`.
pub async fn delete_rule(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<ScoringRuleId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    service::delete_rule(&st.db, cu.workspace.id, id).await?;
    set_flash(&cu.session, true, st_of(&cu).rule_removed).await?;
    Ok(Redirect::to("/contacts/scoring").into_response())
}

/// `POST /contacts/scoring/limits`: the caps and the floor.
pub async fn save_limits(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<LimitsForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = st_of(&cu);
    let mut errors = Errors::new();
    let mut cap = |field: &'static str, raw: &str| match raw.trim() {
        "" => None,
        v => v.parse::<i64>().ok().or_else(|| {
            errors.insert(field, t.err_cap);
            None
        }),
    };
    let limits = Limits {
        fit_cap: cap("fit_cap", &f.fit_cap),
        engagement_cap: cap("engagement_cap", &f.engagement_cap),
        total_cap: cap("total_cap", &f.total_cap),
        floor: match f.floor.trim() {
            "" => 0,
            v => v.parse::<i64>().unwrap_or_else(|_| {
                errors.insert("floor", t.err_floor);
                0
            }),
        },
    };
    if errors.is_empty() {
        match service::set_limits(&st.db, cu.workspace.id, &limits, st.now()).await {
            Ok(()) => {
                set_flash(&cu.session, true, t.limits_saved).await?;
                return Ok(Redirect::to("/contacts/scoring#limits-h").into_response());
            }
            Err(ScoringError::Invalid(fields)) => {
                for (field, _) in fields {
                    match field.as_str() {
                        "fit_cap" => errors.insert("fit_cap", t.err_cap),
                        "engagement_cap" => errors.insert("engagement_cap", t.err_cap),
                        "total_cap" => errors.insert("total_cap", t.err_cap),
                        _ => errors.insert("floor", t.err_floor),
                    };
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut page = RulesPage::load(&st, &cu).await?;
    page.limits = f;
    page.limit_errors = errors;
    Ok(page.refused())
}

/// `POST /contacts/scoring/thresholds`: a new threshold (a job enters the
/// contacts already above it).
pub async fn create_threshold(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<ThresholdForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = st_of(&cu);
    let mut errors = Errors::new();
    let mut num = |field: &'static str, msg: &'static str, raw: &str| {
        raw.trim().parse::<i64>().ok().or_else(|| {
            errors.insert(field, msg);
            None
        })
    };
    let raw = RawThreshold {
        name: Some(f.name.clone()),
        enter: num("enter", t.err_th_enter, &f.enter),
        exit: num("exit", t.err_th_exit, &f.exit),
    };
    if errors.is_empty() {
        match service::create_threshold(&st.db, cu.workspace.id, &raw, st.now()).await {
            Ok(_) => {
                set_flash(&cu.session, true, t.threshold_created).await?;
                return Ok(Redirect::to("/contacts/scoring#thresholds-h").into_response());
            }
            Err(ScoringError::Invalid(fields)) => {
                for (field, _) in fields {
                    match field.as_str() {
                        "name" => errors.insert("name", t.err_th_name),
                        "enter" => errors.insert("enter", t.err_th_enter),
                        _ => errors.insert("exit", t.err_th_exit),
                    };
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut page = RulesPage::load(&st, &cu).await?;
    page.th_form = f;
    page.th_errors = errors;
    Ok(page.refused())
}

// ------------------------------------------------------------- the panel

pub struct LeadView {
    pub id: String,
    pub name: String,
    pub score: i32,
    pub reason: String,
    pub owner: String,
    pub stage: String,
}

pub struct CrossedView {
    pub id: String,
    pub name: String,
    pub score: i32,
    pub threshold: String,
    pub when: String,
}

/// One bar of the chart, sized with SVG attributes (CSP forbids inline
/// styles).
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    /// The bucket, "70–79".
    pub range: String,
    pub count: i64,
    /// The label's x (the bar's middle).
    pub mid: i64,
    /// Whether the range is written under the bar (every few bars when
    /// there are many).
    pub labelled: bool,
}

/// The chart's drawing area, in SVG user units.
pub const CHART_W: i64 = 600;
pub const CHART_H: i64 = 200;
const CHART_BASE: i64 = 180;
/// Most bars the chart draws; a wider spread widens the buckets.
const MAX_BARS: i64 = 40;

/// The bars of a histogram: buckets of `width` from the lowest to the
/// highest (empty ones included, so the spread reads true), scaled to the
/// chart.
pub fn bars(hist: &[(i64, i64)], width: i64) -> Vec<Bar> {
    let (Some(first), Some(last)) = (hist.first(), hist.last()) else {
        return Vec::new();
    };
    let n = (last.0 - first.0) / width.max(1) + 1;
    let max = hist.iter().map(|(_, c)| *c).max().unwrap_or(1).max(1);
    let slot = CHART_W / n.max(1);
    let every = (n + 9) / 10;
    (0..n)
        .map(|i| {
            let start = first.0 + i * width;
            let count = hist
                .iter()
                .find(|(b, _)| *b == start)
                .map_or(0, |(_, c)| *c);
            let height = (count * (CHART_BASE - 10)) / max;
            Bar {
                x: i * slot + 1,
                y: CHART_BASE - height,
                width: (slot - 2).max(1),
                height,
                range: format!("{start}–{}", start + width - 1),
                count,
                mid: i * slot + slot / 2,
                labelled: i % every.max(1) == 0,
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/scoring_panel.html")]
struct PanelPage {
    shell: Shell,
    st: &'static ScoringTr,
    leads: Vec<LeadView>,
    bars: Vec<Bar>,
    /// The chart's text alternative: "0–9: 12, 10–19: 3, …".
    summary: String,
    crossed: Vec<CrossedView>,
    chart_w: i64,
    chart_h: i64,
}

fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_string()
}

/// `GET /contacts/scoring/panel`.
pub async fn panel_page(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    let t = st_of(&cu);
    let ws = cu.workspace.id;
    let members = workspaces::list_members(&st.db, ws).await?;
    let top = service::top_leads(&st.db, ws, 50).await?;
    let ids: Vec<uuid::Uuid> = top.iter().map(|l| l.id).collect();
    let stages: HashMap<uuid::Uuid, String> = store::stages_of(&st.db, ws, &ids)
        .await?
        .into_iter()
        .collect();
    let leads = top
        .into_iter()
        .map(|l| LeadView {
            id: l.id.to_string(),
            name: full_name(&l.first_name, &l.last_name),
            score: l.score,
            reason: l.last_reason.unwrap_or_default(),
            owner: member_name_by_id(&members, l.owner_id).unwrap_or_else(|| t.no_owner.into()),
            stage: stages
                .get(&l.id)
                .cloned()
                .unwrap_or_else(|| t.no_stage.into()),
        })
        .collect();
    let mut width = 10;
    let mut hist = service::histogram(&st.db, ws, width).await?;
    if let (Some(a), Some(b)) = (hist.first(), hist.last())
        && (b.0 - a.0) / width + 1 > MAX_BARS
    {
        width = ((b.0 - a.0) / MAX_BARS / 10 + 1) * 10;
        hist = service::histogram(&st.db, ws, width).await?;
    }
    let bars = bars(&hist, width);
    let summary = bars
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| format!("{}: {}", b.range, b.count))
        .collect::<Vec<_>>()
        .join(", ");
    let since = af_db::Ts::new(st.now().0 - jiff::SignedDuration::from_hours(24 * 7));
    let crossed = store::crossed_since(&st.db, ws, since, 100)
        .await?
        .into_iter()
        .map(|c| CrossedView {
            id: c.contact_id.to_string(),
            name: full_name(&c.first_name, &c.last_name),
            score: c.score,
            threshold: c.threshold,
            when: fmt_when(c.entered_at, &cu.workspace.time_zone, cu.locale()),
        })
        .collect();
    Ok(PanelPage {
        shell: Shell::new(&cu, Area::Contacts).await?,
        st: t,
        leads,
        bars,
        summary,
        crossed,
        chart_w: CHART_W,
        chart_h: CHART_H,
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_lines_read_and_write_back() {
        let f = parse_filter("amount >= 50000\nform_id = abc\n\namount <= 90000").expect("filter");
        assert_eq!(
            Value::Object(f.clone()),
            json!({"amount": {"gte": 50000, "lte": 90000}, "form_id": "abc"})
        );
        assert_eq!(parse_filter(&filter_text(&f)), Some(f));
        assert!(parse_filter("amount >= many").is_none());
        assert!(parse_filter("no operator").is_none());
        assert!(parse_filter(" = x").is_none());
    }

    #[test]
    fn bars_fill_gaps_and_scale() {
        let b = bars(&[(0, 4), (30, 2)], 10);
        assert_eq!(b.len(), 4);
        assert_eq!(b[1].count, 0);
        assert_eq!(b[0].height, CHART_BASE - 10);
        assert_eq!(b[3].range, "30–39");
        assert!(b.iter().all(|b| b.x + b.width <= CHART_W));
        assert!(bars(&[], 10).is_empty());
    }
}
