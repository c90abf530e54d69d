//! Shape rules the JSON types cannot express: limits, unique step ids,
//! event names, references inside branches.

use super::*;
use std::collections::HashSet;

/// Ten years in minutes: the longest any wait or timeout may be.
pub(super) const MAX_MINUTES: i64 = 5_256_000;

impl Definition {
    /// Shape rules the JSON types cannot express.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push("name: required".into());
        }
        if self.name.chars().count() > 200 {
            errors.push("name: at most 200 characters".into());
        }
        if let Some(f) = &self.trigger.filter {
            f.check("trigger.filter", &mut errors);
        }
        match &self.trigger.kind {
            TriggerKind::TagAdded { tag } | TriggerKind::TagRemoved { tag }
                if tag.trim().is_empty() =>
            {
                errors.push("trigger.tag: required".into())
            }
            TriggerKind::ContactInactive { days } | TriggerKind::SubscriptionExpiring { days }
                if !(1..=3650).contains(days) =>
            {
                errors.push("trigger.days: between 1 and 3650".into())
            }
            TriggerKind::ScoreReached { threshold, .. }
                if threshold.unsigned_abs() > MAX_SCORE as u64 =>
            {
                errors.push(format!(
                    "trigger.threshold: between -{MAX_SCORE} and {MAX_SCORE}"
                ))
            }
            TriggerKind::CustomEvent { name } if !valid_event_name(name) => errors
                .push("trigger.name: letters, digits, '_', '-' and '.' only (at most 100)".into()),
            TriggerKind::AppointmentRelative { offset_minutes }
                if offset_minutes.unsigned_abs() > 60 * 24 * 365 =>
            {
                errors.push("trigger.offset_minutes: at most one year".into())
            }
            _ => {}
        }
        for (i, m) in self.exit_on.iter().enumerate() {
            if let Err(e) = m.to_kind() {
                errors.push(format!("exit_on[{i}]: {e}"));
            }
        }
        let mut seen = HashSet::new();
        let mut count = 0;
        check_steps(&self.steps, "steps", &mut seen, &mut count, &mut errors);
        if count > 500 {
            errors.push("steps: at most 500 steps".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn valid_event_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 100
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Whether `name` may be used as a custom event name.
pub fn is_valid_custom_event(name: &str) -> bool {
    valid_event_name(name)
}

fn check_steps(
    steps: &[Step],
    path: &str,
    seen: &mut HashSet<String>,
    count: &mut usize,
    errors: &mut Vec<String>,
) {
    for (i, s) in steps.iter().enumerate() {
        *count += 1;
        let p = format!("{path}[{i}]");
        if s.id.len() > 64
            || !s
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errors.push(format!("{p}.id: letters, digits, '_' and '-' only"));
        }
        if !seen.insert(s.id.clone()) {
            errors.push(format!("{p}.id: \"{}\" is used twice", s.id));
        }
        let req = |errors: &mut Vec<String>, field: &str, v: &str| {
            if v.trim().is_empty() {
                errors.push(format!("{p}.{field}: required"));
            }
        };
        match &s.action {
            Action::SendEmail {
                subject,
                body,
                template_id,
                ..
            } => {
                if template_id.is_none() {
                    req(errors, "subject", subject);
                    req(errors, "body", body);
                }
                for (f, t) in [("subject", subject), ("body", body)] {
                    if let Err(e) = crate::templating::check(t) {
                        errors.push(format!("{p}.{f}: {e}"));
                    }
                }
            }
            Action::SendSms { body, template_id }
            | Action::SendWhatsapp {
                body, template_id, ..
            } => {
                if template_id.is_none() {
                    req(errors, "body", body);
                }
                if let Err(e) = crate::templating::check(body) {
                    errors.push(format!("{p}.body: {e}"));
                }
            }
            Action::VoiceCall {
                say,
                play_url,
                timeout_minutes,
                ..
            } => {
                if say.as_deref().is_none_or(|t| t.trim().is_empty()) && play_url.is_none() {
                    errors.push(format!("{p}: a call needs \"say\" or \"play_url\""));
                }
                if !(1..=1440).contains(timeout_minutes) {
                    errors.push(format!("{p}.timeout_minutes: between 1 and 1440"));
                }
            }
            Action::AddTag { tag } | Action::RemoveTag { tag } => req(errors, "tag", tag),
            Action::MoveToStage { stage_id } => req(errors, "stage_id", stage_id),
            Action::CreateTask { title, .. } => req(errors, "title", title),
            Action::NotifyTeam { message, .. } => req(errors, "message", message),
            Action::Webhook { url } => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    errors.push(format!("{p}.url: an http(s) URL"));
                }
            }
            Action::ChangeScore { delta } => {
                if *delta == 0 || delta.unsigned_abs() > 1000 {
                    errors.push(format!("{p}.delta: between -1000 and 1000, not 0"));
                }
            }
            Action::SetField { field, .. } => {
                let ok = matches!(
                    field.as_str(),
                    "first_name" | "last_name" | "company" | "source" | "lifecycle"
                ) || field.strip_prefix("custom.").is_some_and(|k| !k.is_empty());
                if !ok {
                    errors.push(format!(
                        "{p}.field: one of first_name, last_name, company, source, lifecycle, custom.<key>"
                    ));
                }
            }
            Action::EnrollIn { workflow_id } | Action::RemoveFrom { workflow_id } => {
                req(errors, "workflow_id", workflow_id)
            }
            Action::KommoSync => {}
            Action::Wait(w) => {
                if w.is_empty() {
                    errors.push(format!(
                        "{p}: a wait needs minutes, hours, days or until_time"
                    ));
                }
                if w.minutes < 0 || w.hours < 0 || w.days < 0 {
                    errors.push(format!("{p}: a wait cannot be negative"));
                }
                if w.days > 3650 || w.hours > 87600 || w.minutes > 5_256_000 {
                    errors.push(format!("{p}: a wait of at most ten years"));
                }
                if let Some(t) = &w.until_time
                    && let Err(e) = parse_time(t)
                {
                    errors.push(format!("{p}.until_time: {e}"));
                }
            }
            Action::IfElse {
                condition,
                then_steps,
                else_steps,
            } => {
                condition.check(&format!("{p}.condition"), errors);
                check_steps(then_steps, &format!("{p}.then"), seen, count, errors);
                check_steps(else_steps, &format!("{p}.else"), seen, count, errors);
            }
            Action::WaitForEvent {
                event,
                timeout_minutes,
                timeout_hours,
                timeout_days,
                on_event,
                on_timeout,
            } => {
                if let Err(e) = event.to_kind() {
                    errors.push(format!("{p}.event: {e}"));
                }
                if *timeout_minutes < 0 || *timeout_hours < 0 || *timeout_days < 0 {
                    errors.push(format!("{p}: a wait for an event needs a positive timeout"));
                } else if *timeout_days > 3650
                    || *timeout_hours > 87600
                    || *timeout_minutes > 5_256_000
                {
                    errors.push(format!("{p}: a wait for an event of at most ten years"));
                } else if timeout_minutes + timeout_hours * 60 + timeout_days * 1440 <= 0 {
                    errors.push(format!("{p}: a wait for an event needs a positive timeout"));
                }
                check_steps(on_event, &format!("{p}.on_event"), seen, count, errors);
                check_steps(on_timeout, &format!("{p}.on_timeout"), seen, count, errors);
            }
        }
    }
}
