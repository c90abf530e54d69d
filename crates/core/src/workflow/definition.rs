//! The definition as a whole: its trigger, steps, exit goals and re-entry
//! rule, parsing with stable step ids, walking the step tree ("which step
//! comes next") and what it references.

use super::*;
use crate::vocab::EventKind;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// A whole workflow as written by its author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub trigger: Trigger,
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Events that end a contact's enrolment at once (checked before every
    /// step too), e.g. `["appointment_booked"]`.
    #[serde(default)]
    pub exit_on: Vec<EventMatch>,
    #[serde(default)]
    pub reentry: Reentry,
    #[serde(default)]
    pub active: bool,
}

/// May a contact enter the workflow again?
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reentry {
    /// Once per contact, ever.
    #[default]
    Never,
    /// Again once the previous enrolment has ended.
    AfterExit,
    /// Every time the trigger fires (still one active enrolment at a time).
    Always,
}

impl Reentry {
    pub fn as_str(self) -> &'static str {
        match self {
            Reentry::Never => "never",
            Reentry::AfterExit => "after_exit",
            Reentry::Always => "always",
        }
    }
}

/// The references a definition makes to other records, so saving can check
/// they exist and deleting them can be refused while a workflow uses them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct References {
    pub stage_ids: Vec<String>,
    pub pipeline_ids: Vec<String>,
    pub tags: Vec<String>,
    pub form_ids: Vec<String>,
    pub template_ids: Vec<String>,
    pub workflow_ids: Vec<String>,
    pub custom_fields: Vec<String>,
    pub user_ids: Vec<String>,
}

/// Channels the definition sends through (to check they are configured).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChannelUse {
    pub email: bool,
    pub sms: bool,
    pub whatsapp: bool,
    pub voice: bool,
    pub webhook: bool,
    pub kommo: bool,
}

impl Definition {
    /// Parses and checks a definition, giving missing step ids a stable
    /// `s1`, `s2`, ... in document order. Errors name the offending path.
    pub fn parse(json: &serde_json::Value) -> Result<Definition, Vec<String>> {
        let mut def: Definition =
            serde_json::from_value(json.clone()).map_err(|e| vec![e.to_string()])?;
        def.assign_ids();
        def.check()?;
        Ok(def)
    }

    fn assign_ids(&mut self) {
        let mut taken: HashSet<String> = HashSet::new();
        visit(&self.steps, &mut |s| {
            if !s.id.is_empty() {
                taken.insert(s.id.clone());
            }
        });
        let mut n = 0;
        fn fill(steps: &mut [Step], taken: &mut HashSet<String>, n: &mut usize) {
            for s in steps {
                if s.id.is_empty() {
                    loop {
                        *n += 1;
                        let id = format!("s{n}");
                        if taken.insert(id.clone()) {
                            s.id = id;
                            break;
                        }
                    }
                }
                for b in s.action.branches_mut() {
                    fill(b, taken, n);
                }
            }
        }
        fill(&mut self.steps, &mut taken, &mut n);
    }

    /// The step with this id anywhere in the tree.
    pub fn step(&self, id: &str) -> Option<&Step> {
        find(&self.steps, id)
    }

    /// The first step, if any.
    pub fn first_step(&self) -> Option<&str> {
        self.steps.first().map(|s| s.id.as_str())
    }

    /// For each step id, the step that follows it when it finishes without
    /// taking a branch (the next sibling, else whatever follows the
    /// enclosing branch; `None` = the workflow ends).
    pub fn successors(&self) -> HashMap<String, Option<String>> {
        let mut map = HashMap::new();
        fn walk(steps: &[Step], cont: Option<&str>, map: &mut HashMap<String, Option<String>>) {
            for (i, s) in steps.iter().enumerate() {
                let next = steps.get(i + 1).map(|n| n.id.as_str()).or(cont);
                map.insert(s.id.clone(), next.map(str::to_string));
                for b in s.action.branches() {
                    walk(b, next, map);
                }
            }
        }
        walk(&self.steps, None, &mut map);
        map
    }

    /// The step after `id` when it finishes normally.
    pub fn next_after(&self, id: &str) -> Option<String> {
        self.successors().get(id).cloned().flatten()
    }

    /// Where a branch of step `id` starts: its first step, or (empty
    /// branch) the step after `id`.
    pub fn branch_entry(&self, id: &str, branch: &[Step]) -> Option<String> {
        branch
            .first()
            .map(|s| s.id.clone())
            .or_else(|| self.next_after(id))
    }

    /// Event kinds this workflow must hear about: its trigger, its exit
    /// goals, the events its steps wait for, and call outcomes.
    pub fn listened_kinds(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        if let Some(k) = self.trigger.kind.event_kind() {
            out.push((k, "trigger"));
        }
        if matches!(self.trigger.kind, TriggerKind::AppointmentRelative { .. }) {
            out.push((EventKind::AppointmentCancelled.as_str().into(), "exit"));
            // A rescheduled appointment moves the step still waiting for
            // its moment (the engine's `follow` role).
            out.push((EventKind::AppointmentRescheduled.as_str().into(), "follow"));
        }
        for m in &self.exit_on {
            if let Ok(k) = m.to_kind()
                && let Some(kind) = k.event_kind()
            {
                out.push((kind, "exit"));
            }
        }
        visit(&self.steps, &mut |s| match &s.action {
            Action::WaitForEvent { event, .. } => {
                if let Ok(k) = event.to_kind()
                    && let Some(kind) = k.event_kind()
                {
                    out.push((kind, "wait"));
                }
            }
            Action::VoiceCall { .. } => {
                out.push((EventKind::CallCompleted.as_str().into(), "wait"))
            }
            _ => {}
        });
        out.sort();
        out.dedup();
        out
    }

    /// Exit goals as trigger kinds (unknown names were refused by
    /// [`Definition::check`]).
    pub fn exit_kinds(&self) -> Vec<TriggerKind> {
        let mut out: Vec<TriggerKind> = self
            .exit_on
            .iter()
            .filter_map(|m| m.to_kind().ok())
            .collect();
        if matches!(self.trigger.kind, TriggerKind::AppointmentRelative { .. }) {
            out.push(TriggerKind::AppointmentCancelled);
        }
        out
    }

    /// Records this definition points at.
    pub fn references(&self) -> References {
        let mut r = References::default();
        match &self.trigger.kind {
            TriggerKind::StageChanged {
                pipeline_id,
                from_stage_id,
                to_stage_id,
            } => {
                r.pipeline_ids.extend(pipeline_id.clone());
                r.stage_ids.extend(from_stage_id.clone());
                r.stage_ids.extend(to_stage_id.clone());
            }
            TriggerKind::FormSubmitted { form_id } => r.form_ids.extend(form_id.clone()),
            TriggerKind::TagAdded { tag } | TriggerKind::TagRemoved { tag } => {
                r.tags.push(tag.clone())
            }
            _ => {}
        }
        if let Some(f) = &self.trigger.filter {
            f.tags(&mut r.tags);
        }
        visit(&self.steps, &mut |s| match &s.action {
            Action::SendEmail { template_id, .. }
            | Action::SendSms { template_id, .. }
            | Action::SendWhatsapp { template_id, .. } => {
                r.template_ids.extend(template_id.clone())
            }
            Action::AddTag { tag } | Action::RemoveTag { tag } => r.tags.push(tag.clone()),
            Action::MoveToStage { stage_id } => r.stage_ids.push(stage_id.clone()),
            Action::CreateTask { assignee_id, .. } => r.user_ids.extend(assignee_id.clone()),
            Action::SetField { field, .. } => {
                if let Some(k) = field.strip_prefix("custom.") {
                    r.custom_fields.push(k.to_string())
                }
            }
            Action::EnrollIn { workflow_id } | Action::RemoveFrom { workflow_id } => {
                r.workflow_ids.push(workflow_id.clone())
            }
            Action::IfElse { condition, .. } => condition.tags(&mut r.tags),
            _ => {}
        });
        r
    }

    /// Channels the steps send through.
    pub fn channels(&self) -> ChannelUse {
        let mut c = ChannelUse::default();
        visit(&self.steps, &mut |s| match &s.action {
            Action::SendEmail { .. } | Action::NotifyTeam { email: true, .. } => c.email = true,
            Action::SendSms { .. } => c.sms = true,
            Action::SendWhatsapp { fallback_sms, .. } => {
                c.whatsapp = true;
                c.sms |= *fallback_sms;
            }
            Action::VoiceCall { .. } => c.voice = true,
            Action::Webhook { .. } => c.webhook = true,
            Action::KommoSync => c.kommo = true,
            _ => {}
        });
        c
    }

    /// The channels on which the steps write to the contact themselves
    /// (not to the team, not to other systems), in a fixed order: what a
    /// lead would receive twice if two workflows did it for one event.
    pub fn contact_channels(&self) -> Vec<&'static str> {
        let mut used = [false; 4];
        visit(&self.steps, &mut |s| match &s.action {
            Action::SendEmail { .. } => used[0] = true,
            Action::SendSms { .. } => used[1] = true,
            Action::SendWhatsapp { .. } => used[2] = true,
            Action::VoiceCall { .. } => used[3] = true,
            _ => {}
        });
        ["email", "sms", "whatsapp", "voice"]
            .into_iter()
            .zip(used)
            .filter_map(|(c, u)| u.then_some(c))
            .collect()
    }

    /// Every step in document order (for lists and counts).
    pub fn all_steps(&self) -> Vec<&Step> {
        let mut out = Vec::new();
        fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a Step>) {
            for s in steps {
                out.push(s);
                for b in s.action.branches() {
                    walk(b, out);
                }
            }
        }
        walk(&self.steps, &mut out);
        out
    }
}

fn find<'a>(steps: &'a [Step], id: &str) -> Option<&'a Step> {
    for s in steps {
        if s.id == id {
            return Some(s);
        }
        for b in s.action.branches() {
            if let Some(f) = find(b, id) {
                return Some(f);
            }
        }
    }
    None
}

fn visit<'a>(steps: &'a [Step], f: &mut impl FnMut(&'a Step)) {
    for s in steps {
        f(s);
        for b in s.action.branches() {
            visit(b, f);
        }
    }
}
