//! The IP space map of one pool: each provisioned CIDR as a bar drawn to scale in address
//! order, every block in it (sub-pools, VPC blocks, reservations, layout slots held for
//! growth, free ranges) a rectangle with its CIDR, name and kind in an SVG `<title>`, and
//! the largest free block outlined. Discovered networks the plan does not manage, or that
//! overlap, are drawn in a lane above.
//!
//! Blocks narrower than a few thousandths of the bar cannot be seen or pointed at: runs of
//! them are drawn as one hatched aggregate naming how many blocks of each kind it holds,
//! and an aggregate never grows past about one percent of the bar. So a map has at most a
//! few hundred rectangles per bar, whatever the pool holds, and the report's size follows
//! what can be seen, not the number of allocations.

use std::fmt::Write as _;

use super::html::{Kind, addr, count, esc, grouped, range};
use crate::addr::{Family, Prefix};

/// Width of a bar in SVG units (the drawing scales to the page): integers at this
/// resolution are exact to a tenth of a pixel on any screen, and cheap to write.
const W: u64 = 10_000;
/// Left margin.
const X0: u64 = 10;
/// Narrower than this, a block is drawn only as part of an aggregate.
const MIN: u64 = 30;
/// An aggregate is closed once it is this wide.
const AGG: u64 = 120;
/// Height of one bar's row: label, overlay lane, bar (the lanes' heights are in the style
/// sheet, so each rectangle carries only what differs).
const ROW: u64 = 660;
/// Height of the label row above each bar (left out when there is one bar).
const LABEL: u64 = 140;
/// Roughly the width of one character of a label.
const CHAR: u64 = 60;

/// One block to draw.
#[derive(Debug, Clone)]
pub struct Item {
    pub cidr: Prefix,
    pub kind: Kind,
    pub name: String,
}

/// How a map is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Write VPC names into their blocks (they are always in the blocks' titles): off for
    /// very large states, where the VPC table already names every block.
    pub vpc_labels: bool,
}

/// A range of addresses on a bar, not necessarily a CIDR (free ranges are not).
#[derive(Debug, Clone, Copy)]
struct Seg<'a> {
    first: u128,
    last: u128,
    kind: Kind,
    name: &'a str,
}

/// Draws the map of a pool whose provisioned CIDRs are `roots`; `items` are its blocks
/// (disjoint, inside the roots, sorted), `overlays` the discovered networks for the lane
/// above (sorted). Returns the number of block rectangles drawn (every `<rect>` but the
/// largest free block's outline, class `lf`).
pub fn draw(
    out: &mut String,
    roots: &[Prefix],
    items: &[Item],
    overlays: &[Item],
    largest_free: Option<Prefix>,
    style: Style,
) -> usize {
    // One bar: its CIDR is in the caption, and the label row is cut off.
    let top = if roots.len() == 1 { LABEL } else { 0 };
    let _ = write!(
        out,
        r#"<svg class=map viewBox="0 {top} {} {}">"#,
        W + 2 * X0,
        ROW * roots.len() as u64 - top
    );
    let mut drawn = 0;
    let mut i = 0;
    let mut o = 0;
    for (row, root) in roots.iter().enumerate() {
        if row > 0 {
            let _ = write!(out, r#"<g transform="translate(0 {})">"#, ROW * row as u64);
        }
        if top == 0 {
            let _ = write!(
                out,
                "<text x={X0} y=110>{root} · {} addresses</text>",
                count(root.size())
            );
        }
        // Items and overlays are sorted; each root takes the ones inside it.
        let start = i;
        while i < items.len() && root.contains(&items[i].cidr) {
            i += 1;
        }
        while o < overlays.len() && overlays[o].cidr.end() < root.start() {
            o += 1;
        }
        let ostart = o;
        while o < overlays.len() && overlays[o].cidr.start() <= root.end() {
            o += 1;
        }
        let mut bar = Bar::new(*root, style);
        bar.segments(&with_free(*root, &items[start..i]));
        drawn += bar.emit(out, "");
        let lane: Vec<Seg> = overlays[ostart..o]
            .iter()
            .map(|it| Seg {
                first: it.cidr.start().max(root.start()),
                last: it.cidr.end().min(root.end()),
                kind: it.kind,
                name: &it.name,
            })
            .collect();
        bar.segments(&lane);
        drawn += bar.emit(out, "o ");
        if let Some(lf) = largest_free.filter(|lf| root.contains(lf)) {
            let (x, w) = bar.span(lf.start(), lf.end());
            let _ = write!(out, "<rect class=lf x={x} width={}></rect>", w.max(20));
        }
        if row > 0 {
            out.push_str("</g>");
        }
    }
    out.push_str("</svg>");
    drawn
}
/// The items of one root with the free ranges between them, in address order.
fn with_free(root: Prefix, items: &[Item]) -> Vec<Seg<'_>> {
    let mut segs = Vec::with_capacity(items.len() * 2 + 1);
    let mut cursor = Some(root.start());
    for it in items {
        if let Some(c) = cursor.filter(|&c| c < it.cidr.start()) {
            segs.push(free(c, it.cidr.start() - 1));
        }
        segs.push(Seg {
            first: it.cidr.start(),
            last: it.cidr.end(),
            kind: it.kind,
            name: &it.name,
        });
        cursor = it.cidr.end().checked_add(1).filter(|&n| n <= root.end());
    }
    if let Some(c) = cursor {
        segs.push(free(c, root.end()));
    }
    segs
}

fn free(first: u128, last: u128) -> Seg<'static> {
    Seg {
        first,
        last,
        kind: Kind::Free,
        name: "",
    }
}

/// One lane of one bar being drawn. Blocks are written into one group per kind (the
/// group carries the class, so each rectangle carries only its place), labels after them.
struct Bar {
    root: Prefix,
    family: Family,
    style: Style,
    /// By kind, in `Kind::ALL` order, then aggregates.
    groups: [String; 8],
    labels: String,
    drawn: usize,
    lane: bool,
}
/// A run of blocks too small to draw one by one.
#[derive(Default)]
struct Run {
    first: u128,
    last: u128,
    /// Blocks of each kind, in `Kind::ALL` order.
    blocks: [u64; 7],
    /// The run's only block so far (an index into the segments), drawn as itself.
    one: Option<usize>,
}

impl Bar {
    fn new(root: Prefix, style: Style) -> Bar {
        Bar {
            root,
            family: root.family(),
            style,
            groups: Default::default(),
            labels: String::new(),
            drawn: 0,
            lane: false,
        }
    }

    /// Writes what was drawn (`lane`: the class of the lane, `"o "` above the bar) and
    /// starts the next lane; returns the number of blocks written.
    fn emit(&mut self, out: &mut String, lane: &str) -> usize {
        let classes = Kind::ALL.iter().map(|k| k.class()).chain(["kg"]);
        for (group, class) in self.groups.iter_mut().zip(classes) {
            if !group.is_empty() {
                let _ = write!(out, r#"<g class="{lane}{class}">{group}</g>"#);
                group.clear();
            }
        }
        out.push_str(&self.labels);
        self.labels.clear();
        self.lane = true;
        std::mem::take(&mut self.drawn)
    }

    /// Where a range is drawn: x and width, in whole units. Both ends are rounded, so
    /// neighbouring blocks meet exactly.
    fn span(&self, first: u128, last: u128) -> (u64, u64) {
        let size = self.root.size().as_f64();
        let at = |a: u128| ((a - self.root.start()) as f64 / size * W as f64).round() as u64;
        let x = at(first);
        let end = if last >= self.root.end() {
            W
        } else {
            at(last + 1)
        };
        (X0 + x, end.saturating_sub(x))
    }

    fn segments(&mut self, segs: &[Seg]) {
        let mut run: Option<Run> = None;
        for (n, s) in segs.iter().enumerate() {
            let (_, w) = self.span(s.first, s.last);
            if w >= MIN {
                if let Some(r) = run.take() {
                    self.flush(r, segs);
                }
                self.block(s, w);
                continue;
            }
            let r = run.get_or_insert_with(|| Run {
                first: s.first,
                last: s.last,
                one: Some(n),
                ..Run::default()
            });
            if r.blocks.iter().any(|&b| b > 0) {
                r.one = None;
            }
            r.last = r.last.max(s.last);
            r.blocks[kind_index(s.kind)] += 1;
            if self.span(r.first, r.last).1 >= AGG
                && let Some(r) = run.take()
            {
                self.flush(r, segs);
            }
        }
        if let Some(r) = run {
            self.flush(r, segs);
        }
    }

    /// Draws a run: a lone block as itself, several as one aggregate.
    fn flush(&mut self, r: Run, segs: &[Seg]) {
        if let Some(n) = r.one {
            let w = self.span(segs[n].first, segs[n].last).1;
            self.block(&segs[n], w);
            return;
        }
        let (x, w) = self.span(r.first, r.last);
        let total: u64 = r.blocks.iter().sum();
        let parts: Vec<String> = Kind::ALL
            .iter()
            .zip(r.blocks)
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{}: {n}", k.label()))
            .collect();
        let _ = write!(
            self.groups[7],
            "<rect x={x} width={w}><title>{total} blocks too small to draw one by one, in {}: {}</title></rect>",
            range(self.family, r.first, r.last),
            parts.join(", ")
        );
        self.drawn += 1;
    }

    fn block(&mut self, s: &Seg, w: u64) {
        let x = self.span(s.first, s.last).0;
        let what = range(self.family, s.first, s.last);
        let g = &mut self.groups[kind_index(s.kind)];
        let _ = write!(g, "<rect x={x} width={w}><title>");
        match s.kind {
            Kind::Free => {
                let size = (s.last - s.first)
                    .checked_add(1)
                    .map_or_else(|| "2^128".to_string(), grouped);
                let _ = write!(g, "{what} free ({size} addresses)");
            }
            k => {
                let _ = write!(g, "{what} {} {}", k.label(), esc(s.name));
            }
        }
        g.push_str("</title></rect>");
        self.drawn += 1;
        if self.lane || (s.kind == Kind::Vpc && !self.style.vpc_labels) {
            return;
        }
        // A label in the block when it fits: name and CIDR, else the name alone.
        let full = match s.kind {
            Kind::Free => "free".to_string(),
            _ => format!("{} {}", s.name, addr_or_cidr(s, self.family)),
        };
        let fits = |t: &str| (t.chars().count() as u64 + 1) * CHAR <= w;
        let text = if fits(&full) {
            full
        } else if fits(s.name) && s.kind != Kind::Free {
            s.name.to_string()
        } else {
            return;
        };
        let white = matches!(s.kind, Kind::Pool | Kind::Vpc);
        let _ = write!(
            self.labels,
            "<text{} x={} y=490>{}</text>",
            if white { " class=w" } else { "" },
            x + 30,
            esc(&text)
        );
    }
}

fn addr_or_cidr(s: &Seg, family: Family) -> String {
    let r = range(family, s.first, s.last);
    if r.contains('–') {
        addr(family, s.first)
    } else {
        r
    }
}

fn kind_index(k: Kind) -> usize {
    Kind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: Style = Style { vpc_labels: true };

    fn item(cidr: &str, kind: Kind, name: &str) -> Item {
        Item {
            cidr: cidr.parse().expect("cidr"),
            kind,
            name: name.into(),
        }
    }

    fn blocks(svg: &str) -> usize {
        svg.matches("<rect ").count() - svg.matches("<rect class=lf").count()
    }

    #[test]
    fn every_visible_block_and_free_range_is_one_rectangle() {
        let root: Prefix = "10.0.0.0/16".parse().expect("cidr");
        let items = [
            item("10.0.0.0/18", Kind::Pool, "a"),
            item("10.0.64.0/20", Kind::Vpc, "v<1>"),
            item("10.0.128.0/18", Kind::Held, "held"),
        ];
        let mut out = String::new();
        let lf = "10.0.192.0/18".parse().ok();
        let n = draw(&mut out, &[root], &items, &[], lf, LABELS);
        // a, v, free 10.0.80.0–10.0.127.255, held, free 10.0.192.0/18.
        assert_eq!(n, 5);
        assert_eq!(blocks(&out), 5);
        assert!(out.contains(r#"<g class="kv"><rect x=2510 width=625><title>10.0.64.0/20 VPC v&lt;1&gt;</title></rect></g>"#), "{out}");
        assert!(out.contains("<title>10.0.80.0 – 10.0.127.255 free (12,288 addresses)</title>"));
        assert!(
            out.contains("<rect class=lf x=7510 width=2500></rect>"),
            "{out}"
        );
        assert!(
            out.starts_with(r#"<svg class=map viewBox="0 140 10020 520">"#),
            "{out}"
        );
        assert!(
            !out.contains("10.0.0.0/16 ·"),
            "one bar: its CIDR is in the caption"
        );
        // Drawn to scale: the /18 is a quarter of the bar, the /20 a sixteenth after it.
        assert!(
            out.contains(r#"<g class="kp"><rect x=10 width=2500>"#),
            "{out}"
        );
        assert!(
            out.contains("<text class=w x=2540 y=490>v&lt;1&gt;</text>"),
            "{out}"
        );
        assert!(
            out.contains("<text class=w x=40 y=490>a 10.0.0.0/18</text>"),
            "{out}"
        );
        let mut quiet = String::new();
        draw(
            &mut quiet,
            &[root],
            &items,
            &[],
            lf,
            Style { vpc_labels: false },
        );
        assert!(!quiet.contains("<text class=w x=2540"));
    }

    #[test]
    fn blocks_too_small_to_see_are_aggregated() {
        let root: Prefix = "10.0.0.0/8".parse().expect("cidr");
        let items: Vec<Item> = (0..10_000u32)
            .map(|i| Item {
                cidr: Prefix::new(Family::V4, 0x0a00_0000 + u128::from(i) * 1024, 22)
                    .expect("prefix"),
                kind: Kind::Pool,
                name: format!("p{i}"),
            })
            .collect();
        let mut out = String::new();
        let n = draw(&mut out, &[root], &items, &[], None, LABELS);
        // 10,000 /22s fill 0.006% of the bar each, 61% together: 51 aggregates of about
        // 1.2% each, then the free rest as one block.
        assert_eq!(n, 52, "{out}");
        assert_eq!(out.matches("<g class=\"kg\">").count(), 1);
        assert_eq!(blocks(&out), 52);
        assert!(out.contains(": sub-pool: 196</title>"), "{out}");
        assert!(out.len() < 12_000, "{}", out.len());
    }

    #[test]
    fn overlays_go_in_the_lane_above() {
        let root: Prefix = "10.0.0.0/16".parse().expect("cidr");
        let overlays = [item("10.0.0.0/17", Kind::Unmanaged, "vpc-1")];
        let mut out = String::new();
        let n = draw(&mut out, &[root], &[], &overlays, None, LABELS);
        assert_eq!(n, 2, "one free range and one overlay");
        assert!(
            out.contains(r#"<g class="o ku"><rect x=10 width=5000>"#),
            "{out}"
        );
    }

    #[test]
    fn several_roots_are_rows() {
        let roots: Vec<Prefix> = ["10.0.0.0/24", "10.9.0.0/24"]
            .iter()
            .map(|c| c.parse().expect("cidr"))
            .collect();
        let items = [item("10.9.0.0/25", Kind::Vpc, "v")];
        let mut out = String::new();
        assert_eq!(draw(&mut out, &roots, &items, &[], None, LABELS), 3);
        assert!(out.contains(r#"viewBox="0 0 10020 1320""#));
        assert!(out.contains(r#"<g transform="translate(0 660)">"#));
        assert!(out.contains("10.9.0.0/24 · 256 addresses"));
    }
}
