//! Writes a chart's SVG: one function per kind, sharing the frame (title,
//! description, ids), the value axis, the x-label thinning and the legend.
//!
//! Everything visible is coloured by class (Tailwind utilities listed in
//! this folder, which `assets/css/input.css` scans): the CSP allows no
//! `style` attribute and no `<style>` element. Every piece of text a user
//! or a visitor typed goes through [`esc`].

use super::format::Fmt;
use super::scale::{self, Linear, Ticks};
use super::{Chart, ChartKind, Unit, Width};
use std::fmt::Write as _;

/// Font size of every label, in viewBox units (`text-[11px]` below).
const FONT: f64 = 11.0;
/// A conservative average advance of one character at [`FONT`]: labels
/// are laid out as if this wide, so real text never overlaps.
pub(super) const CHAR_W: f64 = FONT * 0.6;
/// Space kept between two x labels.
pub(super) const LABEL_GAP: f64 = 6.0;
/// Longest x label (days, weeks, months are short; the table has the rest).
const X_LABEL_CHARS: usize = 12;
/// Longest legend entry.
const LEGEND_CHARS: usize = 24;

/// Series colours: fill and stroke of the same shade, each at least 3:1
/// against white (non-text contrast) and told apart by hue.
pub(super) const PALETTE: [(&str, &str); 8] = [
    ("fill-indigo-600", "stroke-indigo-600"),
    ("fill-teal-600", "stroke-teal-600"),
    ("fill-amber-700", "stroke-amber-700"),
    ("fill-rose-600", "stroke-rose-600"),
    ("fill-sky-700", "stroke-sky-700"),
    ("fill-lime-700", "stroke-lime-700"),
    ("fill-fuchsia-700", "stroke-fuchsia-700"),
    ("fill-slate-500", "stroke-slate-500"),
];

const TEXT: &str = "fill-slate-600 text-[11px] tabular-nums";
const GRID: &str = "stroke-slate-200";
const BASELINE: &str = "stroke-slate-400";

/// Text for SVG character data and attribute values: `& < > " '` escaped.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML text.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with one decimal at most (`12`, `12.5`): short, stable output.
fn n(x: f64) -> String {
    let s = format!("{x:.1}");
    match s.strip_suffix(".0") {
        Some("-0") => "0".into(),
        Some(t) => t.to_string(),
        None => s,
    }
}

/// Laid-out width of `s` at the label font.
pub(super) fn text_w(s: &str) -> f64 {
    s.chars().count() as f64 * CHAR_W
}

/// `s` cut to `max` characters with a visible `…`.
pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// A `<text>`; when `full` differs from what is shown, it carries the full
/// text as its `<title>` (a tooltip), the table showing it too.
fn text(out: &mut String, x: f64, y: f64, anchor: &str, shown: &str, full: &str) {
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" text-anchor="{anchor}" class="{TEXT}">"#,
        n(x),
        n(y)
    );
    if shown != full {
        let _ = write!(out, "<title>{}</title>", esc(full));
    }
    out.push_str(&esc(shown));
    out.push_str("</text>");
}

fn hline(out: &mut String, x0: f64, x1: f64, y: f64, class: &str) {
    let _ = write!(
        out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" class="{class}"/>"#,
        n(x0),
        n(y),
        n(x1),
        n(y)
    );
}

fn vline(out: &mut String, x: f64, y0: f64, y1: f64, class: &str) {
    let _ = write!(
        out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" class="{class}"/>"#,
        n(x),
        n(y0),
        n(x),
        n(y1)
    );
}

/// A rectangle with its tooltip (`<title>`: category, series, value).
fn rect(out: &mut String, x: f64, y: f64, w: f64, h: f64, class: &str, tip: &str) {
    let _ = write!(
        out,
        r#"<rect x="{}" y="{}" width="{}" height="{}" class="{class}"><title>{}</title></rect>"#,
        n(x),
        n(y),
        n(w.max(0.0)),
        n(h.max(0.0)),
        esc(tip)
    );
}

/// What a mark's tooltip says: `Category — Series: 1.234` (no series name
/// when there is only one).
fn tip(chart: &Chart, fmt: &Fmt, s: usize, i: usize) -> String {
    let cat = chart.categories.get(i).map_or("", String::as_str);
    let v = fmt.value(chart.value(s, i));
    if chart.drawn_series().len() > 1 {
        format!("{cat} — {}: {v}", chart.series[s].label)
    } else {
        format!("{cat}: {v}")
    }
}

/// Which x labels to show, as `(index, centre)`: every k-th, k chosen so
/// the widest label fits its share of the axis, then each label kept only
/// if it clears the last kept one once pulled inside `min_x..=max_x`. So
/// labels never overlap, however many days a narrow chart shows.
pub(super) fn thin_labels(
    centres: &[f64],
    widths: &[f64],
    min_x: f64,
    max_x: f64,
) -> Vec<(usize, f64)> {
    let count = centres.len();
    if count == 0 {
        return Vec::new();
    }
    let slot = if count > 1 {
        (centres[count - 1] - centres[0]) / (count - 1) as f64
    } else {
        max_x - min_x
    };
    let widest = widths.iter().copied().fold(0.0, f64::max);
    let every = ((widest + LABEL_GAP) / slot.max(0.1)).ceil().max(1.0) as usize;
    let mut kept = Vec::new();
    let mut last_right = f64::NEG_INFINITY;
    for i in (0..count).step_by(every) {
        let half = widths[i] / 2.0;
        let x = centres[i].clamp(min_x + half, (max_x - half).max(min_x + half));
        if x - half >= last_right + LABEL_GAP {
            kept.push((i, x));
            last_right = x + half;
        }
    }
    kept
}

/// The value axis's ticks for the values drawn, on steps that suit the
/// unit (whole counts, whole currency units, tenths of a percent).
fn value_ticks(chart: &Chart, lo: f64, hi: f64) -> Ticks {
    let min_step = match &chart.unit {
        Unit::Count => 1.0,
        Unit::Percent => 0.1,
        Unit::Money { currency } => 10f64.powi(af_core::money::minor_digits(currency) as i32),
    };
    scale::ticks(lo, hi, min_step)
}

/// A drawn chart body and the height it used.
pub(super) struct Body {
    pub svg: String,
    pub height: f64,
}

/// Columns (stacked) and lines: categories across, values up.
pub(super) fn over_categories(chart: &Chart, fmt: &Fmt, width: Width) -> Body {
    let w = width.px();
    let count = chart.categories.len();
    let series = chart.drawn_series().len();
    let stacked = matches!(chart.kind, ChartKind::Columns);
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for i in 0..count {
        let (mut pos, mut neg) = (0.0, 0.0);
        for s in 0..series {
            let v = chart.value(s, i);
            if stacked {
                if v >= 0.0 { pos += v } else { neg += v }
            } else {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        lo = lo.min(neg);
        hi = hi.max(pos);
    }
    let ticks = value_ticks(chart, lo, hi);
    let labels: Vec<String> = ticks
        .values
        .iter()
        .map(|&t| fmt.tick(t, ticks.exp, ticks.max_abs()))
        .collect();
    let caption = fmt.axis_caption();
    let top = if caption.is_some() { 24.0 } else { 8.0 };
    let left = labels.iter().map(|l| text_w(l)).fold(16.0, f64::max) + 8.0;
    let (x0, x1) = (left, w - 6.0);
    let plot_h = match width {
        Width::Narrow => 150.0,
        Width::Wide => 190.0,
    };
    let (y0, y1) = (top, top + plot_h);
    let y = Linear::new(&ticks, y1, y0);
    let mut out = String::new();
    if let Some(c) = caption {
        text(&mut out, 0.0, 12.0, "start", c, c);
    }
    for (t, label) in ticks.values.iter().zip(&labels) {
        let class = if *t == 0.0 { BASELINE } else { GRID };
        hline(&mut out, x0, x1, y.at(*t), class);
        text(&mut out, x0 - 6.0, y.at(*t) + 4.0, "end", label, label);
    }
    let slot = (x1 - x0) / count as f64;
    let centre = |i: usize| x0 + slot * (i as f64 + 0.5);
    if stacked {
        let bar_w = if slot >= 4.0 { slot * 0.7 } else { slot };
        for i in 0..count {
            let (mut pos, mut neg) = (0.0, 0.0);
            for s in 0..series {
                let v = chart.value(s, i);
                if v == 0.0 {
                    continue;
                }
                let (from, to) = if v > 0.0 {
                    pos += v;
                    (pos - v, pos)
                } else {
                    neg += v;
                    (neg - v, neg)
                };
                let (ya, yb) = (y.at(from), y.at(to));
                rect(
                    &mut out,
                    centre(i) - bar_w / 2.0,
                    ya.min(yb),
                    bar_w,
                    (ya - yb).abs(),
                    PALETTE[s % PALETTE.len()].0,
                    &tip(chart, fmt, s, i),
                );
            }
        }
    } else {
        for s in 0..series {
            let (fill, stroke) = PALETTE[s % PALETTE.len()];
            let points: Vec<String> = (0..count)
                .map(|i| format!("{},{}", n(centre(i)), n(y.at(chart.value(s, i)))))
                .collect();
            let _ = write!(
                out,
                r#"<polyline points="{}" class="fill-none {stroke} stroke-2"/>"#,
                points.join(" ")
            );
            // Dots (each with its tooltip) while there is room for them.
            if slot >= 8.0 || count == 1 {
                for i in 0..count {
                    let _ = write!(
                        out,
                        r#"<circle cx="{}" cy="{}" r="3" class="{fill}"><title>{}</title></circle>"#,
                        n(centre(i)),
                        n(y.at(chart.value(s, i))),
                        esc(&tip(chart, fmt, s, i))
                    );
                }
            }
        }
    }
    let shown: Vec<String> = chart
        .categories
        .iter()
        .map(|c| truncate(c, X_LABEL_CHARS))
        .collect();
    let centres: Vec<f64> = (0..count).map(centre).collect();
    let widths: Vec<f64> = shown.iter().map(|s| text_w(s)).collect();
    for (i, x) in thin_labels(&centres, &widths, 0.0, w) {
        text(
            &mut out,
            x,
            y1 + 15.0,
            "middle",
            &shown[i],
            &chart.categories[i],
        );
    }
    Body {
        svg: out,
        height: y1 + 22.0,
    }
}

/// Width of the label column of horizontal bars and funnels.
fn label_column(width: Width) -> f64 {
    match width {
        Width::Narrow => 96.0,
        Width::Wide => 160.0,
    }
}

/// Horizontal bars, one band per category, series side by side.
pub(super) fn bars(chart: &Chart, fmt: &Fmt, width: Width) -> Body {
    let w = width.px();
    let count = chart.categories.len();
    let series = chart.drawn_series().len();
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    let mut value_w: f64 = 0.0;
    for s in 0..series {
        for i in 0..count {
            let v = chart.value(s, i);
            lo = lo.min(v);
            hi = hi.max(v);
            value_w = value_w.max(text_w(&fmt.value(v)));
        }
    }
    let ticks = value_ticks(chart, lo, hi);
    let label_w = label_column(width);
    let label_chars = ((label_w - 8.0) / CHAR_W).floor() as usize;
    let (x0, x1) = (label_w, w - value_w - 8.0);
    let x = Linear::new(&ticks, x0, x1.max(x0 + 20.0));
    // Side-by-side bars are a line of text apart, so their values do not
    // collide.
    let (bar_h, pitch) = if series == 1 {
        (14.0, 14.0)
    } else {
        (10.0, 12.0)
    };
    let band_h = series as f64 * pitch + 8.0;
    let top = 4.0;
    let mut out = String::new();
    let bottom = top + band_h * count as f64;
    for i in 0..count {
        let band = top + band_h * i as f64;
        let label = &chart.categories[i];
        text(
            &mut out,
            label_w - 8.0,
            band + band_h / 2.0 + 4.0,
            "end",
            &truncate(label, label_chars),
            label,
        );
        for s in 0..series {
            let v = chart.value(s, i);
            let by = band + 4.0 + s as f64 * pitch;
            let (xa, xb) = (x.at(v.min(0.0)), x.at(v.max(0.0)));
            rect(
                &mut out,
                xa,
                by,
                xb - xa,
                bar_h,
                PALETTE[s % PALETTE.len()].0,
                &tip(chart, fmt, s, i),
            );
            let v_text = fmt.value(v);
            text(
                &mut out,
                xb + 4.0,
                by + bar_h / 2.0 + 4.0,
                "start",
                &v_text,
                &v_text,
            );
        }
    }
    vline(&mut out, x.at(0.0), top, bottom, BASELINE);
    Body {
        svg: out,
        height: bottom + 6.0,
    }
}

/// A funnel: the first series, one centred bar per stage, each bar's
/// width its share of the widest stage, and beside it the value and the
/// conversion from the stage before.
pub(super) fn funnel(chart: &Chart, fmt: &Fmt, width: Width) -> Body {
    let w = width.px();
    let count = chart.categories.len();
    let values: Vec<f64> = (0..count).map(|i| chart.value(0, i).max(0.0)).collect();
    let notes: Vec<String> = chart.funnel_notes(fmt);
    let max = values.iter().copied().fold(0.0, f64::max);
    let note_w = notes.iter().map(|t| text_w(t)).fold(0.0, f64::max);
    let label_w = label_column(width);
    let label_chars = ((label_w - 8.0) / CHAR_W).floor() as usize;
    let (x0, x1) = (label_w, (w - note_w - 10.0).max(label_w + 20.0));
    let mid = (x0 + x1) / 2.0;
    let (bar_h, band_h, top) = (18.0, 26.0, 4.0);
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        let band = top + band_h * i as f64;
        let label = &chart.categories[i];
        let text_y = band + band_h / 2.0 + 4.0;
        text(
            &mut out,
            label_w - 8.0,
            text_y,
            "end",
            &truncate(label, label_chars),
            label,
        );
        let bw = if max > 0.0 && *v > 0.0 {
            (v / max * (x1 - x0)).max(2.0)
        } else {
            0.0
        };
        let tip = format!("{label}: {}", notes[i]);
        rect(
            &mut out,
            mid - bw / 2.0,
            band + 4.0,
            bw,
            bar_h,
            PALETTE[0].0,
            &tip,
        );
        text(&mut out, x1 + 6.0, text_y, "start", &notes[i], &notes[i]);
    }
    Body {
        svg: out,
        height: top + band_h * count as f64 + 6.0,
    }
}

/// The legend (more than one series): swatch and name, flowing onto as
/// many rows as the width needs, below the chart.
pub(super) fn legend(chart: &Chart, width: Width, y: f64) -> Body {
    let w = width.px();
    let mut out = String::new();
    let (mut x, mut row_y) = (0.0, y + 6.0);
    for (s, series) in chart.drawn_series().iter().enumerate() {
        let shown = truncate(&series.label, LEGEND_CHARS);
        let item_w = 14.0 + text_w(&shown) + 14.0;
        if x > 0.0 && x + item_w > w {
            x = 0.0;
            row_y += 16.0;
        }
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="10" height="10" rx="2" class="{}"/>"#,
            n(x),
            n(row_y),
            PALETTE[s % PALETTE.len()].0
        );
        text(
            &mut out,
            x + 14.0,
            row_y + 9.0,
            "start",
            &shown,
            &series.label,
        );
        x += item_w;
    }
    Body {
        svg: out,
        height: row_y + 16.0,
    }
}
