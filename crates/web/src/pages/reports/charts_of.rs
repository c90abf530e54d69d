//! The charts of each report, built from the report's own tables — the
//! numbers a chart draws, its "ver tabla" and its CSV are one `Chart`, and
//! the chart reads them from the rows the API returns.

use crate::charts::{Chart, ChartKind, Series, Unit};
use crate::i18n::reports::ReportsTr;
use crate::i18n::vocab::VocabTr;
use af_core::Locale;
use af_core::reports::ReportName;
use af_service::reports::{Accounts, Report, Table};
use serde_json::Value;

/// What every chart of a page shares.
pub struct Ctx<'a> {
    pub rt: &'static ReportsTr,
    pub vt: &'static VocabTr,
    pub locale: Locale,
    pub country: &'a str,
    /// The label of the leads report's dimension ("origen", "campaña UTM").
    pub dim_label: &'static str,
    /// The pipeline the funnel shows.
    pub pipeline: String,
}

/// The charts of a report page, in the order they are shown.
pub fn charts_of(name: ReportName, r: &Report, c: &Ctx<'_>) -> Vec<Chart> {
    match name {
        ReportName::LeadsBySource => vec![leads_by_day(r, c), campaigns(r, c)],
        ReportName::Funnel => vec![funnel(r, c)],
        ReportName::Automations => vec![runs_by_day(r, c), workflows(r, c)],
        ReportName::Messages => vec![messages(r, c)],
        ReportName::Bookings => vec![bookings(r, c)],
    }
}

/// The chart of report `name` called `id`.
pub fn chart_by_id(name: ReportName, r: &Report, c: &Ctx<'_>, id: &str) -> Option<Chart> {
    charts_of(name, r, c).into_iter().find(|ch| ch.id == id)
}

fn num(v: Option<&Value>) -> f64 {
    v.and_then(Value::as_f64).unwrap_or(0.0)
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn col(t: &Table, name: &str) -> Option<usize> {
    t.columns.iter().position(|c| c == name)
}

/// A column of numbers.
fn numbers(t: &Table, name: &str) -> Vec<f64> {
    match col(t, name) {
        Some(i) => t.rows.iter().map(|r| num(r.get(i))).collect(),
        None => vec![0.0; t.rows.len()],
    }
}

/// A `YYYY-MM-DD` day as people read it ("5 dic 2026").
fn day_label(d: &str, c: &Ctx<'_>) -> String {
    match d.parse::<jiff::civil::Date>() {
        Ok(date) => match date.to_zoned(jiff::tz::TimeZone::UTC) {
            Ok(z) => af_core::datetime::date(z.timestamp(), &jiff::tz::TimeZone::UTC, c.locale),
            Err(_) => d.to_string(),
        },
        Err(_) => d.to_string(),
    }
}

fn days(t: &Table, c: &Ctx<'_>) -> Vec<String> {
    let i = col(t, "day");
    t.rows
        .iter()
        .map(|r| day_label(&text(i.and_then(|i| r.get(i))), c))
        .collect()
}

/// A value of the data that names a group: "(none)" and "(other)" in the
/// reader's language.
pub fn key_label(k: &str, c: &Ctx<'_>) -> String {
    match k {
        af_service::reports::NONE => c.rt.none.to_string(),
        af_service::reports::OTHER => c.rt.other.to_string(),
        _ => k.to_string(),
    }
}

fn chart(id: &str, kind: ChartKind, title: String, desc: String, c: &Ctx<'_>) -> Chart {
    Chart {
        id: id.to_string(),
        kind,
        title,
        desc,
        country: c.country.to_string(),
        unit: Unit::Count,
        ..Default::default()
    }
}

pub fn leads_by_day(r: &Report, c: &Ctx<'_>) -> Chart {
    let t = &r.series;
    let total = r.totals.get("leads").copied().unwrap_or(0);
    let mut ch = chart(
        "leads-by-day",
        ChartKind::Columns,
        c.rt.ch_leads_by_dim.replace("{dim}", c.dim_label),
        c.rt.ch_leads_desc
            .replace("{dim}", c.dim_label)
            .replace("{total}", &total.to_string()),
        c,
    );
    ch.category_label = c.rt.col_day.to_string();
    ch.categories = days(t, c);
    // The columns after `day` and `leads` are the values of the dimension.
    ch.series = t
        .columns
        .iter()
        .skip(2)
        .map(|k| Series {
            label: key_label(k, c),
            values: numbers(t, k),
        })
        .collect();
    ch
}

pub fn campaigns(r: &Report, c: &Ctx<'_>) -> Chart {
    let mut ch = chart(
        "campaigns",
        ChartKind::Bars,
        c.rt.ch_campaigns.to_string(),
        c.rt.ch_campaigns_desc.to_string(),
        c,
    );
    ch.category_label = c.rt.col_utm_campaign.to_string();
    if let Some(t) = r.table("attribution") {
        // The ten largest campaigns (leads with none are in the table
        // below, not drawn as a campaign).
        let i = col(t, "utm_campaign");
        let top = Table {
            columns: t.columns.clone(),
            rows: t
                .rows
                .iter()
                .filter(|r| text(i.and_then(|i| r.get(i))) != af_service::reports::NONE)
                .take(10)
                .cloned()
                .collect(),
        };
        ch.categories = top
            .rows
            .iter()
            .map(|row| key_label(&text(i.and_then(|i| row.get(i))), c))
            .collect();
        ch.series = vec![
            Series {
                label: c.rt.s_first_touch.to_string(),
                values: numbers(&top, "first_touch"),
            },
            Series {
                label: c.rt.s_last_touch.to_string(),
                values: numbers(&top, "last_touch"),
            },
        ];
    }
    ch
}

pub fn funnel(r: &Report, c: &Ctx<'_>) -> Chart {
    let t = &r.series;
    let mut ch = chart(
        "funnel",
        ChartKind::Funnel,
        c.rt.ch_funnel.replace("{pipeline}", &c.pipeline),
        c.rt.ch_funnel_desc.to_string(),
        c,
    );
    ch.category_label = c.rt.col_stage.to_string();
    // Lost stages are not a step of the funnel: their deals left it.
    let kind = col(t, "kind");
    let rows: Vec<&Vec<Value>> = t
        .rows
        .iter()
        .filter(|r| text(kind.and_then(|k| r.get(k))) != "lost")
        .collect();
    let pick = |name: &str| -> Vec<f64> {
        let i = col(t, name);
        rows.iter().map(|r| num(i.and_then(|i| r.get(i)))).collect()
    };
    let stage = col(t, "stage");
    ch.categories = rows
        .iter()
        .map(|r| text(stage.and_then(|i| r.get(i))))
        .collect();
    ch.series = vec![
        Series {
            label: c.rt.s_reached.to_string(),
            values: pick("reached"),
        },
        Series {
            label: c.rt.s_deals.to_string(),
            values: pick("deals"),
        },
    ];
    ch
}

pub fn runs_by_day(r: &Report, c: &Ctx<'_>) -> Chart {
    let mut ch = chart(
        "runs-by-day",
        ChartKind::Line,
        c.rt.ch_runs.to_string(),
        c.rt.ch_runs_desc.to_string(),
        c,
    );
    ch.category_label = c.rt.col_day.to_string();
    if let Some(t) = r.table("days") {
        ch.categories = days(t, c);
        ch.series = vec![
            Series {
                label: c.rt.s_runs.to_string(),
                values: numbers(t, "runs"),
            },
            Series {
                label: c.rt.s_failed_runs.to_string(),
                values: numbers(t, "failed_runs"),
            },
            Series {
                label: c.rt.s_failed_steps.to_string(),
                values: numbers(t, "failed_steps"),
            },
        ];
    }
    ch
}

pub fn workflows(r: &Report, c: &Ctx<'_>) -> Chart {
    let t = &r.series;
    let mut ch = chart(
        "workflows",
        ChartKind::Bars,
        c.rt.ch_workflows.to_string(),
        c.rt.ch_workflows_desc.to_string(),
        c,
    );
    ch.category_label = c.rt.col_workflow.to_string();
    let name = col(t, "workflow");
    ch.categories = t
        .rows
        .iter()
        .map(|r| text(name.and_then(|i| r.get(i))))
        .collect();
    ch.series = ["completed", "goal", "exited", "failed", "in_progress"]
        .iter()
        .map(|k| Series {
            label: c.rt.column(k).unwrap_or(k).to_string(),
            values: numbers(t, k),
        })
        .collect();
    ch
}

pub fn messages(r: &Report, c: &Ctx<'_>) -> Chart {
    let t = &r.series;
    let mut ch = chart(
        "messages",
        ChartKind::Bars,
        c.rt.ch_messages.to_string(),
        c.rt.ch_messages_desc.to_string(),
        c,
    );
    ch.category_label = c.rt.col_channel.to_string();
    // Sum the days: one band per channel, one bar per status.
    let chan = col(t, "channel");
    let mut channels: Vec<String> = Vec::new();
    for row in &t.rows {
        let k = text(chan.and_then(|i| row.get(i)));
        if !channels.contains(&k) {
            channels.push(k);
        }
    }
    channels.sort();
    let statuses = af_service::reports::SHOWN_MESSAGE_STATUSES;
    ch.categories = channels
        .iter()
        .map(|k| c.vt.channel(k).to_string())
        .collect();
    ch.series = statuses
        .iter()
        .map(|s| {
            let i = col(t, s);
            Series {
                label: c.rt.column(s).unwrap_or(s).to_string(),
                values: channels
                    .iter()
                    .map(|k| {
                        t.rows
                            .iter()
                            .filter(|row| &text(chan.and_then(|j| row.get(j))) == k)
                            .map(|row| num(i.and_then(|i| row.get(i))))
                            .sum()
                    })
                    .collect(),
            }
        })
        .filter(|s| s.values.iter().any(|v| *v != 0.0))
        .collect();
    ch
}

pub fn bookings(r: &Report, c: &Ctx<'_>) -> Chart {
    let t = &r.series;
    let mut ch = chart(
        "bookings",
        ChartKind::Columns,
        c.rt.ch_bookings.to_string(),
        c.rt.ch_bookings_desc.to_string(),
        c,
    );
    ch.category_label = c.rt.col_day.to_string();
    ch.categories = days(t, c);
    ch.series = af_service::reports::APPOINTMENT_STATUSES
        .iter()
        .map(|s| Series {
            label: c.rt.column(s).unwrap_or(s).to_string(),
            values: numbers(t, s),
        })
        .collect();
    ch
}

/// "Todas mis cuentas": leads and messages sent per account.
pub fn accounts(a: &Accounts, c: &Ctx<'_>) -> Chart {
    let mut ch = chart(
        "accounts",
        ChartKind::Bars,
        c.rt.ch_accounts_leads.to_string(),
        c.rt.ch_accounts_desc.to_string(),
        c,
    );
    ch.category_label = c.rt.a_account.to_string();
    ch.categories = a.rows.iter().map(|r| r.name.clone()).collect();
    ch.series = vec![
        Series {
            label: c.rt.s_leads.to_string(),
            values: a.rows.iter().map(|r| r.leads as f64).collect(),
        },
        Series {
            label: c.rt.s_sent.to_string(),
            values: a.rows.iter().map(|r| r.messages_sent as f64).collect(),
        },
    ];
    ch
}

/// "Todas mis cuentas": the new leads of all the accounts per day.
pub fn accounts_leads_by_day(a: &Accounts, c: &Ctx<'_>) -> Chart {
    let mut ch = chart(
        "accounts-leads-by-day",
        ChartKind::Columns,
        c.rt.ch_accounts_by_day.to_string(),
        c.rt.ch_accounts_by_day_desc.to_string(),
        c,
    );
    ch.category_label = c.rt.col_day.to_string();
    ch.categories = a
        .leads_by_day
        .iter()
        .map(|(d, _)| day_label(d, c))
        .collect();
    ch.series = vec![Series {
        label: c.rt.s_leads.to_string(),
        values: a.leads_by_day.iter().map(|(_, n)| *n as f64).collect(),
    }];
    ch
}

/// Every chart's report, for the routes that find a chart by its id.
pub fn report_of_chart(id: &str) -> Option<ReportName> {
    Some(match id {
        "leads-by-day" | "campaigns" => ReportName::LeadsBySource,
        "funnel" => ReportName::Funnel,
        "runs-by-day" | "workflows" => ReportName::Automations,
        "messages" => ReportName::Messages,
        "bookings" => ReportName::Bookings,
        _ => return None,
    })
}
