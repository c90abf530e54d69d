//! What a step does, as a sentence in the reader's language, for the
//! builder's step tree: record ids become names (stages, templates,
//! workflows), conditions read as "Si la llamada no se contesta, está
//! ocupada o va a buzón", waits as "2 días, hasta las 09:00, en horario
//! laboral", and merge fields as chips named for people ("Nombre") instead
//! of `{{ contact.first_name | default('') }}`.

use super::event_label;
use crate::i18n::automations::AutoTr;
use af_core::workflow::{Condition, Op};
use serde_json::Value;

/// A piece of a sentence: plain text, or a merge field drawn as a chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Text(String),
    Chip(String),
}

impl Seg {
    pub fn is_chip(&self) -> bool {
        matches!(self, Seg::Chip(_))
    }

    pub fn text(&self) -> &str {
        match self {
            Seg::Text(s) | Seg::Chip(s) => s,
        }
    }
}

/// Ids of records a step may name, with their names.
pub struct Names<'a> {
    pub stages: &'a [(String, String)],
    pub templates: &'a [(String, String)],
    pub workflows: &'a [(String, String)],
}

fn name_of<'a>(list: &'a [(String, String)], id: &str, missing: &'a str) -> &'a str {
    list.iter()
        .find(|(i, _)| i == id)
        .map(|(_, n)| n.as_str())
        .unwrap_or(missing)
}

/// Longest text shown for a message body before "…".
const MAX_CHARS: usize = 110;

/// The sentence for one step (its JSON as stored).
pub fn step(t: &'static AutoTr, names: &Names, s: &Value) -> Vec<Seg> {
    let g = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default();
    let text = |v: String| vec![Seg::Text(v)];
    match g("type") {
        "send_email" => match s.get("template_id").and_then(Value::as_str) {
            Some(id) => text(format!(
                "{} «{}»",
                t.d_template,
                name_of(names.templates, id, t.d_missing)
            )),
            None => merge_chips(t, g("subject")),
        },
        "send_sms" | "send_whatsapp" => merge_chips(t, g("body")),
        "voice_call" => merge_chips(t, g("say")),
        "add_tag" | "remove_tag" => text(format!("«{}»", g("tag"))),
        "move_to_stage" => text(format!(
            "→ {}",
            name_of(names.stages, g("stage_id"), t.d_missing)
        )),
        "create_task" => merge_chips(t, g("title")),
        "notify_team" => merge_chips(t, g("message")),
        "webhook" => text(g("url").to_string()),
        "change_score" => {
            let delta = s.get("delta").and_then(Value::as_i64).unwrap_or(0);
            text(format!("{delta:+} {}", t.d_points))
        }
        "set_field" => {
            let mut out = vec![Seg::Chip(field_name(t, g("field")))];
            out.push(Seg::Text(format!(" = {}", json_text(s.get("value")))));
            out
        }
        "enroll_in" | "remove_from" => text(format!(
            "«{}»",
            name_of(names.workflows, g("workflow_id"), t.d_missing)
        )),
        "wait" => text(wait(t, s)),
        "if_else" => {
            let c = s
                .get("condition")
                .and_then(|c| serde_json::from_value::<Condition>(c.clone()).ok());
            match c {
                Some(c) => text(format!("{} {}", t.d_if, condition(t, &c))),
                None => text(t.d_missing.to_string()),
            }
        }
        "wait_for_event" => {
            let ev = match s.get("event") {
                Some(Value::String(k)) => k.clone(),
                Some(o) => json_text(o.get("type")),
                None => String::new(),
            };
            let mut out = format!("{} «{}»", t.d_until, event_label(t, &ev));
            let total = minutes(s, "timeout_minutes", "timeout_hours", "timeout_days");
            if total > 0 {
                out.push_str(&format!(" ({} {})", t.d_at_most, duration(t, total)));
            }
            text(out)
        }
        _ => Vec::new(),
    }
}

fn json_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn minutes(s: &Value, m: &str, h: &str, d: &str) -> i64 {
    let n = |k: &str| s.get(k).and_then(Value::as_i64).unwrap_or(0).max(0);
    n(m).saturating_add(n(h).saturating_mul(60))
        .saturating_add(n(d).saturating_mul(1440))
}

/// "2 días 3 h" / "2 days 3 h" / "30 min".
fn duration(t: &AutoTr, total_minutes: i64) -> String {
    let (d, h, m) = (
        total_minutes / 1440,
        (total_minutes % 1440) / 60,
        total_minutes % 60,
    );
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} {}", if d == 1 { t.d_day } else { t.d_days }));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    parts.join(" ")
}

fn wait(t: &AutoTr, s: &Value) -> String {
    let mut parts = Vec::new();
    let total = minutes(s, "minutes", "hours", "days");
    if total > 0 {
        parts.push(duration(t, total));
    }
    if let Some(time) = s.get("until_time").and_then(Value::as_str) {
        parts.push(format!("{} {time}", t.d_until_time));
    }
    if s.get("business_hours").and_then(Value::as_bool) == Some(true) {
        parts.push(t.d_business_hours.to_string());
    }
    parts.join(", ")
}

/// A condition as a clause: "la llamada no se contesta o está ocupada",
/// "tiene la etiqueta «vip»", "el puntaje es mayor que 50".
pub fn condition(t: &AutoTr, c: &Condition) -> String {
    match c {
        Condition::HasTag { tag } => format!("{} «{tag}»", t.d_has_tag),
        Condition::Score { op, value } => format!("{} {} {value}", t.d_score, op_words(t, *op)),
        Condition::Field { field, op, value } => {
            let v = match value {
                Value::String(s) => format!("«{s}»"),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            format!("{} {} {v}", field_name(t, field), op_words(t, *op))
                .trim_end()
                .to_string()
        }
        Condition::Outcome { any_of } => {
            let words: Vec<&str> = any_of.iter().map(|o| outcome_words(t, o)).collect();
            format!("{} {}", t.d_the_call, join_or(t, &words))
        }
        Condition::All { conditions } => conditions
            .iter()
            .map(|c| condition(t, c))
            .collect::<Vec<_>>()
            .join(t.d_and),
        Condition::Any { conditions } => conditions
            .iter()
            .map(|c| condition(t, c))
            .collect::<Vec<_>>()
            .join(t.d_or),
        Condition::Not { condition: inner } => format!("{} ({})", t.d_not, condition(t, inner)),
    }
}

fn join_or(t: &AutoTr, words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{}{}{last}", rest.join(", "), t.d_or),
    }
}

fn op_words(t: &AutoTr, op: Op) -> &'static str {
    match op {
        Op::Eq => t.d_op_eq,
        Op::Ne => t.d_op_ne,
        Op::Contains => t.d_op_contains,
        Op::Empty => t.d_op_empty,
        Op::NotEmpty => t.d_op_not_empty,
        Op::Gt => t.d_op_gt,
        Op::Gte => t.d_op_gte,
        Op::Lt => t.d_op_lt,
        Op::Lte => t.d_op_lte,
    }
}

fn outcome_words<'a>(t: &'a AutoTr, o: &'a str) -> &'a str {
    match o {
        "answered" => t.d_out_answered,
        "no_answer" => t.d_out_no_answer,
        "busy" => t.d_out_busy,
        "voicemail" => t.d_out_voicemail,
        "failed" => t.d_out_failed,
        other => other,
    }
}

/// A merge field or contact field by its name for people.
fn field_name(t: &AutoTr, path: &str) -> String {
    let path = path.trim();
    let known = match path.trim_start_matches("contact.") {
        "first_name" => Some(t.d_f_first_name),
        "last_name" => Some(t.d_f_last_name),
        "full_name" => Some(t.d_f_full_name),
        "email" => Some(t.d_f_email),
        "phone" => Some(t.d_f_phone),
        "company" => Some(t.d_f_company),
        "score" => Some(t.d_f_score),
        "source" => Some(t.d_f_source),
        _ => None,
    };
    match (known, path) {
        (Some(n), _) => n.to_string(),
        (None, "workspace.name") => t.d_f_workspace.to_string(),
        (None, "booking_url") => t.d_f_booking.to_string(),
        (None, "unsubscribe_url") => t.d_f_unsubscribe.to_string(),
        (None, p) => p
            .strip_prefix("contact.custom.")
            .or_else(|| p.strip_prefix("custom."))
            .unwrap_or(p)
            .to_string(),
    }
}

/// Text with `{{ … }}` merge fields turned into chips, cut to a line.
pub fn merge_chips(t: &AutoTr, source: &str) -> Vec<Seg> {
    let one_line: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    let mut rest = one_line.as_str();
    let mut shown = 0;
    while shown < MAX_CHARS {
        let Some(open) = rest.find("{{") else {
            push_text(&mut out, rest, &mut shown);
            break;
        };
        push_text(&mut out, &rest[..open], &mut shown);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            push_text(&mut out, &rest[open..], &mut shown);
            break;
        };
        let inner = &after[..close];
        let path = inner.split('|').next().unwrap_or_default();
        let chip = field_name(t, path);
        shown += chip.chars().count();
        out.push(Seg::Chip(chip));
        rest = &after[close + 2..];
    }
    out
}

fn push_text(out: &mut Vec<Seg>, s: &str, shown: &mut usize) {
    if s.is_empty() {
        return;
    }
    let room = MAX_CHARS.saturating_sub(*shown);
    let n = s.chars().count();
    let piece = if n > room {
        let mut p: String = s.chars().take(room).collect();
        p.push('…');
        p
    } else {
        s.to_string()
    };
    *shown += n.min(room + 1);
    out.push(Seg::Text(piece));
}

#[cfg(test)]
mod tests {
    use super::*;
    use af_core::Locale;
    use serde_json::json;

    fn es() -> &'static AutoTr {
        AutoTr::get(Locale::Es)
    }

    fn sentence(segs: &[Seg]) -> String {
        segs.iter()
            .map(|s| match s {
                Seg::Text(t) => t.clone(),
                Seg::Chip(c) => format!("[{c}]"),
            })
            .collect()
    }

    const NONE: Names = Names {
        stages: &[],
        templates: &[],
        workflows: &[],
    };

    #[test]
    fn merge_fields_become_chips_named_for_people() {
        let s = json!({"type": "send_sms", "body": "Hola {{ contact.first_name | default('') }}, agenda: {{ booking_url }}"});
        assert_eq!(
            sentence(&step(es(), &NONE, &s)),
            "Hola [Nombre], agenda: [Enlace de reservas]"
        );
    }

    #[test]
    fn conditions_read_as_sentences() {
        let s = json!({"type": "if_else", "condition": {"type": "outcome", "in": ["no_answer", "busy", "voicemail"]}});
        assert_eq!(
            sentence(&step(es(), &NONE, &s)),
            "Si la llamada no se contesta, está ocupada o va a buzón"
        );
        let s = json!({"type": "if_else", "condition": {"type": "all", "conditions": [
            {"type": "has_tag", "tag": "vip"}, {"type": "score", "op": "gte", "value": 50}]}});
        assert_eq!(
            sentence(&step(es(), &NONE, &s)),
            "Si tiene la etiqueta «vip» y el puntaje es al menos 50"
        );
    }

    #[test]
    fn ids_become_names_and_waits_read_as_durations() {
        let stages = [("s1".to_string(), "Embudo › Cita agendada".to_string())];
        let names = Names {
            stages: &stages,
            templates: &[],
            workflows: &[],
        };
        let s = json!({"type": "move_to_stage", "stage_id": "s1"});
        assert_eq!(
            sentence(&step(es(), &names, &s)),
            "→ Embudo › Cita agendada"
        );
        let s = json!({"type": "move_to_stage", "stage_id": "gone"});
        assert_eq!(sentence(&step(es(), &names, &s)), "→ (ya no existe)");
        let s = json!({"type": "wait", "days": 2, "until_time": "09:00", "business_hours": true});
        assert_eq!(
            sentence(&step(es(), &NONE, &s)),
            "2 días, hasta las 09:00, en horario laboral"
        );
        let s = json!({"type": "wait_for_event", "event": "appointment_booked", "timeout_days": 3});
        assert_eq!(
            sentence(&step(es(), &NONE, &s)),
            "Hasta que «Agenda una cita» (máximo 3 días)"
        );
    }
}
