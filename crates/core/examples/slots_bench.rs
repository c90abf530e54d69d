//! Times the slot engine on the booking benchmark's calendar: a 20-host
//! round-robin team over 30 days with 200 bookings per host (the figures in
//! BENCHMARKS.md, "Booking calendars").
//!
//!   cargo run --release -p af-core --example slots_bench
//!
//! Prints the median and p99 of one computation over RUNS runs (default 200).

use af_core::booking::{BookingRules, HostTimes, Interval, Window, slots};
use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let zone = TimeZone::get("America/Mexico_City").expect("zone");
    let morning = Window::parse("09:00", "13:00").expect("window");
    let afternoon = Window::parse("15:00", "19:00").expect("window");
    let rules = BookingRules {
        time_zone: zone.clone(),
        duration: SignedDuration::from_mins(30),
        interval: SignedDuration::from_mins(15),
        weekly: std::array::from_fn(|d| {
            if d < 6 {
                vec![morning, afternoon]
            } else {
                vec![]
            }
        }),
        overrides: BTreeMap::new(),
        buffer_before: SignedDuration::from_mins(5),
        buffer_after: SignedDuration::from_mins(10),
        min_notice: SignedDuration::from_mins(120),
        horizon_days: 60,
        daily_cap: None,
    };
    let now: Timestamp = "2026-06-01T12:00:00Z".parse().expect("now");
    // 200 bookings per host spread over the 30 days, on the 15-minute grid.
    let hosts: Vec<HostTimes> = (0..20u64)
        .map(|h| {
            let busy: Vec<Interval> = (0..200u64)
                .map(|i| {
                    let slot = (i * 7 + h * 13) % (30 * 32);
                    let day = slot / 32;
                    let quarter = slot % 32;
                    let start = now
                        .checked_add(SignedDuration::from_hours(
                            i64::try_from(day * 24).unwrap_or(0),
                        ))
                        .and_then(|t| {
                            t.checked_add(SignedDuration::from_mins(
                                i64::try_from(quarter * 15).unwrap_or(0),
                            ))
                        })
                        .expect("start");
                    let end = start
                        .checked_add(SignedDuration::from_mins(45))
                        .expect("end");
                    Interval::new(start, end)
                })
                .collect();
            HostTimes {
                weekly: None,
                booked: busy.iter().map(|b| b.start).collect(),
                busy,
                daily_cap: Some(8),
            }
        })
        .collect();
    let (from, to) = (date(2026, 6, 1), date(2026, 6, 30));
    let mut times = Vec::with_capacity(runs);
    let mut offered = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let got = slots(&rules, &hosts, &[], now, from, to);
        times.push(t0.elapsed());
        offered = got.len();
    }
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    println!(
        "slots: 20 hosts x 200 bookings, 30 days, {offered} slots offered; {runs} runs: median {:.3} ms, p99 {:.3} ms",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
