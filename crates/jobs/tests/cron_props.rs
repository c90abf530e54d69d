//! Cron next-run properties (pure, no database): the next run is strictly
//! after now and matches the expression in local time (or is the first
//! instant after a DST gap that swallowed the slot), and a daily 09:00 stays
//! 09:00 local across DST changes.

use af_jobs::cron::{next_occurrence, next_run_after, parse_cron, parse_time_zone};
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};
use proptest::prelude::*;

const DAILY_ZONES: [&str; 3] = ["America/Mexico_City", "Europe/Madrid", "America/New_York"];
const ZONES: [&str; 7] = [
    "America/Mexico_City",
    "Europe/Madrid",
    "America/New_York",
    "UTC",
    "Australia/Lord_Howe", // 30-minute DST shift
    "America/Santiago",    // southern hemisphere, midnight transitions
    "Asia/Kolkata",
];

/// 2005..2037: covers Mexico's DST years (until 2022) and the years after.
fn instant() -> impl Strategy<Value = Timestamp> {
    (1_104_537_600i64..2_114_380_800i64, 0i32..1_000_000_000)
        .prop_map(|(s, ns)| Timestamp::new(s, ns).expect("in range"))
}

fn expression() -> impl Strategy<Value = String> {
    let minute = prop_oneof![
        (0u8..60).prop_map(|m| m.to_string()),
        Just("*/15".to_string()),
        Just("0,30".into())
    ];
    let hour = prop_oneof![
        (0u8..24).prop_map(|h| h.to_string()),
        Just("*".to_string()),
        Just("1-3".to_string()), // the usual DST window
        Just("*/6".to_string()),
    ];
    let dom = prop_oneof![
        Just("*".to_string()),
        (1u8..29).prop_map(|d| d.to_string()),
        Just("1,15".into())
    ];
    let dow = prop_oneof![
        Just("*".to_string()),
        (0u8..7).prop_map(|d| d.to_string()),
        Just("MON-FRI".into())
    ];
    (minute, hour, dom, dow).prop_map(|(m, h, d, w)| format!("{m} {h} {d} * {w}"))
}

/// The first instant after a gap: the offset changes exactly here.
fn is_gap_end(z: &Zoned) -> bool {
    let before = (z.timestamp() - SignedDuration::from_secs(1)).to_zoned(z.time_zone().clone());
    before.offset() < z.offset()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn next_run_is_strictly_after_now_and_matches_in_local_time(
        expr in expression(),
        zone in proptest::sample::select(&ZONES[..]),
        now in instant(),
    ) {
        let cron = parse_cron(&expr).expect("valid expression");
        let tz = parse_time_zone(zone).expect("known zone");
        let next = next_occurrence(&cron, &tz, now).expect("has a next run");
        prop_assert!(next.timestamp() > now, "{expr} in {zone}: {next} not after {now}");
        let matches = cron.is_time_matching(&next).expect("evaluates");
        prop_assert!(matches || is_gap_end(&next), "{expr} in {zone}: {next} does not match");
        prop_assert_eq!(next.second(), 0);
        prop_assert_eq!(next.subsec_nanosecond(), 0);
        // And it is the first: the run before it is not after now.
        let previous = cron.find_previous_occurrence(&next, false).expect("has a previous run");
        prop_assert!(previous.timestamp() <= now, "{expr} in {zone}: {previous} comes between {now} and {next}");
    }

    #[test]
    fn daily_nine_lands_at_nine_local_across_dst(
        zone in proptest::sample::select(&DAILY_ZONES[..]),
        now in instant(),
    ) {
        let next = next_run_after("0 9 * * *", zone, now).expect("next").to_zoned(parse_time_zone(zone).expect("zone"));
        prop_assert!(next.timestamp() > now);
        prop_assert_eq!((next.hour(), next.minute(), next.second()), (9, 0, 0), "{} in {}", next, zone);
        // The first 09:00 after now: the previous day's 09:00 is not after it.
        let previous = next.checked_sub(1.day()).expect("in range");
        prop_assert_eq!((previous.hour(), previous.minute()), (9, 0));
        prop_assert!(previous.timestamp() <= now, "{} skipped {}", next, previous);
    }
}

/// Walks a daily 09:00 through whole years that include DST changes: every
/// run is at 09:00 local and consecutive runs are 23, 24 or 25 hours apart.
#[test]
fn daily_nine_walks_through_dst_transitions() {
    for (zone, start) in [
        ("America/Mexico_City", "2021-01-01T00:00:00Z"), // still had DST in 2021
        ("Europe/Madrid", "2026-01-01T00:00:00Z"),
        ("America/New_York", "2026-01-01T00:00:00Z"),
    ] {
        let tz = parse_time_zone(zone).expect("zone");
        let cron = parse_cron("0 9 * * *").expect("cron");
        let mut at: Timestamp = start.parse().expect("start");
        let mut lengths = std::collections::BTreeSet::new();
        let mut previous: Option<Zoned> = None;
        for _ in 0..400 {
            let next = next_occurrence(&cron, &tz, at).expect("next");
            assert_eq!((next.hour(), next.minute()), (9, 0), "{zone}: {next}");
            if let Some(p) = &previous {
                lengths.insert(next.timestamp().duration_since(p.timestamp()).as_hours());
            }
            at = next.timestamp();
            previous = Some(next);
        }
        assert_eq!(
            lengths.into_iter().collect::<Vec<_>>(),
            vec![23, 24, 25],
            "{zone}: a short and a long day"
        );
    }
}

/// A slot inside the spring-forward gap runs at the end of the gap, once.
#[test]
fn a_slot_in_the_gap_runs_once_when_the_gap_ends() {
    let tz = parse_time_zone("America/New_York").expect("zone");
    let cron = parse_cron("30 2 * * *").expect("cron");
    let before: Timestamp = "2026-03-08T06:00:00Z".parse().expect("01:00 EST");
    let next = next_occurrence(&cron, &tz, before).expect("next");
    assert_eq!(
        next.timestamp(),
        "2026-03-08T07:00:00Z"
            .parse::<Timestamp>()
            .expect("03:00 EDT")
    );
    let after = next_occurrence(&cron, &tz, next.timestamp()).expect("next");
    assert_eq!(
        after.timestamp(),
        "2026-03-09T06:30:00Z"
            .parse::<Timestamp>()
            .expect("02:30 EDT")
    );
}
