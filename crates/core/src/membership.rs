//! Memberships (subscriptions): which event a change of status or period
//! writes, and the rules of the plan name. Pure, so the transitions are
//! unit tested without a database; `af_service::memberships` stores them.

use crate::vocab::{EventKind, MembershipStatus};
use jiff::Timestamp;

/// Longest plan name.
pub const MAX_PLAN: usize = 120;
/// Longest external id (the billing system's).
pub const MAX_EXTERNAL_ID: usize = 200;
/// Days before its end a running membership gets `membership.expiring`,
/// unless the job is told otherwise.
pub const DEFAULT_EXPIRING_DAYS: i64 = 7;

/// A plan name: trimmed, 1 to [`MAX_PLAN`] characters, no control
/// characters.
pub fn plan(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > MAX_PLAN {
        return Err(format!("plan is required (at most {MAX_PLAN} characters)"));
    }
    if t.chars().any(char::is_control) {
        return Err("plan contains control characters".into());
    }
    Ok(t.to_string())
}

/// An external id: trimmed, 1 to [`MAX_EXTERNAL_ID`] characters, no
/// control characters.
pub fn external_id(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > MAX_EXTERNAL_ID {
        return Err(format!(
            "external_id must be 1 to {MAX_EXTERNAL_ID} characters"
        ));
    }
    if t.chars().any(char::is_control) {
        return Err("external_id contains control characters".into());
    }
    Ok(t.to_string())
}

/// What a membership's status and end were, or are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub status: MembershipStatus,
    pub ends_at: Option<Timestamp>,
}

/// The event an update from `old` to `new` writes, when the change is one
/// of the transitions workflows listen to:
/// - to `cancelled`: `membership.cancelled`; to `expired`:
///   `membership.expired`; to `past_due`: `payment.failed`;
/// - back to `active` from `past_due`, `expired` or `cancelled`, or a
///   running (trial / active) membership whose end moves later:
///   `membership.renewed`.
///
/// Anything else that changed (a plan, an amount, trial → active, an end
/// moved earlier) is `membership.updated`, decided by the caller, who
/// knows about the other fields; `None` here means "no transition".
pub fn transition(old: Standing, new: Standing) -> Option<EventKind> {
    use MembershipStatus as S;
    if old.status != new.status {
        return match new.status {
            S::Cancelled => Some(EventKind::MembershipCancelled),
            S::Expired => Some(EventKind::MembershipExpired),
            S::PastDue => Some(EventKind::PaymentFailed),
            S::Active if matches!(old.status, S::PastDue | S::Expired | S::Cancelled) => {
                Some(EventKind::MembershipRenewed)
            }
            S::Active | S::Trial => None,
        };
    }
    let later = match (old.ends_at, new.ends_at) {
        (Some(o), Some(n)) => n > o,
        _ => false,
    };
    (new.status.is_running() && later).then_some(EventKind::MembershipRenewed)
}

/// Whole days left until `ends_at`, rounded up (6.5 days left is 7): the
/// `days_left` of `membership.expiring`.
pub fn days_left(now: Timestamp, ends_at: Timestamp) -> i64 {
    let secs = ends_at.as_second() - now.as_second();
    if secs <= 0 {
        0
    } else {
        (secs + 86_399) / 86_400
    }
}

/// Whether the check tells a membership with `days_left` that it is
/// expiring: when it fell to or below a notice point (`points`: 7 days
/// and each `subscription_expiring` workflow's days) that the period's last
/// notice (`previous`, its days_left) had not reached yet. So each point
/// is told once per period, and a check that runs late tells the latest
/// point passed once (every workflow whose point it passed matches it:
/// see [`expiring_matches`]).
pub fn notice_due(days_left: i64, previous: Option<i64>, points: &[i64]) -> bool {
    points
        .iter()
        .any(|p| days_left <= *p && previous.is_none_or(|q| *p < q))
}

/// Whether a `subscription_expiring {days}` workflow starts on a notice
/// with `days_left` whose period's previous notice had `previous`: the
/// first notice at or below its point.
pub fn expiring_matches(days: i64, days_left: i64, previous: Option<i64>) -> bool {
    days_left <= days && previous.is_none_or(|q| q > days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_notice_point_is_told_once_and_each_workflow_matches_once() {
        let points = [7, 3, 1];
        // Daily checks from 10 days left down to 0.
        let mut previous = None;
        let mut told = Vec::new();
        for left in (0..=10).rev() {
            if notice_due(left, previous, &points) {
                told.push((left, previous));
                previous = Some(left);
            }
        }
        assert_eq!(told, vec![(7, None), (3, Some(7)), (1, Some(3))]);
        for days in points {
            let fired: Vec<i64> = told
                .iter()
                .filter(|(l, p)| expiring_matches(days, *l, *p))
                .map(|(l, _)| *l)
                .collect();
            assert_eq!(fired, vec![days], "the {days}-day workflow starts once");
        }
        // A check that first sees the membership at 2 days left tells it
        // once, and the 7- and 3-day workflows both start on that notice.
        assert!(notice_due(2, None, &points));
        assert!(expiring_matches(7, 2, None) && expiring_matches(3, 2, None));
        assert!(!expiring_matches(1, 2, None));
        assert!(!notice_due(2, Some(2), &points), "told already");
    }
    use MembershipStatus as S;

    fn at(s: &str) -> Option<Timestamp> {
        Some(s.parse().expect("instant"))
    }

    fn st(status: S, ends: Option<Timestamp>) -> Standing {
        Standing {
            status,
            ends_at: ends,
        }
    }

    #[test]
    fn each_transition_names_its_event() {
        let end = at("2026-04-01T00:00:00Z");
        let later = at("2026-05-01T00:00:00Z");
        let t = |a, b| transition(a, b);
        assert_eq!(
            t(st(S::Active, end), st(S::Cancelled, end)),
            Some(EventKind::MembershipCancelled)
        );
        assert_eq!(
            t(st(S::PastDue, end), st(S::Expired, end)),
            Some(EventKind::MembershipExpired)
        );
        assert_eq!(
            t(st(S::Active, end), st(S::PastDue, end)),
            Some(EventKind::PaymentFailed)
        );
        assert_eq!(
            t(st(S::PastDue, end), st(S::Active, end)),
            Some(EventKind::MembershipRenewed)
        );
        assert_eq!(
            t(st(S::Expired, end), st(S::Active, later)),
            Some(EventKind::MembershipRenewed)
        );
        assert_eq!(
            t(st(S::Active, end), st(S::Active, later)),
            Some(EventKind::MembershipRenewed)
        );
        assert_eq!(
            t(st(S::Trial, end), st(S::Trial, later)),
            Some(EventKind::MembershipRenewed)
        );
        // Not transitions: an earlier end, the same standing, trial → active,
        // a later end on a cancelled one.
        assert_eq!(t(st(S::Active, later), st(S::Active, end)), None);
        assert_eq!(t(st(S::Active, end), st(S::Active, end)), None);
        assert_eq!(t(st(S::Trial, end), st(S::Active, end)), None);
        assert_eq!(t(st(S::Cancelled, end), st(S::Cancelled, later)), None);
        assert_eq!(t(st(S::Active, None), st(S::Active, end)), None);
    }

    #[test]
    fn days_left_round_up_and_plans_are_checked() {
        let now: Timestamp = "2026-04-01T12:00:00Z".parse().expect("now");
        let d = |s: &str| days_left(now, s.parse().expect("end"));
        assert_eq!(d("2026-04-08T12:00:00Z"), 7);
        assert_eq!(d("2026-04-08T00:00:00Z"), 7);
        assert_eq!(d("2026-04-01T12:00:01Z"), 1);
        assert_eq!(d("2026-03-01T00:00:00Z"), 0);
        assert_eq!(plan("  Mensual "), Ok("Mensual".into()));
        assert!(plan(" ").is_err());
        assert!(plan(&"x".repeat(121)).is_err());
        assert!(plan("a\u{0}").is_err());
        assert!(external_id("").is_err());
        assert_eq!(external_id(" sub_1 "), Ok("sub_1".into()));
    }
}
