//! Plan output (SPEC §6): human text (Terraform-like), Markdown for pull-request comments,
//! and JSON. Pure functions of the plan: the same plan gives byte-identical output.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{JSON_FORMAT_VERSION, Style, code_span, escape};
use crate::model::Address;
use crate::plan::{Action, Change, Plan, Record, Summary, TeamChange, TeamTag};

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
                style.paint(
                    colour_of(c.action),
                    &format!("{:>3} {line}", c.action.symbol()),
                )
            } else {
                line
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push('\n');
    if !plan.stepped_around.is_empty() {
        out.push_str(&stepped_intro(plan));
        out.push_str(":\n");
        for s in plan.stepped_around.iter().take(STEPPED_LISTED) {
            out.push_str(&format!(
                "  {}  {}, in {}\n",
                s.network.cidr, s.network, s.within
            ));
        }
        let more = plan.stepped_around.len().saturating_sub(STEPPED_LISTED);
        if more > 0 {
            out.push_str(&format!(
                "  and {more} more (`--format json` lists them all)\n"
            ));
        }
        out.push('\n');
    }
    if let Some(w) = destroy_warning(plan, |a| format!("`{a}`")) {
        out.push_str(&style.paint(colour_of(Action::Delete), &format!("Warning: {w}")));
        out.push_str("\n\n");
    }
    out.push_str(&style.bold(&plan.summary().line()));
    out.push('\n');
    out
}

/// GitHub's limit on a comment, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// How a plan is written as a pull-request comment.
#[derive(Debug, Clone, Copy)]
pub struct Markdown<'a> {
    /// Said under the heading (that the plan starts a new state).
    pub note: Option<&'a str>,
    /// The most characters the comment may have (GitHub refuses longer ones). The summary
    /// and the destroy warning are always written; changes fill what is left.
    pub max_chars: usize,
    /// Where every change can be read when some are left out (a CI run's page, say).
    pub full_plan: Option<&'a str>,
}

impl Default for Markdown<'_> {
    fn default() -> Self {
        Markdown {
            note: None,
            max_chars: COMMENT_LIMIT,
            full_plan: None,
        }
    }
}

/// The plan as a pull-request comment: the summary as a heading, the destroy warning, then
/// the changes folded in a `diff` block (markers in column 0, so creates read green and
/// destroys red) for as long as the budget lasts, then how many were left out and where to
/// read them. Names come from plan files: inside code they stay code, and a fence or code
/// span is never closed by them.
pub fn markdown(plan: &Plan, options: Markdown) -> String {
    let note = options
        .note
        .map(|n| format!("> {}\n\n", escape(n)))
        .unwrap_or_default();
    if !plan.has_changes() {
        return format!(
            "#### ipam plan: no changes\n\n{note}The recorded state matches the plan.\n"
        );
    }
    let s = plan.summary();
    let mut head = format!(
        "#### ipam plan: {} to add, {} to change, {} to replace, {} to destroy\n\n{note}",
        s.add, s.change, s.replace, s.destroy
    );
    if let Some(w) = destroy_warning(plan, code_span) {
        head.push_str(&format!("> [!CAUTION]\n> {w}\n\n"));
    }
    if !plan.stepped_around.is_empty() {
        head.push_str(&stepped_markdown(plan));
    }
    let n = plan.changes.len();
    let groups = by_team(plan);
    let opens: Vec<String> = groups
        .iter()
        .map(|(team, changes)| {
            let k = changes.len();
            let what = format!("{k} change{}", if k == 1 { "" } else { "s" });
            let summary = match team {
                None => what,
                Some(TeamTag::Owner) => format!("IPAM owner: {what}"),
                Some(TeamTag::Team(t)) => format!("team <code>{}</code>: {what}", html(t)),
            };
            format!("<details><summary>{summary}</summary>\n\n```diff\n")
        })
        .collect();
    let close = "```\n\n</details>\n\n";
    let footer = format!("{}\n", s.line());
    // Room kept for the line that says how many changes were left out.
    let more_room = 400 + options.full_plan.map_or(0, |f| f.chars().count());
    let fixed = [head.as_str(), &footer]
        .into_iter()
        .chain(opens.iter().map(String::as_str))
        .map(|p| p.chars().count())
        .sum::<usize>()
        + groups.len() * close.chars().count();
    let mut budget = options.max_chars.saturating_sub(fixed + more_room);
    let mut out = head;
    let mut shown = 0;
    'groups: for ((_, changes), open) in groups.iter().zip(&opens) {
        let mut body = String::new();
        let mut full = false;
        for c in changes {
            let mut block = String::new();
            for (i, line) in change_lines(c).into_iter().enumerate() {
                let line = if i == 0 {
                    format!("{} {line}", diff_marker(c.action))
                } else {
                    line
                };
                // A fence opens or closes only at the start of a line, and every line
                // starts with a marker or spaces; this keeps names from holding one all
                // the same.
                block.push_str(&line.replace("```", "'''"));
                block.push('\n');
            }
            let size = block.chars().count();
            if size > budget {
                full = true;
                break;
            }
            budget -= size;
            body.push_str(&block);
            shown += 1;
        }
        // A group is written when something of it fits, or when it is the only one (the
        // comment keeps its shape however small the budget).
        if !body.is_empty() || groups.len() == 1 {
            out.push_str(open);
            out.push_str(&body);
            out.push_str(close);
        }
        if full {
            break 'groups;
        }
    }
    if shown < n {
        let left = n - shown;
        out.push_str(&format!(
            "**{left} more change{} not shown**: this comment is limited to {} characters. {}\n\n",
            if left == 1 { "" } else { "s" },
            options.max_chars,
            match options.full_plan {
                Some(at) => format!("Every change: {}", escape(at)),
                None => "Every change is in the output of `ipam plan` (or `ipam show` of the \
                         saved plan)."
                    .to_string(),
            }
        ));
    }
    out.push_str(&footer);
    out
}

/// The changes in groups: one group without a team when the plan declares none; else the
/// IPAM owner's changes first, then each team's by name, each in plan order.
fn by_team(plan: &Plan) -> Vec<(Option<&TeamTag>, Vec<&Change>)> {
    let mut groups: BTreeMap<Option<&TeamTag>, Vec<&Change>> = BTreeMap::new();
    for c in &plan.changes {
        groups.entry(c.team.as_ref()).or_default().push(c);
    }
    // `TeamTag::Owner` orders before every `TeamTag::Team`, and teams by name.
    groups.into_iter().collect()
}

/// Text as HTML that renders as itself.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The marker of a change in column 0 of a `diff` block: `+` creates (green), `-` and `-/+`
/// destroy (red), `!` changes in place or renames.
fn diff_marker(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Delete => "-",
        Action::Replace => "-/+",
        Action::Update | Action::Move => "!",
    }
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
    /// Only with `plan --inventory`: the discovered networks that are not recorded
    /// allocations and that new blocks were placed around, in the order the pools (then
    /// VPCs, for subnets) were filled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stepped_around: Vec<SteppedJson>,
}

/// A discovered network the plan placed new blocks around.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "SteppedAround")]
pub struct SteppedJson {
    /// The cloud's ID of the network.
    id: String,
    /// What it is, as `audit --json` names it: `vpc`, `subnet`, `azure-vnet`, ...
    #[serde(rename = "type")]
    kind: String,
    cidr: String,
    /// Its name, where the inventory gives one.
    name: Option<String>,
    /// The pool (`pool.NAME`), or the VPC for its subnets (`vpc.NAME`), it was placed
    /// around in.
    within: String,
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
    /// Only when the plan declares teams: the team whose file declares the resource (for a
    /// delete, the team of its recorded owner account), or null for the IPAM owner's files.
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<Option<String>>,
    /// Only when the plan declares teams: for a VPC whose owner account moves to another
    /// team's (its declaration moved between teams' files), the two teams; else null.
    #[serde(skip_serializing_if = "Option::is_none")]
    team_change: Option<Option<TeamChangeJson>>,
}

/// A VPC moving between teams.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "TeamChange")]
pub struct TeamChangeJson {
    /// The team of the recorded owner account, or null for the IPAM owner.
    #[schemars(required)]
    from: Option<String>,
    /// The team of the new owner account, or null for the IPAM owner.
    #[schemars(required)]
    to: Option<String>,
}

/// A team as JSON: its name, or null for the IPAM owner.
fn team_json(t: &TeamTag) -> Option<String> {
    match t {
        TeamTag::Owner => None,
        TeamTag::Team(name) => Some(name.clone()),
    }
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
            team: c.team.as_ref().map(team_json),
            team_change: c.team.as_ref().map(|_| {
                c.team_change
                    .as_ref()
                    .map(|TeamChange { from, to }| TeamChangeJson {
                        from: team_json(from),
                        to: team_json(to),
                    })
            }),
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
        stepped_around: plan
            .stepped_around
            .iter()
            .map(|s| SteppedJson {
                id: s.network.id.clone(),
                kind: s.network.kind.clone(),
                cidr: s.network.cidr.to_string(),
                name: s.network.name.clone(),
                within: s.within.to_string(),
            })
            .collect(),
    })
    .unwrap_or(Value::Null)
}

/// "Placed new blocks around N networks …".
fn stepped_intro(plan: &Plan) -> String {
    let n = plan.stepped_around.len();
    format!(
        "Placed new blocks around {n} network{} found in the inventories and not in the state",
        if n == 1 { "" } else { "s" }
    )
}

/// The networks stepped around, for a comment: the first [`NAMED`], then how many more.
fn stepped_markdown(plan: &Plan) -> String {
    let mut items: Vec<String> = plan
        .stepped_around
        .iter()
        .take(NAMED)
        .map(|s| {
            format!(
                "{} ({} {}, in {})",
                code_span(&s.network.cidr.to_string()),
                escape(&s.network.kind),
                code_span(&s.network.id),
                code_span(&s.within.to_string())
            )
        })
        .collect();
    let more = plan.stepped_around.len().saturating_sub(NAMED);
    if more > 0 {
        items.push(format!("and {more} more"));
    }
    format!("> {}: {}.\n\n", stepped_intro(plan), items.join(", "))
}

/// How many networks the text plan lists as stepped around; the rest are counted.
const STEPPED_LISTED: usize = 20;

/// How many destroyed resources the warning names; the rest are counted by kind.
const NAMED: usize = 10;

/// What the plan destroys, bounded: every destroyed resource when there are few, else the
/// count by kind and the first [`NAMED`]. `name` writes an address (as code in Markdown).
fn destroy_warning(plan: &Plan, name: impl Fn(&str) -> String) -> Option<String> {
    let destroyed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action.destroys())
        .collect();
    let n = destroyed.len();
    if n == 0 {
        return None;
    }
    let named: Vec<String> = destroyed
        .iter()
        .take(NAMED)
        .map(|c| match c.action {
            Action::Replace => format!("{} (replaced)", name(&c.address.to_string())),
            _ => name(&c.address.to_string()),
        })
        .collect();
    let plural =
        |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    if n <= NAMED {
        return Some(format!(
            "this plan destroys {}: {}.",
            plural(n, "resource", "resources"),
            named.join(", ")
        ));
    }
    let mut kinds: BTreeMap<u8, (usize, &str, &str)> = BTreeMap::new();
    for c in &destroyed {
        let (k, one, many) = match c.address {
            Address::Scope(_) => (0, "scope", "scopes"),
            Address::Pool(_) => (1, "pool", "pools"),
            Address::Vpc(_) => (2, "VPC", "VPCs"),
            Address::Subnet(..) => (3, "subnet", "subnets"),
            Address::Reservation(_) => (4, "reservation", "reservations"),
        };
        kinds.entry(k).or_insert((0, one, many)).0 += 1;
    }
    let replaced = destroyed
        .iter()
        .filter(|c| c.action == Action::Replace)
        .count();
    let counts: Vec<String> = kinds
        .values()
        .map(|(k, one, many)| plural(*k, one, many))
        .collect();
    Some(format!(
        "this plan destroys {} ({}{}): {} and {} more.",
        plural(n, "resource", "resources"),
        counts.join(", "),
        match replaced {
            0 => String::new(),
            r => format!("; {r} of them replaced"),
        },
        named.join(", "),
        n - NAMED
    ))
}

/// The lines of one change: a headline (without its marker, which each format places),
/// then the changed fields of an update.
fn change_lines(c: &Change) -> Vec<String> {
    let moved = c
        .previous_address
        .as_ref()
        .map(|p| format!(" (moved from {p})"))
        .unwrap_or_default();
    let head = format!("{}{moved}", c.address);
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
    if let Some(TeamChange { from, to }) = &c.team_change {
        lines.push(format!("      ~ team: {from} → {to}"));
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
