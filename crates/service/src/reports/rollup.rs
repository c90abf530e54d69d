//! "Todas mis cuentas": one row per workspace the reader belongs to, with
//! the period's leads, bookings, messages, failures, open alerts and the
//! open pipeline's value — one statement per measure over all of them.

use super::{ReportError, ReportQuery, key_id};
use af_core::{UserId, WorkspaceId};
use af_db::Db;
use af_db::reports::{WorkspaceMeasure, rollup, rollup_days_stored, rollup_stored};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One workspace's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AccountRow {
    pub workspace_id: Uuid,
    pub name: String,
    pub leads: i64,
    pub booked: i64,
    /// Open deals' value per currency, in minor units.
    pub pipeline_value: BTreeMap<String, i64>,
    pub messages_sent: i64,
    /// Failed messages plus failed automation runs.
    pub failures: i64,
    pub open_alerts: i64,
}

/// The roll-up: a row per workspace, the sums, and the new leads of all
/// of them per day of the period.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Accounts {
    pub rows: Vec<AccountRow>,
    pub total: AccountRow,
    /// `(day, leads)` for every day of the period.
    pub leads_by_day: Vec<(String, i64)>,
}

/// The roll-up over the workspaces `user` belongs to, for the period of
/// `q` (cut in the zone of the workspace the reader is in).
pub async fn accounts(db: &Db, user: UserId, q: &ReportQuery) -> Result<Accounts, ReportError> {
    let mine = af_db::workspaces::list_workspaces_for_user(db, user).await?;
    let mut rows: BTreeMap<Uuid, AccountRow> = mine
        .iter()
        .map(|w| {
            let id: WorkspaceId = w.workspace.id;
            (
                id.0,
                AccountRow {
                    workspace_id: id.0,
                    name: w.workspace.name.clone(),
                    ..Default::default()
                },
            )
        })
        .collect();
    // Each workspace's closed days of the period are stored (in its own
    // zone) before the sums read them; the days from today on are counted
    // live, cut in the reader's zone.
    for w in &mine {
        let wq = q.in_zone(af_core::datetime::zone(&w.workspace.time_zone));
        super::by_day::ensure_closed_days(db, w.workspace.id, &wq).await?;
    }
    let labels = q.day_labels();
    let today = q.today.to_string();
    let closed = labels.iter().take_while(|d| **d < today).count();
    let live_days = af_db::reports::Days {
        edges: &q.edges[closed..],
    };
    for m in [
        WorkspaceMeasure::Leads,
        WorkspaceMeasure::Booked,
        WorkspaceMeasure::PipelineValue,
        WorkspaceMeasure::MessagesSent,
        WorkspaceMeasure::MessagesFailed,
        WorkspaceMeasure::RunsFailed,
        WorkspaceMeasure::OpenAlerts,
    ] {
        let mut found = if closed > 0 {
            rollup_stored(db, user, m, &labels[0], &labels[closed - 1]).await?
        } else {
            Vec::new()
        };
        if live_days.edges.len() > 1
            || matches!(
                m,
                WorkspaceMeasure::PipelineValue | WorkspaceMeasure::OpenAlerts
            )
        {
            found.extend(rollup(db, user, m, live_days).await?);
        }
        for c in found {
            // The statement reads only the reader's workspaces; a row for
            // any other would be a bug, and is dropped rather than shown.
            let Some(row) = key_id(&c.k1).and_then(|id| rows.get_mut(&id)) else {
                continue;
            };
            match m {
                WorkspaceMeasure::Leads => row.leads += c.n,
                WorkspaceMeasure::Booked => row.booked += c.n,
                WorkspaceMeasure::PipelineValue => {
                    *row.pipeline_value
                        .entry(c.k2.clone().unwrap_or_default())
                        .or_insert(0) += c.amount
                }
                WorkspaceMeasure::MessagesSent => row.messages_sent += c.n,
                WorkspaceMeasure::MessagesFailed | WorkspaceMeasure::RunsFailed => {
                    row.failures += c.n
                }
                WorkspaceMeasure::OpenAlerts => row.open_alerts += c.n,
            }
        }
    }
    // New leads of all the workspaces per day: stored days summed in one
    // statement, today's live part from the per-workspace count above.
    let mut leads_by_day: Vec<(String, i64)> = labels.iter().map(|d| (d.clone(), 0)).collect();
    if closed > 0 {
        for c in rollup_days_stored(db, user, "leads", &labels[0], &labels[closed - 1]).await? {
            if let Some(slot) = leads_by_day
                .iter_mut()
                .find(|(d, _)| Some(d) == c.k1.as_ref())
            {
                slot.1 += c.n;
            }
        }
    }
    let live_leads: i64 = rows.values().map(|r| r.leads).sum::<i64>()
        - leads_by_day.iter().map(|(_, n)| n).sum::<i64>();
    if closed < labels.len()
        && let Some(slot) = leads_by_day.get_mut(closed)
    {
        slot.1 += live_leads.max(0);
    }
    let mut rows: Vec<AccountRow> = rows.into_values().collect();
    rows.sort_by_key(|r| r.name.to_lowercase());
    let mut total = AccountRow::default();
    for r in &rows {
        total.leads += r.leads;
        total.booked += r.booked;
        total.messages_sent += r.messages_sent;
        total.failures += r.failures;
        total.open_alerts += r.open_alerts;
        for (cur, v) in &r.pipeline_value {
            *total.pipeline_value.entry(cur.clone()).or_insert(0) += v;
        }
    }
    Ok(Accounts {
        rows,
        total,
        leads_by_day,
    })
}
