//! Charts drawn on the server as inline SVG: columns, horizontal bars,
//! lines and funnels, for the dashboard and the reports.
//!
//! Our own small builders rather than a chart crate: we decide every class
//! (the CSP forbids `style` attributes and `<style>` elements, so colours
//! are Tailwind classes), every escape and the accessibility (`role="img"`,
//! `<title>`, `<desc>`, the same numbers as a table), with no dependency to
//! follow. A page builds a [`Chart`], then shows it with [`ChartCard`]
//! (heading, chart, "Ver tabla", "Descargar CSV") or embeds [`render`];
//! [`csv`] exports exactly the numbers drawn.
//!
//! Values are `f64` in the unit's own terms: counts, percentage points
//! (`42.5` is 42.5 %), or money in integer minor units of its currency
//! (like every amount in the product). A value that is not finite, or
//! missing because a series is shorter than the categories, is 0 —
//! in the drawing, the table and the CSV alike.

mod card;
mod draw;
mod format;
mod scale;
#[cfg(test)]
mod tests;

pub use card::ChartCard;

use af_core::Locale;
use af_core::csv_io::csv_line;
use std::fmt;

/// One named row of values, one value per category.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub label: String,
    pub values: Vec<f64>,
}

/// What a chart draws.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChartKind {
    /// Vertical columns over categories (e.g. days); several series stack.
    #[default]
    Columns,
    /// Horizontal bars, one band per category (sources, campaigns,
    /// channels); several series side by side in the band.
    Bars,
    /// Lines over categories (days), one per series.
    Line,
    /// A funnel of the first series: one bar per stage, narrowing, with
    /// the conversion from the previous stage written beside each.
    Funnel,
}

/// What the values are, for the axis, the labels and the CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Unit {
    #[default]
    Count,
    /// Integer minor units of an ISO 4217 currency (`150050` MXN is
    /// $1,500.50 MXN); the axis shows major units under the code.
    Money { currency: String },
    /// Percentage points: `42.5` is 42.5 %.
    Percent,
}

/// A chart to draw. `Chart { kind, title, .., ..Default::default() }`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    /// Names the chart's element ids (`chart-{id}-…`): give every chart on
    /// a page its own (letters, digits, `-` and `_`; others become `-`).
    pub id: String,
    pub kind: ChartKind,
    /// The chart's `<title>` and the card's heading.
    pub title: String,
    /// The chart's `<desc>`: a sentence a screen reader can use.
    pub desc: String,
    /// Heads the category column of the table and the CSV ("Día",
    /// "Fuente"); empty reads "Categoría" / "Category" (`category` in CSV).
    pub category_label: String,
    /// The x labels (or bar labels), in order.
    pub categories: Vec<String>,
    /// `values.len() == categories.len()`; a shorter series reads 0.
    pub series: Vec<Series>,
    pub unit: Unit,
    /// The workspace's country (ISO 3166 alpha-2): numbers use its
    /// thousands separator, like every count in the product. Empty: the
    /// language's usual separator (Spanish `1.234`, English `1,234`).
    pub country: String,
}

impl Chart {
    /// The series drawn: a funnel draws its first only.
    pub fn drawn_series(&self) -> &[Series] {
        match self.kind {
            ChartKind::Funnel => &self.series[..self.series.len().min(1)],
            _ => &self.series,
        }
    }

    /// Value `i` of series `s` as drawn: 0 when missing or not finite.
    pub fn value(&self, s: usize, i: usize) -> f64 {
        self.series
            .get(s)
            .and_then(|se| se.values.get(i))
            .copied()
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
    }

    /// No category, no series, or every value 0: the chart is a sentence
    /// ("Sin datos en este periodo."), never an empty axis.
    pub fn is_empty(&self) -> bool {
        let series = self.drawn_series();
        self.categories.is_empty()
            || series.is_empty()
            || (0..series.len())
                .all(|s| (0..self.categories.len()).all(|i| self.value(s, i) == 0.0))
    }

    /// A funnel's text beside each stage: the value, then (from the second
    /// stage) the conversion from the stage before: `120 · 45 %`.
    fn funnel_notes(&self, fmt: &format::Fmt) -> Vec<String> {
        let conv = self.funnel_conversions();
        (0..self.categories.len())
            .map(|i| {
                let v = fmt.value(self.value(0, i));
                match conv[i] {
                    Some(Some(pct)) => format!("{v} · {}", fmt.rate(pct)),
                    Some(None) => format!("{v} · —"),
                    None => v,
                }
            })
            .collect()
    }

    /// The conversion into each stage from the one before, in percent:
    /// `None` for the first stage, `Some(None)` after an empty stage.
    fn funnel_conversions(&self) -> Vec<Option<Option<f64>>> {
        (0..self.categories.len())
            .map(|i| {
                (i > 0).then(|| {
                    let prev = self.value(0, i - 1).max(0.0);
                    (prev > 0.0).then(|| self.value(0, i).max(0.0) / prev * 100.0)
                })
            })
            .collect()
    }
}

/// Which layout to draw: the phone's or the wider one. Text keeps its size
/// only while the SVG is shown near its viewBox width, so [`render`] draws
/// both and the page shows one per screen size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// 340 units: a phone's card (390 px screen).
    Narrow,
    /// 600 units: a tablet or laptop card.
    Wide,
}

impl Width {
    pub fn px(self) -> f64 {
        match self {
            Width::Narrow => 340.0,
            Width::Wide => 600.0,
        }
    }
    fn suffix(self) -> &'static str {
        match self {
            Width::Narrow => "n",
            Width::Wide => "w",
        }
    }
}

/// Markup built here, escaped as it was built: templates embed it as is
/// (`{{ svg }}` needs no `|safe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Svg(String);

impl Svg {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Svg {}

/// The chart for every card: the narrow drawing while the card itself is
/// under 36 rem (576 px) wide, the wide one above — a container query, so
/// a half-width card on a laptop gets the narrow drawing and keeps its
/// text readable (the other is `display: none`, so out of the
/// accessibility tree too). Empty data is a sentence.
pub fn render(chart: &Chart, locale: Locale) -> Svg {
    if chart.is_empty() {
        return render_at(chart, locale, Width::Wide);
    }
    Svg(format!(
        r#"<div class="@container"><div class="@xl:hidden">{}</div><div class="hidden @xl:block">{}</div></div>"#,
        render_at(chart, locale, Width::Narrow),
        render_at(chart, locale, Width::Wide)
    ))
}

/// One drawing of the chart, `<svg viewBox=… width="100%" role="img">`;
/// or, with no data, `<p>Sin datos en este periodo.</p>`.
pub fn render_at(chart: &Chart, locale: Locale, width: Width) -> Svg {
    let t = crate::i18n::charts::ChartsTr::get(locale);
    if chart.is_empty() {
        return Svg(format!(
            r#"<p class="py-6 text-sm text-slate-600" data-chart-empty>{}</p>"#,
            draw::esc(t.no_data)
        ));
    }
    let fmt = format::Fmt::new(&chart.country, locale, &chart.unit);
    let mut body = match chart.kind {
        ChartKind::Columns | ChartKind::Line => draw::over_categories(chart, &fmt, width),
        ChartKind::Bars => draw::bars(chart, &fmt, width),
        ChartKind::Funnel => draw::funnel(chart, &fmt, width),
    };
    if chart.drawn_series().len() > 1 {
        let legend = draw::legend(chart, width, body.height);
        body.svg.push_str(&legend.svg);
        body.height = legend.height;
    }
    let id = format!("{}-{}", dom_id(&chart.id), width.suffix());
    Svg(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" "#,
            r#"class="block h-auto overflow-visible" role="img" "#,
            r#"aria-labelledby="{id}-title" aria-describedby="{id}-desc">"#,
            r#"<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            "{body}</svg>"
        ),
        w = width.px(),
        h = body.height.ceil(),
        id = id,
        title = draw::esc(&chart.title),
        desc = draw::esc(&chart.desc),
        body = body.svg,
    ))
}

/// `chart-` and the caller's id with anything but `[A-Za-z0-9_-]` as `-`:
/// always a valid, unique-per-chart element id.
pub(crate) fn dom_id(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("chart-{clean}")
}

/// The chart's numbers as CSV: a UTF-8 BOM (Excel reads accents), a header
/// (the category label, then each series drawn), one row per category,
/// lines ending `\r\n`. Labels are quoted where needed and guarded against
/// spreadsheet formulas (`af_core::csv_io`); values are plain numbers
/// (`.` decimal, money in major units) rounded as the chart writes them.
pub fn csv(chart: &Chart) -> String {
    let series = chart.drawn_series();
    let mut header = vec![if chart.category_label.is_empty() {
        "category"
    } else {
        chart.category_label.as_str()
    }];
    header.extend(series.iter().map(|s| s.label.as_str()));
    let mut out = String::from("\u{feff}");
    out.push_str(&String::from_utf8_lossy(&csv_line(&header)));
    for (i, category) in chart.categories.iter().enumerate() {
        // The label through csv_line (quoting, formula guard); the numbers
        // appended as they are: a negative amount is a number, not a
        // formula, and must stay one.
        let mut line = String::from_utf8_lossy(&csv_line(&[category])).into_owned();
        line.truncate(line.trim_end_matches(['\r', '\n']).len());
        for s in 0..series.len() {
            line.push(',');
            line.push_str(&format::plain(chart.value(s, i), &chart.unit));
        }
        line.push_str("\r\n");
        out.push_str(&line);
    }
    out
}

/// The numbers as the table shows them: column heads, then per category
/// its label and formatted values (a funnel adds the conversion).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

/// The table of [`ChartCard`], for pages that lay it out themselves.
pub fn table(chart: &Chart, locale: Locale) -> Table {
    let t = crate::i18n::charts::ChartsTr::get(locale);
    let fmt = format::Fmt::new(&chart.country, locale, &chart.unit);
    let series = chart.drawn_series();
    let funnel = chart.kind == ChartKind::Funnel;
    let mut head = vec![if chart.category_label.is_empty() {
        t.category.to_string()
    } else {
        chart.category_label.clone()
    }];
    head.extend(series.iter().map(|s| s.label.clone()));
    if funnel {
        head.push(t.conversion.to_string());
    }
    let conv = chart.funnel_conversions();
    let rows = chart
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut cells: Vec<String> = (0..series.len())
                .map(|s| fmt.value(chart.value(s, i)))
                .collect();
            if funnel {
                cells.push(match conv[i] {
                    Some(Some(pct)) => fmt.rate(pct),
                    Some(None) => "—".into(),
                    None => String::new(),
                });
            }
            (c.clone(), cells)
        })
        .collect();
    Table { head, rows }
}
