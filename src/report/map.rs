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

use super::html::{Kind, addr, count, esc, num, range};
use crate::addr::{Family, Prefix};

/// Width of a bar in SVG units (the drawing scales to the page).
const W: f64 = 1000.0;
/// Narrower than this, a block is drawn only as part of an aggregate.
const MIN: f64 = 3.0;
/// An aggregate is closed once it is this wide.
const AGG: f64 = 12.0;
/// Height of one bar's row: label, overlay lane, bar.
const ROW: f64 = 66.0;

/// One block to draw.
#[derive(Debug, Clone)]
pub struct Item {
    pub cidr: Prefix,
    pub kind: Kind,
    pub name: String,
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
/// (disjoint, inside the roots), `overlays` the discovered networks for the lane above.
/// Returns the number of block rectangles drawn (each with class `b`).
pub fn draw(
    out: &mut String,
    label: &str,
    roots: &[Prefix],
    items: &[Item],
    overlays: &[Item],
    largest_free: Option<Prefix>,
) -> usize {
    let height = ROW * roots.len() as f64 + 4.0;
    let _ = write!(
        out,
        r#"<svg class="map" viewBox="0 0 {} {}" width="{}" role="img" aria-label="{}">"#,
        num(W + 2.0),
        num(height),
        num(W + 2.0),
        esc(label)
    );
    let mut drawn = 0;
    let mut i = 0;
    let mut o = 0;
    for (row, root) in roots.iter().enumerate() {
        let y = row as f64 * ROW;
        let _ = write!(
            out,
            r#"<text x="1" y="{}">{} · {} addresses</text>"#,
            num(y + 11.0),
            root,
            count(root.size())
        );
        // Items and overlays are sorted; each root takes the ones inside it.
        let start = i;
        while i < items.len() && root.contains(&items[i].cidr) {
            i += 1;
        }
        while o < overlays.len() && overlays[o].cidr.start() < root.start() {
            o += 1;
        }
        let ostart = o;
        while o < overlays.len() && overlays[o].cidr.start() <= root.end() {
            o += 1;
        }
        let segs = with_free(*root, &items[start..i]);
        let mut bar = Bar {
            out,
            root: *root,
            family: root.family(),
            y: y + 30.0,
            h: 32.0,
            drawn: 0,
        };
        bar.segments(&segs);
        let lane: Vec<Seg> = overlays[ostart..o]
            .iter()
            .map(|it| Seg {
                first: it.cidr.start().max(root.start()),
                last: it.cidr.end().min(root.end()),
                kind: it.kind,
                name: &it.name,
            })
            .collect();
        bar.y = y + 16.0;
        bar.h = 12.0;
        bar.segments(&lane);
        drawn += bar.drawn;
        if let Some(lf) = largest_free.filter(|lf| root.contains(lf)) {
            let (x, w) = bar.span(lf.start(), lf.end());
            let _ = write!(
                out,
                r#"<rect class="lf" x="{}" y="{}" width="{}" height="36"><title>largest free block: {lf} ({} addresses)</title></rect>"#,
                num(x),
                num(y + 28.0),
                num(w.max(2.0)),
                count(lf.size())
            );
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

/// One lane of one bar being drawn.
struct Bar<'o> {
    out: &'o mut String,
    root: Prefix,
    family: Family,
    y: f64,
    h: f64,
    drawn: usize,
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

impl Bar<'_> {
    /// Where a range is drawn: x and width.
    fn span(&self, first: u128, last: u128) -> (f64, f64) {
        let size = self.root.size().as_f64();
        let x = (first - self.root.start()) as f64 / size * W;
        let w = ((last - first) as f64 + 1.0) / size * W;
        (x + 1.0, w)
    }

    fn segments(&mut self, segs: &[Seg]) {
        let mut run: Option<Run> = None;
        for (n, s) in segs.iter().enumerate() {
            let (_, w) = self.span(s.first, s.last);
            if w >= MIN {
                if let Some(r) = run.take() {
                    self.flush(r, segs);
                }
                self.block(s);
                continue;
            }
            let r = run.get_or_insert_with(|| Run {
                first: s.first,
                last: s.last,
                one: Some(n),
                ..Run::default()
            });
            if r.blocks.iter().sum::<u64>() > 0 {
                r.one = None;
            }
            r.last = r.last.max(s.last);
            r.blocks[kind_index(s.kind)] += 1;
            if self.span(r.first, r.last).1 >= AGG {
                let r = run.take().unwrap_or_default();
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
            self.block(&segs[n]);
            return;
        }
        let (x, w) = self.span(r.first, r.last);
        let total: u64 = r.blocks.iter().sum();
        let parts: Vec<String> = Kind::ALL
            .iter()
            .zip(r.blocks)
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{n} {}", k.label()))
            .collect();
        let _ = write!(
            self.out,
            r#"<rect class="b agg" x="{}" y="{}" width="{}" height="{}"><title>{total} blocks too small to draw one by one, in {}: {}</title></rect>"#,
            num(x),
            num(self.y),
            num(w),
            num(self.h),
            range(self.family, r.first, r.last),
            parts.join(", ")
        );
        self.drawn += 1;
    }

    fn block(&mut self, s: &Seg) {
        let (x, w) = self.span(s.first, s.last);
        let what = range(self.family, s.first, s.last);
        let title = match s.kind {
            Kind::Free => {
                let size = (s.last - s.first).checked_add(1).map_or_else(
                    || "2^128".to_string(),
                    |n| super::html::grouped(n),
                );
                format!("{what}: free ({size} addresses)")
            }
            k => format!("{what}: {} {}", k.label(), esc(s.name)),
        };
        let _ = write!(
            self.out,
            r#"<rect class="b {}" x="{}" y="{}" width="{}" height="{}"><title>{title}</title></rect>"#,
            s.kind.class(),
            num(x),
            num(self.y),
            num(w),
            num(self.h),
        );
        self.drawn += 1;
        // A label in the block when it fits (6 units a character at this size).
        let text = match s.kind {
            Kind::Free => "free".to_string(),
            _ => format!("{} {}", s.name, addr_or_cidr(s, self.family)),
        };
        let chars = text.chars().count() as f64;
        let (text, chars) = if chars * 6.0 + 6.0 <= w || s.kind == Kind::Free {
            (text, chars)
        } else {
            let n = s.name.chars().count() as f64;
            (s.name.to_string(), n)
        };
        if self.h >= 20.0 && chars * 6.0 + 6.0 <= w && !text.is_empty() {
            let class = match s.kind {
                Kind::Pool | Kind::Vpc => "in",
                _ => "dk",
            };
            let _ = write!(
                self.out,
                r#"<text class="{class}" x="{}" y="{}">{}</text>"#,
                num(x + 3.0),
                num(self.y + self.h / 2.0 + 4.0),
                esc(&text)
            );
        }
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

    fn item(cidr: &str, kind: Kind, name: &str) -> Item {
        Item {
            cidr: cidr.parse().expect("cidr"),
            kind,
            name: name.into(),
        }
    }

    fn rects(svg: &str) -> usize {
        svg.matches(r#"<rect class="b "#).count()
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
        let n = draw(&mut out, "pool x", &[root], &items, &[], lf);
        // a, v, free 10.0.80.0–10.0.127.255, held, free 10.0.192.0/18.
        assert_eq!(n, 5);
        assert_eq!(rects(&out), 5);
        assert!(out.contains("<title>10.0.64.0/20: VPC v&lt;1&gt;</title>"));
        assert!(out.contains("<title>10.0.80.0 – 10.0.127.255: free (12,288 addresses)</title>"));
        assert!(out.contains("largest free block: 10.0.192.0/18"));
        // Drawn to scale: the /18 is a quarter of the bar.
        assert!(out.contains(r#"class="b k-pool" x="1" y="30" width="250""#), "{out}");
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
        let n = draw(&mut out, "corp", &[root], &items, &[], None);
        // 10,000 /22s fill 0.06% each: about 2.4% of the bar in aggregates of ~1.2%, then
        // the free rest as one block.
        assert!(n < 10, "{n}");
        assert!(out.contains("blocks too small to draw one by one"));
        assert!(out.len() < 5_000, "{}", out.len());
    }

    #[test]
    fn overlays_go_in_the_lane_above() {
        let root: Prefix = "10.0.0.0/16".parse().expect("cidr");
        let overlays = [item("10.0.0.0/17", Kind::Unmanaged, "vpc-1")];
        let mut out = String::new();
        let n = draw(&mut out, "p", &[root], &[], &overlays, None);
        assert_eq!(n, 2, "one free range and one overlay");
        assert!(out.contains(r#"class="b k-unm" x="1" y="16" width="500" height="12""#));
    }
}
