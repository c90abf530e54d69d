//! The pipeline funnel: deals per stage now with their value per currency,
//! how many reached each stage, conversion between stages, time in stage;
//! won and lost in the period, with reasons and value.

use super::{Report, ReportError, ReportQuery, Table, funnel_pipeline};
use af_core::WorkspaceId;
use af_core::reports::ReportName;
use af_db::Db;
use af_db::reports::{deals_by_stage, parse_id, stage_ages, won_lost};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) async fn report(
    db: &Db,
    ws: WorkspaceId,
    q: &ReportQuery,
) -> Result<Report, ReportError> {
    let mut totals = BTreeMap::new();
    let mut series = Table::new(&[
        "stage_id",
        "stage",
        "kind",
        "deals",
        "reached",
        "conversion_pct",
        "avg_days_in_stage",
    ]);
    if let Some(p) = funnel_pipeline(db, ws, q).await? {
        let counts = deals_by_stage(db, ws, p.pipeline.id, &q.filters).await?;
        let ages = stage_ages(db, ws, p.pipeline.id, &q.filters, q.now).await?;
        let currencies: BTreeSet<String> = counts.iter().filter_map(|c| c.k2.clone()).collect();
        for cur in &currencies {
            series.columns.push(format!("value_{cur}"));
        }
        let per_stage = |id: uuid::Uuid| -> (i64, BTreeMap<String, i64>) {
            let mut n = 0;
            let mut v = BTreeMap::new();
            for c in counts
                .iter()
                .filter(|c| c.k1.as_deref().and_then(parse_id) == Some(id))
            {
                n += c.n;
                *v.entry(c.k2.clone().unwrap_or_default()).or_insert(0) += c.amount;
            }
            (n, v)
        };
        let stages: Vec<_> = p.stages.iter().map(|s| (s, per_stage(s.id.0))).collect();
        // Reached: deals now in this open stage or further along (later
        // open stages and won); lost deals left from anywhere.
        let won_total: i64 = stages
            .iter()
            .filter(|(s, _)| s.kind == "won")
            .map(|(_, (n, _))| n)
            .sum();
        let mut prev_reached: Option<i64> = None;
        let open: Vec<usize> = (0..stages.len())
            .filter(|&i| stages[i].0.kind == "open")
            .collect();
        for (i, (s, (n, values))) in stages.iter().enumerate() {
            let reached = match s.kind.as_str() {
                "open" => {
                    let later: i64 = open
                        .iter()
                        .filter(|&&j| j >= i)
                        .map(|&j| stages[j].1.0)
                        .sum();
                    later + won_total
                }
                _ => *n,
            };
            let conversion = match (s.kind.as_str(), prev_reached) {
                ("lost", _) => Value::Null,
                (_, Some(prev)) if prev > 0 => json!(super::leads::share(reached, prev)),
                _ => Value::Null,
            };
            if s.kind != "lost" {
                prev_reached = Some(reached);
            }
            let age = ages
                .iter()
                .find(|c| c.k1.as_deref().and_then(parse_id) == Some(s.id.0))
                .map(|c| json!(((c.amount as f64) / 86_400.0 * 10.0).round() / 10.0))
                .unwrap_or(Value::Null);
            let mut row = vec![
                json!(s.id.0.to_string()),
                json!(s.name),
                json!(s.kind),
                json!(n),
                json!(reached),
                conversion,
                age,
            ];
            for cur in &currencies {
                let minor = values.get(cur).copied().unwrap_or(0);
                row.push(json!(af_core::money::major_units(minor, cur)));
            }
            series.push(row);
        }
        totals.insert("deals".into(), stages.iter().map(|(_, (n, _))| n).sum());
        totals.insert(
            "open_deals".into(),
            stages
                .iter()
                .filter(|(s, _)| s.kind == "open")
                .map(|(_, (n, _))| n)
                .sum(),
        );
    }

    let reasons = won_lost(db, ws, q.days(), &q.filters, true).await?;
    let mut won_lost_t = Table::new(&["outcome", "reason", "deals"]);
    let mut sorted = reasons.clone();
    sorted.sort_by(|a, b| {
        a.k1.cmp(&b.k1)
            .then(b.n.cmp(&a.n))
            .then_with(|| a.k2.cmp(&b.k2))
    });
    for c in &sorted {
        won_lost_t.push(vec![json!(c.k1), json!(c.k2), json!(c.n)]);
    }
    let values = won_lost(db, ws, q.days(), &q.filters, false).await?;
    let mut value_t = Table::new(&["outcome", "currency", "deals", "value"]);
    let mut sorted = values.clone();
    sorted.sort_by(|a, b| a.k1.cmp(&b.k1).then_with(|| a.k2.cmp(&b.k2)));
    for c in &sorted {
        let cur = c.k2.clone().unwrap_or_default();
        value_t.push(vec![
            json!(c.k1),
            json!(cur),
            json!(c.n),
            json!(af_core::money::major_units(c.amount, &cur)),
        ]);
    }
    let count = |kind: &str| {
        values
            .iter()
            .filter(|c| c.k1.as_deref() == Some(kind))
            .map(|c| c.n)
            .sum::<i64>()
    };
    totals.insert("won".into(), count("won"));
    totals.insert("lost".into(), count("lost"));
    Ok(Report {
        name: ReportName::Funnel,
        series,
        totals,
        extra: vec![("won_lost", won_lost_t), ("won_lost_value", value_t)],
    })
}
