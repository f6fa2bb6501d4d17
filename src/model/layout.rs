//! Layouts (SPEC §4): pools generated level by level inside a parent, by the planning method
//! of Alibaba Cloud's address planning guide (seed 001). Each level divides every block above
//! it into `slots` aligned blocks (rounded up to a power of two): the block length is the
//! level above's plus ⌈log2(slots)⌉. The i-th name takes the i-th slot (or the slot it names);
//! unnamed slots are held for growth on the pool they belong to, so first fit never hands
//! them out.
use std::collections::BTreeMap;

use super::context::{Cx, entries};
use super::draft::{Attrs, Draft};
use super::{Origin, Provision};
use crate::addr::Prefix;
use crate::config::RawPlan;
use crate::config::raw::{RawLayout, RawLevel, Sp};
use crate::diag::{Diag, FileId, Loc};

/// Expands every layout whose parent exists, appending the generated pools to `drafts`.
/// A layout may be generated inside a pool another layout generated, so this repeats until
/// nothing changes; a layout whose parent never appears is an unresolved reference.
pub(super) fn expand_layouts(cx: &mut Cx, raw: &RawPlan, drafts: &mut Vec<Draft>) {
    let mut pending = entries(raw, |f| &f.layouts);
    loop {
        let before = pending.len();
        pending.retain(|(file, name, layout)| {
            match drafts
                .iter()
                .position(|d| d.name == layout.value.parent.value)
            {
                Some(parent) => {
                    if !expand(cx, *file, &name.value, &layout.value, parent, drafts) {
                        // Names inside it would only repeat the layout's own problem.
                        cx.suppressed.push(layout.value.parent.value.clone());
                    }
                    false
                }
                None => true,
            }
        });
        if pending.len() == before {
            break;
        }
    }
    for (file, _, layout) in pending {
        let parent = &layout.value.parent;
        cx.suppressed.push(parent.value.clone());
        let names: Vec<&str> = drafts.iter().map(|d| d.name.as_str()).collect();
        let mut d = Diag::error(
            "ipam::ref::unresolved",
            format!("no pool named `{}`", parent.value),
        )
        .at(&Loc::new(file, parent.span.clone()), "unknown pool");
        if let Some(s) = crate::diag::suggest(&parent.value, names) {
            d = d.help(format!("did you mean `{s}`?"));
        } else {
            d = d.help("a layout is generated inside an existing pool; declare it first");
        }
        cx.push(d);
    }
}

/// One level's used slots: (name, slot, location of the name).
type Slots = Vec<(String, u64, Loc)>;

/// Generates one layout's pools; false when it could not (the problem is reported).
fn expand(
    cx: &mut Cx,
    file: FileId,
    layout_name: &str,
    layout: &RawLayout,
    parent: usize,
    drafts: &mut Vec<Draft>,
) -> bool {
    let parent_loc = Loc::new(file, layout.parent.span.clone());
    let root = match &drafts[parent].provision {
        Some(Provision::Cidrs(cidrs)) if cidrs.len() == 1 => cidrs[0].0,
        None => return false, // the parent's own problem is reported already
        Some(_) => {
            cx.push(
                Diag::error(
                    "ipam::layout::parent",
                    format!(
                        "layout `{layout_name}` needs a parent with exactly one CIDR; `{}` has {}",
                        drafts[parent].name,
                        match &drafts[parent].provision {
                            Some(Provision::Cidrs(c)) => format!("{} CIDRs", c.len()),
                            _ => "a netmask, so its block is known only at plan time".into(),
                        }
                    ),
                )
                .at(&parent_loc, "layout parent")
                .help("give the layout a parent pool provisioned with one explicit CIDR"),
            );
            return false;
        }
    };
    if layout.levels.value.is_empty() {
        cx.push(
            Diag::error(
                "ipam::layout::levels",
                format!("layout `{layout_name}` has no levels"),
            )
            .at(&Loc::new(file, layout.levels.span.clone()), "empty")
            .help("add levels, e.g. `levels = [{ slots = 4, names = [\"prod\", \"dev\"] }]`"),
        );
        return false;
    }
    // Check every level before generating anything.
    let mut levels: Vec<(&RawLevel, u8, Slots)> = Vec::new();
    let mut len = root.prefix_len();
    for level in &layout.levels.value {
        let Some((bits, slots)) = level_slots(cx, file, &level.value) else {
            return false;
        };
        len += bits;
        if len > root.family().bits() {
            cx.push(
                Diag::error(
                    "ipam::layout::too_deep",
                    format!(
                        "layout `{layout_name}` needs /{len} blocks, longer than {} allows",
                        root.family()
                    ),
                )
                .at(
                    &Loc::new(file, level.value.slots.span.clone()),
                    "too many slots",
                )
                .help("use fewer slots or fewer levels"),
            );
            return false;
        }
        levels.push((&level.value, len, slots));
    }
    // Generate, level by level, inside every block of the level above.
    let leaf = layout.leaf.as_ref().map(|l| l.value.attrs());
    let mut above: Vec<(usize, Prefix)> = vec![(parent, root)];
    for (depth, (level, block_len, slots)) in levels.iter().enumerate() {
        let last = depth + 1 == levels.len();
        let attrs = Attrs::read(file, level.attrs(), if last { leaf } else { None });
        let host_bits = root.family().bits() - block_len;
        // Checked by `level_slots`: at least 1.
        let slot_count = u64::try_from(level.slots.value).unwrap_or(1);
        let mut next = Vec::new();
        for &(owner, block) in &above {
            let at = |slot: u64| {
                let start = block.start() + (u128::from(slot) << host_bits);
                Prefix::new(root.family(), start, *block_len)
            };
            for slot in 0..slot_count {
                if !slots.iter().any(|s| s.1 == slot)
                    && let Some(held) = at(slot)
                {
                    drafts[owner].held.push((held, parent_loc.clone()));
                }
            }
            for (name, slot, loc) in slots {
                let Some(cidr) = at(*slot) else { continue };
                let full = format!("{}/{name}", drafts[owner].name);
                if let Some(existing) = drafts.iter().find(|d| d.name == full) {
                    let first = existing.loc.clone();
                    cx.push(
                        Diag::error(
                            "ipam::name::duplicate",
                            format!("pool `{full}` is defined twice"),
                        )
                        .at(loc, format!("layout `{layout_name}` generates `{full}`"))
                        .note(&first, "first defined here")
                        .help("rename the declared pool or the slot"),
                    );
                    continue;
                }
                drafts.push(Draft {
                    name: full,
                    loc: loc.clone(),
                    origin: Origin::Layout {
                        layout: layout_name.to_owned(),
                        slot: *slot,
                    },
                    scope: None,
                    parent: Some((drafts[owner].name.clone(), parent_loc.clone())),
                    provision: Some(Provision::Cidrs(vec![(cidr, loc.clone())])),
                    region: level
                        .region
                        .as_ref()
                        .is_some_and(|r| r.value)
                        .then(|| (name.clone(), loc.clone())),
                    attrs: attrs.clone(),
                    held: Vec::new(),
                });
                next.push((drafts.len() - 1, cidr));
            }
        }
        above = next;
    }
    true
}

/// ⌈log2(slots)⌉ for slots ≥ 1.
fn bits_for(slots: u64) -> u8 {
    (64 - (slots - 1).leading_zeros()) as u8
}

/// Checks a level's slot count and names; returns the extra prefix bits and the named slots.
fn level_slots(cx: &mut Cx, file: FileId, level: &RawLevel) -> Option<(u8, Slots)> {
    let slots_loc = Loc::new(file, level.slots.span.clone());
    let slots = match u64::try_from(level.slots.value) {
        Ok(s) if (1..=1 << 32).contains(&s) => s,
        _ => {
            cx.push(
                Diag::error(
                    "ipam::layout::slots",
                    format!("{} is not a slot count", level.slots.value),
                )
                .at(&slots_loc, "out of range")
                .help("a level has at least 1 slot"),
            );
            return None;
        }
    };
    let names = &level.names.value;
    if names.len() as u64 > slots {
        cx.push(
            Diag::error(
                "ipam::layout::names",
                format!("{} names for {slots} slots", names.len()),
            )
            .at(&Loc::new(file, level.names.span.clone()), "more names than slots")
            .help(format!(
                "raise `slots` to at least {} (it is rounded up to a power of two), or remove names",
                names.len()
            )),
        );
        return None;
    }
    let mut used: BTreeMap<u64, Loc> = BTreeMap::new();
    let mut seen: BTreeMap<&str, Loc> = BTreeMap::new();
    let mut out = Vec::new();
    let mut ok = true;
    for (i, entry) in names.iter().enumerate() {
        let name: &Sp<String> = &entry.value.name;
        // A bare string's span is the entry's.
        let span = if name.span.is_empty() {
            entry.span.clone()
        } else {
            name.span.clone()
        };
        let loc = Loc::new(file, span);
        if name.value.is_empty() || name.value.contains('/') {
            cx.push(
                Diag::error(
                    "ipam::layout::name",
                    format!("`{}` cannot name a slot", name.value),
                )
                .at(&loc, "invalid slot name")
                .help("slot names become path segments of pool names: non-empty, without `/`"),
            );
            ok = false;
            continue;
        }
        if let Some(first) = seen.get(name.value.as_str()) {
            let first = first.clone();
            cx.push(
                Diag::error(
                    "ipam::name::duplicate",
                    format!("slot name `{}` appears twice in one level", name.value),
                )
                .at(&loc, "again here")
                .note(&first, "first here")
                .help("each slot of a level has its own name"),
            );
            ok = false;
            continue;
        }
        seen.insert(&name.value, loc.clone());
        let slot = match &entry.value.slot {
            None => i as u64,
            Some(s) => match u64::try_from(s.value) {
                Ok(v) if v < slots => v,
                _ => {
                    cx.push(
                        Diag::error(
                            "ipam::layout::slot",
                            format!("slot {} is outside 0..{}", s.value, slots - 1),
                        )
                        .at(&Loc::new(file, s.span.clone()), "no such slot")
                        .help(format!("slots count from 0 to {}", slots - 1)),
                    );
                    ok = false;
                    continue;
                }
            },
        };
        if let Some(first) = used.get(&slot) {
            let first = first.clone();
            cx.push(
                Diag::error("ipam::layout::slot", format!("slot {slot} is taken twice"))
                    .at(&loc, format!("`{}` takes slot {slot}", name.value))
                    .note(&first, "already taken here")
                    .help("give the name another `slot`"),
            );
            ok = false;
            continue;
        }
        used.insert(slot, loc.clone());
        out.push((name.value.clone(), slot, loc));
    }
    ok.then(|| (bits_for(slots), out))
}
