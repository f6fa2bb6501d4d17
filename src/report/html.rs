//! What every part of the report writes with: escaping, numbers for people, the palette and
//! its patterns, and the page's one style sheet. Everything is inline: the report is one
//! file that opens from disk with no network.

use std::fmt::Write as _;

use crate::addr::{AddrCount, Family, Prefix};

/// `text` with `&`, `<`, `>`, `"` and `'` escaped: safe in element text and in quoted
/// attributes. Names in a plan are TOML keys, which may hold any character.
pub fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out.into()
}

/// A fragment identifier for a name: `p-` and the name with every byte outside
/// `[A-Za-z0-9_-]` written as `.XX`, so distinct names never share an ID.
pub fn anchor(kind: &str, name: &str) -> String {
    let mut out = format!("{kind}-");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, ".{b:02X}");
        }
    }
    out
}

/// A count of addresses for people: `16,777,216`; IPv6 counts as powers of two past 2^32
/// when they are one (`2^80`), else in scientific notation.
pub fn count(c: AddrCount) -> String {
    match c.to_u128() {
        Some(n) if n <= 1 << 40 => grouped(n),
        Some(n) if n.is_power_of_two() => format!("2^{}", n.trailing_zeros()),
        Some(n) => format!("{:.3e}", n as f64),
        None => "2^128".into(),
    }
}

/// `1234567` → `1,234,567`.
pub fn grouped(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A percentage: one decimal.
pub fn pct(p: f64) -> String {
    format!("{:.1}%", if p.is_finite() { p } else { 0.0 })
}

/// An address of a family as text.
pub fn addr(family: Family, a: u128) -> String {
    match family {
        Family::V4 => std::net::Ipv4Addr::from(a as u32).to_string(),
        Family::V6 => std::net::Ipv6Addr::from(a).to_string(),
    }
}

/// A range of addresses as text: its CIDR when it is one, else `first – last`.
pub fn range(family: Family, first: u128, last: u128) -> String {
    let size = last.wrapping_sub(first).wrapping_add(1);
    if size.is_power_of_two() && first.is_multiple_of(size) {
        let len = family.bits() - size.trailing_zeros() as u8;
        if let Some(p) = Prefix::new(family, first, len) {
            return p.to_string();
        }
    }
    format!("{} – {}", addr(family, first), addr(family, last))
}

/// A number for an SVG coordinate: two decimals at most, no trailing zeros.
pub fn num(x: f64) -> String {
    let s = format!("{:.2}", if x.is_finite() { x } else { 0.0 });
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// What a block on a map is. Each has a colour from the Okabe–Ito palette (told apart by
/// people with every common kind of colour blindness) and, where two could be confused in
/// print or in grey, a pattern; the legend and every block's label also say it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Pool,
    Vpc,
    Reservation,
    Held,
    Free,
    Unmanaged,
    Overlapping,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Pool,
        Kind::Vpc,
        Kind::Reservation,
        Kind::Held,
        Kind::Free,
        Kind::Unmanaged,
        Kind::Overlapping,
    ];

    /// The CSS class of its blocks (short: a large map has hundreds of thousands).
    pub const fn class(self) -> &'static str {
        match self {
            Kind::Pool => "kp",
            Kind::Vpc => "kv",
            Kind::Reservation => "kr",
            Kind::Held => "kh",
            Kind::Free => "kf",
            Kind::Unmanaged => "ku",
            Kind::Overlapping => "kx",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Kind::Pool => "sub-pool",
            Kind::Vpc => "VPC",
            Kind::Reservation => "reservation",
            Kind::Held => "held for growth",
            Kind::Free => "free",
            Kind::Unmanaged => "unmanaged (discovered)",
            Kind::Overlapping => "overlapping (discovered)",
        }
    }
}

/// Okabe–Ito colours.
pub const BLUE: &str = "#0072B2";
pub const GREEN: &str = "#009E73";
pub const PURPLE: &str = "#CC79A7";
pub const YELLOW: &str = "#F0E442";
pub const ORANGE: &str = "#E69F00";
pub const VERMILLION: &str = "#D55E00";
pub const SKY: &str = "#56B4E9";
pub const GREY: &str = "#999999";

/// Line colours and dash patterns for series, in order: colour and dashes both differ.
pub const SERIES: [(&str, &str); 8] = [
    (BLUE, ""),
    (ORANGE, "6 3"),
    (GREEN, "2 2"),
    (VERMILLION, "8 3 2 3"),
    (PURPLE, "1 3"),
    (SKY, "10 4"),
    ("#000000", "4 2 1 2"),
    (YELLOW, "12 2"),
];

/// The patterns blocks are filled with, defined once for the whole page.
pub const PATTERNS: &str = concat!(
    r##"<svg width="0" height="0" aria-hidden="true" style="position:absolute"><defs>"##,
    r##"<pattern id="pat-held" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#F0E442"/><rect width="2" height="6" fill="#8a7f00"/></pattern>"##,
    r##"<pattern id="pat-ovl" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="#D55E00"/><rect width="2" height="6" fill="#ffffff"/></pattern>"##,
    r##"<pattern id="pat-agg" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" fill="#bbbbbb"/><circle cx="2" cy="2" r="1" fill="#333333"/></pattern>"##,
    r##"<pattern id="pat-res" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#CC79A7"/><rect width="5" height="1.5" fill="#ffffff"/></pattern>"##,
    // The same at the maps' scale (a map's unit is about a tenth of a pixel).
    r##"<pattern id="map-held" width="60" height="60" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="60" height="60" fill="#F0E442"/><rect width="20" height="60" fill="#8a7f00"/></pattern>"##,
    r##"<pattern id="map-ovl" width="60" height="60" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="60" height="60" fill="#D55E00"/><rect width="20" height="60" fill="#ffffff"/></pattern>"##,
    r##"<pattern id="map-agg" width="40" height="40" patternUnits="userSpaceOnUse"><rect width="40" height="40" fill="#bbbbbb"/><circle cx="20" cy="20" r="10" fill="#333333"/></pattern>"##,
    r##"<pattern id="map-res" width="50" height="50" patternUnits="userSpaceOnUse"><rect width="50" height="50" fill="#CC79A7"/><rect width="50" height="15" fill="#ffffff"/></pattern>"##,
    "</defs></svg>"
);

/// The page's style sheet.
pub const CSS: &str = r#"
:root{--fg:#1a1a1a;--muted:#555;--line:#ccc;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
body{margin:0 auto;max-width:1200px;padding:0 1.2rem 3rem}
a{color:#0b5394}a:focus,summary:focus,[tabindex]:focus{outline:3px solid #E69F00;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.3rem}
header{border-bottom:2px solid var(--fg);margin-bottom:1rem}h1{margin:.8rem 0 .2rem}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem}
h2{border-bottom:1px solid var(--line);margin-top:2.2rem}h3{margin:1.4rem 0 .3rem;font-size:1.05rem}
.muted{color:var(--muted)}.mono,td.c{font-family:ui-monospace,"SF Mono",Menlo,Consolas,monospace;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #e4e4e4;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid var(--line);border-radius:6px;padding:.5rem .9rem;min-width:8rem}
.card b{display:block;font-size:1.5rem}
.flag{display:inline-block;padding:0 .35rem;border-radius:3px;font-size:.8em;font-weight:600;border:1px solid}
.alert{color:#8f2d00;border-color:#D55E00;background:#fde8dc}.fc{color:#004e7c;border-color:#0072B2;background:#e1f0fa}
.ub{display:inline-block;vertical-align:middle;width:11rem;height:1rem;border:1px solid #777;background:linear-gradient(90deg,transparent calc(var(--a,200%) - 1px),#D55E00 calc(var(--a,200%) - 1px),#D55E00 calc(var(--a,200%) + 1px),transparent 0),linear-gradient(#0072B2,#0072B2) 0 0/var(--p) 65% no-repeat,linear-gradient(#666,#666) 0 100%/var(--q,0%) 22% no-repeat,#eee}
#pools td:nth-child(n+4){text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}#pools td:nth-child(7){text-align:left}
#pools td:nth-child(2){font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em}
.d1{padding-left:1.2rem}.d2{padding-left:2.4rem}.d3{padding-left:3.6rem}.d4{padding-left:4.8rem}.d5{padding-left:6rem}.d6{padding-left:7.2rem}
.d7{padding-left:8.4rem}
figure{margin:.6rem 0 1.2rem}figcaption{font-weight:600}svg{max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#000}svg .ax{stroke:#777;stroke-width:1}svg .grid{stroke:#e2e2e2}
.kp{fill:#0072B2}.kv{fill:#009E73}.kr{fill:url(#pat-res)}.kh{fill:url(#pat-held)}.kf{fill:#fff}
.ku{fill:#E69F00}.kx{fill:url(#pat-ovl)}.kg{fill:url(#pat-agg)}
.map rect{y:300px;height:320px;stroke:#222;stroke-width:5}.map .o rect{y:160px;height:120px}
.map rect.lf{y:280px;height:360px;fill:none;stroke:#000;stroke-width:20;stroke-dasharray:50 30}
.map text{font-size:100px}.map text.w{fill:#fff}
.map text:not(.w){paint-order:stroke;stroke:#fff;stroke-width:24px;stroke-linejoin:round}
.map .kr{fill:url(#map-res)}.map .kh{fill:url(#map-held)}.map .kx{fill:url(#map-ovl)}.map .kg{fill:url(#map-agg)}
.vl dd{margin:0 0 .6rem 1.2rem}.vl dt{font-weight:600;margin-top:.4rem}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;margin:.3rem 0 .8rem;padding:0;list-style:none}
.legend li{display:flex;align-items:center;gap:.35rem}.legend svg.sw{border:1px solid #222}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.charts figure{flex:1 1 320px}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media print{nav,.skip{display:none}body{max-width:none}h2{break-before:auto}figure,tr{break-inside:avoid}a{color:inherit;text-decoration:none}}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_anchors() {
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        assert_eq!(esc("plain"), "plain");
        assert_eq!(anchor("p", "corp/cn-hz.a b"), "p-corp.2Fcn-hz.2Ea.20b");
        assert_ne!(anchor("p", "a.2F"), anchor("p", "a/"));
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(grouped(16_777_216), "16,777,216");
        assert_eq!(grouped(999), "999");
        assert_eq!(count(AddrCount::pow2(80)), "2^80");
        assert_eq!(count(AddrCount::pow2(128)), "2^128");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(-0.001), "0");
        assert_eq!(range(Family::V4, 0x0a00_0000, 0x0a00_00ff), "10.0.0.0/24");
        assert_eq!(
            range(Family::V4, 0x0a00_0000, 0x0a00_017f),
            "10.0.0.0 – 10.0.1.127"
        );
    }
}
