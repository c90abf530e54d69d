//! The builder's pure part: which form fields each step type has, how a
//! posted form becomes the step's JSON (merged into the stored step, so
//! fields the form does not show survive), and edits of the step tree
//! (insert, replace, delete, move) on the definition JSON. The definition
//! stays the source of truth: every edit is applied to the stored JSON and
//! saved as a new version by `af_engine::ops::save_workflow`.

use serde_json::{Map, Value, json};

/// Step lists nested in a step (if/else and wait-for-event branches).
pub const BRANCH_KEYS: [&str; 4] = ["then", "else", "on_event", "on_timeout"];

/// Step types offered by the builder, in menu order.
pub const STEP_TYPES: [&str; 18] = [
    "send_email",
    "send_sms",
    "send_whatsapp",
    "voice_call",
    "wait",
    "if_else",
    "wait_for_event",
    "add_tag",
    "remove_tag",
    "move_to_stage",
    "create_task",
    "notify_team",
    "change_score",
    "set_field",
    "webhook",
    "enroll_in",
    "remove_from",
    "kommo_sync",
];

/// Event names a wait-for-event or an exit goal can pick without parameters.
pub const SIMPLE_EVENTS: [&str; 14] = [
    "appointment_booked",
    "appointment_cancelled",
    "lead_created",
    "form_submitted",
    "subscription_created",
    "trial_started",
    "membership_renewed",
    "membership_cancelled",
    "membership_expired",
    "payment_failed",
    "first_visit",
    "inbound_message",
    "call_outcome",
    "retention_alert_resolved",
];

/// Trigger types, in menu order.
pub const TRIGGER_TYPES: [&str; 25] = [
    "lead_created",
    "stage_changed",
    "form_submitted",
    "appointment_booked",
    "appointment_cancelled",
    "appointment_relative",
    "tag_added",
    "tag_removed",
    "score_reached",
    "contact_inactive",
    "subscription_created",
    "subscription_expiring",
    "trial_started",
    "membership_renewed",
    "membership_cancelled",
    "membership_expired",
    "payment_failed",
    "first_visit",
    "inbound_message",
    "call_outcome",
    "retention_alert_opened",
    "retention_alert_escalated",
    "retention_alert_resolved",
    "retention_alert_dismissed",
    "custom_event",
];

/// How a field is edited and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text; dropped when empty if optional.
    Text,
    /// Several lines of text.
    Area,
    /// A whole number.
    Int,
    /// A checkbox.
    Bool,
    /// A stage id (picked from the workspace's pipelines).
    Stage,
    /// A message template id.
    Template,
    /// Another workflow's id.
    Workflow,
    /// A score threshold's name (picked from the workspace's thresholds).
    Threshold,
    /// `contact` or `workspace`.
    Zone,
    /// A retention alert type (picked from the types).
    AlertType,
    /// An event pattern (`event` + `event_custom` in the form).
    Event,
    /// An if/else condition (`cond_*` in the form).
    Condition,
    /// Any JSON value, typed as text (a string unless it parses as JSON
    /// number/bool).
    Value,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub optional: bool,
}

const fn f(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        optional: false,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        optional: true,
    }
}

/// The form fields of a step type (`None` for an unknown type).
pub fn fields(step_type: &str) -> Option<&'static [Field]> {
    use Kind::*;
    Some(match step_type {
        "send_email" => {
            const {
                &[
                    f("subject", Text),
                    f("body", Area),
                    opt("html", Area),
                    opt("template_id", Template),
                    f("transactional", Bool),
                ]
            }
        }
        "send_sms" => const { &[f("body", Area), opt("template_id", Template)] },
        "send_whatsapp" => {
            const {
                &[
                    f("body", Area),
                    opt("template_id", Template),
                    f("fallback_sms", Bool),
                ]
            }
        }
        "voice_call" => {
            const {
                &[
                    opt("say", Area),
                    opt("play_url", Text),
                    f("machine_detection", Bool),
                    f("timeout_minutes", Int),
                ]
            }
        }
        "add_tag" | "remove_tag" => const { &[f("tag", Text)] },
        "move_to_stage" => const { &[f("stage_id", Stage)] },
        "create_task" => const { &[f("title", Text), opt("due_in_hours", Int)] },
        "notify_team" => const { &[f("message", Area), f("email", Bool)] },
        "webhook" => const { &[f("url", Text)] },
        "change_score" => const { &[f("delta", Int)] },
        "set_field" => const { &[f("field", Text), f("value", Value)] },
        "enroll_in" | "remove_from" => const { &[f("workflow_id", Workflow)] },
        "kommo_sync" => const { &[] },
        "wait" => {
            const {
                &[
                    opt("days", Int),
                    opt("hours", Int),
                    opt("minutes", Int),
                    opt("until_time", Text),
                    f("time_zone", Zone),
                    f("business_hours", Bool),
                ]
            }
        }
        "if_else" => const { &[f("condition", Condition)] },
        "wait_for_event" => {
            const {
                &[
                    f("event", Event),
                    opt("timeout_days", Int),
                    opt("timeout_hours", Int),
                    opt("timeout_minutes", Int),
                ]
            }
        }
        _ => return None,
    })
}

/// The parameters of a trigger type (names as in the JSON, except the
/// custom event's `name`, posted as `event_name`).
pub fn trigger_fields(trigger_type: &str) -> &'static [Field] {
    use Kind::*;
    match trigger_type {
        "stage_changed" => const { &[opt("from_stage_id", Stage), opt("to_stage_id", Stage)] },
        "form_submitted" => const { &[opt("form_id", Text)] },
        "tag_added" | "tag_removed" => const { &[f("tag", Text)] },
        "score_reached" => const { &[opt("threshold", Int), opt("threshold_name", Threshold)] },
        "contact_inactive" | "subscription_expiring" => const { &[f("days", Int)] },
        "inbound_message" => const { &[opt("channel", Text)] },
        "call_outcome" => const { &[opt("outcome", Text)] },
        "retention_alert_opened"
        | "retention_alert_escalated"
        | "retention_alert_resolved"
        | "retention_alert_dismissed" => const { &[opt("alert_type", AlertType)] },
        "custom_event" => const { &[f("event_name", Text)] },
        "appointment_relative" => const { &[f("offset_minutes", Int)] },
        _ => const { &[] },
    }
}

/// A posted form: name/value pairs in order (checkbox groups repeat names).
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed value, `""` when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").trim().to_string()
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), Some("on" | "true" | "1"))
    }
}

/// Sets or removes `key` per the field's kind; errors name the field.
fn apply_field(
    obj: &mut Map<String, Value>,
    field: &Field,
    form: &FormData,
    errors: &mut Vec<String>,
) {
    let raw = form.get(field.name).unwrap_or("");
    let text = raw.trim();
    let name = field.name.to_string();
    match field.kind {
        Kind::Bool => {
            obj.insert(name, Value::Bool(form.checked(field.name)));
        }
        Kind::Int => {
            if text.is_empty() {
                obj.remove(&name);
            } else {
                match text.parse::<i64>() {
                    Ok(n) => {
                        obj.insert(name, json!(n));
                    }
                    Err(_) => errors.push(format!("{}: must be a whole number", field.name)),
                }
            }
        }
        Kind::Text
        | Kind::Stage
        | Kind::Template
        | Kind::Workflow
        | Kind::Threshold
        | Kind::AlertType
        | Kind::Zone => {
            if text.is_empty() && field.optional {
                obj.remove(&name);
            } else {
                obj.insert(name, Value::String(text.to_string()));
            }
        }
        Kind::Area => {
            // Keep line breaks, trim only the ends.
            if text.is_empty() && field.optional {
                obj.remove(&name);
            } else {
                obj.insert(name, Value::String(raw.trim().replace("\r\n", "\n")));
            }
        }
        Kind::Value => {
            let v = match serde_json::from_str::<Value>(text) {
                Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
                _ => Value::String(text.to_string()),
            };
            obj.insert(name, v);
        }
        Kind::Event => {
            let ev = form.text("event");
            let v = if ev == "custom_event" {
                json!({"type": "custom_event", "name": form.text("event_custom")})
            } else {
                Value::String(ev)
            };
            obj.insert(name, v);
        }
        Kind::Condition => match condition_from_form(form) {
            Ok(c) => {
                obj.insert(name, c);
            }
            Err(e) => errors.push(format!("condition: {e}")),
        },
    }
}

fn condition_from_form(form: &FormData) -> Result<Value, String> {
    let op = form.text("cond_op");
    let op = if op.is_empty() { "eq".to_string() } else { op };
    let value = form.text("cond_value");
    Ok(match form.text("cond_type").as_str() {
        "has_tag" => json!({"type": "has_tag", "tag": value}),
        "score" => {
            let n: i64 = value
                .parse()
                .map_err(|_| "the score must be a whole number")?;
            json!({"type": "score", "op": op, "value": n})
        }
        "outcome" => {
            let any: Vec<&str> = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            json!({"type": "outcome", "in": any})
        }
        "json" => serde_json::from_str(&form.text("cond_json")).map_err(|e| e.to_string())?,
        _ => json!({"type": "field", "field": form.text("cond_field"), "op": op, "value": value}),
    })
}

/// The step JSON after applying a posted form to `existing` (or to a new
/// step of `step_type`). Branches and fields the form does not show are kept.
pub fn step_from_form(
    step_type: &str,
    existing: Option<&Value>,
    form: &FormData,
) -> Result<Value, Vec<String>> {
    let spec =
        fields(step_type).ok_or_else(|| vec![format!("unknown step type \"{step_type}\"")])?;
    let mut obj = match existing {
        Some(Value::Object(o)) => o.clone(),
        _ => Map::new(),
    };
    obj.insert("type".into(), Value::String(step_type.to_string()));
    let mut errors = Vec::new();
    for field in spec {
        apply_field(&mut obj, field, form, &mut errors);
    }
    if errors.is_empty() {
        Ok(Value::Object(obj))
    } else {
        Err(errors)
    }
}

/// The trigger JSON for a posted settings form (its filter is kept).
pub fn trigger_from_form(existing: Option<&Value>, form: &FormData) -> Result<Value, Vec<String>> {
    let ty = form.text("trigger_type");
    if !TRIGGER_TYPES.contains(&ty.as_str()) {
        return Err(vec![format!("trigger: unknown type \"{ty}\"")]);
    }
    let mut obj = Map::new();
    obj.insert("type".into(), Value::String(ty.clone()));
    if let Some(filter) = existing.and_then(|t| t.get("filter")) {
        obj.insert("filter".into(), filter.clone());
    }
    let mut errors = Vec::new();
    for field in trigger_fields(&ty) {
        apply_field(&mut obj, field, form, &mut errors);
    }
    if let Some(v) = obj.remove("event_name") {
        obj.insert("name".into(), v);
    }
    if ty == "stage_changed" {
        // The pipeline follows from the stages picked; an explicit one stays
        // only when set through the JSON tab.
        if let Some(p) = existing
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("stage_changed"))
            .and_then(|t| t.get("pipeline_id"))
        {
            obj.insert("pipeline_id".into(), p.clone());
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(obj))
    } else {
        Err(errors)
    }
}

fn id_of(step: &Value) -> &str {
    step.get("id").and_then(Value::as_str).unwrap_or("")
}

fn contains(steps: &[Value], id: &str) -> bool {
    steps.iter().any(|s| {
        id_of(s) == id
            || BRANCH_KEYS.iter().any(|k| {
                s.get(*k)
                    .and_then(Value::as_array)
                    .is_some_and(|b| contains(b, id))
            })
    })
}

/// The list holding step `id`, and its index there.
fn containing_list<'a>(steps: &'a mut Vec<Value>, id: &str) -> Option<(&'a mut Vec<Value>, usize)> {
    if let Some(i) = steps.iter().position(|s| id_of(s) == id) {
        return Some((steps, i));
    }
    let (si, key) = steps.iter().enumerate().find_map(|(i, s)| {
        BRANCH_KEYS
            .iter()
            .find(|k| {
                s.get(**k)
                    .and_then(Value::as_array)
                    .is_some_and(|b| contains(b, id))
            })
            .map(|k| (i, *k))
    })?;
    match steps[si].get_mut(key) {
        Some(Value::Array(b)) => containing_list(b, id),
        _ => None,
    }
}

fn root_steps(def: &mut Value) -> Option<&mut Vec<Value>> {
    let obj = def.as_object_mut()?;
    let steps = obj.entry("steps").or_insert_with(|| Value::Array(vec![]));
    steps.as_array_mut()
}

/// The step with this id anywhere in the definition.
pub fn find_step<'a>(def: &'a Value, id: &str) -> Option<&'a Value> {
    fn walk<'a>(steps: &'a [Value], id: &str) -> Option<&'a Value> {
        for s in steps {
            if id_of(s) == id {
                return Some(s);
            }
            for k in BRANCH_KEYS {
                if let Some(found) = s.get(k).and_then(Value::as_array).and_then(|b| walk(b, id)) {
                    return Some(found);
                }
            }
        }
        None
    }
    walk(def.get("steps")?.as_array()?, id)
}

/// Appends `step` to the top-level list (`parent` empty) or to a branch
/// of step `parent`. False when the parent or branch does not exist.
pub fn insert_step(def: &mut Value, parent: &str, branch: &str, step: Value) -> bool {
    let Some(root) = root_steps(def) else {
        return false;
    };
    if parent.is_empty() {
        root.push(step);
        return true;
    }
    if !BRANCH_KEYS.contains(&branch) {
        return false;
    }
    let Some((list, i)) = containing_list(root, parent) else {
        return false;
    };
    let ty = list[i].get("type").and_then(Value::as_str).unwrap_or("");
    let allowed = match ty {
        "if_else" => matches!(branch, "then" | "else"),
        "wait_for_event" => matches!(branch, "on_event" | "on_timeout"),
        _ => false,
    };
    if !allowed {
        return false;
    }
    let Some(obj) = list[i].as_object_mut() else {
        return false;
    };
    match obj
        .entry(branch)
        .or_insert_with(|| Value::Array(vec![]))
        .as_array_mut()
    {
        Some(b) => {
            b.push(step);
            true
        }
        None => false,
    }
}

/// Replaces step `id` (keeping its id). False when it does not exist.
pub fn replace_step(def: &mut Value, id: &str, mut step: Value) -> bool {
    let Some(root) = root_steps(def) else {
        return false;
    };
    let Some((list, i)) = containing_list(root, id) else {
        return false;
    };
    if let Some(o) = step.as_object_mut() {
        o.insert("id".into(), Value::String(id.to_string()));
    }
    list[i] = step;
    true
}

/// Deletes step `id` with its branches. False when it does not exist.
pub fn delete_step(def: &mut Value, id: &str) -> bool {
    let Some(root) = root_steps(def) else {
        return false;
    };
    let Some((list, i)) = containing_list(root, id) else {
        return false;
    };
    list.remove(i);
    true
}

/// Moves step `id` one place up or down among its siblings. False when it
/// does not exist or is already at that end.
pub fn move_step(def: &mut Value, id: &str, up: bool) -> bool {
    let Some(root) = root_steps(def) else {
        return false;
    };
    let Some((list, i)) = containing_list(root, id) else {
        return false;
    };
    let j = if up {
        match i.checked_sub(1) {
            Some(j) => j,
            None => return false,
        }
    } else {
        i + 1
    };
    if j >= list.len() {
        return false;
    }
    list.swap(i, j);
    true
}

/// Puts the steps of `parent`'s `branch` (or the top level) in the order
/// of `ids` (SortableJS posts the new order). The ids must be exactly the
/// list's ids.
pub fn reorder(def: &mut Value, parent: &str, branch: &str, ids: &[&str]) -> bool {
    let Some(root) = root_steps(def) else {
        return false;
    };
    let list: &mut Vec<Value> = if parent.is_empty() {
        root
    } else {
        let Some((l, i)) = containing_list(root, parent) else {
            return false;
        };
        match l[i].get_mut(branch) {
            Some(Value::Array(b)) if BRANCH_KEYS.contains(&branch) => b,
            _ => return false,
        }
    };
    let mut have: Vec<&str> = list.iter().map(id_of).collect();
    let mut want: Vec<&str> = ids.to_vec();
    have.sort_unstable();
    want.sort_unstable();
    if have != want {
        return false;
    }
    let mut out = Vec::with_capacity(list.len());
    for id in ids {
        if let Some(pos) = list.iter().position(|s| id_of(s) == *id) {
            out.push(list.remove(pos));
        }
    }
    *list = out;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> Value {
        json!({"name": "x", "trigger": {"type": "lead_created"}, "steps": [
            {"id": "a", "type": "add_tag", "tag": "a"},
            {"id": "b", "type": "if_else", "condition": {"type": "has_tag", "tag": "vip"},
             "then": [{"id": "c", "type": "add_tag", "tag": "c"}, {"id": "d", "type": "add_tag", "tag": "d"}],
             "else": []},
            {"id": "e", "type": "wait", "days": 1}]})
    }

    fn ids(steps: &Value) -> Vec<String> {
        steps
            .as_array()
            .expect("array")
            .iter()
            .map(|s| id_of(s).to_string())
            .collect()
    }

    #[test]
    fn tree_edits_reach_nested_branches() {
        let mut d = def();
        assert!(move_step(&mut d, "d", true));
        assert_eq!(ids(&d["steps"][1]["then"]), ["d", "c"]);
        assert!(!move_step(&mut d, "d", true), "already first");
        assert!(insert_step(
            &mut d,
            "b",
            "else",
            json!({"type": "kommo_sync"})
        ));
        assert_eq!(d["steps"][1]["else"][0]["type"], "kommo_sync");
        assert!(
            !insert_step(&mut d, "a", "then", json!({"type": "kommo_sync"})),
            "add_tag has no branches"
        );
        assert!(!insert_step(
            &mut d,
            "b",
            "on_event",
            json!({"type": "kommo_sync"})
        ));
        assert!(replace_step(
            &mut d,
            "c",
            json!({"type": "remove_tag", "tag": "z"})
        ));
        assert_eq!(find_step(&d, "c").expect("c")["type"], "remove_tag");
        assert!(delete_step(&mut d, "b"));
        assert_eq!(ids(&d["steps"]), ["a", "e"]);
        assert!(find_step(&d, "c").is_none());
        assert!(!delete_step(&mut d, "nope"));
        assert!(reorder(&mut d, "", "", &["e", "a"]));
        assert_eq!(ids(&d["steps"]), ["e", "a"]);
        assert!(!reorder(&mut d, "", "", &["e"]), "ids must match");
    }

    #[test]
    fn forms_merge_into_the_stored_step() {
        let existing = json!({"id": "t", "type": "create_task", "title": "x", "assignee_id": "u1"});
        let form = FormData(vec![
            ("title".into(), " Llamar ".into()),
            ("due_in_hours".into(), "".into()),
        ]);
        let s = step_from_form("create_task", Some(&existing), &form).expect("ok");
        assert_eq!(
            s,
            json!({"id": "t", "type": "create_task", "title": "Llamar", "assignee_id": "u1"})
        );
        let bad = FormData(vec![("delta".into(), "diez".into())]);
        assert!(step_from_form("change_score", None, &bad).is_err());
        let cond = FormData(vec![
            ("cond_type".into(), "outcome".into()),
            ("cond_value".into(), "no_answer, busy".into()),
        ]);
        let s = step_from_form("if_else", None, &cond).expect("ok");
        assert_eq!(
            s["condition"],
            json!({"type": "outcome", "in": ["no_answer", "busy"]})
        );
        let t = trigger_from_form(
            None,
            &FormData(vec![
                ("trigger_type".into(), "custom_event".into()),
                ("event_name".into(), "paid".into()),
            ]),
        )
        .expect("ok");
        assert_eq!(t, json!({"type": "custom_event", "name": "paid"}));
    }
}
