//! The slot engine across transition days and zones (tzdata bundled with
//! jiff), then its invariants over generated calendars.

use super::slots::{day_start, horizon_end};
use super::*;
use jiff::Timestamp;
use jiff::civil::date;
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone in the bundled tzdata")
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// A calendar open `start`–`end` every day, `duration` minutes per slot.
fn every_day(tz: &str, start: &str, end: &str, duration: i64) -> BookingRules {
    let w = Window::parse(start, end).expect("window");
    BookingRules {
        time_zone: zone(tz),
        duration: mins(duration),
        interval: SignedDuration::ZERO,
        weekly: std::array::from_fn(|_| vec![w]),
        overrides: BTreeMap::new(),
        buffer_before: SignedDuration::ZERO,
        buffer_after: SignedDuration::ZERO,
        min_notice: SignedDuration::ZERO,
        horizon_days: 365,
        daily_cap: None,
    }
}

fn one_host() -> Vec<HostTimes> {
    vec![HostTimes::default()]
}

fn starts_on(rules: &BookingRules, day: Date, now: Timestamp) -> Vec<String> {
    slots(rules, &one_host(), &[], now, day, day)
        .into_iter()
        .map(|s| s.start.to_string())
        .collect()
}

const LONG_AGO: &str = "2026-01-01T00:00:00Z";

#[test]
fn new_york_spring_forward_keeps_the_wall_clock_hours() {
    // Cal.com #30021: 13:00–18:00 on the transition day is 17:00–22:00Z.
    let rules = every_day("America/New_York", "13:00", "18:00", 60);
    let got = slots(
        &rules,
        &one_host(),
        &[],
        ts(LONG_AGO),
        date(2026, 3, 8),
        date(2026, 3, 8),
    );
    let starts: Vec<String> = got.iter().map(|s| s.start.to_string()).collect();
    assert_eq!(
        starts,
        [
            "2026-03-08T17:00:00Z",
            "2026-03-08T18:00:00Z",
            "2026-03-08T19:00:00Z",
            "2026-03-08T20:00:00Z",
            "2026-03-08T21:00:00Z"
        ]
    );
    assert_eq!(got.last().map(|s| s.end), Some(ts("2026-03-08T22:00:00Z")));
    // The day before, still on standard time: 18:00–23:00Z.
    assert_eq!(
        starts_on(&rules, date(2026, 3, 7), ts(LONG_AGO))
            .first()
            .map(String::as_str),
        Some("2026-03-07T18:00:00Z")
    );
}

#[test]
fn new_york_skipped_hour_is_not_offered() {
    let rules = every_day("America/New_York", "01:00", "04:00", 30);
    let starts = starts_on(&rules, date(2026, 3, 8), ts(LONG_AGO));
    // 01:00 and 01:30 EST (06:00Z, 06:30Z); 02:00–02:59 does not exist;
    // 03:00 and 03:30 EDT (07:00Z, 07:30Z).
    assert_eq!(
        starts,
        [
            "2026-03-08T06:00:00Z",
            "2026-03-08T06:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-08T07:30:00Z"
        ]
    );
}

#[test]
fn santiago_missing_midnight_and_an_all_day_override() {
    // 2026-09-06: clocks jump from 00:00 (−04) to 01:00 (−03).
    let rules = every_day("America/Santiago", "00:00", "03:00", 60);
    assert_eq!(
        starts_on(&rules, date(2026, 9, 6), ts(LONG_AGO)),
        ["2026-09-06T04:00:00Z", "2026-09-06T05:00:00Z"],
        "00:00 does not exist; 01:00 and 02:00 −03 do"
    );
    let mut all_day = every_day("America/Santiago", "09:00", "10:00", 60);
    all_day.overrides.insert(
        date(2026, 9, 6),
        vec![Window::parse("00:00", "24:00").expect("w")],
    );
    let day = slots(
        &all_day,
        &one_host(),
        &[],
        ts(LONG_AGO),
        date(2026, 9, 6),
        date(2026, 9, 6),
    );
    assert_eq!(day.len(), 23, "a 23-hour day has 23 hourly slots");
    assert_eq!(day[0].start, ts("2026-09-06T04:00:00Z"));
    assert_eq!(
        day.last().map(|s| s.end),
        Some(ts("2026-09-07T03:00:00Z")),
        "the last slot ends at the next midnight"
    );
}

#[test]
fn santiago_repeated_hour_is_offered_once() {
    // 2026-04-05 00:00 (−03) the clocks go back to 2026-04-04 23:00 (−04):
    // 23:00–24:00 on the 4th happens twice.
    let rules = every_day("America/Santiago", "22:00", "24:00", 60);
    let starts = starts_on(&rules, date(2026, 4, 4), ts(LONG_AGO));
    assert_eq!(
        starts,
        ["2026-04-05T01:00:00Z", "2026-04-05T02:00:00Z"],
        "22:00 and the first 23:00; the second 23:00 is not offered again"
    );
    let after = starts_on(
        &every_day("America/Santiago", "09:00", "10:00", 60),
        date(2026, 4, 5),
        ts(LONG_AGO),
    );
    assert_eq!(after, ["2026-04-05T13:00:00Z"], "−04 from the 5th");
}

#[test]
fn zones_without_transitions_and_half_hour_offsets() {
    for (tz, day, expected) in [
        // Mexico City left DST in 2022: its old first Sunday of April.
        (
            "America/Mexico_City",
            date(2026, 4, 5),
            "2026-04-05T15:00:00Z",
        ),
        (
            "America/Mexico_City",
            date(2026, 11, 1),
            "2026-11-01T15:00:00Z",
        ),
        // Paraguay is −03 all year since 2024.
        (
            "America/Asuncion",
            date(2026, 3, 22),
            "2026-03-22T12:00:00Z",
        ),
        (
            "America/Asuncion",
            date(2026, 10, 4),
            "2026-10-04T12:00:00Z",
        ),
        // Newfoundland: −03:30 in winter, −02:30 in summer.
        (
            "America/St_Johns",
            date(2026, 1, 15),
            "2026-01-15T12:30:00Z",
        ),
        (
            "America/St_Johns",
            date(2026, 7, 15),
            "2026-07-15T11:30:00Z",
        ),
    ] {
        let rules = every_day(tz, "09:00", "10:00", 60);
        assert_eq!(
            starts_on(&rules, day, ts(LONG_AGO)),
            [expected],
            "{tz} on {day}"
        );
    }
}

#[test]
fn a_madrid_visitor_sees_a_bogota_evening_on_the_next_date() {
    let rules = every_day("America/Bogota", "20:00", "21:00", 60);
    let got = slots(
        &rules,
        &one_host(),
        &[],
        ts(LONG_AGO),
        date(2026, 5, 10),
        date(2026, 5, 10),
    );
    assert_eq!(got.len(), 1);
    let seen = got[0].start.to_zoned(zone("Europe/Madrid"));
    assert_eq!(seen.date(), date(2026, 5, 11));
    assert_eq!((seen.hour(), seen.minute()), (3, 0));
}

#[test]
fn notice_horizon_buffers_caps_and_overrides() {
    let mut rules = every_day("America/Mexico_City", "09:00", "12:00", 30);
    rules.interval = mins(30);
    let now = ts("2026-06-01T15:10:00Z"); // 09:10 in Mexico City, a Monday
    rules.min_notice = mins(60);
    assert_eq!(
        starts_on(&rules, date(2026, 6, 1), now)
            .first()
            .map(String::as_str),
        Some("2026-06-01T16:30:00Z"),
        "nothing before 10:10: the first start is 10:30"
    );
    rules.min_notice = SignedDuration::ZERO;
    rules.horizon_days = 2;
    let over = slots(
        &rules,
        &one_host(),
        &[],
        now,
        date(2026, 6, 1),
        date(2026, 6, 5),
    );
    assert!(
        over.iter().all(|s| s.start < ts("2026-06-03T06:00:00Z")),
        "today and tomorrow only"
    );
    rules.horizon_days = 365;

    // A 10:00–10:30 booking elsewhere with 15-minute buffers blocks 09:30
    // (its after-buffer reaches 10:00) and 10:30 (its before-buffer).
    rules.buffer_before = mins(15);
    rules.buffer_after = mins(15);
    let host = HostTimes {
        busy: vec![Interval::new(
            ts("2026-06-02T16:00:00Z"),
            ts("2026-06-02T16:30:00Z"),
        )],
        ..HostTimes::default()
    };
    let starts: Vec<String> = slots(
        &rules,
        &[host],
        &[],
        now,
        date(2026, 6, 2),
        date(2026, 6, 2),
    )
    .iter()
    .map(|s| s.start.to_string())
    .collect();
    assert_eq!(
        starts,
        [
            "2026-06-02T15:00:00Z",
            "2026-06-02T17:00:00Z",
            "2026-06-02T17:30:00Z"
        ]
    );
    rules.buffer_before = SignedDuration::ZERO;
    rules.buffer_after = SignedDuration::ZERO;

    rules.daily_cap = Some(1);
    let booked = [ts("2026-06-02T15:00:00Z")];
    assert!(
        slots(
            &rules,
            &one_host(),
            &booked,
            now,
            date(2026, 6, 2),
            date(2026, 6, 2)
        )
        .is_empty(),
        "the day's cap is reached"
    );
    assert!(
        !slots(
            &rules,
            &one_host(),
            &booked,
            now,
            date(2026, 6, 3),
            date(2026, 6, 3)
        )
        .is_empty()
    );
    rules.daily_cap = None;

    rules.overrides.insert(date(2026, 6, 4), Vec::new());
    rules.overrides.insert(
        date(2026, 6, 5),
        vec![Window::parse("16:00", "17:00").expect("w")],
    );
    assert!(
        starts_on(&rules, date(2026, 6, 4), now).is_empty(),
        "day off"
    );
    assert_eq!(
        starts_on(&rules, date(2026, 6, 5), now),
        ["2026-06-05T22:00:00Z", "2026-06-05T22:30:00Z"],
        "different hours that day"
    );
}

#[test]
fn several_hosts_their_hours_and_their_caps() {
    let rules = every_day("America/Mexico_City", "09:00", "11:00", 60);
    let morning_only = Window::parse("09:00", "10:00").expect("w");
    let hosts = [
        HostTimes {
            weekly: Some(std::array::from_fn(|_| vec![morning_only])),
            ..HostTimes::default()
        },
        HostTimes {
            busy: vec![Interval::new(
                ts("2026-06-02T15:00:00Z"),
                ts("2026-06-02T16:00:00Z"),
            )],
            ..HostTimes::default()
        },
        HostTimes {
            booked: vec![ts("2026-06-02T18:00:00Z")],
            daily_cap: Some(1),
            ..HostTimes::default()
        },
    ];
    let got = slots(
        &rules,
        &hosts,
        &[],
        ts(LONG_AGO),
        date(2026, 6, 2),
        date(2026, 6, 2),
    );
    let free: Vec<(String, Vec<usize>)> = got
        .into_iter()
        .map(|s| (s.start.to_string(), s.free_hosts))
        .collect();
    assert_eq!(
        free,
        [
            ("2026-06-02T15:00:00Z".to_string(), vec![0]),
            ("2026-06-02T16:00:00Z".to_string(), vec![1]),
        ]
    );
}

#[test]
fn claim_cells_cover_the_held_interval_and_meet_across_grids() {
    let cells = |a: &str, b: &str| claim_cells(ts(a), ts(b));
    // 10:00–10:30: six cells; 10:15–11:15 shares three of them.
    let a = cells("2026-06-02T10:00:00Z", "2026-06-02T10:30:00Z").expect("a");
    let b = cells("2026-06-02T10:15:00Z", "2026-06-02T11:15:00Z").expect("b");
    assert_eq!(a.1 - a.0 + 1, 6);
    assert!(
        b.0 <= a.1 && a.0 <= b.1,
        "overlapping bookings share a cell"
    );
    // Back to back: no shared cell.
    let c = cells("2026-06-02T10:30:00Z", "2026-06-02T11:00:00Z").expect("c");
    assert_eq!(c.0, a.1 + 1);
    // Off the grid: a partly covered cell is claimed.
    let d = cells("2026-06-02T10:31:00Z", "2026-06-02T10:32:00Z").expect("d");
    assert_eq!(d.0, d.1);
    assert_eq!(d.0, c.0);
    assert_eq!(cells("2026-06-02T10:00:00Z", "2026-06-02T10:00:00Z"), None);
}

#[test]
fn windows_parse_and_refuse() {
    assert_eq!(
        Window::parse("9:05", "24:00").map(|w| (w.start_text(), w.end_text())),
        Ok(("09:05".into(), "24:00".into()))
    );
    assert_eq!(Window::parse("10:00", "10:00"), Err(WindowError::Empty));
    assert_eq!(Window::parse("24:30", "25:00"), Err(WindowError::BadTime));
    assert_eq!(Window::parse("ten", "11:00"), Err(WindowError::BadTime));
    assert_eq!(Window::parse("10:7", "11:00"), Err(WindowError::BadTime));
}

// ------------------------------------------------------------ properties

const ZONES: [&str; 6] = [
    "America/New_York",
    "America/Santiago",
    "America/Mexico_City",
    "America/St_Johns",
    "Europe/Madrid",
    "America/Asuncion",
];

fn arb_window() -> impl Strategy<Value = Window> {
    (0u32..96, 1u32..40).prop_map(|(start, len)| {
        let start = start * 15;
        let end = (start + len * 15).min(DAY_MINUTES);
        Window::new(start, end).unwrap_or(Window { start: 0, end: 60 })
    })
}

prop_compose! {
    fn arb_rules()(
        tz in 0usize..ZONES.len(),
        duration in prop::sample::select(vec![15i64, 20, 30, 45, 60, 90]),
        interval in prop::sample::select(vec![0i64, 10, 15, 30, 60]),
        weekly in prop::collection::vec(prop::collection::vec(arb_window(), 0..3), 7),
        before in prop::sample::select(vec![0i64, 5, 15]),
        after in prop::sample::select(vec![0i64, 10, 30]),
        notice in prop::sample::select(vec![0i64, 60, 720]),
        horizon in 1u32..20,
        cap in prop::option::of(1u32..4),
    ) -> BookingRules {
        BookingRules {
            time_zone: zone(ZONES[tz]),
            duration: mins(duration),
            interval: mins(interval),
            weekly: std::array::from_fn(|i| weekly[i].clone()),
            overrides: BTreeMap::new(),
            buffer_before: mins(before),
            buffer_after: mins(after),
            min_notice: mins(notice),
            horizon_days: horizon,
            daily_cap: cap,
        }
    }
}

fn arb_busy(base: Timestamp) -> impl Strategy<Value = Vec<Interval>> {
    prop::collection::vec((0i64..20 * 24 * 4, 1i64..16), 0..30).prop_map(move |v| {
        v.into_iter()
            .filter_map(|(q, len)| {
                let start = base.checked_add(mins(q * 15)).ok()?;
                let end = start.checked_add(mins(len * 15)).ok()?;
                Some(Interval::new(start, end))
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_slot_obeys_every_rule(
        rules in arb_rules(),
        // Around the 2026 transitions of the zones above.
        base_day in prop::sample::select(vec![
            date(2026, 3, 5), date(2026, 3, 26), date(2026, 4, 2),
            date(2026, 9, 3), date(2026, 10, 22), date(2026, 6, 10),
        ]),
        now_offset in 0i64..(3 * 24 * 60),
        busy in arb_busy(ts("2026-01-01T00:00:00Z")),
        booked_hours in prop::collection::vec(0i64..(20 * 24), 0..6),
    ) {
        let zone = rules.time_zone.clone();
        let base = day_start(&zone, base_day).expect("day start");
        let now = base.checked_add(mins(now_offset)).expect("now");
        // Busy times and bookings shifted to the days under test.
        let shift = base.duration_since(ts("2026-01-01T00:00:00Z"));
        let busy: Vec<Interval> = busy
            .into_iter()
            .map(|b| Interval::new(
                b.start.checked_add(shift).expect("shift"),
                b.end.checked_add(shift).expect("shift"),
            ))
            .collect();
        let booked: Vec<Timestamp> = booked_hours
            .iter()
            .map(|h| base.checked_add(SignedDuration::from_hours(*h)).expect("booked"))
            .collect();
        let host = HostTimes { busy: busy.clone(), ..HostTimes::default() };
        let from = base_day;
        let to = base_day.checked_add(jiff::Span::new().days(12)).expect("to");
        let got = slots(&rules, &[host], &booked, now, from, to);

        let earliest = now.checked_add(rules.min_notice).expect("notice");
        let horizon = horizon_end(&zone, now, rules.horizon_days);
        let step = if rules.interval.is_positive() { rules.interval } else { rules.duration };
        for pair in got.windows(2) {
            prop_assert!(pair[0].start < pair[1].start, "sorted, no start twice");
        }
        for s in &got {
            prop_assert_eq!(s.end.duration_since(s.start), rules.duration);
            prop_assert!(s.start >= earliest, "minimum notice");
            prop_assert!(s.start < horizon, "horizon");
            let local = s.start.to_zoned(zone.clone());
            let day = local.date();
            prop_assert!(day >= from && day <= to, "inside the asked dates");
            let minute = u32::try_from(local.hour()).expect("h") * 60
                + u32::try_from(local.minute()).expect("m");
            let step_min = u32::try_from(step.as_mins()).expect("step");
            let inside = rules.windows_on(day).iter().any(|w| {
                minute >= w.start_minute()
                    && (minute - w.start_minute()) % step_min == 0
                    && super::slots::day_start(&zone, day).is_some()
                    && window_end(&zone, day, w.end_minute()).is_some_and(|e| s.end <= e)
            });
            prop_assert!(inside, "inside a window, on its grid in the calendar's zone: {}", local);
            let buffered = Interval::new(
                s.start.checked_sub(rules.buffer_before).expect("b"),
                s.end.checked_add(rules.buffer_after).expect("a"),
            );
            prop_assert!(busy.iter().all(|b| !b.overlaps(&buffered)), "clear of busy time with buffers");
            if let Some(cap) = rules.daily_cap {
                let that_day = booked
                    .iter()
                    .filter(|b| b.to_zoned(zone.clone()).date() == day)
                    .count();
                prop_assert!(that_day < cap as usize, "no slot on a full day");
            }
        }
    }
}

fn window_end(zone: &TimeZone, day: Date, minute: u32) -> Option<Timestamp> {
    let dt = day
        .to_datetime(jiff::civil::Time::midnight())
        .checked_add(mins(i64::from(minute)))
        .ok()?;
    zone.to_ambiguous_timestamp(dt).later().ok()
}
