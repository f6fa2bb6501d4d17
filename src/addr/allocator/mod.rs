//! First-fit allocator for one pool's address space (SPEC §5, §12).
//!
//! Free space is kept as maximal free *ranges* (runs of free addresses, never crossing a
//! provisioned CIDR), each filed under its *capacity*: the largest aligned block it holds.
//! Then:
//!
//! - `allocate(n)`: a range holds an aligned /n exactly when its capacity is /n or larger, and
//!   the lowest such range holds the lowest free /n (at its first /n boundary). So the answer
//!   is the lowest range among the capacity classes ≤ n; a bitmask of non-empty classes and
//!   each class's lowest start make that a scan of at most 129 words. Carving the block splits
//!   the range in at most two.
//! - `release`: put the block back as a range and join it with the free ranges just before
//!   and after it, if they lie in the same provisioned CIDR.
//! - `claim(cidr)`: the range that contains the cidr's first address, if any, must contain all
//!   of it; split it around the cidr.
//!
//! Every operation is a handful of ordered-map operations on the free ranges: O(log F) for F
//! free ranges, independent of how many blocks are taken and of how deep the block is (a
//! buddy allocator that keeps aligned blocks would split or merge once per prefix length).
//!
//! Ranges never join across the boundary of a provisioned CIDR: a pool provisioned with two
//! adjacent /9s hands out at most a /9, as a cloud IPAM does.

use std::collections::{BTreeMap, BTreeSet};

use super::prefix::{AddrCount, Family, Prefix, host_mask};

/// Why an allocator operation was refused. Carries prefixes, never names: the caller knows
/// which pool, VPC or reservation a block belongs to and words the diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocError {
    #[error("{cidr} is {got}, but this pool holds {expected} addresses")]
    FamilyMismatch {
        cidr: Prefix,
        expected: Family,
        got: Family,
    },
    #[error("{cidr} is not inside any of the pool's CIDRs")]
    OutsidePool { cidr: Prefix },
    #[error("{cidr} overlaps {other}, which is already taken")]
    Taken { cidr: Prefix, other: Prefix },
    #[error("provisioned CIDR {cidr} overlaps provisioned CIDR {other}")]
    RootOverlap { cidr: Prefix, other: Prefix },
    #[error("/{netmask} is not a valid {family} netmask (0 to {})", family.bits())]
    BadNetmask { netmask: u8, family: Family },
    #[error("no free /{netmask} left{}", match largest_free { Some(b) => format!("; the largest free block is {b}"), None => "; the pool is full".into() })]
    Exhausted {
        netmask: u8,
        largest_free: Option<Prefix>,
    },
    #[error("{cidr} is not an allocated block of this pool")]
    NotTaken { cidr: Prefix },
}

/// A set of prefix lengths 0..=128.
#[derive(Debug, Clone, Copy, Default)]
struct LenMask([u64; 3]);

impl LenMask {
    fn set(&mut self, len: u8) {
        self.0[usize::from(len / 64)] |= 1 << (len % 64);
    }

    fn clear(&mut self, len: u8) {
        self.0[usize::from(len / 64)] &= !(1 << (len % 64));
    }

    fn contains(self, len: u8) -> bool {
        self.0[usize::from(len / 64)] & (1 << (len % 64)) != 0
    }

    /// The lengths in the set that are ≤ `max`, ascending.
    fn up_to(self, max: u8) -> impl Iterator<Item = u8> {
        let mut words = self.0;
        let max = usize::from(max);
        for (w, word) in words.iter_mut().enumerate() {
            let lo = w * 64;
            if lo > max {
                *word = 0;
            } else if max - lo < 63 {
                *word &= (1u64 << (max - lo + 1)) - 1;
            }
        }
        (0..3u8).flat_map(move |w| {
            let mut word = words[usize::from(w)];
            std::iter::from_fn(move || {
                (word != 0).then(|| {
                    let bit = word.trailing_zeros() as u8;
                    word &= word - 1;
                    w * 64 + bit
                })
            })
        })
    }
}

/// The free ranges, by address and by capacity class.
///
/// Ranges are keyed by their *last* address: carving a block off the front of a range, what
/// first fit does nearly every time, changes only the stored start, and the trees keep their
/// shape unless the range's capacity class changes.
#[derive(Debug, Clone)]
struct FreeRanges {
    family: Family,
    /// last address → first address. Disjoint, never adjacent within one root.
    by_end: BTreeMap<u128, u128>,
    /// (capacity prefix length, last address) of every range.
    by_capacity: BTreeSet<(u8, u128)>,
    /// Classes that hold at least one range.
    nonempty: LenMask,
    /// `lowest[len]`: the lowest range end in class `len`, valid where `nonempty` has `len`.
    lowest: Vec<u128>,
}

impl FreeRanges {
    fn new(family: Family) -> FreeRanges {
        FreeRanges {
            family,
            by_end: BTreeMap::new(),
            by_capacity: BTreeSet::new(),
            nonempty: LenMask::default(),
            lowest: vec![0; usize::from(family.bits()) + 1],
        }
    }

    /// The largest aligned block inside `[start, end]`, as a prefix length.
    fn capacity(&self, start: u128, end: u128) -> u8 {
        let bits = self.family.bits();
        let diff = start ^ end;
        if diff == 0 {
            return bits;
        }
        // Both ends lie in one aligned block of 2^k addresses, in its lower and upper half.
        let k = 128 - diff.leading_zeros();
        let low = if k == 128 {
            u128::MAX
        } else {
            (1u128 << k) - 1
        };
        if start & low == 0 && end & low == low {
            return bits - k as u8;
        }
        // Otherwise no block crosses the middle: the largest one starts at it or ends there.
        let mid = end & !((1u128 << (k - 1)) - 1);
        let upper = floor_log2(end - mid + 1);
        let lower = floor_log2(mid - start);
        bits - upper.max(lower)
    }

    /// The largest aligned block that starts exactly at `at` and ends by `end`.
    fn capacity_at(&self, at: u128, end: u128) -> u8 {
        let bits = self.family.bits();
        let align = if at == 0 {
            bits
        } else {
            (at.trailing_zeros() as u8).min(bits)
        };
        let span = end - at; // addresses left, minus one
        let fit = if span == u128::MAX {
            128
        } else {
            floor_log2(span + 1)
        };
        bits - align.min(fit)
    }

    fn file(&mut self, cap: u8, end: u128) {
        self.by_capacity.insert((cap, end));
        let slot = &mut self.lowest[usize::from(cap)];
        if !self.nonempty.contains(cap) || end < *slot {
            *slot = end;
        }
        self.nonempty.set(cap);
    }

    fn unfile(&mut self, cap: u8, end: u128) {
        self.by_capacity.remove(&(cap, end));
        if self.lowest[usize::from(cap)] == end {
            match self.by_capacity.range((cap, end)..).next() {
                Some(&(c, next)) if c == cap => self.lowest[usize::from(cap)] = next,
                _ => self.nonempty.clear(cap),
            }
        }
    }

    fn insert(&mut self, start: u128, end: u128) {
        self.by_end.insert(end, start);
        self.file(self.capacity(start, end), end);
    }

    fn remove(&mut self, start: u128, end: u128) {
        self.by_end.remove(&end);
        self.unfile(self.capacity(start, end), end);
    }

    /// Moves the first address of the range ending at `end`, keeping its key.
    fn set_start(&mut self, end: u128, old: u128, new: u128) {
        let (before, after) = (self.capacity(old, end), self.capacity(new, end));
        if let Some(start) = self.by_end.get_mut(&end) {
            *start = new;
        }
        if before != after {
            // File first, so a lone range never empties the tree and reallocates its node.
            self.file(after, end);
            self.unfile(before, end);
        }
    }

    /// The range containing `addr`, if it is free.
    fn containing(&self, addr: u128) -> Option<(u128, u128)> {
        let (&end, &start) = self.by_end.range(addr..).next()?;
        (start <= addr).then_some((start, end))
    }

    /// Lowest range among the classes ≤ `len`.
    fn lowest_fitting(&self, len: u8) -> Option<(u128, u128)> {
        let end = self
            .nonempty
            .up_to(len)
            .map(|cap| self.lowest[usize::from(cap)])
            .min()?;
        self.by_end.get(&end).map(|&start| (start, end))
    }

    /// Takes `block` out of the free range `[start, end]` that contains it.
    fn carve(&mut self, (start, end): (u128, u128), block: Prefix) {
        if block.end() < end {
            self.set_start(end, start, block.end() + 1);
        } else {
            self.remove(start, end);
        }
        if start < block.start() {
            self.insert(start, block.start() - 1);
        }
    }

    /// Frees `[start, end]`, joining the free ranges right before and after it when they lie
    /// inside `root` (the provisioned CIDR of the block).
    fn give_back(&mut self, (mut start, end): (u128, u128), root: &Prefix) {
        if start > root.start()
            && let Some(&prev) = self.by_end.get(&(start - 1))
        {
            self.remove(prev, start - 1);
            start = prev;
        }
        let next = end
            .checked_add(1)
            .filter(|&a| a <= root.end())
            .and_then(|after| self.containing(after));
        match next {
            Some((next_start, next_end)) => self.set_start(next_end, next_start, start),
            None => self.insert(start, end),
        }
    }
}

/// ⌊log2 x⌋ for x > 0.
fn floor_log2(x: u128) -> u8 {
    (127 - x.leading_zeros()) as u8
}

/// The taken blocks: start → prefix length.
///
/// First fit hands out blocks in ascending order nearly always, and state is loaded sorted,
/// so most blocks arrive above every block recorded so far: those are appended to a sorted
/// log, at the cost of a push. Blocks that arrive out of order (explicit claims below the
/// top) go to an ordered map. A release in the log leaves a tombstone, popped when it is at
/// the end; lookups binary-search the log and probe the map, O(log n) either way.
#[derive(Debug, Default)]
struct TakenSet {
    /// Strictly ascending starts; `None` marks a released block.
    log: Vec<(u128, Option<u8>)>,
    rest: BTreeMap<u128, u8>,
}

/// Keeps the log's spare capacity: a pool built from state and then cloned must not pay for
/// reallocating the whole log on its first new block.
impl Clone for TakenSet {
    fn clone(&self) -> TakenSet {
        let mut log = Vec::with_capacity(self.log.capacity());
        log.extend_from_slice(&self.log);
        TakenSet {
            log,
            rest: self.rest.clone(),
        }
    }
}

impl TakenSet {
    fn insert(&mut self, start: u128, len: u8) {
        while self.log.last().is_some_and(|(_, l)| l.is_none()) {
            self.log.pop();
        }
        if self.log.last().is_none_or(|&(s, _)| s < start) {
            self.log.push((start, Some(len)));
        } else {
            self.rest.insert(start, len);
        }
    }

    /// The log entry at `start` that is still taken.
    fn live(&self, start: u128) -> Option<usize> {
        self.log
            .binary_search_by_key(&start, |&(s, _)| s)
            .ok()
            .filter(|&i| self.log[i].1.is_some())
    }

    fn get(&self, start: u128) -> Option<u8> {
        match self.live(start) {
            Some(i) => self.log[i].1,
            // A tombstone's start may have been taken again, out of order.
            None => self.rest.get(&start).copied(),
        }
    }

    fn remove(&mut self, start: u128) {
        match self.live(start) {
            Some(i) if i + 1 == self.log.len() => {
                self.log.pop();
            }
            Some(i) => self.log[i].1 = None,
            None => {
                self.rest.remove(&start);
            }
        }
    }

    /// (start, length) of every taken block, in address order.
    fn sorted(&self) -> Vec<(u128, u8)> {
        let mut all: Vec<(u128, u8)> = self
            .log
            .iter()
            .filter_map(|&(s, l)| l.map(|l| (s, l)))
            .chain(self.rest.iter().map(|(&s, &l)| (s, l)))
            .collect();
        all.sort_unstable();
        all
    }
}

/// The address space of one pool: its provisioned CIDRs, what is taken, what is free.
#[derive(Debug, Clone)]
pub struct Allocator {
    family: Family,
    /// Provisioned CIDRs by start address → prefix length. Disjoint.
    roots: BTreeMap<u128, u8>,
    /// Taken blocks. Disjoint, each inside a root.
    taken: TakenSet,
    free: FreeRanges,
    total: AddrCount,
    used: AddrCount,
}

impl Allocator {
    /// An empty allocator for one family; add space with [`Allocator::provision`].
    pub fn new(family: Family) -> Allocator {
        Allocator {
            family,
            roots: BTreeMap::new(),
            taken: TakenSet::default(),
            free: FreeRanges::new(family),
            total: AddrCount::ZERO,
            used: AddrCount::ZERO,
        }
    }

    /// Builds a pool from its provisioned CIDRs and the blocks already taken, in
    /// O(n log n): the free ranges are the sorted gaps, not the result of claiming each
    /// block in turn. Fails on the first conflict (overlapping roots, a block outside
    /// every root, two taken blocks that overlap), naming both blocks.
    pub fn build(
        family: Family,
        roots: impl IntoIterator<Item = Prefix>,
        taken: impl IntoIterator<Item = Prefix>,
    ) -> Result<Allocator, AllocError> {
        let mut alloc = Allocator::new(family);
        let mut roots: Vec<Prefix> = roots.into_iter().collect();
        roots.sort_unstable();
        let mut taken: Vec<Prefix> = taken.into_iter().collect();
        taken.sort_unstable();
        for cidr in roots.iter().chain(&taken) {
            alloc.check_family(cidr)?;
        }
        for pair in roots.windows(2) {
            if pair[0].overlaps(&pair[1]) {
                return Err(AllocError::RootOverlap {
                    cidr: pair[1],
                    other: pair[0],
                });
            }
        }
        for pair in taken.windows(2) {
            if pair[0].overlaps(&pair[1]) {
                return Err(AllocError::Taken {
                    cidr: pair[1],
                    other: pair[0],
                });
            }
        }
        // Room for the blocks a plan adds on top of its state before the log must grow.
        alloc.taken.log.reserve(taken.len() + 1024);
        // Walk each root's taken blocks in order; the gaps between them are free.
        let mut next_taken = taken.iter().peekable();
        for root in &roots {
            alloc.roots.insert(root.start(), root.prefix_len());
            alloc.total = alloc.total.plus(root.size());
            let mut cursor = Some(root.start());
            while let Some(block) = next_taken.next_if(|b| b.start() <= root.end()) {
                // Sorted and disjoint, so a block here either lies in this root past the
                // cursor or starts before the root and lies in none.
                if !root.contains(block) {
                    return Err(AllocError::OutsidePool { cidr: *block });
                }
                if let Some(c) = cursor.filter(|&c| c < block.start()) {
                    alloc.free.insert(c, block.start() - 1);
                }
                alloc.mark_taken(*block);
                cursor = block.end().checked_add(1).filter(|&n| n <= root.end());
            }
            if let Some(c) = cursor {
                alloc.free.insert(c, root.end());
            }
        }
        if let Some(outside) = next_taken.next() {
            return Err(AllocError::OutsidePool { cidr: *outside });
        }
        Ok(alloc)
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// Adds a provisioned CIDR; it must not overlap the ones already there.
    pub fn provision(&mut self, cidr: Prefix) -> Result<(), AllocError> {
        self.check_family(&cidr)?;
        if let Some(other) = find_overlap(&self.roots, self.family, &cidr) {
            return Err(AllocError::RootOverlap { cidr, other });
        }
        self.roots.insert(cidr.start(), cidr.prefix_len());
        self.total = self.total.plus(cidr.size());
        self.free.insert(cidr.start(), cidr.end());
        Ok(())
    }

    /// Takes an explicit block. Fails if it is outside the pool or collides with a taken
    /// block (the error names that block).
    pub fn claim(&mut self, cidr: Prefix) -> Result<(), AllocError> {
        self.check_family(&cidr)?;
        match self.free.containing(cidr.start()) {
            Some(range) if range.1 >= cidr.end() => {
                self.free.carve(range, cidr);
                self.mark_taken(cidr);
                Ok(())
            }
            _ => {
                let in_pool = find_overlap(&self.roots, self.family, &cidr)
                    .is_some_and(|root| root.contains(&cidr));
                Err(match self.lowest_taken_in(&cidr) {
                    Some(other) if in_pool => AllocError::Taken { cidr, other },
                    _ => AllocError::OutsidePool { cidr },
                })
            }
        }
    }

    /// The lowest-addressed taken block overlapping `cidr`, which lies inside a root and is
    /// not all free. Either its first address is taken, by a block that contains it, or the
    /// free range at its start ends early, and a taken block starts right after that.
    fn lowest_taken_in(&self, cidr: &Prefix) -> Option<Prefix> {
        let first_taken = match self.free.containing(cidr.start()) {
            Some((_, end)) => end.checked_add(1)?,
            None => cidr.start(),
        };
        (0..=self.family.bits())
            .map(|len| Prefix::containing(self.family, first_taken, len))
            .find(|block| self.is_taken(block))
    }

    /// Takes the lowest-addressed aligned free block of prefix length `netmask` (SPEC §5
    /// first fit), or says what the largest free block is.
    pub fn allocate(&mut self, netmask: u8) -> Result<Prefix, AllocError> {
        if netmask > self.family.bits() {
            return Err(AllocError::BadNetmask {
                netmask,
                family: self.family,
            });
        }
        let Some(range) = self.free.lowest_fitting(netmask) else {
            return Err(AllocError::Exhausted {
                netmask,
                largest_free: self.largest_free(),
            });
        };
        let block = first_aligned(self.family, range.0, netmask);
        self.free.carve(range, block);
        self.mark_taken(block);
        Ok(block)
    }

    /// Gives a taken block back; it joins the free ranges next to it that lie in the same
    /// provisioned CIDR.
    pub fn release(&mut self, cidr: Prefix) -> Result<(), AllocError> {
        self.check_family(&cidr)?;
        if self.taken.get(cidr.start()) != Some(cidr.prefix_len()) {
            return Err(AllocError::NotTaken { cidr });
        }
        self.taken.remove(cidr.start());
        self.used = self.used.minus(cidr.size());
        // A taken block always lies in a root; fall back to the block itself, which only
        // stops it from joining its neighbours.
        let root = find_overlap(&self.roots, self.family, &cidr).unwrap_or(cidr);
        self.free.give_back((cidr.start(), cidr.end()), &root);
        Ok(())
    }

    /// True when `cidr` is exactly one of the taken blocks.
    pub fn is_taken(&self, cidr: &Prefix) -> bool {
        cidr.family() == self.family && self.taken.get(cidr.start()) == Some(cidr.prefix_len())
    }

    /// The provisioned CIDRs, in address order.
    pub fn roots(&self) -> impl Iterator<Item = Prefix> + '_ {
        self.roots
            .iter()
            .map(|(&start, &len)| Prefix::containing(self.family, start, len))
    }

    /// The taken blocks, in address order.
    pub fn taken(&self) -> Vec<Prefix> {
        self.taken
            .sorted()
            .into_iter()
            .map(|(start, len)| Prefix::containing(self.family, start, len))
            .collect()
    }

    /// The free space as maximal aligned blocks, in address order.
    pub fn free_blocks(&self) -> Vec<Prefix> {
        let mut blocks = Vec::new();
        for (&end, &start) in &self.free.by_end {
            let mut at = start;
            loop {
                let len = self.free.capacity_at(at, end);
                let block = Prefix::containing(self.family, at, len);
                blocks.push(block);
                match block.end().checked_add(1) {
                    Some(next) if next <= end => at = next,
                    _ => break,
                }
            }
        }
        blocks
    }

    /// The largest free block (the lowest-addressed one among equals).
    pub fn largest_free(&self) -> Option<Prefix> {
        let cap = self.free.nonempty.up_to(128).next()?;
        let (start, _) = self.free.lowest_fitting(cap)?;
        Some(first_aligned(self.family, start, cap))
    }

    /// Addresses in all provisioned CIDRs.
    pub fn total(&self) -> AddrCount {
        self.total
    }

    /// Addresses in taken blocks.
    pub fn used(&self) -> AddrCount {
        self.used
    }

    /// Addresses provisioned and not taken.
    pub fn free(&self) -> AddrCount {
        self.total.minus(self.used)
    }

    fn check_family(&self, cidr: &Prefix) -> Result<(), AllocError> {
        if cidr.family() == self.family {
            Ok(())
        } else {
            Err(AllocError::FamilyMismatch {
                cidr: *cidr,
                expected: self.family,
                got: cidr.family(),
            })
        }
    }

    fn mark_taken(&mut self, block: Prefix) {
        self.taken.insert(block.start(), block.prefix_len());
        self.used = self.used.plus(block.size());
    }
}

/// The first block of length `len` aligned at or after `start`; the caller knows it fits.
fn first_aligned(family: Family, start: u128, len: u8) -> Prefix {
    let mask = host_mask(family, len);
    let first = if start & mask == 0 {
        start
    } else {
        (start | mask) + 1
    };
    Prefix::containing(family, first, len)
}

/// The root in `roots` (disjoint, keyed by start) that overlaps `cidr`, if any: either the
/// last one starting at or before it (which may contain it), or the first starting inside it.
fn find_overlap(roots: &BTreeMap<u128, u8>, family: Family, cidr: &Prefix) -> Option<Prefix> {
    let before = roots
        .range(..=cidr.start())
        .next_back()
        .map(|(&s, &l)| Prefix::containing(family, s, l))
        .filter(|b| b.contains(cidr));
    before.or_else(|| {
        roots
            .range(cidr.start()..=cidr.end())
            .next()
            .map(|(&s, &l)| Prefix::containing(family, s, l))
    })
}

#[cfg(test)]
mod tests;
