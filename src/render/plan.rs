//! Plan output (SPEC §6): human text (Terraform-like), Markdown for pull-request comments,
//! and JSON. Pure functions of the plan: the same plan gives byte-identical output.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{JSON_FORMAT_VERSION, Style};
use crate::plan::{Action, Change, Plan, Record, Summary};

/// The ANSI colour of an action: creates green, updates and moves yellow, destroys red.
fn colour_of(action: Action) -> &'static str {
    match action {
        Action::Create => "32",
        Action::Update | Action::Move => "33",
        Action::Replace | Action::Delete => "31",
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
                style.paint(colour_of(c.action), &line)
            } else {
                line
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push('\n');
    if let Some(w) = destroy_warning(plan) {
        out.push_str(&style.paint(colour_of(Action::Delete), &format!("Warning: {w}")));
        out.push_str("\n\n");
    }
    out.push_str(&style.bold(&plan.summary().line()));
    out.push('\n');
    out
}

/// The plan as a pull-request comment: summary, destroy warning, details folded. `note` is
/// said under the heading (that the plan starts a new state).
pub fn markdown(plan: &Plan, note: Option<&str>) -> String {
    let note = note.map(|n| format!("> {n}\n\n")).unwrap_or_default();
    if !plan.has_changes() {
        return format!(
            "#### ipam plan: no changes\n\n{note}The recorded state matches the plan.\n"
        );
    }
    let s = plan.summary();
    let mut out = format!(
        "#### ipam plan: {} to add, {} to change, {} to replace, {} to destroy\n\n{note}",
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

/// `plan --format json`, documented in `schemas/plan-output.schema.json`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PlanDocument {
    /// Version of this document's format.
    pub format_version: &'static str,
    /// Whether apply would change the recorded state.
    pub has_changes: bool,
    /// One entry per resource that changes, in reading order.
    pub changes: Vec<ChangeJson>,
    pub summary: Summary,
}

/// One change as JSON: Terraform's shape.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "Change")]
pub struct ChangeJson {
    /// The resource: `scope.NAME`, `pool.NAME`, `vpc.NAME`, `vpc.NAME.subnet.S`,
    /// `reservation.NAME`.
    address: String,
    /// The recorded address of a resource renamed by `[[moved]]`.
    previous_address: Option<String>,
    /// `["create"]`, `["update"]`, `["delete", "create"]` (replace), `["delete"]`, or
    /// `["no-op"]` (renamed only).
    actions: Vec<String>,
    /// The recorded resource (as in the state file; a VPC without its subnets), or null.
    before: Option<Value>,
    /// The resource after apply, every CIDR concrete, or null.
    after: Option<Value>,
    /// Why a resource is replaced or deleted.
    reason: Option<String>,
}

impl From<&Change> for ChangeJson {
    fn from(c: &Change) -> ChangeJson {
        ChangeJson {
            address: c.address.to_string(),
            previous_address: c.previous_address.as_ref().map(|a| a.to_string()),
            actions: c.action.actions().iter().map(|s| s.to_string()).collect(),
            before: c.before.as_ref().map(Record::to_json),
            after: c.after.as_ref().map(Record::to_json),
            reason: c.reason.as_ref().map(|r| r.to_string()),
        }
    }
}

/// The plan as data (SPEC §6).
pub fn json(plan: &Plan) -> Value {
    serde_json::to_value(PlanDocument {
        format_version: JSON_FORMAT_VERSION,
        has_changes: plan.has_changes(),
        changes: plan.changes.iter().map(ChangeJson::from).collect(),
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
    let before = c.before.as_ref().map(summary);
    let after = c.after.as_ref().map(summary);
    let mut lines = vec![match (c.action, before, after) {
        (Action::Replace, Some(b), Some(a)) => format!(
            "{head}: {} → {a} ({})",
            without_shared_place(&b, &a),
            c.reason
                .as_ref()
                .map_or_else(|| "replaced".to_string(), |r| r.to_string())
        ),
        (Action::Delete, Some(b), _) => format!("{head}: {b}"),
        (_, _, Some(a)) if !a.is_empty() => format!("{head}: {a}"),
        _ => head,
    }];
    if c.action == Action::Update
        && let (Some(b), Some(a)) = (&c.before, &c.after)
    {
        lines.extend(field_changes(&b.to_json(), &a.to_json()));
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
fn summary(record: &Record) -> String {
    match record {
        Record::Scope(_) => String::new(),
        Record::Pool(p) => {
            let cidrs: Vec<String> = p.cidrs.iter().map(|c| c.to_string()).collect();
            let cidrs = cidrs.join(", ");
            match &p.parent {
                Some(parent) => format!("{cidrs} from pool.{parent}"),
                None => format!("{cidrs} in scope {}", p.scope),
            }
        }
        Record::Vpc(v) => {
            let blocks: Vec<String> = v.blocks().map(|(_, c)| c.to_string()).collect();
            format!("{} from pool.{}", blocks.join(" + "), v.pool)
        }
        Record::Subnet(s) => match &s.zone {
            Some(z) => format!("{} in {z}", s.cidr),
            None => s.cidr.to_string(),
        },
        Record::Reservation(r) => format!("{} from pool.{}", r.cidr, r.pool),
    }
}

/// `field: before → after` lines for what an update changes, over the records' fields as
/// the state file names them.
fn field_changes(before: &Value, after: &Value) -> Vec<String> {
    let (mut b, mut a) = (BTreeMap::new(), BTreeMap::new());
    flatten("", before, &mut b);
    flatten("", after, &mut a);
    let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
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
