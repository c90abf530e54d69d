//! Outbound messages by channel, provider and status: per day, and per
//! channel and provider with delivery and reply rates.

use super::by_day::{by_day, over_period};
use super::{Report, ReportError, ReportQuery, Table};
use af_core::WorkspaceId;
use af_core::reports::ReportName;
use af_core::vocab::MessageStatus;
use af_db::Db;
use af_db::reports::days::Measure;
use serde_json::json;
use std::collections::BTreeMap;

/// The statuses a reader sees, in the order a message moves through them.
/// `queued` includes `sending`; `failed` includes `undelivered`.
pub const SHOWN: [&str; 8] = [
    "queued",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "replied",
    "failed",
    "skipped",
];

/// Where a stored status is counted.
pub fn shown_status(stored: &str) -> &'static str {
    match MessageStatus::parse(stored) {
        Some(MessageStatus::Queued | MessageStatus::Sending) => "queued",
        Some(MessageStatus::Sent) => "sent",
        Some(MessageStatus::Delivered) => "delivered",
        Some(MessageStatus::Opened) => "opened",
        Some(MessageStatus::Clicked) => "clicked",
        Some(MessageStatus::Replied) => "replied",
        Some(MessageStatus::Failed | MessageStatus::Undelivered) => "failed",
        Some(MessageStatus::Skipped) | None => "skipped",
    }
}

/// Reached the person: delivered or anything after it.
fn delivered(status: &str) -> bool {
    matches!(status, "delivered" | "opened" | "clicked" | "replied")
}

/// Left our hands: sent or anything after it, failures included.
fn attempted(status: &str) -> bool {
    matches!(status, "sent" | "failed") || delivered(status)
}

pub(crate) async fn report(
    db: &Db,
    ws: WorkspaceId,
    q: &ReportQuery,
) -> Result<Report, ReportError> {
    let days = q.day_labels();
    // By day from the roll-up (k1 channel, k2 status, k3 provider).
    let cells: Vec<_> = by_day(db, ws, Measure::Messages, q)
        .await?
        .into_iter()
        .filter(|c| q.filters.channel.is_none() || c.k1 == q.filters.channel)
        .collect();
    // Series: a row per day and channel, a column per status.
    let mut grid: BTreeMap<(usize, String), BTreeMap<&'static str, i64>> = BTreeMap::new();
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for c in &cells {
        let Ok(b) = usize::try_from(c.bucket) else {
            continue;
        };
        if b >= days.len() {
            continue;
        }
        let status = shown_status(c.k2.as_deref().unwrap_or(""));
        let channel = c.k1.clone().unwrap_or_default();
        *grid
            .entry((b, channel))
            .or_default()
            .entry(status)
            .or_insert(0) += c.n;
        *totals.entry(status.to_string()).or_insert(0) += c.n;
        *totals.entry("messages".into()).or_insert(0) += c.n;
    }
    let mut cols = vec!["day", "channel", "messages"];
    cols.extend(SHOWN);
    let mut series = Table::new(&cols);
    for ((b, channel), counts) in &grid {
        let mut row = vec![
            json!(days[*b]),
            json!(channel),
            json!(counts.values().sum::<i64>()),
        ];
        row.extend(
            SHOWN
                .iter()
                .map(|s| json!(counts.get(s).copied().unwrap_or(0))),
        );
        series.push(row);
    }

    let by_provider = over_period(&cells);
    let mut per: BTreeMap<(String, String), BTreeMap<&'static str, i64>> = BTreeMap::new();
    for c in &by_provider {
        let key = (
            c.k1.clone().unwrap_or_default(),
            c.k3.clone().unwrap_or_default(),
        );
        *per.entry(key)
            .or_default()
            .entry(shown_status(c.k2.as_deref().unwrap_or("")))
            .or_insert(0) += c.n;
    }
    let mut providers = Table::new(&[
        "channel",
        "provider",
        "messages",
        "sent",
        "delivered",
        "failed",
        "replied",
        "delivery_rate_pct",
        "reply_rate_pct",
    ]);
    for ((channel, provider), counts) in &per {
        let sum = |f: &dyn Fn(&str) -> bool| -> i64 {
            counts.iter().filter(|(s, _)| f(s)).map(|(_, n)| n).sum()
        };
        let attempted_n = sum(&attempted);
        let delivered_n = sum(&delivered);
        let replied = counts.get("replied").copied().unwrap_or(0);
        providers.push(vec![
            json!(channel),
            json!(provider),
            json!(counts.values().sum::<i64>()),
            json!(attempted_n),
            json!(delivered_n),
            json!(counts.get("failed").copied().unwrap_or(0)),
            json!(replied),
            json!(super::leads::share(delivered_n, attempted_n)),
            json!(super::leads::share(replied, delivered_n)),
        ]);
    }
    Ok(Report {
        name: ReportName::Messages,
        series,
        totals,
        extra: vec![("providers", providers)],
    })
}
