//! Charts drawn as SVG: the status doughnuts and the line charts over time. Every chart has
//! its numbers in words beside it (a legend with counts, points with titles), so nothing
//! depends on telling colours apart or on hovering.

use std::fmt::Write as _;

use super::html::{SERIES, esc, grouped, num, pct};
use crate::state::history::Time;

/// One slice of a doughnut: its name, its count, its colour.
pub struct Slice<'a> {
    pub label: &'a str,
    pub count: u64,
    pub colour: &'a str,
}

/// A doughnut of counts with the total in the middle and a legend listing every slice with
/// its count and share.
pub fn doughnut(out: &mut String, title: &str, slices: &[Slice]) {
    let total: u64 = slices.iter().map(|s| s.count).sum();
    let r = 56.0;
    let c = 2.0 * std::f64::consts::PI * r;
    let _ = write!(
        out,
        r#"<figure class="donut"><figcaption>{}</figcaption><svg viewBox="0 0 160 160" width="160" height="160" role="img" aria-label="{}: {} resource CIDRs">"#,
        esc(title),
        esc(title),
        grouped(u128::from(total))
    );
    let _ = write!(
        out,
        r##"<circle cx="80" cy="80" r="{r}" fill="none" stroke="#e6e6e6" stroke-width="26"/>"##
    );
    let mut offset = 0.0;
    for s in slices.iter().filter(|s| s.count > 0) {
        let len = s.count as f64 / total as f64 * c;
        // Starts at the top, clockwise; a white gap of 1 unit parts neighbouring slices.
        let gap = if len >= c - 0.01 { 0.0 } else { 1.0 };
        let _ = write!(
            out,
            r#"<circle cx="80" cy="80" r="{r}" fill="none" stroke="{}" stroke-width="26" stroke-dasharray="{} {}" stroke-dashoffset="{}" transform="rotate(-90 80 80)"><title>{}: {} ({})</title></circle>"#,
            s.colour,
            num((len - gap).max(0.5)),
            num(c - len + gap),
            num(-offset),
            esc(s.label),
            grouped(u128::from(s.count)),
            pct(s.count as f64 * 100.0 / total as f64)
        );
        offset += len;
    }
    let _ = write!(
        out,
        r#"<text x="80" y="78" text-anchor="middle" style="font-size:20px;font-weight:700">{}</text><text x="80" y="96" text-anchor="middle">CIDRs</text></svg><ul class="legend">"#,
        grouped(u128::from(total))
    );
    for s in slices {
        let share = if total == 0 {
            0.0
        } else {
            s.count as f64 * 100.0 / total as f64
        };
        let _ = write!(
            out,
            r#"<li><svg class="sw" width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{}"/></svg>{}: <b>{}</b> ({})</li>"#,
            s.colour,
            esc(s.label),
            grouped(u128::from(s.count)),
            pct(share)
        );
    }
    out.push_str("</ul></figure>");
}

/// A series of a line chart.
pub struct Series<'a> {
    pub label: &'a str,
    pub points: Vec<(Time, f64)>,
}

/// What the y axis shows.
#[derive(Clone, Copy)]
pub enum Axis {
    /// 0–100 %.
    Percent,
    /// 0 to the largest value.
    Count,
}

const CW: f64 = 560.0;
const CH: f64 = 240.0;
const LEFT: f64 = 52.0;
const BOTTOM: f64 = 30.0;
const TOP: f64 = 10.0;
const RIGHT: f64 = 14.0;

/// A line chart over time, up to eight series told apart by colour and dash pattern, with
/// a legend; each point carries its date and value as a title. `level` draws a dashed
/// horizontal line (e.g. an alert threshold).
pub fn lines(out: &mut String, title: &str, axis: Axis, series: &[Series], level: Option<f64>) {
    let times = series.iter().flat_map(|s| s.points.iter().map(|p| p.0.0));
    let (t0, t1) = times.fold((u64::MAX, 0), |(a, b), t| (a.min(t), b.max(t)));
    let y_max = match axis {
        Axis::Percent => 100.0,
        // A multiple of 4, so that the four grid lines fall on whole numbers.
        Axis::Count => {
            let max = series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1))
                .fold(1.0, f64::max);
            (max / 4.0).ceil() * 4.0
        }
    };
    let _ = write!(
        out,
        r#"<figure><figcaption>{}</figcaption><svg viewBox="0 0 {CW} {CH}" width="{CW}" role="img" aria-label="{}">"#,
        esc(title),
        esc(title)
    );
    let plot_w = CW - LEFT - RIGHT;
    let plot_h = CH - TOP - BOTTOM;
    let x = |t: u64| {
        if t1 > t0 {
            LEFT + (t - t0) as f64 / (t1 - t0) as f64 * plot_w
        } else {
            LEFT + plot_w / 2.0
        }
    };
    let y = |v: f64| TOP + plot_h - (v / y_max).clamp(0.0, 1.0) * plot_h;
    for i in 0..=4 {
        let v = y_max * f64::from(i) / 4.0;
        let label = match axis {
            Axis::Percent => format!("{v:.0}%"),
            Axis::Count => grouped(v.round() as u128),
        };
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{yy}" y2="{yy}"/><text x="{}" y="{}" text-anchor="end">{label}</text>"#,
            num(CW - RIGHT),
            num(LEFT - 4.0),
            num(y(v) + 4.0),
            yy = num(y(v))
        );
    }
    let _ = write!(
        out,
        r#"<line class="ax" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{b}"/><line class="ax" x1="{LEFT}" x2="{}" y1="{b}" y2="{b}"/>"#,
        num(CW - RIGHT),
        b = num(TOP + plot_h)
    );
    if t0 <= t1 {
        let ticks: Vec<u64> = if t1 > t0 {
            (0..=3).map(|i| t0 + (t1 - t0) / 3 * i).collect()
        } else {
            vec![t0]
        };
        let mut last = String::new();
        for (i, t) in ticks.iter().enumerate() {
            let date = Time(*t).date();
            if date == last {
                continue;
            }
            last.clone_from(&date);
            let anchor = match i {
                0 if ticks.len() > 1 => "start",
                3 => "end",
                _ => "middle",
            };
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
                num(x(*t)),
                num(CH - 10.0),
                date
            );
        }
    }
    if let Some(level) = level {
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{l}" y2="{l}" stroke="#D55E00" stroke-width="1.5" stroke-dasharray="3 3"><title>alert_at {}</title></line>"##,
            num(CW - RIGHT),
            pct(level),
            l = num(y(level))
        );
    }
    for (s, (colour, dash)) in series.iter().zip(SERIES) {
        let pts: Vec<String> = s
            .points
            .iter()
            .map(|(t, v)| format!("{},{}", num(x(t.0)), num(y(*v))))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" points="{}"><title>{}</title></polyline>"#,
            pts.join(" "),
            esc(s.label)
        );
        // Points are marked while they can be told apart.
        if s.points.len() <= 60 {
            for (t, v) in &s.points {
                let value = match axis {
                    Axis::Percent => pct(*v),
                    Axis::Count => grouped(v.round() as u128),
                };
                let _ = write!(
                    out,
                    r#"<circle cx="{}" cy="{}" r="2.5" fill="{colour}"><title>{}, {t}: {value}</title></circle>"#,
                    num(x(t.0)),
                    num(y(*v)),
                    esc(s.label)
                );
            }
        }
    }
    out.push_str(r#"</svg><ul class="legend">"#);
    for (s, (colour, dash)) in series.iter().zip(SERIES) {
        let last = s
            .points
            .last()
            .map_or_else(String::new, |(_, v)| match axis {
                Axis::Percent => format!(" (latest {})", pct(*v)),
                Axis::Count => format!(" (latest {})", grouped(v.round() as u128)),
            });
        let _ = write!(
            out,
            r#"<li><svg width="28" height="10" aria-hidden="true"><line x1="0" x2="28" y1="5" y2="5" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/></svg>{}{last}</li>"#,
            esc(s.label)
        );
    }
    out.push_str("</ul></figure>");
}

/// A utilization bar for the pool tree, one element drawn by the style sheet: the pool's
/// share, its parent's share under it, and the `alert_at` threshold as a mark.
pub fn bar(out: &mut String, percent: f64, parent: Option<f64>, alert_at: Option<u8>) {
    let _ = write!(
        out,
        "<i class=ub style=\"--p:{}%",
        num(percent.clamp(0.0, 100.0))
    );
    if let Some(p) = parent {
        let _ = write!(out, ";--q:{}%", num(p.clamp(0.0, 100.0)));
    }
    if let Some(a) = alert_at {
        let _ = write!(out, ";--a:{a}%");
    }
    out.push_str("\"></i>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doughnut_lists_every_slice_in_words() {
        let mut out = String::new();
        doughnut(
            &mut out,
            "Management",
            &[
                Slice {
                    label: "managed",
                    count: 3,
                    colour: "#009E73",
                },
                Slice {
                    label: "unmanaged",
                    count: 1,
                    colour: "#E69F00",
                },
                Slice {
                    label: "ignored",
                    count: 0,
                    colour: "#999999",
                },
            ],
        );
        assert_eq!(
            out.matches("<title>").count(),
            2,
            "one arc per non-empty slice"
        );
        assert!(out.contains("managed: <b>3</b> (75.0%)"));
        assert!(out.contains("ignored: <b>0</b> (0.0%)"));
    }

    #[test]
    fn lines_are_scaled_to_the_time_span() {
        let mut out = String::new();
        let s = Series {
            label: "corp",
            points: vec![(Time(0), 0.0), (Time(86_400), 50.0), (Time(172_800), 100.0)],
        };
        lines(&mut out, "Utilization", Axis::Percent, &[s], Some(80.0));
        assert!(out.contains(r#"points="52,210 299,110 546,10""#), "{out}");
        assert_eq!(out.matches(">1970-01-01<").count(), 1, "one tick per date");
        assert!(out.contains(">1970-01-01<"));
        assert!(out.contains("(latest 100.0%)"));
    }
}
