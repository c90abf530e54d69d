//! New leads by day and by where they came from.

use super::by_day::{by_day, over_period};
use super::{Report, ReportError, ReportQuery, Table};
use af_core::WorkspaceId;
use af_core::reports::ReportName;
use af_db::Db;
use af_db::reports::days::Measure;
use af_db::reports::{Cell, LeadDim, Touch, lead_count, leads_by};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The key of leads with no value for the dimension.
pub const NONE: &str = "(none)";
/// The key that sums the values past the [`TOP`] largest.
pub const OTHER: &str = "(other)";
/// Values drawn on their own; the rest are summed as [`OTHER`].
pub const TOP: usize = 8;

/// Per value, the day-by-day counts, the largest values first.
pub(crate) struct Grid {
    pub keys: Vec<String>,
    /// `counts[k][day]`.
    pub counts: Vec<Vec<i64>>,
}

/// Folds cells (`bucket`, `k1`, `n`) into the `TOP` largest keys plus
/// [`OTHER`], every day present.
pub(crate) fn grid(cells: &[Cell], days: usize) -> Grid {
    let mut by_key: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for c in cells {
        let key =
            c.k1.clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| NONE.into());
        let row = by_key.entry(key).or_insert_with(|| vec![0; days]);
        if let Some(slot) = usize::try_from(c.bucket).ok().and_then(|b| row.get_mut(b)) {
            *slot += c.n;
        }
    }
    let mut ranked: Vec<(String, Vec<i64>)> = by_key.into_iter().collect();
    // Largest first; ties by name so the order is stable.
    ranked.sort_by(|a, b| {
        let (sa, sb) = (a.1.iter().sum::<i64>(), b.1.iter().sum::<i64>());
        sb.cmp(&sa).then_with(|| a.0.cmp(&b.0))
    });
    let mut keys = Vec::new();
    let mut counts = Vec::new();
    let mut other = vec![0; days];
    let mut has_other = false;
    for (i, (k, row)) in ranked.into_iter().enumerate() {
        if i < TOP {
            keys.push(k);
            counts.push(row);
        } else {
            has_other = true;
            for (o, v) in other.iter_mut().zip(row) {
                *o += v;
            }
        }
    }
    if has_other {
        keys.push(OTHER.into());
        counts.push(other);
    }
    Grid { keys, counts }
}

fn dim_name(dim: LeadDim) -> &'static str {
    match dim {
        LeadDim::Source => "source",
        LeadDim::UtmSource => "utm_source",
        LeadDim::UtmMedium => "utm_medium",
        LeadDim::UtmCampaign => "utm_campaign",
    }
}

/// The period's leads by day with `k1` the dimension's value, and the
/// attribution cells (`k1` campaign) by first and by last touch. From the
/// daily roll-up when the request allows (no filter; the source or a UTM
/// campaign as dimension), otherwise counted live.
async fn lead_cells(
    db: &Db,
    ws: WorkspaceId,
    q: &ReportQuery,
) -> Result<(Vec<Cell>, Vec<Cell>, Vec<Cell>), ReportError> {
    let f = &q.filters;
    let rolled = f.owner.is_none()
        && f.form.is_none()
        && f.source.is_none()
        && f.campaign.is_none()
        && matches!(q.dim, LeadDim::Source | LeadDim::UtmCampaign);
    if !rolled {
        let by_day = leads_by(db, ws, q.days(), f, q.dim, true).await?;
        let mut first = f.clone();
        first.touch = Touch::First;
        let a = leads_by(db, ws, q.days(), &first, LeadDim::UtmCampaign, false).await?;
        let mut last = f.clone();
        last.touch = Touch::Last;
        let b = leads_by(db, ws, q.days(), &last, LeadDim::UtmCampaign, false).await?;
        return Ok((by_day, a, b));
    }
    let dim = match q.dim {
        LeadDim::UtmCampaign => match f.touch {
            Touch::First => Measure::LeadsFirstCampaign,
            Touch::Last => Measure::LeadsLastCampaign,
        },
        _ => Measure::Leads,
    };
    let by_day_cells = by_day(db, ws, dim, q).await?;
    let first = over_period(&by_day(db, ws, Measure::LeadsFirstCampaign, q).await?);
    let last = over_period(&by_day(db, ws, Measure::LeadsLastCampaign, q).await?);
    Ok((by_day_cells, first, last))
}

pub(crate) async fn report(
    db: &Db,
    ws: WorkspaceId,
    q: &ReportQuery,
) -> Result<Report, ReportError> {
    let days = q.day_labels();
    let (cells, first, last) = lead_cells(db, ws, q).await?;
    let g = grid(&cells, days.len());

    // Series: one row per day, the total and one column per value.
    let mut cols = vec!["day".to_string(), "leads".to_string()];
    cols.extend(g.keys.iter().cloned());
    let mut series = Table {
        columns: cols,
        rows: Vec::new(),
    };
    for (d, day) in days.iter().enumerate() {
        let mut row = vec![json!(day)];
        let per: Vec<i64> = g.counts.iter().map(|r| r[d]).collect();
        row.push(json!(per.iter().sum::<i64>()));
        row.extend(per.into_iter().map(Value::from));
        series.push(row);
    }

    // Every value over the period (not only the largest), with its share.
    let mut per_value: BTreeMap<String, i64> = BTreeMap::new();
    for c in &cells {
        *per_value.entry(key_of(c)).or_insert(0) += c.n;
    }
    let total: i64 = per_value.values().sum();
    let mut values = Table::new(&[dim_name(q.dim), "leads", "share_pct"]);
    let mut sorted: Vec<_> = per_value.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (key, n) in &sorted {
        values.push(vec![json!(key), json!(n), json!(share(*n, total))]);
    }

    // Attribution: each UTM campaign's leads by first and by last touch.
    let mut camp: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for c in &first {
        camp.entry(key_of(c)).or_default().0 += c.n;
    }
    for c in &last {
        camp.entry(key_of(c)).or_default().1 += c.n;
    }
    let mut attribution = Table::new(&["utm_campaign", "first_touch", "last_touch"]);
    let mut rows: Vec<_> = camp.into_iter().collect();
    rows.sort_by(|a, b| {
        (b.1.0 + b.1.1)
            .cmp(&(a.1.0 + a.1.1))
            .then_with(|| a.0.cmp(&b.0))
    });
    for (k, (a, b)) in rows {
        attribution.push(vec![json!(k), json!(a), json!(b)]);
    }

    let previous = q.period.previous().edges(&q.tz);
    let before = lead_count(
        db,
        ws,
        af_db::Ts::new(previous[0]),
        af_db::Ts::new(previous[previous.len() - 1]),
        &q.filters,
    )
    .await?;
    let mut totals = BTreeMap::new();
    totals.insert("leads".into(), total);
    totals.insert("previous_period".into(), before);
    if let Some(p) = af_core::reports::change_percent(total, before) {
        totals.insert("change_pct".into(), p);
    }
    Ok(Report {
        name: ReportName::LeadsBySource,
        series,
        totals,
        extra: vec![("values", values), ("attribution", attribution)],
    })
}

fn key_of(c: &Cell) -> String {
    c.k1.clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| NONE.into())
}

/// `part` of `whole` in whole percent (0 when the whole is 0).
pub(crate) fn share(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        0
    } else {
        ((part as f64) * 100.0 / whole as f64).round() as i64
    }
}
