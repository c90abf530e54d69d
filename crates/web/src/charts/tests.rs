//! The chart builders: each kind draws, hostile labels stay text, the CSV
//! and the table hold the numbers drawn, the CSP rule holds, and labels
//! never overlap on a phone.

use super::draw::{CHAR_W, LABEL_GAP, thin_labels};
use super::scale::ticks;
use super::*;
use af_core::csv_io::{CsvFile, strip_bom};

const HOSTILE: &str = r#"<script>alert(1)</script> & "quoted" 'single'"#;

fn chart(kind: ChartKind, series: usize) -> Chart {
    Chart {
        id: format!("{kind:?}").to_lowercase(),
        kind,
        title: "Leads por fuente".into(),
        desc: "Leads nuevos de los últimos 7 días, por fuente.".into(),
        category_label: "Fuente".into(),
        categories: vec!["Google".into(), "Facebook".into(), "Referidos".into()],
        series: (0..series)
            .map(|s| Series {
                label: format!("Serie {s}"),
                values: vec![120.0 + s as f64, 54.0, 7.0],
            })
            .collect(),
        unit: Unit::Count,
        country: "MX".into(),
    }
}

fn all_kinds() -> [ChartKind; 4] {
    [
        ChartKind::Columns,
        ChartKind::Bars,
        ChartKind::Line,
        ChartKind::Funnel,
    ]
}

/// Every piece of markup a chart can produce: both drawings and the card.
fn everything(c: &Chart, locale: Locale) -> String {
    let card = ChartCard {
        chart: c,
        csv_href: Some("/reports/x?format=csv&a=\"b\"".into()),
        locale,
    };
    format!("{}\n{}", render(c, locale), card.render())
}

#[test]
fn each_kind_draws_an_accessible_svg_at_both_widths() {
    for kind in all_kinds() {
        for series in [1, 3] {
            let c = chart(kind, series);
            let out = render(&c, Locale::Es).into_string();
            assert_eq!(out.matches("<svg ").count(), 2, "{kind:?}: {out}");
            for w in ["n", "w"] {
                let id = format!("chart-{}-{w}", c.id);
                assert!(
                    out.contains(&format!(r#"aria-labelledby="{id}-title""#)),
                    "{out}"
                );
                assert!(out.contains(&format!(
                    r#"<title id="{id}-title">Leads por fuente</title>"#
                )));
                assert!(out.contains(&format!(r#"<desc id="{id}-desc">Leads nuevos"#)));
            }
            assert!(out.contains(r#"role="img""#));
            assert!(out.contains(r#"width="100%""#));
            assert!(out.contains(r#"viewBox="0 0 340 "#) && out.contains(r#"viewBox="0 0 600 "#));
            let marks = if kind == ChartKind::Line {
                "<polyline"
            } else {
                "<rect"
            };
            assert!(out.contains(marks), "{kind:?} draws its marks");
            // A legend only with several series (a funnel draws one).
            let legend = out.contains(r#"width="10" height="10""#);
            assert_eq!(
                legend,
                series > 1 && kind != ChartKind::Funnel,
                "{kind:?} {series}"
            );
        }
    }
}

#[test]
fn two_charts_on_a_page_have_distinct_ids() {
    let mut a = chart(ChartKind::Bars, 1);
    let mut b = a.clone();
    a.id = "sources".into();
    b.id = "campaigns <x>".into();
    let (a, b) = (
        render(&a, Locale::Es).into_string(),
        render(&b, Locale::Es).into_string(),
    );
    assert!(a.contains(r#"id="chart-sources-w-title""#));
    assert!(b.contains(r#"id="chart-campaigns--x--w-title""#), "{b}");
}

#[test]
fn hostile_labels_are_text_everywhere() {
    for kind in all_kinds() {
        let mut c = chart(kind, 2);
        c.title = HOSTILE.into();
        c.desc = HOSTILE.into();
        c.category_label = HOSTILE.into();
        c.categories[0] = HOSTILE.into();
        c.series[1].label = HOSTILE.into();
        c.unit = Unit::Money {
            currency: "<b>".into(),
        };
        for locale in Locale::ALL {
            let out = everything(&c, locale);
            assert!(!out.contains("<script"), "{kind:?}: {out}");
            assert!(!out.contains("<b>"), "{kind:?}");
            assert!(
                out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{kind:?}"
            );
            assert!(
                !out.contains(r#""quoted""#),
                "quotes escaped in attributes and text"
            );
        }
        let csv = csv(&c);
        // In the CSV the label is quoted text, not markup to escape.
        assert!(
            csv.contains(r#""<script>alert(1)</script> & ""quoted"" 'single'""#),
            "{csv}"
        );
    }
}

#[test]
fn csv_cells_cannot_run_as_formulas() {
    let mut c = chart(ChartKind::Bars, 1);
    c.categories = vec!["=HYPERLINK(\"x\")".into(), "+1".into(), "@SUM(A1)".into()];
    c.series[0].label = "-cmd".into();
    c.series[0].values = vec![-5.0, 1.5, 2.0];
    let csv = csv(&c);
    let lines: Vec<&str> = strip_bom(csv.as_bytes())
        .split(|b| *b == b'\n')
        .map(|l| std::str::from_utf8(l).expect("utf8").trim_end())
        .collect();
    assert_eq!(lines[0], "Fuente,'-cmd");
    assert_eq!(
        lines[1], r#""'=HYPERLINK(""x"")",-5"#,
        "a negative value stays a number"
    );
    assert_eq!(lines[2], "'+1,1.5");
    assert_eq!(lines[3], "'@SUM(A1),2");
}

#[test]
fn the_csv_holds_the_numbers_drawn_and_reads_back() {
    for kind in all_kinds() {
        let mut c = chart(kind, 3);
        c.categories[1] = "Campaña, \"verano\"\nnueva".into();
        c.series[0].values = vec![1234.5, f64::NAN, 0.125];
        c.series[2].values.truncate(1);
        let out = csv(&c);
        assert!(out.starts_with('\u{feff}'));
        assert!(out.ends_with("\r\n"));
        let mut file = CsvFile::open(out.as_bytes()).expect("reads back");
        let drawn = c.drawn_series();
        let mut head = vec!["Fuente".to_string()];
        head.extend(drawn.iter().map(|s| s.label.clone()));
        assert_eq!(file.headers, head, "{kind:?}");
        for (i, cat) in c.categories.iter().enumerate() {
            let (_, cells) = file.next_row().expect("a row").expect("ok");
            assert_eq!(&cells[0], cat);
            for (s, cell) in cells[1..].iter().enumerate() {
                let v: f64 = cell.parse().expect("a plain number");
                let want = (c.value(s, i) * 100.0).round() / 100.0;
                assert_eq!(v, want, "{kind:?} row {i} series {s}");
            }
            assert_eq!(cells.len(), 1 + drawn.len());
        }
        assert!(file.next_row().is_none());
    }
}

#[test]
fn money_csv_is_in_major_units_like_every_export() {
    let mut c = chart(ChartKind::Columns, 1);
    c.unit = Unit::Money {
        currency: "MXN".into(),
    };
    c.series[0].values = vec![123_456.0, 5.0, -250.0];
    assert_eq!(
        csv(&c),
        "\u{feff}Fuente,Serie 0\r\nGoogle,1234.56\r\nFacebook,0.05\r\nReferidos,-2.50\r\n"
    );
    c.unit = Unit::Money {
        currency: "CLP".into(),
    };
    assert!(csv(&c).contains("Google,123456\r\n"));
}

#[test]
fn no_style_attribute_or_element_anywhere() {
    for kind in all_kinds() {
        for series in [1, 2, 9] {
            let mut c = chart(kind, series);
            c.unit = Unit::Percent;
            let out = everything(&c, Locale::Es);
            assert!(!out.contains("style"), "{kind:?}: {out}");
            assert!(!out.contains("<script"));
        }
    }
}

#[test]
fn palette_wraps_after_eight_series() {
    let c = chart(ChartKind::Columns, 9);
    let out = render_at(&c, Locale::Es, Width::Wide).into_string();
    for (fill, _) in super::draw::PALETTE {
        assert!(out.contains(fill), "{fill}");
    }
}

#[test]
fn empty_data_is_a_sentence_not_an_axis() {
    let cases = [
        Chart::default(),
        Chart {
            categories: vec!["a".into()],
            ..Chart::default()
        },
        Chart {
            series: vec![Series {
                label: "x".into(),
                values: vec![],
            }],
            ..Chart::default()
        },
        {
            let mut c = chart(ChartKind::Line, 2);
            for s in &mut c.series {
                s.values = vec![0.0, f64::NAN, 0.0];
            }
            c
        },
    ];
    for c in &cases {
        assert!(c.is_empty());
        for (locale, sentence) in [
            (Locale::Es, "Sin datos en este periodo."),
            (Locale::En, "No data in this period."),
        ] {
            let svg = render(c, locale).into_string();
            assert!(!svg.contains("<svg"), "{svg}");
            assert!(svg.contains(sentence));
            let card = ChartCard {
                chart: c,
                csv_href: None,
                locale,
            }
            .render();
            assert!(card.contains(sentence));
            assert!(!card.contains("<svg") && !card.contains("<table"), "{card}");
            assert!(!card.contains("data-chart-csv"));
        }
    }
}

#[test]
fn counts_follow_the_country_and_fall_back_to_the_language() {
    let fmt = |country: &str, locale| {
        let unit = Unit::Count;
        let f = format::Fmt::new(country, locale, &unit);
        (f.value(1234.0), f.value(1_234_567.25), f.value(3.5))
    };
    assert_eq!(
        fmt("", Locale::Es),
        ("1.234".into(), "1.234.567,25".into(), "3,5".into())
    );
    assert_eq!(
        fmt("", Locale::En),
        ("1,234".into(), "1,234,567.25".into(), "3.5".into())
    );
    // The workspace's country wins, as on every other page.
    assert_eq!(fmt("MX", Locale::Es).0, "1,234");
    assert_eq!(fmt("CO", Locale::En).0, "1.234");
}

#[test]
fn money_and_percent_in_both_languages() {
    let mxn = Unit::Money {
        currency: "MXN".into(),
    };
    let clp = Unit::Money {
        currency: "CLP".into(),
    };
    for locale in Locale::ALL {
        // An amount reads the way its currency is written, whoever reads it.
        let f = format::Fmt::new("", locale, &mxn);
        assert_eq!(f.value(123_456.0), "$1,234.56 MXN");
        let f = format::Fmt::new("", locale, &clp);
        assert_eq!(f.value(1_500_000.0), "$1.500.000 CLP");
    }
    let pct = Unit::Percent;
    let es = format::Fmt::new("", Locale::Es, &pct);
    let en = format::Fmt::new("", Locale::En, &pct);
    assert_eq!(es.value(42.5), "42,5\u{a0}%");
    assert_eq!(en.value(42.5), "42.5%");
    assert_eq!(es.value(100.0), "100\u{a0}%");
    assert_eq!(en.value(33.333), "33.3%");
}

#[test]
fn money_axis_shows_major_units_under_the_currency_code() {
    let mut c = chart(ChartKind::Columns, 1);
    c.unit = Unit::Money {
        currency: "MXN".into(),
    };
    // $1,500.00 .. $4,000.00 MXN in cents.
    c.series[0].values = vec![150_000.0, 400_000.0, 0.0];
    let out = render_at(&c, Locale::En, Width::Wide).into_string();
    assert!(out.contains(">MXN</text>"), "{out}");
    for tick in [">0</text>", ">2,000</text>", ">4,000</text>"] {
        assert!(out.contains(tick), "{tick}: {out}");
    }
    // $2.5 million: ticks in millions, the baseline a plain 0.
    c.series[0].values = vec![250_000_000.0, 0.0, 0.0];
    let out = render_at(&c, Locale::Es, Width::Wide).into_string();
    for tick in [">0</text>", ">1\u{a0}M</text>", ">3\u{a0}M</text>"] {
        assert!(out.contains(tick), "{tick}: {out}");
    }
}

#[test]
fn ticks_are_three_to_five_on_1_2_5_steps() {
    for (lo, hi, min_step) in [
        (0.0, 1.0, 1.0),
        (0.0, 3.0, 1.0),
        (0.0, 7.0, 1.0),
        (0.0, 100.0, 1.0),
        (0.0, 120.0, 1.0),
        (0.0, 987_654.0, 1.0),
        (-30.0, 80.0, 1.0),
        (0.0, 0.37, 0.1),
        (0.0, 12.5, 0.1),
    ] {
        let t = ticks(lo, hi, min_step);
        assert!((3..=5).contains(&t.values.len()), "{lo}..{hi}: {t:?}");
        assert!(t.lo() <= lo && t.hi() >= hi, "{lo}..{hi}: {t:?}");
        assert!(t.values.contains(&0.0), "{t:?}");
        let step = t.values[1] - t.values[0];
        let m = step / 10f64.powi(t.exp);
        assert!(
            [1.0, 2.0, 5.0].iter().any(|x| (m - x).abs() < 1e-9),
            "{step} {t:?}"
        );
        assert!(step >= min_step - 1e-12);
    }
    assert_eq!(ticks(0.0, 100.0, 1.0).values, vec![0.0, 50.0, 100.0]);
    assert_eq!(ticks(0.0, 1.0, 1.0).values, vec![0.0, 1.0, 2.0]);
}

/// The x labels drawn (their centre and text) of a drawing.
fn x_labels(svg: &str) -> Vec<(f64, String)> {
    svg.split("<text ")
        .skip(1)
        .filter(|t| t.contains(r#"text-anchor="middle""#))
        .map(|t| {
            let x = t["x=\"".len()..].split('"').next().expect("x");
            let body = t
                .split('>')
                .nth(1)
                .expect("text")
                .split('<')
                .next()
                .expect("text");
            (x.parse().expect("number"), body.to_string())
        })
        .collect()
}

#[test]
fn ninety_days_on_a_phone_keep_their_labels_apart() {
    let mut c = chart(ChartKind::Columns, 2);
    c.categories = (1..=90).map(|d| format!("{d} sept 2026")).collect();
    for s in &mut c.series {
        s.values = (0..90).map(|d| f64::from(d % 7)).collect();
    }
    for width in [Width::Narrow, Width::Wide] {
        let out = render_at(&c, Locale::Es, width).into_string();
        let labels = x_labels(&out);
        assert!(labels.len() >= 3, "some labels stay: {labels:?}");
        assert!(labels.len() < 20, "thinned: {}", labels.len());
        assert_eq!(labels[0].1, "1 sept 2026", "the first day is labelled");
        for pair in labels.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let room = (a.1.chars().count() + b.1.chars().count()) as f64 * CHAR_W / 2.0;
            assert!(b.0 - a.0 >= room + LABEL_GAP - 0.1, "{a:?} {b:?} overlap");
        }
        for (x, l) in &labels {
            let half = l.chars().count() as f64 * CHAR_W / 2.0;
            assert!(
                *x - half >= -0.1 && *x + half <= width.px() + 0.1,
                "{l} inside"
            );
        }
        // The table still has every day.
        assert_eq!(table(&c, Locale::Es).rows.len(), 90);
    }
}

#[test]
fn thinning_keeps_every_label_when_there_is_room() {
    let centres: Vec<f64> = (0..7).map(|i| 40.0 + 80.0 * f64::from(i)).collect();
    let widths = vec![30.0; 7];
    let kept = thin_labels(&centres, &widths, 0.0, 600.0);
    assert_eq!(kept.len(), 7);
    let kept = thin_labels(&centres, &[200.0; 7], 0.0, 600.0);
    assert!(kept.len() <= 3, "{kept:?}");
}

#[test]
fn long_bar_labels_are_cut_visibly_with_the_full_text_kept() {
    let mut c = chart(ChartKind::Bars, 1);
    let long = "Campaña de verano 2026 — remarketing Instagram y Facebook Ads";
    c.categories[0] = long.into();
    let out = render_at(&c, Locale::Es, Width::Narrow).into_string();
    assert!(out.contains('…'), "{out}");
    assert!(
        out.contains(&format!("<title>{long}</title>")),
        "full text as a tooltip"
    );
    let t = table(&c, Locale::Es);
    assert_eq!(t.rows[0].0, long, "the table has the full label");
}

#[test]
fn funnel_writes_the_conversion_from_the_stage_before() {
    let c = Chart {
        id: "funnel".into(),
        kind: ChartKind::Funnel,
        title: "Embudo".into(),
        desc: "Negocios por etapa.".into(),
        categories: vec![
            "Nuevo".into(),
            "Contactado".into(),
            "Ganado".into(),
            "Pagado".into(),
        ],
        series: vec![
            Series {
                label: "Negocios".into(),
                values: vec![200.0, 90.0, 0.0, 5.0],
            },
            Series {
                label: "ignored".into(),
                values: vec![1.0, 1.0, 1.0, 1.0],
            },
        ],
        country: "MX".into(),
        ..Chart::default()
    };
    let out = render_at(&c, Locale::Es, Width::Wide).into_string();
    assert!(out.contains(">200</text>"));
    assert!(out.contains(">90 · 45\u{a0}%</text>"), "{out}");
    assert!(out.contains(">0 · 0\u{a0}%</text>"));
    assert!(
        out.contains(">5 · —</text>"),
        "after an empty stage: no rate"
    );
    let t = table(&c, Locale::En);
    assert_eq!(t.head, vec!["Category", "Negocios", "Conversion"]);
    assert_eq!(t.rows[1].1, vec!["90", "45%"]);
    assert_eq!(t.rows[0].1, vec!["200", ""]);
    assert!(!csv(&c).contains("ignored"), "the CSV holds what is drawn");
}

#[test]
fn the_card_has_heading_table_toggle_and_csv_link() {
    let mut c = chart(ChartKind::Bars, 2);
    c.unit = Unit::Percent;
    for (locale, show, download) in [
        (Locale::Es, "Ver tabla", "Descargar CSV"),
        (Locale::En, "Show table", "Download CSV"),
    ] {
        let html = ChartCard {
            chart: &c,
            csv_href: Some("/reports/leads_by_source?format=csv&from=1".into()),
            locale,
        }
        .render();
        assert!(html.contains("<figure"));
        assert!(html.contains(
            r#"<h2 class="text-base font-semibold text-slate-900">Leads por fuente</h2>"#
        ));
        assert!(html.contains(&format!("<summary class=\"cursor-pointer text-sm font-medium text-slate-700 underline hover:text-slate-900\">{show}</summary>")));
        assert!(html.contains(&format!(">{download}</a>")));
        assert!(
            html.contains(r#"href="/reports/leads_by_source?format=csv&#38;from=1""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<th scope="col" class="px-2 py-1 font-medium text-left">Fuente</th>"#)
        );
        assert!(html.contains(
            r#"<th scope="row" class="px-2 py-1 text-left font-normal break-words">Facebook</th>"#
        ));
        let pct = if locale == Locale::Es {
            "54\u{a0}%"
        } else {
            "54%"
        };
        assert!(html.contains(&format!(">{pct}</td>")), "{html}");
        // The chart is embedded, not escaped.
        assert!(html.contains("<svg "));
    }
    let no_link = ChartCard {
        chart: &c,
        csv_href: None,
        locale: Locale::Es,
    }
    .render();
    assert!(!no_link.contains("Descargar CSV"));
}

#[test]
fn output_is_deterministic() {
    for kind in all_kinds() {
        let c = chart(kind, 3);
        assert_eq!(
            everything(&c, Locale::Es),
            everything(&c.clone(), Locale::Es)
        );
    }
}
