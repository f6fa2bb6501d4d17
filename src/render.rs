//! Plan output (SPEC §6): human text (Terraform-like), Markdown for pull-request comments,
//! and JSON. Pure functions of the plan: the same plan gives byte-identical output.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diff::{Action, Change};
use crate::model::Address;
use crate::plan::{Plan, Summary};

/// Version of the `plan --format json` and `show --json` documents.
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub colour: bool,
}

impl Style {
    fn paint(self, action: Action, text: &str) -> String {
        let code = match action {
            Action::Create => "32",
            Action::Update | Action::Move => "33",
            Action::Replace | Action::Delete => "31",
        };
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(self, text: &str) -> String {
        if self.colour {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// The plan for a person.
pub fn text(plan: &Plan, style: Style) -> String {
    if !plan.has_changes() {
        return "No changes. The recorded state matches the plan.\n".into();
    }
    let mut out = String::from("ipam will perform the following actions:\n\n");
    for c in &plan.changes {
        for (i, line) in change_lines(c).into_iter().enumerate() {
            let line = if i == 0 {
                style.paint(c.action, &line)
            } else {
                line
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push('\n');
    if let Some(w) = destroy_warning(plan) {
        out.push_str(&style.paint(Action::Delete, &format!("Warning: {w}")));
        out.push_str("\n\n");
    }
    out.push_str(&style.bold(&plan.summary().line()));
    out.push('\n');
    out
}

/// The plan as a pull-request comment: summary, destroy warning, details folded.
pub fn markdown(plan: &Plan) -> String {
    if !plan.has_changes() {
        return "#### ipam plan: no changes\n\nThe recorded state matches the plan.\n".into();
    }
    let s = plan.summary();
    let mut out = format!(
        "#### ipam plan: {} to add, {} to change, {} to replace, {} to destroy\n\n",
        s.add, s.change, s.replace, s.destroy
    );
    if let Some(w) = destroy_warning(plan) {
        out.push_str(&format!("> [!CAUTION]\n> {}\n\n", w.replace('\n', "\n> ")));
    }
    let n = plan.changes.len();
    out.push_str(&format!(
        "<details><summary>{n} change{}</summary>\n\n```diff\n",
        if n == 1 { "" } else { "s" }
    ));
    for c in &plan.changes {
        for line in change_lines(c) {
            // Backticks would end the fence.
            out.push_str(&line.replace("```", "'''"));
            out.push('\n');
        }
    }
    out.push_str("```\n\n</details>\n\n");
    out.push_str(&s.line());
    out.push('\n');
    out
}

/// `plan --format json` (SPEC §6), documented in `schemas/plan-output.schema.json`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PlanDocument<'a> {
    /// Version of this document's format.
    pub format_version: &'static str,
    /// Whether apply would change the recorded state.
    pub has_changes: bool,
    /// One entry per resource that changes, in reading order.
    pub changes: &'a [Change],
    pub summary: Summary,
}

/// The plan as data (SPEC §6).
pub fn json(plan: &Plan) -> Value {
    serde_json::to_value(PlanDocument {
        format_version: JSON_FORMAT_VERSION,
        has_changes: plan.has_changes(),
        changes: &plan.changes,
        summary: plan.summary(),
    })
    .unwrap_or(Value::Null)
}

fn destroy_warning(plan: &Plan) -> Option<String> {
    let destroyed: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action.destroys())
        .map(|c| match c.action {
            Action::Replace => format!("`{}` (replaced)", c.address),
            _ => format!("`{}`", c.address),
        })
        .collect();
    if destroyed.is_empty() {
        return None;
    }
    let n = destroyed.len();
    Some(format!(
        "this plan destroys {n} resource{}: {}.",
        if n == 1 { "" } else { "s" },
        destroyed.join(", ")
    ))
}

/// The lines of one change: a headline, then the changed fields of an update.
fn change_lines(c: &Change) -> Vec<String> {
    let moved = c
        .previous_address
        .as_ref()
        .map(|p| format!(" (moved from {p})"))
        .unwrap_or_default();
    let head = format!("{:>3} {}{moved}", c.action.symbol(), c.address);
    let before = c.before.as_ref().map(|v| summary(&c.address, v));
    let after = c.after.as_ref().map(|v| summary(&c.address, v));
    let mut lines = vec![match (c.action, before, after) {
        (Action::Replace, Some(b), Some(a)) => format!(
            "{head}: {} → {a} ({})",
            without_shared_place(&b, &a),
            c.reason.as_deref().unwrap_or("replaced")
        ),
        (Action::Delete, Some(b), _) => format!("{head}: {b}"),
        (_, _, Some(a)) if !a.is_empty() => format!("{head}: {a}"),
        _ => head,
    }];
    if c.action == Action::Update
        && let (Some(b), Some(a)) = (&c.before, &c.after)
    {
        lines.extend(field_changes(b, a));
    }
    lines
}

/// `before` without its " from pool.X" / " in ZONE" part when `after` ends the same way, so
/// a replace reads `10.0.0.0/24 → 10.0.2.0/23 from pool.corp`.
fn without_shared_place<'a>(before: &'a str, after: &str) -> &'a str {
    for sep in [" from ", " in "] {
        if let (Some(i), Some(j)) = (before.find(sep), after.find(sep))
            && before[i..] == after[j..]
        {
            return &before[..i];
        }
    }
    before
}

/// The CIDRs of a record, in a few words.
fn summary(address: &Address, v: &Value) -> String {
    let s = |key: &str| v.get(key).and_then(Value::as_str).unwrap_or("");
    let list = |key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().or_else(|| x.get("cidr")?.as_str()))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    match address {
        Address::Scope(_) => String::new(),
        Address::Pool(_) => {
            let cidrs = list("cidrs").join(", ");
            match v.get("parent").and_then(Value::as_str) {
                Some(p) => format!("{cidrs} from pool.{p}"),
                None => format!("{cidrs} in scope {}", s("scope")),
            }
        }
        Address::Vpc(_) => {
            let mut blocks = vec![s("cidr").to_string()];
            blocks.extend(list("secondary"));
            if let Some(c) = v.get("ipv6").and_then(|b| b.get("cidr")?.as_str()) {
                blocks.push(c.to_string());
            }
            format!("{} from pool.{}", blocks.join(" + "), s("pool"))
        }
        Address::Subnet(..) => match v.get("zone").and_then(Value::as_str) {
            Some(z) => format!("{} in {z}", s("cidr")),
            None => s("cidr").to_string(),
        },
        Address::Reservation(_) => format!("{} from pool.{}", s("cidr"), s("pool")),
    }
}

/// `field: before → after` lines for what an update changes.
fn field_changes(before: &Value, after: &Value) -> Vec<String> {
    let (mut b, mut a) = (BTreeMap::new(), BTreeMap::new());
    flatten("", before, &mut b);
    flatten("", after, &mut a);
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    keys.into_iter()
        .filter_map(|k| match (b.get(k), a.get(k)) {
            (Some(x), Some(y)) if x == y => None,
            (Some(x), Some(y)) => Some(format!("      ~ {k}: {x} → {y}")),
            (None, Some(y)) => Some(format!("      + {k}: {y}")),
            (Some(x), None) => Some(format!("      - {k}: {x}")),
            (None, None) => None,
        })
        .collect()
}

/// Objects flattened to dotted keys; arrays and scalars kept as JSON text.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Array(items) => {
            let texts: Vec<String> = items
                .iter()
                .map(|x| match x.get("cidr").and_then(Value::as_str) {
                    Some(c) => format!(
                        "{c} from pool.{}",
                        x.get("pool").and_then(Value::as_str).unwrap_or("?")
                    ),
                    None => x.to_string(),
                })
                .collect();
            out.insert(prefix.to_string(), format!("[{}]", texts.join(", ")));
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}
