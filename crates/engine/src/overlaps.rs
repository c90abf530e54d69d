//! Active workflows that would message one lead twice: two (or more) that
//! start on the same trigger and both write to the contact on the same
//! channel. Installing a template twice, or a template beside a hand-made
//! workflow, did exactly that (a new lead got the same welcome email two or
//! three times); the list and the builder now say so before it happens.

use af_core::WorkflowId;
use af_core::workflow::Definition;
use af_db::automations::Workflow;
use std::collections::BTreeMap;

/// Workflows that start on one trigger and all write on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// The trigger's type (`lead_created`, ...).
    pub trigger_type: String,
    /// `email`, `sms`, `whatsapp` or `voice`.
    pub channel: &'static str,
    /// The workflows, by name.
    pub workflows: Vec<(WorkflowId, String)>,
}

/// The overlaps among `workflows` (paused ones and unparseable definitions
/// are ignored). Triggers are the same when their type and parameters are
/// (two `form_submitted` triggers on different forms do not overlap); a
/// trigger filter may still keep them apart, so this is a warning, not a
/// refusal.
pub fn find(workflows: &[Workflow]) -> Vec<Overlap> {
    // (trigger JSON, channel) → (trigger type, workflows).
    type Group = (String, Vec<(WorkflowId, String)>);
    let mut by_key: BTreeMap<(String, &'static str), Group> = BTreeMap::new();
    for w in workflows.iter().filter(|w| w.status == "active") {
        let Ok(def) = serde_json::from_str::<Definition>(&w.definition) else {
            continue;
        };
        let trigger = serde_json::to_string(&def.trigger.kind).unwrap_or_default();
        for channel in def.contact_channels() {
            by_key
                .entry((trigger.clone(), channel))
                .or_insert_with(|| (w.trigger_type.clone(), Vec::new()))
                .1
                .push((w.id, w.name.clone()));
        }
    }
    by_key
        .into_iter()
        .filter(|(_, (_, ws))| ws.len() > 1)
        .map(|((_, channel), (trigger_type, workflows))| Overlap {
            trigger_type,
            channel,
            workflows,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use af_db::Ts;
    use serde_json::json;

    fn wf(name: &str, status: &str, def: serde_json::Value) -> Workflow {
        let parsed = Definition::parse(&def).expect("valid");
        Workflow {
            id: WorkflowId::new(),
            name: name.into(),
            trigger_type: def["trigger"]["type"].as_str().unwrap_or_default().into(),
            status: status.into(),
            current_version: 1,
            template_key: None,
            created_at: Ts::new(jiff::Timestamp::UNIX_EPOCH),
            updated_at: Ts::new(jiff::Timestamp::UNIX_EPOCH),
            definition: serde_json::to_string(&parsed).expect("json"),
        }
    }

    fn email_on(trigger: serde_json::Value) -> serde_json::Value {
        json!({"name": "x", "trigger": trigger, "steps": [
            {"type": "send_email", "subject": "Hola", "body": "Hola"}]})
    }

    #[test]
    fn two_active_welcome_emails_overlap_and_a_paused_one_does_not() {
        let lead = json!({"type": "lead_created"});
        let a = wf("Bienvenida", "active", email_on(lead.clone()));
        let b = wf("Bienvenida (copia)", "active", email_on(lead.clone()));
        let c = wf("En pausa", "paused", email_on(lead.clone()));
        let sms = wf(
            "SMS",
            "active",
            json!({"name": "s", "trigger": lead, "steps": [
            {"type": "send_sms", "body": "Hola"},
            {"type": "notify_team", "message": "nuevo lead", "email": true}]}),
        );
        let found = find(&[a.clone(), b.clone(), c, sms]);
        assert_eq!(
            found,
            vec![Overlap {
                trigger_type: "lead_created".into(),
                channel: "email",
                workflows: vec![(a.id, a.name), (b.id, b.name)],
            }]
        );
    }

    #[test]
    fn different_forms_do_not_overlap() {
        let f1 = WorkflowId::new().to_string();
        let f2 = WorkflowId::new().to_string();
        let a = wf(
            "A",
            "active",
            email_on(json!({"type": "form_submitted", "form_id": f1})),
        );
        let b = wf(
            "B",
            "active",
            email_on(json!({"type": "form_submitted", "form_id": f2})),
        );
        assert_eq!(find(&[a, b]), vec![]);
    }
}
