//! Names of an overlap walk: every distinct row ID and allocation address, ranked in text
//! order, and lists kept per name.

use std::cmp::Ordering;
use std::sync::Arc;

use super::{Input, NONE, PARTNER};

/// Every distinct row ID and allocation address, numbered in text order (a name's rank), so
/// that names are compared, deduplicated and listed in order as numbers.
pub(super) struct Names<'i> {
    pub(super) text: Vec<&'i str>,
    /// Where the name's text can be had as an `Arc`: a row, or (high bit set) a partner.
    pub(super) source: Vec<u32>,
    /// Per row, its name's rank ([`NONE`] for an ignored row).
    pub(super) of_row: Vec<u32>,
    /// Per partner, its name's rank.
    pub(super) of_partner: Vec<u32>,
}

impl<'i> Names<'i> {
    /// Ranks the names. Rows come sorted by ID within each file, so one walk over them
    /// usually finds them in order (a sort only when they are not); the recorded
    /// allocations, few, are sorted and put in their places by binary search.
    pub(super) fn rank(input: &Input<'i, '_>) -> Names<'i> {
        let rows = input.rows;
        let text = |i: u32| -> &'i str {
            if i & PARTNER != 0 {
                &input.partners[(i & !PARTNER) as usize].name
            } else {
                &rows[i as usize].id
            }
        };
        // Rows of one resource share their ID's allocation: equal without a look inside.
        let order = |a: &str, b: &str| {
            if std::ptr::eq(a, b) {
                Ordering::Equal
            } else {
                a.cmp(b)
            }
        };
        let mut by_id: Vec<u32> = (0..rows.len() as u32)
            .filter(|&i| !input.ignored[i as usize])
            .collect();
        if !by_id.is_sorted_by(|&a, &b| order(text(a), text(b)) != Ordering::Greater) {
            by_id.sort_by(|&a, &b| order(text(a), text(b)));
        }
        let mut partners: Vec<u32> = (0..input.partners.len() as u32)
            .map(|p| p | PARTNER)
            .collect();
        partners.sort_by(|&a, &b| text(a).cmp(text(b)));
        // Each partner after the rows whose names do not come after its own.
        let mut places: Vec<usize> = partners
            .iter()
            .map(|&p| by_id.partition_point(|&r| text(r) <= text(p)))
            .collect();
        places.push(usize::MAX);
        let mut names = Names {
            text: Vec::with_capacity(by_id.len() + partners.len()),
            source: Vec::with_capacity(by_id.len() + partners.len()),
            of_row: vec![NONE; rows.len()],
            of_partner: vec![NONE; input.partners.len()],
        };
        let mut next = 0;
        let put = |names: &mut Names<'i>, i: u32| {
            let t = text(i);
            if names
                .text
                .last()
                .is_none_or(|&last| order(last, t) != Ordering::Equal)
            {
                names.text.push(t);
                names.source.push(i);
            }
            let rank = (names.text.len() - 1) as u32;
            if i & PARTNER != 0 {
                names.of_partner[(i & !PARTNER) as usize] = rank;
            } else {
                names.of_row[i as usize] = rank;
            }
        };
        for (at, &row) in by_id.iter().enumerate() {
            while places[next] == at {
                put(&mut names, partners[next]);
                next += 1;
            }
            put(&mut names, row);
        }
        for &p in &partners[next..] {
            put(&mut names, p);
        }
        names
    }

    pub(super) fn get(&self, text: &str) -> Option<u32> {
        self.text.binary_search(&text).ok().map(|r| r as u32)
    }

    /// [`Names::get`], looking first just after `hint`: subnets read in ID order mostly
    /// name their networks in ID order too.
    pub(super) fn get_after(&self, hint: u32, text: &str) -> Option<u32> {
        let from = (hint as usize).min(self.text.len());
        let mut step = 1;
        let mut low = from;
        while low + step < self.text.len() && self.text[low + step] < text {
            low += step;
            step *= 2;
        }
        if from < self.text.len() && self.text[from] <= text {
            let high = (low + step + 1).min(self.text.len());
            return self.text[from..high]
                .binary_search(&text)
                .ok()
                .map(|r| (from + r) as u32);
        }
        self.get(text)
    }

    pub(super) fn arc(&self, rank: u32, input: &Input) -> Arc<str> {
        let source = self.source[rank as usize];
        if source & PARTNER != 0 {
            input.partners[(source & !PARTNER) as usize].name.clone()
        } else {
            input.rows[source as usize].id.clone()
        }
    }
}

/// A list per name (compressed: `offsets[n]..offsets[n + 1]` of `values`).
pub(super) struct PerName {
    offsets: Vec<u32>,
    values: Vec<u32>,
}

impl PerName {
    pub(super) fn new(names: usize, mut pairs: Vec<(u32, u32)>) -> PerName {
        pairs.sort_unstable();
        pairs.dedup();
        let mut offsets = vec![0u32; names + 1];
        for &(n, _) in &pairs {
            offsets[n as usize + 1] += 1;
        }
        for i in 0..names {
            offsets[i + 1] += offsets[i];
        }
        PerName {
            offsets,
            values: pairs.into_iter().map(|(_, v)| v).collect(),
        }
    }

    pub(super) fn of(&self, name: u32) -> &[u32] {
        let n = name as usize;
        &self.values[self.offsets[n] as usize..self.offsets[n + 1] as usize]
    }
}
