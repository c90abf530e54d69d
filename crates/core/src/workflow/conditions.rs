//! Yes/no questions about the contact, the trigger's data or the last
//! step's outcome, and evaluating them against [`Facts`].

use super::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A yes/no question about the contact, the trigger's data or the last
/// step's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// `contact.company`, `contact.custom.plan`, `event.to_stage` ...
    Field {
        field: String,
        #[serde(default)]
        op: Op,
        #[serde(default)]
        value: serde_json::Value,
    },
    HasTag {
        tag: String,
    },
    Score {
        #[serde(default)]
        op: Op,
        value: i64,
    },
    /// The previous step's outcome is one of these (`no_answer`, `busy` ...).
    Outcome {
        #[serde(rename = "in")]
        any_of: Vec<String>,
    },
    All {
        conditions: Vec<Condition>,
    },
    Any {
        conditions: Vec<Condition>,
    },
    Not {
        condition: Box<Condition>,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    #[default]
    Eq,
    Ne,
    Contains,
    Empty,
    NotEmpty,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// The largest score and score threshold a definition may name.
pub const MAX_SCORE: i64 = 1_000_000_000;

/// What a condition is evaluated against.
pub struct Facts<'a> {
    /// `{"contact": {...}, "event": {...}}`: looked up by dotted path.
    pub data: &'a serde_json::Value,
    /// Tag keys (see [`crate::contact::tag_key`]).
    pub tags: &'a HashSet<String>,
    pub score: i64,
    pub last_outcome: Option<&'a str>,
}

impl Condition {
    pub fn eval(&self, f: &Facts<'_>) -> bool {
        match self {
            Condition::Field { field, op, value } => {
                let got = lookup(f.data, field);
                compare(got, *op, value)
            }
            Condition::HasTag { tag } => f.tags.contains(&crate::contact::tag_key(tag)),
            Condition::Score { op, value } => compare(
                Some(&serde_json::json!(f.score)),
                *op,
                &serde_json::json!(value),
            ),
            Condition::Outcome { any_of } => f
                .last_outcome
                .is_some_and(|o| any_of.iter().any(|a| a.eq_ignore_ascii_case(o))),
            Condition::All { conditions } => conditions.iter().all(|c| c.eval(f)),
            Condition::Any { conditions } => conditions.iter().any(|c| c.eval(f)),
            Condition::Not { condition } => !condition.eval(f),
        }
    }

    pub(super) fn check(&self, path: &str, errors: &mut Vec<String>) {
        match self {
            Condition::Field { field, .. } if field.trim().is_empty() => {
                errors.push(format!("{path}: the condition needs a field"))
            }
            Condition::HasTag { tag } if tag.trim().is_empty() => {
                errors.push(format!("{path}: the condition needs a tag"))
            }
            Condition::All { conditions } | Condition::Any { conditions } => {
                for (i, c) in conditions.iter().enumerate() {
                    c.check(&format!("{path}.conditions[{i}]"), errors);
                }
            }
            Condition::Not { condition } => condition.check(&format!("{path}.condition"), errors),
            _ => {}
        }
    }

    /// Tag names the condition mentions (a tag in use cannot be deleted).
    pub fn tags(&self, out: &mut Vec<String>) {
        match self {
            Condition::HasTag { tag } => out.push(tag.clone()),
            Condition::All { conditions } | Condition::Any { conditions } => {
                conditions.iter().for_each(|c| c.tags(out))
            }
            Condition::Not { condition } => condition.tags(out),
            _ => {}
        }
    }
}

fn lookup<'a>(data: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut cur = data;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn compare(got: Option<&serde_json::Value>, op: Op, want: &serde_json::Value) -> bool {
    let text = |v: &serde_json::Value| json_text(v).unwrap_or_default();
    let empty = got.is_none_or(|v| v.is_null() || text(v).trim().is_empty());
    match op {
        Op::Empty => empty,
        Op::NotEmpty => !empty,
        Op::Eq => got.is_some_and(|g| text(g).eq_ignore_ascii_case(&text(want))),
        Op::Ne => !got.is_some_and(|g| text(g).eq_ignore_ascii_case(&text(want))),
        Op::Contains => {
            got.is_some_and(|g| text(g).to_lowercase().contains(&text(want).to_lowercase()))
        }
        Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
            let num = |v: &serde_json::Value| v.as_f64().or_else(|| text(v).trim().parse().ok());
            let (Some(a), Some(b)) = (got.and_then(num), num(want)) else {
                return false;
            };
            match op {
                Op::Gt => a > b,
                Op::Gte => a >= b,
                Op::Lt => a < b,
                _ => a <= b,
            }
        }
    }
}
