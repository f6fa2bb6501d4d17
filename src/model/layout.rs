//! Layouts (SPEC §4): pools generated level by level inside a parent, by the planning method
//! of Alibaba Cloud's address planning guide (seed 001). Each level divides every block above
//! it into `slots` aligned blocks (rounded up to a power of two): the block length is the
//! level above's plus ⌈log2(slots)⌉. The i-th name takes the i-th slot (or the slot it names);
//! unnamed slots are held for growth on the pool they belong to, so first fit never hands
//! them out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::context::{Cx, entries};
use super::draft::{Attrs, Draft};
use super::limits::{MAX_POOLS, MAX_SLOTS_PER_LEVEL};
use super::{Origin, Provision};
use crate::addr::Prefix;
use crate::config::RawPlan;
use crate::config::raw::{RawLayout, RawLevel, Sp};
use crate::diag::{Diag, FileId, Loc};

/// Expands every layout whose parent exists, appending the generated pools to `drafts`.
/// A layout may be generated inside a pool another layout generated: the layouts are
/// scanned in declaration order, again and again, each expanded once its parent exists (so
/// the pools come out in the same order however the layouts are declared); a layout whose
/// parent never appears is an unresolved reference. The scan is simulated with a queue per
/// pass, so its cost is linear in the layouts and pools, not quadratic.
pub(super) fn expand_layouts(cx: &mut Cx, raw: &RawPlan, drafts: &mut Vec<Draft>) {
    let layouts = entries(raw, |f| &f.layouts);
    // Lookup only, never iterated.
    let mut index: HashMap<String, usize> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.clone(), i))
        .collect();
    let mut waiting: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut this_pass: BTreeSet<usize> = BTreeSet::new();
    for (i, (_, _, layout)) in layouts.iter().enumerate() {
        let parent = layout.value.parent.value.as_str();
        if index.contains_key(parent) {
            this_pass.insert(i);
        } else {
            waiting.entry(parent).or_default().push(i);
        }
    }
    let mut next_pass: BTreeSet<usize> = BTreeSet::new();
    loop {
        let Some(i) = this_pass.pop_first() else {
            if next_pass.is_empty() {
                break;
            }
            std::mem::swap(&mut this_pass, &mut next_pass);
            continue;
        };
        let (file, name, layout) = layouts[i];
        let Some(&parent) = index.get(layout.value.parent.value.as_str()) else {
            continue;
        };
        let before = drafts.len();
        let job = Job {
            file,
            name: &name.value,
            layout: &layout.value,
            parent,
        };
        if !expand(cx, &job, drafts, &mut index) {
            // Names inside it would only repeat the layout's own problem.
            cx.suppress(layout.value.parent.value.clone());
        }
        for d in &drafts[before..] {
            for j in waiting.remove(d.name.as_str()).unwrap_or_default() {
                // A later layout is reached in this scan, an earlier one in the next.
                if j > i {
                    this_pass.insert(j);
                } else {
                    next_pass.insert(j);
                }
            }
        }
    }
    let mut never: Vec<usize> = waiting.into_values().flatten().collect();
    never.sort_unstable();
    for i in never {
        let (file, _, layout) = layouts[i];
        let parent = &layout.value.parent;
        cx.suppress(parent.value.clone());
        let loc = Loc::new(file, parent.span.clone());
        cx.unresolved("pool", &parent.value, &loc, drafts.iter().map(|d| &d.name));
    }
}

/// One layout to expand inside the draft at `parent`.
struct Job<'a> {
    file: FileId,
    name: &'a str,
    layout: &'a RawLayout,
    parent: usize,
}

/// One level's used slots: (name, slot, location of the name, the accounts the name
/// shares its pool and the pools below it with), by slot.
type Slots = Vec<(String, u64, Loc, Shares)>;

/// Accounts a pool is shared with, each where it is named.
type Shares = Vec<(String, Loc)>;

/// Generates one layout's pools; false when it could not (the problem is reported).
fn expand(
    cx: &mut Cx,
    job: &Job<'_>,
    drafts: &mut Vec<Draft>,
    index: &mut HashMap<String, usize>,
) -> bool {
    let Job {
        file,
        name: layout_name,
        layout,
        parent,
    } = *job;
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
    let levels_loc = Loc::new(file, layout.levels.span.clone());
    if layout.levels.value.is_empty() {
        cx.push(
            Diag::error(
                "ipam::layout::levels",
                format!("layout `{layout_name}` has no levels"),
            )
            .at(&levels_loc, "empty")
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
    // SPEC §13: the pools a layout asks for are counted before any is made.
    let generated = levels
        .iter()
        .try_fold((1usize, 0usize), |(width, total), (_, _, slots)| {
            let width = width.checked_mul(slots.len())?;
            Some((width, total.checked_add(width)?))
        })
        .map(|(_, total)| total);
    let room = MAX_POOLS.saturating_sub(drafts.len());
    if generated.is_none_or(|n| n > room) {
        let count = generated.map_or("more than 2^64".to_owned(), |n| n.to_string());
        cx.push(
            Diag::error(
                "ipam::limit::pools",
                format!(
                    "layout `{layout_name}` would generate {count} pools; a plan holds at most {MAX_POOLS} pools"
                ),
            )
            .at(&levels_loc, "too many pools")
            .help("name fewer slots: unnamed slots are held for growth and cost nothing"),
        );
        return false;
    }
    // Generate, level by level, inside every block of the level above.
    let leaf = layout.leaf.as_ref().map(|l| l.value.attrs());
    // Each block of the level above, with the accounts its slot names share below it.
    let mut above: Vec<(usize, Prefix, Shares)> = vec![(parent, root, Vec::new())];
    for (depth, (level, block_len, slots)) in levels.iter().enumerate() {
        let last = depth + 1 == levels.len();
        let attrs = Attrs::read(file, level.attrs(), if last { leaf } else { None });
        let host_bits = root.family().bits() - block_len;
        // Checked by `level_slots`: at least 1.
        let slot_count = u64::try_from(level.slots.value).unwrap_or(1);
        let held = held_runs(slots, slot_count);
        let mut next = Vec::new();
        for (owner, block, inherited) in &above {
            let (owner, block) = (*owner, *block);
            let at = |slot: u64, bits: u32| {
                let start = block.start() + (u128::from(slot) << host_bits);
                Prefix::new(root.family(), start, block_len - bits as u8)
            };
            for &(slot, bits) in &held {
                if let Some(h) = at(slot, bits) {
                    drafts[owner].held.push((h, parent_loc.clone()));
                }
            }
            for (name, slot, loc, shares) in slots {
                let Some(cidr) = at(*slot, 0) else { continue };
                let mut shared: Shares = inherited.clone();
                for (account, at) in shares {
                    if !shared.iter().any(|(a, _)| a == account) {
                        shared.push((account.clone(), at.clone()));
                    }
                }
                let mut attrs = attrs.clone();
                for (account, at) in &shared {
                    if !attrs.shared_with.iter().any(|(a, _)| a == account) {
                        attrs.shared_with.push((account.clone(), at.clone()));
                    }
                }
                let full = format!("{}/{name}", drafts[owner].name);
                if let Some(&existing) = index.get(&full) {
                    let first = drafts[existing].loc.clone();
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
                index.insert(full.clone(), drafts.len());
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
                    attrs,
                    held: Vec::new(),
                });
                next.push((drafts.len() - 1, cidr, shared));
            }
        }
        above = next;
    }
    true
}

/// The unnamed slots of a level as few aligned runs: (first slot, log2 of the run's slot
/// count). Each run is one block, so a level of 65,536 slots with three names holds a few
/// dozen blocks, not 65,533.
fn held_runs(slots: &Slots, slot_count: u64) -> Vec<(u64, u32)> {
    let mut used: Vec<u64> = slots.iter().map(|s| s.1).collect();
    used.sort_unstable();
    let mut runs = Vec::new();
    let mut from = 0u64;
    for end in used.iter().copied().chain(std::iter::once(slot_count)) {
        let mut a = from;
        while a < end {
            let mut bits = a.trailing_zeros().min(63);
            while a + (1u64 << bits) > end {
                bits -= 1;
            }
            runs.push((a, bits));
            a += 1u64 << bits;
        }
        from = end + 1;
    }
    runs
}

/// ⌈log2(slots)⌉ for slots ≥ 1.
fn bits_for(slots: u64) -> u8 {
    (64 - (slots - 1).leading_zeros()) as u8
}

/// Checks a level's slot count and names; returns the extra prefix bits and the named slots.
fn level_slots(cx: &mut Cx, file: FileId, level: &RawLevel) -> Option<(u8, Slots)> {
    let slots_loc = Loc::new(file, level.slots.span.clone());
    let slots = match u64::try_from(level.slots.value) {
        Ok(s) if (1..=MAX_SLOTS_PER_LEVEL).contains(&s) => s,
        Ok(s) if s > MAX_SLOTS_PER_LEVEL => {
            cx.push(
                Diag::error(
                    "ipam::limit::slots",
                    format!("{s} slots in one level; a level has at most {MAX_SLOTS_PER_LEVEL}"),
                )
                .at(&slots_loc, "too many slots")
                .help("split the level into two levels"),
            );
            return None;
        }
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
        let shares: Shares = entry
            .value
            .shared_with
            .iter()
            .flat_map(|s| &s.value)
            .map(|a| (a.value.clone(), Loc::new(file, a.span.clone())))
            .collect();
        out.push((name.value.clone(), slot, loc, shares));
    }
    ok.then(|| (bits_for(slots), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(used: &[u64]) -> Slots {
        used.iter()
            .map(|&s| (format!("s{s}"), s, Loc::new(FileId(0), 0..0), Vec::new()))
            .collect()
    }

    /// Every unnamed slot is covered exactly once, by aligned runs, and no named one is.
    #[test]
    fn held_runs_cover_exactly_the_unnamed_slots() {
        for (used, count) in [
            (vec![], 1),
            (vec![0], 1),
            (vec![0, 1], 4),
            (vec![2], 8),
            (vec![0, 5, 6], 7),
            (vec![3, 100], 65_536),
        ] {
            let runs = held_runs(&slots(&used), count);
            let mut covered = vec![0u32; count as usize];
            for (start, bits) in &runs {
                assert_eq!(start % (1 << bits), 0, "aligned: {runs:?}");
                for s in *start..start + (1 << bits) {
                    covered[s as usize] += 1;
                }
            }
            for (s, c) in covered.iter().enumerate() {
                let want = u32::from(!used.contains(&(s as u64)));
                assert_eq!(*c, want, "slot {s} of {count} with {used:?}");
            }
            assert!(
                runs.len() <= (used.len() + 1) * 2 * 17,
                "few runs: {}",
                runs.len()
            );
        }
    }
}
