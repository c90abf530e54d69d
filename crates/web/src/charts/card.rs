//! The chart card (`templates/charts/_card.html`): a `<figure>` with the
//! heading, the chart for the screen's width, a "Ver tabla" toggle that
//! shows the same numbers as a table (`<details>`: works with the keyboard
//! and without script) and a "Descargar CSV" link.

use super::{Chart, Svg, Table, render, table};
use crate::i18n::charts::ChartsTr;
use af_core::Locale;
use askama::Template;
use std::fmt;

/// A chart with its heading, table toggle and CSV link. Embed it in a
/// template as `{{ card }}` (it is HTML-safe), or call [`ChartCard::render`].
#[derive(Debug, Clone)]
pub struct ChartCard<'a> {
    pub chart: &'a Chart,
    /// Where "Descargar CSV" points (the report's `?format=csv`); no link
    /// when `None`.
    pub csv_href: Option<String>,
    pub locale: Locale,
}

#[derive(Template)]
#[template(path = "charts/_card.html")]
struct CardTemplate<'a> {
    t: &'static ChartsTr,
    id: String,
    title: &'a str,
    empty: bool,
    svg: Svg,
    table: Table,
    csv_href: Option<&'a str>,
}

impl ChartCard<'_> {
    /// The card's HTML.
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ChartCard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tpl = CardTemplate {
            t: ChartsTr::get(self.locale),
            id: super::dom_id(&self.chart.id),
            title: &self.chart.title,
            empty: self.chart.is_empty(),
            svg: render(self.chart, self.locale),
            table: table(self.chart, self.locale),
            csv_href: self.csv_href.as_deref(),
        };
        fmt::Display::fmt(&tpl, f)
    }
}

impl askama::filters::HtmlSafe for ChartCard<'_> {}
