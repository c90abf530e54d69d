//! Retention alerts, the pure half (issue 18, SPEC C8): what a rule holds
//! and whether it is valid, the risk levels it gives (a threshold plus
//! escalation steps), and the instants the daily check compares with, with
//! days counted in the workspace's time zone. `af_db::retention` runs the
//! set-based statements these parameters feed.

use crate::vocab::AlertType;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// Longest number of days a rule may count (ten years).
pub const MAX_DAYS: i64 = 3650;
/// Days a dismissed alert stays silent unless its risk rises, by default.
pub const DEFAULT_QUIET_DAYS: i64 = 14;
/// The cancellation-rate rule needs at least this many bookings in its
/// window by default (fewer say nothing about a habit).
pub const DEFAULT_MIN_BOOKINGS: i64 = 4;
/// Activity types that count as attendance: each resets the "no
/// attendance" count and resolves its alert.
pub const ATTENDANCE_TYPES: &[&str] = &["visit", "appointment_attended", "class_attended"];
/// Activity types that count as a booking (besides appointments).
pub const BOOKING_TYPES: &[&str] = &["class_booked"];
/// Longest note on an alert's transition.
pub const MAX_NOTE: usize = 2000;

/// How a rule's alerts reach their assignee besides the bell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Notify {
    #[default]
    InApp,
    Email,
    Whatsapp,
}

impl Notify {
    pub fn as_str(self) -> &'static str {
        match self {
            Notify::InApp => "in_app",
            Notify::Email => "email",
            Notify::Whatsapp => "whatsapp",
        }
    }

    pub fn parse(s: &str) -> Option<Notify> {
        match s {
            "in_app" => Some(Notify::InApp),
            "email" => Some(Notify::Email),
            "whatsapp" => Some(Notify::Whatsapp),
            _ => None,
        }
    }
}

/// One escalation step: at `days` the alert's risk rises to `risk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"days": 30, "risk": 80}))]
pub struct Escalation {
    pub days: i64,
    pub risk: i64,
}

/// A rule's parameters as stored and as the API takes them (the ones its
/// type does not use are `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleParams {
    #[serde(rename = "type")]
    pub alert_type: AlertType,
    /// no_attendance: days absent; membership_expiring: days before the end.
    pub days: Option<i64>,
    /// low_bookings: fewer than this many bookings.
    pub count: Option<i64>,
    /// high_cancellation_rate: more than this percentage cancelled.
    pub rate: Option<i64>,
    /// low_bookings, high_cancellation_rate: the window, in days.
    pub window_days: Option<i64>,
    /// high_cancellation_rate: at least this many bookings in the window.
    pub min_bookings: Option<i64>,
    pub risk: i64,
    pub escalations: Vec<Escalation>,
    pub notify: Notify,
    pub quiet_days: i64,
}

/// A field and what is wrong with it.
pub type Invalid = (&'static str, String);

fn in_range(field: &'static str, v: Option<i64>, lo: i64, hi: i64) -> Result<i64, Invalid> {
    match v {
        Some(n) if (lo..=hi).contains(&n) => Ok(n),
        Some(_) => Err((field, format!("must be between {lo} and {hi}"))),
        None => Err((field, "is required for this type".into())),
    }
}

impl RuleParams {
    /// Checks the parameters for the rule's type and fills the defaults
    /// (window 30 days, at least 4 bookings, quiet 14 days). Escalations
    /// come sorted by how far they are from the threshold; each must be
    /// further than the previous and raise the risk.
    pub fn validated(mut self) -> Result<RuleParams, Invalid> {
        use AlertType::*;
        if !(0..=100).contains(&self.risk) {
            return Err(("risk", "must be between 0 and 100".into()));
        }
        if !(0..=MAX_DAYS).contains(&self.quiet_days) {
            return Err(("quiet_days", format!("must be between 0 and {MAX_DAYS}")));
        }
        match self.alert_type {
            NoAttendance => {
                self.days = Some(in_range("days", self.days, 1, MAX_DAYS)?);
                (self.count, self.rate, self.window_days, self.min_bookings) =
                    (None, None, None, None);
            }
            MembershipExpiring => {
                self.days = Some(in_range("days", self.days, 0, MAX_DAYS)?);
                (self.count, self.rate, self.window_days, self.min_bookings) =
                    (None, None, None, None);
            }
            LowBookings => {
                self.count = Some(in_range("count", self.count, 1, 10_000)?);
                self.window_days = Some(in_range(
                    "window_days",
                    self.window_days.or(Some(30)),
                    1,
                    MAX_DAYS,
                )?);
                (self.days, self.rate, self.min_bookings) = (None, None, None);
            }
            HighCancellationRate => {
                self.rate = Some(in_range("rate", self.rate, 0, 99)?);
                self.window_days = Some(in_range(
                    "window_days",
                    self.window_days.or(Some(30)),
                    1,
                    MAX_DAYS,
                )?);
                self.min_bookings = Some(in_range(
                    "min_bookings",
                    self.min_bookings.or(Some(DEFAULT_MIN_BOOKINGS)),
                    1,
                    10_000,
                )?);
                (self.days, self.count) = (None, None);
            }
            PaymentFailed => {
                (
                    self.days,
                    self.count,
                    self.rate,
                    self.window_days,
                    self.min_bookings,
                ) = (None, None, None, None, None);
            }
        }
        if !self.escalations.is_empty() {
            let Some(days) = self.days else {
                return Err((
                    "escalations",
                    "only rules counted in days (no attendance, membership expiring) escalate"
                        .into(),
                ));
            };
            // Absence escalates as days grow; an ending membership as they shrink.
            let later = |a: i64, b: i64| match self.alert_type {
                MembershipExpiring => a < b,
                _ => a > b,
            };
            self.escalations.sort_by_key(|e| match self.alert_type {
                MembershipExpiring => -e.days,
                _ => e.days,
            });
            let (mut prev_days, mut prev_risk) = (days, self.risk);
            for e in &self.escalations {
                if !(0..=MAX_DAYS).contains(&e.days) || !later(e.days, prev_days) {
                    return Err((
                        "escalations",
                        match self.alert_type {
                            MembershipExpiring => {
                                "each step's days must be fewer than the previous".to_string()
                            }
                            _ => "each step's days must be more than the previous".to_string(),
                        },
                    ));
                }
                if !(0..=100).contains(&e.risk) || e.risk <= prev_risk {
                    return Err((
                        "escalations",
                        "each step's risk must be higher than the previous, at most 100".into(),
                    ));
                }
                (prev_days, prev_risk) = (e.days, e.risk);
            }
            if self.escalations.len() > 10 {
                return Err(("escalations", "at most 10 steps".into()));
            }
        }
        Ok(self)
    }

    /// The risk levels counted in days, highest risk first: the threshold
    /// and each escalation step. Empty for rules not counted in days.
    pub fn day_levels(&self) -> Vec<Escalation> {
        let Some(days) = self.days else {
            return Vec::new();
        };
        let mut levels = vec![Escalation {
            days,
            risk: self.risk,
        }];
        levels.extend(self.escalations.iter().copied());
        levels.sort_by_key(|l| -l.risk);
        levels
    }
}

/// The workspace's calendar day at `now`.
pub fn local_today(now: Timestamp, tz: &TimeZone) -> Date {
    now.to_zoned(tz.clone()).date()
}

/// The instant the local day `date` starts in `tz` (the first instant of
/// that day, also on days a DST change skips midnight).
pub fn start_of_day(date: Date, tz: &TimeZone) -> Timestamp {
    date.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        // Only a date at the edge of jiff's range fails: the epoch keeps
        // the comparison meaningful (nothing is that old).
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn shift(date: Date, days: i64) -> Date {
    date.checked_add(days.days()).unwrap_or(date)
}

/// Someone last seen at `t` has been absent at least `days` local days at
/// `now` exactly when `t` is before this instant: absent ≥ N days ⇔ the
/// local date of `t` ≤ today − N ⇔ `t` < the start of day today − N + 1.
pub fn absent_since_cut(now: Timestamp, tz: &TimeZone, days: i64) -> Timestamp {
    start_of_day(shift(local_today(now, tz), 1 - days), tz)
}

/// A membership ending at `t` ends within `days` local days at `now`
/// exactly when `t` is before this instant (the start of day today + N + 1).
pub fn ends_within_cut(now: Timestamp, tz: &TimeZone, days: i64) -> Timestamp {
    start_of_day(shift(local_today(now, tz), days + 1), tz)
}

/// The first instant of a window of the last `days` local days (today
/// included).
pub fn window_start(now: Timestamp, tz: &TimeZone, days: i64) -> Timestamp {
    start_of_day(shift(local_today(now, tz), 1 - days), tz)
}

/// When a dismissed alert may speak again.
pub fn quiet_until(now: Timestamp, quiet_days: i64) -> Timestamp {
    now.checked_add(jiff::SignedDuration::from_hours(24 * quiet_days))
        .unwrap_or(now)
}

/// A note on an alert: trimmed, at most [`MAX_NOTE`] characters.
pub fn note(raw: &str) -> Result<Option<String>, Invalid> {
    let t = raw.trim();
    if t.chars().count() > MAX_NOTE {
        return Err(("note", format!("at most {MAX_NOTE} characters")));
    }
    Ok((!t.is_empty()).then(|| t.to_string()))
}

/// The three rules of the seed's gym CRM every new workspace starts with:
/// no attendance for 14 days (risk 70, escalating to 90 at 30 days), a
/// membership ending within 7 days (50) and a failed payment (80).
pub fn default_rules() -> Vec<RuleParams> {
    let base = |t, days, risk, escalations| RuleParams {
        alert_type: t,
        days,
        count: None,
        rate: None,
        window_days: None,
        min_bookings: None,
        risk,
        escalations,
        notify: Notify::InApp,
        quiet_days: DEFAULT_QUIET_DAYS,
    };
    vec![
        base(
            AlertType::NoAttendance,
            Some(14),
            70,
            vec![Escalation { days: 30, risk: 90 }],
        ),
        base(AlertType::MembershipExpiring, Some(7), 50, Vec::new()),
        base(AlertType::PaymentFailed, None, 80, Vec::new()),
    ]
}

/// The reason an alert resolved itself, by its type.
pub fn auto_reason(t: AlertType) -> &'static str {
    match t {
        AlertType::NoAttendance => "auto:attended",
        AlertType::MembershipExpiring => "auto:renewed",
        AlertType::PaymentFailed => "auto:paid",
        AlertType::LowBookings => "auto:booked",
        AlertType::HighCancellationRate => "auto:recovered",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(t: AlertType) -> RuleParams {
        RuleParams {
            alert_type: t,
            days: None,
            count: None,
            rate: None,
            window_days: None,
            min_bookings: None,
            risk: 70,
            escalations: Vec::new(),
            notify: Notify::InApp,
            quiet_days: 14,
        }
    }

    #[test]
    fn rules_are_checked_per_type_and_escalations_sorted() {
        let mut r = rule(AlertType::NoAttendance);
        assert_eq!(r.clone().validated().expect_err("refused").0, "days");
        r.days = Some(14);
        r.escalations = vec![
            Escalation { days: 60, risk: 95 },
            Escalation { days: 30, risk: 90 },
        ];
        let ok = r.clone().validated().expect("valid");
        assert_eq!(ok.escalations[0].days, 30);
        assert_eq!(
            ok.day_levels(),
            vec![
                Escalation { days: 60, risk: 95 },
                Escalation { days: 30, risk: 90 },
                Escalation { days: 14, risk: 70 },
            ]
        );
        r.escalations = vec![Escalation { days: 10, risk: 90 }];
        assert_eq!(r.clone().validated().expect_err("refused").0, "escalations");
        r.escalations = vec![Escalation { days: 30, risk: 60 }];
        assert_eq!(r.validated().expect_err("refused").0, "escalations");

        let mut e = rule(AlertType::MembershipExpiring);
        e.days = Some(7);
        e.escalations = vec![Escalation { days: 2, risk: 80 }];
        assert!(e.clone().validated().is_ok());
        e.escalations = vec![Escalation { days: 9, risk: 80 }];
        assert!(e.validated().is_err());

        let mut c = rule(AlertType::HighCancellationRate);
        assert_eq!(c.clone().validated().expect_err("refused").0, "rate");
        c.rate = Some(50);
        let c = c.validated().expect("valid");
        assert_eq!((c.window_days, c.min_bookings), (Some(30), Some(4)));

        let mut p = rule(AlertType::PaymentFailed);
        p.days = Some(3);
        assert_eq!(p.clone().validated().expect("valid").days, None);
        p.risk = 101;
        assert_eq!(p.validated().expect_err("refused").0, "risk");
    }

    #[test]
    fn days_are_counted_in_the_workspace_zone() {
        let tz = TimeZone::get("America/Mexico_City").expect("tz");
        // 2026-06-20 01:00 UTC is still the 19th in Mexico City (UTC-6).
        let now: Timestamp = "2026-06-20T01:00:00Z".parse().expect("now");
        assert_eq!(local_today(now, &tz).to_string(), "2026-06-19");
        // Absent 14 days: last seen on the 5th (local) or before.
        let cut = absent_since_cut(now, &tz, 14);
        assert_eq!(cut.to_string(), "2026-06-06T06:00:00Z");
        // Ends within 7 days: on the 26th (local) or before.
        assert_eq!(
            ends_within_cut(now, &tz, 7).to_string(),
            "2026-06-27T06:00:00Z"
        );
        assert_eq!(
            window_start(now, &tz, 30).to_string(),
            "2026-05-21T06:00:00Z"
        );
    }

    #[test]
    fn a_dst_day_starts_at_its_first_instant() {
        let tz = TimeZone::get("America/New_York").expect("tz");
        let d: Date = "2026-03-08".parse().expect("date");
        assert_eq!(start_of_day(d, &tz).to_string(), "2026-03-08T05:00:00Z");
        let next: Date = "2026-03-09".parse().expect("date");
        assert_eq!(start_of_day(next, &tz).to_string(), "2026-03-09T04:00:00Z");
    }

    #[test]
    fn statuses_move_the_way_people_work() {
        use crate::vocab::AlertStatus::*;
        assert!(Open.can_move_to(InProgress));
        assert!(InProgress.can_move_to(Resolved));
        assert!(Open.can_move_to(Dismissed));
        assert!(Dismissed.can_move_to(Open));
        assert!(!Resolved.can_move_to(Dismissed));
        assert!(!Open.can_move_to(Open));
        assert_eq!(
            crate::vocab::AlertStatus::parse_loose("IN_PROGRESS"),
            Some(InProgress)
        );
        assert_eq!(
            crate::vocab::AlertStatus::parse_loose("Resolved"),
            Some(Resolved)
        );
        assert_eq!(note("  hola ").expect("ok"), Some("hola".into()));
        assert_eq!(note("   ").expect("ok"), None);
    }
}
