//! Tests of definitions: parsing, walking, checks, waits and conditions.

use super::*;
use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde_json::json;
use std::collections::HashSet;

fn def(v: serde_json::Value) -> Definition {
    Definition::parse(&v).expect("valid")
}

#[test]
fn parses_the_contract_example_and_assigns_ids() {
    let d = def(
        json!({"name": "Bienvenida", "trigger": {"type": "lead_created"},
        "steps": [{"type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "..."},
                  {"type": "wait", "days": 2}, {"type": "send_sms", "body": "..."}],
        "exit_on": ["appointment_booked"], "active": true}),
    );
    let ids: Vec<_> = d.all_steps().iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids, ["s1", "s2", "s3"]);
    assert_eq!(d.next_after("s1").as_deref(), Some("s2"));
    assert_eq!(d.next_after("s3"), None);
    assert_eq!(d.exit_kinds(), vec![TriggerKind::AppointmentBooked]);
    assert!(
        d.listened_kinds()
            .contains(&("appointment.booked".into(), "exit"))
    );
}

#[test]
fn branches_continue_after_their_parent() {
    let d = def(
        json!({"name": "x", "trigger": {"type": "lead_created"}, "steps": [
        {"id": "call", "type": "voice_call", "say": "Hola"},
        {"id": "branch", "type": "if_else", "condition": {"type": "outcome", "in": ["no_answer"]},
         "then": [{"id": "wa", "type": "send_whatsapp", "body": "x"}], "else": []},
        {"id": "end", "type": "add_tag", "tag": "done"}]}),
    );
    assert_eq!(d.next_after("wa").as_deref(), Some("end"));
    let Action::IfElse { else_steps, .. } = &d.step("branch").expect("step").action else {
        panic!("if_else")
    };
    assert_eq!(d.branch_entry("branch", else_steps).as_deref(), Some("end"));
}

#[test]
fn refuses_bad_shapes_with_paths() {
    let e = Definition::parse(
        &json!({"name": "", "trigger": {"type": "tag_added", "tag": ""},
        "steps": [{"id": "a", "type": "wait"}, {"id": "a", "type": "send_sms", "body": "{{ x"}],
        "exit_on": ["nope"]}),
    )
    .expect_err("invalid");
    let all = e.join("\n");
    assert!(all.contains("name: required"), "{all}");
    assert!(all.contains("trigger.tag: required"), "{all}");
    assert!(all.contains("steps[0]: a wait needs"), "{all}");
    assert!(all.contains("\"a\" is used twice"), "{all}");
    assert!(all.contains("steps[1].body"), "{all}");
    assert!(all.contains("exit_on[0]"), "{all}");
    assert!(Definition::parse(&json!({"name": "x", "trigger": {"type": "bogus"}})).is_err());
}

#[test]
fn triggers_match_their_parameters() {
    let t = TriggerKind::ScoreReached {
        threshold: 70,
        threshold_name: None,
    };
    assert!(t.matches("contact.score_changed", &json!({"old": 60, "new": 75})));
    assert!(!t.matches("contact.score_changed", &json!({"old": 75, "new": 80})));
    assert!(!t.matches("contact.score_changed", &json!({"old": 80, "new": 60})));
    let hot: TriggerKind =
        serde_json::from_value(json!({"type": "score_reached", "threshold_name": "Hot Lead"}))
            .expect("named threshold");
    assert_eq!(hot.event_kind().as_deref(), Some("score.threshold_entered"));
    assert!(hot.matches(
        "score.threshold_entered",
        &json!({"name": "hot lead", "score": 71})
    ));
    assert!(!hot.matches("score.threshold_entered", &json!({"name": "Cold"})));
    assert!(!hot.matches("contact.score_changed", &json!({"old": 60, "new": 75})));
    assert_eq!(
        serde_json::to_value(&hot).ok(),
        Some(json!({"type": "score_reached", "threshold_name": "Hot Lead"}))
    );
    let t = TriggerKind::TagAdded { tag: "VIP".into() };
    assert!(t.matches("tag.added", &json!({"tag": "vip"})));
    assert!(!t.matches("tag.removed", &json!({"tag": "vip"})));
    let t = TriggerKind::StageChanged {
        pipeline_id: None,
        from_stage_id: None,
        to_stage_id: Some("abc".into()),
    };
    assert!(t.matches("deal.stage_changed", &json!({"to_stage_id": "abc"})));
    assert!(!t.matches("deal.stage_changed", &json!({"to_stage_id": "xyz"})));
    let t = TriggerKind::CustomEvent {
        name: "paid".into(),
    };
    assert!(t.matches("custom.paid", &json!({})));
}

#[test]
fn conditions() {
    let data = json!({"contact": {"company": "Acme", "custom": {"plan": "gold"}}, "event": {}});
    let tags: HashSet<String> = ["vip".to_string()].into();
    let f = Facts {
        data: &data,
        tags: &tags,
        score: 72,
        last_outcome: Some("no_answer"),
    };
    let c = |v: serde_json::Value| {
        serde_json::from_value::<Condition>(v)
            .expect("cond")
            .eval(&f)
    };
    assert!(c(
        json!({"type": "field", "field": "contact.company", "value": "acme"})
    ));
    assert!(c(
        json!({"type": "field", "field": "contact.custom.plan", "op": "contains", "value": "OL"})
    ));
    assert!(c(
        json!({"type": "field", "field": "contact.email", "op": "empty"})
    ));
    assert!(c(json!({"type": "has_tag", "tag": "VIP"})));
    assert!(c(json!({"type": "score", "op": "gte", "value": 70})));
    assert!(!c(json!({"type": "score", "op": "lt", "value": 70})));
    assert!(c(json!({"type": "outcome", "in": ["no_answer", "busy"]})));
    assert!(c(
        json!({"type": "not", "condition": {"type": "has_tag", "tag": "x"}})
    ));
    assert!(!c(
        json!({"type": "all", "conditions": [{"type": "has_tag", "tag": "vip"}, {"type": "has_tag", "tag": "x"}]})
    ));
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("ts")
}

#[test]
fn waits_keep_local_time_across_dst() {
    // America/Santiago leaves DST on the night of 2026-04-04/05.
    let tz = TimeZone::get("America/Santiago").expect("tz");
    let w = Wait {
        days: 2,
        ..Default::default()
    };
    let start = ts("2026-04-03T13:00:00Z"); // 10:00 local (UTC-3)
    let end = w
        .ends_at(start, &tz, &BusinessHours::default())
        .expect("end");
    assert_eq!(end.to_zoned(tz.clone()).time(), Time::constant(10, 0, 0, 0));
    assert_eq!(end, ts("2026-04-05T14:00:00Z")); // 10:00 local (UTC-4)
}

#[test]
fn until_time_in_the_zone_and_business_hours() {
    let tz = TimeZone::get("America/Mexico_City").expect("tz");
    let w = Wait {
        until_time: Some("09:00".into()),
        ..Default::default()
    };
    // 20:00 local Friday → 09:00 Saturday.
    let end = w
        .ends_at(ts("2026-03-07T02:00:00Z"), &tz, &BusinessHours::default())
        .expect("end");
    assert_eq!(end, ts("2026-03-07T15:00:00Z"));
    // Business hours: Saturday 09:00 → Monday 09:00.
    let w = Wait {
        until_time: Some("09:00".into()),
        business_hours: true,
        ..Default::default()
    };
    let end = w
        .ends_at(ts("2026-03-07T02:00:00Z"), &tz, &BusinessHours::default())
        .expect("end");
    assert_eq!(end, ts("2026-03-09T15:00:00Z"));
    // 02:30 does not exist in New York on 2026-03-08: the instant after the gap.
    let ny = TimeZone::get("America/New_York").expect("tz");
    let w = Wait {
        until_time: Some("02:30".into()),
        ..Default::default()
    };
    let end = w
        .ends_at(ts("2026-03-08T05:00:00Z"), &ny, &BusinessHours::default())
        .expect("end");
    assert_eq!(end, ts("2026-03-08T07:30:00Z"));
}

#[test]
fn references_and_channels() {
    let d = def(
        json!({"name": "x", "trigger": {"type": "tag_added", "tag": "lead"}, "steps": [
        {"type": "move_to_stage", "stage_id": "st"}, {"type": "send_whatsapp", "body": "x"},
        {"type": "set_field", "field": "custom.plan", "value": "gold"}]}),
    );
    let r = d.references();
    assert_eq!(r.stage_ids, ["st"]);
    assert_eq!(r.tags, ["lead"]);
    assert_eq!(r.custom_fields, ["plan"]);
    let c = d.channels();
    assert!(c.whatsapp && c.sms && !c.email);
}
