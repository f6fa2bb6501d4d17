//! `ipam report` as a user runs it, for every example: one self-contained, deterministic
//! HTML file; then opened in headless Chromium: a screenshot that is not blank, one map
//! element per block, no request leaving the file, no console error.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

mod browser;
#[path = "../common/mod.rs"]
mod common;

use common::state::ok;
use common::{ipam, text, workdir};

const NOW: &str = "2026-12-01T08:00:00Z";
const EXAMPLES: [&str; 4] = ["enterprise", "acquisition", "hybrid", "ipv6"];

fn copy_plan(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("plan dir");
    for e in fs::read_dir(from).expect("plan source") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "toml") {
            fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
        }
    }
}

/// The example applied in a work directory `group/name`; returns that directory.
fn applied(group: &str, name: &str, example: &str) -> PathBuf {
    let work = workdir(group, name);
    copy_plan(&Path::new("examples").join(example), &work.join("plan"));
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    work
}

/// The enterprise example's own inventories (absolute paths).
fn acme() -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir("examples/inventories")
        .expect("inventories")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("acme-"))
        })
        .map(|p| fs::canonicalize(p).expect("path").display().to_string())
        .collect();
    files.sort();
    files
}

fn report(work: &Path, out: &str, extra: &[&str]) -> String {
    let mut args = vec!["report", "plan", "--out", out, "--now", NOW];
    args.extend(extra);
    let o = ipam(work, &args);
    assert!(o.status.success(), "report: {}", text(&o));
    assert!(text(&o).contains(&format!("Wrote the report to {out}")));
    fs::read_to_string(work.join(out)).expect("report file")
}

/// Nothing in the page can reach the network or load anything from elsewhere.
fn assert_self_contained(page: &str) {
    for bad in [
        "http://", "https://", "<script", "<link", "@import", "<iframe", "<img", "//",
    ] {
        // `//` could only appear in a protocol-relative URL; no text here writes one.
        assert!(!page.contains(bad), "the page contains `{bad}`");
    }
    for (at, _) in page.match_indices("url(") {
        assert!(
            page[at..].starts_with("url(#"),
            "a url() that is not a fragment"
        );
    }
}

#[test]
fn every_example_gives_one_deterministic_self_contained_file() {
    for example in EXAMPLES {
        let work = applied("report", example, example);
        let first = report(&work, "report.html", &[]);
        let again = report(&work, "again.html", &[]);
        assert_eq!(first, again, "{example}: same inputs and --now, same bytes");
        assert!(first.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(first.contains("Made 2026-12-01T08:00:00Z."));
        for id in ["overview", "pools", "maps", "vpcs", "time"] {
            assert!(
                first.contains(&format!("<section id={id}>")),
                "{example}: {id}"
            );
        }
        assert_self_contained(&first);
        let state: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(work.join("plan/ipam.state.json")).expect("state"),
        )
        .expect("state json");
        let pools = state["resources"]["pools"].as_object().expect("pools");
        assert_eq!(
            first.matches("<figure id=m-").count(),
            pools.len(),
            "{example}: one map per pool"
        );
        for name in state["resources"]["vpcs"].as_object().expect("vpcs").keys() {
            assert!(
                first.contains(&format!("<b>{name}</b> ")),
                "{example}: {name}"
            );
        }
        assert!(
            first.contains("Too little history to forecast"),
            "{example}"
        );
    }
}

#[test]
fn inventories_add_the_status_doughnuts_and_the_discovered_networks() {
    let work = applied("report", "inventories", "enterprise");
    let inv = acme();
    let mut args: Vec<&str> = vec!["--inventory"];
    args.extend(inv.iter().map(String::as_str));
    let page = report(&work, "report.html", &args);
    let mut audit = vec!["audit", "plan", "--json", "--inventory"];
    audit.extend(inv.iter().map(String::as_str));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&ipam(&work, &audit), "audit")).expect("audit json");
    let s = &json["summary"];
    for (label, key) in [
        ("managed", "managed"),
        ("unmanaged", "unmanaged"),
        ("compliant", "compliant"),
        ("noncompliant", "noncompliant"),
        ("overlapping", "overlapping"),
    ] {
        let n = s[key].as_u64().expect("count");
        assert!(
            page.contains(&format!("{label}: <b>{n}</b>")),
            "{label}: {n} in {}",
            &page[..page.find("<section id=pools>").unwrap_or(0)]
        );
    }
    assert!(
        page.contains("<g class=\"o kx\">"),
        "overlapping networks drawn"
    );
    assert!(page.contains("<g class=\"o ku\">") || s["unmanaged"] == 0);
    assert_self_contained(&page);
}

#[test]
fn history_is_charted_and_forecast() {
    let work = applied("report", "history", "enterprise");
    let mut args = vec!["audit", "plan", "--record", "--inventory"];
    let inv = acme();
    args.extend(inv.iter().map(String::as_str));
    ok(&ipam(&work, &args), "audit --record");
    let page = report(&work, "report.html", &[]);
    assert!(page.contains("Utilization of the top-level pools and pools above alert_at"));
    assert!(page.contains("Audited resource CIDRs by status"));
    assert!(page.contains("<polyline"));
    assert!(page.contains("From 1 snapshot of the last 90 days"));
}

#[test]
fn bad_arguments_and_a_missing_state_are_refused() {
    let work = workdir("report", "refused");
    copy_plan(Path::new("examples/enterprise"), &work.join("plan"));
    let o = ipam(&work, &["report", "plan", "--out", "r.html"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("there is no state"), "{}", text(&o));
    ok(&ipam(&work, &["apply", "plan", "--auto-approve"]), "apply");
    let o = ipam(&work, &["report", "plan", "--out", "plan/ipam.state.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("is not an .html file"), "{}", text(&o));
    let o = ipam(
        &work,
        &["report", "plan", "--out", "r.html", "--now", "noon"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!work.join("r.html").exists());
    let o = ipam(
        &work,
        &[
            "report",
            "plan",
            "--out",
            "r.html",
            "--inventory",
            "missing.json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        !work.join("r.html").exists(),
        "a failed report writes nothing"
    );
}

/// A pool's map blocks as the report draws them when none is too small to see: its
/// blocks and the free ranges between them. `None` when a block or range is smaller than
/// a few thousandths of its CIDR (then it may be drawn inside an aggregate).
fn expected_blocks(state: &serde_json::Value, pool: &str) -> Option<usize> {
    let r = &state["resources"];
    let cidrs: Vec<ipnet::IpNet> = r["pools"][pool]["cidrs"]
        .as_array()?
        .iter()
        .filter_map(|c| c.as_str()?.parse().ok())
        .collect();
    let mut items: Vec<ipnet::IpNet> = Vec::new();
    for p in r["pools"].as_object()?.values() {
        if p["parent"] == pool {
            items.extend(
                p["cidrs"]
                    .as_array()?
                    .iter()
                    .filter_map(|c| c.as_str()?.parse::<ipnet::IpNet>().ok()),
            );
        }
    }
    for v in r["vpcs"].as_object()?.values() {
        if v["pool"] == pool {
            items.push(v["cidr"].as_str()?.parse().ok()?);
        }
        for b in v["secondary"]
            .as_array()
            .into_iter()
            .flatten()
            .chain([&v["ipv6"]])
        {
            if b["pool"] == pool {
                items.push(b["cidr"].as_str()?.parse().ok()?);
            }
        }
    }
    for res in r["reservations"].as_object()?.values() {
        if res["pool"] == pool {
            items.push(res["cidr"].as_str()?.parse().ok()?);
        }
    }
    items.sort();
    let num = |a: std::net::IpAddr| match a {
        std::net::IpAddr::V4(a) => u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    };
    let mut blocks = 0;
    for root in &cidrs {
        let (start, end) = (num(root.network()), num(root.broadcast()));
        let size = (end - start) as f64 + 1.0;
        let visible = |a: u128, b: u128| ((b - a) as f64 + 1.0) / size >= 0.004;
        // The next address not yet accounted for; `None` past the end of the root.
        let mut cursor = Some(start);
        for it in items.iter().filter(|i| root.contains(*i)) {
            let (a, b) = (num(it.network()), num(it.broadcast()));
            if let Some(c) = cursor.filter(|&c| c < a) {
                if !visible(c, a - 1) {
                    return None;
                }
                blocks += 1;
            }
            if !visible(a, b) {
                return None;
            }
            blocks += 1;
            cursor = b.checked_add(1).filter(|&n| n <= end);
        }
        if let Some(c) = cursor {
            if !visible(c, end) {
                return None;
            }
            blocks += 1;
        }
    }
    Some(blocks)
}

/// The rectangles of each map in a page (`<figure id=m-…>` in the source, or quoted as the
/// browser serializes it), by figure ID, the largest-free outline left out.
fn map_blocks(page: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let page = page.replace("<figure id=\"m-", "<figure id=m-");
    for part in page.split("<figure id=m-").skip(1) {
        let id = part.split(['>', '"']).next().unwrap_or("").to_string();
        let body = part.split("</figure>").next().unwrap_or("");
        let lf =
            body.matches("<rect class=lf").count() + body.matches("<rect class=\"lf\"").count();
        out.insert(id, body.matches("<rect ").count() - lf);
    }
    out
}

/// `anchor("m", name)` as the report writes it.
fn map_id(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                char::from(b).to_string()
            } else {
                format!(".{b:02X}")
            }
        })
        .collect()
}

#[test]
fn in_a_browser_every_example_renders_with_one_element_per_block_and_no_network() {
    let Some(chromium) = browser::find("the browser test of the report") else {
        return;
    };
    let inv = acme();
    for example in EXAMPLES {
        let work = applied("report-browser", example, example);
        let mut extra = Vec::new();
        if example == "enterprise" {
            extra.push("--inventory");
            extra.extend(inv.iter().map(String::as_str));
        }
        let page = report(&work, "report.html", &extra);
        let file = work.join("report.html");
        let run = browser::open(&chromium, &work, &file, &["--dump-dom"]);
        assert!(
            run.console().is_empty(),
            "{example}: console: {:?}",
            run.console()
        );
        assert!(
            run.requests.is_empty(),
            "{example}: requests left the file: {:?}",
            run.requests
        );
        assert!(
            run.stdout.contains("<section id=\"maps\">"),
            "{example}: the DOM was dumped"
        );
        // The browser parsed every block the report wrote...
        let written = map_blocks(&page);
        let parsed = map_blocks(&run.stdout);
        assert_eq!(parsed, written, "{example}: blocks per map, DOM vs file");
        // ...and, where nothing is aggregated, that is one per block and free range.
        let state: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(work.join("plan/ipam.state.json")).expect("state"),
        )
        .expect("json");
        let mut checked = 0;
        for name in state["resources"]["pools"]
            .as_object()
            .expect("pools")
            .keys()
        {
            // Pools with layout slots held for growth have blocks the state does not know.
            let held = page.contains(&format!("<figure id=m-{}>", map_id(name)))
                && page
                    .split(&format!("<figure id=m-{}>", map_id(name)))
                    .nth(1)
                    .and_then(|p| p.split("</figure>").next())
                    .is_some_and(|p| p.contains("class=\"kh\"") || p.contains("class=\"o "));
            if held {
                continue;
            }
            if let Some(want) = expected_blocks(&state, name) {
                assert_eq!(
                    parsed.get(&map_id(name)),
                    Some(&want),
                    "{example}: pool {name}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 3, "{example}: only {checked} maps checked");
    }
}

#[test]
fn in_a_browser_the_report_is_drawn_not_blank() {
    let Some(chromium) = browser::find("the screenshot test of the report") else {
        return;
    };
    let work = applied("report-browser", "screenshot", "enterprise");
    fs::write(
        work.join("blank.html"),
        "<!DOCTYPE html><html><body></body></html>",
    )
    .expect("blank");
    let mut extra = vec!["--inventory"];
    let inv = acme();
    extra.extend(inv.iter().map(String::as_str));
    report(&work, "report.html", &extra);
    let shot = |page: &str, png: &str| {
        let arg = format!("--screenshot={}", work.join(png).display());
        let run = browser::open(
            &chromium,
            &work,
            &work.join(page),
            &[&arg, "--window-size=1280,2400"],
        );
        assert!(run.console().is_empty(), "console: {:?}", run.console());
        assert!(run.requests.is_empty(), "requests: {:?}", run.requests);
        browser::colours(&work.join(png))
    };
    let (blank, ..) = shot("blank.html", "blank.png");
    let (drawn, w, h) = shot("report.html", "report.png");
    assert_eq!((w, h), (1280, 2400));
    assert!(blank <= 2, "a blank page has one colour, got {blank}");
    assert!(drawn >= 50, "the report is drawn in {drawn} colours only");
}

#[test]
fn the_browser_checks_can_fail() {
    let Some(chromium) = browser::find("the control test of the browser checks") else {
        return;
    };
    let work = workdir("report-browser", "control");
    let page = work.join("bad.html");
    fs::write(
        &page,
        "<!DOCTYPE html><html><body><img src=\"http://example.invalid/x.png\"><script>console.error('boom')</script></body></html>",
    )
    .expect("page");
    let run = browser::open(&chromium, &work, &page, &["--dump-dom"]);
    assert!(
        run.requests.iter().any(|r| r.contains("example.invalid")),
        "the proxy saw the page's request: {:?}",
        run.requests
    );
    assert!(
        run.console().iter().any(|l| l.contains("boom")),
        "{}",
        run.stderr
    );
}
