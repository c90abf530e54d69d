//! Activities and lead scoring, the pure half (issue 17, SPEC C7): which
//! activity types exist, what an activity's data must hold, what a scoring
//! rule is and whether it matches an activity, and how caps and the floor
//! clamp the points a rule gives. The database half (`af_db::scoring`)
//! writes the ledger these rules decide.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The activity types the product knows; any other `[a-z0-9_.]{1,64}` is a
/// workspace's custom type, accepted without registering it.
pub const BUILT_IN_TYPES: &[&str] = &[
    "visit",
    "class_booked",
    "appointment_attended",
    "purchase",
    "email_opened",
    "email_clicked",
    "message_replied",
    "form_submitted",
    "appointment_booked",
];

/// The `on.type` of a decay rule: it matches no activity, the decay job
/// applies it to contacts without recent engagement.
pub const INACTIVITY: &str = "inactivity";

/// Activity types that count as engagement for decay: a contact with none
/// of these in a decay rule's period is inactive.
pub const ENGAGEMENT_TYPES: &[&str] =
    &["message_replied", "email_opened", "email_clicked", "visit"];

/// Whether `t` is the first visit's type (it also writes `contact.first_visit`).
pub const VISIT: &str = "visit";

/// Largest data object of one activity, as JSON text.
pub const MAX_DATA_BYTES: usize = 16 * 1024;

/// Checks an activity type: lowercase letters, digits, `_` and `.`, 1 to
/// 64 characters.
pub fn check_type(t: &str) -> Result<(), String> {
    let ok = !t.is_empty()
        && t.len() <= 64
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err("must be 1 to 64 lowercase letters, digits, '_' or '.'".into())
    }
}

/// Checks an activity's data for its type (a field name and a message on
/// error). A purchase carries `amount` in integer minor units and an ISO
/// 4217 `currency`; every type's data is a JSON object of bounded size.
pub fn check_data(t: &str, data: &Value) -> Result<(), (&'static str, String)> {
    let Some(obj) = data.as_object() else {
        return Err(("data", "must be a JSON object".into()));
    };
    if data.to_string().len() > MAX_DATA_BYTES {
        return Err(("data", format!("must be at most {MAX_DATA_BYTES} bytes")));
    }
    if t == "purchase" {
        let amount = obj.get("amount").ok_or((
            "data.amount",
            "a purchase needs an amount (integer minor units)".to_string(),
        ))?;
        crate::money::minor_from_json(amount).map_err(|m| ("data.amount", m))?;
        let currency = obj.get("currency").and_then(Value::as_str).unwrap_or("");
        if !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err((
                "data.currency",
                "a purchase needs an ISO 4217 currency code (e.g. MXN)".into(),
            ));
        }
    }
    Ok(())
}

/// Which score a rule feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Who the contact is (company size, plan...).
    Fit,
    /// What the contact does (visits, opens, replies).
    Engagement,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Fit => "fit",
            Group::Engagement => "engagement",
        }
    }

    pub fn parse(s: &str) -> Option<Group> {
        match s {
            "fit" => Some(Group::Fit),
            "engagement" => Some(Group::Engagement),
            _ => None,
        }
    }
}

/// How often a rule scores one contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every matching activity.
    Always,
    /// The first matching activity only.
    Once,
    /// At most once per this many days.
    EveryDays(i32),
}

impl Frequency {
    /// The stored `(frequency, every_days)` pair.
    pub fn stored(self) -> (&'static str, Option<i32>) {
        match self {
            Frequency::Always => ("always", None),
            Frequency::Once => ("once", None),
            Frequency::EveryDays(n) => ("every_days", Some(n)),
        }
    }

    /// Reads the stored pair back (an unknown value reads as `Always`:
    /// the CHECK constraint allows no other).
    pub fn from_stored(f: &str, every_days: Option<i32>) -> Frequency {
        match (f, every_days) {
            ("once", _) => Frequency::Once,
            ("every_days", Some(n)) => Frequency::EveryDays(n),
            _ => Frequency::Always,
        }
    }

    /// The API form: `"always"`, `"once"` or `{"every_days": N}`.
    pub fn to_json(self) -> Value {
        match self {
            Frequency::Always => Value::from("always"),
            Frequency::Once => Value::from("once"),
            Frequency::EveryDays(n) => serde_json::json!({ "every_days": n }),
        }
    }

    /// Reads the API form.
    pub fn from_json(v: &Value) -> Result<Frequency, String> {
        match v {
            Value::String(s) if s == "always" => Ok(Frequency::Always),
            Value::String(s) if s == "once" => Ok(Frequency::Once),
            Value::Object(o) => match o.get("every_days").and_then(Value::as_i64) {
                Some(n) if (1..=3650).contains(&n) => Ok(Frequency::EveryDays(n as i32)),
                _ => Err("every_days must be a whole number of days from 1 to 3650".into()),
            },
            _ => Err(r#"must be "always", "once" or {"every_days": N}"#.into()),
        }
    }
}

/// Largest magnitude of a rule's points.
pub const MAX_POINTS: i64 = 10_000;

/// A rule as a client writes it (`POST /api/v1/scoring/rules`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Visited the pricing page",
    "on": {"type": "page_view", "filter": {"path": "/pricing"}},
    "points": 10,
    "frequency": "always",
    "group": "engagement",
    "active": true
}))]
pub struct RawRule {
    /// 1 to 120 characters.
    #[schema(example = "Visited the pricing page")]
    pub name: Option<String>,
    pub on: Option<RawOn>,
    /// A non-zero whole number from -10000 to 10000.
    #[schema(value_type = Option<i64>, example = 10)]
    pub points: Option<Value>,
    /// `"always"` (default), `"once"` or `{"every_days": N}`.
    #[schema(example = "always")]
    pub frequency: Option<Value>,
    /// `fit` or `engagement` (default).
    #[schema(example = "engagement")]
    pub group: Option<String>,
    pub active: Option<bool>,
}

/// The activities a rule scores.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOn {
    /// The activity type, e.g. `page_view`.
    #[serde(rename = "type")]
    #[schema(example = "page_view")]
    pub kind: Option<String>,
    /// Values the activity's `data` must have, e.g. `{"path": "/pricing"}`.
    #[schema(value_type = Option<Object>, example = json!({"path": "/pricing"}))]
    pub filter: Option<Value>,
}

/// A checked rule, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    pub name: String,
    pub on_type: String,
    pub filter: Map<String, Value>,
    pub points: i64,
    pub frequency: Frequency,
    pub group: Group,
    pub active: bool,
}

/// Checks a whole rule; every problem is reported as (field, message).
pub fn validate_rule(raw: &RawRule) -> Result<RuleSpec, Vec<(String, String)>> {
    let mut errs: Vec<(String, String)> = Vec::new();
    let name = raw.name.as_deref().map(str::trim).unwrap_or("");
    if name.is_empty() || name.chars().count() > 120 {
        errs.push((
            "name".into(),
            "a name of 1 to 120 characters is required".into(),
        ));
    }
    let on_type = raw
        .on
        .as_ref()
        .and_then(|o| o.kind.as_deref())
        .unwrap_or("");
    if let Err(m) = check_type(on_type) {
        errs.push((
            "on.type".into(),
            format!("an activity type is required: {m}"),
        ));
    }
    let filter = match raw.on.as_ref().and_then(|o| o.filter.clone()) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => {
            if let Err(msg) = check_filter(&m) {
                errs.push(("on.filter".into(), msg));
            }
            m
        }
        Some(_) => {
            errs.push(("on.filter".into(), "must be an object of data keys".into()));
            Map::new()
        }
    };
    let points = match raw.points.as_ref().and_then(Value::as_i64) {
        Some(p) if p != 0 && p.unsigned_abs() <= MAX_POINTS.unsigned_abs() => p,
        _ => {
            errs.push((
                "points".into(),
                format!("must be a non-zero whole number between -{MAX_POINTS} and {MAX_POINTS}"),
            ));
            0
        }
    };
    let frequency = match raw.frequency.as_ref() {
        None => Frequency::Always,
        Some(v) => Frequency::from_json(v).unwrap_or_else(|m| {
            errs.push(("frequency".into(), m));
            Frequency::Always
        }),
    };
    if on_type == INACTIVITY && !matches!(frequency, Frequency::EveryDays(_)) {
        errs.push((
            "frequency".into(),
            r#"an inactivity rule needs {"every_days": N} (its period)"#.into(),
        ));
    }
    let group = match raw.group.as_deref() {
        None => Group::Engagement,
        Some(g) => Group::parse(g).unwrap_or_else(|| {
            errs.push(("group".into(), r#"must be "fit" or "engagement""#.into()));
            Group::Engagement
        }),
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(RuleSpec {
        name: name.to_string(),
        on_type: on_type.to_string(),
        filter,
        points,
        frequency,
        group,
        active: raw.active.unwrap_or(true),
    })
}

/// A filter is an object of data keys: a value to equal, or `{"gte": n}` /
/// `{"lte": n}` (either or both) for numbers.
pub fn check_filter(f: &Map<String, Value>) -> Result<(), String> {
    if f.len() > 20 {
        return Err("at most 20 keys".into());
    }
    for (k, v) in f {
        if let Value::Object(o) = v {
            let ok = !o.is_empty()
                && o.iter()
                    .all(|(op, n)| (op == "gte" || op == "lte") && n.is_number());
            if !ok {
                return Err(format!(
                    r#"{k}: an object must be {{"gte": number}} and / or {{"lte": number}}"#
                ));
            }
        } else if v.is_array() {
            return Err(format!("{k}: lists are not supported"));
        }
    }
    Ok(())
}

/// Whether an activity's data passes a rule's filter.
pub fn filter_matches(filter: &Map<String, Value>, data: &Value) -> bool {
    filter.iter().all(|(k, want)| {
        let got = data.get(k);
        match want {
            Value::Object(ops) => {
                let Some(n) = got.and_then(number_of) else {
                    return false;
                };
                ops.iter().all(|(op, bound)| {
                    let Some(b) = bound.as_f64() else {
                        return false;
                    };
                    match op.as_str() {
                        "gte" => n >= b,
                        "lte" => n <= b,
                        _ => false,
                    }
                })
            }
            Value::String(s) => got.is_some_and(|g| match g {
                Value::String(g) => g == s,
                Value::Bool(b) => s == if *b { "true" } else { "false" },
                Value::Number(n) => s.trim().parse::<f64>().ok() == n.as_f64(),
                _ => false,
            }),
            other => {
                got.is_some_and(|g| g == other || number_of(g) == number_of(other) && g.is_number())
            }
        }
    })
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The caps and floor of a workspace's scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    pub fit_cap: Option<i64>,
    pub engagement_cap: Option<i64>,
    pub total_cap: Option<i64>,
    pub floor: i64,
}

/// A contact's cached scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Scores {
    pub total: i64,
    pub fit: i64,
    pub engagement: i64,
}

/// The points actually applied when a rule gives `points` to a contact
/// standing at `now`: a gain stops at the group's cap and the total cap
/// (never negative: a score already above a lowered cap keeps it), a loss
/// stops at the floor (never positive).
pub fn clamp(points: i64, group: Group, now: Scores, limits: &Limits) -> i64 {
    if points > 0 {
        let (cap, current) = match group {
            Group::Fit => (limits.fit_cap, now.fit),
            Group::Engagement => (limits.engagement_cap, now.engagement),
        };
        let mut p = points;
        if let Some(cap) = cap {
            p = p.min((cap - current).max(0));
        }
        if let Some(cap) = limits.total_cap {
            p = p.min((cap - now.total).max(0));
        }
        p
    } else {
        points.max((limits.floor - now.total).min(0))
    }
}

/// Which threshold move a score change makes (hysteresis: enter at
/// `score >= enter`, leave at `score <= exit`, nothing in between).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// Crossed `enter` upwards: enter unless already inside.
    MayEnter,
    /// Crossed `exit` downwards: leave if inside.
    MayExit,
    None,
}

/// What a change from `old` to `new` may do to a threshold's membership.
/// A contact can only be inside above `exit` and outside below `enter`, so
/// only crossings need a look at the membership.
pub fn crossing(old: i64, new: i64, enter: i64, exit: i64) -> Crossing {
    if old < enter && new >= enter {
        Crossing::MayEnter
    } else if old > exit && new <= exit {
        Crossing::MayExit
    } else {
        Crossing::None
    }
}

/// Checks a threshold's name and values.
pub fn validate_threshold(
    name: Option<&str>,
    enter: Option<i64>,
    exit: Option<i64>,
) -> Result<(String, i64, i64), Vec<(String, String)>> {
    let mut errs = Vec::new();
    let name = name.map(str::trim).unwrap_or("");
    if name.is_empty() || name.chars().count() > 120 {
        errs.push((
            "name".into(),
            "a name of 1 to 120 characters is required".into(),
        ));
    }
    let bound = |v: Option<i64>| v.filter(|n| n.unsigned_abs() <= 1_000_000);
    let (enter, exit) = (bound(enter), bound(exit));
    if enter.is_none() {
        errs.push(("enter".into(), "a whole number is required".into()));
    }
    if exit.is_none() {
        errs.push(("exit".into(), "a whole number is required".into()));
    }
    if let (Some(e), Some(x)) = (enter, exit)
        && e <= x
    {
        errs.push(("exit".into(), "must be lower than enter".into()));
    }
    match (errs.is_empty(), enter, exit) {
        (true, Some(e), Some(x)) => Ok((name.to_string(), e, x)),
        _ => Err(errs),
    }
}

/// The start (a local date) of the decay period that `today` falls in, for
/// periods of `days` days counted from Monday 1970-01-05, so weekly
/// periods start on Mondays in the workspace's zone.
pub fn period_start(today: jiff::civil::Date, days: i32) -> jiff::civil::Date {
    let origin = jiff::civil::date(1970, 1, 5);
    let days = i64::from(days.max(1));
    let since = i64::from((today - origin).get_days());
    let start = since.div_euclid(days) * days;
    origin
        .checked_add(jiff::Span::new().days(start))
        .unwrap_or(today)
}

/// A rule as a recalculation replays it.
#[derive(Debug, Clone)]
pub struct ReplayRule {
    pub on_type: String,
    pub filter: Map<String, Value>,
    pub points: i64,
    pub frequency: Frequency,
    pub group: Group,
}

/// An activity as a recalculation replays it.
#[derive(Debug, Clone)]
pub struct ReplayActivity {
    pub kind: String,
    pub occurred_at: jiff::Timestamp,
    pub data: Value,
}

/// One ledger line a replay gives: rule `rule` (an index into the rules)
/// scored activity `activity` (an index into the activities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayLine {
    pub rule: usize,
    pub activity: usize,
    /// After caps and floor.
    pub points: i64,
}

/// Scores a contact's activities again under the current rules, oldest
/// first, starting from the scores of the lines no activity made (decay,
/// workflow steps): what "recalculate" writes in place of the activity
/// lines. Frequencies hold as when recording — `once` scores the first
/// matching activity, `every_days` skips an activity less than N days
/// after the rule's previous line (N days or more is due) — but measured on `occurred_at`, since
/// a replay runs long after the facts.
pub fn replay(
    rules: &[ReplayRule],
    limits: &Limits,
    start: Scores,
    activities: &[ReplayActivity],
) -> (Vec<ReplayLine>, Scores) {
    let mut scores = start;
    let mut last: Vec<Option<jiff::Timestamp>> = vec![None; rules.len()];
    let mut order: Vec<usize> = (0..activities.len()).collect();
    order.sort_by_key(|&i| activities[i].occurred_at);
    let mut lines = Vec::new();
    for i in order {
        let a = &activities[i];
        for (r, rule) in rules.iter().enumerate() {
            if rule.on_type != a.kind || !filter_matches(&rule.filter, &a.data) {
                continue;
            }
            let due = match (rule.frequency, last[r]) {
                (_, None) | (Frequency::Always, _) => true,
                (Frequency::Once, Some(_)) => false,
                (Frequency::EveryDays(n), Some(prev)) => {
                    a.occurred_at.duration_since(prev)
                        >= jiff::SignedDuration::from_hours(24 * i64::from(n))
                }
            };
            if !due {
                continue;
            }
            last[r] = Some(a.occurred_at);
            let points = clamp(rule.points, rule.group, scores, limits);
            scores.total += points;
            match rule.group {
                Group::Fit => scores.fit += points,
                Group::Engagement => scores.engagement += points,
            }
            lines.push(ReplayLine {
                rule: r,
                activity: i,
                points,
            });
        }
    }
    (lines, scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(on: &str, points: i64, frequency: Frequency) -> ReplayRule {
        ReplayRule {
            on_type: on.into(),
            filter: Map::new(),
            points,
            frequency,
            group: Group::Engagement,
        }
    }

    fn act(kind: &str, day: i64) -> ReplayActivity {
        ReplayActivity {
            kind: kind.into(),
            occurred_at: jiff::Timestamp::from_second(1_800_000_000 + day * 86_400)
                .expect("instant"),
            data: json!({}),
        }
    }

    #[test]
    fn replay_keeps_frequencies_on_occurred_at() {
        let rules = [
            rule("visit", 10, Frequency::Always),
            rule("visit", 5, Frequency::Once),
            rule("visit", 3, Frequency::EveryDays(7)),
        ];
        // Given out of order: the replay sorts by occurred_at.
        let acts = [
            act("visit", 8),
            act("visit", 0),
            act("visit", 3),
            act("purchase", 1),
        ];
        let (lines, scores) = replay(&rules, &Limits::default(), Scores::default(), &acts);
        let of = |r: usize| {
            lines
                .iter()
                .filter(|l| l.rule == r)
                .map(|l| l.activity)
                .collect::<Vec<_>>()
        };
        assert_eq!(of(0), vec![1, 2, 0]);
        assert_eq!(of(1), vec![1]);
        assert_eq!(
            of(2),
            vec![1, 0],
            "day 3 is within 7 days of day 0, day 8 is not"
        );
        assert_eq!(scores.total, 30 + 5 + 6);
        assert_eq!(scores.engagement, scores.total);
    }

    #[test]
    fn replay_clamps_from_the_kept_lines() {
        let rules = [rule("visit", 10, Frequency::Always)];
        let limits = Limits {
            total_cap: Some(25),
            ..Limits::default()
        };
        let start = Scores {
            total: 8,
            fit: 0,
            engagement: 8,
        };
        let (lines, scores) = replay(
            &rules,
            &limits,
            start,
            &[act("visit", 0), act("visit", 1), act("visit", 2)],
        );
        assert_eq!(
            lines.iter().map(|l| l.points).collect::<Vec<_>>(),
            vec![10, 7, 0]
        );
        assert_eq!(scores.total, 25);
    }

    #[test]
    fn types() {
        assert!(check_type("visit").is_ok());
        assert!(check_type("yoga.class_2").is_ok());
        assert!(check_type("").is_err());
        assert!(check_type("Visit").is_err());
        assert!(check_type("a b").is_err());
        assert!(check_type(&"a".repeat(65)).is_err());
    }

    #[test]
    fn purchases_need_money() {
        assert!(check_data("purchase", &json!({"amount": 5000, "currency": "MXN"})).is_ok());
        assert_eq!(
            check_data("purchase", &json!({"currency": "MXN"}))
                .err()
                .map(|e| e.0),
            Some("data.amount")
        );
        assert_eq!(
            check_data("purchase", &json!({"amount": 1.5, "currency": "MXN"}))
                .err()
                .map(|e| e.0),
            Some("data.amount")
        );
        assert_eq!(
            check_data("purchase", &json!({"amount": 10, "currency": "mxn"}))
                .err()
                .map(|e| e.0),
            Some("data.currency")
        );
        assert!(check_data("visit", &json!([])).is_err());
        assert!(check_data("visit", &json!({})).is_ok());
    }

    #[test]
    fn filters_equal_and_compare() {
        let f = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert!(filter_matches(&f(json!({})), &json!({})));
        assert!(filter_matches(
            &f(json!({"form_id": "a"})),
            &json!({"form_id": "a", "x": 1})
        ));
        assert!(!filter_matches(
            &f(json!({"form_id": "a"})),
            &json!({"form_id": "b"})
        ));
        assert!(!filter_matches(&f(json!({"form_id": "a"})), &json!({})));
        let big = f(json!({"amount": {"gte": 5000}}));
        assert!(filter_matches(&big, &json!({"amount": 5000})));
        assert!(!filter_matches(&big, &json!({"amount": 4999})));
        assert!(!filter_matches(&big, &json!({"amount": "lots"})));
        let band = f(json!({"amount": {"gte": 10, "lte": 20}}));
        assert!(filter_matches(&band, &json!({"amount": 15})));
        assert!(!filter_matches(&band, &json!({"amount": 21})));
        assert!(filter_matches(&f(json!({"n": 3})), &json!({"n": 3})));
        assert!(filter_matches(
            &f(json!({"ok": true})),
            &json!({"ok": true})
        ));
        assert!(check_filter(&f(json!({"a": {"gt": 1}}))).is_err());
        assert!(check_filter(&f(json!({"a": [1]}))).is_err());
    }

    #[test]
    fn rules_validate_every_field() {
        let raw: RawRule = serde_json::from_value(json!({
            "name": "Big purchase", "on": {"type": "purchase", "filter": {"amount": {"gte": 5000}}},
            "points": 25, "frequency": {"every_days": 7}, "group": "fit"}))
        .unwrap_or_default();
        let r = validate_rule(&raw).expect("valid");
        assert_eq!(
            (r.points, r.frequency, r.group),
            (25, Frequency::EveryDays(7), Group::Fit)
        );
        let bad: RawRule = serde_json::from_value(json!({
            "name": "", "on": {"type": "No"}, "points": 0, "frequency": "sometimes", "group": "x"}))
        .unwrap_or_default();
        let fields: Vec<String> = validate_rule(&bad)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(fields, ["name", "on.type", "points", "frequency", "group"]);
        let decay: RawRule = serde_json::from_value(
            json!({"name": "d", "on": {"type": "inactivity"}, "points": -5}),
        )
        .unwrap_or_default();
        assert!(validate_rule(&decay).is_err(), "decay needs a period");
    }

    #[test]
    fn caps_and_floor_clamp_what_is_applied() {
        let limits = Limits {
            fit_cap: Some(50),
            engagement_cap: Some(100),
            total_cap: Some(120),
            floor: 0,
        };
        let s = |fit, engagement| Scores {
            total: fit + engagement,
            fit,
            engagement,
        };
        assert_eq!(clamp(10, Group::Fit, s(45, 0), &limits), 5);
        assert_eq!(
            clamp(10, Group::Fit, s(60, 0), &limits),
            0,
            "above a lowered cap: nothing, never negative"
        );
        assert_eq!(
            clamp(30, Group::Engagement, s(50, 60), &limits),
            10,
            "total cap"
        );
        assert_eq!(clamp(-5, Group::Engagement, s(0, 3), &limits), -3, "floor");
        assert_eq!(clamp(-5, Group::Engagement, s(0, 0), &limits), 0);
        assert_eq!(
            clamp(-5, Group::Engagement, s(0, -2), &limits),
            0,
            "below the floor already: nothing"
        );
        assert_eq!(clamp(7, Group::Fit, s(0, 0), &Limits::default()), 7);
    }

    #[test]
    fn hysteresis_crossings() {
        assert_eq!(crossing(69, 71, 70, 60), Crossing::MayEnter);
        assert_eq!(crossing(71, 69, 70, 60), Crossing::None);
        assert_eq!(crossing(69, 71, 70, 60), Crossing::MayEnter);
        assert_eq!(crossing(71, 59, 70, 60), Crossing::MayExit);
        assert_eq!(crossing(61, 60, 70, 60), Crossing::MayExit);
        assert_eq!(crossing(50, 40, 70, 60), Crossing::None);
        assert!(validate_threshold(Some("Hot"), Some(70), Some(70)).is_err());
        assert_eq!(
            validate_threshold(Some(" Hot "), Some(70), Some(60)),
            Ok(("Hot".into(), 70, 60))
        );
    }

    #[test]
    fn weekly_periods_start_on_mondays() {
        use jiff::civil::date;
        assert_eq!(period_start(date(2026, 12, 7), 7), date(2026, 12, 7));
        assert_eq!(period_start(date(2026, 12, 13), 7), date(2026, 12, 7));
        assert_eq!(period_start(date(2026, 12, 14), 7), date(2026, 12, 14));
        assert_eq!(period_start(date(2026, 12, 9), 1), date(2026, 12, 9));
    }
}
